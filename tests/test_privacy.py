"""Private details and secrets never leave the bot in clear: not on the console, not in the log,
not in the state file and never in a reply (issue 13)."""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import pytest

from adapters.base import ActionRefused, AuthFailed
from bot.cli import _configure_logging
from bot.replies import NAME_FALLBACK, clean_user_value, looks_like_a_name
from bot.service import Service
from tests.helpers import ALWAYS_OPEN, LONDON, Clock, message, sandbox_service, write_settings

NHS_NUMBER = "943 476 5919"  # passes the NHS number check digit
PHONE = "07700 900123"
EMAIL = "jane.doe@example.com"
POSTCODE = "LS1 4AP"
TOKEN = "EAAGsekrit-page-token-42"


def _service(tmp_path: Path, extra_env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    settings = write_settings(tmp_path, ALWAYS_OPEN, extra_env)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    return sandbox_service(settings, clock)


def _database_text(path: Path, *only: str) -> str:
    db = sqlite3.connect(path)
    tables = only or [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    text = "\n".join(repr(row) for table in tables for row in db.execute(f"SELECT * FROM {table}"))
    db.close()
    return text


def test_the_console_prints_the_message_redacted(tmp_path: Path) -> None:
    service, network, out = _service(tmp_path)
    network.post("demo", message("a", f"My NHS number is {NHS_NUMBER} and my mobile is {PHONE}, can you help?"))
    service.tick()
    printed = out.getvalue()
    assert "decision: oversharing" in printed
    assert NHS_NUMBER not in printed and PHONE not in printed
    assert "[nhs number]" in printed
    assert re.search(r"^\d\d:\d\d:\d\d (BST|GMT)  \[demo\] public comment", printed, re.MULTILINE)  # local time, zone shown


@pytest.mark.parametrize("display_name", [
    "F*** the NHS", "Fuck the NHS", "Claim refund at nhs-refund dot com", "Bob URGENT: call 0800 123 4567",
    f"Jane {NHS_NUMBER}", f"Jane {EMAIL}", "Cheap Viagra",
])
def test_a_display_name_that_is_not_a_name_is_never_repeated(tmp_path: Path, display_name: str) -> None:
    service, network, out = _service(tmp_path)
    network.post("demo", message("a", "I'm feeling so hopeless I want to end it all", name=display_name))
    service.tick()
    replies = [a.text for a in network.activity if a.kind == "reply"]
    assert replies and all(display_name not in reply for reply in replies)
    assert display_name not in out.getvalue()
    assert display_name not in _database_text(service.settings.state_path, "actions")
    assert all(private not in _database_text(service.settings.state_path) for private in (NHS_NUMBER, EMAIL))


def test_a_real_name_is_still_used(tmp_path: Path) -> None:
    service, network, _ = _service(tmp_path)
    network.post("demo", message("a", "I'm feeling so hopeless I want to end it all", name="Seán O'Brien"))
    service.tick()
    assert any("Seán O'Brien" in a.text for a in network.activity if a.kind == "reply")


@pytest.mark.parametrize("name, shown", [
    ("Sam Patel", "Sam Patel"), ("Mary-Jane Smith-Jones", "Mary-Jane Smith-Jones"), ("J.R. Hartley", "J.R. Hartley"),
    ("Seán O'Brien \U0001F308", "Seán O'Brien"), ("李小龙", "李小龙"),
    ("JOHN SMITH", NAME_FALLBACK), ("Jane 943 476 5919", NAME_FALLBACK), ("Visit scam dot com", NAME_FALLBACK),
    ("Bob URGENT: call", NAME_FALLBACK), ("one two three four five", NAME_FALLBACK), ("\U0001F44D", NAME_FALLBACK),
])
def test_only_what_looks_like_a_name_is_used_as_one(name: str, shown: str) -> None:
    assert clean_user_value("author_name", name) == shown
    assert looks_like_a_name(name) is (shown != NAME_FALLBACK)


def test_a_token_a_platform_echoes_is_never_stored_or_printed(tmp_path: Path) -> None:
    service, network, out = _service(tmp_path)
    service.scrubber.secrets.append(TOKEN)  # the sandbox needs no secret: give the scrubbers one as a real account would
    service.log_scrubber.secrets.append(TOKEN)
    network.fail_next("hide", ActionRefused(f"POST /hide?access_token={TOKEN} refused for {TOKEN}"))
    network.post("demo", message("a", "You lot are useless f***ing idiots, the whole lot of you should be sacked"))
    service.tick()
    network.fail_next("fetch", AuthFailed(f"token {TOKEN} expired; request echoed: {TOKEN}"))
    service.health["demo"].last_read.clear()
    service.tick()
    assert service.store.paused_reason("demo")
    assert TOKEN not in _database_text(service.settings.state_path)
    assert TOKEN not in out.getvalue()


def test_log_lines_and_tracebacks_lose_secrets_and_private_details(tmp_path: Path) -> None:
    service, _, _ = _service(tmp_path)
    service.log_scrubber.secrets.append(TOKEN)
    try:
        raise ValueError(f"GET /me?access_token={TOKEN} answered {{'text': 'call me on {PHONE}'}}")
    except ValueError:
        record = logging.LogRecord("housebot", logging.ERROR, __file__, 1, "failed %s", (EMAIL,), None)
        import sys
        record.exc_info = sys.exc_info()
    service.log_scrubber.filter(record)
    shown = logging.Formatter().format(record)
    assert "Traceback" in shown and "ValueError" in shown
    assert TOKEN not in shown and PHONE not in shown and EMAIL not in shown


@pytest.fixture
def own_logging() -> Iterator[Callable[[Service], None]]:
    """Configure logging as `housebot run` does, then put back pytest's own."""
    root, scheduler = logging.getLogger(), logging.getLogger("apscheduler")
    saved: list[tuple[list[logging.Handler], int, int]] = []

    def configure(service: Service) -> None:
        saved.append((root.handlers[:], root.level, scheduler.level))
        root.handlers = []  # pytest's capture handlers, which it adds for each phase of a test
        _configure_logging(service.settings, service.log_scrubber)

    yield configure
    for handlers, root_level, scheduler_level in saved:
        root.handlers = handlers
        root.setLevel(root_level)  # setLevel, not assignment: it clears every logger's cached level
        scheduler.setLevel(scheduler_level)


def test_other_libraries_debug_lines_are_not_logged(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    own_logging: Callable[[Service], None]) -> None:
    service, _, _ = _service(tmp_path, {"HOUSEBOT_LOG_LEVEL": "DEBUG"})
    own_logging(service)
    logging.getLogger("tweepy.client").debug("Received response: {'text': 'my number is %s'}", PHONE)
    logging.getLogger("urllib3.connectionpool").info("GET /2/users/me?token=abc")
    logging.getLogger("housebot").debug("account=demo event=debug_line")
    logging.getLogger("tweepy.client").warning("Rate limit exceeded for %s", EMAIL)
    err = capsys.readouterr().err
    assert "event=debug_line" in err and "Rate limit exceeded" in err
    assert "Received response" not in err and "users/me" not in err
    assert EMAIL not in err


# -- the done-means test: every kind of private value, everywhere the bot writes ----------------------
def _nhs_number(first_nine: str) -> str:
    """A valid NHS number (Modulus 11 check digit) from nine digits, spaced 3-3-4."""
    check = 11 - sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1))) % 11
    digits = first_nine + str(0 if check == 11 else check)
    assert check != 10
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


