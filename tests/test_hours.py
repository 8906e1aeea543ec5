"""Time travel for monitoring hours: clock changes, bank holidays, past-midnight windows, words.

Expected times are written as local ISO strings with their offset, so a right instant shown with
the wrong wall time (or the wrong fold) fails; comparisons of instants are made in UTC, because
Python compares two datetimes sharing a tzinfo by wall clock alone.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ConfigError
from bot.hours import (
    MonitoringHours,
    Window,
    current_open_since,
    describe,
    describe_moment,
    england_bank_holidays,
    is_open,
    next_close,
    next_open,
    open_periods,
    parse_hours,
)

LONDON = ZoneInfo("Europe/London")
FILE = "housebot.toml"
KEY = "accounts[0].hours"
case = pytest.param  # one row of a table, with a readable id
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def hours_from(table: dict[str, object]) -> MonitoringHours:
    return parse_hours(table, LONDON, FILE, KEY)


def at(text: str) -> datetime:
    """An instant from an ISO string that carries its offset, so it is never ambiguous."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def shown(moment: datetime | None) -> str | None:
    """The local wall time and offset, for comparing what a person would see."""
    return None if moment is None else moment.astimezone(LONDON).isoformat()


def shown_periods(periods: list[tuple[datetime, datetime]]) -> list[tuple[str, str]]:
    return [(start.isoformat(), end.isoformat()) for start, end in periods]


OFFICE = hours_from({day: ["09:00-17:00"] for day in WEEKDAYS})


# --- the office account (09:00-17:00 Monday to Friday) across clock changes and bank holidays ---

OFFICE_NEXT_OPEN = [
    case("2026-03-27T17:00:00+00:00", "2026-03-30T09:00:00+01:00", id="friday-close-before-spring-forward"),
    case("2026-03-29T01:30:00+00:00", "2026-03-30T09:00:00+01:00", id="spring-forward-night"),
    case("2026-04-02T17:00:00+01:00", "2026-04-07T09:00:00+01:00", id="easter-good-friday-and-monday"),
    case("2026-05-22T17:00:00+01:00", "2026-05-26T09:00:00+01:00", id="spring-bank-holiday-monday"),
    case("2026-05-26T08:59:59+01:00", "2026-05-26T09:00:00+01:00", id="a-second-before-opening"),
    case("2026-05-26T09:00:00+01:00", "2026-05-27T09:00:00+01:00", id="at-opening-next-is-tomorrow"),
    case("2026-10-23T17:00:00+01:00", "2026-10-26T09:00:00+00:00", id="friday-close-before-autumn-back"),
    case("2026-10-25T00:30:00+00:00", "2026-10-26T09:00:00+00:00", id="autumn-fold-first-0130"),
    case("2026-10-25T01:30:00+00:00", "2026-10-26T09:00:00+00:00", id="autumn-fold-second-0130"),
    case("2026-12-24T17:00:00+00:00", "2026-12-29T09:00:00+00:00", id="christmas-and-boxing-substitute-day"),
    case("2026-12-31T17:00:00+00:00", "2027-01-04T09:00:00+00:00", id="new-year-2027"),
    case("2027-03-25T17:00:00+00:00", "2027-03-30T09:00:00+01:00", id="easter-2027-spans-spring-forward"),
    case("2027-10-29T17:00:00+01:00", "2027-11-01T09:00:00+00:00", id="autumn-back-2027"),
    case("2027-12-24T17:00:00+00:00", "2027-12-29T09:00:00+00:00", id="christmas-2027-two-substitute-days"),
]


@pytest.mark.parametrize(("now", "expected"), OFFICE_NEXT_OPEN)
def test_office_next_open(now: str, expected: str) -> None:
    assert shown(next_open(OFFICE, at(now))) == expected


