"""Monitoring hours: when each account is watched by the bot, and the words that tell people so.

Pure functions over a frozen `MonitoringHours`; the current time is always an argument. Hours are
published as wall-clock windows in the organisation's zone (Europe/London), so the only tricky
part is turning a local date and clock time into an instant. The rule used everywhere: a window
boundary happens *the first time the local clock reaches it*. On the autumn Sunday, when 01:00 to
02:00 happens twice, a boundary at 01:30 is the first 01:30 (BST); on the spring Sunday, when
01:00 to 02:00 never happens, a boundary at 01:30 is the first instant that exists after it
(02:00 BST). So "01:00-02:00" lasts two real hours in October and nothing at all in March.

All arithmetic is done in UTC: Python compares two datetimes that share a tzinfo by their wall
clock, ignoring `fold`, which would make the repeated autumn hour compare equal to itself.
Results are converted to the account's zone only on the way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import groupby
from types import MappingProxyType
from typing import Iterator, Mapping, TypeVar
from zoneinfo import ZoneInfo

import holidays

from bot.errors import ConfigError

DAY_NAMES: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BANK_HOLIDAY_CHOICES: tuple[str, ...] = ("closed", "open")
MONTH_NAMES: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
KNOWN_KEYS: tuple[str, ...] = (*DAY_NAMES, "bank_holidays", "closed_dates", "extra_openings")

# How far ahead (and back) the bot looks for an opening or a closing before giving up.
SEARCH_DAYS = 366
# How far ahead `describe` lists one-off closures, openings and bank holidays.
NOTICE_DAYS = 60

_WINDOW_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})\s*$")
_MIDNIGHT = time(0, 0)
_ONE_DAY = timedelta(days=1)

Period = tuple[datetime, datetime]
Day = TypeVar("Day", int, date)  # a weekday number or a calendar date


@dataclass(frozen=True, slots=True)
class Window:
    """A local wall-clock window. `end <= start` means it runs past midnight into the next day;
    an `end` of 00:00 is midnight at the end of the day ("24:00"), so 00:00-00:00 is the whole day.
    """

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


def _frozen_windows(value: Mapping[Day, tuple[Window, ...]]) -> Mapping[Day, tuple[Window, ...]]:
    """A read-only copy with each day's windows in clock order."""
    return MappingProxyType(
        {day: tuple(sorted(windows, key=lambda window: window.start)) for day, windows in value.items()}
    )


@dataclass(frozen=True, slots=True)
class MonitoringHours:
    """When one account is monitored. A window belongs to the local day it starts on.

    A bank holiday (when `bank_holidays_closed`) cancels the windows that start on it, but the tail
    of the previous evening's past-midnight window still runs. A date in `closed_dates` closes the
    whole local day, cutting short a window that runs into it. `extra_openings` replace the windows
    of their date, whatever the weekday, bank holiday or not.
    """

    zone: ZoneInfo
    weekly: Mapping[int, tuple[Window, ...]]  # 0 = Monday .. 6 = Sunday; a missing day is closed
    bank_holidays_closed: bool = True
    closed_dates: frozenset[date] = frozenset()
    extra_openings: Mapping[date, tuple[Window, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekly", _frozen_windows(self.weekly))
        object.__setattr__(self, "extra_openings", _frozen_windows(self.extra_openings))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))

    def __hash__(self) -> int:
        """Hashable by value (the read-only mappings are not), so the periods of a day can be remembered."""
        return hash((self.zone, tuple(self.weekly.items()), self.bank_holidays_closed, self.closed_dates,
                     tuple(self.extra_openings.items())))


# ---------------------------------------------------------------------------------------------
# Reading the settings file


