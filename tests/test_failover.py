"""Fail-over: three real `housebot run` workers share one state (a SQLite file, or a PostgreSQL
database) and four accounts on the fake X and Graph APIs, while people keep writing. Again and
again, one worker that holds accounts is killed with SIGKILL at a random moment and started again.

At the end, on the fakes' side and in the state: every message was handled, none was answered
twice, and each time a killed worker's accounts passed to another worker within the lease's time
plus one lease pass (measured from the kill), and every alert reached its webhook once (an urgent one
cut off mid-send is sent again with the same id, by design, and the log says so). The only sleeps are the real run's: this test is
about real processes and real timing. The seed is printed on failure; HOUSEBOT_FAILOVER_SEED
replays one.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.service import LEASE_PASSES
from bot.store import open_store
from tests.fakes.facebook import Comment, FakeFacebook, Person
from tests.fakes.facebook import Post as PagePost
from tests.fakes.x import FakeX, Post
from tests.helpers import ALWAYS_OPEN_TABLE, LONDON, ORGANISATION, REPO, environment
from tests.test_alerts import Hooks, hooks

__all__ = ["hooks"]  # a fixture: alert webhooks on 127.0.0.1 that record what reaches them

LEASE_SECONDS = 4.0
WORKERS = 3
CLOSING = 1  # fb1 closes during the run: its offline notice is posted once
MIN_KILLS = 3  # a kill waits until another worker is up to take over; a process start is slow on a loaded machine
SLACK_SECONDS = 3.0  # a loaded machine: a worker's lease pass may run this late (unloaded, moves take 4-5 s)
X_ACCOUNT = """
[[accounts]]
name = "{name}"
type = "x"
handle = "@NHSLeeds"
display_name = "NHS Leeds"
env_prefix = "{prefix}"
[accounts.options]
api_base_url = "{url}"
timeout_seconds = 1.5
streams = ["mentions"]
requests_per_15_minutes = {{ mentions = 100000 }}
""" + ALWAYS_OPEN_TABLE
FB_ACCOUNT = """
[[accounts]]
name = "{name}"
type = "facebook"
handle = "Leeds Health"
display_name = "NHS Leeds"
env_prefix = "{prefix}"
[accounts.options]
api_base_url = "{url}"
timeout_seconds = 1.5
engaged_users = 1000000
"""
ALERTS = """
[alerts]
console_url = "http://127.0.0.1:8080"
system_team = "comms"
http_timeout_seconds = 1

[alerts.teams.safeguarding]
channels = ["webhook"]

[alerts.teams.comms]
channels = ["webhook"]
"""
DANGER = "I want to end my life tonight, I have the tablets here"
QUESTIONS = [
    "Does the walk-in centre at St George's open on Saturday mornings?",
    "Where can I get my flu jab this week?",
    "Is the Chapel Allerton clinic still doing blood tests without an appointment?",
    "How do I register with a GP after moving to Leeds?",
    "Hi, is the pharmacy at Leeds General open on Sunday?",
    "When will the new baby clinic dates be published?",
    "Does St James's have a car park for outpatients?",
    "Is the minor injuries unit at Wharfedale open today?",
]


@dataclass
class Seeded:
    """What people wrote, to check on the fakes' side afterwards."""

    x: list[tuple[str, FakeX, Post]] = field(default_factory=list)  # (account, its fake, what was written)
    fb: list[tuple[str, FakeFacebook, Comment]] = field(default_factory=list)

    def keys(self) -> list[tuple[str, str]]:
        """(account, native id) of everything written: ids are unique per account, not across them."""
        return [(name, post.id) for name, _, post in self.x] + [(name, c.id) for name, _, c in self.fb]


@dataclass
class Move:
    """A kill, and when the accounts the killed worker held were all held by another."""

    killed_at: float
    worker: str
    leases: tuple[str, ...]
    moved_after: float | None = None


