"""The staff web console: server-rendered pages over the state database, for comms staff.

`create_app` builds a Starlette app from the settings, its own store connection and a clock (tests
pass theirs). Every page checks who is asking first: viewers read, moderators act, admins also
manage staff accounts. Templates autoescape everything; user text never reaches a page unescaped.
Staff actions are planned in the store (`bot.staff`) and carried out by the running service.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.alerts.content import verify_acknowledge
from bot.hours import describe, is_open, next_close, next_open
from bot.leases import account_holders
from bot.model import ActionKind, Category, Channel, Platform
from bot.pipeline import Engine, handle_text, text_context
from bot.settings import Settings
from bot.store import Store
from bot import staff
from bot.web import reads
from bot.web.actions import FormTools, staff_routes
from bot.web.config import ConsoleSettings
from bot.web.security import (LoginThrottle, SecurityHeaders, cross_site_refusal, csrf_token, session_user,
                              start_session)
from bot.web.users import Role, StaffUser, UserError, add_user, list_users, set_role, verify_login

HERE = Path(__file__).parent
Clock = Callable[[], datetime]
OUTCOMES = ("pending", "held", "handled", "dry run")


@dataclass(frozen=True, slots=True)
class LiveAccount:
    """What the running service knows of an account that the store does not keep (its back-off)."""

    last_read: datetime | None
    failures: int
    breaker_open: bool
    waiting_until: datetime | None


class Forbidden(HTTPException):
    def __init__(self, why: str) -> None:
        super().__init__(403, why)


def _safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a leading ' stops a formula (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def _highlight(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """The text cut into (piece, label) parts, label "" outside every span; overlaps join the first."""
    parts: list[tuple[str, str]] = []
    at = 0
    for start, end, label in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            parts.append((text[at:start], ""))
        parts.append((text[start:end], label))
        at = end
    if at < len(text):
        parts.append((text[at:], ""))
    return parts


def create_app(settings: Settings, store: Store, *, clock: Clock, engine: Engine | None = None,
               live: Callable[[], Mapping[str, LiveAccount]] | None = None) -> Starlette:
    """The console. `store` is the console's own connection (the service keeps its own);
    `live` reports the running service's back-off per account when the console runs inside it."""
    config: ConsoleSettings = settings.console or ConsoleSettings()
    zone = settings.organisation.timezone
    throttle = LoginThrottle()
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                                   undefined=jinja2.StrictUndefined)

    def local(moment: datetime | None, style: str = "%a %d %b %Y %H:%M %Z") -> str:
        return moment.astimezone(zone).strftime(style) if moment else ""

    def duration(value: timedelta | float | None) -> str:
        if value is None:
            return "none yet"
        minutes = value.total_seconds() / 60 if isinstance(value, timedelta) else value
        if minutes < 1:
            return "under a minute"
        if minutes < 120:
            return f"{minutes:.0f} min"
        if minutes < 48 * 60:
            return f"{minutes / 60:.1f} hours"
        return f"{minutes / 1440:.1f} days"

    templates.filters.update(local=local, duration=duration)

    def render(request: Request, template: str, user: StaffUser | None, status_code: int = 200, **context: Any) -> HTMLResponse:
        flashes = request.session.pop("flash", []) if template != "rows.html" else []
        page = templates.get_template(template).render(
            request=request, user=user, csrf=csrf_token(request.session), flashes=flashes, zone=zone,
            now=clock(), organisation=settings.organisation.name, path=request.url.path, **context)
        return HTMLResponse(page, status_code=status_code)

    def flash(request: Request, text: str, kind: str = "success") -> None:
        request.session["flash"] = [*request.session.get("flash", []), [kind, text]]

    def who(request: Request) -> StaffUser | None:
        client = request.client.host if request.client else ""
        return session_user(request.session, request.headers, client, store, config, clock())

    def signed_in(request: Request) -> StaffUser:
        user = who(request)
        if user is None:
            raise HTTPException(303, headers={"location": "/login?" + urlencode({"next": request.url.path})})
        return user

    async def checked_form(request: Request) -> Mapping[str, str]:
        """The posted form, once its CSRF token and the browser's headers are checked (403 otherwise)."""
        form = await request.form()
        refusal = cross_site_refusal(request.headers, request.session, form.get("csrf_token"), config.url
                                     if config.public_url else str(request.base_url))
        if refusal:
            raise Forbidden(refusal)
        return {key: value for key, value in form.items() if isinstance(value, str)}

    def acting(request: Request) -> StaffUser:
        user = signed_in(request)
        if not user.can_act:
            raise Forbidden("viewers can read but not act: ask a moderator")
        return user

    # -- signing in and out ---------------------------------------------------------------------------
    async def login_page(request: Request) -> Response:
        if who(request) is not None:
            return RedirectResponse("/inbox", 303)
        expired = request.session.pop("expired", False)
        return render(request, "login.html", None, error="", expired=expired, name="",
                      next_path=request.query_params.get("next", "/inbox"))

    async def login(request: Request) -> Response:
        form = await checked_form(request)
        name = form.get("name", "").strip().lower()[:64]
        client = request.client.host if request.client else ""
        keys = (f"name:{name}", f"address:{client}")
        now = clock()
        next_path = form.get("next", "/inbox")
        if not next_path.startswith("/") or next_path.startswith("//"):
            next_path = "/inbox"  # never an open redirect
        until = throttle.refused_until(keys, now)
        if until is not None:
            return render(request, "login.html", None, 429, name=name, next_path=next_path, expired=False,
                          error=f"Too many wrong passwords. Try again after {local(until, '%H:%M %Z')}.")
        user = verify_login(store, name, form.get("password", ""))
        if user is None:
            throttle.failed(keys, now)
            return render(request, "login.html", None, 401, name=name, next_path=next_path, expired=False,
                          error="The name or the password is not right.")
        throttle.succeeded(keys)
        start_session(request.session, user, now)
        return RedirectResponse(next_path, 303)

    async def logout(request: Request) -> Response:
        await checked_form(request)
        request.session.clear()
        return RedirectResponse("/login", 303)

    # -- reading ----------------------------------------------------------------------------------------
    def filters_from(request: Request) -> reads.InboxFilters:
        query = request.query_params
        day = query.get("day", "")
        try:
            date.fromisoformat(day) if day else None
        except ValueError:
            day = ""
        return reads.InboxFilters(
            account=query.get("account", ""), platform=query.get("platform", ""), channel=query.get("channel", ""),
            category=query.get("category", ""), action=query.get("action", ""),
            outcome=query.get("outcome", "") if query.get("outcome", "") in OUTCOMES else "",
            waiting=query.get("waiting", "") == "1", day=day, search=query.get("q", "").strip()[:200])

    def inbox_context(request: Request) -> dict[str, Any]:
        filters = filters_from(request)
        return {"rows": reads.inbox(store, filters, zone), "filters": filters,
                "query": urlencode({k: v for k, v in request.query_params.items()})}

    async def home(request: Request) -> Response:
        signed_in(request)
        return RedirectResponse("/inbox", 303)

    async def inbox_page(request: Request) -> Response:
        user = signed_in(request)
        return render(request, "inbox.html", user, pinned=reads.pinned(store, clock()),
                      accounts=[a.name for a in settings.accounts], platforms=[p.value for p in Platform],
                      channels=[c.value for c in Channel], categories=[c.value for c in Category],
                      kinds=[k.value for k in ActionKind], outcomes=OUTCOMES, **inbox_context(request))

    async def inbox_rows(request: Request) -> Response:
        user = signed_in(request)
        return render(request, "rows.html", user, **inbox_context(request))

    async def inbox_csv(request: Request) -> Response:
        """The filtered inbox as CSV (text redacted), every cell safe to open in a spreadsheet."""
        signed_in(request)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["time", "account", "platform", "channel", "author", "category", "rule", "actions", "outcome",
                         "text"])
        for row in reads.inbox(store, filters_from(request), zone, limit=10_000):
            writer.writerow([_safe_cell(v) for v in (local(row.at, "%Y-%m-%d %H:%M:%S %Z"), row.account, row.platform,
                                                     row.channel, row.author, row.category, row.rule, row.did,
                                                     row.outcome, row.text)])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="housebot-inbox.csv"'})

    async def message_page(request: Request) -> Response:
        user = signed_in(request)
        view = reads.message(store, int(request.path_params["inbound_id"]))
        if view is None:
            raise HTTPException(404, "No such message.")
        shown = view.full_text if user.can_act and view.full_text is not None else view.row.text
        findings = []
        if engine is not None:
            capabilities = staff.capabilities_for(Platform(view.row.platform))
            decision = handle_text(shown, engine, text_context(clock(), capabilities), channel=Channel(view.row.channel))
            findings = [f for f in decision.findings if f.check != "platform.capability"]
        spans = [(s.start, s.end, s.label) for f in findings for s in f.spans]
        platform = Platform(view.row.platform)
        return render(request, "message.html", user, view=view, shown=shown, full=shown is view.full_text,
                      parts=_highlight(shown, spans), findings=findings,
                      take_downs=[(kind.value, staff.cannot(platform, kind)) for kind in staff.TAKE_DOWNS],
                      follows=[(kind.value, staff.cannot(platform, kind)) for kind in staff.FOLLOWS],
                      appeals=staff.appeals(store, inbound_id=view.row.id))

    async def queue_page(request: Request) -> Response:
        user = signed_in(request)
        rows = reads.review_queue(store, clock(), config.urgent_review_target, config.review_target)
        blocks = {p.value: (staff.cannot(p, ActionKind.BLOCK), staff.cannot(p, ActionKind.MUTE)) for p in Platform}
        return render(request, "queue.html", user, rows=rows, blocks=blocks, assigned=staff.assignments(store),
                      teammates=[u.name for u in list_users(store) if u.can_act and not u.disabled])

    async def undo_page(request: Request) -> Response:
        user = signed_in(request)
        return render(request, "undo.html", user, take_downs=reads.take_downs(store, clock()),
                      strikes=reads.strikes(store), appeals=list(reversed(staff.appeals(store))),
                      undoes={kind.value for kind in staff.UNDOES}, audit=staff.audit_trail(store, limit=30))

    async def alerts_page(request: Request) -> Response:
        user = signed_in(request)
        show_all = request.query_params.get("all") == "1"
        rows = reads.alerts(store, open_only=not show_all)
        teams: dict[str, list[reads.AlertRow]] = {}
        for row in rows:
            teams.setdefault(row.team, []).append(row)
        names = {key: team.name for key, team in settings.teams.items()}
        notes = {row.id: staff.alert_notes(store, row.id) for row in rows}
        return render(request, "alerts.html", user, teams=teams, team_names=names, show_all=show_all, notes=notes)

    async def accounts_page(request: Request) -> Response:
        user = signed_in(request)
        now = clock()
        fetched = reads.last_fetches(store)
        holders = account_holders(store, now)
        known = live() if live is not None else {}
        rows = []
        for account in settings.accounts:
            open_now = is_open(account.hours, now)
            closing = next_close(account.hours, now)
            health = known.get(account.name)
            rows.append({
                "account": account, "open": open_now,
                "next_open": None if open_now else next_open(account.hours, now),
                "next_close": closing,
                "notice": (f"offline notice at {local(closing)}" if closing else "none: open round the clock")
                if open_now else (
                    "back-online notice at the next opening" if account.online_notice else "none until it opens"),
                "last_fetch": (health.last_read if health and health.last_read else fetched.get(account.name)),
                "paused": store.paused_reason(account.name), "health": health,
                "hours": describe(account.hours, now).splitlines(),
                "worker": holders.get(account.name),
            })
        return render(request, "accounts.html", user, rows=rows, live_known=live is not None)

    async def reports_page(request: Request) -> Response:
        user = signed_in(request)
        days = reads.daily_report(store, clock(), zone)
        return render(request, "reports.html", user, days=days, weeks=reads.weekly(days),
                      charts=_charts(days, clock(), zone),
                      categories=[c.value for c in Category])

    async def reports_csv(request: Request) -> Response:
        signed_in(request)
        out = io.StringIO()
        writer = csv.writer(out)
        categories = [c.value for c in Category]
        writer.writerow(["day", "account", "messages", *categories, "hides", "appeals_upheld", "median_minutes_to_first_reply",
                         "median_minutes_to_settle_review"])
        for day in reads.daily_report(store, clock(), zone):
            counts = dict(day.by_category)
            writer.writerow([_safe_cell(v) for v in (day.day.isoformat(), day.account, day.messages,
                                                     *(counts.get(c, 0) for c in categories), day.hides,
                                                     day.appeals_upheld,
                                                     day.first_reply_minutes if day.first_reply_minutes is not None else "",
                                                     day.settle_minutes if day.settle_minutes is not None else "")])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="housebot-report.csv"'})

    # -- alerts: acknowledge from the console or by the signed link in an email ---------------------------
    def link_is_good(request: Request, alert_id: int, expires: str, signature: str) -> bool:
        key = settings.alerts.signing_key if settings.alerts else ""
        return bool(key) and verify_acknowledge(key, alert_id, expires, signature, clock())

    async def acknowledge_link_page(request: Request) -> Response:
        """The page an alert's link opens: it asks before acknowledging (a mail scanner opening the
        link must not acknowledge an urgent alert nobody has read)."""
        alert_id = int(request.path_params["alert_id"])
        expires, signature = request.query_params.get("expires", ""), request.query_params.get("sig", "")
        good = link_is_good(request, alert_id, expires, signature)
        found = [a for a in reads.alerts(store, open_only=False) if a.id == alert_id] if good else []
        return render(request, "acknowledge.html", who(request), 200 if good else 403, good=good,
                      alert=found[0] if found else None, alert_id=alert_id, expires=expires, signature=signature)

    async def acknowledge_by_link(request: Request) -> Response:
        form = await checked_form(request)
        alert_id = int(request.path_params["alert_id"])
        if not link_is_good(request, alert_id, form.get("expires", ""), form.get("sig", "")):
            raise Forbidden("this acknowledge link is not valid or has expired: acknowledge from the console")
        user = who(request)
        by = user.name if user else f"email link ({form.get('name', '').strip()[:60] or 'name not given'})"
        done = store.acknowledge_alert(alert_id, by, clock())
        return render(request, "acknowledged.html", user, alert_id=alert_id, done=done)

    # -- staff accounts (admins) ------------------------------------------------------------------------
    def managing(request: Request) -> StaffUser:
        user = signed_in(request)
        if not user.can_manage:
            raise Forbidden("only admins manage staff accounts")
        return user

    async def users_page(request: Request) -> Response:
        user = managing(request)
        return render(request, "users.html", user, users=list_users(store), roles=[r.value for r in Role], error="")

    async def users_add(request: Request) -> Response:
        form = await checked_form(request)
        user = managing(request)
        try:
            role = Role(form.get("role", ""))
            added = add_user(store, form.get("name", "").strip().lower(), role, form.get("password", ""), clock())
        except (UserError, ValueError) as problem:
            return render(request, "users.html", user, 400, users=list_users(store), roles=[r.value for r in Role],
                          error=str(problem) if isinstance(problem, UserError) else "choose a role")
        flash(request, f"{added.name} can now sign in as a {added.role.value}.")
        return RedirectResponse("/users", 303)

    async def users_change(request: Request) -> Response:
        form = await checked_form(request)
        user = managing(request)
        name = request.path_params["name"]
        if name == user.name:
            raise Forbidden("ask another admin to change your own account")
        try:
            role = Role(form.get("role", ""))
        except ValueError:
            raise HTTPException(400, "choose a role") from None
        if not set_role(store, name, role, form.get("disabled") == "1"):
            raise HTTPException(404, "No such staff account.")
        flash(request, f"{name}: {'switched off' if form.get('disabled') == '1' else role.value}.")
        return RedirectResponse("/users", 303)

    async def error_page(request: Request, problem: Exception) -> Response:
        assert isinstance(problem, HTTPException)
        if problem.status_code in (301, 302, 303, 307):
            return Response(status_code=problem.status_code, headers=problem.headers)
        return render(request, "error.html", None, problem.status_code, status=problem.status_code,
                      detail=problem.detail)

    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/inbox", inbox_page),
        Route("/inbox/rows", inbox_rows),
        Route("/inbox.csv", inbox_csv),
        Route("/messages/{inbound_id:int}", message_page),
        Route("/queue", queue_page),
        Route("/undo", undo_page),
        Route("/alerts", alerts_page),
        Route("/alerts/{alert_id:int}/acknowledge", acknowledge_link_page, methods=["GET"]),
        Route("/alerts/{alert_id:int}/acknowledge", acknowledge_by_link, methods=["POST"]),
        Route("/accounts", accounts_page),
        Route("/reports", reports_page),
        Route("/reports.csv", reports_csv),
        Route("/users", users_page, methods=["GET"]),
        Route("/users", users_add, methods=["POST"]),
        Route("/users/{name}", users_change, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        *staff_routes(store, settings, FormTools(checked_form, acting, flash, clock)),
    ]
    middleware = [
        Middleware(SecurityHeaders, https=config.https),
        Middleware(SessionMiddleware, secret_key=config.secret or secrets.token_urlsafe(32),
                   session_cookie="housebot_session", max_age=int(config.session_lifetime.total_seconds()),
                   same_site="lax", https_only=config.https),
    ]
    return Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: error_page})


