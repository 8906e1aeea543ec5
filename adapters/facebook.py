"""A Facebook Page through python-facebook-api (`pyfacebook.GraphAPI`) and the Graph API.

Two streams: "comments" (every comment and reply on the Page's recent posts) and "direct_messages"
(Messenger conversations). The library does the HTTP; this module chooses the calls, turns Graph
JSON into `Inbound` values and Graph errors into the exceptions of `adapters.base`, so the service
can back off, pause the account or fall back without knowing Facebook.

The library is told never to sleep (`sleep_on_rate_limit=False`) and its session never retries:
back-off belongs to the service. pyfacebook reads the body of any answer as JSON whatever its
HTTP status, so a requests response hook turns every 4xx/5xx into a `_GraphFailure` carrying the
status, the Graph error and the headers (the rate-limit reset time lives in a header).

Reading: a stream's cursor is a `Watermark` (newest created_time returned, and the ids returned in
the few minutes before it), so repeating a fetch with the same cursor returns the same items and
nothing between two fetches is skipped. Comments are read only on posts whose `updated_time` (which
a new comment moves) is past the watermark, following `paging.cursors.after` to the end; Messenger
conversations come newest first and are read until one is older than the watermark. With no cursor
at all, only the last `initial_lookback_minutes` are read, so a first start does not flood.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Mapping

import requests
from pyfacebook import FacebookError, GraphAPI, LibraryError
from urllib3.exceptions import NewConnectionError

from adapters.base import (
    AccountCheck,
    AccountConfig,
    ActionRefused,
    Adapter,
    AuthFailed,
    Capabilities,
    FetchResult,
    PlatformError,
    PlatformUnavailable,
    RateBudget,
    RateLimited,
    Unreadable,
    read_item,
)
from bot.errors import ConfigError
from bot.model import ActionKind, Attachment, AttachmentKind, Author, Channel, Inbound, Platform

REQUIRED_ENV: tuple[str, ...] = ("PAGE_ACCESS_TOKEN", "PAGE_ID")
OPTIONAL_ENV: tuple[str, ...] = ("APP_ID", "APP_SECRET")

COMMENTS = "comments"
MESSAGES = "direct_messages"

GRAPH_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
COMMENT_FIELDS = ("id,from,message,created_time,parent,can_hide,can_remove,can_reply_privately,is_hidden,"
                  "permalink_url,attachment")
MESSAGE_FIELDS = "id,from,message,created_time,attachments,sticker"
CONVERSATION_FIELDS = f"participants,updated_time,can_reply,messages{{{MESSAGE_FIELDS}}}"
PAGE_SIZE = 100  # Graph's largest page for posts and comments
NOTICE_CLOCK_SKEW = timedelta(minutes=5)  # Facebook's clock and ours may differ by this much

# Comments can become visible a little after their created_time; each fetch looks this far behind
# its watermark and skips the ids it has already returned, so a late one is still read once.
OVERLAP = timedelta(minutes=5)

# https://developers.facebook.com/docs/graph-api/guides/error-handling: 4 app, 17 user, 32 Page,
# 613 custom and 80001 Pages business-use-case throttling.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
TRANSIENT_CODES = frozenset({1, 2})  # "unknown" and "service temporarily unavailable"
TOKEN_CODES = frozenset({190, 102})  # expired, invalid or revoked access token / session
# When a throttle names no time to regain access, wait this long rather than hammer.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=10)

# What each Page permission is for, in words a comms officer can act on.
PERMISSION_NEEDS: tuple[tuple[str, str], ...] = (
    ("pages_read_engagement", "the Page's posts and comments will not be read"),
    ("pages_read_user_content", "people's comments will not be read"),
    ("pages_manage_engagement", "replies, hide, delete and bans on comments will not work"),
    ("pages_messaging", "Messenger will not be read or answered and private replies will not work"),
    ("pages_manage_posts", "the offline notice cannot be posted"),
)

MESSENGER_WINDOW = timedelta(hours=24)

CAPABILITIES = Capabilities(
    actions=frozenset({ActionKind.REPLY, ActionKind.HIDE, ActionKind.UNHIDE, ActionKind.DELETE,
                       ActionKind.BLOCK, ActionKind.UNBLOCK, ActionKind.POST_NOTICE}),
    # Comment text allows 8000 characters; a Messenger text message 2000.
    max_reply_length={Channel.PUBLIC: 8000, Channel.PRIVATE: 2000},
    hide_own_threads_only=False,  # every comment on the Page's posts can be hidden, unless its can_hide says no
    private_reply_window=MESSENGER_WINDOW,  # Messenger standard messaging: 24 hours after the person's last message
    url_length=None,
    notice_kinds=("post",),
    can_find_own_reply=True,
    can_find_notice=True,
)


def parse_graph_time(value: str) -> datetime:
    """Graph writes `2026-11-24T19:00:00+0000`; every datetime in housebot is aware UTC."""
    return datetime.strptime(value, GRAPH_TIME_FORMAT).astimezone(timezone.utc)


def _time_or_none(item: Mapping[str, Any]) -> datetime | None:
    """An item's created_time for paging decisions; a malformed item is judged later, on its own."""
    try:
        return parse_graph_time(item["created_time"])
    except (KeyError, TypeError, ValueError):
        return None


