"""Stop the bot abruptly between an action's planned and done records, restart it, and check that
every message is handled exactly once and nobody gets a second reply."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from adapters.sandbox import SandboxAdapter, SandboxNetwork, load_scenario
from bot.model import Channel, Inbound
from bot.service import Service
from bot.settings import Settings
from bot.store import open_store
from tests.helpers import ALWAYS_OPEN, LONDON, Clock, write_settings


class Crash(BaseException):
    """The process dies: nothing after this line runs, and nothing catches it."""


class CrashingSandbox(SandboxAdapter):
    """The sandbox platform, but the bot's process dies around the Nth reply."""

    def __init__(self, *args: object, crash_at: int, after_send: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.crash_at, self.after_send, self.calls = crash_at, after_send, 0

    def reply(self, inbound: Inbound, text: str, channel: Channel) -> str:
        self.calls += 1
        if self.calls == self.crash_at and not self.after_send:
            raise Crash
        reply_id = super().reply(inbound, text, channel)
        if self.calls == self.crash_at:
            raise Crash  # sent, but the bot never recorded it
        return reply_id


@pytest.mark.parametrize("after_send", [pytest.param(True, id="crash-after-sending"),
                                        pytest.param(False, id="crash-before-sending")])
def test_restart_handles_every_message_exactly_once(tmp_path: Path, after_send: bool, store_location: str) -> None:
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    if store_location.startswith("postgresql://"):  # the same crash and recovery with the state on PostgreSQL
        settings = replace(settings, state_url=store_location)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    config = settings.account_config(settings.accounts[0])
    scenario = load_scenario()
    first = CrashingSandbox(config, network=SandboxNetwork(clock=clock), scenario=scenario, crash_at=12, after_send=after_send)
    service = Service(settings, clock=clock, adapters={"demo": first}, out=io.StringIO())
    with pytest.raises(Crash):
        for _ in range(3):
            service.tick()
    handled_before = sum(1 for row in _statuses(settings) if row == "handled")
    assert 0 < handled_before < len(scenario)

    # A new process: a new store on the same file, a new adapter on the same (surviving) platform.
    second = SandboxAdapter(config, network=first.network)
    restarted = Service(settings, clock=clock, adapters={"demo": second}, store=open_store(settings.state_location),
                        out=io.StringIO())
    for _ in range(3):
        clock.advance(minutes=1)
        restarted.tick()

    replies = Counter(a.target for a in first.network.activity if a.kind == "reply")
    assert replies and max(replies.values()) == 1, [t for t, n in replies.items() if n > 1]
    statuses = _statuses(settings)
    assert len(statuses) == len(scenario)
    assert set(statuses) == {"handled"}
    assert restarted.store.pending("demo") == []
    hides = Counter(a.target for a in first.network.activity if a.kind == "hide")
    assert max(hides.values()) == 1
    restarted.close()


def _statuses(settings: Settings) -> list[str]:
    looking = open_store(settings.state_location, read_only=True)  # another process's view
    try:
        return [row[0] for row in looking.read("SELECT status FROM inbound")]
    finally:
        looking.close()

