"""The store keeps every fetched message exactly once and moves a cursor only with its messages."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timezone

from bot.model import Author, Channel, Inbound, Platform
from bot.store import Store

NOW = datetime(2026, 6, 3, 9, 0, tzinfo=timezone.utc)


def inbound(native_id: str, text: str = "hello") -> Inbound:
    return Inbound(platform=Platform.SANDBOX, account="demo", stream="comments", channel=Channel.PUBLIC,
                   native_id=native_id, author=Author("u1", "@amy", "Amy"), text=text, created_at=NOW)


def test_a_message_fetched_twice_is_kept_once_and_the_cursor_moves_with_it() -> None:
    store = Store(":memory:")
    assert store.cursor("demo", "comments") is None
    assert store.record_fetch("demo", "comments", [inbound("1"), inbound("2")], "2", NOW, str.upper) == 2
    assert store.record_fetch("demo", "comments", [inbound("2"), inbound("3")], "3", NOW, str.upper) == 1
    assert store.cursor("demo", "comments") == "3"
    assert [p.inbound.native_id for p in store.pending("demo")] == ["1", "2", "3"]


def test_a_failed_write_leaves_neither_messages_nor_cursor() -> None:
    store = Store(":memory:")

    def broken_redactor(text: str) -> str:
        raise RuntimeError("disk full")

    try:
        store.record_fetch("demo", "comments", [inbound("1")], "1", NOW, broken_redactor)
    except RuntimeError:
        pass
    assert store.cursor("demo", "comments") is None
    assert store.pending("demo") == []


def test_handled_messages_keep_only_their_redacted_text() -> None:
    store = Store(":memory:")
    store.record_fetch("demo", "comments", [inbound("1", "call me on 07700 900123")], "1", NOW,
                       lambda text: text.replace("07700 900123", "[phone]"))
    pending = store.pending("demo")[0]
    assert pending.inbound.text == "call me on 07700 900123"  # full text while it waits
    store.complete_inbound(pending.row_id, NOW)
    row = store._db.execute("SELECT text, text_redacted FROM inbound").fetchone()
    assert row["text"] is None and row["text_redacted"] == "call me on [phone]"


def test_a_version_1_state_file_is_upgraded_in_place(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from bot.store import SCHEMA_V1

    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as db:  # what version 1 looked like: no fallback column, X's "dms" stream
        db.executescript(SCHEMA_V1)
        db.execute("INSERT INTO cursors VALUES ('leeds-x', 'dms', '99', '2026-01-01T00:00:00+00:00')")
        db.execute("PRAGMA user_version=1")
    store = Store(path)
    assert store.cursor("leeds-x", "direct_messages") == "99"
    assert "fallback" in {row[1] for row in store._db.execute("PRAGMA table_info(actions)")}
    store.close()


def test_workers_of_several_accounts_share_one_store_without_mixing_their_transactions() -> None:
    """Each account's worker is a thread; on one connection, a transaction begun by one while
    another's is open failed ("cannot start a transaction within a transaction") or took the other's
    statements into it. Every write must land, each cursor with its own messages."""
    store = Store(":memory:")
    accounts = [f"account{n}" for n in range(4)]
    problems: list[BaseException] = []
    start = threading.Barrier(len(accounts))

    def worker(account: str) -> None:
        try:
            start.wait()
            for batch in range(40):
                items = [replace(inbound(f"{account}-{batch}-{n}"), account=account) for n in range(3)]
                store.record_fetch(account, "comments", items, str(batch), NOW, str.upper)
                assert len(store.pending(account)) == 3 * (batch + 1)
        except BaseException as problem:  # noqa: BLE001 - reported below, in the test's thread
            problems.append(problem)

    threads = [threading.Thread(target=worker, args=(account,)) for account in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    for account in accounts:
        assert store.cursor(account, "comments") == "39" and len(store.pending(account)) == 120