def parse_hours(table: Mapping[str, object], zone: ZoneInfo, file: str, key: str) -> MonitoringHours:
    """Build `MonitoringHours` from an account's `hours` table, naming the exact key on error.

    `key` is where the table sits in the file (e.g. "accounts[0].hours"), so a mistake reads as
    `housebot.toml: accounts[0].hours.monday[1]: '25:00-17:00' is not a time window like 09:00-17:00`.
    """
    if not isinstance(table, Mapping):
        raise ConfigError(file, key, "must be a table of days, e.g. monday = [\"09:00-17:00\"]")
    unknown = [str(name) for name in table if name not in KNOWN_KEYS]
    if unknown:
        named = ", ".join(f"'{name}'" for name in unknown)
        raise ConfigError(
            file,
            f"{key}.{unknown[0]}",
            f"unknown key{'s' if len(unknown) > 1 else ''} {named}; known keys are {', '.join(KNOWN_KEYS)}",
        )
    weekly = {
        number: _parse_windows(table.get(name, []), file, f"{key}.{name}")
        for number, name in enumerate(DAY_NAMES)
    }
    closed_dates = _parse_closed_dates(table.get("closed_dates", []), file, f"{key}.closed_dates")
    extra_openings = _parse_extra_openings(table.get("extra_openings", {}), file, f"{key}.extra_openings")
    both = sorted(closed_dates & extra_openings.keys())
    if both:
        raise ConfigError(
            file,
            f"{key}.closed_dates",
            f"{both[0].isoformat()} is both a closed date and an extra opening; keep only one",
        )
    bank_holidays = table.get("bank_holidays", "closed")
    bank_holidays_closed = _parse_bank_holidays(bank_holidays, file, f"{key}.bank_holidays")
    return MonitoringHours(
        zone=zone,
        weekly=weekly,
        bank_holidays_closed=bank_holidays_closed,
        closed_dates=closed_dates,
        extra_openings=extra_openings,
    )


def _parse_windows(value: object, file: str, key: str) -> tuple[Window, ...]:
    if not isinstance(value, list):
        raise ConfigError(file, key, 'must be a list of time windows like ["09:00-17:00"] ([] when closed)')
    parsed: list[tuple[int, Window, str]] = []
    for index, text in enumerate(value):
        parsed.append((index, _parse_window(text, file, f"{key}[{index}]"), str(text)))
    ordered = sorted(parsed, key=lambda item: _minute_span(item[1]))
    for (_, earlier, earlier_text), (index, later, later_text) in zip(ordered, ordered[1:]):
        if _minute_span(later)[0] < _minute_span(earlier)[1]:
            raise ConfigError(file, f"{key}[{index}]", f"'{later_text}' overlaps '{earlier_text}'")
    return tuple(window for _, window, _ in ordered)


def _minute_span(window: Window) -> tuple[int, int]:
    """Minutes from the start of the window's day; a past-midnight window ends after 24:00."""
    start = window.start.hour * 60 + window.start.minute
    end = window.end.hour * 60 + window.end.minute
    return start, end + 24 * 60 if window.crosses_midnight else end


def _parse_window(text: object, file: str, key: str) -> Window:
    problem = f"{text!r} is not a time window like 09:00-17:00"
    if not isinstance(text, str):
        raise ConfigError(file, key, problem)
    match = _WINDOW_PATTERN.match(text)
    if match is None:
        raise ConfigError(file, key, problem)
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
    end_in_range = end_hour < 24 or (end_hour == 24 and end_minute == 0)
    if start_hour > 23 or start_minute > 59 or end_minute > 59 or not end_in_range:
        raise ConfigError(file, key, problem)
    start = time(start_hour, start_minute)
    end = time(end_hour % 24, end_minute)
    if start == end and end_hour != 24:
        raise ConfigError(
            file, key, f"'{text}' starts and ends at the same time; use 00:00-24:00 for a whole day"
        )
    return Window(start, end)


def _parse_date(value: object, file: str, key: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):  # a bare TOML date
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(file, key, f"{value!r} is not a date like 2026-12-25")


def _parse_closed_dates(value: object, file: str, key: str) -> frozenset[date]:
    if not isinstance(value, list):
        raise ConfigError(file, key, 'must be a list of dates like ["2026-12-25"]')
    return frozenset(_parse_date(item, file, f"{key}[{index}]") for index, item in enumerate(value))


def _parse_extra_openings(value: object, file: str, key: str) -> dict[date, tuple[Window, ...]]:
    if not isinstance(value, Mapping):
        raise ConfigError(file, key, 'must be a table of dates, e.g. { "2026-12-27" = ["10:00-12:00"] }')
    openings: dict[date, tuple[Window, ...]] = {}
    for raw_day, windows in value.items():
        day_key = f'{key}."{raw_day}"'
        day = _parse_date(raw_day, file, day_key)
        if day in openings:
            raise ConfigError(file, day_key, f"{day.isoformat()} is listed twice")
        openings[day] = _parse_windows(windows, file, day_key)
        if not openings[day]:
            raise ConfigError(
                file, day_key, "an extra opening needs at least one window; use closed_dates to close"
            )
    return openings