# -- charts: plain SVG made on the server (no script, nothing to load) ------------------------------------
CATEGORY_COLOURS = {
    "safeguarding": "#d5281b", "urgent_care": "#ffb81c", "threat": "#7c2855", "abuse": "#330072",
    "oversharing": "#ae2573", "misinformation": "#ed8b00", "spam": "#768692", "complaint": "#005eb8",
    "verification": "#41b6e6", "ordinary": "#009639",
}


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    segments: tuple[tuple[str, int, str], ...]  # name, value, colour
    total: float
    note: str


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    maximum: float
    unit: str


def _charts(days: list[reads.DayReport], now: datetime, zone: Any) -> list[Chart]:
    """Messages per day by category, hides per day, and the median minutes to a first reply and to
    settle a review, over the last 14 local days (all accounts together)."""
    today = now.astimezone(zone).date()
    span = [today - timedelta(days=n) for n in range(13, -1, -1)]
    per_day: dict[date, list[reads.DayReport]] = {d: [] for d in span}
    for row in days:
        per_day.setdefault(row.day, []).append(row)

    def bars(value: Callable[[list[reads.DayReport]], tuple[tuple[str, int, str], ...]], unit: str) -> Chart:
        made = []
        for day in span:
            segments = value(per_day[day])
            total = sum(v for _, v, _ in segments)
            made.append(Bar(day.strftime("%a %d"), segments, total, f"{total:g} {unit}"))
        return Chart("", tuple(made), max([b.total for b in made] + [1]), unit)

    def by_category(rows: list[reads.DayReport]) -> tuple[tuple[str, int, str], ...]:
        counts: dict[str, int] = {}
        for row in rows:
            for category, count in row.by_category:
                counts[category] = counts.get(category, 0) + count
        return tuple((c, counts[c], CATEGORY_COLOURS.get(c, "#425563")) for c in CATEGORY_COLOURS if c in counts)

    def median_of(attribute: str) -> Callable[[list[reads.DayReport]], tuple[tuple[str, int, str], ...]]:
        def value(rows: list[reads.DayReport]) -> tuple[tuple[str, int, str], ...]:
            found = [getattr(r, attribute) for r in rows if getattr(r, attribute) is not None]
            return (("median", round(max(found)), "#005eb8"),) if found else ()
        return value

    return [
        replace(bars(by_category, "messages"), title="Messages per day, by category"),
        replace(bars(lambda rows: (("hidden", sum(r.hides for r in rows), "#7c2855"),
                                   ("appeals upheld", sum(r.appeals_upheld for r in rows), "#ffb81c")) if rows else (),
                     "taken down or upheld"),
                title="Hidden per day (purple), appeals upheld (yellow)"),
        replace(bars(median_of("first_reply_minutes"), "min"), title="Time to first reply (median minutes, slowest account)"),
        replace(bars(median_of("settle_minutes"), "min"), title="Time to settle a review (median minutes, slowest account)"),
    ]
