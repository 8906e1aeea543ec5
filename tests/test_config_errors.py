"""A bad setting is one clear line naming the file and the key, exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.helpers import ALWAYS_OPEN, ORGANISATION, environment


def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: str,
            *args: str, extra_env: dict[str, str] | None = None) -> tuple[int, str, str]:
    config = tmp_path / "housebot.toml"
    config.write_text(settings, encoding="utf-8")
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in (extra_env or {}).items()), encoding="utf-8")
    for key, value in environment(tmp_path, config).items():
        monkeypatch.setenv(key, value)
    code = main(["--env", str(env_file), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


CASES = [
    pytest.param(ORGANISATION.replace('complaints_email = "complaints@example.nhs.uk"\n', "") + ALWAYS_OPEN,
                 "organisation.complaints_email: missing", id="missing-key"),
    pytest.param(ORGANISATION + ALWAYS_OPEN.replace('monday = ["00:00-24:00"]', 'monday = ["09:00-25:00"]'),
                 "accounts[0].hours.monday[0]", id="bad-time-window"),
    pytest.param(ORGANISATION + ALWAYS_OPEN.replace('type = "sandbox"', 'type = "myspace"'),
                 "accounts[0].type: unknown account type 'myspace'; known types: sandbox, x, facebook, instagram",
                 id="unknown-account-type"),
    pytest.param(ORGANISATION.replace('timezone = "Europe/London"', 'timezone = "Europe/Leeds"') + ALWAYS_OPEN,
                 "organisation.timezone", id="bad-time-zone"),
    pytest.param(ORGANISATION + ALWAYS_OPEN + "\n[accounts.colour]\nname = 'blue'\n",
                 "accounts[0].colour: unknown key", id="unknown-key"),
    pytest.param(ORGANISATION + ALWAYS_OPEN.replace('type = "sandbox"', 'type = "facebook"'),
                 "DEMO_PAGE_ACCESS_TOKEN; DEMO_PAGE_ID: missing: account 'demo' (facebook) needs them", id="missing-secret"),
    pytest.param(ORGANISATION + "accounts = [", "(syntax)", id="not-toml"),
]


@pytest.mark.parametrize(("settings", "expected"), CASES)
def test_bad_settings_give_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], settings: str, expected: str) -> None:
    code, out, err = run_cli(tmp_path, monkeypatch, capsys, settings, "hours")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert expected in lines[0]
    assert str(tmp_path) in lines[0]


def test_a_secret_is_never_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    settings = ORGANISATION + ALWAYS_OPEN.replace('type = "sandbox"', 'type = "facebook"')
    code, out, err = run_cli(tmp_path, monkeypatch, capsys, settings, "hours",
                             extra_env={"DEMO_PAGE_ACCESS_TOKEN": "sekrit-token-123"})
    assert code == 2 and "DEMO_PAGE_ID" in err
    assert "sekrit-token-123" not in out + err


def test_hours_prints_each_account_in_plain_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN, "hours")
    assert code == 0, err
    assert out.startswith("demo (@NHSLeedsDemo on sandbox)")
    assert "Safety screen: on" in out


def test_secrets_are_scrubbed_from_console_and_log_lines() -> None:
    import logging

    from bot.console import SecretScrubber

    scrubber = SecretScrubber(["EAAGsekrit-page-token"])
    line = "GET https://graph.facebook.com/v21.0/me?access_token=EAAGsekrit-page-token&fields=id failed"
    assert "sekrit" not in scrubber.scrub(line)
    assert "access_token=***" in scrubber.scrub("...?access_token=other-unknown-token&x=1")
    record = logging.LogRecord("housebot", logging.ERROR, __file__, 1, "detail=%r", ("EAAGsekrit-page-token",), None)
    scrubber.filter(record)
    assert "sekrit" not in record.getMessage()