def _parse_bank_holidays(value: object, file: str, key: str) -> bool:
    if value not in BANK_HOLIDAY_CHOICES:
        raise ConfigError(file, key, f"{value!r} is not one of {', '.join(map(repr, BANK_HOLIDAY_CHOICES))}")
    return value == "closed"


# ---------------------------------------------------------------------------------------------
# From local days to instants


@lru_cache(maxsize=32)
def england_bank_holidays(year: int) -> Mapping[date, str]:
    """England's bank holidays in `year`, by date, with their names (substitute days included)."""
    return MappingProxyType(dict(holidays.country_holidays("GB", subdiv="ENG", years=year)))


def _aware_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, not {value.isoformat()}")
    return value.astimezone(UTC)


def _local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The first instant (in UTC) at which the local clock in `zone` reaches `clock` on `day`."""
    wall = datetime.combine(day, clock)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # an ordinary time, or the first of a repeated one
    # `wall` falls in a gap: fold=1 lands before the gap, fold=0 after; find the clock change to
    # the second (every zone's transitions fall on whole seconds).
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())  # shows a wall time before `wall`
    high = int(first.timestamp())  # shows a wall time after `wall`
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _closed_for_bank_holiday(hours: MonitoringHours, day: date) -> bool:
    return hours.bank_holidays_closed and day in england_bank_holidays(day.year)


def _windows_on(hours: MonitoringHours, day: date) -> tuple[Window, ...]:
    """The windows that start on local `day`, after one-off openings, closures and bank holidays."""
    if day in hours.extra_openings:
        return hours.extra_openings[day]
    if day in hours.closed_dates:
        return ()
    if _closed_for_bank_holiday(hours, day):
        return ()
    return hours.weekly.get(day.weekday(), ())


def _day_periods(hours: MonitoringHours, day: date) -> list[Period]:
    """The UTC intervals of the windows that start on `day`, in order, before any merging."""
    periods: list[Period] = []
    for window in _windows_on(hours, day):
        start = _local_instant(day, window.start, hours.zone)
        end_day = day + _ONE_DAY if window.crosses_midnight else day
        end = _local_instant(end_day, window.end, hours.zone)
        if end_day != day and end_day in hours.closed_dates:
            end = min(end, _local_instant(end_day, _MIDNIGHT, hours.zone))
        if start < end:  # a window wholly inside the spring gap never happens
            periods.append((start, end))
    return periods


def _merged_forward(hours: MonitoringHours, first_day: date, last_day: date) -> Iterator[Period]:
    """Merged UTC periods of the windows starting from `first_day` to `last_day`, earliest first.

    Lazy, so callers stop as soon as they have their answer. Windows start in day order, so a
    period that touches or overlaps the one before it joins it.
    """
    current: Period | None = None
    day = first_day
    while day <= last_day:
        for start, end in _day_periods(hours, day):
            if current is not None and start <= current[1]:
                current = (current[0], max(current[1], end))
                continue
            if current is not None:
                yield current
            current = (start, end)
        day += _ONE_DAY
    if current is not None:
        yield current


def _merged_backward(hours: MonitoringHours, last_day: date, first_day: date) -> Iterator[Period]:
    """The same merged periods as `_merged_forward`, latest first, walking back from `last_day`."""
    current: Period | None = None
    day = last_day
    while day >= first_day:
        for start, end in reversed(_day_periods(hours, day)):
            if current is not None and end >= current[0]:
                current = (start, max(current[1], end))
                continue
            if current is not None:
                yield current
            current = (start, end)
        day -= _ONE_DAY
    if current is not None:
        yield current


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


# ---------------------------------------------------------------------------------------------
# Questions the service asks


def is_open(hours: MonitoringHours, now: datetime) -> bool:
    """Whether the account is monitored at `now`."""
    moment = _aware_utc(now, "now")
    today = _local_day(moment, hours.zone)
    return any(
        start <= moment < end
        for day in (today - _ONE_DAY, today)
        for start, end in _day_periods(hours, day)
    )


def next_open(hours: MonitoringHours, now: datetime) -> datetime | None:
    """The start of the next open period strictly after `now`, or None within `SEARCH_DAYS`."""
    moment = _aware_utc(now, "now")
    limit = moment + timedelta(days=SEARCH_DAYS)
    today = _local_day(moment, hours.zone)
    for start, _ in _merged_forward(hours, today - _ONE_DAY, today + timedelta(days=SEARCH_DAYS)):
        if start > limit:
            return None
        if start > moment:
            return start.astimezone(hours.zone)
    return None


def next_close(hours: MonitoringHours, now: datetime) -> datetime | None:
    """The end of the open period containing `now`, else of the next one; None within `SEARCH_DAYS`."""
    moment = _aware_utc(now, "now")
    today = _local_day(moment, hours.zone)
    last_day = today + timedelta(days=SEARCH_DAYS)
    # A period still running when the search stops has an unknown end.
    search_end = _local_instant(last_day + _ONE_DAY, _MIDNIGHT, hours.zone)
    for _, end in _merged_forward(hours, today - _ONE_DAY, last_day):
        if end > moment:
            return None if end >= search_end else end.astimezone(hours.zone)
    return None


def current_open_since(hours: MonitoringHours, now: datetime) -> datetime | None:
    """The start of the open period containing `now`, or None when closed.

    Follows touching windows back across days, at most `SEARCH_DAYS`: an account open round the
    clock for longer than that reports the start of the search.
    """
    moment = _aware_utc(now, "now")
    today = _local_day(moment, hours.zone)
    for start, end in _merged_backward(hours, today, today - timedelta(days=SEARCH_DAYS)):
        if start <= moment:
            return start.astimezone(hours.zone) if moment < end else None
    return None


def open_periods(hours: MonitoringHours, start: datetime, end: datetime) -> list[Period]:
    """The merged open periods overlapping [start, end), whole (not cut to the range), in `hours.zone`.

    Windows that touch, such as Friday 20:00-24:00 and Saturday 00:00-02:00, are one period, so
    the bot never sees a closing at a seam and never posts an "offline" notice there. Worked out for
    the whole local days around the range and remembered: the service asks every few seconds for
    every account, and an account open round the clock walks `SEARCH_DAYS` both ways (36 ms a time).
    """
    range_start = _aware_utc(start, "start")
    range_end = _aware_utc(end, "end")
    if range_end <= range_start:
        return []
    days = _periods_of_days(hours, _local_day(range_start, hours.zone) - _ONE_DAY,
                            _local_day(range_end, hours.zone) + _ONE_DAY)
    return [(period_start.astimezone(hours.zone), period_end.astimezone(hours.zone))
            for period_start, period_end in days if period_start < range_end and period_end > range_start]


@lru_cache(maxsize=4096)
def _periods_of_days(hours: MonitoringHours, first_day: date, last_day: date) -> tuple[Period, ...]:
    """The merged UTC periods overlapping the local days `first_day` to `last_day`, whole."""
    range_start = _local_instant(first_day, _MIDNIGHT, hours.zone)
    range_end = _local_instant(last_day + _ONE_DAY, _MIDNIGHT, hours.zone)
    since = current_open_since(hours, range_start)
    first = _aware_utc(since, "since") if since is not None else range_start
    periods: list[Period] = []
    for period_start, period_end in _merged_forward(hours, _local_day(first, hours.zone) - _ONE_DAY,
                                                    last_day + timedelta(days=SEARCH_DAYS)):
        if period_start >= range_end:
            break
        if period_end > range_start:
            periods.append((period_start, period_end))
    return tuple(periods)


# ---------------------------------------------------------------------------------------------
# Words for people


def _clock_words(clock: time) -> str:
    """British style: 9am, 9:30am, 12 noon, 12 midnight; no leading zeros."""
    if clock.minute == 0 and clock.hour in (0, 12):
        return "12 midnight" if clock.hour == 0 else "12 noon"
    hour = clock.hour % 12 or 12
    minutes = f":{clock.minute:02d}" if clock.minute else ""
    return f"{hour}{minutes}{'am' if clock.hour < 12 else 'pm'}"


def _date_words(day: date, with_year: bool = False) -> str:
    """Words like "Tuesday 26 May", spelled here rather than by strftime, which follows the locale."""
    words = f"{DAY_NAMES[day.weekday()].title()} {day.day} {MONTH_NAMES[day.month - 1]}"
    return f"{words} {day.year}" if with_year else words


def _upcoming_day_words(day: date, today: date) -> str:
    """A date near `today`, with its year only when that differs from this year."""
    return _date_words(day, with_year=day.year != today.year)


def _moment_parts(when: datetime, zone: ZoneInfo) -> tuple[str, date]:
    """The clock words and the day they belong to; midnight belongs to the day it ends."""
    local = _aware_utc(when, "when").astimezone(zone)
    clock = _clock_words(local.time())
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        clock = f"{clock} {local.tzname()}"  # the repeated autumn hour needs its zone to be clear
    at_midnight = local.hour == 0 and local.minute == 0
    day = local.date() - _ONE_DAY if at_midnight else local.date()
    return clock, day


def describe_moment(when: datetime, zone: ZoneInfo) -> str:
    """A moment in words, e.g. "9am on Tuesday 26 May"; 00:00 is "12 midnight" on the day it ends."""
    clock, day = _moment_parts(when, zone)
    return f"{clock} on {_date_words(day)}"


def _windows_words(windows: tuple[Window, ...]) -> str:
    if not windows:
        return "closed"
    parts = []
    for window in windows:
        if window.start == _MIDNIGHT and window.end == _MIDNIGHT:
            parts.append("all day")
            continue
        next_day = " the next day" if window.crosses_midnight and window.end != _MIDNIGHT else ""
        parts.append(f"{_clock_words(window.start)} to {_clock_words(window.end)}{next_day}")
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _day_range_words(first: int, last: int) -> str:
    first_name, last_name = DAY_NAMES[first].title(), DAY_NAMES[last].title()
    if first == last:
        return first_name
    return f"{first_name} {'and' if last == first + 1 else 'to'} {last_name}"


def _bank_holiday_name(day: date) -> str:
    """The holiday's name as GOV.UK words it: "Boxing Day, substitute day", not "(observed)"."""
    return england_bank_holidays(day.year)[day].replace(" (observed)", ", substitute day")


