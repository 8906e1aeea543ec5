"""Send a client library's HTTPS calls to another base URL, without touching the library's code.

tweepy and instagrapi write their hosts into their code. An account's `api_base_url` option (a
corporate gateway, or a fake platform server on 127.0.0.1 in tests and demos) is honoured by
mounting this transport adapter on the library's own `requests.Session` for the real host's
prefix: every request keeps its path and query and goes to the new base instead.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter


class RedirectingAdapter(HTTPAdapter):
    """Rewrites `https://api.example.com/...` to `<base>/...` just before sending."""

    def __init__(self, from_prefix: str, to_base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.from_prefix = from_prefix.rstrip("/")
        self.to_base = to_base.rstrip("/")

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float | None, float | None] | None = None, verify: bool | str = True,
             cert: str | tuple[str, str] | None = None, proxies: dict[str, str] | None = None) -> requests.Response:
        url = request.url or ""
        if url.startswith(self.from_prefix):
            request.url = self.to_base + url[len(self.from_prefix):]
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def redirect_session(session: requests.Session, from_prefix: str, to_base: str) -> None:
    """Route every request `session` makes under `from_prefix` to `to_base`."""
    session.mount(from_prefix, RedirectingAdapter(from_prefix, to_base, max_retries=0))
