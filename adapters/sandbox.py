"""The built-in sandbox: a small fake social network that implements the whole adapter interface.

It lets a new user run the bot with no accounts, and lets tests watch everything the bot does.
`SandboxNetwork` is the "platform" (it outlives the bot, as a real one does across a restart):
it delivers a scenario of messages, and records every reply, hide, delete, block and notice, and
every undo staff ask for (unhide, unblock, unmute).
`SandboxAdapter` is the account's view of it, exactly as a real adapter would be.
"""

from __future__ import annotations

import itertools
import threading
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from adapters.base import AccountCheck, AccountConfig, Adapter, Capabilities, FetchResult, RateBudget
from bot.model import ActionKind, Author, Channel, Inbound, Platform

REQUIRED_ENV: tuple[str, ...] = ()
OPTIONAL_ENV: tuple[str, ...] = ()
SCENARIO_FILE = Path(__file__).with_name("sandbox_scenario.toml")
STREAM_CHANNELS = {"comments": Channel.PUBLIC, "direct_messages": Channel.PRIVATE}
OWN_POST_ID = "post-1"

CAPABILITIES = Capabilities(
    actions=frozenset({ActionKind.REPLY, ActionKind.HIDE, ActionKind.UNHIDE, ActionKind.DELETE, ActionKind.BLOCK,
                       ActionKind.UNBLOCK, ActionKind.MUTE, ActionKind.UNMUTE, ActionKind.POST_NOTICE}),
    max_reply_length={Channel.PUBLIC: 1000, Channel.PRIVATE: 1000},
    can_find_own_reply=True,
    can_find_notice=True,
)


@dataclass(frozen=True, slots=True)
class ScenarioMessage:
    id: str
    stream: str
    handle: str
    name: str
    text: str
    reply_to_own: bool = True
    expect: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing the bot did on the sandbox network, as a person watching it would see it."""

    kind: str
    target: str
    text: str = ""
    channel: str = ""


def load_scenario(path: Path = SCENARIO_FILE) -> tuple[ScenarioMessage, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(ScenarioMessage(**item) for item in data["messages"])


@dataclass
class SandboxNetwork:
    """The fake network's whole state. Thread-safe: the scheduler may poll from a worker thread."""

    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    items: list[Inbound] = field(default_factory=list)
    activity: list[Activity] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    muted: set[str] = field(default_factory=set)
    replies: dict[str, list[tuple[str, Activity]]] = field(default_factory=dict)  # inbound native id -> replies
    reads: list[tuple[datetime, str]] = field(default_factory=list)  # when each stream was read
    faults: list[tuple[str, Exception]] = field(default_factory=list)  # (method, error) to raise next
    run_id: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f"))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def post(self, account: str, message: ScenarioMessage, created_at: datetime | None = None) -> Inbound:
        """A member of the public writes to the account."""
        with self._lock:
            inbound = Inbound(
                platform=Platform.SANDBOX,
                account=account,
                stream=message.stream,
                channel=STREAM_CHANNELS[message.stream],
                native_id=f"{self.run_id}-{len(self.items) + 1:03d}-{message.id}",
                author=Author(id=message.handle.lower().lstrip("@"), handle=message.handle, display_name=message.name),
                text=message.text,
                created_at=created_at or self.clock(),
                thread_id=OWN_POST_ID if message.stream == "comments" else f"dm-{message.handle}",
                parent_id=OWN_POST_ID if message.stream == "comments" and message.reply_to_own else "",
                in_reply_to_own=message.reply_to_own,
                extras={"scenario_id": message.id},
            )
            self.items.append(inbound)
            return inbound

    def record(self, activity: Activity) -> str:
        with self._lock:
            self.activity.append(activity)
            return f"sbx-{next(self._ids)}"

    def fail_next(self, method: str, error: Exception, times: int = 1) -> None:
        """Make the next `times` calls of an adapter method fail, as a real platform sometimes does
        (`fetch:<stream>` fails only that stream's reads)."""
        with self._lock:
            self.faults.extend([(method, error)] * times)

    def raise_fault(self, method: str) -> None:
        with self._lock:
            for index, (name, error) in enumerate(self.faults):
                if name == method:
                    del self.faults[index]
                    raise error

    def activity_for(self, native_id: str) -> list[Activity]:
        return [a for a in self.activity if a.target == native_id]


