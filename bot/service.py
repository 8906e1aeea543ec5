"""The running bot: the scheduler, the executor, and what happens when platforms misbehave.

This is the only module that reads the clock (through an injectable `clock`), calls platforms and
writes state. Each account is polled on its own schedule; a failure on one account (outage, 429,
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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, TextIO

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from adapters import adapter_module, reply_limits
from adapters.base import ActionRefused, Adapter, AuthFailed, PlatformError, PlatformUnavailable, RateLimited
from bot.alerts import Alerts
from bot.console import Console, SecretScrubber
from bot.hours import is_open, open_periods
from bot.model import DANGER_CATEGORIES, Action, ActionKind, Category, Channel, DangerTier, Finding, Inbound, Urgency
from bot.moderation import private_spans, redact
from bot.pipeline import Engine, HandleContext, handle, load_engine, reply_values
from bot.replies import render
from bot.settings import AccountSettings, Settings
from bot.store import PLANNED, SENDING, PendingItem, StoredAction, Store

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
STOP_GRACE = timedelta(seconds=30)  # how long a stop waits for the step under way (platform timeouts are shorter)


def stop_like_ctrl_c(signum: int, frame: object) -> None:
    """SIGTERM (what systemd sends) and Ctrl-C both stop the bot the same way: the main thread
    leaves the scheduler's loop and `stop` waits for the step under way before closing the state.
    Further signals are ignored while it stops, so a second one cannot cut the stop short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


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
        "official_accounts": ", ".join(f"{a.handle} on {names[a.platform.value]}" for a in settings.accounts),
    }


class _StopAccount(Exception):
    """Leave this account for now (it is waiting or paused); other accounts carry on."""


@dataclass
class AccountHealth:
    """In-memory back-off state of one account; the pause for auth failures lives in the store."""

    wait_until: dict[str, datetime] = field(default_factory=dict)  # stream name or "*" -> time
    last_read: dict[str, datetime] = field(default_factory=dict)  # stream name -> last fetch
    failures: int = 0
    breaker_alerted: bool = False
    last_closed_poll: datetime | None = None


