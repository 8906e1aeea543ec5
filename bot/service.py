"""The running bot: the scheduler, the executor, and what happens when platforms misbehave.

This is the only module that reads the clock (through an injectable `clock`), calls platforms and
writes state. Each account is polled on its own schedule by its own worker (a thread of its own), so
a slow or stuck platform delays only its own account; a failure on one account (outage, 429,
expired token) is handled there and never stops the others.

Flow for one account: fetch each stream since its cursor and keep the new messages together with
the new cursor (one transaction, so nothing fetched is ever lost); then handle waiting messages
oldest first: `bot.pipeline.handle` (the one decision path) -> record the decision with every
action planned -> carry out each action, recording it as sending before and done after the call.
A refused action is followed by the fallback the decision already carries.
"""

from __future__ import annotations

import logging
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING, Callable, Mapping, TextIO

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from adapters import adapter_module, reply_limits
from adapters.base import ActionRefused, Adapter, AuthFailed, PlatformError, PlatformUnavailable, RateLimited
from bot.alerts import Alerts
from bot.console import Console, SecretScrubber
from bot.errors import ConfigError
from bot.follow import FollowMode, Standing, is_partner, plan_follows, plan_unfollows, profile_findings
from bot.hours import is_open, open_periods
from bot.leases import ALERTS_LEASE, PURGE_LEASE, Changes, LeaseLost, Leases, account_lease, default_worker
from bot.model import (DANGER_CATEGORIES, Action, ActionKind, Author, AuthorHistory, Category, Channel, DangerTier,
                       Decision, Finding, Follower, Inbound, Urgency)
from bot.moderation import private_spans, redact
from bot.ops.metrics import AccountStreams, Metrics
from bot.ops.retention import purge
from bot.pipeline import Engine, HandleContext, handle, held_as_slow, load_engine, reply_values
from bot.replies import render
from bot import staff
from bot.settings import AccountSettings, Settings
from bot.store import DONE, PLANNED, SENDING, PendingItem, StoredAction, Store, open_store

if TYPE_CHECKING:
    from bot.ops.server import OpsServer

log = logging.getLogger("housebot")
Clock = Callable[[], datetime]

NOTICE_GRACE = timedelta(hours=1)  # a closing missed by more than this (bot was down) gets no late notice
FIRST_RETRY = timedelta(seconds=15)  # the first wait after a failure; each failure in a row doubles it
MAX_BACKOFF = timedelta(minutes=4)  # a platform that is back is tried again within this, however long it was down
READ_TOLERANCE = timedelta(seconds=2)  # a run this early still reads: the scheduler's runs drift either side
JOB_STEP = timedelta(seconds=5)  # the job wakes at least this often, so back-off probes and due reads are not late
BREAKER_THRESHOLD = 5  # consecutive failures that open an account's circuit breaker (staff are told once)
MAX_ATTEMPTS = 5  # an action that keeps failing is given to a person after this many tries
CLEAR_NOTICE = "clear_notice"  # the notice step that undoes what an offline notice replaced
MAX_FALLBACK_ROUNDS = 4  # refused -> fallback -> its fallback ... is never longer than this
ALERT_SECONDS = 15  # how often the alerts outbox is checked for what is due
PURGE_HOURS = 24  # how often data past its retention is purged
STOP_GRACE = timedelta(seconds=30)  # how long a stop waits for the steps under way (platform timeouts are shorter)
ALERTS_WORKER = "alerts"  # the worker that delivers alerts, beside one worker per account
PURGE_WORKER = "purge"  # the worker that applies the retention settings
LEASES_WORKER = "leases"  # the worker that renews, shares and claims leases (when workers share the state)
LEASE_PASSES = 3  # leases are renewed this many times per lease_seconds, so one late pass never loses one
# Followers are read at most this often: new followers can wait an hour, and X allows only 15 reads
# of a follower list per 15 minutes per user, shared with anything else that reads it.
FOLLOWERS_READ_EVERY = timedelta(hours=1)
FOLLOW_CAP_WINDOW = timedelta(hours=24)  # `follow_per_day` counts the follows planned in any 24 hours


STOP_REQUESTED = threading.Event()  # set by SIGTERM or Ctrl-C; `run` waits on it in the main thread


def stop_like_ctrl_c(signum: int, frame: object) -> None:
    """SIGTERM (what systemd sends) and Ctrl-C both stop the bot the same way: they only set a flag
    the main thread waits on, and `stop` then waits for the steps under way before closing the
    state. Never an exception: one raised while the scheduler submits a job was caught and logged
    by APScheduler itself, and the stop was lost. A signal during start-up is kept until `run`."""
    STOP_REQUESTED.set()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def settings_values(settings: Settings) -> dict[str, str]:
    """The placeholder values that come from the settings file alone (checked at start-up);
    the ones that depend on a message or a moment are added per reply by `bot.pipeline`."""
    org = settings.organisation
    names = {"x": "X", "facebook": "Facebook", "instagram": "Instagram", "sandbox": "the sandbox"}
    return {
        "organisation": org.name,
        "complaints_url": org.complaints_url,
        "complaints_email": org.complaints_email,
        "appeals_email": org.appeals_email,
        "phone": org.phone,
        "website": org.website,
        "other_channels": " or ".join(org.other_channels) or org.phone,
        "official_accounts": official_accounts(settings, names),
    }


# Past this many characters the list of accounts no longer fits a verification reply on X (280),
# beside the rest of its words: the reply then points to the website, which lists them all.
OFFICIAL_ACCOUNTS_MAX = 120


def official_accounts(settings: Settings, names: dict[str, str]) -> str:
    """The official accounts in words, for "is this really you?": listed while they fit a reply;
    an organisation with many accounts points people to its website instead."""
    listed = ", ".join(f"{a.handle} on {names[a.platform.value]}" for a in settings.accounts)
    if len(listed) <= OFFICIAL_ACCOUNTS_MAX:
        return listed
    return f"the ones listed on our website, {settings.organisation.website}"


class _StopAccount(Exception):
    """Leave this account for now (it is waiting or paused); other accounts carry on."""


