"""What an alert or a digest says, the signed acknowledge link, and when digests fall due.

Pure functions: the time is an argument and nothing here sends or stores. The words are made
once, when an alert is planned, and kept in the outbox, so a retry sends exactly the same.
Everything that leaves the organisation's systems is redacted here: NHS numbers, phone numbers,
emails and other private details become labels, and a named person (Mrs Jane Brown, my
neighbour John Smith) becomes "[name]".
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from typing import Sequence
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.hours import england_bank_holidays
from bot.model import Category, Finding
from bot.moderation import ModerationData, private_spans, redact

ACKNOWLEDGE_LINK_LIFETIME = timedelta(days=7)
DIGEST_GRACE = timedelta(hours=6)  # a digest time missed by more than this (bot was down) waits for the next
TEXT_LIMIT = 500  # characters of a message quoted in an alert


@dataclass(frozen=True, slots=True)
class AlertContent:
    """The words of one alert or digest, the same for every channel: each channel only lays them out."""

    title: str  # one line: the email subject, the card's heading
    facts: tuple[tuple[str, str], ...] = ()  # label, value
    lines: tuple[str, ...] = ()  # paragraphs: the quoted message, the digest's groups
    links: tuple[tuple[str, str], ...] = ()  # label, URL

    def to_json(self) -> str:
        return json.dumps({"title": self.title, "facts": self.facts, "lines": self.lines, "links": self.links})

    @classmethod
    def from_json(cls, text: str) -> AlertContent:
        data = json.loads(text)
        return cls(title=data["title"], facts=tuple((a, b) for a, b in data["facts"]), lines=tuple(data["lines"]),
                   links=tuple((a, b) for a, b in data["links"]))

    def repeated(self, round_number: int) -> AlertContent:
        """The same alert sent again because nobody acknowledged it."""
        if round_number == 0:
            return self
        return AlertContent(f"REPEAT {round_number}, not yet acknowledged: {self.title}", self.facts, self.lines,
                            self.links)


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One routine alert waiting for the next digest."""

    account: str
    category: str
    created_at: datetime
    text: str  # already redacted
    link: str


def redact_for_alert(text: str, data: ModerationData) -> str:
    """The message as staff may read it outside the console: private details and named people removed."""
    spans = private_spans(text, data)
    safe = redact(text, (Finding(Category.OVERSHARING, 1.0, "privacy.redaction", spans=spans),)) if spans else text
    safe = data.privacy.named_person.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + "[name]", safe)
    flat = " ".join(safe.split())
    return flat if len(flat) <= TEXT_LIMIT else flat[: TEXT_LIMIT - 1] + "…"


def local_time_words(moment: datetime, zone: ZoneInfo) -> str:
    """"Wed 25 Nov 2026 17:40 GMT": local time with its zone, so nobody has to convert."""
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")


def message_link(console_url: str, inbound_id: int) -> str:
    return f"{console_url}/messages/{inbound_id}"


def _signature(key: str, alert_id: int, expires: int) -> str:
    return hmac.new(key.encode(), f"acknowledge:{alert_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def acknowledge_link(console_url: str, key: str, alert_id: int, now: datetime) -> str:
    """A link anyone who received the alert can open to say "I have it" (the console checks it)."""
    expires = int((now + ACKNOWLEDGE_LINK_LIFETIME).timestamp())
    query = urlencode({"expires": expires, "sig": _signature(key, alert_id, expires)})
    return f"{console_url}/alerts/{alert_id}/acknowledge?{query}"


def verify_acknowledge(key: str, alert_id: int, expires: str, signature: str, now: datetime) -> bool:
    """True if the link's signature is ours and it has not expired (the console's handler calls this)."""
    if not expires.isdigit() or int(expires) < now.timestamp():
        return False
    return hmac.compare_digest(_signature(key, alert_id, int(expires)), signature)


def alert_content(*, urgent: bool, team_name: str, account_name: str, account: str, when: datetime, zone: ZoneInfo, category: str,
                  rule: str, reason: str, author: str, text: str, links: Sequence[tuple[str, str]],
                  escalation_note: str) -> AlertContent:
    """An alert about one message (or the bot's own trouble). `text` is already redacted; `author` is
    the public handle; the title stays short, so it reads whole in a phone's notification."""
    mark = "URGENT" if urgent else "Alert"
    facts = [("Team", team_name), ("Account", account), ("Time", local_time_words(when, zone)),
             ("Category", category), ("Rule", rule), ("Why", reason)]
    if author:
        facts.append(("From", author))
    lines = (f"Message (private details removed): \"{text}\"",) if text else ()
    if escalation_note:
        lines += (escalation_note,)
    return AlertContent(f"[{mark}] {category} on {account_name}", tuple(facts), lines, tuple(links))


def digest_content(team_name: str, items: Sequence[DigestItem], slot: datetime, zone: ZoneInfo) -> AlertContent:
    """One team's routine alerts since the last digest, grouped by account and category, each group
    with its count and its oldest item, so the longest wait is seen first."""
    ordered = sorted(items, key=lambda item: (item.account, item.category, item.created_at))
    lines = []
    for (account, category), group in groupby(ordered, key=lambda item: (item.account, item.category)):
        members = list(group)
        oldest = members[0]
        lines.append(f"{account}, {category}: {len(members)} waiting; oldest {local_time_words(oldest.created_at, zone)}: "
                     f"\"{oldest.text}\" {oldest.link}")
    facts = (("Team", team_name), ("Digest of", local_time_words(slot, zone)), ("Items", str(len(items))))
    return AlertContent(f"[Digest] {len(items)} routine alert{'s' if len(items) != 1 else ''} for the {team_name}",
                        facts, tuple(lines))


def _working_day(day: date, days: frozenset[int]) -> bool:
    return day.weekday() in days and day not in england_bank_holidays(day.year)


def latest_digest_slot(now: datetime, times: Sequence[time], days: frozenset[int], zone: ZoneInfo) -> datetime | None:
    """The latest digest time at or before `now` within the grace, on a working day (local time); None if none."""
    today = now.astimezone(zone).date()
    for back in range(2):  # the grace is shorter than a day, so today and yesterday suffice
        day = today - timedelta(days=back)
        if not _working_day(day, days):
            continue
        for clock in sorted(times, reverse=True):
            slot = datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
            if slot <= now:
                return slot if now - slot <= DIGEST_GRACE else None
    return None