def _list_words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def describe(hours: MonitoringHours, now: datetime) -> str:
    """The published hours in plain English, one line each, with what is coming up.

    Consecutive days with the same windows share a line; then the bank-holiday rule, the next
    closure (or opening), and the bank holidays, one-off closures and extra openings of the next
    `NOTICE_DAYS` days.
    """
    moment = _aware_utc(now, "now")
    today = _local_day(moment, hours.zone)
    lines: list[str] = []
    for windows, days in groupby(range(7), key=lambda number: hours.weekly.get(number, ())):
        numbers = list(days)
        lines.append(f"{_day_range_words(numbers[0], numbers[-1])}: {_windows_words(windows)}")
    rule = "Closed" if hours.bank_holidays_closed else "Open as usual"
    lines.append(f"{rule} on bank holidays in England.")

    def when_words(change: datetime) -> str:
        clock, day = _moment_parts(change, hours.zone)
        return f"{_upcoming_day_words(day, today)} at {clock}"

    if is_open(hours, moment):
        closing = next_close(hours, moment)
        lines.append(f"Next closure: {when_words(closing)}." if closing else "Open round the clock.")
    else:
        opening = next_open(hours, moment)
        lines.append(f"Next opening: {when_words(opening)}." if opening else "No opening in the next year.")

    upcoming = [today + timedelta(days=offset) for offset in range(NOTICE_DAYS)]

    bank_days = [
        f"{_upcoming_day_words(day, today)} ({_bank_holiday_name(day)})"
        for day in upcoming
        if day in england_bank_holidays(day.year) and day not in hours.extra_openings
    ]
    if bank_days:
        how = "closed" if hours.bank_holidays_closed else "open as usual"
        lines.append(f"Bank holidays in the next {NOTICE_DAYS} days ({how}): {_list_words(bank_days)}.")
    closures = [
        _upcoming_day_words(day, today)
        for day in upcoming
        if day in hours.closed_dates and not _closed_for_bank_holiday(hours, day)
    ]
    if closures:
        lines.append(f"Also closed: {_list_words(closures)}.")
    for day in upcoming:
        if day in hours.extra_openings:
            windows = _windows_words(hours.extra_openings[day])
            lines.append(f"Extra opening: {_upcoming_day_words(day, today)}, {windows}.")
    return "\n".join(lines)
