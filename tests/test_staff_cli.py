"""`housebot review|undo|appeal` against the state of a bot that ran on the sandbox: the command
plans, the running bot carries out, and the audit names whoever `--as` said."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from bot import staff
from bot.cli import main
from bot.model import ActionKind
from bot.staff import Role
from bot.store import DONE, MIGRATIONS, SCHEMA_V1, Store
from tests.helpers import ALWAYS_OPEN, LONDON, Clock, environment, message, sandbox_service, write_settings


def test_review_undo_and_appeal_from_the_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    for name, value in environment(tmp_path, tmp_path / "housebot.toml").items():
        monkeypatch.setenv(name, value)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    service, network, _ = sandbox_service(settings, clock)
    network.post("demo", message("claim", "Vaccines cause autism, everyone knows it", handle="@truthseeker"))
    network.post("demo", message("rude", "You lot are useless f***ing idiots, the whole lot of you should be sacked",
                                 handle="@mike_t"))
    service.tick()
    [review] = service.store.waiting_reviews("demo")
    env = f"--env={tmp_path / '.env'}"
    try:
        assert main([env, "review", "list"]) == 0
        listed = capsys.readouterr().out
        assert f"review {review.id}: demo @truthseeker" in listed and "useless" not in listed

        assert main([env, "review", "approve", str(review.id), "--as", "sam", "--reason", "third strike"]) == 0
        assert "block planned as action" in capsys.readouterr().out
        assert main([env, "review", "dismiss", str(review.id), "--as", "kit", "--reason", "not a claim"]) == 1
        assert "settled already (approved block by sam)" in capsys.readouterr().err
        service.tick()
        assert network.blocked == {"truthseeker"}

        store = Store(settings.state_path)
        rude_id = int(store.read("SELECT id FROM inbound WHERE native_id LIKE '%-rude'")[0]["id"])
        [hide] = [a for a in store.actions_for(rude_id) if a.action.kind is ActionKind.HIDE]
        assert main([env, "appeal", "record", str(rude_id), "--received", "by email on 24 Nov", "--as", "sam"]) == 0
        assert "appeal 1 recorded" in capsys.readouterr().out
        assert main([env, "appeal", "decide", "1", "--uphold", "--reason", "a film quote", "--as", "kit",
                     "--reply", "Sorry, we have put your comment back."]) == 0
        capsys.readouterr()
        assert main([env, "undo", str(hide.id), "--reason", "again", "--as", "sam"]) == 1
        assert "undone already by kit" in capsys.readouterr().err
        service.tick()
        assert network.hidden == set()
        assert all(a.status == DONE for a in store.actions_for(rude_id) if a.requested_by)
        assert main([env, "log", "--csv"]) == 0
        assert "unhide:done by kit" in capsys.readouterr().out  # the log names who asked
        trail = staff.audit_trail(store)
        assert {(e.who, e.role) for e in trail} == {("sam", Role.ADMIN), ("kit", Role.ADMIN)}
        assert [e.what for e in trail][::-1] == ["approve_block", "record_appeal", "uphold_appeal", "undo",
                                                 "restore_strike", "reply"]
        store.close()
    finally:
        service.stop()


def test_acting_needs_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    write_settings(tmp_path, ALWAYS_OPEN)
    for name, value in environment(tmp_path, tmp_path / "housebot.toml").items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        main([f"--env={tmp_path / '.env'}", "undo", "3", "--reason", "mistake"])
    assert stopped.value.code == 2 and "--as" in capsys.readouterr().err
    assert main([f"--env={tmp_path / '.env'}", "review", "list"]) == 0
    assert "the bot has not run yet" in capsys.readouterr().out


def test_a_state_file_from_before_staff_actions_can_still_be_looked_at(tmp_path: Path) -> None:
    """`housebot log` opens the state read-only, so it never migrates it: a file of the version
    before `requested_by` existed must still be listed."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_V1)
    for statement in MIGRATIONS[1]:
        db.execute(statement)
    db.execute("""INSERT INTO inbound (id, platform, account, stream, native_id, channel, author_id, author_handle,
                  author_name, text_redacted, created_at, fetched_at, thread_id, parent_id, in_reply_to_own, extras,
                  status, category, rule, evidence, dry_run, decided_at)
                  VALUES (1, 'sandbox', 'demo', 'comments', 'n1', 'public', 'u1', '@member', '', 'hello',
                  '2026-06-03T09:00:00+00:00', '2026-06-03T09:00:00+00:00', '', '', 0, '{}', 'handled', 'ordinary',
                  'ordinary.reply', '', 0, '2026-06-03T09:00:00+00:00')""")
    db.execute("""INSERT INTO actions (inbound_id, account, author_id, position, kind, template, text, team, urgency,
                  rule, reason, status, planned_at) VALUES (1, 'demo', 'u1', 0, 'reply', 'ordinary', 'Hi', '',
                  'routine', 'ordinary.reply', 'a reply', 'done', '2026-06-03T09:00:00+00:00')""")
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()
    store = Store(path, read_only=True)
    [row] = store.audit()
    assert row["actions"] == "reply:done"
    assert store.actions_for(1)[0].requested_by is None
    store.close()