class Workers:
    """Three `housebot run` processes on one state, each writing its output to files."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.processes: list[subprocess.Popen[bytes]] = []
        self.started = 0

    def start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        out = open(self.folder / f"worker{self.started}.out", "wb")
        err = open(self.folder / f"worker{self.started}.err", "wb")
        process = subprocess.Popen([sys.executable, "-m", "bot", "--env", str(self.folder / ".env"), "run"],
                                   cwd=self.folder, env=self.env, stdout=out, stderr=err)
        out.close()
        err.close()
        return process

    def stop_all(self) -> list[int]:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        return [process.wait(timeout=60) for process in self.processes]

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.folder.glob("worker*.err")))

    def errors(self) -> str:
        return "\n".join(f"-- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.folder.glob("worker*.err")) if path.stat().st_size)


@pytest.fixture
def fakes() -> Iterator[tuple[list[FakeX], list[FakeFacebook]]]:
    xs = [FakeX().start() for _ in range(2)]
    pages = [FakeFacebook(page_id=f"11223344{n}", page_name=f"Leeds Health {n}").start() for n in range(2)]
    try:
        yield xs, pages
    finally:
        for fake in (*xs, *pages):
            fake.stop()


def _wall() -> datetime:
    return datetime.now(UTC)


def _closing_moment() -> datetime | None:
    """A closing time 25-85 s from now, on a minute (the hours' precision); None near midnight."""
    closes = (_wall() + timedelta(seconds=85)).replace(second=0, microsecond=0).astimezone(LONDON)
    return closes if closes.date() == _wall().astimezone(LONDON).date() and closes.hour else None


def _closing_today(closes: datetime) -> str:
    """An hours table open round the clock except that today it closes at `closes`."""
    today = closes.strftime("%A").lower()
    return ALWAYS_OPEN_TABLE.replace(f'{today} = ["00:00-24:00"]', f'{today} = ["00:00-{closes:%H:%M}"]')


@pytest.mark.parametrize("backend,run_seconds", [("sqlite", 40.0), ("postgresql", 25.0)])
def test_killing_workers_at_random_moves_their_accounts_and_nothing_is_done_twice(
        tmp_path: Path, request: pytest.FixtureRequest, fakes: tuple[list[FakeX], list[FakeFacebook]],
        hooks: Hooks, backend: str, run_seconds: float) -> None:
    seed = int(os.environ.get("HOUSEBOT_FAILOVER_SEED", random.SystemRandom().randrange(1_000_000)))
    chooser = random.Random(seed)
    location = (str(request.getfixturevalue("postgres_url")) if backend == "postgresql"
                else str(tmp_path / "state" / "housebot.sqlite3"))
    xs, pages = fakes
    closes = _closing_moment()
    accounts = {f"x{n}": fake for n, fake in enumerate(xs)} | {f"fb{n}": fake for n, fake in enumerate(pages)}
    config = ORGANISATION.replace("\npoll_seconds = 60\n", f"\npoll_seconds = 1\nlease_seconds = {LEASE_SECONDS:g}\n")
    env = {**os.environ, **environment(tmp_path, tmp_path / "housebot.toml"), "PYTHONPATH": str(REPO),
           "HOUSEBOT_STATE": location, "HOUSEBOT_DATA_DIR": str(tmp_path / "data"), "HOUSEBOT_OPS_LISTEN": "off",
           "HOUSEBOT_LOG_LEVEL": "INFO", "HOUSEBOT_ALERT_SIGNING_KEY": "k" * 40,
           "HOUSEBOT_ALERT_SAFEGUARDING_WEBHOOK_URL": f"{hooks.base}/webhook/safeguarding",
           "HOUSEBOT_ALERT_COMMS_WEBHOOK_URL": f"{hooks.base}/webhook/comms"}
    for n, fake in enumerate(xs):
        config += X_ACCOUNT.format(name=f"x{n}", prefix=f"X{n}", url=fake.url)
        env.update({f"X{n}_{key}": value for key, value in fake.secrets().items()})
    for n, page in enumerate(pages):
        config += FB_ACCOUNT.format(name=f"fb{n}", prefix=f"FB{n}", url=page.url)
        config += _closing_today(closes) if n == CLOSING and closes else ALWAYS_OPEN_TABLE
        env.update({f"FB{n}_PAGE_ACCESS_TOKEN": page.token, f"FB{n}_PAGE_ID": page.page.id})
    (tmp_path / "housebot.toml").write_text(config + ALERTS, encoding="utf-8")
    (tmp_path / ".env").touch()
    for fake in (*xs, *pages):
        fake.now = _wall()
    page_posts: dict[FakeFacebook, PagePost] = {page: page.add_post("Flu clinics this week") for page in pages}

    workers = Workers(tmp_path, env)
    seeded = Seeded()
    moves: list[Move] = []
    written = 0

    def write_something() -> None:
        nonlocal written
        written += 1
        open_ones = [n for n in sorted(accounts) if not (n == f"fb{CLOSING}" and closes and
                                                         _wall() > closes - timedelta(seconds=10))]
        name = chooser.choice(open_ones)
        fake = accounts[name]
        fake.now = _wall()
        said = DANGER if chooser.random() < 0.1 else chooser.choice(QUESTIONS)  # some need an urgent alert
        text = f"{said} (person {written})"
        if isinstance(fake, FakeX):
            seeded.x.append((name, fake, fake.mention(f"person{written}", text)))
        else:
            person = Person(str(900000 + written), f"Person {written}")
            seeded.fb.append((name, fake, fake.add_comment(page_posts[fake], person, text)))

    state = None
    try:
        workers.processes = [workers.start() for _ in range(WORKERS)]
        state = _wait_for_state(location, workers)
        begun = time.monotonic()
        next_kill = begun + chooser.uniform(3, 6)
        # At least MIN_KILLS: on a loaded machine a restarted worker is slow to come up, and a kill waits for one.
        while time.monotonic() - begun < (run_seconds if len(moves) >= MIN_KILLS else 2 * run_seconds):
            write_something()
            _note_moves(state, moves)
            if time.monotonic() >= next_kill:
                move = _kill_one(state, workers, chooser)
                if move is not None:
                    moves.append(move)
                    next_kill = time.monotonic() + chooser.uniform(1.0, 4.0)
            time.sleep(chooser.uniform(0.05, 0.4))
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:  # the last moves, and every message handled
            _note_moves(state, moves)
            notice_due = closes is not None and not pages[CLOSING].notices
            if (all(m.moved_after is not None for m in moves) and _unhandled(state, seeded) == []
                    and not _alerts_under_way(state) and not notice_due):
                break
            time.sleep(0.2)
        codes = workers.stop_all()
    except BaseException:
        workers.kill_all()
        raise
    finally:
        if state is not None:
            unhandled, rows, deliveries = _unhandled(state, seeded), _reply_rows(state), _deliveries(state)
            state.close()

    where = f"(seed {seed}; replay with HOUSEBOT_FAILOVER_SEED={seed})\n{workers.errors()}"
    assert codes == [0] * WORKERS, where
    kills = len(moves)
    slowest = max((m.moved_after if m.moved_after is not None else float("inf") for m in moves), default=0.0)
    bound = LEASE_SECONDS + LEASE_SECONDS / LEASE_PASSES + SLACK_SECONDS
    print(f"\nfail-over ({backend}): {written} messages, {kills} kills, slowest lease move {slowest:.2f} s "
          f"(bound {bound:.2f} s), moves {[round(m.moved_after or -1, 2) for m in moves]}, seed {seed}")
    assert kills >= MIN_KILLS, f"only {kills} kills {where}"
    assert slowest <= bound, ([(m.worker, m.leases, m.moved_after) for m in moves], where)
    assert not unhandled, (f"{len(unhandled)} of {written} messages not handled: {unhandled}", where)

    replies = Counter({(name, post.id): len(fake.replies_to(post.id)) for name, fake, post in seeded.x})
    replies.update({(name, comment.id): len(page.replies_to(comment)) for name, page, comment in seeded.fb})
    twice = {native: n for native, n in replies.items() if n > 1}
    assert not twice, (twice, where)
    done = Counter(key for key, status in rows if status == "done")
    assert {native: n for native, n in replies.items() if n} == dict(done), where  # each reply sent is recorded once
    assert sum(replies.values()) >= written * 0.9, (sum(replies.values()), written, where)  # the questions are answered

    # Alerts: each delivery reached its webhook once. The one exception is by design: an urgent
    # delivery whose worker died mid-send is sent again (with the same id) by the worker that takes
    # delivery over, since a duplicate safeguarding alert costs less than a lost one; it says so in its log.
    received = Counter(body["id"] for _, body in hooks.received)
    interrupted = {deliveries.get(int(found), "") for found in re.findall(
        r"event=alert_delivery_interrupted delivery=(\d+)", workers.logs())}
    assert received and any(body["urgency"] == "urgent" for _, body in hooks.received), where
    assert {ref for ref, n in received.items() if n > 1} <= interrupted, (received, interrupted, where)
    assert set(received) == set(deliveries.values()), where  # every delivery the state has as done arrived
    # The Page that closed during the run posted its offline notice once, whoever held it then.
    if closes is not None:
        assert len(pages[CLOSING].notices) == 1, ([n.message for n in pages[CLOSING].notices], where)
    print(f"alerts: {len(received)} deliveries, {sum(received.values()) - len(received)} sent again after a kill mid-send")


def _wait_for_state(location: str, workers: Workers):  # type: ignore[no-untyped-def]
    """The state once the first worker has made it and claimed leases."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(p.poll() is None for p in workers.processes):
        try:
            state = open_store(location, read_only=True)
        except Exception:
            time.sleep(0.2)
            continue
        try:
            if state.read("SELECT COUNT(*) FROM leases WHERE name LIKE 'account:%'")[0][0] == 4:
                return state
        except Exception:
            pass
        state.close()
        time.sleep(0.2)
    raise AssertionError(f"the workers never claimed the accounts\n{workers.errors()}")


def _holders(state) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Account lease -> the worker holding it now (expired leases left out)."""
    now = _wall().isoformat(timespec="microseconds")
    return {row["name"]: row["worker"] for row in state.read(
        "SELECT name, worker FROM leases WHERE name LIKE 'account:%' AND expires_at>?", (now,))}


def _pid(worker: str) -> int:
    return int(worker.rsplit(":", 1)[1])  # workers are named host:pid


def _kill_one(state, workers: Workers, chooser: random.Random) -> Move | None:  # type: ignore[no-untyped-def]
    """SIGKILL one running worker that holds accounts, start a new one in its place, and note what it
    held; None (no kill yet) unless another worker is up to take over (a restarted one may still be
    starting: that is the time of a process start, not of a lease)."""
    now = _wall().isoformat(timespec="microseconds")
    ready = {_pid(row["worker"]) for row in state.read("SELECT worker FROM workers WHERE expires_at>?", (now,))}
    by_pid = {p.pid: p for p in workers.processes if p.pid in ready}
    holders = {name: worker for name, worker in _holders(state).items() if _pid(worker) in by_pid}
    candidates = sorted({_pid(worker) for worker in holders.values()})
    if not candidates or len(by_pid) < 2:
        return None
    victim = by_pid[chooser.choice(candidates)]
    worker = next(w for w in holders.values() if _pid(w) == victim.pid)
    victim.kill()
    killed_at = time.monotonic()
    victim.wait(timeout=30)
    held = tuple(sorted(name for name, w in holders.items() if w == worker))
    workers.processes[workers.processes.index(victim)] = workers.start()
    return Move(killed_at, worker, held)


def _note_moves(state, moves: list[Move]) -> None:  # type: ignore[no-untyped-def]
    """Time each kill's leases until every one is held (unexpired) by another worker."""
    waiting = [m for m in moves if m.moved_after is None]
    if not waiting:
        return
    holders = _holders(state)
    now = time.monotonic()
    for move in waiting:
        if all(holders.get(name, move.worker) != move.worker for name in move.leases):
            move.moved_after = now - move.killed_at


def _unhandled(state, seeded: Seeded) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(account, native id) of what people wrote that the state does not have as handled (or, on the
    Page that closed, held for its opening)."""
    statuses = {(row["account"], row["native_id"]): row["status"]
                for row in state.read("SELECT account, native_id, status FROM inbound")}
    return [key for key in seeded.keys() if statuses.get(key) != "handled"
            and not (key[0] == f"fb{CLOSING}" and statuses.get(key) == "held")]  # screened at closing: waits for opening


def _alerts_under_way(state) -> int:  # type: ignore[no-untyped-def]
    return int(state.read("SELECT COUNT(*) FROM alert_deliveries WHERE status IN ('planned', 'sending')")[0][0])


def _deliveries(state) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Each alert delivery's id -> the reference its webhook body carries (the same on a resend)."""
    if not state.has_table("alert_deliveries"):
        return {}
    return {row["id"]: f"alert-{row['alert_id']}-{row['round']}-{row['team']}-{row['channel']}"
            for row in state.read("SELECT id, alert_id, round, team, channel FROM alert_deliveries WHERE status='done'")}


def _reply_rows(state) -> list[tuple[tuple[str, str], str]]:  # type: ignore[no-untyped-def]
    """((account, native id), status) of every reply the state planned."""
    return [((row["account"], row["native_id"]), row["status"]) for row in state.read(
        "SELECT i.account, i.native_id, a.status FROM actions a JOIN inbound i ON a.inbound_id=i.id WHERE a.kind='reply'")]