OFFICE_OPEN = [
    case("2026-03-27T16:59:59+00:00", True, id="friday-last-second"),
    case("2026-03-27T17:00:00+00:00", False, id="friday-at-close"),
    case("2026-03-30T08:30:00+00:00", True, id="monday-after-spring-forward-0930-bst"),
    case("2026-03-30T07:30:00+00:00", False, id="monday-after-spring-forward-0830-bst"),
    case("2026-04-06T10:00:00+01:00", False, id="easter-monday"),
    case("2026-05-25T10:00:00+01:00", False, id="spring-bank-holiday"),
    case("2026-05-26T10:00:00+01:00", True, id="tuesday-after-bank-holiday"),
    case("2026-10-26T08:30:00+00:00", False, id="monday-after-autumn-back-0830-gmt"),
    case("2026-10-26T16:30:00+00:00", True, id="monday-after-autumn-back-1630-gmt"),
    case("2026-12-28T10:00:00+00:00", False, id="boxing-day-substitute"),
    case("2026-12-29T10:00:00+00:00", True, id="after-christmas"),
]


@pytest.mark.parametrize(("now", "expected"), OFFICE_OPEN)
def test_office_is_open(now: str, expected: bool) -> None:
    assert is_open(OFFICE, at(now)) is expected


def test_office_close_and_open_since_within_a_day() -> None:
    now = at("2026-03-30T10:00:00+01:00")
    assert shown(next_close(OFFICE, now)) == "2026-03-30T17:00:00+01:00"
    assert shown(current_open_since(OFFICE, now)) == "2026-03-30T09:00:00+01:00"
    evening = at("2026-03-30T18:00:00+01:00")
    assert current_open_since(OFFICE, evening) is None
    assert shown(next_close(OFFICE, evening)) == "2026-03-31T17:00:00+01:00"


def test_bank_holiday_weekend_reads_as_tuesday_9am() -> None:
    opening = next_open(OFFICE, at("2026-05-22T17:00:00+01:00"))
    assert opening is not None
    assert describe_moment(opening, LONDON) == "9am on Tuesday 26 May"


def test_results_are_in_the_accounts_zone_whatever_zone_now_is_in() -> None:
    new_york = datetime(2026, 5, 22, 12, 0, tzinfo=ZoneInfo("America/New_York"))  # 17:00 in London
    opening = next_open(OFFICE, new_york)
    assert opening is not None and opening.tzinfo == LONDON
    assert opening.isoformat() == "2026-05-26T09:00:00+01:00"


def test_naive_times_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        is_open(OFFICE, datetime(2026, 5, 26, 10, 0))


def test_england_bank_holidays_include_substitute_days() -> None:
    holidays_2026 = england_bank_holidays(2026)
    expected = {date(2026, 4, 6), date(2026, 5, 25), date(2026, 12, 25), date(2026, 12, 28)}
    assert expected <= holidays_2026.keys()
    assert date(2026, 3, 17) not in holidays_2026  # St Patrick's Day is Northern Ireland only


# --- wall-clock windows that meet a clock change -----------------------------------------------

DST_WINDOWS = [
    case(
        {"sunday": ["00:30-02:30"]}, "2026-03-28T12:00:00+00:00",
        [("2026-03-29T00:30:00+00:00", "2026-03-29T02:30:00+01:00")],
        id="spring-forward-window-loses-the-missing-hour",
    ),
    case(
        {"sunday": ["01:30-03:00"]}, "2026-03-28T12:00:00+00:00",
        [("2026-03-29T02:00:00+01:00", "2026-03-29T03:00:00+01:00")],
        id="spring-forward-start-in-the-gap-starts-at-0200-bst",
    ),
    case(
        {"saturday": ["22:00-01:30"]}, "2026-03-28T12:00:00+00:00",
        [("2026-03-28T22:00:00+00:00", "2026-03-29T02:00:00+01:00")],
        id="spring-forward-end-in-the-gap-ends-at-0200-bst",
    ),
    case(
        {"sunday": ["01:15-01:45", "09:00-10:00"]}, "2026-03-28T12:00:00+00:00",
        [("2026-03-29T09:00:00+01:00", "2026-03-29T10:00:00+01:00")],
        id="spring-forward-window-wholly-in-the-gap-never-happens",
    ),
    case(
        {"sunday": ["01:00-02:00"]}, "2026-10-24T12:00:00+01:00",
        [("2026-10-25T01:00:00+01:00", "2026-10-25T02:00:00+00:00")],
        id="autumn-fold-repeated-hour-lasts-two-hours",
    ),
    case(
        {"sunday": ["00:00-01:30"]}, "2026-10-24T12:00:00+01:00",
        [("2026-10-25T00:00:00+01:00", "2026-10-25T01:30:00+01:00")],
        id="autumn-fold-end-is-the-first-0130",
    ),
    case(
        {"sunday": ["01:30-03:00"]}, "2026-10-24T12:00:00+01:00",
        [("2026-10-25T01:30:00+01:00", "2026-10-25T03:00:00+00:00")],
        id="autumn-fold-start-is-the-first-0130",
    ),
    case(
        {"saturday": ["22:00-06:00"]}, "2026-10-24T12:00:00+01:00",
        [("2026-10-24T22:00:00+01:00", "2026-10-25T06:00:00+00:00")],
        id="autumn-fold-overnight-window-is-nine-hours",
    ),
]


