"""Time travel: the service polls only inside hours, posts one offline notice per closing, and
handles what arrived while closed at opening, oldest first, acknowledging the wait."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.store import DONE
from tests.helpers import LONDON, OFFICE_HOURS, Clock, message, sandbox_service, write_settings


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def travel(service, clock: Clock, until: datetime, step: timedelta = timedelta(minutes=5)) -> None:  # type: ignore[no-untyped-def]
    while clock.now < until:
        service.tick()
        clock.now = min(clock.now + step, until)


WEEKS = [
    # Mon-Fri 09:00-17:00 around the clock changes and a bank holiday; (start, end, expected open days)
    pytest.param("2026-03-26T08:00", "2026-03-31T08:00", ["Thu 26", "Fri 27", "Mon 30"], id="march-dst-change"),
    pytest.param("2026-10-22T08:00", "2026-10-27T08:00", ["Thu 22", "Fri 23", "Mon 26"], id="october-dst-change"),
    pytest.param("2026-05-21T08:00", "2026-05-27T08:00", ["Thu 21", "Fri 22", "Tue 26"], id="spring-bank-holiday-monday"),
]


@pytest.mark.parametrize(("start", "end", "open_days"), WEEKS)
def test_polled_only_inside_hours(tmp_path: Path, start: str, end: str, open_days: list[str]) -> None:
    settings = write_settings(tmp_path, OFFICE_HOURS.format(safety_screen="false"))
    clock = Clock(local(start))
    service, network, _ = sandbox_service(settings, clock)
    travel(service, clock, local(end))
    read_times = [moment.astimezone(LONDON) for moment, _ in network.reads]
    assert read_times, "never polled"
    assert all(9 <= t.hour < 17 for t in read_times), [t.isoformat() for t in read_times if not 9 <= t.hour < 17]
    assert sorted({t.strftime("%a %d") for t in read_times}) == sorted(open_days)
    # every five-minute step inside hours was a poll of both streams
    first_day = [t for t in read_times if t.strftime("%a %d") == open_days[0]]
    assert len(first_day) == 2 * 8 * 12


@pytest.mark.parametrize(("start", "end", "expected"), [
    pytest.param("2026-05-22T16:50", "2026-05-26T09:10", ["back at 9am on Tuesday 26 May"], id="friday-before-bank-holiday"),
    pytest.param("2026-10-23T16:50", "2026-10-26T09:10", ["back at 9am on Monday 26 October"], id="weekend-over-dst-change"),
    pytest.param("2026-03-26T16:50", "2026-03-28T09:00", ["back at 9am on Friday 27 March", "back at 9am on Monday 30 March"],
                 id="two-closings-two-notices"),
])
def test_exactly_one_offline_notice_per_closing_naming_the_next_opening(tmp_path: Path, start: str, end: str,
                                                                        expected: list[str]) -> None:
    settings = write_settings(tmp_path, OFFICE_HOURS.format(safety_screen="true"))
    clock = Clock(local(start))
    service, network, _ = sandbox_service(settings, clock)
    travel(service, clock, local(end), step=timedelta(minutes=1))
    notices = [a.text for a in network.activity if a.kind == "notice"]
    assert len(notices) == len(expected), notices
    for text, when in zip(notices, expected):
        assert when.split("back at ")[1] in text
        assert "999" in text and "111" in text
    assert all(stored.status == DONE for stored in service.store.notices())


def test_messages_from_while_closed_are_handled_at_opening_oldest_first_with_an_apology(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, OFFICE_HOURS.format(safety_screen="true"))
    clock = Clock(local("2026-05-22T18:00"))  # Friday evening, closed
    service, network, out = sandbox_service(settings, clock)
    network.post("demo", message("late1", "Does the Seacroft clinic do baby weighing on Tuesdays?", handle="@first"),
                 created_at=local("2026-05-22T19:00"))
    network.post("demo", message("late2", "How do I order repeat prescriptions online?", handle="@second"),
                 created_at=local("2026-05-23T11:00"))
    travel(service, clock, local("2026-05-26T08:55"))
    assert [a for a in network.activity if a.kind == "reply"] == []  # nothing said while closed
    travel(service, clock, local("2026-05-26T09:10"))
    replies = [a for a in network.activity if a.kind == "reply"]
    assert [a.target.split("-")[-1] for a in replies] == ["late1", "late2"]
    for reply in replies:
        assert "wait" in reply.text.lower() or "sorry" in reply.text.lower(), reply.text


def test_the_safety_screen_answers_danger_at_night_and_leaves_the_rest(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, OFFICE_HOURS.format(safety_screen="true"))
    clock = Clock(local("2026-05-23T02:00"))  # Saturday night
    service, network, _ = sandbox_service(settings, clock)
    network.post("demo", message("q", "What time does the pharmacy open on Monday?", handle="@asker"))
    network.post("demo", message("d", "I've taken all my tablets and I want to die", stream="direct_messages", handle="@danger"))
    travel(service, clock, local("2026-05-23T02:30"))
    replies = [a for a in network.activity if a.kind == "reply"]
    assert len(replies) == 1 and replies[0].target.endswith("-d")
    for needed in ("999", "111", "116 123"):
        assert needed in replies[0].text
    assert [p.inbound.native_id.split("-")[-1] for p in service.store.pending("demo")] == ["q"]


def test_without_the_safety_screen_nothing_is_read_while_closed(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, OFFICE_HOURS.format(safety_screen="false"))
    clock = Clock(local("2026-05-23T02:00"))
    service, network, _ = sandbox_service(settings, clock)
    travel(service, clock, local("2026-05-23T04:00"))
    assert network.reads == []


def test_the_scheduler_runs_one_poll_job_per_account_at_its_interval(tmp_path: Path) -> None:
    """The APScheduler wiring, read without starting its thread: what it would run, and how often.
    What a poll does at each moment is the time travel above (`service.tick`)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = write_settings(tmp_path, OFFICE_HOURS.format(safety_screen="false"))
    service, _, _ = sandbox_service(settings, Clock(local("2026-05-22T15:00")))
    scheduler = BackgroundScheduler(timezone=settings.organisation.timezone)
    service._schedule(scheduler)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["demo", "leases", "purge"]  # one poll job per account, the leases kept, the daily purge
    assert jobs["purge"].func == service._scheduled_purge and jobs["purge"].trigger.interval == timedelta(hours=24)
    job = jobs["demo"]
    assert job.func == service._scheduled_poll and tuple(job.args) == ("demo",)
    assert job.trigger.interval == service.job_interval(settings.accounts[0]) < service.poll_interval(settings.accounts[0])
    assert job.max_instances == 1 and job.coalesce
    service.close()


@pytest.mark.parametrize("posted_before_the_crash", [True, False], ids=["crash-after-posting", "crash-before-posting"])
def test_an_offline_notice_interrupted_by_a_crash_is_up_exactly_once_and_recorded(tmp_path: Path,
                                                                                  posted_before_the_crash: bool) -> None:
    settings = write_settings(tmp_path, OFFICE_HOURS.format(safety_screen="false"))
    clock = Clock(local("2026-05-20T16:58"))
    service, network, _ = sandbox_service(settings, clock)
    adapter = service.adapters["demo"]
    real_post_notice = adapter.post_notice

    def crash(text: str) -> str:
        if posted_before_the_crash:
            real_post_notice(text)
        raise RuntimeError("the process died here")

    adapter.post_notice = crash  # type: ignore[method-assign]
    travel(service, clock, local("2026-05-20T17:02"), step=timedelta(minutes=1))
    del adapter.post_notice
    travel(service, clock, local("2026-05-20T17:10"), step=timedelta(minutes=1))
    assert len([a for a in network.activity if a.kind == "notice"]) == 1
    [notice] = service.store.notices()
    assert notice.status == DONE
