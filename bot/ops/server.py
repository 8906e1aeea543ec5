"""A small uvicorn server of its own for the ops routes, on a background thread of `housebot run`.

When the staff web console runs in the same process, its app mounts `ops_routes` instead. The
server reads the state through its own read-only connection, so a scrape never shares the
service's transaction.
"""

from __future__ import annotations

import threading
import time
from typing import Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute

START_TIMEOUT_SECONDS = 10.0


class OpsServer:
    """Serve routes on host:port until `stop`; `start` returns once it listens, or raises OSError."""

    def __init__(self, routes: Sequence[BaseRoute], host: str, port: int) -> None:
        config = uvicorn.Config(Starlette(routes=list(routes)), host=host, port=port, log_level="warning",
                                access_log=False, lifespan="off", server_header=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="housebot-ops", daemon=True)
        self.host = host

    def start(self) -> str:
        """Listen, and return the address (the port the OS chose when 0 was asked)."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"cannot listen on {self.host}:{self._server.config.port}")
            time.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