def _message_text(item: Mapping[str, Any]) -> str:
    """`message` is documented as a string and left out when there are no words; anything else is malformed."""
    text = item.get("message", "")
    if not isinstance(text, str):
        raise TypeError(f"message is {type(text).__name__}, not a string")
    return text


def _required_id(item: Mapping[str, Any]) -> str:
    native_id = item["id"]
    if not isinstance(native_id, str) or not native_id:
        raise ValueError(f"id is not a non-empty string: {native_id!r}")
    return native_id


# A comment's `attachment` (a StoryAttachment) names its kind in `type`.
COMMENT_ATTACHMENT_KINDS: tuple[tuple[str, AttachmentKind], ...] = (
    ("sticker", AttachmentKind.STICKER), ("photo", AttachmentKind.PHOTO), ("video", AttachmentKind.VIDEO),
    ("animated_image", AttachmentKind.VIDEO), ("share", AttachmentKind.LINK))
# A Messenger attachment names its kind by MIME type.
MIME_KINDS: tuple[tuple[str, AttachmentKind], ...] = (
    ("image/", AttachmentKind.PHOTO), ("video/", AttachmentKind.VIDEO), ("audio/", AttachmentKind.AUDIO))


def _comment_attachments(comment: Mapping[str, Any]) -> tuple[Attachment, ...]:
    attachment = comment.get("attachment")
    if attachment is None:
        return ()
    kind_name = str(attachment.get("type") or "")
    kind = next((kind for part, kind in COMMENT_ATTACHMENT_KINDS if part in kind_name), AttachmentKind.OTHER)
    return (Attachment(kind, str(attachment.get("description") or attachment.get("title") or "")),)


def _message_attachments(message: Mapping[str, Any]) -> tuple[Attachment, ...]:
    found = []
    for attachment in (message.get("attachments") or {}).get("data") or []:
        mime = str(attachment.get("mime_type") or "")
        found.append(Attachment(next((kind for prefix, kind in MIME_KINDS if mime.startswith(prefix)),
                                     AttachmentKind.FILE)))
    if message.get("sticker"):
        found.append(Attachment(AttachmentKind.STICKER))
    return tuple(found)


