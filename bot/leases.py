"""Workers sharing the accounts: leases, heartbeats and the platforms' shared budgets, in the state.

Several `housebot run` workers may share one state (one SQLite file on one machine, or one
PostgreSQL database). Each account, and each single-owner job (alert delivery, the daily purge),
is worked by the one worker holding its lease. A lease is a row: who holds it, until when, and an
epoch that grows at every change of holder. Claims and renewals are conditional updates, so of two
workers racing for one lease exactly one changes the row. A worker renews its leases while it
works and gives them up on a clean stop; one that dies simply stops renewing, and once its lease
has expired another worker takes the account over.

The lease fences what must happen once: an action becomes `sending` only in a transaction that
also finds this worker's lease unexpired for a while yet (`SEND_MARGIN` of it), so a worker that
stalled past its lease cannot send after another took over; the new holder sees the `sending`
row and asks the platform first, as after a restart.

Workers announce themselves with a heartbeat row; each claims at most ceil(accounts / live
workers) accounts, so a new worker gets a share and a dead one's accounts are spread over the rest.

The platforms' limits are shared too: requests made per platform budget and window are counted
here with atomic increments, and a wait a platform imposed (a 429) is kept here, so it binds
whichever worker holds the account next. Time is always an argument: tests drive it by hand.
"""

from __future__ import annotations

import math
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from bot.store import PLANNED, SENDING, Store