@pytest.mark.parametrize(("table", "day_before", "expected"), DST_WINDOWS)
def test_windows_across_clock_changes(
    table: dict[str, object], day_before: str, expected: list[tuple[str, str]]
) -> None:
    hours = hours_from(table)
    start = at(day_before)
    periods = open_periods(hours, start, start + timedelta(days=1, hours=12))
    assert shown_periods(periods) == expected
    first_start, first_end = periods[0]
    assert shown(next_open(hours, start)) == first_start.isoformat()
    assert shown(next_close(hours, start)) == first_end.isoformat()


FOLD_INSTANTS = [
    case({"sunday": ["01:00-02:00"]}, "2026-10-25T01:30:00+00:00", True, id="autumn-fold-second-0130-inside"),
    case({"sunday": ["00:00-01:30"]}, "2026-10-25T01:15:00+00:00", False, id="autumn-fold-0115-gmt-closed"),
    case({"sunday": ["00:00-01:30"]}, "2026-10-25T01:15:00+01:00", True, id="autumn-fold-0115-bst-open"),
    case({"sunday": ["00:30-02:30"]}, "2026-03-29T00:59:59+00:00", True, id="spring-forward-last-gmt-second"),
    case({"sunday": ["00:30-02:30"]}, "2026-03-29T02:29:59+01:00", True, id="spring-forward-last-second"),
    case({"sunday": ["00:30-02:30"]}, "2026-03-29T02:30:00+01:00", False, id="spring-forward-at-close"),
]


@pytest.mark.parametrize(("table", "now", "expected"), FOLD_INSTANTS)
def test_is_open_in_the_repeated_and_missing_hours(
    table: dict[str, object], now: str, expected: bool
) -> None:
    assert is_open(hours_from(table), at(now)) is expected


def test_a_london_time_with_fold_set_is_the_second_0130() -> None:
    hours = hours_from({"sunday": ["00:00-01:30"]})
    first = datetime(2026, 10, 25, 1, 15, tzinfo=LONDON)
    second = datetime(2026, 10, 25, 1, 15, tzinfo=LONDON, fold=1)
    assert is_open(hours, first) and not is_open(hours, second)
    assert shown(next_open(hours, second)) == "2026-11-01T00:00:00+00:00"


# --- windows past midnight, midnight closings, bank holidays -----------------------------------

NIGHT = hours_from({"friday": ["22:00-02:00"], "sunday": ["20:00-02:00"], "monday": ["22:00-02:00"]})

NIGHT_OPEN = [
    case("2026-05-30T01:00:00+01:00", True, id="friday-window-runs-into-saturday"),
    case("2026-04-04T01:00:00+01:00", False, id="good-friday-window-never-starts"),
    case("2026-05-25T01:00:00+01:00", True, id="sunday-tail-runs-into-bank-holiday-monday"),
    case("2026-05-25T23:00:00+01:00", False, id="bank-holiday-monday-window-cancelled"),
    case("2026-05-26T01:00:00+01:00", False, id="cancelled-monday-window-has-no-tail"),
    case("2026-06-01T23:00:00+01:00", True, id="ordinary-monday-night"),
]


@pytest.mark.parametrize(("now", "expected"), NIGHT_OPEN)
def test_past_midnight_windows_belong_to_the_day_they_start(now: str, expected: bool) -> None:
    assert is_open(NIGHT, at(now)) is expected


