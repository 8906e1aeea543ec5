"""A console over a real sandbox bot: the service writes the state file, the console reads it
through its own connection (as `housebot run --console` does), and the test moves the clock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
from starlette.testclient import TestClient

from adapters import reply_limits
from adapters.sandbox import SandboxNetwork
from bot.pipeline import Engine, load_engine
from bot.service import Service, settings_values
from bot.store import Store, open_store
from bot.web.app import create_app
from bot.web.users import Role, add_user
from tests.helpers import ALWAYS_OPEN, Clock, message, sandbox_service, write_settings

PASSWORD = "correct horse battery"
SIGNING_KEY = "k" * 40
CONSOLE = """
[console]
urgent_review_minutes = 15
review_minutes = 240

[alerts]
console_url = "http://127.0.0.1:8080"
"""
# For the tests that show the console, its staff actions and the alerts outbox working on either
# backend: `console` then runs over a SQLite file and over a fresh PostgreSQL database.
on_both_backends = pytest.mark.parametrize("console", ["sqlite", "postgresql"], indirect=True)


@dataclass
class Console:
    service: Service
    network: SandboxNetwork
    store: Store
    clock: Clock
    client: TestClient

    def say(self, native_id: str, text: str, **fields: str) -> int:
        """A message arrives on the sandbox and the bot handles it; returns its row id."""
        self.clock.advance(seconds=61)  # past the account's poll interval, so this tick reads
        posted = self.network.post(self.service.settings.accounts[0].name, message(native_id, text, **fields),
                                   created_at=self.clock.now)
        self.service.tick()
        row = self.store.read("SELECT id FROM inbound WHERE native_id=?", (posted.native_id,))
        return int(row[0]["id"])

    def sign_in(self, name: str, password: str = PASSWORD) -> None:
        page = self.client.get("/login")
        response = self.client.post("/login", data={"name": name, "password": password, "csrf_token": token(page.text),
                                                     "next": "/inbox"}, follow_redirects=False)
        assert response.status_code == 303, response.text

    def form(self, path: str, data: dict[str, str], *, page: str = "/inbox", **kwargs: object):  # type: ignore[no-untyped-def]
        """POST a form with the CSRF token the page carries, as a browser would."""
        return self.client.post(path, data={**data, "csrf_token": token(self.client.get(page).text)},
                                follow_redirects=False, **kwargs)


def token(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The decision engine, read once: it is immutable data, and reading it takes seconds."""
    settings = write_settings(tmp_path_factory.mktemp("engine"), ALWAYS_OPEN)
    return load_engine(settings.policy_file, settings.moderation_dir, settings.responses_dir, teams=settings.teams,
                       limits=reply_limits(), values=settings_values(settings), values_file=str(settings.config_file))


@pytest.fixture
def console(tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch,
            request: pytest.FixtureRequest) -> Iterator[Console]:
    monkeypatch.setattr("bot.service.load_engine", lambda *args, **kwargs: engine)
    settings = write_settings(tmp_path, ALWAYS_OPEN + CONSOLE,
                              {"HOUSEBOT_CONSOLE_SECRET": "s" * 40, "HOUSEBOT_ALERT_SIGNING_KEY": SIGNING_KEY})
    if getattr(request, "param", "sqlite") == "postgresql":
        settings = replace(settings, state_url=request.getfixturevalue("postgres_url"))
    clock = Clock(datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc))
    network = SandboxNetwork(clock=clock)
    service, network, _ = sandbox_service(settings, clock, network)
    store = open_store(settings.state_location)
    for name, role in (("vera", Role.VIEWER), ("mo", Role.MODERATOR), ("ada", Role.ADMIN)):
        add_user(store, name, role, PASSWORD, clock.now)
    app = create_app(settings, store, clock=clock, engine=engine)
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        yield Console(service, network, store, clock, client)
    store.close()
    service.close()
