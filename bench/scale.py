"""`python -m bench.scale`: how housebot grows with accounts and workers (issue 18).

For each number of accounts and of workers, the real service runs in separate worker processes
(`Service` with simulated platforms injected, scheduled as `housebot run` schedules it) on one
shared state, while messages arrive on every account at a fixed rate (`bench/simulated.py`).
After a warm-up, a fixed window is measured: messages handled per second (against those offered),
poll lag (from a message's arrival on the platform to its last action there, or to the state's
`handled_at` when it needed none) at the median and 99th percentile, the database's work per
message (SQLite: statements counted in each worker; PostgreSQL: `pg_stat_database` and
`pg_stat_statements` deltas) and each worker's CPU. At the end it checks that every arrival was
handled and nothing was done twice on the platform.

Output: a markdown table on stdout and every figure in a JSON file (`--json`). `--quick` is a
two-minute smoke run. The harness also runs in one process on a clock it moves by hand
(`run_stepped`), which is how the test drives it at a tiny size without waiting.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

from adapters.base import RateBudget
from bench import pgcluster
from bench.simulated import (MESSAGE_KINDS, Activity, ActivityLog, Arrivals, Messages, SimulatedAdapter, message_id,
                             read_activity, utc)
from bot.service import Service
from bot.settings import Settings, load_settings
from bot.store import HANDLED, Store, open_store

REPO = Path(__file__).resolve().parents[1]
SHARE_SECONDS = 40.0  # more start time for several workers: two lease passes (lease_seconds 30 / 3) and margin
PG_SHOWN = ("statements", "xact_commit", "tup_inserted", "tup_updated", "tup_fetched", "blks_hit", "blks_read")
SETTINGS_HEAD = REPO / "config" / "housebot.toml"  # its organisation, teams and topics; the accounts are the bench's
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ZONE = ZoneInfo("Europe/London")  # the shipped settings' organisation.timezone


@dataclass(frozen=True)
class RunSpec:
    """One configuration: what every worker process reads from `spec.json` in the run's folder."""

    accounts: int
    workers: int
    state: str  # a SQLite file's path, or a postgresql:// URL
    folder: str
    per_minute: float = 2.0  # messages per account per minute
    poll_seconds: float = 10.0
    latency_seconds: float = 0.02
    budget_per_minute: int = 60_000  # the simulated platform's requests per minute per stream, for all accounts
    warmup_seconds: float = 15.0
    measure_seconds: float = 60.0
    drain_seconds: float = 30.0  # after the window: time to handle what arrived in it
    # From launch to the first arrival: workers load their engine and, when there are several, share
    # the accounts out (the first worker up claims them all; the leases even out over a few passes).
    start_seconds: float = 20.0
    seed: int = 18
    lease_seconds: float = 0.0  # [bot] lease_seconds; 0 keeps the settings' own (30 by default)
    hours: str = "window"  # "window": open from an hour before the run for six hours each day; "always": round the clock
    epoch: float = 0.0  # when arrivals begin (seconds since 1970), set at launch

    @property
    def window(self) -> tuple[datetime, datetime]:
        start = utc(self.epoch) + timedelta(seconds=self.warmup_seconds)
        return start, start + timedelta(seconds=self.measure_seconds)

    @property
    def stop_at(self) -> datetime:
        return self.window[1] + timedelta(seconds=self.drain_seconds)

    @property
    def arrivals(self) -> Arrivals:
        return Arrivals(self.seed, utc(self.epoch), self.per_minute, self.window[1])

    @property
    def names(self) -> list[str]:
        return [account_name(index) for index in range(self.accounts)]


def account_name(index: int) -> str:
    return f"acct{index:04d}"


def write_settings(spec: RunSpec) -> Settings:
    """A settings file with `spec.accounts` always-open accounts, beside an empty `.env`."""
    folder = Path(spec.folder)
    head = SETTINGS_HEAD.read_text(encoding="utf-8").split("[[accounts]]", 1)[0]
    if spec.lease_seconds:
        head = re.sub(r"(?m)^lease_seconds\s*=.*\n", "", head).replace("[bot]\n", f"[bot]\nlease_seconds = {spec.lease_seconds}\n", 1)
    accounts = "".join(
        f'\n[[accounts]]\nname = "{name}"\ntype = "sandbox"\nhandle = "@{name}"\npoll_seconds = {spec.poll_seconds}\n'
        f'safety_screen = true\n[accounts.hours]\n{hours_table(spec)}bank_holidays = "open"\n' for name in spec.names)
    (folder / "housebot.toml").write_text(head + accounts, encoding="utf-8")
    (folder / ".env").touch()
    return bench_settings(spec)