PRIVATE_VALUES = {
    "nhs": [_nhs_number("943476591"), _nhs_number("401023213"), _nhs_number("485777345")],
    "phone": ["07700 900123", "0113 496 0017", "+44 7700 900456", "07700900789"],
    "email": ["jane.doe@example.com", "sam_p@example.org", "bob+nhs@example.co.uk"],
    "postcode": ["LS1 4AP", "LS6 2AB", "BD7 1DP"],
}
IN_TEXT = [
    ("comments", "Member", f"My NHS number is {PRIVATE_VALUES['nhs'][0]}, why has my appointment been cancelled?"),
    ("direct_messages", "Member", f"Hi, it's about my mum, her NHS number is {PRIVATE_VALUES['nhs'][1]}"),
    ("comments", "Member", f"Ring me back on {PRIVATE_VALUES['phone'][0]} about my referral please"),
    ("direct_messages", "Member", f"My number is {PRIVATE_VALUES['phone'][1]} or {PRIVATE_VALUES['phone'][2]}"),
    ("comments", "Member", f"Email me at {PRIVATE_VALUES['email'][0]} with the results"),
    ("direct_messages", "Member", f"Please reply to {PRIVATE_VALUES['email'][1]}, thank you"),
    ("comments", "Member", f"I live at 12 Park Lane, {PRIVATE_VALUES['postcode'][0]}, when is the clinic?"),
    ("direct_messages", "Member", f"My postcode is {PRIVATE_VALUES['postcode'][1]}, which GP should I use?"),
    ("comments", "Member", f"I'm scared, I want to end it all. Call {PRIVATE_VALUES['phone'][3]}"),
]
IN_NAMES = [
    ("comments", f"Jane {PRIVATE_VALUES['nhs'][2]}", "When does the walk-in centre open on Saturday?"),
    ("comments", f"Bob {PRIVATE_VALUES['phone'][3]}", "Thanks for the flu jab reminder"),
    ("direct_messages", PRIVATE_VALUES["email"][2], "Can I get my booster at the pharmacy?"),
    ("comments", f"Tom {PRIVATE_VALUES['postcode'][2]}", "Is the hospital car park free at weekends?"),
]


