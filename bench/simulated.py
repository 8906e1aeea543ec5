"""A simulated platform for the scale benchmark: many accounts, messages arriving at a set rate,
no network; bench-only, so it is not shipped among `adapters/`.

What arrives is a pure function of the seed, the account, the message's number and the clock
(`Arrivals`), so every worker process sees the same messages, and a worker that takes an account
over reads the same ones again without re-creating or losing any. What the bot does (replies,
hides, ...) is appended to one JSON-lines file per worker process in a shared folder
(`ActivityLog`): the bench reads them all to check that nothing was done twice, and
`find_own_reply` reads them to answer after a crash or a takeover. Every call waits a small fixed
latency, standing in for the network.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

from adapters.base import AccountCheck, Adapter, FetchResult, RateBudget
from adapters.sandbox import CAPABILITIES, ScenarioMessage, load_scenario  # it can do what the sandbox can
from bot.model import Author, Channel, Inbound, Platform

STREAM_CHANNELS = {"comments": Channel.PUBLIC, "direct_messages": Channel.PRIVATE}
PAGE_SIZE = 100  # items a read returns at most, like a platform's page
OWN_POST_ID = "post-1"
# The mix of what people write to an NHS account, by the category the sandbox scenario gives each
# of its texts: mostly ordinary questions, then complaints, and a little of everything else.
MIX: tuple[tuple[str, float], ...] = (
    ("ordinary", 0.70), ("complaint", 0.12), ("abuse", 0.05), ("spam", 0.04), ("safeguarding", 0.015),
    ("urgent_care", 0.015), ("threat", 0.01), ("misinformation", 0.02), ("oversharing", 0.02),
    ("verification", 0.01),
)
AUTHORS_PER_ACCOUNT = 400  # distinct people writing to each account
MESSAGE_KINDS = frozenset({"reply", "hide", "unhide", "delete"})  # actions on one message: never twice


def _fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts`: the same in every process (unlike `hash`)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Which messages reach which account when: message k (from 1) of an account arrives at
    `epoch + (k - 1 + phase) / rate`, the phase fixed per account so accounts do not arrive in step;
    nothing arrives at or after `until`."""

    seed: int
    epoch: datetime
    per_minute: float  # messages per account per minute
    until: datetime

    def arrival(self, account: str, number: int) -> datetime:
        phase = _fraction(self.seed, account, "phase")
        return self.epoch + timedelta(minutes=(number - 1 + phase) / self.per_minute)

    def count(self, account: str, now: datetime) -> int:
        """How many messages have reached `account` by `now`."""
        moment = min(now, self.until - timedelta(microseconds=1))
        if moment < self.epoch:
            return 0
        phase = _fraction(self.seed, account, "phase")
        elapsed = (moment - self.epoch).total_seconds() / 60 * self.per_minute
        return max(0, int(elapsed - phase) + 1) if elapsed >= phase else 0

    def between(self, account: str, start: datetime, end: datetime) -> range:
        """The numbers of the messages that arrived in [start, end)."""
        return range(self.count(account, start - timedelta(microseconds=1)) + 1,
                     self.count(account, end - timedelta(microseconds=1)) + 1)


class Messages:
    """The text, stream and author of each message, picked from the sandbox scenario by the mix."""

    def __init__(self, seed: int, scenario: tuple[ScenarioMessage, ...] | None = None) -> None:
        by_category: dict[str, list[ScenarioMessage]] = {}
        for item in scenario or load_scenario():
            by_category.setdefault(item.expect, []).append(item)
        self.seed = seed
        self._mix = [(category, weight, by_category[category]) for category, weight in MIX if category in by_category]
        self._total = sum(weight for _, weight, _ in self._mix)

    def pick(self, account: str, number: int) -> ScenarioMessage:
        point = _fraction(self.seed, account, number, "category") * self._total
        for category, weight, items in self._mix:
            if point < weight:
                break
            point -= weight
        return items[int(_fraction(self.seed, account, number, "text") * len(items))]

    def inbound(self, account: str, number: int, created_at: datetime) -> Inbound:
        item = self.pick(account, number)
        person = int(_fraction(self.seed, account, number, "author") * AUTHORS_PER_ACCOUNT)
        handle = f"{item.handle.lstrip('@')}_{person}"
        return Inbound(
            platform=Platform.SANDBOX, account=account, stream=item.stream, channel=STREAM_CHANNELS[item.stream],
            native_id=message_id(account, number), author=Author(id=handle.lower(), handle=f"@{handle}", display_name=item.name),
            text=item.text, created_at=created_at,
            thread_id=OWN_POST_ID if item.stream == "comments" else f"dm-{handle}",
            parent_id=OWN_POST_ID if item.stream == "comments" and item.reply_to_own else "",
            in_reply_to_own=item.reply_to_own, extras={"scenario_id": item.id},
        )