def test_next_open_after_a_bank_holiday_tail() -> None:
    now = at("2026-05-25T01:00:00+01:00")
    assert shown(current_open_since(NIGHT, now)) == "2026-05-24T20:00:00+01:00"
    assert shown(next_close(NIGHT, now)) == "2026-05-25T02:00:00+01:00"
    assert shown(next_open(NIGHT, now)) == "2026-05-29T22:00:00+01:00"


def test_closing_at_midnight() -> None:
    hours = hours_from({"friday": ["20:00-24:00"]})
    closing = next_close(hours, at("2026-05-29T21:00:00+01:00"))
    assert shown(closing) == "2026-05-30T00:00:00+01:00"
    assert closing is not None
    assert describe_moment(closing, LONDON) == "12 midnight on Friday 29 May"
    assert is_open(hours, at("2026-05-29T23:59:59+01:00"))
    assert not is_open(hours, at("2026-05-30T00:00:00+01:00"))


MERGING = [
    case(
        {"friday": ["20:00-24:00"], "saturday": ["00:00-02:00"]},
        [("2026-05-29T20:00:00+01:00", "2026-05-30T02:00:00+01:00")],
        id="midnight-seam-is-one-period",
    ),
    case(
        {"friday": ["22:00-02:00"], "saturday": ["01:00-05:00"]},
        [("2026-05-29T22:00:00+01:00", "2026-05-30T05:00:00+01:00")],
        id="overlap-across-days-is-one-period",
    ),
    case(
        {"friday": ["09:00-12:00", "12:00-17:00"]},
        [("2026-05-29T09:00:00+01:00", "2026-05-29T17:00:00+01:00")],
        id="touching-windows-same-day",
    ),
    case(
        {"friday": ["09:00-12:00", "13:00-17:00"]},
        [("2026-05-29T09:00:00+01:00", "2026-05-29T12:00:00+01:00"),
         ("2026-05-29T13:00:00+01:00", "2026-05-29T17:00:00+01:00")],
        id="lunch-gap-stays-two-periods",
    ),
    case(
        {"friday": ["09:00-24:00"], "saturday": ["00:00-24:00"], "sunday": ["00:00-24:00"]},
        [("2026-05-29T09:00:00+01:00", "2026-06-01T00:00:00+01:00")],
        id="whole-weekend-is-one-period",
    ),
]


@pytest.mark.parametrize(("table", "expected"), MERGING)
def test_open_periods_merge_what_touches(table: dict[str, object], expected: list[tuple[str, str]]) -> None:
    friday = at("2026-05-29T00:00:00+01:00")
    periods = open_periods(hours_from(table), friday, friday + timedelta(days=1))
    assert shown_periods(periods) == expected


def test_open_periods_are_whole_and_zoned_even_when_the_range_cuts_them() -> None:
    hours = hours_from({"friday": ["09:00-24:00"], "saturday": ["00:00-24:00"], "sunday": ["00:00-24:00"]})
    inside = at("2026-05-30T12:00:00+01:00")
    periods = open_periods(hours, inside, inside + timedelta(minutes=1))
    assert shown_periods(periods) == [("2026-05-29T09:00:00+01:00", "2026-06-01T00:00:00+01:00")]
    assert all(start.tzinfo == LONDON and end.tzinfo == LONDON for start, end in periods)
    assert shown(current_open_since(hours, inside)) == "2026-05-29T09:00:00+01:00"
    assert shown(next_close(hours, inside)) == "2026-06-01T00:00:00+01:00"
    assert open_periods(hours, inside, inside) == []


def test_round_the_clock_has_no_closing_and_no_next_opening() -> None:
    every_day = {day: ["00:00-24:00"] for day in (*WEEKDAYS, "saturday", "sunday")}
    always = hours_from({**every_day, "bank_holidays": "open"})
    now = at("2026-05-30T12:00:00+01:00")
    assert is_open(always, now)
    assert next_close(always, now) is None
    assert next_open(always, now) is None


# --- one-off closures and openings ------------------------------------------------------------


