"""Console settings: the `[console]` table of the settings file, and its session key from `.env`.

Where the console listens, how long a session may sit idle, the review targets shown in the queue
and an optional reverse proxy's single sign-on header live in the settings file; the key that signs
session cookies lives in `.env` (`HOUSEBOT_CONSOLE_SECRET`). Without that key each start makes a
random one, so staff sign in again after a restart. Problems are `ConfigError`s naming file and key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from bot.errors import ConfigError

SECRET_ENV = "HOUSEBOT_CONSOLE_SECRET"
MIN_SECRET = 32


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # how staff reach it (https://... behind a proxy); "" = http://host:port
    idle_timeout: timedelta = timedelta(minutes=30)
    session_lifetime: timedelta = timedelta(hours=12)
    urgent_review_target: timedelta = timedelta(minutes=15)
    review_target: timedelta = timedelta(hours=4)
    sso_header: str = ""  # e.g. "X-Forwarded-User": trusted only from sso_proxies
    sso_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    secret: str = field(default="", repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return self.public_url or f"http://{host}:{self.port}"

    @property
    def https(self) -> bool:
        return self.url.startswith("https://")


def load_console_settings(data: Mapping[str, Any] | None, file: Path, env: Mapping[str, str],
                          env_file: Path) -> ConsoleSettings:
    """The `[console]` table (every key optional) and the session key."""
    from bot.settings import _Table

    if data is not None and not isinstance(data, dict):
        raise ConfigError(file, "console", "must be a table")
    table = _Table(data or {}, file, "console")
    table.only(("host", "port", "public_url", "idle_minutes", "session_hours", "urgent_review_minutes",
                "review_minutes", "sso_header", "sso_proxies"))
    port = int(table.number("port", 8080, 1))
    if port > 65535:
        raise table.error("port", f"must be at most 65535, not {port}")
    public_url = table.text("public_url", "").rstrip("/")
    if public_url and (urlsplit(public_url).scheme not in ("http", "https") or not urlsplit(public_url).netloc):
        raise table.error("public_url", f"{public_url!r} is not a link like https://housebot.example.nhs.uk")
    secret = env.get(SECRET_ENV, "").strip()
    if secret and len(secret) < MIN_SECRET:
        raise ConfigError(env_file, SECRET_ENV, f"must be at least {MIN_SECRET} characters: it signs staff sessions "
                          "(make one with: python -c \"import secrets; print(secrets.token_urlsafe(32))\")")
    sso_header = table.text("sso_header", "")
    if sso_header and not all(c.isalnum() or c == "-" for c in sso_header):
        raise table.error("sso_header", f"{sso_header!r} is not a header name like X-Forwarded-User")
    return ConsoleSettings(
        host=table.text("host", "127.0.0.1"),
        port=port,
        public_url=public_url,
        idle_timeout=timedelta(minutes=table.number("idle_minutes", 30, 1)),
        session_lifetime=timedelta(hours=table.number("session_hours", 12, 0.1)),
        urgent_review_target=timedelta(minutes=table.number("urgent_review_minutes", 15, 1)),
        review_target=timedelta(minutes=table.number("review_minutes", 240, 1)),
        sso_header=sso_header,
        sso_proxies=table.texts("sso_proxies", ("127.0.0.1", "::1")),
        secret=secret,
    )