LEASES_SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY, worker TEXT NOT NULL, epoch INTEGER NOT NULL, expires_at TEXT NOT NULL,
    acquired_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workers (
    worker TEXT PRIMARY KEY, seen_at TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_windows (
    budget TEXT NOT NULL, window_start TEXT NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (budget, window_start)
);
CREATE TABLE IF NOT EXISTS rate_waits (
    wait_key TEXT PRIMARY KEY, wait_until TEXT NOT NULL
);
"""
ALERTS_LEASE = "job:alerts"  # the alerts outbox's delivery: never two senders, so never an alert twice
PURGE_LEASE = "job:purge"  # the daily retention purge
NEVER = ""  # an expiry before every real one (ISO times compare as text)
RENEW_BATCH = 500  # leases in one renewing statement (two parameters each; SQLite takes 32,766)
SEND_MARGIN = 0.5  # of the lease: what must be left of it to start a platform call (covers the call's timeout)


class LeaseLost(Exception):
    """This worker no longer holds the lease (another took it over, or it ran out): leave that work."""


def account_lease(account: str) -> str:
    return f"account:{account}"


def default_worker() -> str:
    """`HOUSEBOT_WORKER` when set, else host:pid: unique per process, so a restart is a new worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease this worker holds: `epoch` changes with every new holder, `expires_at` with renewals."""

    name: str
    epoch: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Holding:
    """Who holds a lease, for the console and the metrics."""

    name: str
    worker: str
    expires_at: datetime
    epoch: int


@dataclass(frozen=True, slots=True)
class Changes:
    """What one balancing pass changed: leases newly taken (crash checks first) and leases lost."""

    gained: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()


class Leases:
    """One worker's leases, heartbeat and shared budgets, over the state the workers share."""

    def __init__(self, store: Store, worker: str, lease_seconds: float) -> None:
        self.store = store
        self.worker = worker
        self.duration = timedelta(seconds=lease_seconds)
        self.held: dict[str, Lease] = {}
        store.extend_schema(LEASES_SCHEMA)

    # -- holding ----------------------------------------------------------------------------------
    def holds(self, name: str, now: datetime) -> bool:
        """Whether this worker may work on `name` now (its lease, as last renewed, is unexpired)."""
        lease = self.held.get(name)
        return lease is not None and lease.expires_at > now

    def claim(self, name: str, now: datetime) -> Lease | None:
        """Take `name` if it is free, expired or this worker's already; None if another holds it."""
        expires = now + self.duration
        with self.store.transaction() as db:
            db.execute("INSERT INTO leases (name, worker, epoch, expires_at, acquired_at) VALUES (?,?,0,?,?) "
                       "ON CONFLICT (name) DO NOTHING", (name, "", NEVER, NEVER))
            taken = db.execute("UPDATE leases SET worker=?, expires_at=?, epoch=epoch+1, acquired_at=? "
                               "WHERE name=? AND (worker=? OR expires_at<?)",
                               (self.worker, _iso(expires), _iso(now), name, self.worker, _iso(now))).rowcount
            if taken != 1:
                return None
            epoch = int(db.execute("SELECT epoch FROM leases WHERE name=?", (name,)).fetchone()[0])
        lease = self.held[name] = Lease(name, epoch, expires)
        return lease

    def renew(self, name: str, now: datetime) -> bool:
        """Push a held lease's expiry on; False (and forgotten) if another worker has taken it since."""
        return name in self.held and not self.renew_all(now, [name])

    def renew_all(self, now: datetime, names: Iterable[str] | None = None) -> tuple[str, ...]:
        """Push the expiry of every held lease (or of `names`) on, in one statement per batch, and
        return those lost (forgotten here): one transaction a pass, not one a lease, so a worker
        holding a thousand accounts renews them well inside a pass (the scale bench collapsed at
        1,000 accounts with a transaction per lease)."""
        names = [name for name in (self.held if names is None else names) if name in self.held]
        expires = now + self.duration
        kept: dict[str, int] = {}
        with self.store.transaction() as db:
            for batch in (names[i:i + RENEW_BATCH] for i in range(0, len(names), RENEW_BATCH)):
                pairs = ",".join("(?,?)" for _ in batch)
                rows = db.execute(f"UPDATE leases SET expires_at=? WHERE worker=? AND (name, epoch) IN (VALUES {pairs}) "
                                  "RETURNING name, epoch", (_iso(expires), self.worker,
                                                            *(value for name in batch for value in (name, self.held[name].epoch)))).fetchall()
                kept.update((row[0], int(row[1])) for row in rows)
        lost = tuple(name for name in names if kept.get(name) != self.held[name].epoch)
        for name in names:
            if name in lost:
                del self.held[name]
            else:
                self.held[name] = Lease(name, self.held[name].epoch, expires)
        return lost

    def release(self, name: str) -> None:
        """Give a lease up at once (a clean stop, or a share handed back between two steps): any
        worker may claim it straight away."""
        lease = self.held.pop(name, None)
        if lease is None:
            return
        with self.store.transaction() as db:
            db.execute("UPDATE leases SET expires_at=? WHERE name=? AND worker=? AND epoch=?",
                       (NEVER, name, self.worker, lease.epoch))

    def fence(self, db: Any, name: str, now: datetime) -> bool:
        """Inside the caller's transaction: whether this worker still holds `name` with enough of the
        lease left to start a platform call. An update, not a read: it locks the lease row until the
        caller commits, so on PostgreSQL a takeover waits for this transaction and then sees its work."""
        lease = self.held.get(name)
        if lease is None:
            return False
        return db.execute("UPDATE leases SET epoch=epoch WHERE name=? AND worker=? AND epoch=? AND expires_at>?",
                          (name, self.worker, lease.epoch, _iso(now + self.duration * SEND_MARGIN))).rowcount == 1

    def mark_sending(self, name: str, action_id: int, attempts: int, now: datetime) -> bool:
        """planned (or left sending) -> sending, fenced by the lease on `name`, as `Store.mark_sending`
        does it: False if the action moved since it was read (`attempts`). Raises LeaseLost (nothing
        written) if the lease is not this worker's, or too little of it is left."""
        with self.store.transaction() as db:
            if not self.fence(db, name, now):
                raise LeaseLost(name)
            return db.execute("UPDATE actions SET status=?, attempts=attempts+1 WHERE id=? AND status IN (?,?) "
                              "AND attempts=?", (SENDING, action_id, PLANNED, SENDING, attempts)).rowcount == 1

    # -- sharing ----------------------------------------------------------------------------------
    def heartbeat(self, now: datetime) -> None:
        """Announce this worker as live for one lease's time."""
        with self.store.transaction() as db:
            db.execute("INSERT INTO workers (worker, seen_at, expires_at) VALUES (?,?,?) ON CONFLICT (worker) "
                       "DO UPDATE SET seen_at=excluded.seen_at, expires_at=excluded.expires_at",
                       (self.worker, _iso(now), _iso(now + self.duration)))

    def live_workers(self, now: datetime) -> int:
        rows = self.store.read("SELECT COUNT(*) FROM workers WHERE expires_at>?", (_iso(now),))
        return max(1, int(rows[0][0]))

    def balance(self, accounts: Iterable[str], jobs: Iterable[str], now: datetime,
                between_steps: Callable[[str, Callable[[], None]], bool]) -> Changes:
        """One pass: heartbeat, renew what is held, hand back accounts beyond this worker's share
        (each only between two of its steps: `between_steps(name, give_back)` runs `give_back` while
        no step of that account runs, False if one does), then claim free ones up to the share and
        every free job."""
        self.heartbeat(now)
        lost = self.renew_all(now)
        accounts = list(accounts)
        names = [account_lease(a) for a in accounts]
        share = math.ceil(len(names) / self.live_workers(now)) if names else 0
        mine = [n for n in names if n in self.held]
        for name in mine[share:]:
            between_steps(name.removeprefix("account:"), lambda name=name: self.release(name))  # type: ignore[misc]
        gained = []
        free = self._free(names + list(jobs), now)
        for name in free:
            if name.startswith("account:") and sum(1 for n in names if n in self.held) >= share:
                continue
            if self.claim(name, now):
                gained.append(name)
        return Changes(tuple(gained), lost)

    def _free(self, names: list[str], now: datetime) -> list[str]:
        """Of `names`, those no live worker holds (never claimed, expired or given back), in order."""
        taken = {row["name"] for row in self.store.read(
            "SELECT name FROM leases WHERE expires_at>=? AND worker<>''", (_iso(now),))}
        return [n for n in names if n not in taken and n not in self.held]

    def stop(self, now: datetime) -> None:
        """A clean stop: every lease given up and the heartbeat gone, so others take over at once."""
        for name in list(self.held):
            self.release(name)
        with self.store.transaction() as db:
            db.execute("DELETE FROM workers WHERE worker=?", (self.worker,))

    def holdings(self) -> dict[str, Holding]:
        """Every lease's holder as the state has it (expired ones included: the reader compares)."""
        return {row["name"]: Holding(row["name"], row["worker"], datetime.fromisoformat(row["expires_at"]),
                                     int(row["epoch"]))
                for row in self.store.read("SELECT * FROM leases WHERE worker<>''")}

    # -- platform budgets and waits shared by every worker -----------------------------------------
    def take_request(self, budget: str, requests: int, per: timedelta, now: datetime) -> bool:
        """Count one request against a platform budget's current window; False if the workers together
        have used it up (the caller skips the read until a later window)."""
        window = _window_start(now, per)
        with self.store.transaction() as db:
            db.execute("INSERT INTO rate_windows (budget, window_start, used) VALUES (?,?,0) "
                       "ON CONFLICT (budget, window_start) DO NOTHING", (budget, _iso(window)))
            taken = db.execute("UPDATE rate_windows SET used=used+1 WHERE budget=? AND window_start=? AND used<?",
                               (budget, _iso(window), requests)).rowcount == 1
            db.execute("DELETE FROM rate_windows WHERE budget=? AND window_start<?", (budget, _iso(window - per)))
        return taken

    def impose_wait(self, key: str, until: datetime) -> None:
        """A platform said to wait (a 429's reset time): every worker waits until then."""
        with self.store.transaction() as db:
            db.execute("INSERT INTO rate_waits (wait_key, wait_until) VALUES (?,?) ON CONFLICT (wait_key) DO UPDATE "
                       "SET wait_until=excluded.wait_until WHERE rate_waits.wait_until<excluded.wait_until",
                       (key, _iso(until)))

    def waits(self, prefix: str, now: datetime) -> dict[str, datetime]:
        """The unexpired waits whose key starts with `prefix`, by the rest of the key."""
        rows = self.store.read("SELECT wait_key, wait_until FROM rate_waits WHERE wait_key LIKE ? AND wait_until>?",
                               (prefix.replace("%", "") + "%", _iso(now)))
        return {row["wait_key"][len(prefix):]: datetime.fromisoformat(row["wait_until"]) for row in rows}


def account_holders(store: Store, now: datetime) -> dict[str, Holding]:
    """Account -> the worker holding it now, for the console and the metrics (read-only readers: a
    state no worker has run on yet has no lease table, and then nobody holds anything)."""
    if not store.has_table("leases"):
        return {}
    rows = store.read("SELECT * FROM leases WHERE name LIKE 'account:%' AND expires_at>?", (_iso(now),))
    return {row["name"].removeprefix("account:"): Holding(row["name"], row["worker"],
                                                          datetime.fromisoformat(row["expires_at"]), int(row["epoch"]))
            for row in rows}


def _window_start(now: datetime, per: timedelta) -> datetime:
    """The fixed window of length `per` that `now` falls in (windows count from the Unix epoch)."""
    seconds = per.total_seconds()
    return datetime.fromtimestamp(math.floor(now.timestamp() / seconds) * seconds, timezone.utc)
