"""Every metric housebot exports, declared once, on a registry of the service's own.

Label values come only from configured account names, stream names, enums and our own exception
class names: never an author, a message, a URL or an error's text, so the number of series stays
bounded for the life of the process. Series are created up front, so a rate reads 0, not "absent".
Counters are fed by the service as things happen; what the database already knows (reviews
waiting, the alert outbox) is read at scrape by `StoreGauges`, so it is never stale or double-kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from adapters.base import PlatformError
from bot.leases import account_holders
from bot.model import ActionKind, Category
from bot.store import Store

# The outcomes an action ends with (its final state in the store) and a notice's "done".
ACTION_OUTCOMES = ("done", "waiting", "failed", "skipped", "unconfirmed")
Clock = Callable[[], datetime]
PLATFORM_ERRORS = ("RateLimited", "AuthFailed", "PlatformUnavailable", "ActionRefused", "PlatformError")


@dataclass(frozen=True, slots=True)
class AccountStreams:
    account: str
    streams: tuple[str, ...]


class Metrics:
    """The service's counters, and when each account was last read (for `/readyz`)."""

    def __init__(self, accounts: Sequence[AccountStreams], started_at: datetime,
                 registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.started_at = started_at
        self.last_read: dict[str, datetime] = {}  # account -> the last time one of its streams was read
        self.fetched = Counter("housebot_messages_fetched", "New messages kept, per account and stream",
                               ["account", "stream"], registry=self.registry)
        self.decisions = Counter("housebot_decisions", "Messages decided, per account and category",
                                 ["account", "category"], registry=self.registry)
        self.actions = Counter("housebot_actions", "Actions finished, per account, kind and outcome",
                               ["account", "kind", "outcome"], registry=self.registry)
        self.platform_errors = Counter("housebot_platform_errors", "Platform failures, per account and kind",
                                       ["account", "kind"], registry=self.registry)
        self.rate_limit_waits = Counter("housebot_rate_limit_waits", "Times a platform's rate limit made us wait",
                                        ["account", "stream"], registry=self.registry)
        self.poll_duration = Histogram("housebot_poll_duration_seconds", "One pass over an account: read, decide, act",
                                       ["account"], registry=self.registry,
                                       buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        for entry in accounts:
            self.poll_duration.labels(entry.account)
            for stream in entry.streams:
                self.fetched.labels(entry.account, stream)
                self.rate_limit_waits.labels(entry.account, stream)
            for category in Category:
                self.decisions.labels(entry.account, category.value)
            for kind in ActionKind:
                for outcome in ACTION_OUTCOMES:
                    self.actions.labels(entry.account, kind.value, outcome)
            for error in PLATFORM_ERRORS:
                self.platform_errors.labels(entry.account, error)

    def read(self, account: str, stream: str, new: int, now: datetime) -> None:
        self.fetched.labels(account, stream).inc(new)
        self.last_read[account] = now

    def decided(self, account: str, category: str) -> None:
        self.decisions.labels(account, category).inc()

    def acted(self, account: str, kind: str, outcome: str) -> None:
        self.actions.labels(account, kind, outcome).inc()

    def platform_error(self, account: str, stream: str, problem: PlatformError) -> None:
        """Counted by our own exception class, never the platform's words."""
        kind = next((cls.__name__ for cls in type(problem).__mro__ if cls.__name__ in PLATFORM_ERRORS), "PlatformError")
        self.platform_errors.labels(account, kind).inc()
        if kind == "RateLimited":
            self.rate_limit_waits.labels(account, stream).inc()

    def polled(self, account: str, seconds: float) -> None:
        self.poll_duration.labels(account).observe(seconds)


class StoreGauges(Collector):
    """What the state file knows, read at each scrape: reviews waiting and the oldest one's age,
    the alert outbox's depth, which accounts are paused, and which worker holds each account."""

    def __init__(self, store: Store, accounts: Sequence[str], clock: Clock) -> None:
        self.store = store
        self.accounts = tuple(accounts)
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock()
        waiting = GaugeMetricFamily("housebot_reviews_waiting", "Reviews no person has settled yet", labels=["account"])
        oldest = GaugeMetricFamily("housebot_oldest_review_age_seconds", "Age of the oldest review waiting for a person",
                                   labels=["account"])
        paused = GaugeMetricFamily("housebot_account_paused", "1 while an account is paused (bad credentials)",
                                   labels=["account"])
        rows = {row["account"]: row for row in self.store.read(
            "SELECT account, COUNT(*) AS n, MIN(planned_at) AS oldest FROM actions WHERE status='waiting' GROUP BY account")}
        held = {row["account"] for row in self.store.read("SELECT account FROM accounts WHERE paused_reason IS NOT NULL")}
        for account in self.accounts:
            row = rows.get(account)
            waiting.add_metric([account], row["n"] if row else 0)
            age = (now - datetime.fromisoformat(row["oldest"])).total_seconds() if row else 0.0
            oldest.add_metric([account], max(0.0, age))
            paused.add_metric([account], 1 if account in held else 0)
        yield waiting
        yield oldest
        yield paused
        worker = GaugeMetricFamily("housebot_account_worker", "1 for the worker holding the account's lease now",
                                   labels=["account", "worker"])
        for account, holding in sorted(account_holders(self.store, now).items()):
            if account in self.accounts:
                worker.add_metric([account, holding.worker], 1)
        yield worker
        outbox = GaugeMetricFamily("housebot_alert_outbox_depth", "Alert deliveries planned or being sent")
        has_outbox = self.store.has_table("alert_deliveries")
        depth = self.store.read("SELECT COUNT(*) AS n FROM alert_deliveries WHERE status IN ('planned', 'sending')")[0]["n"] \
            if has_outbox else 0
        outbox.add_metric([], depth)
        yield outbox
