"""Workers sharing one state by leases: claims, renewals, expiry and takeover on an injected clock;
two stores racing for one lease; the fence on planned -> sending; shared budgets and waits; and two
`Service`s on one state handing an account over with every reply sent exactly once."""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.base import RateLimited
from adapters.sandbox import SandboxAdapter, SandboxNetwork, load_scenario
from bot.leases import ALERTS_LEASE, PURGE_LEASE, LeaseLost, Leases, account_lease
from bot.model import Action, ActionKind, Channel, Inbound
from bot.service import Service
from bot.store import PLANNED, SCHEMA_VERSION, SENDING, Store, open_store
from tests.helpers import ALWAYS_OPEN, ALWAYS_OPEN_TABLE, Clock, write_settings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
LEASE = 30.0
StoreFactory = Callable[[], Store]


@pytest.fixture
def new_store(store_location: str) -> Iterator[StoreFactory]:
    """Makes stores on ONE database (a SQLite file, or a PostgreSQL database), as separate workers
    (processes) would each open it."""
    opened: list[Store] = []

    def make() -> Store:
        store = open_store(store_location)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def two_workers(new_store: StoreFactory) -> tuple[Leases, Leases]:
    return Leases(new_store(), "worker-a", LEASE), Leases(new_store(), "worker-b", LEASE)


def holder(leases: Leases, name: str) -> str:
    return leases.holdings()[name].worker


def test_a_lease_is_held_renewed_and_taken_over_only_once_it_expires(new_store: StoreFactory) -> None:
    a, b = two_workers(new_store)
    first = a.claim(account_lease("x"), NOW)
    assert first is not None and a.holds(account_lease("x"), NOW)
    assert b.claim(account_lease("x"), NOW + timedelta(seconds=29)) is None  # still a's

    assert a.renew(account_lease("x"), NOW + timedelta(seconds=20))  # a works on: now until 20 + 30 s
    assert b.claim(account_lease("x"), NOW + timedelta(seconds=40)) is None
    assert not a.holds(account_lease("x"), NOW + timedelta(seconds=51))  # a stalled past its lease

    taken = b.claim(account_lease("x"), NOW + timedelta(seconds=51))
    assert taken is not None and taken.epoch == first.epoch + 1
    assert holder(a, account_lease("x")) == "worker-b"
    assert not a.renew(account_lease("x"), NOW + timedelta(seconds=52))  # a wakes: lost, and it knows
    assert not a.holds(account_lease("x"), NOW + timedelta(seconds=52))


def test_a_clean_stop_hands_leases_over_at_once(new_store: StoreFactory) -> None:
    a, b = two_workers(new_store)
    a.claim(account_lease("x"), NOW)
    a.stop(NOW + timedelta(seconds=1))
    assert b.claim(account_lease("x"), NOW + timedelta(seconds=2)) is not None


