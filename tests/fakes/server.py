"""A small HTTP server on 127.0.0.1 that each fake platform builds on.

A fake registers routes (method + path pattern -> handler returning a `Reply`), keeps its own
platform state, and can be told to misbehave for the next matching requests: a status with
headers (429 with reset headers, 500, 503, 401), a body that is not JSON, a delay longer than
the client's timeout, or an answer held open until the test lets it go (a slow platform). Every
request is logged so tests can check what the library really sent.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping, Self
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    params: Mapping[str, str] = field(default_factory=dict)  # named groups of the route pattern

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    def form(self) -> dict[str, str]:
        """Form-encoded body (what python-facebook-api and instagrapi often send)."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str -> sent as is
    headers: Mapping[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body if self.body is not None else {}).encode(), "application/json; charset=utf-8"


@dataclass
class Fault:
    """Misbehaviour for the next `times` requests whose path matches `path_pattern`."""

    path_pattern: str
    reply: Reply | None = None
    delay_seconds: float = 0.0
    times: int = 1
    method: str | None = None
    gate: threading.Event | None = None  # the answer waits until the test sets this (at most GATE_LIMIT_SECONDS)


GATE_LIMIT_SECONDS = 20.0  # a test that never opens its gate still ends


# A malformed item, as a platform sometimes sends one: each fake item has a `served` mapping of
# fields to send instead of its real ones, where DROP leaves a field out.
DROP = object()


def as_served(item: dict[str, Any], served: Mapping[str, Any]) -> dict[str, Any]:
    """The item's JSON with `served` applied (DROP removes a field)."""
    out = {**item, **served}
    return {key: value for key, value in out.items() if value is not DROP}


Handler = Callable[[Request], Reply]


class FakeServer:
    """Routes, faults and a request log behind a real socket on 127.0.0.1."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self.requests: list[Request] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up -------------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """`pattern` is a regex matched against the whole path, e.g. r"/2/users/(?P<id>\\d+)/mentions"."""
        self._routes.append((method.upper(), re.compile(pattern + r"\Z"), handler))

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Forget pending faults and the request log (platform state is the fake's own)."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeServer":
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # keep-alive answers would otherwise wait ~40 ms each

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                request = Request(self.command, parts.path, query, dict(self.headers.items()), body)
                reply = server._dispatch(request)
                payload, content_type = reply.encoded()
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # -- serving ------------------------------------------------------------------------------
    def _take_fault(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method and fault.method.upper() != request.method:
                    continue
                if re.search(fault.path_pattern, request.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
        fault = self._take_fault(request)
        if fault is not None:
            if fault.delay_seconds:
                time.sleep(fault.delay_seconds)
            if fault.gate is not None:
                fault.gate.wait(GATE_LIMIT_SECONDS)
            if fault.reply is not None:
                return fault.reply
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if method == request.method and match:
                with self._lock:
                    return handler(
                        Request(request.method, request.path, request.query, request.headers,
                                request.body, match.groupdict())
                    )
        return Reply(404, {"error": f"no route for {request.method} {request.path}"})


class FakePlatform:
    """A fake platform: its own state and routes on one FakeServer (set `self.server` in __init__)."""

    server: FakeServer

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url