def test_closed_dates_close_the_whole_local_day() -> None:
    hours = hours_from(
        {"tuesday": ["22:00-02:00"], "wednesday": ["09:00-17:00"], "closed_dates": ["2026-06-10"]}
    )
    assert not is_open(hours, at("2026-06-10T10:00:00+01:00"))
    assert not is_open(hours, at("2026-06-10T01:00:00+01:00"))  # Tuesday's tail is cut at midnight
    assert shown(next_close(hours, at("2026-06-09T23:00:00+01:00"))) == "2026-06-10T00:00:00+01:00"
    assert shown(next_open(hours, at("2026-06-09T23:00:00+01:00"))) == "2026-06-16T22:00:00+01:00"


def test_extra_openings_replace_the_day_even_on_bank_holidays() -> None:
    hours = hours_from(
        {**{day: ["09:00-17:00"] for day in WEEKDAYS},
         "extra_openings": {"2026-05-25": ["10:00-12:00"], "2026-12-27": ["10:00-12:00"]}}
    )
    assert is_open(hours, at("2026-05-25T11:00:00+01:00"))
    assert not is_open(hours, at("2026-05-25T13:00:00+01:00"))
    assert is_open(hours, at("2026-12-27T11:00:00+00:00"))  # a Sunday
    assert shown(next_open(hours, at("2026-12-24T17:00:00+00:00"))) == "2026-12-27T10:00:00+00:00"


def test_bank_holidays_open_keeps_the_weekday_hours() -> None:
    hours = hours_from({**{day: ["09:00-17:00"] for day in WEEKDAYS}, "bank_holidays": "open"})
    assert is_open(hours, at("2026-04-06T10:00:00+01:00"))


def test_the_shipped_settings_file_parses() -> None:
    settings_file = Path(__file__).parent.parent / "config" / "housebot.toml"
    table = tomllib.loads(settings_file.read_text())["accounts"][0]["hours"]
    hours = parse_hours(table, LONDON, str(settings_file), KEY)
    # The sandbox account is open round the clock, so the demo always has something to show.
    assert all(hours.weekly[day] == (Window(time(0), time(0)),) for day in range(7))
    assert not hours.bank_holidays_closed
    assert is_open(hours, at("2026-12-25T03:00:00+00:00"))


def test_native_toml_dates_are_accepted() -> None:
    table = tomllib.loads('monday = ["9:00 - 17:00"]\nclosed_dates = [2026-06-08]\n')
    hours = hours_from(table)
    assert hours.closed_dates == frozenset({date(2026, 6, 8)})
    assert hours.weekly[0] == (Window(time(9), time(17)),)


# --- mistakes in the settings file name their key ---------------------------------------------

PARSE_ERRORS = [
    case({"monday": ["25:00-17:00"]}, "monday[0]", "'25:00-17:00' is not a time window like 09:00-17:00",
                 id="hour-25"),
    case({"monday": ["09:00-17:00", "9am-5pm"]}, "monday[1]", "'9am-5pm' is not a time window", id="words"),
    case({"friday": ["18:00-24:30"]}, "friday[0]", "is not a time window", id="past-24"),
    case({"friday": ["24:00-02:00"]}, "friday[0]", "is not a time window", id="start-at-24"),
    case({"friday": ["09:60-10:00"]}, "friday[0]", "is not a time window", id="minute-60"),
    case({"friday": [900]}, "friday[0]", "900 is not a time window", id="number"),
    case({"monday": ["09:00-09:00"]}, "monday[0]", "starts and ends at the same time", id="empty-window"),
    case({"monday": ["09:00-17:00", "12:00-13:00"]}, "monday[1]", "'12:00-13:00' overlaps '09:00-17:00'",
                 id="overlap"),
    case({"monday": ["23:00-23:30", "20:00-02:00"]}, "monday[0]", "'23:00-23:30' overlaps '20:00-02:00'",
                 id="overlap-past-midnight"),
    case({"monday": "09:00-17:00"}, "monday", "must be a list of time windows", id="not-a-list"),
    case({"mon": ["09:00-17:00"]}, "mon", "unknown key 'mon'; known keys are monday, ", id="unknown-key"),
    case({"mon": [], "tue": []}, "mon", "unknown keys 'mon', 'tue'; known keys", id="unknown-keys"),
    case({"bank_holidays": "sometimes"}, "bank_holidays", "'sometimes' is not one of 'closed', 'open'",
                 id="bank-holidays-value"),
    case({"closed_dates": ["2026-02-30"]}, "closed_dates[0]", "'2026-02-30' is not a date like 2026-12-25",
                 id="bad-date"),
    case({"closed_dates": "2026-12-25"}, "closed_dates", "must be a list of dates", id="dates-not-a-list"),
    case({"extra_openings": {"27/12/2026": ["10:00-12:00"]}}, 'extra_openings."27/12/2026"',
                 "'27/12/2026' is not a date", id="extra-opening-bad-date"),
    case({"extra_openings": {"2026-12-27": ["10:00-12:60"]}}, 'extra_openings."2026-12-27"[0]',
                 "'10:00-12:60' is not a time window", id="extra-opening-bad-window"),
    case({"extra_openings": {"2026-12-27": []}}, 'extra_openings."2026-12-27"',
                 "needs at least one window", id="extra-opening-empty"),
    case({"extra_openings": ["2026-12-27"]}, "extra_openings", "must be a table of dates",
                 id="extra-openings-not-a-table"),
    case({"closed_dates": ["2026-12-27"], "extra_openings": {"2026-12-27": ["10:00-12:00"]}}, "closed_dates",
                 "2026-12-27 is both a closed date and an extra opening", id="closed-and-open"),
]


