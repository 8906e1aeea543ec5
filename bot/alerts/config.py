"""Alert settings: the `[alerts]` table of the settings file, and the secrets it needs from `.env`.

Which channels each team hears on, when digests go out and who is told when nobody acknowledges
live in the settings file; the SMTP password, the link-signing key and every webhook URL (a
webhook URL is itself a credential) live in `.env`. Every problem is a `ConfigError` naming the
file and the key, found at start-up rather than at 3am when the first urgent alert is due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.hours import DAY_NAMES

CHANNEL_KINDS: tuple[str, ...] = ("email", "msteams", "slack", "webhook")
WEBHOOK_KINDS: tuple[str, ...] = ("msteams", "slack", "webhook")
ON_CALL = "on-call"  # the pseudo-team of an escalation that goes to an email address
SMTP_PASSWORD_ENV = "HOUSEBOT_SMTP_PASSWORD"
SIGNING_KEY_ENV = "HOUSEBOT_ALERT_SIGNING_KEY"
MIN_SIGNING_KEY = 32
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def webhook_env_name(team: str, kind: str) -> str:
    """Where a team's webhook URL is read from: team `patient_experience`, kind `msteams` ->
    HOUSEBOT_ALERT_PATIENT_EXPERIENCE_MSTEAMS_URL."""
    return f"HOUSEBOT_ALERT_{re.sub(r'[^A-Z0-9]', '_', team.upper())}_{kind.upper()}_URL"


@dataclass(frozen=True, slots=True)
class EmailServer:
    """An SMTP submission server: STARTTLS and login unless it is a local catcher on loopback."""

    host: str
    port: int
    sender: str
    username: str
    password: str = field(repr=False)
    starttls: bool = True
    ca_file: Path | None = None  # a private CA for an internal relay; the system's store otherwise
    timeout_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class TeamChannels:
    team: str
    channels: tuple[str, ...]
    urls: Mapping[str, str] = field(repr=False)  # webhook kind -> URL (a secret)
    escalate_to: str = ""  # a team key, an email address, or "" for repeats only


@dataclass(frozen=True, slots=True)
class AlertSettings:
    console_url: str  # the staff console: links to each message and to acknowledge
    acknowledge_after: timedelta
    max_repeats: int
    digest_times: tuple[time, ...]
    digest_days: frozenset[int]  # 0 = Monday; England bank holidays never have a digest
    system_team: str  # hears of paused accounts, failed actions and failing channels
    http_timeout_seconds: float
    email: EmailServer | None
    teams: Mapping[str, TeamChannels]
    signing_key: str = field(repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for the scrubber that keeps them out of logs and the terminal."""
        found = [self.signing_key] + [url for team in self.teams.values() for url in team.urls.values()]
        if self.email is not None:
            found.append(self.email.password)
        return tuple(value for value in found if value)


def _check_url(file: Path, key: str, value: str) -> str:
    """https:// everywhere; plain http only to this machine (a local catcher or a test server)."""
    parts = urlsplit(value)
    if not parts.hostname or parts.scheme not in ("http", "https") or (
            parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS):
        raise ConfigError(file, key, "is not an https:// link")
    return value


def _times(table: Any, file: Path, key: str) -> tuple[time, ...]:
    if not isinstance(table, list) or not all(isinstance(item, str) for item in table):
        raise ConfigError(file, key, "must be a list of local times like \"09:00\"")
    result = []
    for item in table:
        match = _TIME.match(item.strip())
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ConfigError(file, key, f"{item!r} is not a time like 09:00")
        result.append(time(int(match[1]), int(match[2])))
    return tuple(sorted(set(result)))


def _days(value: Any, file: Path, key: str) -> frozenset[int]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.lower() in DAY_NAMES for item in value):
        raise ConfigError(file, key, f"must be a list of day names: {', '.join(DAY_NAMES)}")
    return frozenset(DAY_NAMES.index(item.lower()) for item in value)


