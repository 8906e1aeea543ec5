"""A throw-away PostgreSQL cluster, for the tests (`tests/postgres.py`) and the scale benchmark.

initdb and pg_ctl run in a temporary folder, listening on 127.0.0.1 and a free port; PostgreSQL
refuses to run as root, so as root the cluster is `nobody`'s, in a folder that user owns. The
tests want speed (no fsync: durability is not under test); the benchmark wants what a deployment
has (fsync on) and `pg_stat_statements`, so it can count statements as it does on SQLite.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

COUNTERS = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_deleted", "tup_fetched",
            "tup_returned", "blks_read", "blks_hit")
# Durability is not under test: without fsync a database is created in milliseconds.
FAST_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
DEPLOYED_OPTIONS = "-c fsync=on -c shared_preload_libraries=pg_stat_statements -c max_connections=300"


def postgres_bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: HOUSEBOT_PG_BIN, Debian's newest, or PATH's."""
    if "HOUSEBOT_PG_BIN" in os.environ:
        given = Path(os.environ["HOUSEBOT_PG_BIN"])
        return given if (given / "initdb").exists() and (given / "pg_ctl").exists() else None
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """One cluster; `new_database()` gives each test or run an empty database's URL; `stop` removes it."""

    def __init__(self, bin_dir: Path, *, deployed: bool = False) -> None:
        self.bin_dir = bin_dir
        self.deployed = deployed
        self.folder = Path(tempfile.mkdtemp(prefix="housebot-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses root: the cluster is nobody's
            shutil.chown(self.folder, "nobody")
            self._as_user = ["runuser", "-u", "nobody", "--"]

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self._as_user, *command], capture_output=True, text=True, timeout=120,
                                cwd=self.folder)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
                   + (DEPLOYED_OPTIONS if self.deployed else FAST_OPTIONS))
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str = "") -> str:
        """A fresh, empty database (named, or numbered for this process), with pg_stat_statements on a
        deployed cluster; returns its URL."""
        import psycopg

        name = name or f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        if self.deployed:
            with psycopg.connect(self.url(name), autocommit=True) as db:
                db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return self.url(name)

    def cpu_seconds(self) -> float:
        """CPU the server has used so far: the postmaster, its live children (the backends serving
        the workers) and the children it has reaped."""
        tick = os.sysconf("SC_CLK_TCK")
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            pid, parent = int(stat.parent.name), int(fields[1])
            if pid == postmaster:
                total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
            elif parent == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate" if not self.deployed
                          else "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def deployed_cluster() -> PostgresCluster:
    """A started cluster as a deployment runs it, for the scale benchmark; no PostgreSQL is one clear error."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise SystemExit("no PostgreSQL found: apt-get install postgresql, or set HOUSEBOT_PG_BIN")
    cluster = PostgresCluster(bin_dir, deployed=True)
    cluster.start()
    return cluster


def counters(url: str) -> Mapping[str, float]:
    """The database's work so far: `pg_stat_database` for it, and pg_stat_statements' calls in it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute(f"SELECT {', '.join(COUNTERS)} FROM pg_stat_database WHERE datname = current_database()").fetchone()
        found = dict(zip(COUNTERS, map(float, row or (0,) * len(COUNTERS))))
        calls = db.execute("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = "
                           "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()
        found["statements"] = float(calls[0]) if calls else 0.0
    return found
