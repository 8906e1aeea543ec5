"""A small uvicorn server of its own for the ops routes, on a background thread of `housebot run`.

When the staff web console runs in the same process, its app mounts `ops_routes` instead. The
server reads the state through its own read-only connection, so a scrape never shares the
service's transaction.
"""

from __future__ import annotations

import os
import socket
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
        # log_config=None: uvicorn's lines go through housebot's own handler (scrubbed, JSON if asked)
        config = uvicorn.Config(Starlette(routes=list(routes)), host=host, port=port, log_config=None,
                                log_level="warning", access_log=False, lifespan="off", server_header=False)
        self._server = uvicorn.Server(config)
        self.host, self.port = host, port
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Listen, and return the address (the port the OS chose when 0 was asked). The socket is
        bound here, so a port in use is an OSError naming the address, not a line from uvicorn."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            listener = socket.create_server((self.host, self.port), family=family)
        except OSError as problem:
            raise OSError(f"cannot listen on {self.host}:{self.port} ({os.strerror(problem.errno) if problem.errno else problem})") from None
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [listener]}, name="housebot-ops",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                listener.close()
                raise OSError(f"cannot serve on {self.host}:{self.port}")
            time.sleep(0.02)
        port = listener.getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
