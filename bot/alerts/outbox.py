"""The alerts outbox: every alert and digest is written down before it is sent, and sent from there.

An alert row holds the words (made once, redacted); one delivery row per channel and round goes
planned -> sending -> done (or failed), in the state database, each step its own short transaction.
So a restart loses nothing: what was planned is sent by the next delivery step. A delivery still
`sending` after a restart may or may not have reached its channel (the process died mid-send): an
urgent one is sent again, with the same Message-ID and id, because a duplicate safeguarding alert
costs less than a lost one; a routine one (a digest) is marked `unconfirmed` and not sent again.

Urgent alerts are planned for every channel of the team at once; unacknowledged when the window
passes, they repeat and go to the team's escalation target. Routine alerts wait for the team's
next digest. A channel that keeps failing is reported on the team's other channels and the
system team's. Only `deliver` sends, and it is given the time: tests travel, nothing waits.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from bot.alerts.channels import DeliveryError, EmailTransport, Letter, Transport, WebhookTransport
from bot.alerts.config import ON_CALL, AlertSettings, TeamChannels
from bot.alerts.content import (AlertContent, DigestItem, acknowledge_link, alert_content, digest_content,
                                latest_digest_slot, local_time_words, message_link, redact_for_alert)
from bot.model import Action, Inbound, Urgency
from bot.moderation import ModerationData
from bot.ops.retention import PersonalData
from bot.settings import AccountSettings, Settings
from bot.store import Store

log = logging.getLogger("housebot.alerts")

OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    key TEXT UNIQUE, kind TEXT NOT NULL, team TEXT NOT NULL, urgency TEXT NOT NULL, account TEXT NOT NULL,
    category TEXT NOT NULL, inbound_id INTEGER, item_at TEXT NOT NULL, text TEXT NOT NULL, link TEXT NOT NULL,
    content TEXT NOT NULL, created_at TEXT NOT NULL, acknowledged_at TEXT, acknowledged_by TEXT,
    escalate_at TEXT, repeats INTEGER NOT NULL DEFAULT 0, digest_id INTEGER
);
CREATE INDEX IF NOT EXISTS alerts_escalate ON alerts (escalate_at) WHERE escalate_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS alerts_digest ON alerts (team, urgency, digest_id);
CREATE TABLE IF NOT EXISTS alert_deliveries (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts (id), round INTEGER NOT NULL, team TEXT NOT NULL,
    channel TEXT NOT NULL, recipient TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL, error TEXT, planned_at TEXT NOT NULL, finished_at TEXT,
    UNIQUE (alert_id, round, team, channel)
);
CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS alert_digest_slots (team TEXT NOT NULL, slot TEXT NOT NULL, PRIMARY KEY (team, slot));
CREATE TABLE IF NOT EXISTS alert_channels (
    team TEXT NOT NULL, channel TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, error TEXT,
    failing_since TEXT, reported INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (team, channel)
);
"""

_PERSON_ALERTS = """SELECT id FROM alerts WHERE inbound_id IN
    (SELECT id FROM inbound WHERE platform=:platform AND author_id=:author_id)"""
_ERASED = '{"title": "(erased: its words named a person and are no longer kept)", "facts": [], "lines": [], "links": []}'
_FINISHED = "NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.status IN ('planned', 'sending'))"
# What the outbox keeps about people (their redacted words and handle, in alerts and digests), so
# `housebot forget`, `export` and the daily purge reach it; alerts still being delivered are left alone.
ALERTS_PERSONAL_DATA = PersonalData(
    room="alerts",
    erase=(
        f"UPDATE alerts SET text='', link='', content='{_ERASED}' WHERE id IN (SELECT digest_id FROM alerts "
        f"WHERE id IN ({_PERSON_ALERTS}))",
        f"DELETE FROM alert_deliveries WHERE alert_id IN ({_PERSON_ALERTS})",
        f"DELETE FROM alerts WHERE id IN ({_PERSON_ALERTS})",
    ),
    export={"alerts": f"""SELECT kind, team, urgency, category, text, created_at, acknowledged_at FROM alerts
                          WHERE id IN ({_PERSON_ALERTS}) ORDER BY id"""},
    purge_text=(f"UPDATE alerts SET text='', link='', content='{_ERASED}' WHERE created_at < :before "
                f"AND content <> '{_ERASED}' AND {_FINISHED}",),
    purge_decisions=(
        "DELETE FROM alert_deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE created_at < :before) "
        "AND status NOT IN ('planned', 'sending')",
        f"DELETE FROM alerts WHERE created_at < :before AND {_FINISHED}",
    ),
)

