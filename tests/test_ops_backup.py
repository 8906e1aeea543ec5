"""Backups while the bot writes, restores only while it is stopped, and state files of every older
schema version upgrading to the same schema as a new file."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.cli import _only_instance, main
from bot.model import Author, Channel, Inbound, Platform
from bot.ops.backup import backup
from bot.store import MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION, Store
from tests.helpers import ALWAYS_OPEN, environment, write_settings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def _item(number: int) -> Inbound:
    return Inbound(platform=Platform.SANDBOX, account="demo", stream="comments", channel=Channel.PUBLIC,
                   native_id=f"n{number}", author=Author(f"a{number}", f"@person{number}", "A Person"),
                   text=f"message number {number}", created_at=NOW + timedelta(seconds=number))


def _messages(path: Path) -> int:
    store = Store(path, read_only=True)
    count = store.read("SELECT COUNT(*) FROM inbound")[0][0]
    store.close()
    return count


def _command_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    for key, value in environment(tmp_path, tmp_path / "housebot.toml").items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return settings.state_path


def test_a_backup_taken_while_the_bot_writes_is_whole_and_consistent(tmp_path: Path) -> None:
    state = tmp_path / "state" / "housebot.sqlite3"
    Store(state).close()
    written = threading.Event()

    def bot_writing() -> None:
        """Another connection, as the running bot holds: one message and its cursor per transaction."""
        store = Store(state)
        for number in range(400):
            store.record_fetch("demo", "comments", [_item(number)], f"cursor-{number}", NOW, str)
            if number == 20:
                written.set()
        store.close()

    writer = threading.Thread(target=bot_writing)
    writer.start()
    written.wait(timeout=60)
    copies = []
    while writer.is_alive() and len(copies) < 20:
        copies.append(tmp_path / f"backup-{len(copies)}.sqlite3")
        assert backup(state, copies[-1]) == SCHEMA_VERSION
    writer.join()
    assert copies
    for copy in copies:
        db = sqlite3.connect(copy)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        messages = db.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
        cursor = db.execute("SELECT cursor FROM cursors").fetchone()
        # the message and the cursor past it were written together: a copy never has one without the other
        assert cursor is not None and cursor[0] == f"cursor-{messages - 1}"
        assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
        db.close()
    assert _messages(state) == 400


def test_the_backup_command_writes_a_new_private_file_and_never_overwrites(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    state = _command_line(monkeypatch, tmp_path)
    store = Store(state)
    store.record_fetch("demo", "comments", [_item(1)], "c1", NOW, str)
    store.close()
    target = tmp_path / "copy.sqlite3"
    assert main(["backup", str(target)]) == 0
    assert capsys.readouterr().out == f"backed up {state} to {target} (schema {SCHEMA_VERSION})\n"
    assert _messages(target) == 1
    assert main(["backup", str(target)]) == 2
    assert capsys.readouterr().err == f"housebot: (command line): FILE: {target} exists already; give a new file name\n"


def test_restore_is_refused_while_the_bot_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    state = _command_line(monkeypatch, tmp_path)
    Store(state).close()
    assert backup(state, tmp_path / "copy.sqlite3") == SCHEMA_VERSION
    with _only_instance(state):  # what `housebot run` holds
        assert main(["restore", str(tmp_path / "copy.sqlite3")]) == 2
    assert f"another housebot (pid {os.getpid()}) is already running on {state}" in capsys.readouterr().err


def test_restore_brings_back_the_backup_and_keeps_the_state_it_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    state = _command_line(monkeypatch, tmp_path)
    store = Store(state)
    store.record_fetch("demo", "comments", [_item(1)], "c1", NOW, str)
    assert backup(state, tmp_path / "copy.sqlite3") == SCHEMA_VERSION
    store.record_fetch("demo", "comments", [_item(2), _item(3)], "c3", NOW, str)
    store.close()

    assert main(["restore", str(tmp_path / "copy.sqlite3")]) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"restored {state} from {tmp_path / 'copy.sqlite3'} (schema {SCHEMA_VERSION}); "
                          f"the state it replaced is in {state}.before-restore-")
    assert _messages(state) == 1
    [replaced] = state.parent.glob("housebot.sqlite3.before-restore-*")
    assert _messages(replaced) == 3


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
def test_restore_refuses_a_file_that_is_not_a_state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    state = _command_line(monkeypatch, tmp_path)
    Store(state).close()
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(content)
    assert main(["restore", str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"housebot: {bad}: (backup): ")


def _state_of_version(path: Path, version: int) -> None:
    """A state file exactly as housebot of that schema version left it, with a handled message in it."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_V1)
    db.execute("""INSERT INTO inbound (platform, account, stream, native_id, channel, author_id, author_handle,
                  author_name, text, text_redacted, created_at, fetched_at, thread_id, parent_id, in_reply_to_own,
                  extras, status, category, rule, decided_at) VALUES ('sandbox', 'demo', 'dms', 'n1', 'private', 'a1',
                  '@old', 'Old', NULL, 'hello from an old file', ?, ?, 't1', '', 0, '{}', 'handled', 'ordinary',
                  'ordinary.acknowledge', ?)""", (NOW.isoformat(), NOW.isoformat(), NOW.isoformat()))
    for step in range(1, version):
        for statement in MIGRATIONS[step]:
            db.execute(statement)
    db.execute(f"PRAGMA user_version={version}")
    db.commit()
    db.close()


def _schema(path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(path)
    rows = db.execute("SELECT type, name FROM sqlite_master ORDER BY type, name").fetchall()
    columns = [(table, str(db.execute(f'PRAGMA table_info("{table}")').fetchall()))
               for kind, table in rows if kind == "table"]
    db.close()
    return rows + columns


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_state_file_of_every_older_version_upgrades_to_the_schema_of_a_new_one(tmp_path: Path, version: int) -> None:
    old = tmp_path / "old.sqlite3"
    _state_of_version(old, version)
    Store(tmp_path / "new.sqlite3").close()

    store = Store(old)
    assert store.version == SCHEMA_VERSION
    [row] = store.audit()
    assert (row["text"], row["category"]) == ("hello from an old file", "ordinary")
    assert store.read("SELECT stream FROM inbound")[0][0] == "direct_messages"  # the migrations' data steps ran
    store.close()
    assert _schema(old) == _schema(tmp_path / "new.sqlite3")


def test_restoring_a_backup_of_an_older_version_upgrades_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    state = _command_line(monkeypatch, tmp_path)
    _state_of_version(tmp_path / "old-backup.sqlite3", 1)
    assert main(["restore", str(tmp_path / "old-backup.sqlite3")]) == 0
    assert "(schema 1)" in capsys.readouterr().out
    store = Store(state, read_only=True)
    assert store.version == SCHEMA_VERSION and store.read("SELECT COUNT(*) FROM inbound")[0][0] == 1
    store.close()
