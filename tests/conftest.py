"""Shared test set-up: no test may reach beyond this machine."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.store import Store, open_store
from tests.postgres import SKIP_REASON, PostgresCluster, postgres_bin_dir, skip_or_fail_without_postgres

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # a Unix socket path
        return True
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only reach 127.0.0.1, not {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only reach 127.0.0.1, not {address!r}")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


# -- PostgreSQL: one throw-away cluster per session, a fresh database per test ---------------------
def _needs_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return bool({"postgres_url", "postgres_cluster"} & set(getattr(item, "fixturenames", ()))) or (
        callspec is not None and "postgresql" in callspec.params.values())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every PostgreSQL test is marked `postgresql`. Without the binaries they are left out and the
    summary says so in one line; under CI=true they stay, and fail (`postgres_cluster`)."""
    needing = [item for item in items if _needs_postgres(item)]
    for item in needing:
        item.add_marker(pytest.mark.postgresql)
    if needing and postgres_bin_dir() is None and os.environ.get("CI") != "true":
        items[:] = [item for item in items if item not in needing]
        config.hook.pytest_deselected(items=needing)
        config.stash[_LEFT_OUT] = len(needing)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist each worker collects (and leaves out) on its own: it hands its count to
    the controller, which prints the summary."""
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output["postgres_left_out"] = session.config.stash.get(_LEFT_OUT, 0)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Every worker collects every test, so each reports the same count: keep one."""
    left_out = getattr(node, "workeroutput", {}).get("postgres_left_out", 0)
    node.config.stash[_LEFT_OUT] = max(node.config.stash.get(_LEFT_OUT, 0), left_out)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    left_out = config.stash.get(_LEFT_OUT, 0)
    if left_out:
        terminalreporter.write_line(f"{SKIP_REASON} ({left_out} tests)")


_LEFT_OUT = pytest.StashKey[int]()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Started on first use, stopped at the end of the session, also when tests fail."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        skip_or_fail_without_postgres()
    assert bin_dir is not None
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of a fresh, empty database of this test's own."""
    return postgres_cluster.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store's contract on both backends: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "state.sqlite3")


@pytest.fixture
def any_store(store_location: str) -> Iterator[Store]:
    store = open_store(store_location)
    yield store
    store.close()
