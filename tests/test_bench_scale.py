"""The scale benchmark's harness at a tiny size, on a clock moved by hand, so it cannot rot:
every message that arrives on the simulated platform is handled, none is acted on twice, and a
second service taking over the same state and platform re-creates nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.scale import RunSpec, StepClock, analyse, open_state, run_stepped, simulated_adapters, \
    state_rows, write_settings
from bench.simulated import Activity, ActivityLog, Arrivals, Messages, read_activity, utc
from bot.service import Service

EPOCH = datetime(2027, 1, 14, 10, 0, tzinfo=timezone.utc).timestamp()


def tiny(tmp_path: Path, **changes: object) -> RunSpec:
    spec = RunSpec(accounts=5, workers=1, state=str(tmp_path / "state" / "housebot.sqlite3"), folder=str(tmp_path),
                   per_minute=6, poll_seconds=5, latency_seconds=0, warmup_seconds=10, measure_seconds=30,
                   drain_seconds=15, epoch=EPOCH)
    return RunSpec(**{**spec.__dict__, **changes})


def test_arrivals_are_a_pure_function_of_account_and_time() -> None:
    epoch = utc(EPOCH)
    arrivals = Arrivals(seed=1, epoch=epoch, per_minute=6, until=epoch + timedelta(minutes=1))
    assert arrivals.count("a", epoch - timedelta(seconds=1)) == 0
    assert arrivals.count("a", epoch + timedelta(hours=1)) == 6  # nothing arrives after `until`
    for number in range(1, 7):
        moment = arrivals.arrival("a", number)
        assert arrivals.count("a", moment) == number
        assert arrivals.count("a", moment - timedelta(microseconds=2)) == number - 1
    assert list(arrivals.between("a", epoch, epoch + timedelta(minutes=1))) == [1, 2, 3, 4, 5, 6]
    same = Messages(seed=1)
    assert same.inbound("a", 3, epoch) == Messages(seed=1).inbound("a", 3, epoch)


def test_the_mix_is_mostly_ordinary_with_some_of_everything() -> None:
    messages = Messages(seed=4)
    picked = [messages.pick("acct0001", number).expect for number in range(1, 2001)]
    assert 0.6 < picked.count("ordinary") / len(picked) < 0.8
    assert {"complaint", "abuse", "spam", "safeguarding"} <= set(picked)


def test_a_tiny_run_handles_every_arrival_exactly_once(tmp_path: Path) -> None:
    spec = tiny(tmp_path)
    result = run_stepped(spec)
    expected = sum(spec.arrivals.count(name, spec.stop_at) for name in spec.names)
    assert expected == 5 * 6 * (10 + 30) // 60  # 6 a minute for the 40 seconds arrivals last, on 5 accounts
    assert (result.arrived, result.handled, result.lost, result.twice) == (expected, expected, 0, 0)
    assert result.actions > 0
    assert result.offered_per_second == result.handled_per_second == 5 * 6 / 60
    assert 0 <= result.lag_p50_seconds <= result.lag_p99_seconds <= spec.poll_seconds + 1
    assert result.db_per_message["statements"] > 0
    kinds = {activity.kind for activity in read_activity(tmp_path / "activity")}
    assert "reply" in kinds


def test_a_takeover_on_the_same_state_and_platform_recreates_nothing(tmp_path: Path) -> None:
    """A second worker (a new service, new adapters) continues where the first stopped."""
    spec = tiny(tmp_path)
    settings = write_settings(spec)
    clock = StepClock(utc(spec.epoch))
    halfway = spec.window[0] + timedelta(seconds=10)
    for worker in ("w0", "w1"):
        log = ActivityLog(tmp_path / "activity", worker)
        service = Service(settings, clock=clock, adapters=simulated_adapters(spec, log, clock, sleep=lambda _: None),
                          store=open_state(spec.state), out=open("/dev/null", "w"))
        until = halfway if worker == "w0" else spec.stop_at
        while clock.now < until:
            service.tick()
            clock.now += timedelta(seconds=1)
        service.close()
        log.close()
    store = open_state(spec.state)
    activity = list(read_activity(tmp_path / "activity"))
    result = analyse(spec, state_rows(store), activity)
    store.close()
    assert {a.worker for a in activity} == {"w0", "w1"}
    assert (result.lost, result.twice) == (0, 0)
    assert result.handled == result.arrived > 0


def test_something_done_twice_is_counted(tmp_path: Path) -> None:
    spec = tiny(tmp_path)
    arrivals = spec.arrivals
    first = arrivals.arrival("acct0000", 1)
    rows = [{"native_id": "acct0000-1", "status": "handled", "handled_at": first.isoformat()}]
    twice = [Activity("acct0000", "acct0000-1", "reply", "public", first.timestamp() + 1, w) for w in ("w0", "w1")]
    result = analyse(spec, rows, twice)
    assert result.twice == 1
    assert result.handled == 1
    assert result.lost == result.arrived - 1
