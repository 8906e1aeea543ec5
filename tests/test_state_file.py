"""The state file: owner-only, one clear line when it cannot be used, and `housebot log` only looks
(issue 13, items 3, 8, 9, 10 and 11)."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from bot.model import Action, ActionKind, Author, Category, Channel, Decision, Inbound, Platform
from bot.store import SCHEMA_VERSION, Store
from tests.helpers import ALWAYS_OPEN, ORGANISATION
from tests.test_config_errors import run_cli

NOW = datetime(2026, 6, 3, 9, 0, tzinfo=timezone.utc)  # 10:00 in Leeds (BST)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "housebot.sqlite3"


def _one_decision(path: Path, text: str = "hello") -> None:
    store = Store(path)
    item = Inbound(platform=Platform.SANDBOX, account="demo", stream="comments", channel=Channel.PUBLIC,
                   native_id="1", author=Author("u1", "@amy", "Amy"), text=text, created_at=NOW)
    store.record_fetch("demo", "comments", [item], None, NOW, lambda t: t)
    row = store.pending("demo")[0].row_id
    reply = Action(ActionKind.REPLY, "ordinary.answer", "a question", Channel.PUBLIC, "ordinary", "=1+1 thanks")
    store.save_decision(row, item, Decision(item.key, Category.ORDINARY, (), (reply,), "ordinary.answer"), NOW)
    store.close()


def test_the_state_is_readable_by_its_owner_only(tmp_path: Path, umask_022: None) -> None:
    path = _state(tmp_path)
    _one_decision(path)
    Store(path).close()
    assert _mode(path.parent) == 0o700
    assert _mode(path) == 0o600
    for companion in ("-wal", "-shm"):
        file = path.with_name(path.name + companion)
        assert not file.exists() or _mode(file) == 0o600


def test_an_older_world_readable_state_file_is_made_private(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "housebot.sqlite3"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    Store(path).close()
    assert _mode(path) == 0o600


def _newer(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()


def _corrupt(path: Path) -> None:
    path.write_bytes(b"not a database at all " * 200)


def _truncated(path: Path) -> None:
    _one_decision(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _unwritable(path: Path) -> None:
    path.parent.rmdir()
    path.parent.write_text("a file where the state folder should be", encoding="utf-8")


@pytest.mark.parametrize("spoil", [_newer, _corrupt, _truncated, _unwritable], ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("command", ["run", "log"])
def test_a_state_file_that_cannot_be_used_is_one_line_with_its_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], spoil, command: str) -> None:  # type: ignore[no-untyped-def]
    path = _state(tmp_path)
    path.parent.mkdir()
    spoil(path)
    code, out, err = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN, command,
                             *(["--once"] if command == "run" else []))
    if spoil is _unwritable and command == "log":  # nothing to read: nothing was ever decided there
        assert code == 0 and "no decisions yet" in out
        return
    assert code == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(path) in lines[0]


def test_log_opens_the_state_read_only_and_never_writes_a_schema(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = _state(tmp_path)
    path.parent.mkdir()
    path.touch()
    code, out, _ = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN, "log")
    assert code == 0 and "no decisions yet" in out
    assert path.stat().st_size == 0


def test_log_shows_local_time_with_its_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _one_decision(_state(tmp_path))
    code, out, _ = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN, "log")
    assert code == 0
    assert "2026-06-03 10:00 BST" in out
    code, out, _ = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN, "log", "--csv")
    assert next(csv.DictReader(io.StringIO(out)))["time"] == "2026-06-03T10:00:00+01:00"


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    _one_decision(_state(tmp_path), text='=HYPERLINK("https://evil.example","click")')
    code, out, _ = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN, "log", "--csv")
    row = next(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert row["text"] == "'=HYPERLINK(\"https://evil.example\",\"click\")"
    assert row["reply"] == "'=1+1 thanks"
    assert row["author"] == "'@amy"  # a handle starts with @, which a spreadsheet reads as a formula


@pytest.mark.parametrize("option", [["--category", "nonsense"], ["--action", "explode"], ["--account", "nobody"]])
def test_log_refuses_an_unknown_filter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], option: list[str]) -> None:
    _one_decision(_state(tmp_path))
    try:
        code, _, err = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN, "log", *option)
    except SystemExit as stop:  # argparse: usage and one error line
        code, err = int(str(stop.code)), capsys.readouterr().err
    assert code == 2
    assert option[1] in err.strip().splitlines()[-1]