def test_two_stores_racing_for_one_lease_exactly_one_wins(new_store: StoreFactory) -> None:
    workers = [Leases(new_store(), f"worker-{n}", LEASE) for n in range(4)]
    names = [account_lease(f"acct{n}") for n in range(40)]
    start = threading.Barrier(len(workers))
    won: dict[str, list[str]] = {name: [] for name in names}

    def race(leases: Leases) -> None:
        start.wait()
        for name in names:
            if leases.claim(name, NOW):
                won[name].append(leases.worker)

    threads = [threading.Thread(target=race, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(winners) == 1 for winners in won.values()), won
    holdings = workers[0].holdings()
    assert all(holdings[name].worker == won[name][0] for name in names)


def _planned_reply(store: Store) -> int:
    from bot.model import Author, Platform

    inbound = Inbound(platform=Platform.SANDBOX, account="x", stream="comments", channel=Channel.PUBLIC,
                      native_id="m1", author=Author("p1", "@p1", "P"), text="When is the clinic open?",
                      created_at=NOW, thread_id="t", parent_id="t", in_reply_to_own=True)
    store.record_fetch("x", "comments", [inbound], "c1", NOW, str)
    row = store.pending("x")[0].row_id
    action = Action(ActionKind.REPLY, "rule", "reason", Channel.PUBLIC, "template", "It opens at nine.")
    with store.transaction() as db:
        return store._insert_action(db, action, "x", "p1", row, 0, PLANNED, NOW, None)


def test_planned_to_sending_is_fenced_by_the_lease(new_store: StoreFactory) -> None:
    a, b = two_workers(new_store)
    action_id = _planned_reply(a.store)
    a.claim(account_lease("x"), NOW)
    with pytest.raises(LeaseLost):
        b.mark_sending(account_lease("x"), action_id, 0, NOW)  # b holds nothing
    # a stalls: too little of its lease is left to start a platform call, then it expires and b takes over
    with pytest.raises(LeaseLost):
        a.mark_sending(account_lease("x"), action_id, 0, NOW + timedelta(seconds=LEASE * 0.6))
    assert a.store.action(action_id).status == PLANNED  # type: ignore[union-attr]
    b.claim(account_lease("x"), NOW + timedelta(seconds=LEASE + 1))
    with pytest.raises(LeaseLost):
        a.mark_sending(account_lease("x"), action_id, 0, NOW + timedelta(seconds=LEASE + 2))
    assert b.mark_sending(account_lease("x"), action_id, 0, NOW + timedelta(seconds=LEASE + 2))
    stored = b.store.action(action_id)
    assert stored is not None and stored.status == SENDING and stored.attempts == 1
    # read before that move: the same worker's stale copy is refused too (never two platform calls)
    assert not b.mark_sending(account_lease("x"), action_id, 0, NOW + timedelta(seconds=LEASE + 3))


def _no_step_running(name: str, give_back: Callable[[], None]) -> bool:
    give_back()
    return True


def test_workers_share_accounts_fairly_and_spread_a_dead_workers_accounts(new_store: StoreFactory) -> None:
    a, b = two_workers(new_store)
    accounts = ["x1", "x2", "fb1", "fb2"]
    jobs = [ALERTS_LEASE, PURGE_LEASE]
    first = a.balance(accounts, jobs, NOW, _no_step_running)
    assert set(first.gained) == {account_lease(n) for n in accounts} | set(jobs)  # alone: everything

    b.balance(accounts, jobs, NOW + timedelta(seconds=1), _no_step_running)  # announces itself; all is held
    assert not [n for n in b.held if n.startswith("account:")]
    busy: list[str] = []
    a.balance(accounts, jobs, NOW + timedelta(seconds=10),
              lambda name, give_back: busy.append(name) or False)  # steps under way: nothing handed back yet
    assert len([n for n in a.held if n.startswith("account:")]) == 4 and len(busy) == 2
    a.balance(accounts, jobs, NOW + timedelta(seconds=11), _no_step_running)  # between steps: two handed back
    gained = b.balance(accounts, jobs, NOW + timedelta(seconds=12), _no_step_running).gained
    assert len(gained) == 2 and all(n.startswith("account:") for n in gained)
    assert set(a.held).isdisjoint(b.held)

    # a dies (no clean stop): once its lease and heartbeat run out, b takes everything over
    later = NOW + timedelta(seconds=11 + LEASE + 1)
    taken = b.balance(accounts, jobs, later, _no_step_running).gained
    assert {n for n in b.held if n.startswith("account:")} == {account_lease(n) for n in accounts}
    assert ALERTS_LEASE in taken and PURGE_LEASE in taken
    assert all(h.worker == "worker-b" for h in b.holdings().values())


def test_request_budgets_and_imposed_waits_are_shared_by_every_worker(new_store: StoreFactory) -> None:
    a, b = two_workers(new_store)
    minute = timedelta(minutes=1)
    used = [w.take_request("x:mentions", 3, minute, NOW + timedelta(seconds=s)) for w, s in
            ((a, 1), (b, 2), (a, 3), (b, 4), (a, 5))]
    assert used == [True, True, True, False, False]  # three per minute between them, not three each
    assert b.take_request("x:mentions", 3, minute, NOW + timedelta(minutes=1, seconds=1))  # the next window
    assert a.take_request("facebook:comments", 3, minute, NOW + timedelta(seconds=6))  # budgets are separate

    a.impose_wait("leeds_x:mentions", NOW + timedelta(minutes=15))
    a.impose_wait("leeds_x:mentions", NOW + timedelta(minutes=5))  # an earlier end never shortens a wait
    assert b.waits("leeds_x:", NOW) == {"mentions": NOW + timedelta(minutes=15)}
    assert b.waits("leeds_x:", NOW + timedelta(minutes=16)) == {}


# -- two services on one state ----------------------------------------------------------------------

class CrashingSandbox(SandboxAdapter):
    """The sandbox, but the worker's process dies right after its Nth reply reached the platform."""

    def __init__(self, *args: object, crash_at: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.crash_at, self.calls = crash_at, 0

    def reply(self, inbound: Inbound, text: str, channel: Channel) -> str:
        self.calls += 1
        reply_id = super().reply(inbound, text, channel)
        if self.calls == self.crash_at:
            raise Crash
        return reply_id


class Crash(BaseException):
    """The worker dies: nothing after this line runs, and nothing catches it."""


def on_state(tmp_path: Path, store_location: str) -> dict[str, str]:
    """The environment that puts a service's state at `store_location` (a file, or a PostgreSQL URL)."""
    return {"HOUSEBOT_STATE": store_location, "HOUSEBOT_DATA_DIR": str(tmp_path / "data")}


def test_an_account_taken_over_from_a_dead_worker_gets_every_reply_exactly_once(tmp_path: Path,
                                                                               store_location: str) -> None:
    settings = write_settings(tmp_path, ALWAYS_OPEN, on_state(tmp_path, store_location))
    clock = Clock(NOW)
    config = settings.account_config(settings.accounts[0])
    scenario = load_scenario()
    network = SandboxNetwork(clock=clock)
    first = Service(settings, clock=clock, adapters={"demo": CrashingSandbox(config, network, scenario, crash_at=5)},
                    out=io.StringIO())
    second = Service(settings, clock=clock, adapters={"demo": SandboxAdapter(config, network)}, out=io.StringIO())
    first.enable_leases("worker-a")
    second.enable_leases("worker-b")
    first.balance_leases()
    second.balance_leases()
    with pytest.raises(Crash):
        first.account_step("demo")
    second.account_step("demo")  # not its account: nothing happens
    assert not [a for a in network.activity if a.kind == "reply"][5:]

    clock.advance(seconds=LEASE + 1)  # the dead worker's lease runs out
    assert account_lease("demo") in second.balance_leases().gained
    for _ in range(3):
        second.account_step("demo")
        clock.advance(seconds=60)
        second.balance_leases()

    replies = Counter(a.target for a in network.activity if a.kind == "reply")
    assert replies and max(replies.values()) == 1, [t for t, n in replies.items() if n > 1]
    assert second.store.pending("demo") == []
    first.store.close()
    second.close()


TWO_SANDBOXES = ALWAYS_OPEN + """
[[accounts]]
name = "demo2"
type = "sandbox"
handle = "@NHSLeedsDemoTwo"
display_name = "NHS Leeds (second sandbox)"
""" + ALWAYS_OPEN_TABLE


def test_two_services_on_one_state_share_a_platform_budget_and_a_429(tmp_path: Path, store_location: str) -> None:
    settings = write_settings(tmp_path, TWO_SANDBOXES, on_state(tmp_path, store_location))
    clock = Clock(NOW)
    network = SandboxNetwork(clock=clock)
    services = []
    for worker in ("worker-a", "worker-b"):
        adapters = {a.name: SandboxAdapter(settings.account_config(a), network) for a in settings.accounts}
        service = Service(settings, clock=clock, adapters=adapters, out=io.StringIO())
        service.enable_leases(worker)
        services.append(service)
    a, b = services
    a.balance_leases()
    b.balance_leases()
    clock.advance(seconds=1)
    a.balance_leases()  # b is live now: a hands one account back
    b.balance_leases()
    held = {s.leases.worker: [n for n in s.leases.held if n.startswith("account:")] for s in services}  # type: ignore[union-attr]
    assert sorted(len(h) for h in held.values()) == [1, 1]

    # The platform allows 600 reads a minute per stream for all its accounts: use up all but one of them.
    assert a.leases is not None
    for _ in range(599):
        assert a.leases.take_request("sandbox:comments", 600, timedelta(minutes=1), clock.now)
    reads_before = len(network.reads)
    for service in services:
        for account in settings.accounts:
            service.account_step(account.name)
    comment_reads = [s for _, s in network.reads[reads_before:] if s == "comments"]
    assert len(comment_reads) == 1  # one of the two workers had the last read; the other waits for the next window

    # A 429 seen by the worker holding demo binds the worker that holds demo next.
    holder_of_demo = a if account_lease("demo") in a.leases.held else b
    other = b if holder_of_demo is a else a
    clock.advance(minutes=1)
    reset = clock.now + timedelta(minutes=15)
    network.fail_next("fetch:direct_messages", RateLimited(reset))
    holder_of_demo.account_step("demo")
    holder_of_demo.stop()  # a clean stop: the other worker takes demo over at once
    clock.advance(seconds=1)
    assert account_lease("demo") in other.balance_leases().gained
    reads_before = len(network.reads)
    for _ in range(10):
        clock.advance(minutes=2)
        other.balance_leases()
        other.account_step("demo")
    dm_reads = [when for when, stream in network.reads[reads_before:] if stream == "direct_messages"]
    assert dm_reads and min(dm_reads) >= reset  # not one read before the platform's reset
    other.close()


def test_workers_starting_at_once_on_a_new_state_file_migrate_it_once(tmp_path: Path) -> None:
    """Three `housebot run` started together on a new file: each migration step reads the version
    under the write lock (two of them once both added the same column)."""
    path = tmp_path / "housebot.sqlite3"  # the folder exists: making it at once is another matter
    start = threading.Barrier(4)
    opened: list[Store] = []
    problems: list[BaseException] = []

    def open_at_once() -> None:
        start.wait()
        try:
            opened.append(open_store(path))
        except BaseException as problem:  # noqa: BLE001 - reported below
            problems.append(problem)

    threads = [threading.Thread(target=open_at_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not problems and len(opened) == 4
    assert {store.schema_version for store in opened} == {SCHEMA_VERSION}
    for store in opened:
        store.close()
