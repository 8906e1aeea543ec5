"""Every settings value has its type checked, and missing secrets are named as a person sets them
(issue 13, items 6 and 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.policy import load_policy
from bot.replies import TEMPLATE_NAMES
from tests.helpers import ALWAYS_OPEN, ORGANISATION, REPO
from tests.test_config_errors import run_cli

POLICY = (REPO / "config" / "policy.toml").read_text(encoding="utf-8")
TEAMS = ("comms", "safeguarding", "patient_experience", "immunisation", "security")


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    file = tmp_path / "policy.toml"
    file.write_text(text, encoding="utf-8")
    return load_policy(file, teams=TEAMS, templates=TEMPLATE_NAMES)


@pytest.mark.parametrize("old, new, key", [
    ("dry_run = false", 'dry_run = "no"', "dry_run"),
    ("auto_block = false", 'auto_block = "false"', "auto_block"),
    ('review_team = "comms"', "review_team = 1", "review_team"),
    ('exempt_handles = ["@LeedsCC"', 'exempt_handles = [1, "@LeedsCC"', "exempt_handles"),
    ("priority = 100", 'priority = "100"', "rules[0].priority"),
    ("min_score = 0.5", 'min_score = "0.5"', "min_score"),
    ("strike = true", 'strike = "yes"', "strike"),
    ('category = "safeguarding"', "category = true", "rules[0].category"),
    ('urgency = "urgent"', "urgency = 1", "urgency"),
    ('channel = "same"', "channel = false", "channel"),
])
def test_a_value_of_the_wrong_type_is_refused_with_its_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in POLICY
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, POLICY.replace(old, new, 1))
    assert key in error.value.key
    assert str(tmp_path / "policy.toml") in str(error.value)


def test_the_shipped_policy_still_loads(tmp_path: Path) -> None:
    policy = _load(tmp_path, POLICY)
    assert policy.dry_run is False and policy.auto_block is False


def test_a_quoted_false_never_lets_a_block_rung_pass(tmp_path: Path) -> None:
    text = POLICY.replace("auto_block = false", 'auto_block = "false"').replace(
        "[[rules]]", '[[ladder]]\nstrikes = 3\nactions = [{ kind = "block" }]\n\n[[rules]]', 1)
    with pytest.raises(ConfigError, match="auto_block: must be true or false"):
        _load(tmp_path, text)


X_ACCOUNT = ALWAYS_OPEN.replace('name = "demo"', 'name = "leeds-x"').replace('type = "sandbox"', 'type = "x"')
FACEBOOK_ACCOUNT = ALWAYS_OPEN.replace('name = "demo"', 'name = "leeds-fb"').replace(
    'type = "sandbox"', 'type = "facebook"').replace("@NHSLeedsDemo", "@NHSLeedsFb")


def test_every_missing_secret_is_named_at_once_by_its_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + X_ACCOUNT + FACEBOOK_ACCOUNT, "hours")
    assert code == 2 and out == ""
    line, = err.strip().splitlines()
    for variable in ("LEEDS_X_API_KEY", "LEEDS_X_ACCESS_TOKEN_SECRET", "LEEDS_X_USER_ACCESS_TOKEN",
                     "LEEDS_FB_PAGE_ACCESS_TOKEN", "LEEDS_FB_PAGE_ID"):
        assert variable in line
    assert ": API_KEY" not in line
    assert str(tmp_path / ".env") in line


def test_a_half_set_oauth_names_only_what_it_still_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(tmp_path, monkeypatch, capsys, ORGANISATION + X_ACCOUNT, "hours",
                           extra_env={"LEEDS_X_API_KEY": "k" * 20, "LEEDS_X_API_SECRET": "s" * 20})
    assert code == 2
    assert "LEEDS_X_ACCESS_TOKEN; LEEDS_X_ACCESS_TOKEN_SECRET: missing: account 'leeds-x' (x) needs them" in err
    assert "k" * 20 not in err


@pytest.mark.parametrize("old, new, key", [
    ('handle = "@NHSLeedsDemo"', 'handle = "@NHSLeedsDemo"\nsafety_screen = "false"', "accounts[0].safety_screen"),
    ("poll_seconds = 60", 'poll_seconds = "60"', "bot.poll_seconds"),
    ('name = "NHS Leeds"', "name = 7", "organisation.name"),
])
def test_the_settings_file_checks_types_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str], old: str, new: str, key: str) -> None:
    settings = ORGANISATION + ALWAYS_OPEN
    assert old in settings
    code, out, err = run_cli(tmp_path, monkeypatch, capsys, settings.replace(old, new, 1), "hours")
    assert code == 2 and out == ""
    line, = err.strip().splitlines()
    assert f"housebot.toml: {key}: must be" in line