class _GraphFailure(Exception):
    """An HTTP error answer, caught before pyfacebook parses it, with what translation needs."""

    def __init__(self, status: int, error: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        super().__init__(f"HTTP {status}: {error.get('message', '')}")
        self.status = status
        self.error = error
        self.headers = headers


def _raise_for_error_status(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """requests response hook: an HTTP error status becomes `_GraphFailure` (pyfacebook ignores status)."""
    if response.status_code < 400:
        return response
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    raise _GraphFailure(response.status_code, error if isinstance(error, dict) else {}, dict(response.headers))


def rate_limit_reset(headers: Mapping[str, str], now: datetime) -> datetime:
    """When a throttled Page may call again, from Meta's usage headers.

    `X-Business-Use-Case-Usage` (Page tokens) and `X-App-Usage` carry
    `estimated_time_to_regain_access` in minutes; a gateway's 429 may carry `Retry-After` seconds.
    The longest wait named wins; none named means `DEFAULT_RATE_LIMIT_WAIT`.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    waits: list[timedelta] = []
    for name in ("x-business-use-case-usage", "x-app-usage", "x-page-usage"):
        try:
            usage = json.loads(lowered.get(name) or "null")
        except ValueError:
            continue
        entries: list[Any] = []
        if isinstance(usage, dict) and "estimated_time_to_regain_access" in usage:
            entries = [usage]
        elif isinstance(usage, dict):
            entries = [item for items in usage.values() if isinstance(items, list) for item in items]
        for entry in entries:
            minutes = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else None
            if isinstance(minutes, (int, float)):
                waits.append(timedelta(minutes=max(float(minutes), 1.0)))  # 0 while throttled: try in a minute
    retry_after = lowered.get("retry-after", "")
    if retry_after.strip().isdigit():
        waits.append(timedelta(seconds=int(retry_after)))
    return now + (max(waits) if waits else DEFAULT_RATE_LIMIT_WAIT)


def translate_failure(status: int, error: Mapping[str, Any], headers: Mapping[str, str], *,
                      reading: bool, what: str, label: str, now: datetime) -> PlatformError:
    """One Graph error answer -> the `adapters.base` exception the service reacts to.

    A refusal while reading means the account cannot work (AuthFailed: a person must fix the token
    or its permissions); the same refusal on one action only refuses that action.
    """
    code = error.get("code")
    message = str(error.get("message") or "")
    refusal = f"{label}: Facebook would not let the bot {what}: {message or f'HTTP {status}'}" + (
        f" (code {code})" if code else "")
    if status == 429 or code in RATE_LIMIT_CODES:
        reset_at = rate_limit_reset(headers, now)
        return RateLimited(reset_at, f"{label}: Facebook rate limit reached (code {code}); "
                                     f"waiting until {reset_at.isoformat()}")
    if code in TOKEN_CODES or status == 401:
        return AuthFailed(f"{label}: the Page access token was refused ({message or f'HTTP {status}'}); "
                          "make a new Page access token and put it in .env")
    if status >= 500 or code in TRANSIENT_CODES or error.get("is_transient"):
        return PlatformUnavailable(f"{label}: Facebook had a problem while the bot tried to {what} "
                                   f"(HTTP {status}{': ' + message if message else ''})",
                                   maybe_sent=not reading and status >= 500)
    return AuthFailed(refusal) if reading else ActionRefused(refusal)


@dataclass(frozen=True)
class Watermark:
    """A stream's cursor: the newest created_time returned, and the ids returned near it.

    Everything at or after `since - OVERLAP` whose id is not in `seen` is new, so a fetch repeated
    with the same cursor returns the same items and a comment that shows up late is not skipped.
    """

    since: datetime
    seen: Mapping[str, int]  # native id -> created_time as a Unix timestamp

    @property
    def floor(self) -> datetime:
        return self.since - OVERLAP

    def is_new(self, inbound: Inbound) -> bool:
        return inbound.created_at >= self.floor and inbound.native_id not in self.seen

    def advanced(self, items: tuple[Inbound, ...]) -> "Watermark":
        since = max([self.since, *(inbound.created_at for inbound in items)])
        seen = {**self.seen, **{inbound.native_id: int(inbound.created_at.timestamp()) for inbound in items}}
        keep_from = (since - OVERLAP).timestamp()
        return Watermark(since, {native_id: at for native_id, at in seen.items() if at >= keep_from})

    def encode(self) -> str:
        return json.dumps({"since": int(self.since.timestamp()), "seen": self.seen}, sort_keys=True)

    @classmethod
    def decode(cls, cursor: str) -> "Watermark":
        try:
            data = json.loads(cursor)
            return cls(datetime.fromtimestamp(int(data["since"]), timezone.utc),
                       {str(k): int(v) for k, v in dict(data["seen"]).items()})
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a Facebook cursor: {cursor!r}") from error


@dataclass(frozen=True)
class FacebookOptions:
    """The account's Facebook options, checked once when the adapter is built."""

    api_base_url: str | None = None
    graph_version: str | None = None
    timeout_seconds: float = 10.0
    engaged_users: int = 1
    initial_lookback: timedelta = timedelta(minutes=60)
    watch_days: int = 28
    max_posts: int = 100

    KEYS = ("api_base_url", "graph_version", "timeout_seconds", "engaged_users", "initial_lookback_minutes",
            "watch_days", "max_posts")

    @classmethod
    def from_config(cls, config: AccountConfig) -> "FacebookOptions":
        options = config.options
        where = config.settings_file
        for key in options:
            if key not in cls.KEYS:
                raise ConfigError(where, f"{config.settings_key}.options.{key}", f"unknown Facebook option; known: {', '.join(cls.KEYS)}")

        def number(key: str, default: float, kind: type = float) -> Any:
            value = options.get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError(where, f"{config.settings_key}.options.{key}", f"must be a number above 0, not {value!r}")
            if kind is int and value != int(value):
                raise ConfigError(where, f"{config.settings_key}.options.{key}", f"must be a whole number, not {value!r}")
            return kind(value)

        def text(key: str) -> str | None:
            value = options.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(where, f"{config.settings_key}.options.{key}", f"must be a non-empty string, not {value!r}")
            return value

        return cls(
            api_base_url=text("api_base_url"),
            graph_version=text("graph_version"),
            timeout_seconds=number("timeout_seconds", 10.0),
            engaged_users=number("engaged_users", 1, int),
            initial_lookback=timedelta(minutes=number("initial_lookback_minutes", 60, int)),
            watch_days=number("watch_days", 28, int),
            max_posts=number("max_posts", 100, int),
        )


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class GraphCalls(ABC):
    """The Graph API call, read, paging and write steps both Meta adapters (the Facebook Page and
    the official Instagram API) share; each names its platform and translates Graph errors into
    its own words.

    When an action fails after its request may have reached the platform (no answer in time, a
    5xx, an unreadable answer), `PlatformUnavailable.maybe_sent` tells the service to look before
    it sends the same thing again.
    """

    platform_name: str  # "Facebook" or "Instagram", in the words staff read
    label: str
    options: Any  # the adapter's options: `timeout_seconds`
    _api: GraphAPI
    _clock: Callable[[], datetime]

    @abstractmethod
    def _translate(self, status: int, error: Mapping[str, Any], headers: Mapping[str, str], *,
                   reading: bool, what: str) -> PlatformError:
        """One Graph error answer, in this platform's words (see each module's `translate_failure`)."""

    def _call(self, what: str, request: Callable[[], Any], *, reading: bool) -> dict[str, Any]:
        """Run one library call and report any failure as an `adapters.base` exception."""
        name = self.platform_name
        try:
            answer = request()
        except _GraphFailure as failure:
            raise self._translate(failure.status, failure.error, failure.headers, reading=reading,
                                  what=what) from None
        except FacebookError as error:  # an `error` body with a 2xx status
            raise self._translate(200, getattr(error, "_data", {}).get("error", {}), {}, reading=reading,
                                  what=what) from None
        except requests.Timeout as error:
            raise PlatformUnavailable(f"{self.label}: {name} did not answer within "
                                      f"{self.options.timeout_seconds:g}s while trying to {what}",
                                      maybe_sent=not reading and not _never_connected(error)) from None
        except (requests.RequestException, LibraryError, ValueError, KeyError) as error:
            # connection refused or reset, a body that is not JSON, a missing Content-Type
            raise PlatformUnavailable(f"{self.label}: no usable answer from {name} while trying to "
                                      f"{what} ({type(error).__name__})",
                                      maybe_sent=not reading and not _never_connected(error)) from None
        if not isinstance(answer, dict):
            raise PlatformUnavailable(f"{self.label}: {name} sent an unexpected answer while trying to {what}",
                                      maybe_sent=not reading)
        return answer

    def _get(self, object_id: str, connection: str, what: str, **args: Any) -> dict[str, Any]:
        return self._call(what, lambda: self._api.get_connection(object_id, connection, **args), reading=True)

    def _pages(self, object_id: str, connection: str, what: str, **args: Any) -> Iterator[dict[str, Any]]:
        """Every item of a list edge, following `paging.cursors.after` while `paging.next` is given."""
        answer = self._get(object_id, connection, what, **args)
        while True:
            data = answer.get("data")
            if not isinstance(data, list):
                raise PlatformUnavailable(f"{self.label}: {self.platform_name}'s list had no data while trying to {what}")
            yield from data
            after = _next_cursor(answer)
            if after is None:
                return
            answer = self._get(object_id, connection, what, **{**args, "after": after})

    def _post(self, what: str, object_id: str, connection: str | None, data: dict[str, str]) -> dict[str, Any]:
        return self._call(what, lambda: self._api.post_object(object_id, connection, data=data), reading=False)


class FacebookAdapter(GraphCalls, Adapter):
    """One Facebook Page, read and acted on with its Page access token."""

    platform = Platform.FACEBOOK
    platform_name = "Facebook"
    streams = (COMMENTS, MESSAGES)
    capabilities = CAPABILITIES

    def __init__(self, config: AccountConfig, api: GraphAPI, page_id: str, options: FacebookOptions,
                 app_token: str | None = None, clock: Callable[[], datetime] = _utc_now) -> None:
        self.account = config.name
        self.page_id = page_id
        self.options = options
        self.label = f"Facebook page {config.handle or config.name}"
        self._api = api
        self._app_token = app_token
        self._clock = clock
        # https://developers.facebook.com/docs/graph-api/overview/rate-limiting#pages: with a Page
        # token, Pages API calls within 24 hours = 4800 * engaged users. Messenger API calls within
        # 24 hours = 200 * engaged users (developers.facebook.com/docs/messenger-platform/overview/
        # rate-limiting). `engaged_users` defaults to 1, the floor, so the cadence is never too fast.
        day = timedelta(hours=24)
        self.rate_budgets = {COMMENTS: RateBudget(4800 * options.engaged_users, day),
                             MESSAGES: RateBudget(200 * options.engaged_users, day)}

    def _translate(self, status: int, error: Mapping[str, Any], headers: Mapping[str, str], *,
                   reading: bool, what: str) -> PlatformError:
        return translate_failure(status, error, headers, reading=reading, what=what, label=self.label,
                                 now=self._clock())

    # -- reading --------------------------------------------------------------------------------
    def own_ids(self) -> frozenset[str]:
        return frozenset({self.page_id})

    def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """New items of `stream`, oldest first.

        With no cursor (first start, or state lost) only the last `initial_lookback_minutes`
        (default 60) are read, so the bot never answers days-old messages in a flood.
        """
        if stream not in self.streams:
            raise ValueError(f"{self.label}: unknown stream {stream!r}; streams are {', '.join(self.streams)}")
        mark = Watermark.decode(cursor) if cursor else Watermark(self._clock() - self.options.initial_lookback, {})
        read = self._read_comments if stream == COMMENTS else self._read_messages
        with self._readable(f"read {stream}"):
            found = list(read(mark))
        readable = [inbound for inbound in found if isinstance(inbound, Inbound) and mark.is_new(inbound)]
        items = tuple(sorted(readable, key=lambda inbound: (inbound.created_at, inbound.native_id)))
        return FetchResult(items, mark.advanced(items).encode(), tuple(i for i in found if isinstance(i, Unreadable)))

    @contextmanager
    def _readable(self, what: str) -> Iterator[None]:
        """An answer that is JSON but lacks the fields Graph documents is an unreadable answer."""
        try:
            yield
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise PlatformUnavailable(f"{self.label}: Facebook's answer was not in the documented shape "
                                      f"while the bot tried to {what} ({type(error).__name__}: {error})") from None

    def _active_posts(self, floor: datetime) -> list[dict[str, Any]]:
        """The Page's posts of the last `watch_days` that had a comment since `floor`.

        A new comment moves a post's `updated_time`, so quiet posts cost no further call.
        """
        oldest = self._clock() - timedelta(days=self.options.watch_days)
        active: list[dict[str, Any]] = []
        posts = self._pages(self.page_id, "published_posts", "read the Page's posts",
                            fields="id,message,created_time,updated_time", limit=PAGE_SIZE)
        for count, post in enumerate(posts):
            if count >= self.options.max_posts or parse_graph_time(post["created_time"]) < oldest:
                break
            if parse_graph_time(post.get("updated_time") or post["created_time"]) >= floor:
                active.append(post)
        return active

    def _is_own(self, item: Mapping[str, Any]) -> bool:
        """The Page's own replies and answers read back: never inbound."""
        author = item.get("from") if isinstance(item, Mapping) else None
        return isinstance(author, Mapping) and str(author.get("id")) == self.page_id

    def _read_comments(self, mark: Watermark) -> Iterator[Inbound | Unreadable]:
        for post in self._active_posts(mark.floor):
            comments = self._pages(post["id"], "comments", "read comments", fields=COMMENT_FIELDS,
                                   filter="stream", order="chronological",
                                   since=int(mark.floor.timestamp()), limit=PAGE_SIZE)
            for comment in comments:
                if not self._is_own(comment):
                    yield read_item(comment, lambda comment=comment: self._comment_inbound(comment, post))

    def _read_messages(self, mark: Watermark) -> Iterator[Inbound | Unreadable]:
        conversations = self._pages(self.page_id, "conversations", "read Messenger conversations",
                                    platform="messenger", fields=CONVERSATION_FIELDS, limit=25)
        for conversation in conversations:  # newest activity first
            if parse_graph_time(conversation["updated_time"]) < mark.floor:
                return
            yield from self._conversation_inbounds(conversation, mark.floor)

    def _conversation_inbounds(self, conversation: Mapping[str, Any],
                               floor: datetime) -> Iterator[Inbound | Unreadable]:
        """The conversation's messages since `floor`, reading older pages only while needed."""
        nested = conversation.get("messages") or {"data": []}
        messages: list[dict[str, Any]] = list(nested.get("data") or [])
        after = _next_cursor(nested)
        while after is not None and messages and (_time_or_none(messages[-1]) or floor) >= floor:
            older = self._get(conversation["id"], "messages", "read Messenger messages",
                              fields=MESSAGE_FIELDS, limit=25, after=after)
            messages.extend(older.get("data") or [])
            after = _next_cursor(older)
        people = {p.get("id") for p in (conversation.get("participants") or {}).get("data", [])} - {self.page_id}
        heard = [_time_or_none(m) for m in messages if isinstance(m, dict) and (m.get("from") or {}).get("id") in people]
        last_heard = max((moment for moment in heard if moment is not None), default=None)
        for message in messages:
            if self._is_own(message):
                continue
            moment = _time_or_none(message) if isinstance(message, dict) else None
            if moment is None or moment >= floor:  # an unreadable one is set aside, whatever its age
                yield read_item(message, lambda message=message: self._message_inbound(message, conversation,
                                                                                       last_heard))

    def _comment_inbound(self, comment: Mapping[str, Any], post: Mapping[str, Any]) -> Inbound:
        parent = comment.get("parent") or {}
        extras = {key: comment[key] for key in ("can_hide", "can_remove", "can_reply_privately", "is_hidden",
                                                "permalink_url") if key in comment}
        extras["post_message"] = post.get("message", "")
        return Inbound(
            platform=Platform.FACEBOOK,
            account=self.account,
            stream=COMMENTS,
            channel=Channel.PUBLIC,
            native_id=_required_id(comment),
            author=_author(comment.get("from")),
            text=_message_text(comment),
            created_at=parse_graph_time(comment["created_time"]),
            thread_id=str(post["id"]),
            parent_id=str(parent.get("id") or post["id"]),
            in_reply_to_own=True,  # every comment here sits under one of the Page's own posts
            extras=extras,
            attachments=_comment_attachments(comment),
        )

    def _message_inbound(self, message: Mapping[str, Any], conversation: Mapping[str, Any],
                         last_heard: datetime | None) -> Inbound:
        extras: dict[str, object] = {"can_reply": conversation.get("can_reply", True)}
        if last_heard is not None:
            extras["person_last_wrote_at"] = last_heard.isoformat()
        return Inbound(
            platform=Platform.FACEBOOK,
            account=self.account,
            stream=MESSAGES,
            channel=Channel.PRIVATE,
            native_id=_required_id(message),
            author=_author(message.get("from")),
            text=_message_text(message),
            created_at=parse_graph_time(message["created_time"]),
            thread_id=str(conversation["id"]),
            in_reply_to_own=True,  # a Messenger conversation is always with the Page
            extras=extras,
            attachments=_message_attachments(message),
        )

    def find_own_reply(self, inbound: Inbound, channel: Channel) -> str | None:
        """The Page's public reply under a comment, its private reply to it, or its later Messenger answer."""
        with self._readable("look for the Page's reply"):
            return self._own_reply(inbound, channel)

    def _own_reply(self, inbound: Inbound, channel: Channel) -> str | None:
        if inbound.channel is Channel.PRIVATE:
            if channel is Channel.PUBLIC:
                return None  # a Messenger message is never answered in public
            messages = self._pages(inbound.thread_id, "messages", "look for the Page's answer",
                                   fields=MESSAGE_FIELDS, limit=25)
            for message in messages:  # newest first
                sent_at = parse_graph_time(message["created_time"])
                if sent_at < inbound.created_at:
                    return None
                if (message.get("from") or {}).get("id") == self.page_id:
                    return str(message["id"])
            return None
        if channel is Channel.PUBLIC:
            replies = self._pages(inbound.native_id, "comments", "look for the Page's reply",
                                  fields="id,from,created_time", limit=PAGE_SIZE)
            for reply in replies:
                if (reply.get("from") or {}).get("id") == self.page_id:
                    return str(reply["id"])
            return None
        comment = self._call("look for the Page's private reply", lambda: self._api.get_object(
            inbound.native_id, fields="private_reply_conversation"), reading=True)
        conversation = comment.get("private_reply_conversation") or {}
        return str(conversation["id"]) if conversation.get("id") else None

    # -- acting ---------------------------------------------------------------------------------
    def _send(self, what: str, recipient: dict[str, str], text: str, messaging_type: str | None) -> str:
        data = {"recipient": json.dumps(recipient), "message": json.dumps({"text": text})}
        if messaging_type:
            data["messaging_type"] = messaging_type
        answer = self._post(what, self.page_id, "messages", data)
        return str(answer.get("message_id") or "")

    def reply(self, inbound: Inbound, text: str, channel: Channel) -> str:
        limit = self.capabilities.max_reply_length[channel]
        if len(text) > limit:
            raise ActionRefused(f"{self.label}: a {channel.value} reply is limited to {limit} characters, "
                                f"this one has {len(text)}")
        if inbound.channel is Channel.PUBLIC and channel is Channel.PUBLIC:
            return str(self._post("reply to a comment", inbound.native_id, "comments", {"message": text})["id"])
        if inbound.channel is Channel.PUBLIC:
            if inbound.extras.get("can_reply_privately") is False:
                raise ActionRefused(f"{self.label}: Facebook does not allow a private reply to comment "
                                    f"{inbound.native_id} (already answered privately, or too old)")
            return self._send("reply privately to a comment", {"comment_id": inbound.native_id}, text, None)
        if channel is Channel.PUBLIC:
            raise ActionRefused(f"{self.label}: a Messenger message cannot be answered in public")
        if inbound.extras.get("can_reply") is False:
            raise ActionRefused(f"{self.label}: Facebook does not allow the Page to answer this conversation")
        self._require_messenger_window(inbound)
        return self._send("answer on Messenger", {"id": inbound.author.id}, text, "RESPONSE")

    def _require_messenger_window(self, inbound: Inbound) -> None:
        """Refuse before calling: a Page may answer only within 24 hours of the person's last message."""
        last_wrote = inbound.created_at
        noted = inbound.extras.get("person_last_wrote_at")
        if isinstance(noted, str):
            last_wrote = max(last_wrote, datetime.fromisoformat(noted))
        if self._clock() - last_wrote >= MESSENGER_WINDOW:
            raise ActionRefused(f"{self.label}: outside Messenger's 24-hour window (the person last wrote at "
                                f"{last_wrote.isoformat()}); answer by another channel")

    def _set_hidden(self, inbound: Inbound, hidden: bool) -> str:
        verb = "hide" if hidden else "unhide"
        if inbound.channel is not Channel.PUBLIC:
            raise ActionRefused(f"{self.label}: Messenger messages cannot be {verb}den")
        if inbound.extras.get("can_hide") is False:
            raise ActionRefused(f"{self.label}: Facebook does not allow the Page to {verb} comment {inbound.native_id}")
        self._post(f"{verb} a comment", inbound.native_id, None, {"is_hidden": "true" if hidden else "false"})
        return inbound.native_id

    def hide(self, inbound: Inbound) -> str:
        return self._set_hidden(inbound, True)

    def unhide(self, inbound: Inbound) -> str:
        return self._set_hidden(inbound, False)

    def delete(self, inbound: Inbound) -> str:
        if inbound.channel is not Channel.PUBLIC:
            raise ActionRefused(f"{self.label}: Messenger messages cannot be deleted by the Page")
        if inbound.extras.get("can_remove") is False:
            raise ActionRefused(f"{self.label}: Facebook does not allow the Page to delete comment {inbound.native_id}")
        self._call("delete a comment", lambda: self._api.delete_object(inbound.native_id), reading=False)
        return inbound.native_id

    def block(self, author: Author) -> str:
        """Ban the person from the Page (they can no longer comment or message it)."""
        _require_author_id(author, self.label, "ban")
        self._post("ban a person from the Page", self.page_id, "blocked", {"user": json.dumps([author.id])})
        return author.id

    def unblock(self, author: Author) -> str:
        _require_author_id(author, self.label, "unban")
        self._call("unban a person from the Page",
                   lambda: self._api.delete_object(self.page_id, "blocked", args={"user": author.id}), reading=False)
        return author.id

    def post_notice(self, text: str) -> str:
        return str(self._post("post a notice on the Page", self.page_id, "feed", {"message": text})["id"])

    def find_notice(self, text: str, since: datetime | None = None) -> str | None:
        """The Page's own post with exactly the notice's text, made since `since` (less a few minutes
        for the clocks): notices stay on the Page, so yesterday's identical one must not count.
        `published_posts` lists only what the Page itself posted, newest first."""
        floor = since - NOTICE_CLOCK_SKEW if since is not None else None
        with self._readable("look for the offline notice"):
            posts = self._pages(self.page_id, "published_posts", "look for the offline notice",
                                fields="id,message,created_time", limit=PAGE_SIZE)
            for count, post in enumerate(posts):
                if count >= PAGE_SIZE or (floor is not None and parse_graph_time(post["created_time"]) < floor):
                    return None
                if post.get("message") == text:
                    return str(post["id"])
        return None

    # -- checking -------------------------------------------------------------------------------
    def check(self) -> AccountCheck:
        """Who the token is, and which Page permissions it lacks, in words for a comms officer."""
        try:
            me = self._call("say who the token belongs to",
                            lambda: self._api.get_object("me", fields="id,name"), reading=True)
        except PlatformError as error:
            return AccountCheck(False, self.label, (str(error),))
        identity = f"{me.get('name', '')} ({me.get('id', '')})"
        label = f"Facebook page {me.get('name') or self.account}"
        problems: list[str] = []
        if str(me.get("id")) != self.page_id:
            problems.append(f"{label}: the token belongs to {identity}, not to page {self.page_id}; "
                            "make a Page access token for that page")
        try:
            token = self._call("describe the token", lambda: self._api.debug_token(
                self._api.access_token, access_token=self._app_token or self._api.access_token), reading=True)
        except PlatformError as error:
            problems.append(f"{label}: could not read the token's permissions ({error})")
            return AccountCheck(False, identity, tuple(problems))
        problems.extend(self._token_problems(token.get("data") or {}, label))
        return AccountCheck(not problems, identity, tuple(problems))

    def _token_problems(self, data: Mapping[str, Any], label: str) -> list[str]:
        problems: list[str] = []
        if not data.get("is_valid", False):
            return [f"{label}: Facebook says the token is no longer valid; make a new Page access token"]
        if data.get("type") not in (None, "PAGE"):
            problems.append(f"{label}: this is a {data.get('type')} token, not a Page access token; "
                            "replies would come from a person, not the Page")
        granted = set(data.get("scopes") or [])
        for grant in data.get("granular_scopes") or []:  # a grant limited to other Pages does not count
            targets = grant.get("target_ids")
            if targets and self.page_id not in {str(t) for t in targets}:
                granted.discard(grant.get("scope"))
        for permission, consequence in PERMISSION_NEEDS:
            if permission not in granted:
                problems.append(f"{label}: token lacks {permission}; {consequence}")
        expires = data.get("expires_at") or 0
        if expires and datetime.fromtimestamp(expires, timezone.utc) - self._clock() < timedelta(days=7):
            problems.append(f"{label}: the token expires on "
                            f"{datetime.fromtimestamp(expires, timezone.utc):%Y-%m-%d %H:%M} UTC; make a long-lived one")
        return problems

    def close(self) -> None:
        self._api.session.close()


def _never_connected(error: Exception) -> bool:
    """True when the request certainly never reached Facebook (refused, or no connection in time)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def _next_cursor(answer: Mapping[str, Any]) -> str | None:
    paging = answer.get("paging") or {}
    if not paging.get("next"):
        return None
    after = (paging.get("cursors") or {}).get("after")
    return str(after) if after else None


def _author(raw: Mapping[str, Any] | None) -> Author:
    """Graph leaves `from` out for people whose details the Page may not see."""
    raw = raw or {}
    name = str(raw.get("name") or "")
    return Author(id=str(raw.get("id") or ""), handle=name, display_name=name)


def _require_author_id(author: Author, label: str, verb: str) -> None:
    if not author.id:
        raise ActionRefused(f"{label}: Facebook did not say who wrote this, so the Page cannot {verb} them")


def create(config: AccountConfig, clock: Callable[[], datetime] = _utc_now) -> FacebookAdapter:
    """Build the adapter from the account's settings and secrets; nothing is called yet."""
    where = f"account {config.name!r}"
    for key in REQUIRED_ENV:
        if not config.secrets.get(key):
            raise ConfigError(where, key, "is missing: set it in .env under the account's env prefix")
    options = FacebookOptions.from_config(config)
    app_id, app_secret = config.secrets.get("APP_ID"), config.secrets.get("APP_SECRET")
    base_url = options.api_base_url.rstrip("/") + "/" if options.api_base_url else None
    api = GraphAPI(
        app_id=app_id,
        app_secret=app_secret,
        access_token=config.secrets["PAGE_ACCESS_TOKEN"],
        version=options.graph_version,
        sleep_on_rate_limit=False,  # the service owns waiting; the library must never sleep
        base_url=base_url,
        timeout=options.timeout_seconds,  # passed straight to requests, which takes float seconds
    )
    api.session.hooks["response"].append(_raise_for_error_status)
    app_token = f"{app_id}|{app_secret}" if app_id and app_secret else None
    return FacebookAdapter(config, api, str(config.secrets["PAGE_ID"]), options, app_token, clock)