@dataclass
class AccountHealth:
    """In-memory back-off state of one account; the pause for auth failures lives in the store.

    A failing read backs off its own stream alone (mentions returning 5xx must not delay a
    safeguarding DM on the other stream); a failing action or notice backs off the whole account
    under the key "*", since replies and hides share the platform's write side."""

    wait_until: dict[str, datetime] = field(default_factory=dict)  # stream name or "*" -> time
    last_read: dict[str, datetime] = field(default_factory=dict)  # stream name -> last fetch
    failures: dict[str, int] = field(default_factory=dict)  # stream name or "*" -> failures in a row
    breaker_alerted: set[str] = field(default_factory=set)  # stream names (or "*") staff were told about
    last_closed_poll: datetime | None = None
    last_followers_read: datetime | None = None
    follow_state: str = ""  # one line on following back, logged when it changes (e.g. X's access tier refuses)
    # The checks' findings on each follower's profile at the last read: a profile is read once, not every hour.
    profile_findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)

    def recovered(self, key: str) -> None:
        """A call under `key` reached the platform: its run of failures is over."""
        self.failures.pop(key, None)
        self.breaker_alerted.discard(key)


class Service:
    """Everything the bot does, for every configured account."""

    def __init__(self, settings: Settings, *, clock: Clock = utc_now, adapters: Mapping[str, Adapter] | None = None,
                 store: Store | None = None, out: TextIO | None = None, rng: random.Random | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        """`clock` lets tests travel in time: they move it by hand and call `tick` (or `poll_account`)
        where the scheduler would, so no test waits on wall time. `monotonic` times each decision
        against the budget, and tests move it by hand too."""
        self.settings = settings
        self.clock = clock
        self.monotonic = monotonic
        self._settings_values = settings_values(settings)
        self.engine: Engine = load_engine(settings.policy_file, settings.moderation_dir, settings.responses_dir,
                                          teams=settings.teams, limits=reply_limits(), values=self._settings_values,
                                          values_file=str(settings.config_file))
        self.store = store if store is not None else open_store(settings.state_location)
        secrets = [value for account_secrets in settings.secrets.values() for value in account_secrets.values()]
        secrets += settings.alerts.secrets if settings.alerts else ()
        self.scrubber = SecretScrubber(secrets)
        # Log lines may quote a platform's answer (a whole message), so they lose private details too.
        self.log_scrubber = SecretScrubber(secrets, self._redact)
        self.alerts = Alerts(settings, self.store, self.engine.moderation, scrub=self.scrubber.scrub)
        staff.prepare(self.store)  # the staff tables, and how retention and erasure reach them
        self.console = Console(out if out is not None else sys.stdout, settings.organisation.timezone, self.scrubber,
                               self._redact)
        self.rng = rng or random.Random()
        self.accounts = {account.name: account for account in settings.accounts}
        self.adapters: dict[str, Adapter] = dict(adapters or {})
        for account in settings.accounts:
            if account.name not in self.adapters:
                self.adapters[account.name] = adapter_module(account.platform.value, account.api).create(
                    settings.account_config(account))
        self.health = {name: AccountHealth() for name in self.accounts}
        self.metrics = Metrics([AccountStreams(name, tuple(self.adapters[name].streams)) for name in self.accounts],
                               started_at=clock())
        self._ops: OpsServer | None = None
        self._ops_reader: Store | None = None  # the endpoints' own read-only connection
        self._ops_url = ""
        self._official_ids: dict[str, frozenset[str]] = {}
        self._scheduler: BackgroundScheduler | None = None
        # One lock per worker: held by its step while it runs (so an account's step never runs twice
        # at once), and by stop once that worker is done.
        self._workers = {name: threading.Lock() for name in (*self.accounts, ALERTS_WORKER, PURGE_WORKER, LEASES_WORKER)}
        self.leases: Leases | None = None  # set by `enable_leases` (every `run`); direct `tick` calls work without
        self._stopping = threading.Event()
        self._started_at = clock()  # what was said before this moment is history the account may have answered

    # -- scheduling -------------------------------------------------------------------------------
    def stream_interval(self, account: AccountSettings, stream: str) -> timedelta:
        """How often to read one stream of an open account: the configured cadence, slowed to fit
        the platform's documented rate limit for that stream, shared by every account of that platform."""
        configured = timedelta(seconds=account.poll_seconds or self.settings.bot.poll_seconds)
        budget = self.adapters[account.name].rate_budgets.get(stream)
        if budget is None:
            return configured
        same_platform = sum(1 for a in self.settings.accounts if a.platform == account.platform)
        return max(configured, budget.per / budget.requests * same_platform)

    def poll_interval(self, account: AccountSettings) -> timedelta:
        """How often the account's streams are read at most: as often as its most frequent stream."""
        return min(self.stream_interval(account, stream) for stream in self.adapters[account.name].streams)

    def job_interval(self, account: AccountSettings) -> timedelta:
        """How often the account's job wakes: often enough that a stream is read when it is due and
        a back-off probe runs when its wait ends, not a whole poll interval later."""
        return min(self.poll_interval(account), JOB_STEP)

    def tick(self) -> None:
        """One pass over every account (what the scheduler does, one account at a time)."""
        for name in self.accounts:
            self.poll_account(name)
        self.carry_out_staff_actions()
        self.deliver_alerts()

    def _schedule(self, scheduler: BackgroundScheduler) -> None:
        """Each account's job runs in its own executor of one thread: X answering slowly (or a
        long backlog) must not delay the Page's replies, as one shared job loop did. Workers share
        the accounts by leases, claimed once before the first steps and then kept by a job of their own."""
        leases = self.leases or self.enable_leases()
        self.balance_leases()
        scheduler.add_executor(ThreadPoolExecutor(1), alias=LEASES_WORKER)
        scheduler.add_job(self._scheduled_leases, "interval", id=LEASES_WORKER,
                          executor=LEASES_WORKER, seconds=leases.duration.total_seconds() / LEASE_PASSES,
                          max_instances=1, coalesce=True, misfire_grace_time=None)
        for account in self.settings.accounts:
            worker = f"account:{account.name}"  # never "default", whatever the account is called
            scheduler.add_executor(ThreadPoolExecutor(1), alias=worker)
            scheduler.add_job(self._scheduled_poll, "interval", args=[account.name], id=account.name,
                              executor=worker, seconds=self.job_interval(account).total_seconds(),
                              next_run_time=utc_now(),
                              max_instances=1, coalesce=True, misfire_grace_time=None)
        if self.settings.alerts is not None:
            scheduler.add_job(self._scheduled_alerts, "interval", id="alerts", next_run_time=utc_now(),
                              seconds=ALERT_SECONDS, max_instances=1, coalesce=True,
                              misfire_grace_time=None)
        scheduler.add_job(self._scheduled_purge, "interval", id="purge", next_run_time=utc_now(), hours=PURGE_HOURS,
                          max_instances=1, coalesce=True, misfire_grace_time=None)

    def purge_expired(self) -> None:
        """Apply the retention settings (daily). Never raises: a purge that fails is logged and tried tomorrow."""
        try:
            changed = purge(self.store, self.settings.retention, self.clock())
            log.info("event=purged %s", " ".join(f"{clock}={rows}" for clock, rows in changed.items()))
        except Exception:
            log.exception("event=purge_error")

    def _scheduled_purge(self) -> None:
        """The purge in a worker of its own, so `stop` never closes the state under it; only by the
        worker holding the purge's lease."""
        if self._holds(PURGE_LEASE):
            self._in_worker(PURGE_WORKER, self.purge_expired)

    def deliver_alerts(self) -> None:
        """Send the alerts and digests that are due. Never raises: a failing channel must not stop the bot."""
        try:
            self.alerts.deliver(self.clock())
        except Exception:
            log.exception("event=alert_delivery_error")

    def _scheduled_poll(self, name: str) -> None:
        """One scheduled step of one account, in that account's worker: its reads and messages, then
        what staff asked for on it (so no two steps ever call one account's platform at once)."""
        self._in_worker(name, partial(self.account_step, name))

    def account_step(self, name: str) -> None:
        """One step of one account as a worker runs it: only while this worker holds the account's lease."""
        if self._holds(account_lease(name)):
            self.poll_account(name)
            self.carry_out_staff_actions(name)

    def _scheduled_alerts(self) -> None:
        if self._holds(ALERTS_LEASE):
            self._in_worker(ALERTS_WORKER, self.deliver_alerts)

    # -- leases: workers sharing one state ------------------------------------------------------------
    def enable_leases(self, worker: str | None = None) -> Leases:
        """From now on work only what this worker holds a lease on (`run` always does; one worker
        alone simply holds everything). `worker` defaults to HOUSEBOT_WORKER, else host:pid."""
        self.leases = Leases(self.store, worker or self.settings.worker or default_worker(),
                             self.settings.bot.lease_seconds)
        self.alerts.fence = self._alerts_fence
        return self.leases

    def _scheduled_leases(self) -> None:
        self._in_worker(LEASES_WORKER, self.balance_leases)

    def _holds(self, name: str) -> bool:
        return self.leases is None or self.leases.holds(name, self.clock())

    def balance_leases(self) -> Changes:
        """Heartbeat, renew, hand back beyond this worker's share, claim up to it. An account newly
        taken starts from fresh memory (what matters is in the state: its `sending` rows, checked
        with the platform before anything is sent again, and the waits platforms imposed); a newly
        taken alerts lease first recovers the deliveries another worker left `sending`. Never raises."""
        assert self.leases is not None
        jobs = [PURGE_LEASE] + ([ALERTS_LEASE] if self.settings.alerts is not None else [])
        try:
            changes = self.leases.balance(self.accounts, jobs, self.clock(), self._between_steps)
        except Exception:  # the state busy or away: the leases held stay valid until they expire
            log.exception("worker=%s event=lease_error", self.leases.worker)
            return Changes()
        for name in changes.gained:
            log.info("worker=%s lease=%s event=lease_taken", self.leases.worker, name)
            if name == ALERTS_LEASE:
                self.alerts.taken_over()
            elif name.removeprefix("account:") in self.health:
                self.health[name.removeprefix("account:")] = AccountHealth()
        for name in changes.lost:
            log.warning("worker=%s lease=%s event=lease_lost", self.leases.worker, name)
        return changes

    def _between_steps(self, account: str, give_back: Callable[[], None]) -> bool:
        """Run `give_back` while no step of `account` runs; False if one does (tried at the next pass)."""
        lock = self._workers[account]
        if not lock.acquire(blocking=False):
            return False
        try:
            give_back()
        finally:
            lock.release()
        return True

    def _alerts_fence(self, db: object) -> bool:
        """Inside the outbox's transaction: whether this worker still holds the alerts lease."""
        assert self.leases is not None
        return self.leases.fence(db, ALERTS_LEASE, self.clock())

    def _mark_sending(self, account: str, stored: StoredAction) -> bool:
        """planned -> sending just before a platform call, only if nobody moved the action since it
        was read; with leases, only while this worker holds the account (in the same transaction):
        a worker that lost it leaves the account to its new holder."""
        if self.leases is None:
            return self.store.mark_sending(stored.id, stored.attempts)
        try:
            return self.leases.mark_sending(account_lease(account), stored.id, stored.attempts, self.clock())
        except LeaseLost:
            log.warning("worker=%s account=%s action=%d event=lease_lost_before_sending", self.leases.worker,
                        account, stored.id)
            raise _StopAccount from None

    def _in_worker(self, worker: str, step: Callable[[], None]) -> None:
        """Run a step holding its worker's lock: never two of one worker's steps at once, and none
        once `stop` has begun (stop sets the flag first, then takes every worker's lock)."""
        lock = self._workers[worker]
        if not lock.acquire(blocking=False):
            return  # this worker's previous step is still under way, or stop holds it
        try:
            if not self._stopping.is_set():
                step()
        finally:
            lock.release()

    def start(self) -> None:
        """Run in the background (tests, embedding); `stop` ends it."""
        self._scheduler = BackgroundScheduler(timezone=self.settings.organisation.timezone,
                                              executors={"default": ThreadPoolExecutor(1)})
        self._schedule(self._scheduler)
        self._scheduler.start()

    def run(self) -> None:
        """Run until Ctrl-C or SIGTERM, then stop cleanly: the scheduler works in the background
        and the main thread only waits for the stop signal's flag."""
        scheduler = BackgroundScheduler(timezone=self.settings.organisation.timezone,
                                        executors={"default": ThreadPoolExecutor(1)})
        self._scheduler = scheduler
        self._schedule(scheduler)
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, stop_like_ctrl_c)
        self._ops = self._start_ops()
        self.console.started(self.settings, {a.name: self.poll_interval(a) for a in self.settings.accounts})
        if self._ops is not None:
            self.console.listening(self._ops_url)
        if not STOP_REQUESTED.is_set():
            scheduler.start()
        while not STOP_REQUESTED.wait(timeout=1):
            pass
        self.stop()

    def stop(self) -> None:
        """Stop scheduling, wait (at most STOP_GRACE in all) for every worker's step under way, then
        close the state.

        The state is closed only once no step can touch it: closing SQLite under a running step
        is what crashed. A step still running after the grace is left to finish on its own.
        """
        self._stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        if self._ops is not None:
            self._ops.stop()
            self._ops = None
        if self._ops_reader is not None:
            self._ops_reader.close()
            self._ops_reader = None
        deadline = time.monotonic() + STOP_GRACE.total_seconds()
        for worker, lock in self._workers.items():
            if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                log.error("event=stop_timeout worker=%s grace=%s: a step is still running; the state is left open",
                          worker, STOP_GRACE)
                return
        if self.leases is not None:
            try:
                self.leases.stop(self.clock())  # the others take over at once, not a lease's time later
            except Exception:
                log.exception("worker=%s event=lease_release_error", self.leases.worker)
        self.close()
        self.console.stopped()

    def _start_ops(self) -> OpsServer | None:
        """/healthz, /readyz and /metrics on the address from the settings, over a read-only
        connection of their own; a port that cannot be had stops the start (exit 2), naming the setting."""
        from bot.ops.health import ops_routes
        from bot.ops.server import OpsServer

        if self.settings.ops_address is None:
            return None
        host, port = self.settings.ops_address
        self._ops_reader = open_store(self.settings.state_location, read_only=True)
        server = OpsServer(ops_routes(self._ops_reader, self.settings, self.clock, self.metrics,
                                      {a.name: self.poll_interval(a) for a in self.settings.accounts}), host, port)
        try:
            self._ops_url = server.start()
        except OSError as problem:
            self._ops_reader.close()
            raise ConfigError(self.settings.env_file or "(environment)", "HOUSEBOT_OPS_LISTEN",
                              f"{problem}: choose another address, or off") from None
        return server

    def close(self) -> None:
        for adapter in self.adapters.values():
            adapter.close()
        self.store.close()

    # -- one account ------------------------------------------------------------------------------
    def poll_account(self, name: str) -> None:
        """Read and handle one account. Never raises: one account's trouble stays its own."""
        account = self.accounts[name]
        now = self.clock()
        paused = self.store.paused_reason(name)
        if paused:
            log.debug("account=%s paused reason=%r", name, paused)
            return
        health = self.health[name]
        if self.leases is not None:  # waits a platform imposed on another worker bind this one too
            for key, until in self.leases.waits(f"{name}:", now).items():
                health.wait_until[key] = max(until, health.wait_until.get(key, until))
        if health.wait_until.get("*", now) > now:
            return  # backing off after an outage or a rate limit: nothing is sent or read until then
        try:
            self._post_due_notices(account, now)
            open_now = is_open(account.hours, now)
            if open_now or self._closed_poll_due(account, health, now):
                self._fetch(account, now)
            self._handle_pending(account, now, open_now)
            if open_now:
                self._follow(account, now)
        except _StopAccount:
            pass
        except Exception:  # a bug must not stop the other accounts; ops see it in the log
            log.exception("account=%s event=unexpected_error", name)
        self.metrics.polled(name, (self.clock() - now).total_seconds())

    def _closed_poll_due(self, account: AccountSettings, health: AccountHealth, now: datetime) -> bool:
        """The safety screen: a slow poll while closed that acts only on danger."""
        if not account.safety_screen:
            return False
        if health.last_closed_poll is not None and now - health.last_closed_poll < timedelta(
                seconds=self.settings.bot.closed_poll_seconds):
            return False
        health.last_closed_poll = now
        return True

    def _fetch(self, account: AccountSettings, now: datetime) -> None:
        """Read every stream that is due; a stream that fails backs off alone, the others are read."""
        adapter = self.adapters[account.name]
        health = self.health[account.name]
        for stream in adapter.streams:
            waiting = max(health.wait_until.get(stream, now), health.wait_until.get("*", now))
            if waiting > now:
                continue
            if not self._read_due(health.last_read.get(stream), self.stream_interval(account, stream), now):
                continue
            budget = adapter.rate_budgets.get(stream)
            if (self.leases is not None and budget is not None and not self.leases.take_request(
                    f"{account.platform.value}:{stream}", budget.requests, budget.per, now)):
                continue  # the workers together have used this window's allowance: read in a later one
            cursor = self.store.cursor(account.name, stream)
            try:
                result = adapter.fetch(stream, cursor)
            except PlatformError as problem:
                self._platform_trouble(account, stream, problem, now)
                continue
            except Exception as problem:  # an adapter bug: back off as for an outage, and tell ops
                log.exception("account=%s stream=%s event=fetch_bug", account.name, stream)
                self._platform_trouble(account, stream, PlatformUnavailable(f"unexpected error: {problem!r}"), now)
                continue
            health.recovered(stream)
            health.last_read[stream] = now  # a failed read is tried again when its back-off ends, not an interval later
            for bad in self.store.keep_unreadable(account.name, stream, result.unreadable, now):
                log.error("account=%s stream=%s item=%s event=unreadable reason=%r", account.name, stream,
                          bad.native_id, bad.reason)
                self.console.alert(account.name, "routine", f"an item on {stream} could not be read and was set "
                                   f"aside for staff (id {bad.native_id or 'unknown'}: {bad.reason})")
            try:
                answered = self._answered_before(adapter, result.items) if cursor is None else {}
            except PlatformError as problem:  # unchecked, nothing is kept: the same items are read again
                self._platform_trouble(account, stream, problem, now)
                continue
            new = self.store.record_fetch(account.name, stream, result.items, result.cursor, now, self._redact,
                                          answered)
            self.metrics.read(account.name, stream, new, now)
            if new:
                log.info("account=%s stream=%s event=fetched new=%d", account.name, stream, new)

    @staticmethod
    def _read_due(last: datetime | None, interval: timedelta, now: datetime) -> bool:
        """Due at the interval, less a small tolerance: a run a moment early must not push the read
        to the run after, which doubled the real interval."""
        return last is None or now - last >= interval - min(READ_TOLERANCE, interval / 10)

    def _answered_before(self, adapter: Adapter, items: tuple[Inbound, ...]) -> dict[str, str]:
        """On a stream's first read (a new or lost state), the items of history (said before this
        process started) that the account has answered already, so history is never answered twice."""
        if not adapter.capabilities.can_find_own_reply:
            return {}
        answered = {}
        for item in items:
            if item.created_at >= self._started_at:
                continue  # said since the bot started: nobody can have answered it for the bot
            channels = (Channel.PUBLIC, Channel.PRIVATE) if item.channel is Channel.PUBLIC else (Channel.PRIVATE,)
            for channel in channels:
                found = adapter.find_own_reply(item, channel)
                if found:
                    answered[item.native_id] = found
                    break
        return answered

    def _redact(self, text: str) -> str:
        spans = private_spans(text, self.engine.moderation)
        return redact(text, (Finding(Category.OVERSHARING, 1.0, "privacy.redaction", spans=spans),)) if spans else text

    def _error_text(self, problem: Exception) -> str:
        """What a platform said, fit to store: a platform may echo the request, token and message included."""
        return self.log_scrubber.scrub(str(problem))

    # -- trouble ----------------------------------------------------------------------------------
    def _platform_trouble(self, account: AccountSettings, stream: str, problem: PlatformError, now: datetime) -> None:
        """Wait, back off or pause as the failure demands; raise _StopAccount when nothing more should run now.

        `stream` is the stream whose read failed (it waits alone) or "*" for an action or a notice
        (the whole account waits)."""
        health = self.health[account.name]
        self.metrics.platform_error(account.name, stream, problem)
        if isinstance(problem, RateLimited):
            health.wait_until[stream] = problem.reset_at
            if self.leases is not None:  # whichever worker holds the account next waits too
                self.leases.impose_wait(f"{account.name}:{stream}", problem.reset_at)
            log.warning("account=%s stream=%s event=rate_limited until=%s", account.name, stream, problem.reset_at.isoformat())
            until = problem.reset_at.astimezone(self.settings.organisation.timezone)
            self.console.trouble(account.name, f"rate limited on {stream}; waiting until {until:%H:%M:%S %Z}")
            if stream == "*":
                raise _StopAccount
            return
        if isinstance(problem, AuthFailed):
            self.store.pause(account.name, self._error_text(problem), now)
            log.error("account=%s event=paused reason=auth_failed detail=%r", account.name, str(problem))
            self.console.alert(account.name, "urgent", f"account paused: {self._error_text(problem)}. Fix the credentials, then run `housebot check`.")
            self.alerts.enqueue_system(account, Urgency.URGENT, f"account paused: {self._error_text(problem)}. Fix the credentials, then run `housebot check`.", now)
            raise _StopAccount
        failures = health.failures[stream] = health.failures.get(stream, 0) + 1
        # Half-open probing: a short wait that grows with each failure in a row, capped, so a blip
        # costs seconds and the bot follows the platform back within a minute or two, never ten.
        delay = min(MAX_BACKOFF, FIRST_RETRY * 2 ** (failures - 1))
        delay *= self.rng.uniform(0.75, 1.0)  # jitter, so accounts do not retry in step
        if failures >= BREAKER_THRESHOLD and stream not in health.breaker_alerted:
            health.breaker_alerted.add(stream)
            what = account.platform.value if stream == "*" else f"{account.platform.value} {stream}"
            log.error("account=%s stream=%s event=circuit_open failures=%d", account.name, stream, failures)
            self.console.alert(account.name, "routine", f"{what} keeps failing ({self._error_text(problem)}); "
                               f"trying again at least every {MAX_BACKOFF}")
            self.alerts.enqueue_system(account, Urgency.ROUTINE, f"{what} keeps failing ({problem}); "
                                       f"trying again at least every {MAX_BACKOFF}", now)
        health.wait_until[stream] = now + delay
        log.warning("account=%s stream=%s event=unavailable failures=%d retry_in=%s detail=%r",
                    account.name, stream, failures, delay, str(problem))
        self.console.trouble(account.name, f"{problem.__class__.__name__} on {stream}; retrying in {delay.seconds}s")
        if stream == "*":
            raise _StopAccount

    # -- handling messages --------------------------------------------------------------------------
    def _handle_pending(self, account: AccountSettings, now: datetime, open_now: bool) -> None:
        """Decide every waiting message first (oldest first, so each sees the history before it),
        then carry out danger before the rest: after an outage, someone at risk must not wait
        behind a backlog of ordinary messages (deciding is cheap; the platform calls are not)."""
        context: HandleContext | None = None  # built when a message needs it: the own ids may need a call
        danger_first: list[PendingItem] = []
        the_rest: list[PendingItem] = []
        for pending in self.store.pending(account.name, with_held=open_now):
            if pending.decided:
                the_rest.append(pending)
                continue
            if context is None:
                context = replace(self._context(account, now), official_ids=self._own_ids(account))
            history = self.store.author_history(pending.inbound, pending.row_id, now, self.settings.bot.repetition_window)
            decision = self._timed_handle(pending.inbound, history, context)
            if decision.waits_for_opening:  # only danger is acted on while closed
                self.store.hold_until_open(pending.row_id)  # waits for opening, not screened again
                continue
            if not self.store.save_decision(pending.row_id, pending.inbound, decision, now):
                continue  # decided by another worker meanwhile: its actions are planned once, by it
            self.metrics.decided(account.name, decision.category.value)
            if decision.strike:
                self.store.add_strike(pending.row_id, pending.inbound, decision.category.value, now)
            self.console.decision(pending.inbound, decision)
            is_danger = decision.danger_tier is not DangerTier.NONE or decision.category in DANGER_CATEGORIES
            (danger_first if is_danger else the_rest).append(replace(pending, decided=True))
        for pending in danger_first + the_rest:
            self._carry_out(account, pending, now)

    def _timed_handle(self, inbound: Inbound, history: AuthorHistory, context: HandleContext) -> Decision:
        """`handle`, timed after the fact: a message over the budget is held for a person (with the
        reason) and the worker goes on. Measuring after the fact keeps the core pure and needs no
        thread per message; what bounds the wait itself is classify being linear in a text it reads
        at most MAX_TEXT_CHARS of, and each account having its own worker."""
        started = self.monotonic()
        decision = handle(inbound, history, context, self.engine)
        seconds = self.monotonic() - started
        budget = self.settings.bot.decide_budget_seconds
        if seconds <= budget or decision.waits_for_opening:  # one that waits is decided (and timed) again at opening
            return decision
        log.warning("account=%s inbound=%s event=slow_decision seconds=%.2f budget=%g", inbound.account,
                    inbound.native_id, seconds, budget)
        return held_as_slow(decision, seconds, budget, self.engine.policy.review_team)

    def _own_ids(self, account: AccountSettings) -> frozenset[str]:
        """The account's own author ids, asked of the platform once (the loop guard)."""
        if account.name not in self._official_ids:
            self._official_ids[account.name] = self.adapters[account.name].own_ids()
        return self._official_ids[account.name]

    def _context(self, account: AccountSettings, now: datetime) -> HandleContext:
        """What `handle` (and a notice's words) need to know about this account at this moment."""
        return HandleContext(
            now=now,
            capabilities=self.adapters[account.name].capabilities,
            hours=account.hours,
            official_handles=self.settings.official_handles,
            max_replies_per_hour=self.settings.bot.max_replies_per_author_per_hour,
            topics=self.settings.topics,
            values={**self._settings_values, "account_name": account.display_name},
            team_names={key: team.name for key, team in self.settings.teams.items()},
            bot_marker=self.settings.bot.bot_marker,
        )

    # -- carrying out actions -----------------------------------------------------------------------
    def _carry_out(self, account: AccountSettings, pending: PendingItem, now: datetime) -> None:
        """Run every unfinished action; a refused one may plan a fallback, which runs in the next round."""
        for _ in range(MAX_FALLBACK_ROUNDS):
            actions = self.store.actions_for(pending.row_id)
            unfinished = [s for s in actions if s.status in (PLANNED, SENDING)]
            if not unfinished:
                self.store.complete_inbound(pending.row_id, now)
                for stored in actions:
                    self.metrics.acted(account.name, stored.action.kind.value, stored.status)
                return
            for stored in unfinished:
                self._execute(account, pending, stored, now)

    def _execute(self, account: AccountSettings, pending: PendingItem, stored: StoredAction, now: datetime) -> None:
        adapter = self.adapters[account.name]
        action, inbound = stored.action, pending.inbound
        if stored.status == SENDING and action.kind is ActionKind.REPLY:
            # A crash came between sending and recording: ask the platform before ever sending again.
            if not adapter.capabilities.can_find_own_reply:
                self.store.mark_unconfirmed(stored.id, "may have been sent before a restart; not sent again", now)
                self.console.alert(account.name, "routine", f"reply to {inbound.author.handle} may not have been sent: please check")
                self.alerts.enqueue_system(account, Urgency.ROUTINE, f"a reply to {inbound.author.handle} may not have been sent: please check", now)
                return
            found = adapter.find_own_reply(inbound, action.channel or inbound.channel)
            if found:
                self.store.mark_done(stored.id, found, now)
                self.console.action(action, "done (found after restart)")
                return
        if action.kind in (ActionKind.ALERT, ActionKind.REVIEW):
            self.console.alert(account.name, action.urgency.value, f"{action.team}: {action.text} [{inbound.author.handle}: {self._redact(inbound.text)}]")
            level = logging.WARNING if action.urgency is Urgency.URGENT else logging.INFO
            log.log(level, "account=%s inbound=%s event=%s team=%s urgency=%s rule=%s", account.name, inbound.native_id,
                    action.kind.value, action.team, action.urgency.value, action.rule)
            self.alerts.enqueue_action(stored.id, account, pending.row_id, inbound, action, now)  # sent by deliver_alerts
            if action.kind is ActionKind.REVIEW:  # stays waiting until a person settles it
                self.store.mark_waiting(stored.id, f"{action.kind.value}:{action.team}")
            else:
                self.store.mark_done(stored.id, f"{action.kind.value}:{action.team}", now)
            return
        if not self._mark_sending(account.name, stored):
            return  # moved since it was read (another worker has it): never sent twice
        try:
            ref = self._call(adapter, action, inbound)
        except ActionRefused as refusal:
            # The fallback was fitted to this platform and worded when the message was decided.
            self.store.fail_with_fallback(stored.id, f"refused: {self._error_text(refusal)}", pending.row_id, inbound,
                                          action.fallback, now)
            self.console.action(action, f"refused: {self._error_text(refusal)}")
            return
        except PlatformError as problem:
            if stored.attempts + 1 >= MAX_ATTEMPTS:
                self.store.mark_failed(stored.id, self._error_text(problem), now)
                self.console.alert(account.name, "routine", f"gave up on {action.kind.value} for {inbound.author.handle}: {self._error_text(problem)}")
                self.alerts.enqueue_system(account, Urgency.URGENT, f"gave up on {action.kind.value} for {inbound.author.handle}: {self._error_text(problem)}", now)
            elif isinstance(problem, PlatformUnavailable) and problem.maybe_sent:
                pass  # stays `sending`: the next try asks the platform before sending again
            else:
                self.store.mark_retry(stored.id, self._error_text(problem))
            self._platform_trouble(account, "*", problem, now)
            return
        self.store.mark_done(stored.id, ref, now)
        self.health[account.name].recovered("*")
        self.console.action(action, "done")

    @staticmethod
    def _call(adapter: Adapter, action: Action, inbound: Inbound) -> str:
        """The one place each action kind meets its adapter method."""
        kind = action.kind
        if kind is ActionKind.REPLY:
            return adapter.reply(inbound, action.text, action.channel or inbound.channel)
        if kind is ActionKind.HIDE:
            return adapter.hide(inbound)
        if kind is ActionKind.UNHIDE:
            return adapter.unhide(inbound)
        if kind is ActionKind.DELETE:
            return adapter.delete(inbound)
        if kind is ActionKind.BLOCK:
            return adapter.block(inbound.author)
        if kind is ActionKind.UNBLOCK:
            return adapter.unblock(inbound.author)
        if kind is ActionKind.MUTE:
            return adapter.mute(inbound.author)
        if kind is ActionKind.UNMUTE:
            return adapter.unmute(inbound.author)
        if kind is ActionKind.FOLLOW:  # asked for by staff from a message's author view
            return adapter.follow(inbound.author)
        if kind is ActionKind.UNFOLLOW:
            return adapter.unfollow(inbound.author)
        raise ActionRefused(f"{kind.value} is not a platform action")

    # -- staff actions ------------------------------------------------------------------------------
    def carry_out_staff_actions(self, account: str | None = None) -> None:
        """Carry out what people asked for in the console or the terminal (`bot.staff` plans it), on
        one account (or every one) and on messages handled long ago, through `_execute` like the bot's own actions.
        A paused or backing-off account keeps its staff actions until it is well. Never raises."""
        now = self.clock()
        resting: set[str] = set()  # accounts that must not be called again in this pass
        try:
            due = self.store.staff_actions_due(account)
        except Exception:
            log.exception("event=staff_actions_error")
            return
        for stored in due:
            try:
                self._carry_out_staff_action(stored, now, resting)
            except _StopAccount:
                pass
            except Exception:  # one bad row must not stop the others
                log.exception("action=%d event=staff_action_error", stored.id)

    def _carry_out_staff_action(self, stored: StoredAction, now: datetime, resting: set[str]) -> None:
        pending = self.store.inbound_item(stored.inbound_id) if stored.inbound_id is not None else None
        if pending is None:
            self.store.mark_failed(stored.id, "the message it concerns is not in the state", now)
            return
        name = pending.inbound.account
        account = self.accounts.get(name)
        if account is None:
            self.store.mark_failed(stored.id, f"account {name} is no longer configured", now)
            return
        health = self.health[name]
        if name in resting or self.store.paused_reason(name) or health.wait_until.get("*", now) > now:
            return
        action = stored.action
        if stored.status == SENDING and action.kind is ActionKind.REPLY and self._replied_before(pending, stored):
            # `find_own_reply` would find the earlier reply and take it for this one: never risk sending twice.
            self.store.mark_unconfirmed(stored.id, "may have been sent before a restart; not sent again", now)
            return
        log.info("account=%s action=%d kind=%s event=staff_action requested_by=%s", name, stored.id,
                 action.kind.value, stored.requested_by)
        try:
            self._execute(account, pending, stored, now)
        except _StopAccount:
            resting.add(name)
            raise

    def _replied_before(self, pending: PendingItem, stored: StoredAction) -> bool:
        channel = stored.action.channel or pending.inbound.channel
        return any(a.id < stored.id and a.action.kind is ActionKind.REPLY and a.status == DONE
                   and (a.action.channel or pending.inbound.channel) is channel
                   for a in self.store.actions_for(pending.row_id))

    # -- following ----------------------------------------------------------------------------------
    def _follow(self, account: AccountSettings, now: datetime) -> None:
        """Unfollow whom the account has blocked or muted, follow back new followers as the policy
        says (decided by the pure `bot.follow`), then carry out what is planned. Followers are read
        at most every FOLLOWERS_READ_EVERY; the unfollows need only the store, so they are planned each pass."""
        adapter = self.adapters[account.name]
        policy = self.engine.policy
        followed = self.store.followed_by_bot(account.name)
        restricted = self.store.restricted_ids(account.name, list(followed))
        for step in plan_unfollows(followed, restricted, adapter.capabilities):
            self.store.plan_follow_step(account.name, step.author.id, step.action, now, dry_run=policy.dry_run)
        health = self.health[account.name]
        due = health.last_followers_read is None or now - health.last_followers_read >= FOLLOWERS_READ_EVERY
        if due and self._follows_back(adapter):
            health.last_followers_read = now
            self._follow_back(account, adapter, now)
        self._carry_out_follows(account, adapter, now)

    def _follows_back(self, adapter: Adapter) -> bool:
        """Whether the policy asks to follow back and this platform can both list followers and follow."""
        caps = adapter.capabilities
        return (self.engine.policy.follow.mode is not FollowMode.OFF and caps.supports(ActionKind.FOLLOW)
                and caps.can_read_followers)

    def _follow_back(self, account: AccountSettings, adapter: Adapter, now: datetime) -> None:
        """Read the newest followers, gather what the store knows of each, and plan whom `bot.follow` picks."""
        policy = self.engine.policy
        try:
            followers = adapter.followers()
        except ActionRefused as refusal:  # an access tier or permission that does not allow it
            self._set_follow_state(account, f"cannot follow back: {self._error_text(refusal)}")
            return
        except AuthFailed as problem:  # as on any read: pause the account and tell staff
            self._platform_trouble(account, "followers", problem, now)
            return
        except PlatformError as problem:  # tried again at the next read; messages are not held up by it
            log.warning("account=%s event=followers_unavailable detail=%r", account.name, self._error_text(problem))
            return
        own = self._own_ids(account)
        followers = tuple(f for f in followers if f.author.id not in own)
        self._set_follow_state(account, f"following back {policy.follow.mode.value} (at most {policy.follow.per_day} a day)")
        ids = [f.author.id for f in followers]
        planned = self.store.follow_planned_ids(account.name, ids)
        strikes = self.store.strike_counts(account.platform.value, account.name, ids)
        restricted = self.store.restricted_ids(account.name, ids)
        standings = {i: Standing(strikes.get(i, 0), i in restricted, i in planned) for i in ids}
        known = self.health[account.name].profile_findings
        findings = {f.author.id: known[f.author.id] if f.author.id in known
                    else profile_findings(f, self.engine.moderation, now, account.platform)
                    for f in followers if self._profile_matters(f, standings[f.author.id])}
        self.health[account.name].profile_findings = findings  # only this read's followers: bounded by its page
        followed_recently = self.store.follows_planned_since(account.name, now - FOLLOW_CAP_WINDOW)
        for step in plan_follows(followers, standings, findings, policy.follow, followed_recently, adapter.capabilities):
            self.store.plan_follow_step(account.name, step.author.id, step.action, now, dry_run=policy.dry_run)

    def _profile_matters(self, follower: Follower, standing: Standing) -> bool:
        """Whether the checks need to read this follower's profile (they cost time; most followers
        were looked at before or are ruled out by their standing)."""
        follow = self.engine.policy.follow
        return (follow.mode is FollowMode.FOLLOWERS and not is_partner(follower.author, follow)
                and standing == Standing())

    def _set_follow_state(self, account: AccountSettings, state: str) -> None:
        health = self.health[account.name]
        if state != health.follow_state:
            health.follow_state = state
            log.info("account=%s event=follow_state state=%r", account.name, state)
            self.console.trouble(account.name, state)

    def follow_status(self, account: AccountSettings) -> tuple[bool, str]:
        """For `housebot check`: whether following works as the policy asks, and one line saying so."""
        adapter = self.adapters[account.name]
        mode = self.engine.policy.follow.mode
        if mode is FollowMode.OFF:
            return True, "following back is off"
        if not adapter.capabilities.supports(ActionKind.FOLLOW):
            return True, f"{account.platform.value} cannot follow anyone through its API: the follow policy does nothing here"
        try:
            adapter.followers()
        except PlatformError as problem:
            return False, f"cannot follow back: {self._error_text(problem)}"
        return True, f"following back {mode.value} (at most {self.engine.policy.follow.per_day} a day)"

    def _carry_out_follows(self, account: AccountSettings, adapter: Adapter, now: datetime) -> None:
        """Each planned follow or unfollow: sending before the call, done after. Both calls are safe to
        repeat on every platform that offers them, so one left `sending` by a crash is simply sent again."""
        for stored, author_id in self.store.open_follow_steps(account.name):
            action = stored.action
            author = Author(author_id, action.text)
            if not self._mark_sending(account.name, stored):
                continue  # moved since it was read (another worker has it)
            try:
                ref = adapter.follow(author) if action.kind is ActionKind.FOLLOW else adapter.unfollow(author)
            except ActionRefused as refusal:
                self.store.mark_failed(stored.id, f"refused: {self._error_text(refusal)}", now)
                self.console.action(action, f"{action.text} refused: {self._error_text(refusal)}")
                continue
            except PlatformError as problem:
                if stored.attempts + 1 >= MAX_ATTEMPTS:
                    self.store.mark_failed(stored.id, self._error_text(problem), now)
                else:
                    self.store.mark_retry(stored.id, self._error_text(problem))
                self._platform_trouble(account, "*", problem, now)
                return
            self.store.mark_done(stored.id, ref, now)
            log.info("account=%s event=%s author=%s rule=%s", account.name, action.kind.value, author_id, action.rule)
            self.console.action(action, f"{action.text} done")

    # -- notices ------------------------------------------------------------------------------------
    def _post_due_notices(self, account: AccountSettings, now: datetime) -> None:
        """Exactly one offline notice per closing (and, if wanted, one back-online notice per opening)."""
        periods = open_periods(account.hours, now - timedelta(days=8), now + timedelta(seconds=1))
        due: list[tuple[str, datetime]] = []
        closed = [end for _, end in periods if end <= now]
        if closed and now - closed[-1] <= NOTICE_GRACE and not is_open(account.hours, now):
            due.append(("offline_notice", closed[-1]))
        opened = [start for start, _ in periods if start <= now]
        if opened and now - opened[-1] <= NOTICE_GRACE and is_open(account.hours, now):
            due.append((CLEAR_NOTICE, opened[-1]))  # first undo what the offline notice replaced
            if account.online_notice:
                due.append(("online_notice", opened[-1]))
        for template, moment in due:
            key = f"{account.name}:{template}:{moment.astimezone(timezone.utc).isoformat()}"
            text = ""
            if template != CLEAR_NOTICE:
                text = render(self.engine.book, template, platform=account.platform, channel=Channel.PUBLIC,
                              values=reply_values(None, self._context(account, now)), seed=key,
                              bot_marker=self.settings.bot.bot_marker).text
            action = Action(ActionKind.POST_NOTICE, f"hours.{template}", "monitoring hours", Channel.PUBLIC, template, text)
            self.store.plan_notice(account.name, action, key, now)
        for stored in self.store.open_notices(account.name):
            self._send_notice(account, stored, now)

    def _send_notice(self, account: AccountSettings, stored: StoredAction, now: datetime) -> None:
        adapter = self.adapters[account.name]
        posts = stored.action.template != CLEAR_NOTICE  # undoing a notice is safe to repeat; posting one is not
        if stored.status == SENDING and posts and not adapter.capabilities.can_find_notice:
            self.store.mark_unconfirmed(stored.id, "may have been posted before a restart; not posted again", now)
            self.console.alert(account.name, "routine", "an hours notice may not have been posted: please check")
            self.alerts.enqueue_system(account, Urgency.ROUTINE, "an hours notice may not have been posted: please check", now)
            return
        try:
            if stored.status == SENDING and posts:
                # A crash came between posting and recording: ask the platform, so the notice is neither
                # posted twice nor missing, and one that is up is known (and so taken down at reopening).
                found = adapter.find_notice(stored.action.text, since=stored.planned_at)
                if found:
                    self.store.mark_done(stored.id, found, now)
                    self.console.notice(account.name, stored.action.text)
                    return
                if (stored.action.template == "offline_notice") == is_open(account.hours, now):
                    self.store.mark_failed(stored.id, "not posted before a restart; its moment has passed", now)
                    return
            if not self._mark_sending(account.name, stored):
                return  # moved since it was read (another worker has it): never posted twice
            if stored.action.template == CLEAR_NOTICE:
                ref = adapter.clear_notice() or "nothing to undo"
            else:
                ref = adapter.post_notice(stored.action.text)
        except ActionRefused as refusal:
            self.store.mark_failed(stored.id, f"refused: {self._error_text(refusal)}", now)
            # The platform will not post or take down this notice: a person must (Instagram's API, say,
            # publishes only a picture at a public address), so it becomes a task for staff.
            task = f"an hours notice needs a person: {self._error_text(refusal)}"
            self.console.alert(account.name, "routine", task)
            self.alerts.enqueue_system(account, Urgency.ROUTINE, task, now)
            return
        except PlatformError as problem:
            if not (isinstance(problem, PlatformUnavailable) and problem.maybe_sent):
                self.store.mark_retry(stored.id, self._error_text(problem))  # else stays `sending`: checked before posting again
            self._platform_trouble(account, "*", problem, now)
            return
        self.store.mark_done(stored.id, ref, now)
        self.metrics.acted(account.name, stored.action.kind.value, "done")
        self.health[account.name].recovered("*")
        if stored.action.text:
            self.console.notice(account.name, stored.action.text)
