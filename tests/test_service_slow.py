"""A message that takes too long to decide is held for a person, and the worker goes on.

The service times each decision with its injected monotonic clock; here that clock is a stopwatch
the test sets, so "this decision took 2.5 s" costs no real time.
"""

from __future__ import annotations

import io
import random
from datetime import datetime
from pathlib import Path

import pytest

from adapters.sandbox import SandboxAdapter, SandboxNetwork
from bot.errors import ConfigError
from bot.pipeline import SLOW_RULE
from bot.service import Service
from bot.settings import load_settings
from tests.helpers import ALWAYS_OPEN, LONDON, ORGANISATION, Clock, environment, message, write_settings

QUESTION = "What time does the walk-in centre open on Saturday?"
DANGER = "I don't see the point in carrying on anymore. I've been stockpiling my tablets and tonight is the night"


class Stopwatch:
    """The service's monotonic clock: every reading is `per_reading` seconds after the one before,
    so each decision (read before and after) seems to take exactly that long."""

    def __init__(self) -> None:
        self.now = 0.0
        self.per_reading = 0.001

    def __call__(self) -> float:
        self.now += self.per_reading
        return self.now


def slow_service(tmp_path: Path) -> tuple[Service, SandboxNetwork, Stopwatch, io.StringIO]:
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    network = SandboxNetwork(clock=clock)
    adapter = SandboxAdapter(settings.account_config(settings.accounts[0]), network)
    stopwatch = Stopwatch()
    out = io.StringIO()
    service = Service(settings, clock=clock, adapters={"demo": adapter}, out=out, rng=random.Random(3),
                      monotonic=stopwatch)
    return service, network, stopwatch, out


def test_a_message_over_the_budget_goes_to_a_person_and_the_next_is_answered(tmp_path: Path) -> None:
    service, network, stopwatch, out = slow_service(tmp_path)
    assert service.settings.bot.decide_budget_seconds == 2.0  # the default
    slow = network.post("demo", message("slow", QUESTION, handle="@slow_one"))
    stopwatch.per_reading = 2.5
    service.tick()
    assert network.replies.get(slow.native_id) is None  # the bot did not act alone on it
    [review] = service.store.waiting_reviews("demo")
    assert review.action.rule == SLOW_RULE and review.action.team == "comms"
    assert "took 2.5 s (the budget is 2 s): a person decides" in review.action.text
    [row] = service.store.audit(account="demo")
    assert row["rule"].endswith("+" + SLOW_RULE)
    assert "took 2.5 s" in out.getvalue()

    stopwatch.per_reading = 1.5  # inside the budget: decided and answered as usual
    quick = network.post("demo", message("quick", QUESTION, handle="@quick_one"))
    service.clock.advance(minutes=1)  # type: ignore[attr-defined]
    service.tick()
    assert len(network.replies[quick.native_id]) == 1
    assert len(service.store.waiting_reviews("demo")) == 1
    service.close()


def test_danger_over_the_budget_keeps_its_signposting_and_a_person_is_told_urgently(tmp_path: Path) -> None:
    service, network, stopwatch, _ = slow_service(tmp_path)
    dm = network.post("demo", message("d", DANGER, stream="direct_messages", handle="@quietone22"))
    stopwatch.per_reading = 3.0
    service.tick()
    [(_, reply)] = network.replies[dm.native_id]
    assert "999" in reply.text  # someone at risk is not kept waiting for a person
    slow_reviews = [r for r in service.store.waiting_reviews("demo") if r.action.rule == SLOW_RULE]
    assert [r.action.urgency.value for r in slow_reviews] == ["urgent"]
    service.close()


@pytest.mark.parametrize("value", ["0", '"fast"'])
def test_a_bad_budget_names_its_key(tmp_path: Path, value: str) -> None:
    config = tmp_path / "housebot.toml"
    config.write_text(ORGANISATION.replace("[bot]\n", f"[bot]\ndecide_budget_seconds = {value}\n") + ALWAYS_OPEN,
                      encoding="utf-8")
    (tmp_path / ".env").touch()
    with pytest.raises(ConfigError, match="decide_budget_seconds"):
        load_settings(environment(tmp_path, config), tmp_path / ".env")