class SandboxAdapter(Adapter):
    """One account on the sandbox network, paced so a person can watch the scenario unfold."""

    platform = Platform.SANDBOX
    capabilities = CAPABILITIES
    streams = tuple(STREAM_CHANNELS)
    rate_budgets = {stream: RateBudget(requests=600, per=timedelta(minutes=1)) for stream in STREAM_CHANNELS}

    def __init__(self, config: AccountConfig, network: SandboxNetwork,
                 scenario: tuple[ScenarioMessage, ...] = (), pace_seconds: float = 0.0) -> None:
        self.account = config.name
        self.handle = config.handle
        self.network = network
        self._scenario = list(scenario)
        self._pace = pace_seconds
        self._started = time.monotonic()
        self._released = 0

    def _deliver_due(self) -> None:
        """Release the scenario's messages one by one, `pace_seconds` apart."""
        if self._pace <= 0:
            due = len(self._scenario)
        else:
            due = int((time.monotonic() - self._started) / self._pace) + 1
        while self._released < min(due, len(self._scenario)):
            self.network.post(self.account, self._scenario[self._released])
            self._released += 1

    def check(self) -> AccountCheck:
        return AccountCheck(ok=True, identity=f"{self.handle} on the built-in sandbox")

    def own_ids(self) -> frozenset[str]:
        return frozenset({self.handle.lower().lstrip("@")})

    def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        self.network.raise_fault("fetch")
        self.network.raise_fault(f"fetch:{stream}")
        self._deliver_due()
        self.network.reads.append((self.network.clock(), stream))
        run_id, _, position = (cursor or "").partition(":")
        after = int(position) if run_id == self.network.run_id and position.isdigit() else 0
        with self.network._lock:
            numbered = [(n, inbound) for n, inbound in enumerate(self.network.items, start=1)
                        if n > after and inbound.stream == stream and inbound.account == self.account]
        newest = max((n for n, _ in numbered), default=after)
        return FetchResult(tuple(inbound for _, inbound in numbered), f"{self.network.run_id}:{newest}")

    def reply(self, inbound: Inbound, text: str, channel: Channel) -> str:
        self.network.raise_fault("reply")
        activity = Activity("reply", inbound.native_id, text, channel.value)
        reply_id = self.network.record(activity)
        with self.network._lock:
            self.network.replies.setdefault(inbound.native_id, []).append((reply_id, activity))
        return reply_id

    def find_own_reply(self, inbound: Inbound, channel: Channel) -> str | None:
        with self.network._lock:
            found = [reply_id for reply_id, activity in self.network.replies.get(inbound.native_id, [])
                     if activity.channel == channel.value]
        return found[0] if found else None

    def hide(self, inbound: Inbound) -> str:
        self.network.raise_fault("hide")
        self.network.hidden.add(inbound.native_id)
        return self.network.record(Activity("hide", inbound.native_id))

    def unhide(self, inbound: Inbound) -> str:
        self.network.raise_fault("unhide")
        self.network.hidden.discard(inbound.native_id)
        return self.network.record(Activity("unhide", inbound.native_id))

    def delete(self, inbound: Inbound) -> str:
        self.network.raise_fault("delete")
        self.network.deleted.add(inbound.native_id)
        return self.network.record(Activity("delete", inbound.native_id))

    def block(self, author: Author) -> str:
        self.network.raise_fault("block")
        self.network.blocked.add(author.id)
        return self.network.record(Activity("block", author.id))

    def unblock(self, author: Author) -> str:
        self.network.raise_fault("unblock")
        self.network.blocked.discard(author.id)
        return self.network.record(Activity("unblock", author.id))

    def mute(self, author: Author) -> str:
        self.network.raise_fault("mute")
        self.network.muted.add(author.id)
        return self.network.record(Activity("mute", author.id))

    def unmute(self, author: Author) -> str:
        self.network.raise_fault("unmute")
        self.network.muted.discard(author.id)
        return self.network.record(Activity("unmute", author.id))

    def post_notice(self, text: str) -> str:
        self.network.raise_fault("post_notice")
        return self.network.record(Activity("notice", self.account, text))

    def find_notice(self, text: str, since: datetime | None = None) -> str | None:
        posted = [a for a in self.network.activity if a.kind == "notice" and a.target == self.account and a.text == text]
        return f"found: {self.account} notice" if posted else None


def create(config: AccountConfig) -> SandboxAdapter:
    """The sandbox account, delivering the bundled scenario (or `options.scenario`), paced for people."""
    scenario_path = Path(str(config.options.get("scenario", SCENARIO_FILE)))
    pace = float(config.options.get("pace_seconds", 2.0))  # type: ignore[arg-type]
    return SandboxAdapter(config, SandboxNetwork(), load_scenario(scenario_path), pace)
