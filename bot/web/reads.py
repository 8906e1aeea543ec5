"""What the console's pages read from the state database: read-only queries, one per page.

Pages show redacted text; `inbound.text` (the full text) is read only for roles allowed to see it,
and the store keeps it only while a message waits to be handled. Times stay aware UTC here; the
templates show them in the organisation's zone.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Sequence
from zoneinfo import ZoneInfo

from bot.model import Category
from bot.staff import STAFF_SCHEMA
from bot.store import Store

DANGER = ("safeguarding", "urgent_care", "threat")
TAKE_DOWN_KINDS = ("hide", "delete", "block", "mute")
INBOX_LIMIT = 100
SUGGESTED = " Suggested reply: "  # how bot.pipeline words a review's suggested reply


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _like(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (escape `%`, `_` and the escape itself)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True, slots=True)
class InboxFilters:
    account: str = ""
    platform: str = ""
    channel: str = ""
    category: str = ""
    action: str = ""
    outcome: str = ""  # pending, held, handled, dry run
    waiting: bool = False  # only messages a person must look at
    day: str = ""  # YYYY-MM-DD in the organisation's zone
    search: str = ""


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    at: datetime
    account: str
    platform: str
    channel: str
    author: str
    author_name: str
    text: str
    category: str
    rule: str
    did: str
    outcome: str
    waiting: bool
    urgent: bool


_INBOX_SELECT = """
SELECT i.*,
  (SELECT group_concat(a.kind || CASE WHEN a.team<>'' THEN ' (' || a.team || ')' ELSE '' END || ': ' || a.status, '; ')
     FROM actions a WHERE a.inbound_id=i.id) AS did,
  EXISTS (SELECT 1 FROM actions a WHERE a.inbound_id=i.id AND a.status='waiting') AS waiting,
  EXISTS (SELECT 1 FROM actions a WHERE a.inbound_id=i.id AND a.urgency='urgent') AS urgent
