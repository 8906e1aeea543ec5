"""How soon the bot reads again: after a short outage, and on its configured cadence.
Tests drive the injected clock in the scheduler's steps and call `tick`; none waits on wall time."""

from __future__ import annotations

import io
import random
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from adapters.base import PlatformUnavailable
from adapters.sandbox import SandboxAdapter, SandboxNetwork
from bot.service import Service
from tests.helpers import ALWAYS_OPEN, LONDON, Clock, message, write_settings

QUESTION = "What time does the walk-in centre open on Saturday?"
SCHEDULER_STEP = timedelta(seconds=1)  # how often the scheduler wakes the account's job


def sandbox_account(tmp_path: Path, poll_seconds: float = 60) -> tuple[Service, Clock, SandboxNetwork]:
    """A one-account, always-open service on a sandbox network, polling at `poll_seconds`."""
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    settings = replace(settings, bot=replace(settings.bot, poll_seconds=poll_seconds))
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    network = SandboxNetwork(clock=clock)
    adapter = SandboxAdapter(settings.account_config(settings.accounts[0]), network)
    service = Service(settings, clock=clock, adapters={"demo": adapter}, out=io.StringIO(), rng=random.Random(7))
    return service, clock, network


@pytest.mark.parametrize("poll_seconds", [60, 2])
def test_a_45_second_outage_is_followed_back_within_a_minute(tmp_path: Path, poll_seconds: float) -> None:
    service, clock, network = sandbox_account(tmp_path, poll_seconds)
    adapter = service.adapters["demo"]
    outage_end = clock.now + timedelta(seconds=45)
    successful_reads: list[datetime] = []
    real_fetch = adapter.fetch

    def fetch_during_outage(stream, cursor):  # type: ignore[no-untyped-def]
        if clock.now < outage_end:
            raise PlatformUnavailable("503 Service Unavailable")
        successful_reads.append(clock.now)
        return real_fetch(stream, cursor)

    adapter.fetch = fetch_during_outage  # type: ignore[method-assign]
    network.post("demo", message("a", QUESTION))
    end = clock.now + timedelta(minutes=15)
    while clock.now < end and not successful_reads:
        service.tick()
        clock.now += SCHEDULER_STEP
    recovery_delay = successful_reads[0] - outage_end
    print(f"poll {poll_seconds} s: recovery delay after a 45 s outage: {recovery_delay.total_seconds():.0f} s")
    assert recovery_delay <= timedelta(seconds=60)
    service.tick()
    assert [a.target for a in network.activity if a.kind == "reply"] != []
