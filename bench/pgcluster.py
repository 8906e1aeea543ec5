"""A throw-away PostgreSQL cluster for the scale benchmark, and the counters it reads from it.

initdb and pg_ctl run as an unprivileged user (PostgreSQL refuses root) in a temporary folder that
user owns, listening on 127.0.0.1 and a free port, with `pg_stat_statements` loaded so the bench
can count statements as it does on SQLite. One database per run, so runs never share state.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

BIN = Path("/usr/lib/postgresql/15/bin")
COUNTERS = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_deleted", "tup_fetched",
            "tup_returned", "blks_read", "blks_hit")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster; `stop` removes it."""

    folder: Path
    port: int
    user: str

    @classmethod
    def start(cls, user: str = "nobody") -> "Cluster":
        folder = Path(tempfile.mkdtemp(prefix="housebot-pg-"))
        entry = pwd.getpwnam(user) if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        cluster = cls(folder, _free_port(), entry.pw_name)
        cluster._as_owner(str(BIN / "initdb"), "-D", str(folder / "data"), "-U", "housebot", "--auth=trust",
                          "--no-sync", "-E", "UTF8")
        options = (f"-c listen_addresses=127.0.0.1 -c port={cluster.port} -c unix_socket_directories={folder} "
                   "-c shared_preload_libraries=pg_stat_statements -c max_connections=300 -c fsync=on")
        cluster._as_owner(str(BIN / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-o", options,
                          "-w", "start")
        return cluster

    def _as_owner(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd=self.folder)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://housebot@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        """A fresh, empty database with pg_stat_statements, and its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}"')
            db.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(self.url(name), autocommit=True) as db:
            db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return self.url(name)

    def cpu_seconds(self) -> float:
        """CPU the server has used so far: the postmaster, its live children (the backends serving
        the workers) and the children it has reaped."""
        tick = os.sysconf("SC_CLK_TCK")
        postmaster = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
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
        self._as_owner(str(BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


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
