"""`housebot user add`, the [console] settings' errors, and the sandbox's demo sign-in."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.settings import load_settings
from bot.store import Store
from bot.web.server import sandbox_demo_user
from bot.web.users import Role, find_user, verify_login
from tests.helpers import ALWAYS_OPEN, ORGANISATION, environment
from tests.test_config_errors import run_cli

PASSWORD = "a long enough password"
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc)


def _state(tmp_path: Path) -> Store:
    return Store(tmp_path / "state" / "housebot.sqlite3")


def test_user_add_reads_the_password_from_stdin_and_hashes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, _ = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN,
                           "user", "add", "jane.smith", "--role", "moderator", "--password-stdin")
    assert code == 0 and "jane.smith can now sign in to the staff console as a moderator" in out
    store = _state(tmp_path)
    assert verify_login(store, "jane.smith", PASSWORD) == find_user(store, "jane.smith")
    assert find_user(store, "jane.smith").role is Role.MODERATOR  # type: ignore[union-attr]
    stored = store.read("SELECT password_hash FROM console_users")[0][0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(("name", "password", "expected"), [
    ("jane", "short", "at least 12 characters"),
    ("Jane Smith", PASSWORD, "lower-case letters"),
], ids=["short-password", "bad-name"])
def test_user_add_refuses_with_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str], name: str, password: str,
                                            expected: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    code, _, err = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN,
                           "user", "add", name, "--role", "viewer", "--password-stdin")
    assert code == 1 and expected in err and "Traceback" not in err


@pytest.mark.parametrize(("table", "env", "expected"), [
    ("[console]\nport = 70000\n", {}, "console.port: must be at most 65535"),
    ("[console]\ncolour = 'blue'\n", {}, "console.colour: unknown key"),
    ("[console]\npublic_url = 'housebot'\n", {}, "console.public_url"),
    ("", {"HOUSEBOT_CONSOLE_SECRET": "short"}, "HOUSEBOT_CONSOLE_SECRET: must be at least 32 characters"),
], ids=["port", "unknown-key", "public-url", "short-secret"])
def test_bad_console_settings_give_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], table: str,
                                                       env: dict[str, str], expected: str) -> None:
    code, out, err = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN + "\n" + table, "hours",
                             extra_env=env)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and expected in err


def _settings(tmp_path: Path, accounts: str):  # type: ignore[no-untyped-def]
    config = tmp_path / "housebot.toml"
    config.write_text(ORGANISATION + accounts, encoding="utf-8")
    env = tmp_path / ".env"
    env.write_text("DEMO_PAGE_ID=1\nDEMO_PAGE_ACCESS_TOKEN=t\n", encoding="utf-8")
    return load_settings(environment(tmp_path, config), env)


def test_a_sandbox_only_state_gets_a_demo_admin_with_a_new_password_each_start(tmp_path: Path) -> None:
    settings = _settings(tmp_path, ALWAYS_OPEN)
    store = _state(tmp_path)
    first = sandbox_demo_user(settings, store, NOW)
    second = sandbox_demo_user(settings, store, NOW)
    assert first and second and first != second
    assert verify_login(store, "demo", first) is None
    assert verify_login(store, "demo", second) == find_user(store, "demo")


def test_no_demo_user_when_any_account_is_real(tmp_path: Path) -> None:
    settings = _settings(tmp_path, ALWAYS_OPEN.replace('type = "sandbox"', 'type = "facebook"'))
    store = _state(tmp_path)
    assert sandbox_demo_user(settings, store, NOW) is None
    assert find_user(store, "demo") is None