def test_no_private_value_is_found_anywhere_the_bot_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str],
                                                          own_logging: Callable[[Service], None]) -> None:
    from adapters.base import PlatformUnavailable
    from bot.cli import main
    from tests.helpers import environment

    service, network, out = _service(tmp_path, {"HOUSEBOT_LOG_LEVEL": "DEBUG"})
    own_logging(service)
    for index, (stream, name, text) in enumerate(IN_TEXT + IN_NAMES):
        network.post("demo", message(f"m{index}", text, stream=stream, name=name, handle=f"@person{index}"))
    echoed = IN_TEXT[0][2]  # a platform that fails and echoes the whole request back
    network.fail_next("reply", PlatformUnavailable(f"500 for POST /reply body={echoed!r}"))
    logging.getLogger("urllib3.connectionpool").debug("POST /reply body=%r", echoed)
    service.tick()
    for _ in range(6):  # past the back-off: the failed reply is sent
        service.clock.advance(minutes=16)  # type: ignore[attr-defined]
        service.tick()
    err = capsys.readouterr().err
    assert _statuses(service.settings.state_path) == ["handled"] * len(IN_TEXT + IN_NAMES)
    for key, value in environment(tmp_path, tmp_path / "housebot.toml").items():
        monkeypatch.setenv(key, value)
    assert main(["--env", str(tmp_path / ".env"), "log", "--csv", "--limit", "100"]) == 0
    export = capsys.readouterr().out
    assert export.count("\n") == len(IN_TEXT + IN_NAMES) + 1
    replies = "\n".join(a.text for a in network.activity if a.kind == "reply")
    places = {"stdout": out.getvalue(), "stderr (DEBUG)": err, "database": _database_text(service.settings.state_path),
              "CSV export": export, "replies": replies}
    found = [(value, place) for values in PRIVATE_VALUES.values() for value in values
             for place, text in places.items() if value in text or value.replace(" ", "") in text.replace(" ", "")]
    assert found == []
    assert "[nhs number]" in places["CSV export"] and "[email]" in places["database"]
    assert "event=fetched" in err and "event=unavailable" in err  # the log was on, the failure logged


def _statuses(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    statuses = [row[0] for row in db.execute("SELECT status FROM inbound ORDER BY id")]
    db.close()
    return statuses


def test_check_never_prints_a_token_the_platform_echoed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from adapters.sandbox import SandboxAdapter
    from tests.helpers import ORGANISATION
    from tests.test_config_errors import run_cli

    def failing_check(self: SandboxAdapter) -> None:
        raise RuntimeError(f"GET /me?access_token={TOKEN}&fields=id failed")

    monkeypatch.setattr(SandboxAdapter, "check", failing_check)
    code, out, err = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + ALWAYS_OPEN, "check")
    assert code == 1
    assert "demo: cannot reach sandbox: GET /me?access_token=***" in out
    assert TOKEN not in out + err


def test_an_auth_failure_echoing_a_message_is_shown_and_kept_redacted(tmp_path: Path) -> None:
    service, network, out = _service(tmp_path)
    network.fail_next("fetch", AuthFailed(f"bad token; request was: 'call me on {PHONE}'"))
    service.tick()
    assert "account paused" in out.getvalue() and "[phone]" in out.getvalue()
    assert PHONE not in out.getvalue() + _database_text(service.settings.state_path)


def test_a_rate_limit_wait_is_shown_in_local_time_with_its_zone(tmp_path: Path) -> None:
    from datetime import timedelta, timezone

    from adapters.base import RateLimited

    service, network, out = _service(tmp_path)
    reset = service.clock().astimezone(timezone.utc) + timedelta(minutes=15)  # 09:15 UTC is 10:15 in Leeds (BST)
    network.fail_next("fetch", RateLimited(reset))
    service.tick()
    assert "waiting until 10:15:00 BST" in out.getvalue()
