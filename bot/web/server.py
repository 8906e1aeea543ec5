"""Serving the console: alone (`housebot console`) or beside the bot (`housebot run --console`).

Beside the bot, uvicorn runs in its own thread with its own store connection (SQLite in WAL mode
lets the two work side by side), and the accounts page also shows what only the running service
knows: its back-off, circuit breaker and rate-limit waits.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime
from typing import Callable, Mapping

import uvicorn

from adapters import reply_limits
from bot.errors import ConfigError
from bot.model import Platform
from bot.pipeline import Engine, load_engine
from bot.settings import Settings
from bot.store import Store, open_store
from bot.web.app import LiveAccount, create_app
from bot.web.config import ConsoleSettings
from bot.web.users import Role, add_user, set_password

DEMO_USER = "demo"
START_TIMEOUT = 10.0  # seconds for uvicorn to bind its port before `run --console` gives up


def console_settings(settings: Settings) -> ConsoleSettings:
    return settings.console or ConsoleSettings()


def live_accounts(service: object, clock: Callable[[], datetime]) -> Callable[[], Mapping[str, LiveAccount]]:
    """What the running service knows of each account (read from its thread: plain values only)."""
    from bot.service import BREAKER_THRESHOLD, Service

    assert isinstance(service, Service)

    def read() -> dict[str, LiveAccount]:
        now = clock()
        known = {}
        for name, health in list(service.health.items()):
            waits = [until for until in list(health.wait_until.values()) if until > now]
            reads = list(health.last_read.values())
            failures = max(list(health.failures.values()), default=0)  # the worst stream's run (or "*")
            known[name] = LiveAccount(last_read=max(reads) if reads else None, failures=failures,
                                      breaker_open=failures >= BREAKER_THRESHOLD,
                                      waiting_until=max(waits) if waits else None)
        return known

    return read


def sandbox_demo_user(settings: Settings, store: Store, now: datetime) -> str | None:
    """When every account is a sandbox, a `demo` admin with a new random password at each start
    (returned to be printed), so `make run` can be tried at once. Never with a real account."""
    if any(a.platform is not Platform.SANDBOX for a in settings.accounts):
        return None
    password = secrets.token_urlsafe(12)
    if not set_password(store, DEMO_USER, password):
        add_user(store, DEMO_USER, Role.ADMIN, password, now)
    return password


class ConsoleServer:
    """uvicorn in a daemon thread; `stop` asks it to finish and waits a little."""

    def __init__(self, settings: Settings, engine: Engine, clock: Callable[[], datetime],
                 live: Callable[[], Mapping[str, LiveAccount]] | None = None) -> None:
        self.config = console_settings(settings)
        self.store = open_store(settings.state_location)
        app = create_app(settings, self.store, clock=clock, engine=engine, live=live)
        self.server = uvicorn.Server(uvicorn.Config(app, host=self.config.host, port=self.config.port,
                                                    log_level="warning", access_log=False, lifespan="off"))
        self.file = settings.config_file
        self.thread = threading.Thread(target=self.server.run, name="console", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(self.file, "console.port", f"the console cannot listen on {self.config.host}:"
                                  f"{self.config.port} (in use by another program?): choose another port")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.store.close()


def console_engine(settings: Settings) -> Engine:
    """The decision engine the message page's findings view runs (`housebot console` alone)."""
    from bot.service import settings_values

    return load_engine(settings.policy_file, settings.moderation_dir, settings.responses_dir, teams=settings.teams,
                       limits=reply_limits(), values=settings_values(settings), values_file=str(settings.config_file))
