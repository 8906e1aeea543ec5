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


def test_streams_are_read_on_the_configured_cadence_though_the_scheduler_wakes_a_little_early_or_late(
        tmp_path: Path) -> None:
    """APScheduler's runs drift by milliseconds either side of the interval; a run that comes a
    moment early must not skip the read and leave it for the run after (twice the interval)."""
    service, clock, network = sandbox_account(tmp_path)
    interval = service.poll_interval(service.settings.accounts[0])
    drift = random.Random(3)
    start = clock.now
    for run in range(30):
        clock.now = start + interval * run + timedelta(seconds=drift.uniform(-0.5, 0.5))
        service.tick()
    comment_reads = [moment for moment, stream in network.reads if stream == "comments"]
    gaps = sorted((later - earlier).total_seconds() for earlier, later in zip(comment_reads, comment_reads[1:]))
    print(f"read gaps at a {interval.total_seconds():.0f} s interval: median {gaps[len(gaps) // 2]:.1f} s, "
          f"max {gaps[-1]:.1f} s")
    assert gaps[-1] <= interval.total_seconds() + 1


def test_reads_follow_the_interval_when_the_job_wakes_every_step(tmp_path: Path) -> None:
    service, clock, network = sandbox_account(tmp_path)
    account = service.settings.accounts[0]
    step = service.job_interval(account)
    start = clock.now
    while clock.now < start + timedelta(minutes=10):
        service.tick()
        clock.now += step
    comment_reads = [moment for moment, stream in network.reads if stream == "comments"]
    gaps = {(later - earlier) for earlier, later in zip(comment_reads, comment_reads[1:])}
    assert gaps == {service.poll_interval(account)}