@pytest.mark.parametrize(("table", "key", "problem"), PARSE_ERRORS)
def test_parse_errors_name_file_and_key(table: dict[str, object], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        hours_from(table)
    assert caught.value.file == FILE
    assert caught.value.key == f"{KEY}.{key}"
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{FILE}: {KEY}.{key}: ")


def test_a_whole_day_and_an_overnight_window_parse() -> None:
    hours = hours_from({"saturday": ["00:00-24:00"], "friday": ["22:00-02:00", "09:00-17:00"]})
    assert hours.weekly[5] == (Window(time(0), time(0)),)
    assert hours.weekly[4] == (Window(time(9), time(17)), Window(time(22), time(2)))  # in clock order
    assert hours.weekly[0] == ()
    assert hours.bank_holidays_closed


# --- words for people -------------------------------------------------------------------------

MOMENTS = [
    case("2026-05-26T08:00:00+00:00", "9am on Tuesday 26 May", id="bst-morning"),
    case("2026-06-01T08:30:00+00:00", "9:30am on Monday 1 June", id="half-past"),
    case("2026-05-26T11:00:00+00:00", "12 noon on Tuesday 26 May", id="noon"),
    case("2026-05-26T11:45:00+00:00", "12:45pm on Tuesday 26 May", id="after-noon"),
    case("2026-05-29T23:00:00+00:00", "12 midnight on Friday 29 May", id="midnight-ends-friday"),
    case("2026-05-29T23:05:00+00:00", "12:05am on Saturday 30 May", id="just-after-midnight"),
    case("2026-12-29T17:00:00+00:00", "5pm on Tuesday 29 December", id="gmt-evening"),
    case("2026-10-25T00:30:00+00:00", "1:30am BST on Sunday 25 October", id="autumn-fold-first"),
    case("2026-10-25T01:30:00+00:00", "1:30am GMT on Sunday 25 October", id="autumn-fold-second"),
]


@pytest.mark.parametrize(("instant", "expected"), MOMENTS)
def test_describe_moment(instant: str, expected: str) -> None:
    assert describe_moment(at(instant), LONDON) == expected


def test_describe_an_office_with_one_off_days() -> None:
    hours = hours_from(
        {**{day: ["09:00-17:00"] for day in WEEKDAYS}, "saturday": ["10:00-14:00"],
         "closed_dates": ["2026-06-10", "2026-09-01"], "extra_openings": {"2026-06-14": ["10:00-12:00"]}}
    )
    assert describe(hours, at("2026-05-27T10:00:00+01:00")) == (
        "Monday to Friday: 9am to 5pm\n"
        "Saturday: 10am to 2pm\n"
        "Sunday: closed\n"
        "Closed on bank holidays in England.\n"
        "Next closure: Wednesday 27 May at 5pm.\n"
        "Also closed: Wednesday 10 June.\n"
        "Extra opening: Sunday 14 June, 10am to 12 noon."
    )


def test_describe_a_night_service_over_christmas() -> None:
    hours = hours_from(
        {"monday": ["18:00-24:00"], "tuesday": ["18:00-24:00"], "wednesday": ["09:00-12:00", "22:00-02:00"],
         "saturday": ["00:00-24:00"], "sunday": ["00:00-24:00"],
         "extra_openings": {"2026-12-25": ["10:00-11:30"]}}
    )
    assert describe(hours, at("2026-12-24T12:00:00+00:00")) == (
        "Monday and Tuesday: 6pm to 12 midnight\n"
        "Wednesday: 9am to 12 noon and 10pm to 2am the next day\n"
        "Thursday and Friday: closed\n"
        "Saturday and Sunday: all day\n"
        "Closed on bank holidays in England.\n"
        "Next opening: Friday 25 December at 10am.\n"
        "Bank holidays in the next 60 days (closed): Saturday 26 December (Boxing Day), "
        "Monday 28 December (Boxing Day, substitute day) and Friday 1 January 2027 (New Year's Day).\n"
        "Extra opening: Friday 25 December, 10am to 11:30am."
    )


def test_describe_when_bank_holidays_are_open_and_the_account_is_open() -> None:
    hours = hours_from({**{day: ["09:00-17:00"] for day in WEEKDAYS}, "bank_holidays": "open"})
    text = describe(hours, at("2026-05-22T12:00:00+01:00")).splitlines()
    assert text == [
        "Monday to Friday: 9am to 5pm",
        "Saturday and Sunday: closed",
        "Open as usual on bank holidays in England.",
        "Next closure: Friday 22 May at 5pm.",
        "Bank holidays in the next 60 days (open as usual): Monday 25 May (Spring Bank Holiday).",
    ]


# --- properties over random instants ---------------------------------------------------------

PROPERTY_ACCOUNTS = [
    case(OFFICE, id="office"),
    case(NIGHT, id="night"),
    case(
        hours_from({"saturday": ["00:30-02:30", "22:00-24:00"], "sunday": ["00:00-01:30", "01:45-03:00"],
                    "wednesday": ["12:00-13:00"], "closed_dates": ["2026-07-01", "2027-03-28"],
                    "extra_openings": {"2026-10-25": ["01:00-02:00"], "2027-10-31": ["00:30-01:15"]}}),
        id="clock-change-nights",
    ),
]

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31),
    timezones=st.sampled_from([UTC, LONDON, ZoneInfo("America/New_York")]),
)


