"""What a person on the comms team can do about the bot's work: settle reviews, reply, take down,
undo, restore a strike, record and decide appeals, acknowledge alerts, and read who did what.

The web console (`bot/web/`) and the terminal (`housebot review|undo|appeal`) both call these
functions; neither talks to a platform. A platform step is written as an action row, `planned`
with `requested_by` (the person), on the message it concerns; the running service carries it out
through the same executor as the bot's own actions (`Service.carry_out_staff_actions`): sending,
then done with the platform's id or failed with the platform's words, retried, never sent twice.

Every function checks the person's role first (viewers only read) and writes a staff audit row
(who, what, when, why, target; never the message's text) in the same transaction as the change,
so nothing happens unrecorded. What cannot be done raises `NotAllowed` with one plain sentence for
the page: the role may not, the platform cannot, or someone settled it first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import ContextManager

from adapters import adapter_module
from bot.model import Action, ActionKind, Capabilities, Channel, Inbound, Platform
from bot.moderation import ModerationData, load_moderation_data, private_spans
from bot.ops.retention import PersonalData
from bot.replies import written_reply_problems
from bot.settings import Settings
from bot.store import DONE, PLANNED, SENDING, WAITING, PendingItem, StoredAction, Store

STAFF_SCHEMA = """
CREATE TABLE IF NOT EXISTS staff_audit (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL, what TEXT NOT NULL,
    target TEXT NOT NULL, reason TEXT NOT NULL, inbound_id INTEGER, action_id INTEGER
);
CREATE INDEX IF NOT EXISTS staff_audit_at ON staff_audit (at);
CREATE INDEX IF NOT EXISTS staff_audit_inbound ON staff_audit (inbound_id);
CREATE TABLE IF NOT EXISTS review_assignments (
    review_id INTEGER PRIMARY KEY, assignee TEXT NOT NULL, assigned_by TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS appeals (
    id INTEGER PRIMARY KEY, inbound_id INTEGER NOT NULL, received TEXT NOT NULL, text TEXT NOT NULL,
    recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,
    decided_by TEXT, decided_at TEXT, upheld INTEGER, decision_reason TEXT
);
CREATE INDEX IF NOT EXISTS appeals_inbound ON appeals (inbound_id);
CREATE TABLE IF NOT EXISTS alert_notes (
    id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_notes_alert ON alert_notes (alert_id);
"""

_PERSON_INBOUND = "SELECT id FROM inbound WHERE platform=:platform AND author_id=:author_id"
# How `housebot forget`, `export` and the daily purge reach the staff tables. The audit of what staff
# did is kept for its own (longest) time, but a person who asks to be forgotten is cut out of it:
# the row says what was done and when, no longer to whom or why (a reason may name them). Notes on
# an alert go with the alert, whichever room erases first.
STAFF_PERSONAL_DATA = PersonalData(
    room="staff",
    erase=(
        f"DELETE FROM appeals WHERE inbound_id IN ({_PERSON_INBOUND})",
        f"DELETE FROM review_assignments WHERE review_id IN (SELECT id FROM actions WHERE inbound_id IN ({_PERSON_INBOUND}))",
        f"""UPDATE staff_audit SET target='(erased)', reason='(erased)', inbound_id=NULL, action_id=NULL
            WHERE inbound_id IN ({_PERSON_INBOUND})""",
        f"""DELETE FROM alert_notes WHERE alert_id NOT IN (SELECT id FROM alerts)
            OR alert_id IN (SELECT id FROM alerts WHERE inbound_id IN ({_PERSON_INBOUND}))""",
    ),
    export={"appeals": f"""SELECT received, text, recorded_at, decided_at, upheld, decision_reason FROM appeals
                           WHERE inbound_id IN ({_PERSON_INBOUND}) ORDER BY id"""},
    purge_text=("UPDATE appeals SET text='' WHERE recorded_at < :before AND decided_at IS NOT NULL",),
    purge_decisions=("DELETE FROM appeals WHERE recorded_at < :before AND decided_at IS NOT NULL",
                     "DELETE FROM review_assignments WHERE at < :before"),
    purge_staff_audit=("DELETE FROM staff_audit WHERE at < :before", "DELETE FROM alert_notes WHERE at < :before"),
)


def prepare(store: Store) -> None:
    """Make the staff tables and tell the store how retention and erasure reach them."""
    store.extend_schema(STAFF_SCHEMA)
    store.register_personal_data(STAFF_PERSONAL_DATA)


PLATFORM_NAMES = {Platform.SANDBOX: "The sandbox", Platform.X: "X", Platform.FACEBOOK: "Facebook",
                  Platform.INSTAGRAM: "Instagram"}
# What undoes what; a delete cannot be undone on any platform (none restores a deleted comment).
UNDOES: dict[ActionKind, ActionKind] = {ActionKind.HIDE: ActionKind.UNHIDE, ActionKind.BLOCK: ActionKind.UNBLOCK,
                                        ActionKind.MUTE: ActionKind.UNMUTE}
TAKE_DOWNS = (ActionKind.HIDE, ActionKind.DELETE)
FOLLOWS = (ActionKind.FOLLOW, ActionKind.UNFOLLOW)
SETTLE_OUTCOMES = ("left", "dismissed")
# Why a platform cannot do something, in the words staff need (what to do instead).
_CANNOT: dict[tuple[Platform, ActionKind], str] = {
    (Platform.X, ActionKind.BLOCK): "X has no block endpoint: mute instead, or block in the X app",
    (Platform.X, ActionKind.UNBLOCK): "X has no unblock endpoint: unblock in the X app",
    (Platform.X, ActionKind.DELETE): "X deletes only the account's own posts: hide the reply instead, "
                                     "or report it in the X app",
    (Platform.FACEBOOK, ActionKind.MUTE): "Facebook has no mute: ban the person from the Page instead",
    (Platform.FACEBOOK, ActionKind.UNMUTE): "Facebook has no mute, so there is nothing to unmute",
    # Instagram's official API (the default) hides and unhides comments but has no block or mute;
    # instagrapi (opt-in) blocks but cannot hide. The page offers what the default API declares.
    (Platform.INSTAGRAM, ActionKind.BLOCK): "Instagram's official API has no block: restrict or block the person "
                                            "in the Instagram app",
    (Platform.INSTAGRAM, ActionKind.UNBLOCK): "Instagram's official API has no unblock: do it in the Instagram app",
    (Platform.INSTAGRAM, ActionKind.MUTE): "Instagram's official API has no mute: restrict the person in the "
                                           "Instagram app",
    (Platform.INSTAGRAM, ActionKind.UNMUTE): "Instagram's official API has no unmute: do it in the Instagram app",
}


class Role(StrEnum):
    VIEWER = "viewer"
    MODERATOR = "moderator"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class StaffMember:
    name: str
    role: Role


class NotAllowed(Exception):
    """One plain sentence for the page: the role may not, the platform cannot (e.g. "X has no block
    endpoint: mute instead, or block in the X app"), it was settled already, ..."""


class ReplyTarget(StrEnum):
    """What `send_reply`'s id names: a review (the suggested reply, which settles it) or a message."""

    REVIEW = "review"
    INBOUND = "inbound"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One staff action: who, what, when, why, and its target (never the message's text)."""

    id: int
    at: datetime
    who: str
    role: Role
    what: str
    target: str
    reason: str
    inbound_id: int | None = None
    action_id: int | None = None  # the platform action it planned, whose status the executor keeps


@dataclass(frozen=True, slots=True)
class Appeal:
    id: int
    inbound_id: int
    received: str
    text: str
    recorded_by: str
    recorded_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    upheld: bool | None = None
    decision_reason: str | None = None


@dataclass(frozen=True, slots=True)
class AlertNote:
    alert_id: int
    who: str
    at: datetime
    note: str


# -- what a platform can do ---------------------------------------------------------------------------
def capabilities_for(platform: Platform) -> Capabilities:
    """What a platform lets an account do, as its adapter declares it, for a page to offer only
    what can work, without building a live adapter."""
    return adapter_module(platform.value).CAPABILITIES


def cannot(platform: Platform, kind: ActionKind) -> str | None:
    """Why `platform` cannot do `kind`, in a sentence for the page; None when it can."""
    if capabilities_for(platform).supports(kind):
        return None
    return _CANNOT.get((platform, kind), f"{PLATFORM_NAMES[platform]} cannot {kind.value} through its API")


# -- reviews ------------------------------------------------------------------------------------------
def approve_block(store: Store, who: StaffMember, review_id: int, reason: str, now: datetime) -> int:
    """Settle a review by blocking its author (or muting, where the platform has no block, as on X);
    returns the planned action's id."""
    _may_act(who)
    review, item = _waiting_review(store, review_id)
    platform = item.inbound.platform
    kind = ActionKind.BLOCK
    if cannot(platform, ActionKind.BLOCK):
        if cannot(platform, ActionKind.MUTE):
            raise NotAllowed(_sentence(cannot(platform, ActionKind.BLOCK)))
        kind = ActionKind.MUTE
    action = Action(kind, "staff.approve_block", reason or "block approved by staff")
    with _writing(store) as db:
        _settle_or_refuse(store, db, review, f"approved {kind.value} by {who.name}", now)
        action_id = store.plan_staff_action(db, item.row_id, action, who.name, now)
        _audit(db, who, "approve_block", f"review {review_id}", reason, now, item.row_id, action_id)
    return action_id


def settle(store: Store, who: StaffMember, review_id: int, outcome: str, reason: str, now: datetime) -> None:
    """Settle a review without a platform step: 'left' (it stays as it is) or 'dismissed' (with a reason)."""
    _may_act(who)
    if outcome not in SETTLE_OUTCOMES:
        raise NotAllowed(f"A review can be left or dismissed here, not {outcome!r}.")
    if outcome == "dismissed" and not reason.strip():
        raise NotAllowed("Say why the review is dismissed.")
    review, item = _waiting_review(store, review_id)
    with _writing(store) as db:
        _settle_or_refuse(store, db, review, f"{outcome} by {who.name}", now)
        _audit(db, who, outcome, f"review {review_id}", reason, now, item.row_id)


def assign(store: Store, who: StaffMember, review_id: int, to: str, now: datetime) -> None:
    """Give a waiting review to a colleague (or take it)."""
    _may_act(who)
    if not to.strip():
        raise NotAllowed("Name the colleague the review is for.")
    review, _ = _waiting_review(store, review_id)
    with _writing(store) as db:
        db.execute("""INSERT INTO review_assignments (review_id, assignee, assigned_by, at) VALUES (?,?,?,?)
                      ON CONFLICT (review_id) DO UPDATE SET assignee=excluded.assignee,
                      assigned_by=excluded.assigned_by, at=excluded.at""", (review_id, to.strip(), who.name, _iso(now)))
        _audit(db, who, "assign", f"review {review_id}", f"to {to.strip()}", now, review.inbound_id)


def assignments(store: Store) -> dict[int, str]:
    """Review id -> the person it is assigned to."""
    store.extend_schema(STAFF_SCHEMA)
    return {row["review_id"]: row["assignee"] for row in store.read("SELECT review_id, assignee FROM review_assignments")}


# -- replies and take-downs ---------------------------------------------------------------------------
def send_reply(store: Store, settings: Settings, who: StaffMember, target_id: int, text: str, now: datetime, *,
               target: ReplyTarget = ReplyTarget.REVIEW, channel: Channel | None = None) -> int:
    """Plan a reply a person wrote (or edited from the suggestion) to the author of a message.

    `target_id` is a waiting review's id (the reply settles it) or, with `target=ReplyTarget.INBOUND`,
    a message's id. The checks `check-replies` makes of every wording apply, and the reply must not
    give away a private detail; `channel` defaults to where the message was said.
    """
    _may_act(who)
    review: StoredAction | None = None
    if target is ReplyTarget.REVIEW:
        review, item = _waiting_review(store, target_id)
    else:
        item = _message(store, target_id)
    inbound = item.inbound
    where = channel or inbound.channel
    _check_reply(settings, inbound, where, text, now)
    action = Action(ActionKind.REPLY, "staff.reply", "written by staff", where, text=text)
    with _writing(store) as db:
        if review is not None:
            _settle_or_refuse(store, db, review, f"replied by {who.name}", now)
        action_id = store.plan_staff_action(db, item.row_id, action, who.name, now)
        _audit(db, who, "reply", f"{target.value} {target_id}", "", now, item.row_id, action_id)
    return action_id


def take_down(store: Store, who: StaffMember, inbound_id: int, kind: ActionKind, reason: str, now: datetime) -> int:
    """Hide or delete a message; any review waiting on it is settled by this. Returns the action's id."""
    _may_act(who)
    if kind not in TAKE_DOWNS:
        raise NotAllowed(f"A message can be hidden or deleted, not {kind.value}.")
    item = _message(store, inbound_id)
    _platform_can(item.inbound, kind)
    if any(a.action.kind in (kind, ActionKind.DELETE) for a in _standing(store, inbound_id)):
        raise NotAllowed(f"This message is {'deleted' if kind is ActionKind.DELETE else 'hidden'} already "
                         "(or about to be).")
    action = Action(kind, f"staff.{kind.value}", reason or f"{kind.value} by staff")
    with _writing(store) as db:
        for review in _reviews_waiting_on(store, inbound_id):
            store.settle_review_in(db, review.id, f"{kind.value} by {who.name}", now)
        action_id = store.plan_staff_action(db, inbound_id, action, who.name, now)
        _audit(db, who, kind.value, f"message {inbound_id}", reason, now, inbound_id, action_id)
    return action_id


def follow_author(store: Store, who: StaffMember, inbound_id: int, kind: ActionKind, reason: str, now: datetime) -> int:
    """Follow, or stop following, the author of a message (the console's author view). Following is
    not endorsement, as the account's profile and the verification reply say. Returns the action's id."""
    _may_act(who)
    if kind not in FOLLOWS:
        raise NotAllowed(f"An author can be followed or unfollowed, not {kind.value}.")
    item = _message(store, inbound_id)
    _platform_can(item.inbound, kind)
    action = Action(kind, f"staff.{kind.value}", reason or f"{kind.value} by staff")
    with _writing(store) as db:
        action_id = store.plan_staff_action(db, inbound_id, action, who.name, now)
        _audit(db, who, kind.value, f"author of message {inbound_id}", reason, now, inbound_id, action_id)
    return action_id


# -- undo, strikes and appeals ------------------------------------------------------------------------
def undo(store: Store, who: StaffMember, action_id: int, reason: str, now: datetime) -> int:
    """Reverse a done hide, block or mute (unhide, unblock, unmute); returns the undo action's id."""
    _may_act(who)
    with _writing(store) as db:
        undo_id = _plan_undo(store, db, who, action_id, reason, now)
        original = store.action(action_id)
        _audit(db, who, "undo", f"action {action_id}", reason, now, original.inbound_id if original else None, undo_id)
    return undo_id


def restore_strike(store: Store, who: StaffMember, inbound_id: int, reason: str, now: datetime) -> None:
    """Remove the strike a message earned, so it no longer counts towards its author's next step."""
    _may_act(who)
    _message(store, inbound_id)
    with _writing(store) as db:
        if not db.execute("DELETE FROM strikes WHERE inbound_id=?", (inbound_id,)).rowcount:
            raise NotAllowed("This message has no strike to restore (it earned none, or it was restored already).")
        _audit(db, who, "restore_strike", f"message {inbound_id}", reason, now, inbound_id)


def record_appeal(store: Store, who: StaffMember, inbound_id: int, received: str, text: str, now: datetime) -> int:
    """Write down an appeal against what was done to a message, e.g. received "by email on 24 Nov"."""
    _may_act(who)
    if not received.strip():
        raise NotAllowed("Say how and when the appeal was received, e.g. by email on 24 Nov.")
    _message(store, inbound_id)
    with _writing(store) as db:
        appeal_id = int(db.execute(
            "INSERT INTO appeals (inbound_id, received, text, recorded_by, recorded_at) VALUES (?,?,?,?,?) RETURNING id",
            (inbound_id, received.strip(), text, who.name, _iso(now))).fetchone()[0])
        _audit(db, who, "record_appeal", f"appeal {appeal_id}", received.strip(), now, inbound_id)
    return appeal_id


def decide_appeal(store: Store, who: StaffMember, appeal_id: int, upheld: bool, reason: str, now: datetime,
                  reply_text: str | None = None, *, settings: Settings | None = None) -> None:
    """Decide an appeal once. Upheld: undo every hide, block and mute of the message and restore its
    strike. A reply to the author (`reply_text`, checked like any staff reply, so `settings` is
    needed with it) is planned either way."""
    _may_act(who)
    if not reason.strip():
        raise NotAllowed("Say why the appeal is upheld or not.")
    appeal = _appeal(store, appeal_id)
    if appeal.decided_at is not None:
        raise NotAllowed(f"This appeal was decided already by {appeal.decided_by}.")
    item = _message(store, appeal.inbound_id)
    reply: Action | None = None
    if reply_text is not None:
        if settings is None:
            raise ValueError("decide_appeal needs settings to check a reply")
        _check_reply(settings, item.inbound, item.inbound.channel, reply_text, now)
        reply = Action(ActionKind.REPLY, "staff.appeal_reply", f"appeal {appeal_id}", item.inbound.channel,
                       text=reply_text)
    with _writing(store) as db:
        if not db.execute("""UPDATE appeals SET decided_by=?, decided_at=?, upheld=?, decision_reason=?
                             WHERE id=? AND decided_at IS NULL""",
                          (who.name, _iso(now), int(upheld), reason, appeal_id)).rowcount:
            raise NotAllowed("This appeal was decided already by someone else.")
        _audit(db, who, "uphold_appeal" if upheld else "reject_appeal", f"appeal {appeal_id}", reason, now,
               appeal.inbound_id)
        if upheld:
            for done in _undoable(store, appeal.inbound_id):
                undo_id = _plan_undo(store, db, who, done.id, f"appeal {appeal_id} upheld", now)
                _audit(db, who, "undo", f"action {done.id}", f"appeal {appeal_id} upheld", now, appeal.inbound_id,
                       undo_id)
            if db.execute("DELETE FROM strikes WHERE inbound_id=?", (appeal.inbound_id,)).rowcount:
                _audit(db, who, "restore_strike", f"message {appeal.inbound_id}", f"appeal {appeal_id} upheld", now,
                       appeal.inbound_id)
        if reply is not None:
            reply_id = store.plan_staff_action(db, appeal.inbound_id, reply, who.name, now)
            _audit(db, who, "reply", f"appeal {appeal_id}", "", now, appeal.inbound_id, reply_id)


def appeals(store: Store, *, inbound_id: int | None = None, undecided: bool = False) -> list[Appeal]:
    """Appeals, oldest first: of one message, or only those not decided yet."""
    store.extend_schema(STAFF_SCHEMA)
    clauses, params = ["1=1"], []
    if inbound_id is not None:
        clauses.append("inbound_id=?")
        params.append(inbound_id)
    if undecided:
        clauses.append("decided_at IS NULL")
    rows = store.read(f"SELECT * FROM appeals WHERE {' AND '.join(clauses)} ORDER BY id", params)
    return [_appeal_from(row) for row in rows]


# -- alerts -------------------------------------------------------------------------------------------
def acknowledge_alert(store: Store, who: StaffMember, alert_id: int, now: datetime, note: str = "") -> None:
    """Someone has the alert: its repeats and escalation stop (the console's button and the email's link)."""
    _may_act(who)
    if not store.acknowledge_alert(alert_id, who.name, now):
        rows = store.read("SELECT acknowledged_by FROM alerts WHERE id=?", (alert_id,))
        if not rows:
            raise NotAllowed(f"There is no alert {alert_id}.")
        raise NotAllowed(f"This alert was acknowledged already by {rows[0]['acknowledged_by']}.")
    with _writing(store) as db:
        if note.strip():
            db.execute("INSERT INTO alert_notes (alert_id, who, at, note) VALUES (?,?,?,?)",
                       (alert_id, who.name, _iso(now), note.strip()))
        _audit(db, who, "acknowledge_alert", f"alert {alert_id}", "", now)


def note_alert(store: Store, who: StaffMember, alert_id: int, note: str, now: datetime) -> None:
    """Add a note to an alert (what was done, who was called)."""
    _may_act(who)
    if not note.strip():
        raise NotAllowed("The note is empty.")
    store.extend_schema(STAFF_SCHEMA)
    if not store.has_table("alerts") or not store.read(
            "SELECT 1 FROM alerts WHERE id=?", (alert_id,)):
        raise NotAllowed(f"There is no alert {alert_id}.")
    with _writing(store) as db:
        db.execute("INSERT INTO alert_notes (alert_id, who, at, note) VALUES (?,?,?,?)",
                   (alert_id, who.name, _iso(now), note.strip()))
        _audit(db, who, "note_alert", f"alert {alert_id}", "", now)


def alert_notes(store: Store, alert_id: int) -> list[AlertNote]:
    store.extend_schema(STAFF_SCHEMA)
    rows = store.read("SELECT * FROM alert_notes WHERE alert_id=? ORDER BY id", (alert_id,))
    return [AlertNote(row["alert_id"], row["who"], _when(row["at"]), row["note"]) for row in rows]


# -- the audit trail ----------------------------------------------------------------------------------
def audit_trail(store: Store, *, since: datetime | None = None, staff: str | None = None, limit: int = 100,
                inbound_id: int | None = None) -> list[AuditEntry]:
    """What people did, newest first: who, what, when, why and the target; `inbound_id` keeps what
    concerns one message (for its page)."""
    store.extend_schema(STAFF_SCHEMA)
    clauses, params = ["1=1"], []
    if inbound_id is not None:
        clauses.append("inbound_id=?")
        params.append(inbound_id)
    if since is not None:
        clauses.append("at>=?")
        params.append(_iso(since))
    if staff is not None:
        clauses.append("who=?")
        params.append(staff)
    rows = store.read(f"SELECT * FROM staff_audit WHERE {' AND '.join(clauses)} ORDER BY at DESC, id DESC LIMIT ?",
                      (*params, limit))
    return [AuditEntry(row["id"], _when(row["at"]), row["who"], Role(row["role"]), row["what"], row["target"],
                       row["reason"], row["inbound_id"], row["action_id"]) for row in rows]


# -- inside ---------------------------------------------------------------------------------------------
def _may_act(who: StaffMember) -> None:
    if who.role not in (Role.MODERATOR, Role.ADMIN):
        raise NotAllowed("Viewers can read but not act: ask a moderator or an admin.")


def _writing(store: Store) -> ContextManager[sqlite3.Connection]:
    """One write transaction with the staff tables in place."""
    store.extend_schema(STAFF_SCHEMA)
    return store.transaction()


def _audit(db: sqlite3.Connection, who: StaffMember, what: str, target: str, reason: str, now: datetime,
           inbound_id: int | None = None, action_id: int | None = None) -> None:
    db.execute("""INSERT INTO staff_audit (at, who, role, what, target, reason, inbound_id, action_id)
                  VALUES (?,?,?,?,?,?,?,?)""",
               (_iso(now), who.name, who.role.value, what, target, reason.strip(), inbound_id, action_id))


def _message(store: Store, inbound_id: int) -> PendingItem:
    item = store.inbound_item(inbound_id)
    if item is None:
        raise NotAllowed(f"There is no message {inbound_id}.")
    return item


def _review(store: Store, review_id: int) -> StoredAction:
    review = store.action(review_id)
    if review is None or review.action.kind is not ActionKind.REVIEW or review.inbound_id is None:
        raise NotAllowed(f"There is no review {review_id}.")
    return review


def _waiting_review(store: Store, review_id: int) -> tuple[StoredAction, PendingItem]:
    review = _review(store, review_id)
    if review.status != WAITING:
        raise NotAllowed(_settled_words(review))
    assert review.inbound_id is not None
    return review, _message(store, review.inbound_id)


def _settled_words(review: StoredAction) -> str:
    if review.status == DONE and (review.platform_ref or "").startswith("settled: "):
        return f"This review was settled already ({review.platform_ref.removeprefix('settled: ')})."
    if review.status in (PLANNED, SENDING):
        return "This review has not reached the queue yet: try again in a moment."
    return f"This review is not waiting for a person ({review.status})."


def _settle_or_refuse(store: Store, db: sqlite3.Connection, review: StoredAction, outcome: str, now: datetime) -> None:
    """Settle inside the transaction; whoever comes second is told who came first (and nothing is planned)."""
    if not store.settle_review_in(db, review.id, outcome, now):
        row = db.execute("SELECT platform_ref FROM actions WHERE id=?", (review.id,)).fetchone()
        raise NotAllowed(f"This review was settled already ({str(row['platform_ref']).removeprefix('settled: ')}).")


def _reviews_waiting_on(store: Store, inbound_id: int) -> list[StoredAction]:
    return [a for a in store.actions_for(inbound_id) if a.action.kind is ActionKind.REVIEW and a.status == WAITING]


def _platform_can(inbound: Inbound, kind: ActionKind) -> None:
    problem = cannot(inbound.platform, kind)
    if problem:
        raise NotAllowed(_sentence(problem))
    name = PLATFORM_NAMES[inbound.platform]
    on_message = kind in (ActionKind.HIDE, ActionKind.UNHIDE, ActionKind.DELETE)
    if on_message and inbound.channel is Channel.PRIVATE:
        done = {ActionKind.HIDE: "hidden", ActionKind.UNHIDE: "unhidden", ActionKind.DELETE: "deleted"}[kind]
        raise NotAllowed(f"A private message cannot be {done} by the account: only public comments can.")
    if kind in (ActionKind.HIDE, ActionKind.UNHIDE) and capabilities_for(inbound.platform).hide_own_threads_only \
            and not inbound.in_reply_to_own:
        raise NotAllowed(f"{name} lets the account {kind.value} only replies in conversations it started; "
                         "this one is in someone else's.")
    # Facebook says per comment whether the Page may hide or remove it (`can_hide`, `can_remove`).
    allowed = {ActionKind.HIDE: "can_hide", ActionKind.UNHIDE: "can_hide", ActionKind.DELETE: "can_remove"}
    if on_message and inbound.extras.get(allowed[kind]) is False:
        raise NotAllowed(f"{name} does not let the account {kind.value} this comment.")


def _standing(store: Store, inbound_id: int) -> list[StoredAction]:
    """The message's take-downs, blocks and mutes that are done or under way and not undone."""
    undone = {row["undoes"] for row in store.read(
        "SELECT undoes FROM actions WHERE inbound_id=? AND undoes IS NOT NULL AND status<>'failed'", (inbound_id,))}
    return [a for a in store.actions_for(inbound_id)
            if a.action.kind in (*UNDOES, ActionKind.DELETE) and a.status in (PLANNED, SENDING, DONE)
            and a.id not in undone]


def _undoable(store: Store, inbound_id: int) -> list[StoredAction]:
    """The message's done hides, blocks and mutes not undone yet."""
    return [a for a in _standing(store, inbound_id) if a.action.kind in UNDOES and a.status == DONE]


def _plan_undo(store: Store, db: sqlite3.Connection, who: StaffMember, action_id: int, reason: str,
               now: datetime) -> int:
    db.execute("SELECT id FROM actions WHERE id=? FOR UPDATE", (action_id,))  # two undoing at once: one waits, then sees the other's
    original = store.action(action_id)
    if original is None or original.inbound_id is None:
        raise NotAllowed(f"There is no action {action_id} on a message.")
    kind = original.action.kind
    if kind is ActionKind.DELETE:
        raise NotAllowed("A deleted message cannot be brought back: no platform's API restores it.")
    if kind not in UNDOES:
        raise NotAllowed(f"A {kind.value} cannot be undone.")
    if original.status != DONE:
        raise NotAllowed(f"The {kind.value} has not been carried out ({original.status}), so there is nothing to undo yet.")
    earlier = db.execute("SELECT requested_by, status FROM actions WHERE undoes=? AND status<>'failed'",
                         (action_id,)).fetchone()
    if earlier is not None:
        raise NotAllowed(f"This {kind.value} was undone already by {earlier['requested_by']}.")
    item = _message(store, original.inbound_id)
    reverse = UNDOES[kind]
    _platform_can(item.inbound, reverse)
    action = Action(reverse, f"staff.undo_{kind.value}", reason or f"{kind.value} undone by staff")
    return store.plan_staff_action(db, original.inbound_id, action, who.name, now, undoes=action_id)


def _check_reply(settings: Settings, inbound: Inbound, channel: Channel, text: str, now: datetime) -> None:
    """Refuse a reply the platform would refuse or the house rules forbid, naming the problem."""
    capabilities = capabilities_for(inbound.platform)
    name = PLATFORM_NAMES[inbound.platform]
    if not capabilities.supports(ActionKind.REPLY):
        raise NotAllowed(f"{name} cannot reply through its API.")
    window = capabilities.private_reply_window
    if channel is Channel.PRIVATE and window is not None and now - inbound.created_at > window:
        raise NotAllowed(f"{name} lets the account answer a private message only within "
                         f"{window.total_seconds() / 3600:.0f} hours of it; reply another way.")
    limit = capabilities.max_reply_length[channel]
    problems = written_reply_problems(text, inbound.platform, limit, settings.responses_dir)
    private = _private_details(text, settings)
    if private:
        problems.insert(0, f"it gives away a private detail ({', '.join(private)}): remove it")
    if problems:
        raise NotAllowed(f"The reply cannot be sent: {'; '.join(problems)}.")


def _private_details(text: str, settings: Settings) -> list[str]:
    """The kinds of private detail in `text`, except the organisation's own published contacts."""
    from bot.service import settings_values  # the one list of the organisation's own values

    own = {_plain(value) for value in settings_values(settings).values() if value}
    spans = private_spans(text, _moderation(settings.moderation_dir))
    return sorted({span.label.replace("_", " ") for span in spans if _plain(span.text_in(text)) not in own})


def _plain(text: str) -> str:
    return "".join(character for character in text.lower() if character.isalnum())


@lru_cache(maxsize=4)
def _moderation(directory: Path) -> ModerationData:
    """The word lists behind the private-detail check, read once per folder."""
    return load_moderation_data(directory)


def _appeal(store: Store, appeal_id: int) -> Appeal:
    store.extend_schema(STAFF_SCHEMA)
    rows = store.read("SELECT * FROM appeals WHERE id=?", (appeal_id,))
    if not rows:
        raise NotAllowed(f"There is no appeal {appeal_id}.")
    return _appeal_from(rows[0])


def _appeal_from(row: sqlite3.Row) -> Appeal:
    return Appeal(row["id"], row["inbound_id"], row["received"], row["text"], row["recorded_by"],
                  _when(row["recorded_at"]), row["decided_by"], _when(row["decided_at"]) if row["decided_at"] else None,
                  None if row["upheld"] is None else bool(row["upheld"]), row["decision_reason"])


def _sentence(text: str | None) -> str:
    text = text or ""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)