def hours_table(spec: RunSpec) -> str:
    """Every account's weekly hours: a window around the run, or round the clock. The two cost
    very differently: see bench/SCALE.md."""
    if spec.hours == "always":
        window = "00:00-24:00"
    else:
        start = (utc(spec.epoch).astimezone(ZONE).hour - 1) % 24
        window = f"{start:02d}:00-{(start + 6) % 24:02d}:00"
    return "".join(f'{day} = ["{window}"]\n' for day in DAYS)


def bench_settings(spec: RunSpec, worker: str = "bench-0") -> Settings:
    """The settings `write_settings` wrote, as each worker (named for the leases) reads them."""
    folder = Path(spec.folder)
    env = {
        "HOUSEBOT_CONFIG": str(folder / "housebot.toml"),
        "HOUSEBOT_POLICY": str(REPO / "config" / "policy.toml"),
        "HOUSEBOT_MODERATION": str(REPO / "config" / "moderation"),
        "HOUSEBOT_RESPONSES": str(REPO / "responses"),
        "HOUSEBOT_STATE": spec.state,
        "HOUSEBOT_OPS_LISTEN": "off",
        "HOUSEBOT_LOG_LEVEL": "WARNING",
        "HOUSEBOT_WORKER": worker,
        "HOUSEBOT_DATA_DIR": str(folder / "data"),
    }
    return load_settings(env, folder / ".env")


def open_state(location: str) -> Store:
    return open_store(location if backend(location) == "postgresql" else Path(location))


def simulated_adapters(spec: RunSpec, log: ActivityLog, clock: Callable[[], datetime],
                       sleep: Callable[[float], None] = time.sleep) -> dict[str, SimulatedAdapter]:
    arrivals, messages = spec.arrivals, Messages(spec.seed)
    budget = RateBudget(spec.budget_per_minute, timedelta(minutes=1))
    return {name: SimulatedAdapter(name, f"@{name}", arrivals, messages, log, clock=clock,
                                   latency_seconds=spec.latency_seconds, rate_budget=budget, sleep=sleep)
            for name in spec.names}


class StatementCounter:
    """Counts every statement a SQLite store runs (its connection's trace callback)."""

    def __init__(self, store: Store) -> None:
        self.count = 0
        store._db.set_trace_callback(self._seen)  # the bench's one look inside the store

    def _seen(self, statement: str) -> None:
        self.count += 1


# -- results ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Result:
    """What one configuration measured, and whether every message was handled exactly once."""

    accounts: int
    workers: int
    backend: str
    offered_per_second: float
    handled_per_second: float
    lag_p50_seconds: float
    lag_p99_seconds: float
    arrived: int  # over the whole run
    handled: int
    lost: int  # arrived but not handled by the end
    twice: int  # (message, action, channel) done more than once on the platform
    actions: int
    db_per_message: Mapping[str, float] = field(default_factory=dict)
    cpu_per_worker: tuple[float, ...] = ()  # share of one core, in the window
    server_cpu: float = 0.0  # the PostgreSQL server's share of one core, in the window
    load_average: float = 0.0
    notes: tuple[str, ...] = ()
    runs: int = 1  # how many runs the figures are medians of (counts are their sums)
    actions_per_worker: tuple[int, ...] = ()  # platform actions each worker did: how evenly the leases share


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def analyse(spec: RunSpec, state_rows: list[Mapping[str, object]], activity: list[Activity]) -> Result:
    """Compare what arrived (a pure function of the spec) with the state and the platform's record."""
    arrivals = spec.arrivals
    start, end = spec.window
    arrived = {message_id(name, number): arrivals.arrival(name, number)
               for name in spec.names for number in range(1, arrivals.count(name, spec.stop_at) + 1)}
    handled_at: dict[str, datetime] = {}
    for row in state_rows:
        if row["status"] == HANDLED and row["handled_at"]:
            handled_at[str(row["native_id"])] = datetime.fromisoformat(str(row["handled_at"]))
    done: Counter[tuple[str, str, str]] = Counter()
    for act in activity:
        if act.kind in MESSAGE_KINDS:
            done[(act.target, act.kind, act.channel)] += 1
            if act.target in handled_at:
                handled_at[act.target] = max(handled_at[act.target], utc(act.at))
    in_window = [native for native, moment in arrived.items() if start <= moment < end]
    lags = [(handled_at[native] - arrived[native]).total_seconds() for native in in_window if native in handled_at]
    seconds = (end - start).total_seconds()
    return Result(
        accounts=spec.accounts, workers=spec.workers, backend=backend(spec.state),
        offered_per_second=len(in_window) / seconds,
        handled_per_second=sum(1 for moment in handled_at.values() if start <= moment < end) / seconds,
        lag_p50_seconds=_percentile(lags, 0.5), lag_p99_seconds=_percentile(lags, 0.99),
        arrived=len(arrived), handled=sum(1 for native in arrived if native in handled_at),
        lost=sum(1 for native in arrived if native not in handled_at),
        twice=sum(1 for times in done.values() if times > 1), actions=sum(done.values()),
        actions_per_worker=tuple(count for _, count in sorted(Counter(act.worker for act in activity).items())),
    )


