"""The store as history grows: every hot query uses an index, and old state files are upgraded in place."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.model import Action, ActionKind, Author, Category, Channel, Decision, Inbound, Platform
from bot.store import SCHEMA_V1, SCHEMA_VERSION, Store, WAITING

NOW = datetime(2026, 6, 3, 9, 0, tzinfo=timezone.utc)
MESSAGES = 100_000
SMALL_TABLES = ("SCAN cursors", "SCAN accounts", "SCAN CONSTANT ROW")  # one row per account or stream


def seed(store: Store, count: int = MESSAGES) -> None:
    """`count` handled messages from 5,000 authors, each with a reply, every tenth with a strike and review."""
    db = store._db
    at = [(NOW - timedelta(seconds=count - n)).isoformat() for n in range(count)]
    with store._transaction():
        db.executemany(
            """INSERT INTO inbound (id, platform, account, stream, native_id, channel, author_id, author_handle,
               author_name, text, text_redacted, created_at, fetched_at, thread_id, parent_id, in_reply_to_own, extras,
               status, category, rule, evidence, dry_run, decided_at, handled_at)
               VALUES (?, 'sandbox', 'demo', 'comments', ?, 'public', ?, '@a', 'A', NULL, 'hello', ?, ?, 't', '', 1, '{}',
                       'handled', 'ordinary', 'ordinary', '', 0, ?, ?)""",
            ((n + 1, f"n{n}", f"u{n % 5000}", at[n], at[n], at[n], at[n]) for n in range(count)))
        db.executemany(
            """INSERT INTO actions (inbound_id, account, author_id, position, kind, channel, template, text, team,
               urgency, rule, reason, status, planned_at) VALUES (?, 'demo', ?, ?, ?, 'public', '', 'Thanks', '',
               'routine', 'r', 'r', ?, ?)""",
            [(n + 1, f"u{n % 5000}", 0, "reply", "done", at[n]) for n in range(count)]
            + [(n + 1, f"u{n % 5000}", 1, "review", "done", at[n]) for n in range(0, count, 10)])
        db.executemany("INSERT INTO strikes VALUES ('sandbox', 'demo', ?, 'abuse', ?, ?)",
                       ((f"u{n % 5000}", n + 1, at[n]) for n in range(0, count, 10)))


def full_scans(store: Store, statements: list[str]) -> list[str]:
    """Each statement's plan lines that read a whole table (SCAN without an index; tables may be aliased)."""
    found = []
    for sql in statements:
        for row in store._db.execute(f"EXPLAIN QUERY PLAN {sql}"):
            detail = row[3]
            if detail.startswith("SCAN ") and "USING" not in detail and not detail.startswith(SMALL_TABLES):
                found.append(f"{detail}  <-  {sql}")
    return found


def test_the_hot_queries_use_an_index_on_a_store_of_100k_messages() -> None:
    store = Store(":memory:")
    seed(store)
    author = Author("u42", "@a", "A")
    item = Inbound(Platform.SANDBOX, "demo", "comments", Channel.PUBLIC, "new", author, "hi", NOW)
    store.record_fetch("demo", "comments", [item], "c", NOW, str)
    traced: list[str] = []
    store._db.set_trace_callback(traced.append)
    [pending] = store.pending("demo")
    store.pending("demo", with_held=False)
    store.author_history(pending.inbound, pending.row_id, NOW, timedelta(days=1))
    store.open_notices("demo")
    store.waiting_reviews("demo")
    store.audit(limit=50)
    store.audit(account="demo", limit=50)
    store.audit(account="demo", waiting=True, limit=50)
    store.cursor("demo", "comments")
    store.actions_for(pending.row_id)
    store._db.set_trace_callback(None)
    selects = [sql for sql in traced if sql.lstrip().upper().startswith("SELECT")]
    assert len(selects) >= 10
    assert full_scans(store, selects) == []

    def plan(sql_start: str) -> str:
        sql = next(s for s in selects if s.lstrip().startswith(sql_start))
        return " | ".join(row[3] for row in store._db.execute(f"EXPLAIN QUERY PLAN {sql}"))

    # an index on the account alone would still read every action the account ever had
    assert "actions_notices" in plan("SELECT * FROM actions WHERE account=")
    assert "actions_waiting" in plan("SELECT * FROM actions WHERE status='waiting'")
    assert "strikes_author" in plan("SELECT COUNT(*) FROM strikes")
    assert "inbound_decided" in plan("SELECT * FROM inbound i WHERE i.decided_at IS NOT NULL ORDER BY")


def test_a_version_1_state_file_is_upgraded_in_place_and_keeps_its_history(tmp_path: Path) -> None:
    path = tmp_path / "housebot.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA_V1)
    old.execute("""INSERT INTO inbound (platform, account, stream, native_id, channel, author_id, author_handle,
                   author_name, text, text_redacted, created_at, fetched_at, thread_id, parent_id, in_reply_to_own,
                   extras) VALUES ('sandbox', 'demo', 'comments', 'old-1', 'public', 'u1', '@a', 'A', 'hello', 'hello',
                   ?, ?, 't', '', 1, '{}')""", (NOW.isoformat(), NOW.isoformat()))
    old.execute("PRAGMA user_version=1")
    old.commit()
    old.close()
    store = Store(path)
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    [pending] = store.pending("demo")
    assert pending.inbound.native_id == "old-1" and pending.inbound.attachments == ()
    indexes = {row[0] for row in store._db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"actions_notices", "strikes_author", "inbound_decided"} <= indexes
    store.close()
    assert Store(path)._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION  # idempotent


def test_a_review_is_waiting_until_settled() -> None:
    store = Store(":memory:")
    item = Inbound(Platform.SANDBOX, "demo", "comments", Channel.PUBLIC, "1", Author("u1", "@a"), "hi", NOW)
    store.record_fetch("demo", "comments", [item], "1", NOW, str)
    [pending] = store.pending("demo")
    review = Action(ActionKind.REVIEW, "r", "a person decides", team="comms")
    store.save_decision(pending.row_id, item, Decision(("sandbox", "demo", "1"), Category.ORDINARY, (), (review,), "r"), NOW)
    [stored] = store.actions_for(pending.row_id)
    store.mark_waiting(stored.id, "review:comms")
    assert [s.status for s in store.waiting_reviews()] == [WAITING]
    assert store.settle_review(stored.id, "no action needed", NOW)
    assert store.waiting_reviews() == []
