"""What the service does when a platform misbehaves: one account's trouble never stops another,
nothing fetched is lost, and nothing is sent twice. (Each real platform's errors are mapped to
these exceptions by its adapter; tests/test_adapter_*.py prove that mapping over HTTP.)"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta
from pathlib import Path

from adapters.base import ActionRefused, AuthFailed, PlatformUnavailable, RateLimited
from adapters.sandbox import SandboxAdapter, SandboxNetwork
from bot.model import ActionKind
from bot.service import BREAKER_THRESHOLD, Service
from bot.store import Store
from tests.helpers import ALWAYS_OPEN, LONDON, Clock, message, write_settings

TWO_ACCOUNTS = ALWAYS_OPEN + ALWAYS_OPEN.replace('name = "demo"', 'name = "second"').replace(
    "@NHSLeedsDemo", "@NHSLeedsSecond")


def two_services(tmp_path: Path) -> tuple[Service, Clock, SandboxNetwork, SandboxNetwork]:
    settings = write_settings(tmp_path, TWO_ACCOUNTS)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    first, second = SandboxNetwork(clock=clock), SandboxNetwork(clock=clock)
    adapters = {
        "demo": SandboxAdapter(settings.account_config(settings.accounts[0]), first),
        "second": SandboxAdapter(settings.account_config(settings.accounts[1]), second),
    }
    service = Service(settings, clock=clock, adapters=adapters, out=io.StringIO(), rng=random.Random(7))
    return service, clock, first, second


QUESTION = "What time does the walk-in centre open on Saturday?"


def replies(network: SandboxNetwork) -> list[str]:
    return [a.target for a in network.activity if a.kind == "reply"]


def test_a_429_makes_that_stream_wait_until_the_reset_and_the_other_account_goes_on(tmp_path: Path) -> None:
    service, clock, first, second = two_services(tmp_path)
    reset = clock.now + timedelta(minutes=15)
    first.fail_next("fetch", RateLimited(reset))
    first.post("demo", message("a", QUESTION))
    second.post("second", message("b", QUESTION))
    service.tick()
    assert len(replies(second)) == 1
    reads_before = len(first.reads)
    for _ in range(10):  # no busy retry before the reset time
        clock.advance(minutes=1)
        service.tick()
    assert [s for _, s in first.reads[reads_before:]] == ["direct_messages"] * 10  # only the other stream was read
    clock.now = reset
    service.tick()
    assert len(replies(first)) == 1


def test_outages_back_off_with_jitter_then_recover_without_losing_anything(tmp_path: Path) -> None:
    service, clock, first, second = two_services(tmp_path)
    first.post("demo", message("a", QUESTION))
    first.fail_next("fetch:comments", PlatformUnavailable("503 Service Unavailable"), times=3)
    waits = []
    for _ in range(3):
        service.tick()
        waits.append(service.health["demo"].wait_until["comments"] - clock.now)
        clock.now = service.health["demo"].wait_until["comments"]
    assert waits[0] < waits[1] < waits[2]  # exponential, each with jitter
    service.tick()
    assert len(replies(first)) == 1


def test_a_failing_reply_is_retried_and_sent_once(tmp_path: Path) -> None:
    service, clock, first, _ = two_services(tmp_path)
    first.post("demo", message("a", QUESTION))
    first.fail_next("reply", PlatformUnavailable("500 Internal Server Error"))
    service.tick()
    assert replies(first) == []
    clock.now = service.health["demo"].wait_until["*"]
    service.tick()
    assert len(replies(first)) == 1
    clock.advance(minutes=5)
    service.tick()
    assert len(replies(first)) == 1


def test_a_timeout_that_may_have_sent_is_checked_with_the_platform_before_sending_again(tmp_path: Path) -> None:
    service, clock, first, _ = two_services(tmp_path)
    inbound = first.post("demo", message("a", QUESTION))
    original_reply = SandboxAdapter.reply

    def reply_then_time_out(self, inbound, text, channel):  # type: ignore[no-untyped-def]
        original_reply(self, inbound, text, channel)
        raise PlatformUnavailable("read timed out", maybe_sent=True)

    adapter = service.adapters["demo"]
    adapter.reply = reply_then_time_out.__get__(adapter)  # type: ignore[method-assign]
    service.tick()
    del adapter.reply
    clock.now = service.health["demo"].wait_until["*"]
    service.tick()
    assert replies(first) == [inbound.native_id]


def test_the_circuit_breaker_opens_after_repeated_failures_and_tells_staff(tmp_path: Path) -> None:
    service, clock, first, second = two_services(tmp_path)
    first.fail_next("fetch:comments", PlatformUnavailable("502 Bad Gateway"), times=BREAKER_THRESHOLD)
    for _ in range(BREAKER_THRESHOLD):
        service.tick()
        clock.now = service.health["demo"].wait_until["comments"]
    assert service.health["demo"].breaker_alerted == {"comments"}
    assert "sandbox comments keeps failing" in service.console.out.getvalue()  # type: ignore[attr-defined]


DANGER_DM = "I don't see the point in carrying on anymore. I've been stockpiling my tablets and tonight is the night"


def test_a_failing_stream_backs_off_alone_and_a_danger_dm_keeps_its_cadence(tmp_path: Path) -> None:
    """Comments returning 5xx wait out their growing back-off; the account's private messages are
    read every interval meanwhile, and a safeguarding message there is answered on the next read."""
    service, clock, first, _ = two_services(tmp_path)
    first.fail_next("fetch:comments", PlatformUnavailable("503 Service Unavailable"), times=4)
    question = first.post("demo", message("a", QUESTION))
    service.tick()
    assert service.health["demo"].wait_until["comments"] > clock.now and "*" not in service.health["demo"].wait_until
    reads_before = len(first.reads)
    clock.advance(minutes=1)
    danger = first.post("demo", message("d", DANGER_DM, stream="direct_messages", handle="@quietone22"))
    service.tick()
    assert first.replies.get(danger.native_id), "the DM waited behind the failing comments"
    for _ in range(3):  # the DMs keep their one-minute cadence while comments back off
        clock.advance(minutes=1)
        service.tick()
    dm_reads = [s for _, s in first.reads[reads_before:] if s == "direct_messages"]
    assert len(dm_reads) == 4
    clock.advance(minutes=10)
    service.tick()
    assert len(first.replies[question.native_id]) == 1 and len(first.replies[danger.native_id]) == 1


def test_auth_failure_pauses_only_that_account_until_check_passes(tmp_path: Path) -> None:
    service, clock, first, second = two_services(tmp_path)
    first.fail_next("fetch", AuthFailed("the access token has expired"))
    service.tick()
    assert service.store.paused_reason("demo") == "the access token has expired"
    first.post("demo", message("a", QUESTION))
    second.post("second", message("b", QUESTION))
    clock.advance(minutes=1)
    service.tick()
    assert replies(first) == [] and len(replies(second)) == 1
    printed = service.console.out.getvalue()  # type: ignore[attr-defined]
    assert printed.count("account paused") == 1
    service.store.resume("demo")  # what a passing `housebot check` does
    service.tick()
    assert len(replies(first)) == 1


def test_a_refused_hide_falls_back_and_the_reason_is_recorded(tmp_path: Path) -> None:
    service, clock, first, _ = two_services(tmp_path)
    first.post("demo", message("t", "That receptionist had better watch herself. I know where she lives and I'll be waiting"))
    first.fail_next("hide", ActionRefused("this comment cannot be hidden"))
    service.tick()
    kinds = [a.kind for a in first.activity]
    assert "delete" in kinds and "hide" not in kinds
    rows = service.store.audit(account="demo")
    assert "hide:failed" in str(rows[0]["actions"])
    assert "delete:done" in str(rows[0]["actions"])


def test_after_a_restart_a_refusal_follows_the_fallback_planned_with_the_decision(tmp_path: Path) -> None:
    service, clock, first, _ = two_services(tmp_path)
    first.post("demo", message("t", "That receptionist had better watch herself. I know where she lives and I'll be waiting"))
    first.fail_next("hide", PlatformUnavailable("503"))  # the hide stays planned: tried again later
    service.tick()
    service.close()
    restarted = Service(service.settings, clock=clock, adapters={"demo": SandboxAdapter(
        service.settings.account_config(service.settings.accounts[0]), first)}, out=io.StringIO(), rng=random.Random(7))
    first.fail_next("hide", ActionRefused("this comment cannot be hidden"))
    restarted.poll_account("demo")
    assert "delete" in [a.kind for a in first.activity]
    assert "delete:done" in str(restarted.store.audit(account="demo")[0]["actions"])
    restarted.close()


def test_a_crash_while_planning_the_fallback_loses_neither_the_refusal_nor_the_fallback(tmp_path: Path,
                                                                                    monkeypatch) -> None:  # type: ignore[no-untyped-def]
    service, clock, first, _ = two_services(tmp_path)
    first.post("demo", message("t", "That receptionist had better watch herself. I know where she lives and I'll be waiting"))
    first.fail_next("hide", ActionRefused("this comment cannot be hidden"))
    real_insert = Store._insert_action

    def crash_on_the_fallback(db, action, *args):  # type: ignore[no-untyped-def]
        if action.kind is ActionKind.DELETE:
            raise RuntimeError("the process died here")
        return real_insert(db, action, *args)

    monkeypatch.setattr(Store, "_insert_action", staticmethod(crash_on_the_fallback))
    service.poll_account("demo")
    monkeypatch.setattr(Store, "_insert_action", staticmethod(real_insert))
    service.close()
    restarted = Service(service.settings, clock=clock, adapters={"demo": SandboxAdapter(
        service.settings.account_config(service.settings.accounts[0]), first)}, out=io.StringIO(), rng=random.Random(7))
    first.fail_next("hide", ActionRefused("this comment cannot be hidden"))
    restarted.poll_account("demo")
    assert "delete:done" in str(restarted.store.audit(account="demo")[0]["actions"])
    restarted.close()
