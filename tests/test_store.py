"""The store keeps every fetched message exactly once and moves a cursor only with its messages.

Its contract holds on both backends (`store_location`, `any_store`: a SQLite file and a fresh
PostgreSQL database), and so does every exactly-once transition when two processes race for it."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timezone
from typing import Callable

import pytest

from bot.errors import ConfigError
from bot.model import Action, ActionKind, Author, Category, Channel, Decision, Inbound, Platform
from bot.store import SCHEMA_V1, SCHEMA_VERSION, Store, _postgres_sql, open_store

NOW = datetime(2026, 6, 3, 9, 0, tzinfo=timezone.utc)


def inbound(native_id: str, text: str = "hello") -> Inbound:
    return Inbound(platform=Platform.SANDBOX, account="demo", stream="comments", channel=Channel.PUBLIC,
                   native_id=native_id, author=Author("u1", "@amy", "Amy"), text=text, created_at=NOW)


def test_a_message_fetched_twice_is_kept_once_and_the_cursor_moves_with_it(any_store: Store) -> None:
    store = any_store
    assert store.cursor("demo", "comments") is None
    assert store.record_fetch("demo", "comments", [inbound("1"), inbound("2")], "2", NOW, str.upper) == 2
    assert store.record_fetch("demo", "comments", [inbound("2"), inbound("3")], "3", NOW, str.upper) == 1
    assert store.cursor("demo", "comments") == "3"
    assert [p.inbound.native_id for p in store.pending("demo")] == ["1", "2", "3"]


def test_a_failed_write_leaves_neither_messages_nor_cursor(any_store: Store) -> None:
    store = any_store

    def broken_redactor(text: str) -> str:
        raise RuntimeError("disk full")

    try:
        store.record_fetch("demo", "comments", [inbound("1")], "1", NOW, broken_redactor)
    except RuntimeError:
        pass
    assert store.cursor("demo", "comments") is None
    assert store.pending("demo") == []


def test_handled_messages_keep_only_their_redacted_text(any_store: Store) -> None:
    store = any_store
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


def test_workers_of_several_accounts_share_one_store_without_mixing_their_transactions(any_store: Store) -> None:
    """Each account's worker is a thread; on one connection, a transaction begun by one while
    another's is open failed ("cannot start a transaction within a transaction") or took the other's
    statements into it. Every write must land, each cursor with its own messages."""
    store = any_store
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


# -- the same contract on PostgreSQL: migrations, settings errors, and two processes at once ----------
def _decided_with(store: Store, native_id: str, *actions: Action) -> int:
    """A stored message decided with these actions; returns its row id."""
    store.record_fetch("demo", "comments", [inbound(native_id)], None, NOW, str.upper)
    item = next(p for p in store.pending("demo") if p.inbound.native_id == native_id)
    store.save_decision(item.row_id, item.inbound, Decision(item.inbound.key, Category.ORDINARY, (), actions,
                                                            "test.rule"), NOW)
    return item.row_id


def _at_once(*steps: Callable[[], object]) -> list[object]:
    """Run each step in its own thread, released together; their results in order."""
    start = threading.Barrier(len(steps))
    results: list[object] = [None] * len(steps)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = steps[index]()
        except BaseException as problem:  # noqa: BLE001 - the test looks at it
            results[index] = problem

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(steps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_processes_moving_one_action_to_sending_exactly_one_wins(store_location: str) -> None:
    """Two workers (two stores on one database, as two processes have) read the same planned reply
    and both try planned -> sending: one may call the platform, the other is told no, every time."""
    first, second = open_store(store_location), open_store(store_location)
    for round_number in range(10):
        row_id = _decided_with(first, f"race-{round_number}", Action(ActionKind.REPLY, "test.reply", "a reply",
                                                                     Channel.PUBLIC, text="thanks"))
        seen_first, seen_second = first.actions_for(row_id)[0], second.actions_for(row_id)[0]
        assert seen_first.status == seen_second.status == "planned"
        won = _at_once(lambda: first.mark_sending(seen_first.id, seen_first.attempts),
                       lambda: second.mark_sending(seen_second.id, seen_second.attempts))
        assert sorted(won, key=str) == [False, True], won
        assert first.action(seen_first.id).attempts == 1  # type: ignore[union-attr]
    # Left `sending` by a crash, it is taken over once too (the attempts it was read with guard it).
    stuck = first.actions_for(row_id)[0]
    assert _at_once(lambda: first.mark_sending(stuck.id, stuck.attempts),
                    lambda: second.mark_sending(stuck.id, stuck.attempts)).count(True) == 1
    first.close()
    second.close()


def test_two_processes_deciding_one_message_at_once_plan_its_actions_once(store_location: str) -> None:
    """Both read the message as undecided and both decide it: one decision is kept with its reply, the
    other is told no and writes nothing (else the message would have two replies to send)."""
    first, second = open_store(store_location), open_store(store_location)
    reply = Action(ActionKind.REPLY, "test.reply", "a reply", Channel.PUBLIC, text="thanks")
    for round_number in range(10):
        first.record_fetch("demo", "comments", [inbound(f"decide-{round_number}")], None, NOW, str.upper)
        [item] = [p for p in second.pending("demo") if p.inbound.native_id == f"decide-{round_number}"]
        assert not item.decided
        decision = Decision(item.inbound.key, Category.ORDINARY, (), (reply,), "test.rule")
        saved = _at_once(lambda: first.save_decision(item.row_id, item.inbound, decision, NOW),
                         lambda: second.save_decision(item.row_id, item.inbound, decision, NOW))
        assert sorted(saved, key=str) == [False, True], saved
        assert len(first.actions_for(item.row_id)) == 1
    first.close()
    second.close()


def test_two_people_settling_one_review_at_once_exactly_one_wins(store_location: str) -> None:
    first, second = open_store(store_location), open_store(store_location)
    for round_number in range(10):
        row_id = _decided_with(first, f"review-{round_number}", Action(ActionKind.REVIEW, "test.review", "look",
                                                                       team="comms"))
        review = first.actions_for(row_id)[0]
        first.mark_waiting(review.id, "review:comms")
        won = _at_once(lambda: first.settle_review(review.id, "left", NOW),
                       lambda: second.settle_review(review.id, "dismissed", NOW))
        assert sorted(won, key=str) == [False, True], won
        settled = second.action(review.id)
        assert settled is not None and settled.status == "done"
        assert settled.platform_ref == f"settled: {'left' if won[0] else 'dismissed'}"
    first.close()
    second.close()


def test_two_processes_planning_one_notice_plan_it_once(store_location: str) -> None:
    first, second = open_store(store_location), open_store(store_location)
    notice = Action(ActionKind.POST_NOTICE, "hours.offline", "closed", text="We are closed")
    for round_number in range(10):
        key = f"demo:offline:{round_number}"
        planned = _at_once(lambda: first.plan_notice("demo", notice, key, NOW),
                           lambda: second.plan_notice("demo", notice, key, NOW))
        assert sum(1 for result in planned if isinstance(result, int)) == 1 and planned.count(None) == 1, planned
    assert len(first.notices("demo")) == 10
    first.close()
    second.close()


def test_a_message_s_fallbacks_planned_at_once_get_positions_of_their_own(store_location: str) -> None:
    """Planning an action on a message reads the next position and writes it: the message's row is
    locked first (PostgreSQL) or the whole file is (SQLite), so two planners never share one."""
    first, second = open_store(store_location), open_store(store_location)
    reply = Action(ActionKind.REPLY, "test.reply", "a reply", Channel.PUBLIC, text="thanks",
                   fallback=Action(ActionKind.REVIEW, "test.review", "look", team="comms"))
    row_id = _decided_with(first, "positions", reply, reply)
    one, two = first.actions_for(row_id)
    item = first.inbound_item(row_id)
    assert item is not None
    _at_once(lambda: first.fail_with_fallback(one.id, "refused", row_id, item.inbound, one.action.fallback, NOW),
             lambda: second.fail_with_fallback(two.id, "refused", row_id, item.inbound, two.action.fallback, NOW))
    assert sorted(a.status for a in first.actions_for(row_id)) == ["failed", "failed", "planned", "planned"]
    assert [a.id for a in first.actions_for(row_id)] and len({row["position"] for row in first.read(
        "SELECT position FROM actions WHERE inbound_id=?", (row_id,))}) == 4
    first.close()
    second.close()


def test_rooms_tables_are_made_once_and_found_by_name_with_their_columns(any_store: Store) -> None:
    any_store.extend_schema("CREATE TABLE IF NOT EXISTS room_notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL, "
                            "weight INTEGER NOT NULL DEFAULT 0);")
    any_store.extend_schema("CREATE TABLE IF NOT EXISTS room_notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL, "
                            "weight INTEGER NOT NULL DEFAULT 0);")
    assert any_store.has_table("room_notes") and not any_store.has_table("no_such_table")
    columns = dict(any_store.table_columns()["room_notes"])
    assert list(columns) == ["id", "note", "weight"] and "TEXT" in columns["note"].upper()
    with any_store.transaction() as db:
        first = db.execute("INSERT INTO room_notes (note) VALUES (?) RETURNING id", ("50% done?",)).fetchone()[0]
        second = db.execute("INSERT INTO room_notes (note, weight) VALUES (:note, :weight) RETURNING id",
                            {"note": "it's :not a parameter", "weight": True}).fetchone()[0]
    assert second == first + 1
    rows = any_store.read("SELECT id, note, weight FROM room_notes WHERE note LIKE ? ORDER BY id", ("%DONE%",))
    assert [(row["note"], row[2]) for row in rows] == [("50% done?", 0)]  # LIKE ignores case on both
    assert dict(any_store.read("SELECT note, weight FROM room_notes WHERE id=?", (second,))[0]) == \
        {"note": "it's :not a parameter", "weight": 1}
    assert any_store.schema_version == SCHEMA_VERSION


def test_two_stores_starting_at_once_on_an_old_postgresql_database_migrate_it_once(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as db:  # what version 1 looked like there
        for statement in SCHEMA_V1.split(";"):
            if statement.strip():
                db.execute(_postgres_sql(statement, False))
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (1)")
        db.execute("INSERT INTO cursors VALUES ('leeds-x', 'dms', '99', '2026-01-01T00:00:00+00:00')")
    stores = _at_once(lambda: open_store(postgres_url), lambda: open_store(postgres_url))
    assert all(isinstance(store, Store) for store in stores), stores
    first, second = (store for store in stores if isinstance(store, Store))
    assert first.cursor("leeds-x", "direct_messages") == "99"  # the migration ran once: not moved twice, no error
    assert second.schema_version == SCHEMA_VERSION
    assert first.read("SELECT COUNT(*) FROM schema_version")[0][0] == 1
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("UPDATE schema_version SET version=?".replace("?", "%s"), (SCHEMA_VERSION + 1,))
    with pytest.raises(ConfigError) as refused:
        open_store(postgres_url)
    assert "HOUSEBOT_STATE" in str(refused.value) and "newer housebot" in str(refused.value)
    first.close()
    second.close()


def test_a_read_only_postgresql_store_never_creates_or_writes(postgres_url: str) -> None:
    looking = open_store(postgres_url, read_only=True)
    assert looking.is_empty and not looking.has_table("inbound")
    looking.close()
    writer = open_store(postgres_url)
    writer.record_fetch("demo", "comments", [inbound("1")], "1", NOW, str.upper)
    looking = open_store(postgres_url, read_only=True)
    assert looking.cursor("demo", "comments") == "1"
    with pytest.raises(Exception, match="read-only"):
        looking.record_fetch("demo", "comments", [inbound("2")], "2", NOW, str.upper)
    looking.close()
    writer.close()


@pytest.mark.parametrize("url, said", [
    ("postgresql://housebot:s3cret-word@127.0.0.1:1/housebot", "cannot reach PostgreSQL at "
                                                                "postgresql://housebot:***@127.0.0.1:1/housebot"),
    ("postgresql://housebot:s3cret-word@127.0.0.1/housebot?colour=blue", "is not a usable PostgreSQL URL"),
    ("postgresql://housebot:s3cret-word@[::1/housebot", "is not a usable PostgreSQL URL"),
])
def test_a_bad_or_unreachable_postgresql_url_is_one_line_naming_the_setting_never_the_password(url: str,
                                                                                             said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        open_store(url)
    line = str(refused.value)
    assert line.startswith(".env: HOUSEBOT_STATE: ") and said in line
    assert "s3cret-word" not in line and "\n" not in line
