"""The one small interface every platform implements; what each declares it can do is
`bot.model.Capabilities` (re-exported here), so the pure core needs no adapter import.

The service imports only this module and the registry in `adapters/__init__.py`. An adapter
translates between a client library and the plain values of `bot.model`; it knows nothing of
house rules. Failures are reported with the exceptions below so the service can back off, pause
an account or fall back to another action without knowing which library raised.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from bot.model import Author, Capabilities, Channel, Follower, Inbound, Platform  # noqa: F401 - Capabilities is re-exported for adapters


@dataclass(frozen=True, slots=True)
class Unreadable:
    """One item of a page that could not be read (a field missing or garbled).

    It is kept raw for staff and never retried, so one bad item cannot hold up the rest of its
    page, its stream or the account.
    """

    native_id: str  # as the platform sent it, "" when it sent none
    raw: str  # the item's JSON, exactly as received
    reason: str


@dataclass(frozen=True, slots=True)
class FetchResult:
    """New items of one stream, oldest first, the cursor to pass next time, and any unreadable items."""

    items: tuple[Inbound, ...]
    cursor: str | None
    unreadable: tuple[Unreadable, ...] = ()


# What translating one malformed item raises: a missing key, a null or a number where text was
# documented, an id or a time that does not parse.
ITEM_ERRORS: tuple[type[Exception], ...] = (LookupError, TypeError, ValueError, AttributeError)


def read_item(raw: Any, translate: Callable[[], Inbound], id_key: str = "id") -> Inbound | Unreadable:
    """`translate()` of one raw item, or the item as `Unreadable` if it is not in the documented shape."""
    try:
        return translate()
    except ITEM_ERRORS as error:
        native_id = raw.get(id_key) if isinstance(raw, Mapping) else None
        return Unreadable(str(native_id) if isinstance(native_id, (str, int)) else "",
                          json.dumps(raw, default=str, sort_keys=True), f"{type(error).__name__}: {error}")


@dataclass(frozen=True, slots=True)
class AccountCheck:
    """The result of asking the platform who we are and what we may do."""

    ok: bool
    identity: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RateBudget:
    """A stream's documented request allowance, from which the polling cadence is derived."""

    requests: int
    per: timedelta


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """What an adapter is built from: the account's settings-file table and its secrets.

    `options` is the account's platform-specific table (page id, notice kind, `api_base_url` to
    reach a gateway or a test server); `secrets` holds only the environment variables named in the
    adapter module's `REQUIRED_ENV` / `OPTIONAL_ENV`, already read from `.env` under the account's
    `env_prefix` (so `LEEDS_X_API_KEY` arrives as `API_KEY`); `state_dir` is where the adapter may
    keep files such as a saved login session.
    """

    name: str
    platform: Platform
    handle: str
    options: Mapping[str, object] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    state_dir: Path = Path(".")
    official_handles: frozenset[str] = frozenset()
    settings_file: Path = Path("settings file")  # where the account is configured, for error messages
    settings_key: str = "accounts"  # its key there, e.g. "accounts[2]"


class PlatformError(Exception):
    """Base of every failure an adapter reports."""


class RateLimited(PlatformError):
    """The platform said 'too many requests'; nothing more may be asked until `reset_at`."""

    def __init__(self, reset_at: datetime, detail: str = "") -> None:
        self.reset_at = reset_at
        super().__init__(detail or f"rate limited until {reset_at.isoformat()}")


class PlatformUnavailable(PlatformError):
    """A 5xx, a timeout, a dropped connection or an unreadable answer: try again later.

    `maybe_sent` is true when the request may have reached the platform before it failed (a
    timeout after sending): the service then checks before it would send the same thing again.
    """

    def __init__(self, detail: str = "", *, maybe_sent: bool = False) -> None:
        self.maybe_sent = maybe_sent
        super().__init__(detail)


class AuthFailed(PlatformError):
    """The credentials were refused or have expired: pause the account and tell staff."""


class ActionRefused(PlatformError):
    """The platform will not do this one action (e.g. hide on someone else's thread)."""


class Adapter(ABC):
    """One configured account on one platform.

    `streams` names what `fetch` can read (for example "mentions" and "direct_messages"). Every method that
    acts returns the platform's id for what it created or changed, so the store can record it.
    """

    platform: Platform
    account: str
    capabilities: Capabilities
    streams: tuple[str, ...]
    rate_budgets: Mapping[str, RateBudget] = MappingProxyType({})

    @abstractmethod
    def check(self) -> AccountCheck:
        """Confirm identity and permissions with one cheap call."""

    @abstractmethod
    def own_ids(self) -> frozenset[str]:
        """The author ids that are this account itself (for the loop guard)."""

    @abstractmethod
    def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Items of `stream` newer than `cursor`, oldest first."""

    @abstractmethod
    def reply(self, inbound: Inbound, text: str, channel: Channel) -> str:
        """Answer `inbound` in public (under it) or in private (a DM to its author)."""

    def find_own_reply(self, inbound: Inbound, channel: Channel) -> str | None:
        """The id of a reply this account already made to `inbound` in `channel`, if the platform can say.

        It looks where a reply in that channel goes (a private reply to a comment: the DM thread).
        Used after a crash between sending a reply and recording it, so it is never sent twice, and
        on a new state, so history is not answered again. Adapters that can answer set
        `Capabilities.can_find_own_reply`.
        """
        return None

    @abstractmethod
    def hide(self, inbound: Inbound) -> str: ...

    @abstractmethod
    def unhide(self, inbound: Inbound) -> str: ...

    @abstractmethod
    def delete(self, inbound: Inbound) -> str: ...

    @abstractmethod
    def block(self, author: Author) -> str: ...

    @abstractmethod
    def unblock(self, author: Author) -> str: ...

    def mute(self, author: Author) -> str:
        raise ActionRefused(f"{self.platform.value} cannot mute")

    def unmute(self, author: Author) -> str:
        raise ActionRefused(f"{self.platform.value} cannot unmute")
    def follow(self, author: Author) -> str:
        """Follow `author`; following someone already followed is not an error (the call is safe to repeat)."""
        raise ActionRefused(f"{self.platform.value} cannot follow anyone")

    def unfollow(self, author: Author) -> str:
        """Stop following `author`; safe to repeat, like `follow`."""
        raise ActionRefused(f"{self.platform.value} cannot unfollow anyone")

    def followers(self) -> tuple[Follower, ...]:
        """The newest page of the account's followers, newest first. Adapters that can answer set
        `Capabilities.can_read_followers`; one that may not (an access tier, a permission) raises
        `ActionRefused` with one line saying why, which the service shows as the follow state."""
        raise ActionRefused(f"{self.platform.value} cannot list the account's followers")

    @abstractmethod
    def post_notice(self, text: str) -> str:
        """Publish an account-wide notice (the 'offline' message) and return its id."""

    def find_notice(self, text: str, since: datetime | None = None) -> str | None:
        """The id of our notice with exactly this text if it is up, else None; after a crash between
        posting it and recording its id, so it is neither posted twice nor left up after reopening
        (the adapter remembers it for `clear_notice`). `since` is when the notice was planned: an
        identical notice of an earlier closing, still up where notices stay, does not count.
        Adapters that can answer set `Capabilities.can_find_notice`."""
        return None

    def clear_notice(self) -> str | None:
        """Undo a notice that replaced something (Instagram's biography) when monitoring resumes.

        Returns the platform's id for the change, or None when there was nothing to undo.
        """
        return None

    def close(self) -> None:
        """Release connections; called once when the service stops."""