# Alert kinds: about a message, about the bot itself (paused account, failed action), a notice that
# a channel is failing (sent once, never escalated), and a digest of routine alerts.
MESSAGE, SYSTEM, NOTICE, DIGEST = "message", "system", "notice", "digest"
PLANNED, SENDING, DONE, FAILED, UNCONFIRMED, SKIPPED = "planned", "sending", "done", "failed", "unconfirmed", "skipped"
MAX_ATTEMPTS = 10  # about two hours of back-off before a delivery is given up and reported
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=30)
FAILING_AFTER = 3  # consecutive failures before a channel is reported on the others
SEND_PASSES = 3


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... at most 30 min: doubling, so an outage is not hammered."""
    return min(MAX_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))


@dataclass(frozen=True, slots=True)
class ChannelProblem:
    team: str
    channel: str
    failures: int
    error: str
    since: str


def acknowledge_alert(store: Store, alert_id: int, by: str, now: datetime) -> bool:
    """Someone has it: no more repeats or escalation. False if unknown or acknowledged already."""
    store.extend_schema(OUTBOX_SCHEMA)
    with store.transaction() as db:
        changed = db.execute("""UPDATE alerts SET acknowledged_at=?, acknowledged_by=?, escalate_at=NULL
                                WHERE id=? AND acknowledged_at IS NULL""", (_iso(now), by, alert_id)).rowcount
        db.execute("UPDATE alert_deliveries SET status=?, finished_at=? WHERE alert_id=? AND round>0 AND status=?",
                   (SKIPPED, _iso(now), alert_id, PLANNED))
    log.info("event=alert_acknowledged alert=%d by=%s", alert_id, by)
    return bool(changed)


class Alerts:
    """Plans alerts into the outbox (the executor's side) and delivers what is due (the scheduler's)."""

    def __init__(self, settings: Settings, store: Store, moderation: ModerationData, *,
                 scrub: Callable[[str], str] = str) -> None:
        """`scrub` removes secrets from what the bot says about itself (an error may quote a token)."""
        self.settings = settings
        self.scrub = scrub
        self.config: AlertSettings | None = settings.alerts
        self.store = store
        self.moderation = moderation
        self.zone = settings.organisation.timezone
        self._recovered = False
        # With workers sharing the state: inside the transaction that claims a delivery, whether this
        # worker still holds the alerts lease (else another delivers, and nothing goes twice).
        self.fence: Callable[[sqlite3.Connection], bool] | None = None
        store.extend_schema(OUTBOX_SCHEMA)
        store.register_personal_data(ALERTS_PERSONAL_DATA)

    # -- planning (called by the executor) --------------------------------------------------------
    def enqueue_action(self, action_id: int, account: AccountSettings, inbound_id: int, item: Inbound, action: Action,
                       now: datetime) -> None:
        """An ALERT or REVIEW action about one message; planned once however often the action is retried."""
        if self.config is None:
            return
        text = redact_for_alert(item.text, self.moderation)
        found = self.store.read("SELECT category FROM inbound WHERE id=?", (inbound_id,))
        category = (found[0]["category"] if found else None) or "unknown"
        self._enqueue(key=f"action:{action_id}", kind=MESSAGE, team=action.team, urgency=action.urgency,
                      account_name=account.display_name, account=f"{account.display_name} ({account.handle} on {account.platform.value})",
                      category=category, rule=action.rule, reason=action.reason, author=item.author.handle,
                      inbound_id=inbound_id, item_at=item.created_at, text=text, now=now)

    def enqueue_system(self, account: AccountSettings, urgency: Urgency, problem: str, now: datetime) -> None:
        """Trouble with the bot itself (a paused account, an action that failed) for the system team."""
        self._enqueue(key=None, kind=SYSTEM, team=self.config.system_team if self.config else "", urgency=urgency,
                      account_name=account.display_name, account=f"{account.display_name} ({account.handle} on {account.platform.value})",
                      category="housebot", rule="service", reason=self.scrub(problem), author="", inbound_id=None,
                      item_at=now, text="", now=now)

    def _enqueue(self, *, key: str | None, kind: str, team: str, urgency: Urgency, account_name: str, account: str,
                 category: str, rule: str, reason: str, author: str, inbound_id: int | None, item_at: datetime,
                 text: str, now: datetime) -> None:
        config = self.config
        if config is None:
            return  # no [alerts] table: the terminal and the log are all there is
        urgent = urgency is Urgency.URGENT
        link = message_link(config.console_url, inbound_id) if inbound_id is not None else ""
        with self.store.transaction() as db:
            planned = db.execute(
                """INSERT INTO alerts (key, kind, team, urgency, account, category, inbound_id, item_at, text,
                   link, content, created_at, escalate_at) VALUES (?,?,?,?,?,?,?,?,?,?,'',?,?)
                   ON CONFLICT DO NOTHING RETURNING id""",
                (key, kind, team, urgency.value, account, category, inbound_id, _iso(item_at), text, link, _iso(now),
                 _iso(now + config.acknowledge_after) if urgent and config.max_repeats else None)).fetchone()
            if planned is None:
                return  # planned already, before a restart (or by another worker)
            alert_id = int(planned[0])
            links = [("Open in the staff console", link)] if link else []
            if urgent:
                links.append(("Acknowledge", acknowledge_link(config.console_url, config.signing_key, alert_id, now)))
            content = alert_content(urgent=urgent, team_name=self.settings.teams[team].name,
                                    account_name=account_name, account=account,
                                    when=item_at, zone=self.zone, category=category, rule=rule, reason=reason,
                                    author=author, text=text, links=links,
                                    escalation_note=self._escalation_note(team) if urgent else "")
            db.execute("UPDATE alerts SET content=? WHERE id=?", (content.to_json(), alert_id))
            if urgent:  # a team without channels of its own is covered by the system team's
                self._plan(db, alert_id, 0, self._destinations(team) or self._destinations(config.system_team), now)
        log.info("event=alert_planned alert=%d team=%s urgency=%s kind=%s", alert_id, team, urgency.value, kind)

    def _escalation_note(self, team: str) -> str:
        config = self.config
        assert config is not None
        if not config.max_repeats:
            return ""
        target = config.teams[team].escalate_to if team in config.teams else ""
        who = f"the {self.settings.teams[target].name}" if target in self.settings.teams else target
        minutes = int(config.acknowledge_after.total_seconds() // 60)
        return (f"If nobody acknowledges it within {minutes} minutes, it is sent again"
                f"{' and goes to ' + who if who else ''}.")

    def _destinations(self, team: str, *, skip: tuple[str, str] | None = None) -> list[tuple[str, str, str]]:
        """(team, channel, recipient) for every channel of `team`, or of an on-call address."""
        config = self.config
        assert config is not None
        if team not in self.settings.teams:
            return [(ON_CALL, "email", team)]
        channels: TeamChannels | None = config.teams.get(team)
        if channels is None:
            return []
        return [(team, kind, self.settings.teams[team].email if kind == "email" else "")
                for kind in channels.channels if (team, kind) != skip]

    @staticmethod
    def _plan(db: sqlite3.Connection, alert_id: int, round_number: int,
              destinations: Iterable[tuple[str, str, str]], now: datetime) -> None:
        for team, channel, recipient in destinations:
            db.execute("""INSERT INTO alert_deliveries (alert_id, round, team, channel, recipient, status,
                          next_attempt_at, planned_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING""",
                       (alert_id, round_number, team, channel, recipient, PLANNED, _iso(now), _iso(now)))

    # -- acknowledging ----------------------------------------------------------------------------
    def acknowledge(self, alert_id: int, by: str, now: datetime) -> bool:
        return acknowledge_alert(self.store, alert_id, by, now)

    # -- delivering (called by the scheduler) -----------------------------------------------------
    def deliver(self, now: datetime) -> None:
        """Send everything due: repeats and escalations, digests, then every planned delivery."""
        if self.config is None:
            return
        if not self._recovered:
            self._recover(now)
            self._recovered = True
        self._escalate(now)
        self._digests(now)
        for _ in range(SEND_PASSES):  # a second pass sends the notice of a channel that just failed
            if not self._send_due(now):
                break

    def taken_over(self) -> None:
        """This worker has just taken delivery over from another: recover what it left `sending`
        at the next delivery, as after a restart."""
        self._recovered = False

    def _recover(self, now: datetime) -> None:
        """Deliveries left `sending` by a crash: urgent ones again (at least once), routine ones not."""
        for row in self.store.read("""SELECT d.id, a.urgency FROM alert_deliveries d JOIN alerts a ON a.id=d.alert_id
                                      WHERE d.status=?""", (SENDING,)):
            with self.store.transaction() as db:
                if row["urgency"] == Urgency.URGENT.value:
                    db.execute("UPDATE alert_deliveries SET status=?, error=? WHERE id=?",
                               (PLANNED, "may have been sent before a restart: sent again, urgent alerts go at least once",
                                row["id"]))
                else:
                    db.execute("UPDATE alert_deliveries SET status=?, error=?, finished_at=? WHERE id=?",
                               (UNCONFIRMED, "may have been sent before a restart: not sent again", _iso(now), row["id"]))
            log.warning("event=alert_delivery_interrupted delivery=%d urgency=%s", row["id"], row["urgency"])

    def _escalate(self, now: datetime) -> None:
        config = self.config
        assert config is not None
        for row in self.store.read("""SELECT id, team, repeats FROM alerts WHERE escalate_at IS NOT NULL
                                      AND escalate_at<=? AND acknowledged_at IS NULL""", (_iso(now),)):
            repeats = row["repeats"] + 1
            with self.store.transaction() as db:
                claimed = db.execute("UPDATE alerts SET repeats=?, escalate_at=? WHERE id=? AND repeats=?",
                                     (repeats, _iso(now + config.acknowledge_after) if repeats < config.max_repeats
                                      else None, row["id"], row["repeats"])).rowcount
                if not claimed:
                    continue
                destinations = self._destinations(row["team"])
                target = config.teams[row["team"]].escalate_to if row["team"] in config.teams else ""
                if target:
                    destinations += self._destinations(target)
                self._plan(db, row["id"], repeats, destinations, now)
            log.warning("event=alert_escalated alert=%d repeat=%d team=%s to=%s", row["id"], repeats, row["team"],
                        target if target in self.settings.teams else ("on-call" if target else "-"))

    def _digests(self, now: datetime) -> None:
        config = self.config
        assert config is not None
        slot = latest_digest_slot(now, config.digest_times, config.digest_days, self.zone)
        if slot is None:
            return
        for team in config.teams:
            with self.store.transaction() as db:
                if not db.execute("INSERT INTO alert_digest_slots (team, slot) VALUES (?,?) ON CONFLICT DO NOTHING",
                                  (team, _iso(slot))).rowcount:
                    continue  # this digest is taken care of already
                # what was planned before the digest time: a late digest (the bot was down) is no earlier one
                rows = db.execute("""SELECT * FROM alerts WHERE team=? AND urgency=? AND kind IN (?,?)
                                     AND digest_id IS NULL AND created_at<=? ORDER BY item_at FOR UPDATE""",
                                  (team, Urgency.ROUTINE.value, MESSAGE, SYSTEM, _iso(slot))).fetchall()
                if not rows:
                    continue
                items = [DigestItem(r["account"], r["category"], datetime.fromisoformat(r["item_at"]),
                                    r["text"] or "(no message text)", r["link"]) for r in rows]
                content = digest_content(self.settings.teams[team].name, items, slot, self.zone)
                digest_id = int(db.execute(
                    """INSERT INTO alerts (key, kind, team, urgency, account, category, item_at, text, link, content,
                       created_at) VALUES (?,?,?,?,'','',?,'','',?,?) RETURNING id""",
                    (f"digest:{team}:{_iso(slot)}", DIGEST, team, Urgency.ROUTINE.value, _iso(slot),
                     content.to_json(), _iso(now))).fetchone()[0])
                db.executemany("UPDATE alerts SET digest_id=? WHERE id=?", [(digest_id, r["id"]) for r in rows])
                self._plan(db, digest_id, 0, self._destinations(team), now)
            log.info("event=digest_planned team=%s items=%d", team, len(rows))

    def _send_due(self, now: datetime) -> int:
        """Send every planned delivery that is due; returns how many were tried."""
        rows = self.store.read(
            """SELECT d.*, a.content, a.urgency FROM alert_deliveries d JOIN alerts a ON a.id=d.alert_id
               WHERE d.status=? AND d.next_attempt_at<=? ORDER BY a.urgency='urgent' DESC, d.id""",
            (PLANNED, _iso(now)))
        for row in rows:
            with self.store.transaction() as db:
                if self.fence is not None and not self.fence(db):
                    return 0  # the alerts lease has passed to another worker
                if not db.execute("UPDATE alert_deliveries SET status=?, attempts=attempts+1 WHERE id=? AND status=?",
                                  (SENDING, row["id"], PLANNED)).rowcount:
                    continue
            letter = Letter(content=AlertContent.from_json(row["content"]).repeated(row["round"]),
                            urgent=row["urgency"] == Urgency.URGENT.value, now=now, recipient=row["recipient"],
                            reference=f"alert-{row['alert_id']}-{row['round']}-{row['team']}-{row['channel']}")
            try:
                self.transport(row["team"], row["channel"]).send(letter)
            except DeliveryError as problem:
                self._failed(row, problem, now)
                continue
            with self.store.transaction() as db:
                db.execute("UPDATE alert_deliveries SET status=?, finished_at=?, error=NULL WHERE id=?",
                           (DONE, _iso(now), row["id"]))
                db.execute("UPDATE alert_channels SET failures=0, error=NULL, failing_since=NULL, reported=0 "
                           "WHERE team=? AND channel=?", (row["team"], row["channel"]))
            log.info("event=alert_sent alert=%d delivery=%d team=%s channel=%s", row["alert_id"], row["id"],
                     row["team"], row["channel"])
        return len(rows)

    def _failed(self, row: sqlite3.Row, problem: DeliveryError, now: datetime) -> None:
        attempts = row["attempts"] + 1
        give_up = problem.permanent or attempts >= MAX_ATTEMPTS
        wait = max(retry_delay(attempts), problem.retry_after or timedelta(0))
        with self.store.transaction() as db:
            db.execute("UPDATE alert_deliveries SET status=?, error=?, next_attempt_at=?, finished_at=? WHERE id=?",
                       (FAILED if give_up else PLANNED, str(problem), _iso(now + wait),
                        _iso(now) if give_up else None, row["id"]))
            db.execute("""INSERT INTO alert_channels (team, channel, failures, error, failing_since) VALUES (?,?,1,?,?)
                          ON CONFLICT (team, channel) DO UPDATE SET failures=failures+1, error=excluded.error,
                          failing_since=COALESCE(failing_since, excluded.failing_since)""",
                       (row["team"], row["channel"], str(problem), _iso(now)))
            health = db.execute("SELECT * FROM alert_channels WHERE team=? AND channel=?",
                                (row["team"], row["channel"])).fetchone()
            report = not health["reported"] and (problem.permanent or health["failures"] >= FAILING_AFTER) and \
                db.execute("UPDATE alert_channels SET reported=1 WHERE team=? AND channel=? AND reported=0",
                           (row["team"], row["channel"])).rowcount == 1  # told once, whichever worker sees it
        log.warning("event=alert_delivery_failed alert=%d delivery=%d team=%s channel=%s attempt=%d gave_up=%s detail=%r",
                    row["alert_id"], row["id"], row["team"], row["channel"], attempts, give_up, str(problem))
        if report:
            self._report_failing_channel(row["team"], row["channel"], str(problem), now)

    def _report_failing_channel(self, team: str, channel: str, problem: str, now: datetime) -> None:
        """Tell people on every other channel of that team, and the system team, that one is failing."""
        config = self.config
        assert config is not None
        team_name = self.settings.teams[team].name if team in self.settings.teams else "on-call address"
        content = AlertContent(
            f"[Alert channel failing] {channel} for the {team_name}",
            (("Channel", f"{channel} of the {team_name}"), ("Problem", problem), ("Since", local_time_words(now, self.zone))),
            (f"Alerts for the {team_name} still go to its other channels. Fix the setting, then run "
             f"`housebot test-alert {team}` and `housebot check`.",))
        destinations = [] if team == ON_CALL else self._destinations(team, skip=(team, channel))
        destinations += [d for d in self._destinations(config.system_team, skip=(team, channel)) if d not in destinations]
        with self.store.transaction() as db:
            alert_id = int(db.execute(
                """INSERT INTO alerts (kind, team, urgency, account, category, item_at, text, link, content, created_at)
                   VALUES (?,?,?,'','housebot',?,'','',?,?) RETURNING id""",
                (NOTICE, config.system_team, Urgency.URGENT.value, _iso(now), content.to_json(), _iso(now))).fetchone()[0])
            self._plan(db, alert_id, 0, destinations, now)
        log.error("event=alert_channel_failing team=%s channel=%s detail=%r", team, channel, problem)

    # -- transports, checks and test sends ----------------------------------------------------------
    def transport(self, team: str, channel: str) -> Transport:
        config = self.config
        assert config is not None
        if channel == "email":
            if config.email is None:
                raise DeliveryError("email: no [alerts.email] server is configured", permanent=True)
            return EmailTransport(config.email)
        url = config.teams[team].urls.get(channel) if team in config.teams else None
        if url is None:
            raise DeliveryError(f"{channel}: no longer configured for team {team}", permanent=True)
        return WebhookTransport(channel, url, config.http_timeout_seconds)

    def channel_problems(self) -> list[ChannelProblem]:
        """Channels whose last delivery failed, for `housebot check`."""
        return [ChannelProblem(r["team"], r["channel"], r["failures"], r["error"] or "", r["failing_since"] or "")
                for r in self.store.read("SELECT * FROM alert_channels WHERE failures>0 ORDER BY team, channel")]

    def test_alert(self, team: str, now: datetime) -> list[tuple[str, str]]:
        """Send one test alert straight through each channel of `team` (not through the outbox, and
        never retried: the person running it wants to know now). Returns (channel, outcome)."""
        content = AlertContent(f"[Test] housebot alerts reach the {self.settings.teams[team].name}",
                               (("Team", self.settings.teams[team].name), ("Time", local_time_words(now, self.zone))),
                               ("This is a test sent by `housebot test-alert`. Nothing needs doing.",))
        outcomes = []
        for destination_team, channel, recipient in self._destinations(team):
            letter = Letter(content, urgent=False, reference=f"test-{team}-{channel}-{int(now.timestamp())}", now=now,
                            recipient=recipient)
            try:
                self.transport(destination_team, channel).send(letter)
            except DeliveryError as problem:
                outcomes.append((channel, f"failed: {problem}"))
            else:
                outcomes.append((channel, "sent"))
        return outcomes
