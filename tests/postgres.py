"""A throw-away PostgreSQL cluster for the tests: `initdb` and `pg_ctl` in a temporary folder,
listening on 127.0.0.1 on a free port, stopped (and its folder removed) when the session ends.

PostgreSQL refuses to run as root, so as root the cluster runs as `nobody` in a folder that user
owns. Each test gets a fresh database of its own (`PostgresCluster.new_database`). Without the
binaries the PostgreSQL tests are skipped with one line, except under CI=true, where the run fails:
CI must never go green without having run them (`.ci/run` installs Debian's postgresql).
`HOUSEBOT_PG_BIN` names the folder of the binaries (an empty or missing folder: none).
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

import pytest

SKIP_REASON = "PostgreSQL tests skipped: no initdb/pg_ctl found (apt-get install postgresql, or set HOUSEBOT_PG_BIN)"
CI_FAILURE = "CI=true but no PostgreSQL was found: the PostgreSQL tests must run in CI (.ci/run installs postgresql)"


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


def skip_or_fail_without_postgres() -> None:
    """Called where a PostgreSQL test needs the cluster: one skip reason for all of them, or a CI failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(CI_FAILURE, pytrace=False)
    pytest.skip(SKIP_REASON)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """One cluster for the session; `new_database()` gives each test an empty database's URL."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
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
        # Durability is not under test: without fsync a database is created in milliseconds.
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
