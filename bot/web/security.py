"""The console's walls (OWASP ASVS level 1): sessions that expire, CSRF refusal, login throttling,
security headers, and who a request is.

The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure over HTTPS); it holds
the staff name, a CSRF token and when the session started and was last used, so idle and absolute
expiry are checked on every request against the injected clock. A form POST passes only with the
session's token, and a browser's own headers (`Sec-Fetch-Site`, `Origin`) must not say another
site sent it. A reverse proxy's single sign-on header is believed only from the configured proxies.
"""

from __future__ import annotations

import hmac
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Mapping, MutableMapping
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.store import Store
from bot.web.config import ConsoleSettings
from bot.web.users import StaffUser, find_user

Clock = Callable[[], datetime]
THROTTLE_FAILURES = 5  # wrong passwords in the window before sign-in is refused for a while
THROTTLE_WINDOW = timedelta(minutes=15)

CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",  # an acknowledge link carries its signature in the query
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds the security headers to every answer, and `no-store` to every page (they hold private data)."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if self.https:
                    headers["strict-transport-security"] = "max-age=31536000"
                if not scope["path"].startswith("/static/"):
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(session: MutableMapping[str, object]) -> str:
    """The session's CSRF token, made on first use (the sign-in form has one before anyone signs in)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def cross_site_refusal(headers: Mapping[str, str], session: Mapping[str, object], sent_token: object,
                       own_origin: str) -> str | None:
    """Why a state-changing request must be refused, or None. The token is the first wall; the
    browser's own headers are the second (a browser says when another site sent the request)."""
    token = session.get("csrf")
    if not isinstance(token, str) or not isinstance(sent_token, str) or not hmac.compare_digest(token, sent_token):
        return "the form's security token is missing or out of date: go back, reload the page and try again"
    fetch_site = headers.get("sec-fetch-site", "")
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return "the request came from another site"
    origin = headers.get("origin", "")
    if origin and origin != "null" and _origin(origin) != _origin(own_origin):
        return "the request came from another site"
    return None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


@dataclass
class LoginThrottle:
    """Refuses sign-in for a name or an address after THROTTLE_FAILURES wrong passwords in
    THROTTLE_WINDOW (ASVS 2.2.1), so passwords cannot be guessed at speed. In memory: a restart
    forgets, which still leaves a guesser a handful of tries per window."""

    failures: dict[str, deque[datetime]] = field(default_factory=dict)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self.failures.setdefault(key, deque())
        while times and now - times[0] > THROTTLE_WINDOW:
            times.popleft()
        return times

    def refused_until(self, keys: tuple[str, ...], now: datetime) -> datetime | None:
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= THROTTLE_FAILURES:
                return times[0] + THROTTLE_WINDOW
        return None

    def failed(self, keys: tuple[str, ...], now: datetime) -> None:
        for key in keys:
            self._recent(key, now).append(now)

    def succeeded(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            self.failures.pop(key, None)


def start_session(session: MutableMapping[str, object], user: StaffUser, now: datetime) -> None:
    """A new session for a signed-in person: a fresh CSRF token, so nothing from before carries over."""
    session.clear()
    session.update({"user": user.name, "started": now.timestamp(), "seen": now.timestamp(),
                    "csrf": secrets.token_urlsafe(32)})


def session_user(session: MutableMapping[str, object], headers: Mapping[str, str], client: str, store: Store,
                 settings: ConsoleSettings, now: datetime) -> StaffUser | None:
    """Who is asking: the proxy's SSO header (from a trusted proxy only), else an unexpired session."""
    if settings.sso_header and client in settings.sso_proxies:
        name = headers.get(settings.sso_header.lower(), "").strip().lower()
        if name:
            user = find_user(store, name)
            if user is not None and session.get("user") != user.name:
                start_session(session, user, now)
            return user
    name, started, seen = session.get("user"), session.get("started"), session.get("seen")
    if not isinstance(name, str) or not isinstance(started, float) or not isinstance(seen, float):
        return None
    moment = now.timestamp()
    if moment - seen > settings.idle_timeout.total_seconds() or moment - started > settings.session_lifetime.total_seconds():
        session.clear()
        session["expired"] = True
        return None
    user = find_user(store, name)
    if user is None:  # switched off or removed since signing in
        session.clear()
        return None
    session["seen"] = moment
    return user
