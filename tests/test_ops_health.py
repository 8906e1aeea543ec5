"""/healthz, /readyz and /metrics: the routes on a sandbox service the test drives in time, the
same routes on a real server on loopback, and a real `housebot run` that prints where they are."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.testclient import TestClient

from adapters.base import RateLimited
from bot.errors import ConfigError
from bot.model import ActionKind, Category
from bot.ops.health import ops_routes
from bot.ops.metrics import ACTION_OUTCOMES, PLATFORM_ERRORS
from bot.ops.server import OpsServer
from bot.service import Service
from bot.settings import Settings
from bot.store import open_store
from tests.helpers import (ALWAYS_OPEN, LONDON, OFFICE_HOURS, REPO, Clock, environment, message, sandbox_service,
                           write_settings)

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=LONDON)
SAID = [("@secret_person", "The MMR vaccine causes autism, everyone knows it"),  # a review for comms
        ("@another_one", "Does the walk-in centre open on Saturday mornings?"),
        ("@third_person", "You lot are useless f***ing idiots, the whole lot of you should be sacked")]


def _client(service: Service, clock: Clock) -> TestClient:
    """The routes over a read-only connection of their own, as the server holds them."""
    reader = open_store(service.settings.state_location, read_only=True)
    intervals = {a.name: service.poll_interval(a) for a in service.settings.accounts}
    return TestClient(Starlette(routes=ops_routes(reader, service.settings, clock, service.metrics, intervals)))


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body) for sample in family.samples}


def test_healthz_answers_without_touching_anything(tmp_path: Path) -> None:
    service, _, _ = sandbox_service(write_settings(tmp_path, ALWAYS_OPEN), Clock(MONDAY_NOON))
    client = _client(service, Clock(MONDAY_NOON))
    service.close()  # even with the state closed under it
    response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")


def _on(tmp_path: Path, store_location: str) -> Settings:
    """The sandbox settings, with the state on PostgreSQL when the location is its URL."""
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    return replace(settings, state_url=store_location) if store_location.startswith("postgresql://") else settings


def test_readyz_is_ready_while_the_open_account_is_read_on_time_and_says_when_it_is_late(tmp_path: Path,
                                                                                         store_location: str) -> None:
    clock = Clock(MONDAY_NOON)
    service, _, _ = sandbox_service(_on(tmp_path, store_location), clock)
    client = _client(service, clock)
    assert client.get("/readyz").json()["ready"] is True  # just started: not late yet
    service.tick()
    clock.advance(seconds=60)
    service.tick()
    response = client.get("/readyz")
    assert response.status_code == 200
    report = response.json()
    assert report["store"] == "ok" and report["paused"] == [] and report["late"] == []
    assert report["accounts"]["demo"]["state"] == "open"
    assert report["accounts"]["demo"]["last_read"] == clock.now.isoformat()

    clock.advance(minutes=3)  # no poll for three intervals: the scheduler has stalled
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["late"] == ["demo"]
    service.close()


def test_readyz_names_a_paused_account_but_not_what_the_platform_said(tmp_path: Path, store_location: str) -> None:
    clock = Clock(MONDAY_NOON)
    service, _, _ = sandbox_service(_on(tmp_path, store_location), clock)
    service.tick()
    service.store.pause("demo", "401 Unauthorized: token abc123secret for @NHSLeedsDemo expired", clock())
    response = _client(service, clock).get("/readyz")
    assert response.status_code == 503
    assert response.json()["paused"] == ["demo"] and response.json()["accounts"]["demo"]["state"] == "paused"
    assert "abc123secret" not in response.text and "Unauthorized" not in response.text
    service.close()


def test_a_closed_account_without_the_safety_screen_is_not_late(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 28, 12, 0, tzinfo=LONDON))  # a Saturday
    settings = write_settings(tmp_path, OFFICE_HOURS.format(safety_screen="false"))
    service, _, _ = sandbox_service(settings, clock)
    service.tick()
    clock.advance(hours=5)
    report = _client(service, clock).get("/readyz").json()
    assert report["ready"] is True and report["accounts"]["demo"]["state"] == "closed"
    service.close()


def test_metrics_count_what_happened_with_labels_that_never_hold_people_or_words(tmp_path: Path,
                                                                                 store_location: str) -> None:
    clock = Clock(MONDAY_NOON)
    service, network, _ = sandbox_service(_on(tmp_path, store_location), clock)
    for number, (handle, text) in enumerate(SAID):
        network.post("demo", message(f"m{number}", text, handle=handle, name="Private Name"))
    service.tick()
    network.fail_next("fetch", RateLimited(clock() + timedelta(seconds=30), "429 for @secret_person"))
    clock.advance(seconds=60)
    service.tick()
    clock.advance(minutes=10)

    response = _client(service, clock).get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    demo = (("account", "demo"),)
    assert samples[("housebot_messages_fetched_total", demo + (("stream", "comments"),))] == 3
    assert samples[("housebot_messages_fetched_total", demo + (("stream", "direct_messages"),))] == 0
    assert samples[("housebot_decisions_total", demo + (("category", "misinformation"),))] == 1
    assert samples[("housebot_decisions_total", demo + (("category", "abuse"),))] == 1
    assert samples[("housebot_actions_total", demo + (("kind", "review"), ("outcome", "waiting")))] == 1
    assert samples[("housebot_actions_total", demo + (("kind", "hide"), ("outcome", "done")))] == 1
    assert samples[("housebot_platform_errors_total", demo + (("kind", "RateLimited"),))] == 1
    assert sum(value for (name, labels), value in samples.items() if name == "housebot_rate_limit_waits_total") == 1
    assert samples[("housebot_poll_duration_seconds_count", demo)] == 2
    assert samples[("housebot_reviews_waiting", demo)] == 1
    assert samples[("housebot_oldest_review_age_seconds", demo)] == 11 * 60
    assert samples[("housebot_account_paused", demo)] == 0
    assert samples[("housebot_alert_outbox_depth", ())] == 0
    assert not [key for key in samples if key[0] == "housebot_account_worker"]  # no worker has run on it
    labels = {value for _, pairs in samples for _, value in pairs}
    assert labels <= {"demo", "comments", "direct_messages"} | _enum_values() | _error_kinds() | _bucket_bounds(samples)
    for trace in ("secret_person", "another_one", "third_person", "Private Name", "MMR", "walk-in", "idiots"):
        assert trace not in response.text
    service.close()


def test_metrics_say_which_worker_holds_each_account(tmp_path: Path) -> None:
    clock = Clock(MONDAY_NOON)
    service, _, _ = sandbox_service(write_settings(tmp_path, ALWAYS_OPEN), clock)
    service.enable_leases("vm-1:101")
    service.balance_leases()
    samples = _samples(_client(service, clock).get("/metrics").text)
    assert samples[("housebot_account_worker", (("account", "demo"), ("worker", "vm-1:101")))] == 1
    clock.advance(minutes=1)  # the worker stopped renewing (it died): nobody holds the account now
    samples = _samples(_client(service, clock).get("/metrics").text)
    assert not [key for key in samples if key[0] == "housebot_account_worker"]
    service.close()


def _enum_values() -> set[str]:
    return {c.value for c in Category} | {k.value for k in ActionKind} | set(ACTION_OUTCOMES)


def _error_kinds() -> set[str]:
    return set(PLATFORM_ERRORS)


def _bucket_bounds(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> set[str]:
    return {value for name, pairs in samples for key, value in pairs if key == "le"}


def test_the_routes_serve_on_a_real_server_of_their_own(tmp_path: Path, store_location: str) -> None:
    clock = Clock(MONDAY_NOON)
    service, _, _ = sandbox_service(_on(tmp_path, store_location), clock)
    service.tick()
    reader = open_store(service.settings.state_location, read_only=True)
    server = OpsServer(ops_routes(reader, service.settings, clock, service.metrics,
                                  {"demo": timedelta(seconds=60)}), "127.0.0.1", 0)
    url = server.start()
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
            assert answer.read() == b"ok\n"
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as answer:
            assert json.loads(answer.read())["ready"] is True
        with urllib.request.urlopen(f"{url}/metrics", timeout=5) as answer:
            assert b"housebot_messages_fetched_total" in answer.read()
    finally:
        server.stop()
        reader.close()
        service.close()


def _env(tmp_path: Path, listen: str) -> dict[str, str]:
    return {**os.environ, **environment(tmp_path, REPO / "config" / "housebot.toml"), "PYTHONPATH": str(REPO),
            "HOUSEBOT_OPS_LISTEN": listen}


def test_housebot_run_prints_where_the_endpoints_are_and_serves_them_until_stopped(tmp_path: Path) -> None:
    (tmp_path / ".env").touch()
    process = subprocess.Popen([sys.executable, "-m", "bot", "--env", str(tmp_path / ".env"), "run"], cwd=tmp_path,
                               env=_env(tmp_path, "127.0.0.1:0"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        where = next(line for line in lines if line.startswith("Health and metrics: "))
        base = where.split()[3].rstrip(",").removesuffix("/healthz")
        assert base.startswith("http://127.0.0.1:")
        for path, expected in (("/healthz", b"ok"), ("/readyz", b'"store":"ok"'), ("/metrics", b"housebot_")):
            with urllib.request.urlopen(base + path, timeout=10) as answer:
                assert expected in answer.read()
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.rstrip().endswith("housebot stopped cleanly.")


def test_an_address_in_use_stops_the_start_with_one_line_naming_the_setting(tmp_path: Path) -> None:
    (tmp_path / ".env").touch()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = subprocess.run([sys.executable, "-m", "bot", "--env", str(tmp_path / ".env"), "run"], cwd=tmp_path,
                                env=_env(tmp_path, f"127.0.0.1:{port}"), capture_output=True, text=True, timeout=60)
    finally:
        taken.close()
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"housebot: {tmp_path / '.env'}: HOUSEBOT_OPS_LISTEN: cannot listen on 127.0.0.1:{port} (Address already in "
        "use): choose another address, or off"]


@pytest.mark.parametrize("value", ["9464", "localhost:http", "127.0.0.1:70000", ":9464"])
def test_a_bad_listen_address_names_the_setting(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        write_settings(tmp_path, ALWAYS_OPEN, {"HOUSEBOT_OPS_LISTEN": value})
    assert raised.value.key == "HOUSEBOT_OPS_LISTEN" and "off" in raised.value.problem


def test_off_turns_the_endpoints_off(tmp_path: Path) -> None:
    assert write_settings(tmp_path, ALWAYS_OPEN, {"HOUSEBOT_OPS_LISTEN": "off"}).ops_address is None
    assert write_settings(tmp_path, ALWAYS_OPEN, {"HOUSEBOT_OPS_LISTEN": "[::1]:9464"}).ops_address == ("::1", 9464)