class Service:
    """Everything the bot does, for every configured account."""

    def __init__(self, settings: Settings, *, clock: Clock = utc_now, adapters: Mapping[str, Adapter] | None = None,
                 store: Store | None = None, out: TextIO | None = None, rng: random.Random | None = None) -> None:
        """`clock` lets tests travel in time: they move it by hand and call `tick` (or `poll_account`)
        where the scheduler would, so no test waits on wall time."""
        self.settings = settings
        self.clock = clock
        self._settings_values = settings_values(settings)
        self.engine: Engine = load_engine(settings.policy_file, settings.moderation_dir, settings.responses_dir,
                                          teams=settings.teams, limits=reply_limits(), values=self._settings_values,
                                          values_file=str(settings.config_file))
        self.store = store if store is not None else Store(settings.state_path)
        secrets = [value for account_secrets in settings.secrets.values() for value in account_secrets.values()]
        secrets += settings.alerts.secrets if settings.alerts else ()
        self.scrubber = SecretScrubber(secrets)
        # Log lines may quote a platform's answer (a whole message), so they lose private details too.
        self.log_scrubber = SecretScrubber(secrets, self._redact)
        self.alerts = Alerts(settings, self.store, self.engine.moderation, scrub=self.scrubber.scrub)
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
        self._official_ids: dict[str, frozenset[str]] = {}
        self._scheduler: BackgroundScheduler | BlockingScheduler | None = None
        self._step = threading.Lock()  # held by a scheduled step while it runs, and by stop once it is done
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
        self.deliver_alerts()

    def _schedule(self, scheduler: BackgroundScheduler | BlockingScheduler) -> None:
        for account in self.settings.accounts:
            scheduler.add_job(self._scheduled_poll, "interval", args=[account.name], id=account.name,
                              seconds=self.job_interval(account).total_seconds(),
                              next_run_time=utc_now(),
                              max_instances=1, coalesce=True, misfire_grace_time=None)
        if self.settings.alerts is not None:
            scheduler.add_job(self.deliver_alerts, "interval", id="alerts", next_run_time=utc_now(),
                              seconds=ALERT_SECONDS, max_instances=1, coalesce=True,
                              misfire_grace_time=None)

    def deliver_alerts(self) -> None:
        """Send the alerts and digests that are due. Never raises: a failing channel must not stop the bot."""
        try:
            self.alerts.deliver(self.clock())
        except Exception:
            log.exception("event=alert_delivery_error")

    def _scheduled_poll(self, name: str) -> None:
        """One scheduled step; none starts once `stop` holds the step lock."""
        if not self._step.acquire(blocking=False):
            return
        try:
            self.poll_account(name)
        finally:
            self._step.release()

    def start(self) -> None:
        """Run in the background (tests, embedding); `stop` ends it."""
        self._scheduler = BackgroundScheduler(timezone=self.settings.organisation.timezone,
                                              executors={"default": ThreadPoolExecutor(1)})
        self._schedule(self._scheduler)
        self._scheduler.start()

    def run(self) -> None:
        """Run in the foreground until Ctrl-C or SIGTERM, then stop cleanly."""
        scheduler = BlockingScheduler(timezone=self.settings.organisation.timezone,
                                      executors={"default": ThreadPoolExecutor(1)})
        self._scheduler = scheduler
        self._schedule(scheduler)
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, stop_like_ctrl_c)
        try:
            self.console.started(self.settings, {a.name: self.poll_interval(a) for a in self.settings.accounts})
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        self.stop()

    def stop(self) -> None:
        """Stop scheduling, wait (at most STOP_GRACE) for the step under way, then close the state.

        The state is closed only once no step can touch it: closing SQLite under a running step
        is what crashed. A step still running after the grace is left to finish on its own.
        """
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        if not self._step.acquire(timeout=STOP_GRACE.total_seconds()):
            log.error("event=stop_timeout grace=%s: a step is still running; the state is left open", STOP_GRACE)
            return
        self.close()
        self.console.stopped()

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
        if health.wait_until.get("*", now) > now:
            return  # backing off after an outage or a rate limit: nothing is sent or read until then
        try:
            self._post_due_notices(account, now)
            open_now = is_open(account.hours, now)
            fetched = False
            if open_now or self._closed_poll_due(account, health, now):
                fetched = self._fetch(account, now)
            self._handle_pending(account, now, open_now)
            if fetched:  # only a pass that really reached the platform ends a run of failures
                health.failures = 0
                health.breaker_alerted = False
        except _StopAccount:
            pass
        except Exception:  # a bug must not stop the other accounts; ops see it in the log
            log.exception("account=%s event=unexpected_error", name)

    def _closed_poll_due(self, account: AccountSettings, health: AccountHealth, now: datetime) -> bool:
        """The safety screen: a slow poll while closed that acts only on danger."""
        if not account.safety_screen:
            return False
        if health.last_closed_poll is not None and now - health.last_closed_poll < timedelta(
                seconds=self.settings.bot.closed_poll_seconds):
            return False
        health.last_closed_poll = now
        return True

    def _fetch(self, account: AccountSettings, now: datetime) -> bool:
        """Read every stream that is due; True if at least one read succeeded."""
        adapter = self.adapters[account.name]
        health = self.health[account.name]
        fetched = False
        for stream in adapter.streams:
            waiting = max(health.wait_until.get(stream, now), health.wait_until.get("*", now))
            if waiting > now:
                continue
            if not self._read_due(health.last_read.get(stream), self.stream_interval(account, stream), now):
                continue
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
            fetched = True
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
            if new:
                log.info("account=%s stream=%s event=fetched new=%d", account.name, stream, new)
        return fetched

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
        """Wait, back off or pause as the failure demands; raise _StopAccount when nothing more should run now."""
        health = self.health[account.name]
        if isinstance(problem, RateLimited):
            health.wait_until[stream] = problem.reset_at
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
        health.failures += 1
        # Half-open probing: a short wait that grows with each failure in a row, capped, so a blip
        # costs seconds and the bot follows the platform back within a minute or two, never ten.
        delay = min(MAX_BACKOFF, FIRST_RETRY * 2 ** (health.failures - 1))
        delay *= self.rng.uniform(0.75, 1.0)  # jitter, so accounts do not retry in step
        if health.failures >= BREAKER_THRESHOLD and not health.breaker_alerted:
            health.breaker_alerted = True
            log.error("account=%s event=circuit_open failures=%d", account.name, health.failures)
            self.console.alert(account.name, "routine", f"{account.platform.value} keeps failing ({self._error_text(problem)}); "
                               f"trying again at least every {MAX_BACKOFF}")
            self.alerts.enqueue_system(account, Urgency.ROUTINE, f"{account.platform.value} keeps failing ({problem}); "
                                       f"trying again at least every {MAX_BACKOFF}", now)
        health.wait_until["*"] = now + delay
        log.warning("account=%s stream=%s event=unavailable failures=%d retry_in=%s detail=%r",
                    account.name, stream, health.failures, delay, str(problem))
        self.console.trouble(account.name, f"{problem.__class__.__name__} on {stream}; retrying in {delay.seconds}s")
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
            decision = handle(pending.inbound, history, context, self.engine)
            if decision.waits_for_opening:  # only danger is acted on while closed
                self.store.hold_until_open(pending.row_id)  # waits for opening, not screened again
                continue
            self.store.save_decision(pending.row_id, pending.inbound, decision, now)
            if decision.strike:
                self.store.add_strike(pending.row_id, pending.inbound, decision.category.value, now)
            self.console.decision(pending.inbound, decision)
            is_danger = decision.danger_tier is not DangerTier.NONE or decision.category in DANGER_CATEGORIES
            (danger_first if is_danger else the_rest).append(replace(pending, decided=True))
        for pending in danger_first + the_rest:
            self._carry_out(account, pending, now)

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
            unfinished = [s for s in self.store.actions_for(pending.row_id) if s.status in (PLANNED, SENDING)]
            if not unfinished:
                self.store.complete_inbound(pending.row_id, now)
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
        self.store.mark_sending(stored.id)
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
        raise ActionRefused(f"{kind.value} is not a platform action")

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
                found = adapter.find_notice(stored.action.text)
                if found:
                    self.store.mark_done(stored.id, found, now)
                    self.console.notice(account.name, stored.action.text)
                    return
                if (stored.action.template == "offline_notice") == is_open(account.hours, now):
                    self.store.mark_failed(stored.id, "not posted before a restart; its moment has passed", now)
                    return
            self.store.mark_sending(stored.id)
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
        if stored.action.text:
            self.console.notice(account.name, stored.action.text)