def backend(state: str) -> str:
    return "postgresql" if state.startswith("postgresql://") else "sqlite"


def state_rows(store: Store) -> list[Mapping[str, object]]:
    return [dict(row) for row in store.read("SELECT native_id, status, handled_at FROM inbound")]


# -- one process, a clock moved by hand (the test) -----------------------------------------------------
@dataclass
class StepClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def run_stepped(spec: RunSpec, step: timedelta = timedelta(seconds=1)) -> Result:
    """The whole run in this process with no latency, the clock moved `step` at a time and every
    account polled at each step as the scheduler would: no wall time, so a test can afford it."""
    settings = write_settings(spec)
    clock = StepClock(utc(spec.epoch) - step)
    log = ActivityLog(Path(spec.folder) / "activity", "w0")
    store = open_state(spec.state)
    counter = StatementCounter(store)
    service = Service(settings, clock=clock, adapters=simulated_adapters(spec, log, clock, sleep=lambda _: None),
                      store=store, out=open(os.devnull, "w"))
    start, end = spec.window
    statements = {}
    while clock.now < spec.stop_at:
        service.tick()
        for name, moment in (("start", start), ("end", end)):
            if name not in statements and clock.now >= moment:
                statements[name] = counter.count
        clock.now += step
    rows = state_rows(store)
    service.close()
    log.close()
    result = analyse(spec, rows, list(read_activity(log.folder)))
    handled = result.handled_per_second * spec.measure_seconds
    return replace(result, db_per_message={"statements": (statements["end"] - statements["start"]) / handled}
                   if handled else {})


# -- worker processes (the real scheduler, wall time) -----------------------------------------------
def _sleep_until(moment: datetime) -> None:
    while (left := (moment - datetime.now(timezone.utc)).total_seconds()) > 0:
        time.sleep(min(left, 1.0))


def worker_main(folder: Path, index: int) -> int:
    """One worker: the real service with simulated platforms, from the spec's start to its stop."""
    spec = RunSpec(**json.loads((folder / "spec.json").read_text(encoding="utf-8")))
    settings = bench_settings(spec, f"bench-{index}")
    store = open_state(spec.state)
    counter = StatementCounter(store) if backend(spec.state) == "sqlite" else None
    log = ActivityLog(folder / "activity", f"w{index}")
    service = Service(settings, adapters=simulated_adapters(spec, log, lambda: datetime.now(timezone.utc)),
                      store=store, out=open(os.devnull, "w"))
    ready_at = time.time()
    service.start()
    start, end = spec.window
    marks = {}
    for name, moment in (("start", start), ("end", end)):
        _sleep_until(moment)
        marks[name] = (counter.count if counter else 0, time.process_time())
    _sleep_until(spec.stop_at)
    service.stop()
    log.close()
    report = {"index": index, "ready_late_seconds": max(0.0, ready_at - spec.epoch),
              "statements": marks["end"][0] - marks["start"][0], "cpu_seconds": marks["end"][1] - marks["start"][1]}
    (folder / f"worker-{index}.json").write_text(json.dumps(report), encoding="utf-8")
    return 0