def message_id(account: str, number: int) -> str:
    return f"{account}-{number}"


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing the bot did on the simulated platform, and when (seconds since 1970, UTC)."""

    account: str
    target: str  # a message's id, or an author's for blocks and mutes
    kind: str
    channel: str
    at: float
    worker: str


class ActivityLog:
    """What one worker process did, appended to its own file in a folder every worker shares."""

    def __init__(self, folder: Path, worker: str) -> None:
        self.folder = folder
        self.worker = worker
        folder.mkdir(parents=True, exist_ok=True)
        self._file = (folder / f"activity-{worker}.jsonl").open("a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()
        self._ids = 0

    def record(self, activity: Activity) -> str:
        line = json.dumps([activity.account, activity.target, activity.kind, activity.channel, activity.at,
                           activity.worker])
        with self._lock:
            self._file.write(line + "\n")
            self._ids += 1
            return f"sim-{self.worker}-{self._ids}"

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_activity(folder: Path) -> Iterator[Activity]:
    """Everything every worker did, in no particular order."""
    for path in sorted(folder.glob("activity-*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.endswith("\n"):  # a line cut short by a killed worker never reached the platform
                    yield Activity(*json.loads(line))


class SimulatedAdapter(Adapter):
    """One account on the simulated platform."""

    platform = Platform.SANDBOX
    capabilities = CAPABILITIES
    streams = tuple(STREAM_CHANNELS)

    def __init__(self, account: str, handle: str, arrivals: Arrivals, messages: Messages, log: ActivityLog, *,
                 clock: Callable[[], datetime], latency_seconds: float, rate_budget: RateBudget,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.account = account
        self.handle = handle
        self.arrivals = arrivals
        self.messages = messages
        self.log = log
        self.clock = clock
        self.latency = latency_seconds
        self.sleep = sleep
        self.rate_budgets = {stream: rate_budget for stream in STREAM_CHANNELS}

    def _call(self) -> None:
        if self.latency > 0:
            self.sleep(self.latency)

    def _record(self, target: str, kind: str, channel: str = "") -> str:
        self._call()
        return self.log.record(Activity(self.account, target, kind, channel, self.clock().timestamp(), self.log.worker))

    def check(self) -> AccountCheck:
        return AccountCheck(ok=True, identity=f"{self.handle} on the simulated platform")

    def own_ids(self) -> frozenset[str]:
        return frozenset({self.handle.lower().lstrip("@")})

    def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Messages of `stream` after the cursor (the number of the last message looked at)."""
        self._call()
        after = int(cursor) if cursor else 0
        last = min(self.arrivals.count(self.account, self.clock()), after + PAGE_SIZE)
        items = []
        for number in range(after + 1, last + 1):
            if self.messages.pick(self.account, number).stream == stream:
                items.append(self.messages.inbound(self.account, number, self.arrivals.arrival(self.account, number)))
        return FetchResult(tuple(items), str(last))

    def reply(self, inbound: Inbound, text: str, channel: Channel) -> str:
        return self._record(inbound.native_id, "reply", channel.value)

    def find_own_reply(self, inbound: Inbound, channel: Channel) -> str | None:
        self._call()
        found = [a for a in read_activity(self.log.folder)
                 if a.target == inbound.native_id and a.kind == "reply" and a.channel == channel.value]
        return f"sim-found-{found[0].worker}" if found else None

    def hide(self, inbound: Inbound) -> str:
        return self._record(inbound.native_id, "hide")

    def unhide(self, inbound: Inbound) -> str:
        return self._record(inbound.native_id, "unhide")

    def delete(self, inbound: Inbound) -> str:
        return self._record(inbound.native_id, "delete")

    def block(self, author: Author) -> str:
        return self._record(author.id, "block")

    def unblock(self, author: Author) -> str:
        return self._record(author.id, "unblock")

    def mute(self, author: Author) -> str:
        return self._record(author.id, "mute")

    def unmute(self, author: Author) -> str:
        return self._record(author.id, "unmute")

    def post_notice(self, text: str) -> str:
        return self._record(self.account, "notice", text)

    def find_notice(self, text: str, since: datetime | None = None) -> str | None:
        self._call()
        found = [a for a in read_activity(self.log.folder) if a.kind == "notice" and a.target == self.account
                 and a.channel == text and (since is None or a.at >= since.timestamp())]
        return f"sim-found-{found[0].worker}" if found else None


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)