FROM inbound i"""


def _inbox_row(row: object) -> InboxRow:
    r = row  # sqlite3.Row
    return InboxRow(id=r["id"], at=datetime.fromisoformat(r["created_at"]), account=r["account"],
                    platform=r["platform"], channel=r["channel"], author=r["author_handle"],
                    author_name=r["author_name"], text=r["text_redacted"], category=r["category"] or "not decided yet",
                    rule=r["rule"] or "", did=r["did"] or "nothing yet",
                    outcome="dry run" if r["dry_run"] else r["status"], waiting=bool(r["waiting"]),
                    urgent=bool(r["urgent"]))


def inbox(store: Store, filters: InboxFilters, zone: ZoneInfo, limit: int = INBOX_LIMIT) -> list[InboxRow]:
    """Every message and what the bot did, newest first, filtered."""
    clauses: list[str] = []
    params: list[object] = []
    for column, value in (("account", filters.account), ("platform", filters.platform), ("channel", filters.channel),
                          ("category", filters.category)):
        if value:
            clauses.append(f"i.{column}=?")
            params.append(value)
    if filters.outcome == "dry run":
        clauses.append("i.dry_run=1")
    elif filters.outcome:
        clauses.append("i.status=? AND COALESCE(i.dry_run, 0)=0")
        params.append(filters.outcome)
    if filters.action:
        clauses.append("EXISTS (SELECT 1 FROM actions a WHERE a.inbound_id=i.id AND a.kind=?)")
        params.append(filters.action)
    if filters.waiting:
        clauses.append("EXISTS (SELECT 1 FROM actions a WHERE a.inbound_id=i.id AND a.status='waiting')")
    if filters.day:
        start = datetime.combine(date.fromisoformat(filters.day), datetime.min.time(), zone)
        clauses.append("i.created_at>=? AND i.created_at<?")
        params += [_iso(start), _iso(start + timedelta(days=1))]
    if filters.search:
        clauses.append("(i.text_redacted LIKE ? ESCAPE '\\' OR i.author_handle LIKE ? ESCAPE '\\')")
        params += [_like(filters.search), _like(filters.search)]
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store.read(f"{_INBOX_SELECT}{where} ORDER BY i.created_at DESC, i.id DESC LIMIT ?", (*params, limit))
    return [_inbox_row(r) for r in rows]


def pinned(store: Store, now: datetime) -> list[InboxRow]:
    """Urgent messages a person must still look at, or from the last day: shown above the inbox."""
    rows = store.read(
        f"""{_INBOX_SELECT} WHERE EXISTS (SELECT 1 FROM actions a WHERE a.inbound_id=i.id AND a.urgency='urgent'
            AND (a.status='waiting' OR a.planned_at>=?)) ORDER BY i.created_at DESC LIMIT 20""",
        (_iso(now - timedelta(days=1)),))
    return [_inbox_row(r) for r in rows]


@dataclass(frozen=True, slots=True)
class ActionRow:
    id: int
    kind: str
    status: str
    channel: str
    team: str
    urgency: str
    rule: str
    reason: str
    text: str
    platform_ref: str
    error: str
    attempts: int
    planned_at: datetime | None
    finished_at: datetime | None
    requested_by: str  # the person who asked for a staff action; "" for the bot's own

    @property
    def suggested_reply(self) -> str:
        """The reply the bot suggests with a review (a possible false claim's), for staff to edit."""
        return self.text.partition(SUGGESTED)[2]


def _action_row(r: object) -> ActionRow:
    return ActionRow(id=r["id"], kind=r["kind"], status=r["status"], channel=r["channel"] or "", team=r["team"],
                     urgency=r["urgency"], rule=r["rule"], reason=r["reason"], text=r["text"],
                     platform_ref=r["platform_ref"] or "", error=r["error"] or "", attempts=r["attempts"],
                     planned_at=_when(r["planned_at"]), finished_at=_when(r["finished_at"]),
                     requested_by=r["requested_by"] or "")


@dataclass(frozen=True, slots=True)
class MessageView:
    row: InboxRow
    full_text: str | None  # only while the store keeps it; the page shows it only to roles allowed
    evidence: str
    stream: str
    native_id: str
    author_id: str
    actions: tuple[ActionRow, ...]
    history: tuple[InboxRow, ...]  # the author's other messages on this account, newest first
    strikes: tuple[tuple[str, datetime], ...]  # category, when
    struck: bool  # this message earned one of them


def message(store: Store, inbound_id: int) -> MessageView | None:
    rows = store.read(f"{_INBOX_SELECT} WHERE i.id=?", (inbound_id,))
    if not rows:
        return None
    r = rows[0]
    actions = tuple(_action_row(a) for a in store.read("SELECT * FROM actions WHERE inbound_id=? ORDER BY position, id",
                                                        (inbound_id,)))
    history = store.read(f"""{_INBOX_SELECT} WHERE i.platform=? AND i.account=? AND i.author_id=? AND i.id<>?
                             ORDER BY i.created_at DESC LIMIT 20""", (r["platform"], r["account"], r["author_id"], inbound_id))
    strikes = store.read("SELECT category, at FROM strikes WHERE platform=? AND account=? AND author_id=? ORDER BY at DESC",
                         (r["platform"], r["account"], r["author_id"]))
    return MessageView(row=_inbox_row(r), full_text=r["text"], evidence=r["evidence"] or "", stream=r["stream"],
                       native_id=r["native_id"], author_id=r["author_id"], actions=actions,
                       history=tuple(_inbox_row(h) for h in history),
                       strikes=tuple((s["category"], datetime.fromisoformat(s["at"])) for s in strikes),
                       struck=bool(store.read("SELECT 1 FROM strikes WHERE inbound_id=?", (inbound_id,))))


@dataclass(frozen=True, slots=True)
class ReviewRow:
    action: ActionRow
    message: InboxRow
    age: timedelta
    target: timedelta

    @property
    def late(self) -> bool:
        return self.age > self.target


def review_queue(store: Store, now: datetime, urgent_target: timedelta, target: timedelta) -> list[ReviewRow]:
    """Reviews waiting for a person: urgent first, then the oldest."""
    rows = store.read("""SELECT * FROM actions WHERE status='waiting' AND inbound_id IS NOT NULL
                         ORDER BY urgency='urgent' DESC, planned_at, id""")
    result = []
    for r in rows:
        found = store.read(f"{_INBOX_SELECT} WHERE i.id=?", (r["inbound_id"],))
        if not found:
            continue
        action = _action_row(r)
        age = now - (action.planned_at or now)
        result.append(ReviewRow(action, _inbox_row(found[0]), age, urgent_target if action.urgency == "urgent" else target))
    return result


@dataclass(frozen=True, slots=True)
class TakeDown:
    action: ActionRow
    message: InboxRow
    undo: ActionRow | None  # the unhide, unblock or unmute a person asked for, if any


def take_downs(store: Store, now: datetime, days: int = 30) -> list[TakeDown]:
    """Hides, deletes, blocks and mutes of the last `days` days that are done: what may be undone,
    each with the undo already asked for (so nobody undoes it twice)."""
    rows = store.read(f"""SELECT * FROM actions WHERE kind IN ({','.join('?' * len(TAKE_DOWN_KINDS))}) AND status='done'
                          AND inbound_id IS NOT NULL AND planned_at>=? ORDER BY planned_at DESC, id DESC LIMIT 200""",
                      (*TAKE_DOWN_KINDS, _iso(now - timedelta(days=days))))
    result = []
    for r in rows:
        found = store.read(f"{_INBOX_SELECT} WHERE i.id=?", (r["inbound_id"],))
        undone = store.read("SELECT * FROM actions WHERE undoes=? ORDER BY id DESC LIMIT 1", (r["id"],))
        if found:
            result.append(TakeDown(_action_row(r), _inbox_row(found[0]), _action_row(undone[0]) if undone else None))
    return result


@dataclass(frozen=True, slots=True)
class StrikeRow:
    inbound_id: int
    account: str
    author: str
    category: str
    at: datetime


def strikes(store: Store, limit: int = 200) -> list[StrikeRow]:
    rows = store.read("""SELECT s.*, i.author_handle FROM strikes s JOIN inbound i ON i.id=s.inbound_id
                         ORDER BY s.at DESC LIMIT ?""", (limit,))
    return [StrikeRow(r["inbound_id"], r["account"], r["author_handle"], r["category"], datetime.fromisoformat(r["at"]))
            for r in rows]


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    team: str
    urgency: str
    account: str
    category: str
    title: str
    text: str
    inbound_id: int | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str
    repeats: int


def alerts(store: Store, *, open_only: bool, limit: int = 200) -> list[AlertRow]:
    """Alerts of the outbox (digests left out), newest first; `open_only`: not acknowledged yet."""
    from bot.alerts.content import AlertContent
    from bot.alerts.outbox import OUTBOX_SCHEMA

    store.extend_schema(OUTBOX_SCHEMA)
    rows = store.read(f"""SELECT * FROM alerts WHERE kind<>'digest' {'AND acknowledged_at IS NULL' if open_only else ''}
                          ORDER BY urgency='urgent' DESC, created_at DESC LIMIT ?""", (limit,))
    return [AlertRow(r["id"], r["team"], r["urgency"], r["account"], r["category"],
                     AlertContent.from_json(r["content"]).title if r["content"] else r["category"], r["text"],
                     r["inbound_id"], datetime.fromisoformat(r["created_at"]), _when(r["acknowledged_at"]),
                     r["acknowledged_by"] or "", r["repeats"]) for r in rows]


def last_fetches(store: Store) -> dict[str, datetime]:
    """Each account's last successful read that moved a cursor (kept across restarts)."""
    return {r["account"]: datetime.fromisoformat(r["last"])
            for r in store.read("SELECT account, MAX(updated_at) AS last FROM cursors GROUP BY account")}


# -- reports ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DayReport:
    day: date
    account: str
    by_category: tuple[tuple[str, int], ...]
    messages: int
    hides: int
    appeals_upheld: int
    first_reply_minutes: float | None  # median, from the message to the first reply sent
    settle_minutes: float | None  # median, from a review's planning to a person settling it


def _minutes(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def daily_report(store: Store, now: datetime, zone: ZoneInfo, days: int = 14) -> list[DayReport]:
    """Per local day and account: messages by category, hides, appeals upheld, and the median time
    to a first reply and to settle a review."""
    since = datetime.combine((now.astimezone(zone) - timedelta(days=days - 1)).date(), datetime.min.time(), zone)
    rows = store.read("""SELECT i.id, i.account, i.category, i.created_at,
                           (SELECT MIN(a.finished_at) FROM actions a WHERE a.inbound_id=i.id AND a.kind='reply'
                              AND a.status='done') AS first_reply,
                           (SELECT COUNT(*) FROM actions a WHERE a.inbound_id=i.id AND a.kind='hide' AND a.status='done') AS hides
                         FROM inbound i WHERE i.created_at>=? AND i.category IS NOT NULL""", (_iso(since),))
    settled = store.read("""SELECT a.account, a.planned_at, a.finished_at FROM actions a WHERE a.kind='review'
                            AND a.status='done' AND a.planned_at>=?""", (_iso(since),))
    store.extend_schema(STAFF_SCHEMA)
    upheld = store.read("""SELECT i.account, p.decided_at FROM appeals p JOIN inbound i ON i.id=p.inbound_id
                           WHERE p.upheld=1 AND p.decided_at>=?""", (_iso(since),))
    groups: dict[tuple[date, str], dict[str, list]] = {}

    def group(key: tuple[date, str]) -> dict[str, list]:
        return groups.setdefault(key, {"categories": [], "hides": [], "reply": [], "settle": [], "upheld": []})

    for r in rows:
        key = (datetime.fromisoformat(r["created_at"]).astimezone(zone).date(), r["account"])
        group(key)["categories"].append(r["category"])
        group(key)["hides"].append(r["hides"])
        group(key)["reply"].append(_minutes(r["created_at"], r["first_reply"]))
    for r in settled:
        key = (datetime.fromisoformat(r["planned_at"]).astimezone(zone).date(), r["account"])
        group(key)["settle"].append(_minutes(r["planned_at"], r["finished_at"]))
    for r in upheld:
        group((datetime.fromisoformat(r["decided_at"]).astimezone(zone).date(), r["account"]))["upheld"].append(1)
    order = [c.value for c in Category]
    result = []
    for (day, account), found in sorted(groups.items()):
        counts = tuple((c, found["categories"].count(c)) for c in order if c in found["categories"])
        result.append(DayReport(day, account, counts, len(found["categories"]), sum(found["hides"]),
                                len(found["upheld"]), _median(found["reply"]), _median(found["settle"])))
    return result


@dataclass(frozen=True, slots=True)
class WeekReport:
    week_start: date  # the Monday
    account: str
    messages: int
    hides: int
    appeals_upheld: int


def weekly(days: Sequence[DayReport]) -> list[WeekReport]:
    """The days added up per account and week (Monday to Sunday)."""
    totals: dict[tuple[date, str], list[int]] = {}
    for day in days:
        key = (day.day - timedelta(days=day.day.weekday()), day.account)
        sums = totals.setdefault(key, [0, 0, 0])
        sums[0] += day.messages
        sums[1] += day.hides
        sums[2] += day.appeals_upheld
    return [WeekReport(week, account, *sums) for (week, account), sums in sorted(totals.items())]