@pytest.mark.parametrize("hours", PROPERTY_ACCOUNTS)
@settings(max_examples=150, deadline=None)
@given(now=instants)
def test_is_open_agrees_with_open_periods_and_next_changes(hours: MonitoringHours, now: datetime) -> None:
    moment = now.astimezone(UTC)
    periods = open_periods(hours, now - timedelta(days=2), now + timedelta(days=2))
    inside = [(start, end) for start, end in periods if start.astimezone(UTC) <= moment < end.astimezone(UTC)]
    assert is_open(hours, now) == bool(inside)

    opening = next_open(hours, now)
    assert opening is not None
    assert opening.astimezone(UTC) > moment and is_open(hours, opening)
    assert not is_open(hours, opening - timedelta(microseconds=1))

    closing = next_close(hours, now)
    assert closing is not None
    assert closing.astimezone(UTC) > moment and not is_open(hours, closing)
    assert is_open(hours, closing - timedelta(microseconds=1))

    since = current_open_since(hours, now)
    if inside:
        assert since is not None and shown(since) == shown(inside[0][0])
        assert shown(closing) == shown(inside[0][1])
    else:
        assert since is None


@settings(max_examples=200, deadline=None)
@given(now=instants)
def test_office_matches_the_plain_rule(now: datetime) -> None:
    """A second opinion from the published words: weekdays 9 to 5 local, not on bank holidays."""
    local = now.astimezone(LONDON)
    expected = (
        local.weekday() < 5 and time(9) <= local.time() < time(17)
        and local.date() not in england_bank_holidays(local.year)
    )
    assert is_open(OFFICE, now) == expected
