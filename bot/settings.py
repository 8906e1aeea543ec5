"""Settings: deployment values and secrets from the environment and `.env`, the rest from TOML.

`.env` (python-dotenv) names the settings file and where state lives, and holds every secret.
The settings file holds what comms staff and ops may change: accounts, monitoring hours, contact
details, teams and topics. Every problem is a `ConfigError` naming the file and the key, so the
command line can print one line and exit 2.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from adapters import ADAPTER_APIS, ADAPTER_MODULES, adapter_module
from adapters.base import AccountConfig
from bot.errors import ConfigError
from bot.hours import MonitoringHours, parse_hours
from bot.model import Platform, Topic

if TYPE_CHECKING:
    from bot.alerts.config import AlertSettings
    from bot.web.config import ConsoleSettings

DEFAULT_ENV_FILE = Path(".env")
# Environment keys housebot reads for itself; each account's secrets come under its env_prefix.
ENV_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {
        "HOUSEBOT_CONFIG": "config/housebot.toml",
        "HOUSEBOT_POLICY": "config/policy.toml",
        "HOUSEBOT_MODERATION": "config/moderation",
        "HOUSEBOT_RESPONSES": "responses",
        "HOUSEBOT_STATE": "var/housebot.sqlite3",
        "HOUSEBOT_DATA_DIR": "state",
        "HOUSEBOT_LOG_LEVEL": "WARNING",
        "HOUSEBOT_LOG_FORMAT": "text",
        "HOUSEBOT_OPS_LISTEN": "127.0.0.1:9464",
    }
)
# The folder holding config/ and responses/ when housebot runs from its own checkout.
PROJECT_DIR = Path(__file__).resolve().parents[1]
# Defaults found in the project folder when the working folder has none, so `housebot eval`,
# `explain` and the other commands that need no account work from any folder.
PROJECT_DEFAULTS = frozenset({"HOUSEBOT_CONFIG", "HOUSEBOT_POLICY", "HOUSEBOT_MODERATION", "HOUSEBOT_RESPONSES"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    timezone: ZoneInfo
    complaints_url: str
    complaints_email: str
    appeals_email: str
    phone: str
    website: str
    other_channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BotSettings:
    poll_seconds: float
    closed_poll_seconds: float
    max_replies_per_author_per_hour: int
    repetition_window: timedelta
    bot_marker: str
    decide_budget_seconds: float = 2.0  # a message that takes longer to decide is held for a person
    lease_seconds: float = 30.0  # a worker's lease on an account, unrenewed this long, passes to another worker


@dataclass(frozen=True, slots=True)
class Retention:
    """How long personal data is kept (UK GDPR storage limitation); the daily purge applies it.

    Message text, handles and display names go first; the decision (category, rule, actions, the
    author's platform id for strikes) later; the record of what staff did (erasures among it) last.
    """

    message_text: timedelta = timedelta(days=30)
    decisions: timedelta = timedelta(days=365)
    staff_audit: timedelta = timedelta(days=6 * 365)


@dataclass(frozen=True, slots=True)
class Team:
    key: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class AccountSettings:
    name: str
    platform: Platform
    handle: str
    display_name: str
    safety_screen: bool
    online_notice: bool
    hours: MonitoringHours
    env_prefix: str
    options: Mapping[str, object]
    poll_seconds: float | None = None  # overrides [bot] poll_seconds for this account
    api: str = ""  # which of the type's APIs (ADAPTER_APIS), "" for a type that has one


@dataclass(frozen=True, slots=True)
class Settings:
    config_file: Path
    env_file: Path | None
    state_path: Path
    policy_file: Path
    moderation_dir: Path
    responses_dir: Path
    log_level: str
    organisation: Organisation
    bot: BotSettings
    teams: Mapping[str, Team]
    topics: tuple[Topic, ...]
    accounts: tuple[AccountSettings, ...]
    secrets: Mapping[str, Mapping[str, str]] = field(repr=False)
    alerts: AlertSettings | None = field(default=None, repr=False)  # None: alerts are printed and logged only
    log_format: str = "text"
    ops_address: tuple[str, int] | None = None  # where /healthz, /readyz and /metrics listen; None: off
    retention: Retention = field(default_factory=Retention)
    console: ConsoleSettings | None = field(default=None, repr=False)  # the staff web console's [console] table
    worker: str = ""  # HOUSEBOT_WORKER: this worker's name among those sharing the state ("": host:pid)
    # HOUSEBOT_STATE as a postgresql:// URL ("" for a SQLite file); its password is never shown.
    # Then `state_path` is a name in HOUSEBOT_DATA_DIR, the folder of per-account files and the run lock.
    state_url: str = field(default="", repr=False)

    @property
    def state_location(self) -> str | Path:
        """What `open_store` opens: the PostgreSQL URL, or the SQLite file."""
        return self.state_url or self.state_path

    @property
    def official_handles(self) -> frozenset[str]:
        return frozenset(a.handle.lower() for a in self.accounts)

    def account_config(self, account: AccountSettings) -> AccountConfig:
        """What the account's adapter is built from."""
        return AccountConfig(
            name=account.name,
            platform=account.platform,
            handle=account.handle,
            options=account.options,
            secrets=self.secrets.get(account.name, {}),
            state_dir=self.state_path.parent / "accounts" / account.name,
            official_handles=self.official_handles,
            settings_file=self.config_file,
            settings_key=f"accounts[{self.accounts.index(account)}]",
        )


class _Table:
    """Typed reads from one TOML table, each error naming the file and the full key."""

    def __init__(self, data: Mapping[str, Any], file: Path, prefix: str) -> None:
        self.data, self.file, self.prefix = data, file, prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def error(self, name: str, problem: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), problem)

    def _get(self, name: str, kind: type | tuple[type, ...], default: Any, what: str) -> Any:
        if name not in self.data:
            if default is _REQUIRED:
                raise self.error(name, "missing")
            return default
        value = self.data[name]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.error(name, f"must be {what}, not {value!r}")
        if not isinstance(value, kind):
            raise self.error(name, f"must be {what}, not {value!r}")
        return value

    def text(self, name: str, default: Any = None) -> str:
        value = self._get(name, str, _REQUIRED if default is None else default, "text")
        if default is None and not value.strip():
            raise self.error(name, "must not be empty")
        return value

    def number(self, name: str, default: float, minimum: float) -> float:
        value = float(self._get(name, (int, float), default, "a number"))
        if value < minimum:
            raise self.error(name, f"must be at least {minimum:g}, not {value:g}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        return bool(self._get(name, bool, default, "true or false"))

    def texts(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._get(name, list, list(default), "a list of texts")
        if not all(isinstance(item, str) for item in value):
            raise self.error(name, "must be a list of texts")
        return tuple(value)

    def table(self, name: str, required: bool = True) -> "_Table":
        value = self._get(name, dict, _REQUIRED if required else {}, "a table")
        return _Table(value, self.file, self.key(name))

    def only(self, known: tuple[str, ...]) -> None:
        for name in self.data:
            if name not in known:
                raise self.error(name, f"unknown key; known keys: {', '.join(known)}")


_REQUIRED = object()


def _email(table: _Table, name: str, default: Any = None) -> str:
    value = table.text(name, default)
    if value and not _EMAIL.match(value):
        raise table.error(name, f"{value!r} is not an email address")
    return value


def _url(table: _Table, name: str) -> str:
    value = table.text(name)
    if not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", value):
        raise table.error(name, f"{value!r} is not an https:// link")
    return value


def _organisation(root: _Table) -> Organisation:
    org = root.table("organisation")
    org.only(("name", "timezone", "complaints_url", "complaints_email", "appeals_email", "phone",
              "website", "other_channels"))
    zone_name = org.text("timezone", "Europe/London")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise org.error("timezone", f"{zone_name!r} is not a time zone name like Europe/London") from None
    return Organisation(
        name=org.text("name"),
        timezone=zone,
        complaints_url=_url(org, "complaints_url"),
        complaints_email=_email(org, "complaints_email"),
        appeals_email=_email(org, "appeals_email"),
        phone=org.text("phone"),
        website=_url(org, "website"),
        other_channels=org.texts("other_channels"),
    )


def _bot(root: _Table) -> BotSettings:
    bot = root.table("bot", required=False)
    bot.only(("poll_seconds", "closed_poll_seconds", "max_replies_per_author_per_hour",
              "repetition_window_hours", "bot_marker", "decide_budget_seconds",
              "lease_seconds"))
    return BotSettings(
        poll_seconds=bot.number("poll_seconds", 60, 0.01),
        closed_poll_seconds=bot.number("closed_poll_seconds", 300, 0.01),
        max_replies_per_author_per_hour=int(bot.number("max_replies_per_author_per_hour", 3, 1)),
        repetition_window=timedelta(hours=bot.number("repetition_window_hours", 24, 0.1)),
        bot_marker=bot.text("bot_marker", ""),
        decide_budget_seconds=bot.number("decide_budget_seconds", 2.0, 0.01),
        lease_seconds=bot.number("lease_seconds", 30, 1),
    )


def _teams(root: _Table) -> dict[str, Team]:
    teams = root.table("teams")
    result = {}
    for key in teams.data:
        team = teams.table(key)
        team.only(("name", "email"))
        result[key] = Team(key=key, name=team.text("name"), email=_email(team, "email"))
    if not result:
        raise teams.error("", "at least one team is needed")
    return result


def _topics(root: _Table, teams: Mapping[str, Team]) -> tuple[Topic, ...]:
    topics = root.table("topics", required=False)
    result = []
    for key in topics.data:
        topic = topics.table(key)
        topic.only(("team", "keywords"))
        team = topic.text("team")
        if team not in teams:
            raise topic.error("team", f"unknown team {team!r}; teams: {', '.join(teams)}")
        keywords = topic.texts("keywords")
        if not keywords:
            raise topic.error("keywords", "must list at least one keyword")
        result.append(Topic(key=key, team=team, keywords=tuple(k.lower() for k in keywords)))
    return tuple(result)


def _retention(root: _Table) -> Retention:
    """Days each kind of data is kept; text cannot outlive the decision it belongs to, nor a
    decision the audit of what staff did about it."""
    table = root.table("retention", required=False)
    table.only(("message_text_days", "decisions_days", "staff_audit_days"))
    text = table.number("message_text_days", 30, 1)
    decisions = table.number("decisions_days", 365, 1)
    audit = table.number("staff_audit_days", 6 * 365, 1)
    if decisions < text:
        raise table.error("decisions_days", f"must be at least message_text_days ({text:g}), not {decisions:g}")
    if audit < decisions:
        raise table.error("staff_audit_days", f"must be at least decisions_days ({decisions:g}), not {audit:g}")
    return Retention(message_text=timedelta(days=text), decisions=timedelta(days=decisions),
                     staff_audit=timedelta(days=audit))


def _ops_address(value: str, where: Path) -> tuple[str, int] | None:
    """`off`, or host:port for the health and metrics endpoints (`[::1]:9464` for IPv6; port 0: any
    free port, printed at start)."""
    if value.lower() == "off":
        return None
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(where, "HOUSEBOT_OPS_LISTEN", f"{value!r} is not like 127.0.0.1:9464 or off")
    return host, int(port)


ACCOUNT_KEYS = ("name", "type", "api", "handle", "display_name", "safety_screen", "online_notice", "env_prefix",
                "poll_seconds", "hours", "options")


def _accounts(root: _Table, zone: ZoneInfo) -> tuple[AccountSettings, ...]:
    raw = root.data.get("accounts")
    if not isinstance(raw, list) or not raw:
        raise root.error("accounts", "missing: add at least one [[accounts]] table")
    result: list[AccountSettings] = []
    for index, item in enumerate(raw):
        account = _Table(item if isinstance(item, dict) else {}, root.file, f"accounts[{index}]")
        account.only(ACCOUNT_KEYS)
        name = account.text("name")
        if not _ACCOUNT_NAME.match(name):
            raise account.error("name", f"{name!r} must be lower-case letters, digits, - or _")
        if any(a.name == name for a in result):
            raise account.error("name", f"{name!r} is used by another account")
        kind = account.text("type")
        if kind not in ADAPTER_MODULES:
            raise account.error("type", f"unknown account type {kind!r}; known types: {', '.join(ADAPTER_MODULES)}")
        apis = tuple(ADAPTER_APIS.get(kind, {}))
        api = account.text("api", apis[0]) if apis else ""
        if not apis and "api" in account.data:
            raise account.error("api", f"type {kind!r} has only one API: remove this key")
        if apis and api not in apis:
            raise account.error("api", f"unknown API {api!r} for type {kind!r}; known: {', '.join(apis)}")
        hours = parse_hours(account.table("hours").data, zone, str(root.file), account.key("hours"))
        result.append(
            AccountSettings(
                name=name,
                platform=Platform(kind),
                handle=account.text("handle"),
                display_name=account.text("display_name", name),
                safety_screen=account.flag("safety_screen", True),
                online_notice=account.flag("online_notice", False),
                hours=hours,
                env_prefix=account.text("env_prefix", re.sub(r"[^A-Z0-9]", "_", name.upper())),
                options=MappingProxyType(account.table("options", required=False).data),
                poll_seconds=account.number("poll_seconds", 0, 0) or None,
                api=api,
            )
        )
    return tuple(result)


def _secrets(accounts: tuple[AccountSettings, ...], env: Mapping[str, str], env_file: Path | None) -> dict[str, Mapping[str, str]]:
    """Each account's secrets, read under its prefix. Every missing one is named at once, by the
    variable a person sets (LEEDS_X_API_KEY, not API_KEY), with the file it was looked for in."""
    result: dict[str, Mapping[str, str]] = {}
    missing: list[str] = []
    needing: list[str] = []
    for account in accounts:
        module = adapter_module(account.platform.value, account.api)

        def value(name: str, prefix: str = account.env_prefix) -> str:
            return env.get(f"{prefix}_{name}", "").strip()

        lacking = [f"{account.env_prefix}_{name}" for name in module.REQUIRED_ENV if not value(name)]
        groups: tuple[tuple[str, ...], ...] = getattr(module, "ENV_ALTERNATIVES", ())
        if groups and not any(all(value(name) for name in group) for group in groups):
            begun = next((group for group in groups if any(value(name) for name in group)), None)
            if begun is not None:  # one way was started: name what it still needs
                lacking += [f"{account.env_prefix}_{name}" for name in begun if not value(name)]
            else:
                lacking.append(" or ".join(", ".join(f"{account.env_prefix}_{name}" for name in group) for group in groups))
        if lacking:
            missing += lacking
            # Naming the API says why an instagrapi login is not enough now the official API is the default.
            needing.append(f"{account.name!r} ({account.platform.value}" + (f", api = {account.api!r}" if account.api else "") + ")")
        result[account.name] = MappingProxyType(
            {name: value(name) for name in (*module.REQUIRED_ENV, *module.OPTIONAL_ENV) if value(name)})
    if missing:
        where = env_file if env_file is not None else Path("(environment)")
        who = f"account {needing[0]} needs" if len(needing) == 1 else f"accounts {', '.join(needing)} need"
        raise ConfigError(where, "; ".join(missing), f"missing: {who} them")
    return result


def read_environment(environ: Mapping[str, str], env_file: Path | None) -> tuple[dict[str, str], Path | None]:
    """The process environment over `.env` (the real environment wins, as python-dotenv does)."""
    path = env_file if env_file is not None else (DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.exists() else None)
    values: dict[str, str] = {}
    if path is not None:
        if not path.exists():
            raise ConfigError(path, "(file)", "not found")
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(environ)
    return values, path


def env_path(env: Mapping[str, str], key: str) -> Path:
    """The path a HOUSEBOT_* variable names, or its default: in the working folder if it is there,
    else in the project folder."""
    given = env.get(key, "").strip()
    if given:
        return Path(given)
    default = Path(ENV_DEFAULTS[key])
    if key in PROJECT_DEFAULTS and not default.exists() and (PROJECT_DIR / default).exists():
        return PROJECT_DIR / default
    return default


def _state_url(env: Mapping[str, str]) -> str:
    given = env.get("HOUSEBOT_STATE", "").strip()
    return given if given.startswith(("postgresql://", "postgres://")) else ""


def _state_path(env: Mapping[str, str]) -> Path:
    """The SQLite file; with the state in PostgreSQL, a name in the data folder (per-account files
    such as sessions live beside it, under accounts/, as they do beside a SQLite file)."""
    if _state_url(env):
        return env_path(env, "HOUSEBOT_DATA_DIR") / "postgresql"
    return env_path(env, "HOUSEBOT_STATE")


def load_settings(environ: Mapping[str, str], env_file: Path | None = None) -> Settings:
    """Read `.env` and the settings file it names; raise ConfigError on the first problem."""
    from bot.alerts.config import load_alert_settings  # it reads tables with this module's helpers
    from bot.web.config import load_console_settings

    env, env_path_found = read_environment(environ, env_file)
    where = env_path_found if env_path_found is not None else Path("(environment)")

    def env_value(key: str) -> str:
        return env.get(key, "").strip() or ENV_DEFAULTS[key]

    log_level = env_value("HOUSEBOT_LOG_LEVEL").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(where, "HOUSEBOT_LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}")
    log_format = env_value("HOUSEBOT_LOG_FORMAT").lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(where, "HOUSEBOT_LOG_FORMAT", f"must be one of {', '.join(LOG_FORMATS)}")
    ops_address = _ops_address(env_value("HOUSEBOT_OPS_LISTEN"), where)
    config_file = env_path(env, "HOUSEBOT_CONFIG")
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(where, "HOUSEBOT_CONFIG", f"settings file {config_file} not found") from None
    except tomllib.TOMLDecodeError as problem:
        raise ConfigError(config_file, "(syntax)", str(problem)) from None
    except UnicodeDecodeError:
        raise ConfigError(config_file, "(file)", "is not UTF-8 text") from None

    root = _Table(data, config_file, "")
    root.only(("organisation", "bot", "teams", "topics", "accounts", "alerts", "retention", "console"))
    organisation = _organisation(root)
    teams = _teams(root)
    accounts = _accounts(root, organisation.timezone)
    return Settings(
        config_file=config_file,
        env_file=env_path_found,
        state_path=_state_path(env),
        state_url=_state_url(env),
        policy_file=env_path(env, "HOUSEBOT_POLICY"),
        moderation_dir=env_path(env, "HOUSEBOT_MODERATION"),
        responses_dir=env_path(env, "HOUSEBOT_RESPONSES"),
        log_level=log_level,
        organisation=organisation,
        bot=_bot(root),
        teams=MappingProxyType(teams),
        topics=_topics(root, teams),
        accounts=accounts,
        secrets=MappingProxyType(_secrets(accounts, env, env_path_found)),
        alerts=load_alert_settings(data.get("alerts"), config_file, {k: t.email for k, t in teams.items()}, env, where),
        log_format=log_format,
        ops_address=ops_address,
        retention=_retention(root),
        console=load_console_settings(data.get("console"), config_file, env, where),
        worker=env.get("HOUSEBOT_WORKER", "").strip(),
    )