def _email_server(data: Mapping[str, Any], file: Path, env: Mapping[str, str], env_file: Path) -> EmailServer:
    from bot.settings import _Table

    table = _Table(data, file, "alerts.email")
    table.only(("host", "port", "sender", "username", "starttls", "ca_file", "timeout_seconds"))
    host = table.text("host")
    loopback = host in _LOOPBACK_HOSTS
    starttls = table.flag("starttls", True)
    if not starttls and not loopback:
        raise table.error("starttls", "may be false only for a local catcher on 127.0.0.1: mail leaves encrypted")
    sender = table.text("sender")
    if not _EMAIL.match(sender):
        raise table.error("sender", f"{sender!r} is not an email address")
    username = table.text("username", "")
    password = env.get(SMTP_PASSWORD_ENV, "").strip()
    if username and not password:
        raise ConfigError(env_file, SMTP_PASSWORD_ENV, f"missing: alerts.email.username {username!r} needs it")
    if not username and not loopback:
        raise table.error("username", "missing: a real SMTP server needs a login")
    ca_file = table.text("ca_file", "")
    if ca_file and not Path(ca_file).is_file():
        raise table.error("ca_file", f"{ca_file} is not a file")
    port = table.number("port", 587, 1)
    if port != int(port) or port > 65535:
        raise table.error("port", f"{port:g} is not a port number")
    return EmailServer(host=host, port=int(port), sender=sender, username=username, password=password,
                       starttls=starttls, ca_file=Path(ca_file) if ca_file else None,
                       timeout_seconds=table.number("timeout_seconds", 30, 0.01))


def load_alert_settings(data: Mapping[str, Any] | None, file: Path, team_emails: Mapping[str, str],
                        env: Mapping[str, str], env_file: Path) -> AlertSettings | None:
    """The `[alerts]` table (None when there is none: alerts are then printed and logged only)."""
    from bot.settings import _Table

    if data is None:
        return None
    if not isinstance(data, dict):
        raise ConfigError(file, "alerts", "must be a table")
    table = _Table(data, file, "alerts")
    table.only(("console_url", "acknowledge_minutes", "max_repeats", "digest_times", "digest_days", "system_team",
                "http_timeout_seconds", "email", "teams"))
    console_url = _check_url(file, "alerts.console_url", table.text("console_url")).rstrip("/")
    system_team = table.text("system_team", "comms" if "comms" in team_emails else next(iter(team_emails)))
    if system_team not in team_emails:
        raise table.error("system_team", f"unknown team {system_team!r}; teams: {', '.join(team_emails)}")
    email = _email_server(data["email"], file, env, env_file) if "email" in data else None
    teams_table = table.table("teams", required=False)
    teams: dict[str, TeamChannels] = {}
    for key in teams_table.data:
        if key not in team_emails:
            raise teams_table.error(key, f"unknown team {key!r}; teams: {', '.join(team_emails)}")
        team = teams_table.table(key)
        team.only(("channels", "escalate_to"))
        channels = team.texts("channels")
        for kind in channels:
            if kind not in CHANNEL_KINDS:
                raise team.error("channels", f"unknown channel {kind!r}; channels: {', '.join(CHANNEL_KINDS)}")
        if "email" in channels and email is None:
            raise team.error("channels", "email needs an [alerts.email] table (the SMTP server)")
        if "email" in channels and not team_emails[key]:
            raise team.error("channels", f"email needs an address: set teams.{key}.email")
        urls = {}
        for kind in channels:
            if kind in WEBHOOK_KINDS:
                name = webhook_env_name(key, kind)
                url = env.get(name, "").strip()
                if not url:
                    raise ConfigError(env_file, name, f"missing: team {key!r} has a {kind} channel")
                urls[kind] = _check_url(env_file, name, url)
        escalate_to = team.text("escalate_to", "")
        if escalate_to and escalate_to not in team_emails:
            if not _EMAIL.match(escalate_to):
                raise team.error("escalate_to", f"{escalate_to!r} is neither a team nor an email address")
            if email is None:
                raise team.error("escalate_to", "an email address needs an [alerts.email] table (the SMTP server)")
        if escalate_to == key:
            raise team.error("escalate_to", "must be another team or an on-call address")
        teams[key] = TeamChannels(team=key, channels=tuple(dict.fromkeys(channels)), urls=MappingProxyType(urls),
                                  escalate_to=escalate_to)
    signing_key = env.get(SIGNING_KEY_ENV, "").strip()
    if len(signing_key) < MIN_SIGNING_KEY:
        raise ConfigError(env_file, SIGNING_KEY_ENV, f"must be at least {MIN_SIGNING_KEY} characters: it signs "
                          "the acknowledge links (make one with: python -c \"import secrets; print(secrets.token_urlsafe(32))\")")
    return AlertSettings(
        console_url=console_url,
        acknowledge_after=timedelta(minutes=table.number("acknowledge_minutes", 15, 1)),
        max_repeats=int(table.number("max_repeats", 4, 0)),
        digest_times=_times(data.get("digest_times", ["09:00", "14:00"]), file, "alerts.digest_times"),
        digest_days=_days(data.get("digest_days", list(DAY_NAMES[:5])), file, "alerts.digest_days"),
        system_team=system_team,
        http_timeout_seconds=table.number("http_timeout_seconds", 10, 0.01),
        email=email,
        teams=MappingProxyType(teams),
        signing_key=signing_key,
    )