def run_processes(spec: RunSpec, cluster: pgcluster.PostgresCluster | None = None) -> Result:
    """Launch the workers, wait for them, then read the state and the platform's record."""
    folder = Path(spec.folder)
    folder.mkdir(parents=True, exist_ok=True)
    spec = replace(spec, epoch=time.time() + spec.start_seconds)
    (folder / "spec.json").write_text(json.dumps(asdict(spec)), encoding="utf-8")
    write_settings(spec)
    # The schema made once before the workers start: on a new SQLite file, two workers creating its
    # folder at the same moment made one fail (bot/store.py's _make_private; see bench/SCALE.md).
    open_state(spec.state).close()
    processes = []
    for index in range(spec.workers):
        with (folder / f"worker-{index}.log").open("w") as output:
            processes.append(subprocess.Popen([sys.executable, "-m", "bench.scale", "--worker", str(folder), str(index)],
                                              stdout=output, stderr=subprocess.STDOUT, cwd=REPO))
    database: dict[str, Mapping[str, float]] = {}
    for name, moment in (("start", spec.window[0]), ("end", spec.window[1])):
        _sleep_until(moment)
        if cluster is not None:
            database[name] = {**pgcluster.counters(spec.state), "server_cpu_seconds": cluster.cpu_seconds()}
    load = os.getloadavg()[0]
    failed = [index for index, process in enumerate(processes) if process.wait() != 0]
    if failed:
        raise SystemExit(f"worker(s) {failed} failed: see {folder}/worker-N.log")
    store = open_state(spec.state)
    rows = state_rows(store)
    store.close()
    result = analyse(spec, rows, list(read_activity(folder / "activity")))
    reports = [json.loads((folder / f"worker-{index}.json").read_text()) for index in range(spec.workers)]
    handled = result.handled_per_second * spec.measure_seconds
    notes = tuple(f"worker {r['index']} was ready {r['ready_late_seconds']:.1f}s after arrivals began"
                  for r in reports if r["ready_late_seconds"] > 0)
    if database:
        per_message = {key: (database["end"][key] - database["start"][key]) / handled for key in PG_SHOWN} if handled else {}
    else:
        per_message = {"statements": sum(r["statements"] for r in reports) / handled} if handled else {}
    server = (database["end"]["server_cpu_seconds"] - database["start"]["server_cpu_seconds"]) / spec.measure_seconds \
        if database else 0.0
    return replace(result, db_per_message=per_message, server_cpu=server,
                   cpu_per_worker=tuple(r["cpu_seconds"] / spec.measure_seconds for r in reports),
                   load_average=load, notes=notes)


def median_of(runs: list[Result]) -> Result:
    """One result from several runs of a configuration: the median of each figure, the worst of the
    checks (a message lost or done twice in any run counts), and how many runs it summarises."""
    first = runs[0]
    if len(runs) == 1:
        return first
    middle = statistics.median
    return replace(
        first,
        offered_per_second=middle(r.offered_per_second for r in runs), handled_per_second=middle(r.handled_per_second for r in runs),
        lag_p50_seconds=middle(r.lag_p50_seconds for r in runs), lag_p99_seconds=middle(r.lag_p99_seconds for r in runs),
        arrived=sum(r.arrived for r in runs), handled=sum(r.handled for r in runs), lost=sum(r.lost for r in runs),
        twice=sum(r.twice for r in runs), actions=sum(r.actions for r in runs),
        db_per_message={key: middle(r.db_per_message.get(key, 0.0) for r in runs) for key in first.db_per_message},
        cpu_per_worker=tuple(middle(shares) for shares in zip(*(r.cpu_per_worker for r in runs))),
        load_average=middle(r.load_average for r in runs), runs=len(runs), server_cpu=middle(r.server_cpu for r in runs),
        notes=tuple(note for r in runs for note in r.notes),
        actions_per_worker=tuple(sum(shares) for shares in zip(*(r.actions_per_worker for r in runs))),
    )


