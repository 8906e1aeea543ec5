"""HOUSEBOT_STATE as a PostgreSQL URL: the settings keep it (never showing its password), per-account
files go to HOUSEBOT_DATA_DIR, the commands read and write the database, and what cannot work (a
server not reached, `backup` and `restore`) is one line naming the setting, exit 2. Without
PostgreSQL the PostgreSQL tests are skipped with one line, and under CI=true they fail instead."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.service import Service
from tests.helpers import ALWAYS_OPEN, LONDON, REPO, Clock, environment, message, sandbox_service, write_settings

UNREACHABLE = "postgresql://housebot:s3cret-word@127.0.0.1:1/housebot"


def _command_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, state: str) -> None:
    write_settings(tmp_path, ALWAYS_OPEN)
    for key, value in environment(tmp_path, tmp_path / "housebot.toml").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOUSEBOT_STATE", state)
    monkeypatch.setenv("HOUSEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def test_a_postgresql_url_is_kept_whole_and_per_account_files_go_to_the_data_folder(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, ALWAYS_OPEN, {"HOUSEBOT_STATE": UNREACHABLE,
                                                      "HOUSEBOT_DATA_DIR": str(tmp_path / "data")})
    assert settings.state_url == settings.state_location == UNREACHABLE
    assert settings.account_config(settings.accounts[0]).state_dir == tmp_path / "data" / "accounts" / "demo"
    assert "s3cret-word" not in repr(settings)
    sqlite = write_settings(tmp_path, ALWAYS_OPEN)
    assert sqlite.state_url == "" and sqlite.state_location == sqlite.state_path


@pytest.mark.parametrize("command", [["log"], ["review", "list"], ["user", "add", "ada", "--role", "admin", "--password-stdin"]])
def test_an_unreachable_server_is_one_line_naming_the_setting_without_the_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    _command_line(monkeypatch, tmp_path, UNREACHABLE)
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert main(command) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("housebot: .env: HOUSEBOT_STATE: cannot reach PostgreSQL at "
                                                   "postgresql://housebot:***@127.0.0.1:1/housebot"), captured
    assert "s3cret-word" not in captured.out + captured.err


@pytest.mark.parametrize("command", [["backup", "copy.dump"], ["restore", "copy.dump"]])
def test_backup_and_restore_point_to_pg_dump_for_a_postgresql_state(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    _command_line(monkeypatch, tmp_path, UNREACHABLE)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HOUSEBOT_STATE: is a PostgreSQL database: back it up with pg_dump" in err
    assert "s3cret-word" not in err


def test_the_log_command_reads_what_a_service_wrote_to_postgresql(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], postgres_url: str) -> None:
    _command_line(monkeypatch, tmp_path, postgres_url)
    assert main(["log"]) == 0
    assert "no decisions yet: the state is empty" in capsys.readouterr().out
    settings = replace(write_settings(tmp_path, ALWAYS_OPEN), state_url=postgres_url)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    service, network, _ = sandbox_service(settings, clock)
    assert isinstance(service, Service)
    network.post("demo", message("m1", "You are useless idiots, the lot of you", handle="@mike_t"))
    service.tick()
    service.close()
    assert main(["log"]) == 0
    printed = capsys.readouterr().out
    assert "@mike_t" in printed and "abuse" in printed


def _run_postgres_tests_without_postgres(ci: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOUSEBOT_PG_BIN": "/nonexistent/postgresql", "CI": ci}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-k", "postgresql",
                           "tests/test_store.py", "tests/test_restart_safety.py"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_without_postgresql_its_tests_are_skipped_with_one_line() -> None:
    result = _run_postgres_tests_without_postgres("")
    assert result.returncode == 0, result.stdout + result.stderr
    said = [line for line in result.stdout.splitlines() if "PostgreSQL" in line]
    assert len(said) == 1 and re.fullmatch(r"PostgreSQL tests skipped: no initdb/pg_ctl found \(apt-get install "
                                           r"postgresql, or set HOUSEBOT_PG_BIN\) \(\d+ tests\)", said[0]), result.stdout
    assert "SKIPPED" not in result.stdout


def test_under_ci_a_missing_postgresql_fails_the_run() -> None:
    result = _run_postgres_tests_without_postgres("true")
    assert result.returncode != 0
    assert "CI=true but no PostgreSQL was found" in result.stdout
