"""Builders shared by the tests: settings files in tmp_path, a clock that travels, a staff edit that is refused."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.sandbox import SandboxAdapter, SandboxNetwork, ScenarioMessage
from bot.errors import ConfigError
from bot.moderation import load_moderation_data
from bot.policy import load_policy
from bot.replies import TEMPLATE_NAMES
from bot.service import Service
from bot.settings import Settings, load_settings
from bot.store import Store

REPO = Path(__file__).resolve().parents[1]
MODERATION_CONFIG = REPO / "config" / "moderation"
LONDON = ZoneInfo("Europe/London")
POLICY_TEAMS = ("comms", "safeguarding", "patient_experience", "immunisation", "security")
# The shipped policy's score from which the spam model is sure of an advert (`primary_category` reads it).
SURE_ADVERT = load_policy(REPO / "config" / "policy.toml", teams=POLICY_TEAMS, templates=TEMPLATE_NAMES).sure_advert

ORGANISATION = """
[organisation]
name = "NHS Leeds"
timezone = "Europe/London"
complaints_url = "https://www.example.nhs.uk/complaints"
complaints_email = "complaints@example.nhs.uk"
appeals_email = "comms@example.nhs.uk"
phone = "0113 000 0000"
website = "https://www.example.nhs.uk"
other_channels = ["phone 0113 000 0000"]

[bot]
poll_seconds = 60
closed_poll_seconds = 600
max_replies_per_author_per_hour = 3

[teams.comms]
name = "Communications team"
email = "comms@example.nhs.uk"
[teams.safeguarding]
name = "Safeguarding team"
email = "safeguarding@example.nhs.uk"
[teams.patient_experience]
name = "Patient Experience team"
email = "pals@example.nhs.uk"
[teams.immunisation]
name = "Immunisation team"
email = "jabs@example.nhs.uk"
[teams.security]
name = "Security team"
email = "security@example.nhs.uk"

[topics.vaccination]
team = "immunisation"
keywords = ["flu jab", "vaccine", "booster"]
"""

# Hours tables, for any account's settings: Mon-Fri 09:00-17:00 closed on bank holidays; round the clock.
OFFICE_HOURS_TABLE = """
[accounts.hours]
monday = ["09:00-17:00"]
tuesday = ["09:00-17:00"]
wednesday = ["09:00-17:00"]
thursday = ["09:00-17:00"]
friday = ["09:00-17:00"]
bank_holidays = "closed"
"""
ALWAYS_OPEN_TABLE = """
[accounts.hours]
monday = ["00:00-24:00"]
tuesday = ["00:00-24:00"]
wednesday = ["00:00-24:00"]
thursday = ["00:00-24:00"]
friday = ["00:00-24:00"]
saturday = ["00:00-24:00"]
sunday = ["00:00-24:00"]
bank_holidays = "open"
"""

OFFICE_HOURS = """
[[accounts]]
name = "demo"
type = "sandbox"
handle = "@NHSLeedsDemo"
safety_screen = {safety_screen}
""" + OFFICE_HOURS_TABLE

ALWAYS_OPEN = """
[[accounts]]
name = "demo"
type = "sandbox"
handle = "@NHSLeedsDemo"
display_name = "NHS Leeds (sandbox)"
""" + ALWAYS_OPEN_TABLE


def environment(tmp_path: Path, config: Path) -> dict[str, str]:
    return {
        "HOUSEBOT_CONFIG": str(config),
        "HOUSEBOT_POLICY": str(REPO / "config" / "policy.toml"),
        "HOUSEBOT_MODERATION": str(REPO / "config" / "moderation"),
        "HOUSEBOT_RESPONSES": str(REPO / "responses"),
        "HOUSEBOT_STATE": str(tmp_path / "state" / "housebot.sqlite3"),
        "HOUSEBOT_OPS_LISTEN": "127.0.0.1:0",  # any free port: tests running at once never collide
    }


def write_settings(tmp_path: Path, accounts: str, extra_env: dict[str, str] | None = None) -> Settings:
    config = tmp_path / "housebot.toml"
    config.write_text(ORGANISATION + accounts, encoding="utf-8")
    env_file = tmp_path / ".env"  # an empty one: tests never read a developer's own .env
    env_file.touch()
    return load_settings({**environment(tmp_path, config), **(extra_env or {})}, env_file)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def run_until(service: Service, clock: Clock, until: datetime) -> None:
    """What the scheduler does, without its thread or wall time: tick every account at the
    service's own poll interval of the clock's time until `until`, then once more at `until`."""
    step = min(service.poll_interval(account) for account in service.settings.accounts)
    while clock.now < until:
        service.tick()
        clock.now = min(clock.now + step, until)
    service.tick()


def sandbox_service(settings: Settings, clock: Clock, network: SandboxNetwork | None = None,
                    store: Store | None = None) -> tuple[Service, SandboxNetwork, io.StringIO]:
    """A service whose one account lives on a sandbox network the test controls."""
    network = network if network is not None else SandboxNetwork(clock=clock)
    account = settings.accounts[0]
    adapter = SandboxAdapter(settings.account_config(account), network)
    out = io.StringIO()
    return Service(settings, clock=clock, adapters={account.name: adapter}, store=store, out=out), network, out


def message(id: str, text: str, *, stream: str = "comments", handle: str = "@member", name: str = "A Member",
            reply_to_own: bool = True) -> ScenarioMessage:
    return ScenarioMessage(id=id, stream=stream, handle=handle, name=name, text=text, reply_to_own=reply_to_own)


def refused_moderation_edit(tmp_path: Path, file: str, old: str, new: str) -> ConfigError:
    """Copy config/moderation, make one staff edit (`old` must be there) and return why start-up refuses it."""
    config = tmp_path / "moderation"
    shutil.copytree(MODERATION_CONFIG, config)
    path = config / file
    source = path.read_text(encoding="utf-8")
    assert old in source
    path.write_text(source.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_moderation_data(config)
    assert caught.value.file.endswith(file)
    return caught.value