# -- the command ------------------------------------------------------------------------------------
def markdown(results: list[Result], spec: RunSpec) -> str:
    lines = [
        f"Each account gets {spec.per_minute:g} messages a minute, is read every {spec.poll_seconds:g}s, each platform "
        f"call waits {spec.latency_seconds * 1000:g} ms; {spec.warmup_seconds:g}s warm-up, {spec.measure_seconds:g}s measured; "
        f"hours: {spec.hours}; lease_seconds: {spec.lease_seconds or 'the default'}.",
        "",
        "| store | accounts | workers | runs | offered msg/s | handled msg/s | lag p50 s | lag p99 s | DB per message | CPU per worker (of a core) | actions per worker | load avg | lost | twice |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:|---:|",
    ]
    for r in results:
        db = ", ".join(f"{key} {value:.1f}" for key, value in r.db_per_message.items()) or "-"
        cpu = " / ".join(f"{share:.0%}" for share in r.cpu_per_worker) or "-"
        if r.backend == "postgresql":
            cpu += f" (server {r.server_cpu:.0%})"
        lines.append(f"| {r.backend} | {r.accounts} | {r.workers} | {r.runs} | {r.offered_per_second:.1f} | {r.handled_per_second:.1f} | "
                     f"{r.lag_p50_seconds:.1f} | {r.lag_p99_seconds:.1f} | {db} | {cpu} | "
                     f"{' / '.join(map(str, r.actions_per_worker)) or '-'} | {r.load_average:.1f} | "
                     f"{r.lost} | {r.twice} |")
    return "\n".join(lines)


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=_numbers, default=[50, 200, 1000], help="e.g. 50,200,1000")
    parser.add_argument("--workers", type=_numbers, default=[1], help="e.g. 1,2,4: worker processes sharing the accounts by leases")
    parser.add_argument("--state", choices=("sqlite", "postgresql"), default="sqlite",
                        help="sqlite (a new file per run) or postgresql (a throw-away cluster, a new database per run)")
    parser.add_argument("--rate", type=float, default=RunSpec.per_minute, help="messages per account per minute")
    parser.add_argument("--poll", type=float, default=RunSpec.poll_seconds, help="each account's poll_seconds")
    parser.add_argument("--latency-ms", type=float, default=RunSpec.latency_seconds * 1000, help="wait per platform call")
    parser.add_argument("--warmup", type=float, default=RunSpec.warmup_seconds)
    parser.add_argument("--measure", type=float, default=RunSpec.measure_seconds, help="seconds measured per configuration")
    parser.add_argument("--drain", type=float, default=RunSpec.drain_seconds)
    parser.add_argument("--lease-seconds", type=float, default=0.0, help="[bot] lease_seconds (default: the settings' own, 30)")
    parser.add_argument("--hours", choices=("window", "always"), default=RunSpec.hours,
                        help="accounts open six hours around the run (default), or round the clock")
    parser.add_argument("--folder", type=Path, help="where each run's state and logs go (default: a new temporary folder)")
    parser.add_argument("--json", type=Path, default=Path("scale-results.json"))
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration; the table shows their medians")
    parser.add_argument("--quick", action="store_true", help="a two-minute smoke run: 20 and 100 accounts, 20s each")
    parser.add_argument("--worker", nargs=2, metavar=("FOLDER", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(Path(args.worker[0]), int(args.worker[1]))
    if args.quick:
        args.accounts, args.workers, args.warmup, args.measure, args.drain = [20, 100], [1], 5.0, 20.0, 15.0
    root = args.folder or Path(tempfile.mkdtemp(prefix="housebot-scale-"))
    base = RunSpec(accounts=0, workers=0, state="", folder="", per_minute=args.rate, poll_seconds=args.poll,
                   latency_seconds=args.latency_ms / 1000, warmup_seconds=args.warmup, measure_seconds=args.measure,
                   drain_seconds=args.drain, hours=args.hours, lease_seconds=args.lease_seconds)
    cluster = pgcluster.deployed_cluster() if args.state == "postgresql" else None
    try:
        results = run_all(base, args.accounts, args.workers, root, cluster, args.json, args.repeat)
    finally:
        if cluster is not None:
            cluster.stop()
    print(markdown(results, base))
    print(f"\nfigures: {args.json}; runs: {root}")
    return 1 if any(r.lost or r.twice for r in results) else 0


def run_all(base: RunSpec, accounts_list: list[int], workers_list: list[int], root: Path,
            cluster: pgcluster.PostgresCluster | None, json_path: Path, repeat: int = 1) -> list[Result]:
    """Every configuration in turn, `repeat` times each on a new state, keeping the medians; the
    JSON file is rewritten after each configuration."""
    results: list[Result] = []
    every_run: list[Result] = []
    for workers in workers_list:
        for accounts in accounts_list:
            name = f"{'postgresql' if cluster else 'sqlite'}-{accounts}a-{workers}w"
            folder = root / name
            spec = replace(base, accounts=accounts, workers=workers,
                           start_seconds=base.start_seconds if workers == 1 else base.start_seconds + SHARE_SECONDS)
            runs = []
            for attempt in range(repeat):
                print(f"{name} (run {attempt + 1} of {repeat}) ...", file=sys.stderr, flush=True)
                run_folder = folder / f"run-{attempt}"
                state = cluster.new_database(name.replace("-", "_")) if cluster else str(run_folder / "state" / "housebot.sqlite3")
                runs.append(run_processes(replace(spec, state=state, folder=str(run_folder)), cluster))
            every_run += runs
            results.append(median_of(runs))
            json_path.write_text(json.dumps({"settings": asdict(base), "cores": os.cpu_count(),
                                             "medians": [asdict(r) for r in results],
                                             "runs": [asdict(r) for r in every_run]}, indent=2), encoding="utf-8")
    return results


if __name__ == "__main__":
    raise SystemExit(main())
