"""`/healthz`, `/readyz` and `/metrics`: a self-contained list of Starlette routes.

They are served by a small server of their own (`bot.ops.server`) and can be mounted as they are
into the staff web console's app. `/healthz` touches nothing (the process answers); `/readyz` checks
the state file and that every open account was read within its expected interval, naming any that
is paused or late; `/metrics` is Prometheus text. The endpoints are async so that every read of
the (read-only) store happens on the server's one event-loop thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.hours import is_open, open_periods
from bot.ops.metrics import Metrics, StoreGauges
from bot.settings import AccountSettings, Settings
from bot.store import SCHEMA_VERSION, Store

Clock = Callable[[], datetime]
# A read is late only after two intervals and this much more: the scheduler's runs drift, a pass takes time.
LATE_SLACK = timedelta(seconds=30)


def ops_routes(store: Store, settings: Settings, clock: Clock, metrics: Metrics,
               intervals: Mapping[str, timedelta]) -> list[Route]:
    """The three routes; `intervals` is how often each open account is read (the service knows)."""
    gauges = CollectorRegistry()
    gauges.register(StoreGauges(store, [a.name for a in settings.accounts], clock))

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        report = readiness(store, settings, clock(), metrics, intervals)
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    async def metrics_page(request: Request) -> Response:
        return Response(generate_latest(metrics.registry) + generate_latest(gauges), media_type=CONTENT_TYPE_LATEST)

    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics_page)]


def readiness(store: Store, settings: Settings, now: datetime, metrics: Metrics,
              intervals: Mapping[str, timedelta]) -> dict[str, object]:
    """Ready when the state file answers at the schema this housebot writes and no account is
    paused or late. Paused accounts are named, not their reason (a platform's words)."""
    try:
        version = store.schema_version
        state = "ok" if version == SCHEMA_VERSION else f"schema {version}, expected {SCHEMA_VERSION}"
    except Exception as problem:  # the answer must say what failed, not fail itself
        state = f"cannot be read: {problem.__class__.__name__}"
    accounts: dict[str, dict[str, object]] = {}
    paused = {row["account"]: row["paused_at"] for row in
              store.read("SELECT account, paused_at FROM accounts WHERE paused_reason IS NOT NULL")} if state == "ok" else {}
    for account in settings.accounts:
        last = metrics.last_read.get(account.name)
        entry: dict[str, object] = {"last_read": last.isoformat() if last else None}
        open_now = is_open(account.hours, now)
        if account.name in paused:
            entry.update(state="paused", paused_at=paused[account.name])
        elif not open_now and not account.safety_screen:
            entry.update(state="closed")
        else:
            every = intervals[account.name] if open_now else timedelta(seconds=settings.bot.closed_poll_seconds)
            since = max(moment for moment in (last, metrics.started_at, _opened_at(account, now) if open_now else None)
                        if moment is not None)
            late = now - since > 2 * every + LATE_SLACK
            entry.update(state="late" if late else ("open" if open_now else "closed, safety screen"),
                         expected_every_seconds=every.total_seconds())
        accounts[account.name] = entry
    ready = state == "ok" and all(entry["state"] not in ("paused", "late") for entry in accounts.values())
    return {"ready": ready, "store": state, "accounts": accounts,
            "paused": sorted(name for name, entry in accounts.items() if entry["state"] == "paused"),
            "late": sorted(name for name, entry in accounts.items() if entry["state"] == "late")}


def _opened_at(account: AccountSettings, now: datetime) -> datetime | None:
    """When the current open period began: an account that has just opened is not late yet."""
    periods = open_periods(account.hours, now - timedelta(days=8), now + timedelta(seconds=1))
    started = [start for start, _ in periods if start <= now]
    return started[-1] if started else None
