"""X (formerly Twitter) through tweepy's API v2 `Client`: mentions and direct messages.

tweepy sends every call through `client.session`, a plain `requests.Session`, to a host written
into its code. This adapter gives it a session that applies our timeout (tweepy passes none),
never lets it sleep on a rate limit (`wait_on_rate_limit=False`: the service owns back-off), and,
when the account sets `api_base_url`, routes the fixed host there with `adapters.transport`.
The client returns raw `requests.Response` objects so ids stay strings and headers stay readable.

Streams
- "mentions": GET /2/users/{id}/mentions with `since_id`; every page after the cursor is read.
- "direct_messages": GET /2/dm_events (newest first, no `since_id`): the cursor is the newest event id seen
  and older events are dropped here. Event ids are snowflakes, so they order by time.
The first fetch of a stream (cursor None) reads only the newest page of `first_fetch_max_results`
items (default 10): a bot started for the first time, or after losing its state, answers the
latest few messages instead of weeks of history.

Messages the account itself wrote (its own replies, the DMs it sent) advance the cursor but are
not returned: they are not inbound.
"""

from __future__ import annotations

from pathlib import Path

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any, Callable, ClassVar, Mapping

import requests
import tweepy
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
from adapters.transport import redirect_session
from bot.errors import ConfigError
from bot.model import ActionKind, Attachment, AttachmentKind, Author, Channel, Follower, Inbound, Platform

# Secrets, named without the account's env_prefix. Either the four OAuth 1.0a values or an OAuth
# 2.0 user access token must be present; the settings check says which are missing, by their real names.
OAUTH1_ENV: tuple[str, ...] = ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
OAUTH2_ENV = "USER_ACCESS_TOKEN"
REQUIRED_ENV: tuple[str, ...] = ()
ENV_ALTERNATIVES: tuple[tuple[str, ...], ...] = (OAUTH1_ENV, (OAUTH2_ENV,))
OPTIONAL_ENV: tuple[str, ...] = (*OAUTH1_ENV, OAUTH2_ENV, "USER_ID")

X_HOST = "https://api.twitter.com"
STREAMS: tuple[str, ...] = ("mentions", "direct_messages")
# The name older settings files use for the direct-message stream (one name across platforms now).
OLD_STREAM_NAMES: Mapping[str, str] = MappingProxyType({"dms": "direct_messages"})

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_FIRST_FETCH_MAX_RESULTS = 10
PAGE_SIZE = 100  # the largest page both list endpoints allow
RATE_WINDOW = timedelta(minutes=15)

# Documented per-user limits for user-context requests, in requests per 15 minutes.
# - mentions: GET /2/users/:id/mentions, 180 per 15-minute window with OAuth 1.0a user context
#   (docs.x.com, "Timelines: migrate from standard to X API v2"); X's current rate-limit table
#   (https://docs.x.com/x-api/fundamentals/rate-limits) lists 300, so 180 is the safe figure.
# - dms: "a user rate limit of 300 requests per 15 minutes for the GET methods ... shared across
#   these GET endpoints" (https://docs.x.com/x-api/direct-messages/lookup/introduction).
# An account on a tier with lower limits overrides them with `requests_per_15_minutes`.
DEFAULT_RATE_BUDGETS: Mapping[str, int] = MappingProxyType({"mentions": 180, "direct_messages": 300})

CAPABILITIES = Capabilities(
    # No DELETE: X deletes only the account's own posts. No BLOCK: X API v2 has no endpoint that
    # creates a block (only GET /2/users/{id}/blocking); MUTE is offered instead. FOLLOW and UNFOLLOW:
    # POST /2/users/{id}/following and DELETE /2/users/{source}/following/{target}.
    actions=frozenset(
        {ActionKind.REPLY, ActionKind.HIDE, ActionKind.UNHIDE, ActionKind.MUTE, ActionKind.UNMUTE,
         ActionKind.POST_NOTICE, ActionKind.FOLLOW, ActionKind.UNFOLLOW}
    ),
    max_reply_length=MappingProxyType({Channel.PUBLIC: 280, Channel.PRIVATE: 10_000}),
    hide_own_threads_only=True,
    private_reply_window=None,
    url_length=23,
    notice_kinds=("post",),
    can_find_own_reply=True,
    can_find_notice=True,
    distinct_replies=True,  # "You are not allowed to create a Tweet with duplicate content."
    can_read_followers=True,  # GET /2/users/{id}/followers, on an access tier that includes it
)

TWEET_FIELDS = ["author_id", "created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets", "lang",
                "attachments"]
USER_FIELDS = ["username", "name"]
DM_EVENT_FIELDS = ["id", "text", "event_type", "dm_conversation_id", "created_at", "sender_id", "participant_ids",
                   "attachments"]
MEDIA_FIELDS = ["media_key", "type", "alt_text"]
# X's media types (OpenAPI `Media.type`); an animated GIF is sent as a looping video.
MEDIA_KINDS: Mapping[str, AttachmentKind] = MappingProxyType(
    {"photo": AttachmentKind.PHOTO, "video": AttachmentKind.VIDEO, "animated_gif": AttachmentKind.VIDEO})
FOLLOWER_FIELDS = ["username", "name", "description"]
FOLLOWERS_PAGE = 1000  # the most GET /2/users/{id}/followers returns at once (newest followers first)
ROOT_AUTHOR_CACHE_SIZE = 5_000
CLIENT_NOT_ENROLLED = "client-not-enrolled"


class _TimeoutSession(requests.Session):
    """tweepy passes no timeout to `session.request`; without one a silent server hangs a poll."""

    def __init__(self, timeout_seconds: float) -> None:
        super().__init__()
        self.timeout_seconds = timeout_seconds

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout_seconds)
        return super().request(method, url, *args, **kwargs)


def _json_or_none(response: requests.Response | None) -> Any:
    try:
        return response.json() if response is not None else None
    except ValueError:
        return None


def _reason(body: Any, fallback: str) -> str:
    """The sentence X gave: a problem's `detail` or `title`, else the first entry of `errors`."""
    if isinstance(body, dict):
        for key in ("detail", "title"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("detail") or first.get("message") or first.get("title") or first)
    return fallback


def _problem_text(response: requests.Response | None) -> str:
    if response is None:
        return "no answer"
    return _reason(_json_or_none(response), f"HTTP {response.status_code}")


def _is_not_enrolled(response: requests.Response | None) -> bool:
    """X's 403 for an access tier that does not include the endpoint (the free tier only posts)."""
    body = _json_or_none(response)
    if not isinstance(body, dict):
        return False
    return body.get("reason") == CLIENT_NOT_ENROLLED or str(body.get("type", "")).endswith(CLIENT_NOT_ENROLLED)


def _never_reached_x(error: requests.RequestException) -> bool:
    """A failure to connect at all, so an action cannot have been sent (unlike a read timeout)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def _parse_time(value: object, what: str) -> datetime:
    """X's `created_at`; a missing or garbled one makes the item unreadable (ValueError)."""
    if not isinstance(value, str):
        raise ValueError(f"X sent {what} without a readable created_at")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"X sent {what} with an unreadable created_at {value!r}") from error
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _snowflake(value: object, what: str) -> str:
    """A post or event id: X's ids are decimal strings that order by time."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).isdigit():
        raise ValueError(f"X sent {what} with an id that is not a number: {value!r}")
    return str(value)


def _is_snowflake(value: object) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).isdigit()


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"X sent {what} whose text is {type(value).__name__}, not a string")
    return value


def _users_by_id(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    includes = body.get("includes") or {}
    return {str(user["id"]): user for user in includes.get("users", []) if isinstance(user, dict) and "id" in user}


def _included_tweets(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    # Live X answers `includes.tweets`; the v2.167 OpenAPI document names the same list `posts`.
    includes = body.get("includes") or {}
    return [t for key in ("tweets", "posts") for t in includes.get(key, []) if isinstance(t, dict)]


def _media_by_key(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    includes = body.get("includes") or {}
    return {str(m["media_key"]): m for m in includes.get("media", []) if isinstance(m, dict) and "media_key" in m}


def _attachments(item: Mapping[str, Any], media: Mapping[str, Mapping[str, Any]]) -> tuple[Attachment, ...]:
    """The photos and videos of a post or direct message, from `attachments.media_keys` and `includes.media`."""
    keys = (item.get("attachments") or {}).get("media_keys") or []
    if not isinstance(keys, list):
        raise TypeError(f"attachments.media_keys is not a list: {keys!r}")
    found = [media.get(str(key), {}) for key in keys]
    return tuple(Attachment(MEDIA_KINDS.get(str(m.get("type")), AttachmentKind.OTHER), str(m.get("alt_text") or ""))
                 for m in found)


def _author(user_id: str, users: Mapping[str, Mapping[str, Any]]) -> Author:
    user = users.get(user_id, {})
    username = str(user.get("username", ""))
    return Author(id=user_id, handle=f"@{username}" if username else "", display_name=str(user.get("name", "")))


def _references(tweet: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """(type, id) of each referenced post; anything but a list of objects is a malformed item."""
    references = tweet.get("referenced_tweets") or []
    if not isinstance(references, list) or not all(isinstance(r, dict) for r in references):
        raise TypeError(f"referenced_tweets is not a list of objects: {references!r}")
    return tuple((str(r.get("type")), str(r.get("id"))) for r in references)


def _replied_to(tweet: Mapping[str, Any]) -> str:
    return next((ref_id for kind, ref_id in _references(tweet) if kind == "replied_to"), "")


def _newest(ids: list[object], cursor: str | None) -> str | None:
    """The largest id seen; ids that are not numbers belong to unreadable items and are skipped."""
    candidates = [int(str(i)) for i in ids if _is_snowflake(i)] + ([int(cursor)] if cursor else [])
    return str(max(candidates)) if candidates else None


def _result(read: list[Inbound | Unreadable], cursor: str | None) -> FetchResult:
    """Readable items oldest first (ids are snowflakes), unreadable ones set aside; the cursor moves past both."""
    items = sorted((i for i in read if isinstance(i, Inbound)), key=lambda i: int(i.native_id))
    return FetchResult(tuple(items), cursor, tuple(i for i in read if isinstance(i, Unreadable)))


@dataclass(frozen=True, slots=True)
class XOptions:
    """The account's X options, checked once when the adapter is built; errors name the key."""

    streams: tuple[str, ...]
    rate_budgets: Mapping[str, RateBudget]
    api_base_url: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    first_fetch_max_results: int = DEFAULT_FIRST_FETCH_MAX_RESULTS

    KEYS: ClassVar[tuple[str, ...]] = (
        "api_base_url", "timeout_seconds", "streams", "first_fetch_max_results", "requests_per_15_minutes")

    @classmethod
    def from_config(cls, config: AccountConfig) -> "XOptions":
        options = config.options
        prefix = f"{config.settings_key}.options"
        for key in options:
            if key not in cls.KEYS:
                raise ConfigError(config.settings_file, f"{prefix}.{key}", f"unknown X option; known: {', '.join(cls.KEYS)}")

        timeout = options.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(config.settings_file, f"{prefix}.timeout_seconds", f"must be a number above 0, not {timeout!r}")

        first = options.get("first_fetch_max_results", DEFAULT_FIRST_FETCH_MAX_RESULTS)
        if isinstance(first, bool) or not isinstance(first, int) or not 5 <= first <= PAGE_SIZE:
            # GET /2/users/{id}/mentions accepts max_results from 5 to 100
            raise ConfigError(config.settings_file, f"{prefix}.first_fetch_max_results",
                              f"must be a whole number from 5 to {PAGE_SIZE}, not {first!r}")

        base_url = options.get("api_base_url")
        if base_url is not None and (not isinstance(base_url, str) or not base_url.startswith(("http://", "https://"))):
            raise ConfigError(config.settings_file, f"{prefix}.api_base_url", f"must be an http(s) URL, not {base_url!r}")

        streams = options.get("streams", list(STREAMS))
        if isinstance(streams, (list, tuple)):
            streams = [OLD_STREAM_NAMES.get(s, s) if isinstance(s, str) else s for s in streams]
        if not isinstance(streams, (list, tuple)) or not streams or any(s not in STREAMS for s in streams):
            raise ConfigError(config.settings_file, f"{prefix}.streams",
                              f"must be a non-empty list of {', '.join(STREAMS)}, not {streams!r}")

        return cls(tuple(streams), _rate_budgets(options.get("requests_per_15_minutes", {}), prefix, config.settings_file),
                   base_url, float(timeout), first)


def _rate_budgets(overrides: object, prefix: str, settings_file: Path) -> Mapping[str, RateBudget]:
    key = f"{prefix}.requests_per_15_minutes"
    if not isinstance(overrides, Mapping):
        raise ConfigError(settings_file, key, "must be a table such as { mentions = 10, direct_messages = 15 }")
    budgets = dict(DEFAULT_RATE_BUDGETS)
    for named, requests_allowed in overrides.items():
        stream = OLD_STREAM_NAMES.get(named, named)
        if stream not in STREAMS:
            raise ConfigError(settings_file, f"{key}.{stream}", f"unknown stream; X streams are {', '.join(STREAMS)}")
        if isinstance(requests_allowed, bool) or not isinstance(requests_allowed, int) or requests_allowed < 1:
            raise ConfigError(settings_file, f"{key}.{stream}", f"must be a whole number above 0, not {requests_allowed!r}")
        budgets[stream] = requests_allowed
    return MappingProxyType({stream: RateBudget(count, RATE_WINDOW) for stream, count in budgets.items()})


class _ReadForbidden(AuthFailed):
    """A 403 on a read: the account cannot work. `not_enrolled`: the access tier lacks the endpoint."""

    def __init__(self, message: str, reason: str, not_enrolled: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.not_enrolled = not_enrolled


class XAdapter(Adapter):
    """One X account. Every tweepy call goes through `_call`, which maps failures to base errors."""

    platform = Platform.X
    capabilities = CAPABILITIES

    def __init__(
        self,
        config: AccountConfig,
        client: tweepy.Client,
        options: XOptions,
        *,
        oauth1: bool,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.account = config.name
        self.handle = config.handle
        self.streams = options.streams
        self.rate_budgets = options.rate_budgets
        self._first_fetch_max_results = options.first_fetch_max_results
        self._client = client
        self._user_auth = oauth1  # tweepy: user_auth=True signs with OAuth 1.0a, False sends the bearer
        self._clock = clock
        self._user_id = str(config.secrets.get("USER_ID", "")) or None
        self._root_authors: dict[str, str] = {}  # conversation id -> author id of its first post
        self._notice_file = Path(config.state_dir) / f"x-{config.name}-notice.txt"  # the offline post to take down

    # -- errors -----------------------------------------------------------------------------------
    def _reset_at(self, error: tweepy.TooManyRequests) -> datetime:
        """X's `x-rate-limit-reset` (epoch seconds); else the answer's Date plus one window."""
        if error.reset_time is not None:
            return datetime.fromtimestamp(error.reset_time, UTC)
        date_header = error.response.headers.get("date") if error.response is not None else None
        if date_header:
            try:
                return parsedate_to_datetime(date_header).astimezone(UTC) + RATE_WINDOW
            except (TypeError, ValueError):
                return self._clock() + RATE_WINDOW  # an unreadable Date: count from our own clock
        return self._clock() + RATE_WINDOW

    def _send(self, what: str, send: Callable[[], requests.Response], *, acting: bool = False) -> requests.Response:
        """Run one tweepy call, reporting any failure as one of the base errors.

        `acting` decides what a refusal means: on an action (reply, hide, mute) X refused that one
        thing; on a read the account cannot do its work, which needs a person.
        """
        label = f"X account {self.handle}"
        try:
            return send()
        except tweepy.TooManyRequests as error:
            raise RateLimited(self._reset_at(error), f"{label}: rate limited while {what}") from error
        except tweepy.Unauthorized as error:
            raise AuthFailed(
                f"{label}: X refused the credentials while {what} ({_problem_text(error.response)}); "
                "new access tokens are needed"
            ) from error
        except tweepy.Forbidden as error:
            reason = _problem_text(error.response)
            if acting:
                raise ActionRefused(f"{label}: X refused {what} ({reason})") from error
            raise _ReadForbidden(f"{label}: X does not allow {what} ({reason})", reason,
                                 _is_not_enrolled(error.response)) from error
        except tweepy.TwitterServerError as error:  # X may have done it before failing to say so
            raise PlatformUnavailable(f"{label}: X failed while {what} ({_problem_text(error.response)})",
                                      maybe_sent=acting) from error
        except tweepy.HTTPException as error:  # 400, 404 and other refusals of the request itself
            reason = _problem_text(error.response)
            if acting:
                raise ActionRefused(f"{label}: X refused {what} ({reason})") from error
            raise PlatformUnavailable(f"{label}: X rejected the request while {what} ({reason})") from error
        except requests.RequestException as error:  # timeouts, refused or dropped connections
            raise PlatformUnavailable(f"{label}: could not reach X while {what} ({type(error).__name__})",
                                      maybe_sent=acting and not _never_reached_x(error)) from error

    def _call(self, what: str, send: Callable[[], requests.Response], *, acting: bool = False) -> dict[str, Any]:
        return self._read(self._send(what, send, acting=acting), what, acting=acting)

    def _read(self, response: requests.Response, what: str, *, acting: bool = False) -> dict[str, Any]:
        """The answer's JSON object; an unreadable answer counts as X being unwell (after an
        action, X answered 2xx, so it was probably done)."""
        try:
            body = response.json()
        except ValueError as error:
            raise PlatformUnavailable(f"X account {self.handle}: X sent an unreadable answer while {what}",
                                      maybe_sent=acting) from error
        if not isinstance(body, dict):
            raise PlatformUnavailable(f"X account {self.handle}: X sent an unexpected answer while {what}",
                                      maybe_sent=acting)
        return body

    def _act(self, what: str, send: Callable[[], requests.Response], field: str) -> Any:
        """An action whose answer must carry `data.<field>`; X reports some refusals with 200 + errors."""
        body = self._call(what, send, acting=True)
        data = body.get("data")
        if not isinstance(data, dict) or field not in data:
            raise ActionRefused(f"X account {self.handle}: X did not confirm {what} ({_reason(body, 'the answer had no result')})")
        return data[field]

    # -- identity ---------------------------------------------------------------------------------
    def _me(self) -> tuple[Mapping[str, Any], requests.Response]:
        what = "reading its own profile"
        response = self._send(what, lambda: self._client.get_me(user_fields=USER_FIELDS, user_auth=self._user_auth))
        body = self._read(response, what)
        data = body.get("data")
        if not isinstance(data, dict) or "id" not in data:
            raise PlatformUnavailable(f"X account {self.handle}: X sent a profile without an id")
        return data, response

    def user_id(self) -> str:
        """USER_ID from the secrets, else asked of X once (GET /2/users/me)."""
        if self._user_id is None:
            self._user_id = str(self._me()[0]["id"])
        return self._user_id

    def own_ids(self) -> frozenset[str]:
        return frozenset({self.user_id()})

    def check(self) -> AccountCheck:
        """GET /2/users/me, then one small read per configured stream: what will not work, in words."""
        label = f"X account {self.handle}"
        try:
            me, response = self._me()
        except RateLimited as error:
            return AccountCheck(False, "", (f"{label}: X is rate limiting this account until "
                                            f"{error.reset_at:%H:%M} UTC; run the check again later",))
        except PlatformError as error:
            return AccountCheck(False, "", (f"{error}; nothing will work until this is fixed",))
        identity = f"@{me.get('username', '')} ({me.get('name', '')}, id {me['id']})"
        problems: list[str] = []
        if self._user_id is not None and self._user_id != str(me["id"]):
            problems.append(f"{label}: USER_ID is {self._user_id} but the tokens belong to user {me['id']}; "
                            "fix USER_ID or remove it")
        self._user_id = str(me["id"])
        if self.handle and self.handle.lstrip("@").lower() != str(me.get("username", "")).lower():
            problems.append(f"{label}: the tokens belong to @{me.get('username')}, not {self.handle}; "
                            "the bot would act as the wrong account")
        # X tells OAuth 1.0a callers what their token may do in `x-access-level`.
        if response.headers.get("x-access-level") == "read":
            problems.append(f"{label}: the access token is read-only; replies, hides, mutes and notices will not "
                            "work (set the app to 'Read and write and Direct message' and generate new tokens)")
        if "mentions" in self.streams:
            problems.extend(self._check_read(
                "reading mentions",
                lambda: self._client.get_users_mentions(self._user_id, max_results=5, user_auth=self._user_auth),
                not_enrolled=f"{label}: the API access tier cannot read mentions (the free tier only posts); "
                             "replies and moderation will not work",
                refused=f"{label}: cannot read mentions ({{reason}}); replies and moderation will not work",
            ))
        if "direct_messages" in self.streams:
            problems.extend(self._check_read(
                "reading direct messages",
                lambda: self._client.get_direct_message_events(
                    event_types="MessageCreate", max_results=1, user_auth=self._user_auth),
                not_enrolled=f"{label}: the API access tier cannot read direct messages; "
                             "private messages will not be answered",
                refused=f"{label}: cannot read direct messages ({{reason}}); private messages will not be "
                        "answered (the app needs 'Read and write and Direct message' permission and new tokens)",
            ))
        return AccountCheck(not problems, identity, tuple(problems))

    def _check_read(self, what: str, send: Callable[[], requests.Response], *, not_enrolled: str,
                    refused: str) -> list[str]:
        try:
            self._call(what, send)
        except _ReadForbidden as error:
            return [not_enrolled if error.not_enrolled else refused.format(reason=error.reason)]
        except PlatformError as error:
            return [str(error)]
        return []

    # -- reading ----------------------------------------------------------------------------------
    def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        if stream not in STREAMS:
            raise ValueError(f"X has no stream {stream!r}; it has {', '.join(STREAMS)}")
        try:
            return self._fetch_mentions(cursor) if stream == "mentions" else self._fetch_dms(cursor)
        except (KeyError, TypeError, AttributeError) as error:  # a 200 whose items lack what X documents
            raise PlatformUnavailable(f"X account {self.handle}: X sent {stream} of an unexpected shape "
                                      f"({type(error).__name__}: {error})") from error

    def _fetch_mentions(self, cursor: str | None) -> FetchResult:
        me = self.user_id()
        tweets: list[Mapping[str, Any]] = []
        users: dict[str, Mapping[str, Any]] = {}
        media: dict[str, Mapping[str, Any]] = {}
        token: str | None = None
        while True:
            page_token = token
            body = self._call("reading mentions", lambda: self._client.get_users_mentions(
                me,
                since_id=cursor,
                pagination_token=page_token,
                max_results=PAGE_SIZE if cursor else self._first_fetch_max_results,
                expansions=["author_id", "referenced_tweets.id", "attachments.media_keys"],
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
                media_fields=MEDIA_FIELDS,
                user_auth=self._user_auth,
            ))
            page = [t for t in body.get("data") or [] if isinstance(t, dict)]
            tweets.extend(page)
            users.update(_users_by_id(body))
            media.update(_media_by_key(body))
            self._learn_root_authors(page + _included_tweets(body))
            token = (body.get("meta") or {}).get("next_token")
            if cursor is None or not token:
                break
        new_cursor = _newest([t.get("id") for t in tweets], cursor)
        inbound_tweets = [t for t in tweets if str(t.get("author_id")) != me]
        self._look_up_root_authors([t for t in inbound_tweets if _is_snowflake(t.get("id"))])
        read = [read_item(t, lambda t=t: self._mention_inbound(t, users, media, me)) for t in inbound_tweets]
        return _result(read, new_cursor)

    def _learn_root_authors(self, tweets: list[Mapping[str, Any]]) -> None:
        for tweet in tweets:
            if tweet.get("conversation_id") and str(tweet.get("conversation_id")) == str(tweet.get("id")) \
                    and tweet.get("author_id"):
                self._remember_root(str(tweet["id"]), str(tweet["author_id"]))

    def _remember_root(self, conversation_id: str, author_id: str) -> None:
        if len(self._root_authors) >= ROOT_AUTHOR_CACHE_SIZE:
            self._root_authors.pop(next(iter(self._root_authors)))
        self._root_authors[conversation_id] = author_id

    def _look_up_root_authors(self, tweets: list[Mapping[str, Any]]) -> None:
        """Who started each conversation decides whether X lets us hide a reply in it.

        If X cannot say right now (rate limit, outage) the mentions are still returned: those
        replies count as not in our conversations (hide is refused, the policy falls back) rather
        than holding up every mention behind a lookup.
        """
        unknown = sorted({str(t["conversation_id"]) for t in tweets
                          if t.get("conversation_id") and str(t["conversation_id"]) != str(t["id"])
                          and str(t["conversation_id"]) not in self._root_authors})
        for start in range(0, len(unknown), 100):  # GET /2/tweets takes up to 100 ids
            batch = unknown[start:start + 100]
            try:
                body = self._call("looking up who started conversations", lambda: self._client.get_tweets(
                    batch, tweet_fields=["author_id", "conversation_id"], user_auth=self._user_auth))
            except (RateLimited, PlatformUnavailable):
                return
            self._learn_root_authors([t for t in body.get("data") or [] if isinstance(t, dict)])

    def _mention_inbound(self, tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]],
                         media: Mapping[str, Mapping[str, Any]], me: str) -> Inbound:
        tweet_id = _snowflake(tweet.get("id"), "a post")
        conversation_id = str(tweet.get("conversation_id") or tweet_id)
        author = _author(str(tweet.get("author_id", "")), users)
        is_reply = conversation_id != tweet_id
        return Inbound(
            platform=Platform.X,
            account=self.account,
            stream="mentions",
            channel=Channel.PUBLIC,
            native_id=tweet_id,
            author=author,
            text=_text(tweet.get("text", ""), f"post {tweet_id}"),
            created_at=_parse_time(tweet.get("created_at"), f"post {tweet_id}"),
            thread_id=conversation_id,
            parent_id=_replied_to(tweet),
            in_reply_to_own=is_reply and self._root_authors.get(conversation_id) == me,
            attachments=_attachments(tweet, media),
            extras={
                "url": f"https://x.com/{author.handle.lstrip('@') or 'i'}/status/{tweet_id}",
                "conversation_started_by": self._root_authors.get(conversation_id, "") if is_reply else author.id,
                "in_reply_to_user_id": str(tweet.get("in_reply_to_user_id", "")),
                "lang": str(tweet.get("lang", "")),
                "referenced_tweets": _references(tweet),
            },
        )

    def _fetch_dms(self, cursor: str | None) -> FetchResult:
        me = self.user_id()
        events: list[Mapping[str, Any]] = []
        users: dict[str, Mapping[str, Any]] = {}
        media: dict[str, Mapping[str, Any]] = {}
        token: str | None = None
        reached_cursor = False
        while not reached_cursor:
            page_token = token
            body = self._call("reading direct messages", lambda: self._client.get_direct_message_events(
                event_types="MessageCreate",
                dm_event_fields=DM_EVENT_FIELDS,
                expansions=["sender_id", "attachments.media_keys"],
                user_fields=USER_FIELDS,
                media_fields=MEDIA_FIELDS,
                max_results=PAGE_SIZE if cursor else self._first_fetch_max_results,
                pagination_token=page_token,
                user_auth=self._user_auth,
            ))
            users.update(_users_by_id(body))
            media.update(_media_by_key(body))
            for event in body.get("data") or []:
                if cursor is not None and _is_snowflake(event.get("id")) and int(event["id"]) <= int(cursor):
                    reached_cursor = True  # newest first: everything from here on was seen before
                    break
                events.append(event)
            token = (body.get("meta") or {}).get("next_token")
            if cursor is None or not token:
                break
        new_cursor = _newest([e.get("id") for e in events], cursor)
        read = [read_item(e, lambda e=e: self._dm_inbound(e, users, media)) for e in events
                if str(e.get("sender_id")) != me and e.get("event_type", "MessageCreate") == "MessageCreate"]
        return _result(read, new_cursor)

    def _dm_inbound(self, event: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]],
                    media: Mapping[str, Mapping[str, Any]]) -> Inbound:
        event_id = _snowflake(event.get("id"), "a direct message")
        return Inbound(
            platform=Platform.X,
            account=self.account,
            stream="direct_messages",
            channel=Channel.PRIVATE,
            native_id=event_id,
            author=_author(str(event.get("sender_id", "")), users),
            text=_text(event.get("text", ""), f"direct message {event_id}"),
            created_at=_parse_time(event.get("created_at"), f"direct message {event_id}"),
            thread_id=str(event.get("dm_conversation_id", "")),
            attachments=_attachments(event, media),
            extras={"participant_ids": tuple(str(p) for p in event.get("participant_ids") or ())},
        )

    # -- acting -----------------------------------------------------------------------------------
    def reply(self, inbound: Inbound, text: str, channel: Channel) -> str:
        if channel is Channel.PRIVATE:
            return str(self._act(
                f"sending a direct message to {inbound.author.handle or inbound.author.id}",
                lambda: self._client.create_direct_message(
                    participant_id=inbound.author.id, text=text, user_auth=self._user_auth),
                "dm_event_id",
            ))
        if inbound.channel is Channel.PRIVATE:
            raise ActionRefused(f"X account {self.handle}: a direct message cannot be answered in public")
        return str(self._act(
            f"replying to post {inbound.native_id}",
            lambda: self._client.create_tweet(
                text=text, in_reply_to_tweet_id=inbound.native_id, user_auth=self._user_auth),
            "id",
        ))

    def find_own_reply(self, inbound: Inbound, channel: Channel) -> str | None:
        """Our post answering a mention (public), or a direct message we sent its author after it (private).

        Post and DM event ids are both snowflakes, so "sent after" is "a larger id".
        """
        me = self.user_id()
        if channel is Channel.PRIVATE:
            return self._find_own_dm_after(inbound, me)
        if inbound.channel is Channel.PRIVATE:
            return None  # a direct message is never answered in public
        return self._find_own_post_reply(inbound, me)

    def _find_own_post_reply(self, inbound: Inbound, me: str) -> str | None:
        token: str | None = None
        while True:
            page_token = token
            body = self._call("looking for an earlier reply", lambda: self._client.get_users_tweets(
                me, since_id=inbound.native_id, tweet_fields=["referenced_tweets", "conversation_id"],
                max_results=PAGE_SIZE, pagination_token=page_token, user_auth=self._user_auth))
            for tweet in body.get("data") or []:
                if _replied_to(tweet) == inbound.native_id:
                    return str(tweet["id"])
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return None

    def _find_own_dm_after(self, inbound: Inbound, me: str) -> str | None:
        token: str | None = None
        while True:
            page_token = token
            body = self._call("looking for an earlier reply", lambda: self._client.get_direct_message_events(
                participant_id=inbound.author.id, event_types="MessageCreate",
                dm_event_fields=["id", "sender_id", "created_at"], max_results=PAGE_SIZE,
                pagination_token=page_token, user_auth=self._user_auth))
            for event in body.get("data") or []:  # newest first
                if int(event["id"]) <= int(inbound.native_id):
                    return None
                if str(event.get("sender_id")) == me:
                    return str(event["id"])
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return None

    def _hidden(self, inbound: Inbound, hidden: bool) -> str:
        verb = "hide" if hidden else "unhide"
        doing = "hiding" if hidden else "unhiding"
        if inbound.channel is Channel.PRIVATE:
            raise ActionRefused(f"X account {self.handle}: X cannot {verb} a direct message")
        if not inbound.in_reply_to_own:
            raise ActionRefused(f"X account {self.handle}: X lets an account {verb} only replies in "
                                f"conversations it started; post {inbound.native_id} is in someone else's")
        send = self._client.hide_reply if hidden else self._client.unhide_reply
        self._act(f"{doing} post {inbound.native_id}", lambda: send(inbound.native_id, user_auth=self._user_auth),
                  "hidden")
        return inbound.native_id

    def hide(self, inbound: Inbound) -> str:
        return self._hidden(inbound, True)

    def unhide(self, inbound: Inbound) -> str:
        return self._hidden(inbound, False)

    def delete(self, inbound: Inbound) -> str:
        """Only the account's own posts: X deletes nobody else's (hide or report those instead)."""
        if inbound.channel is Channel.PRIVATE or inbound.author.id not in self.own_ids():
            raise ActionRefused(f"X account {self.handle}: X deletes only the account's own posts; "
                                f"{inbound.native_id} was written by someone else")
        self._act(f"deleting post {inbound.native_id}",
                  lambda: self._client.delete_tweet(inbound.native_id, user_auth=self._user_auth), "deleted")
        return inbound.native_id

    def block(self, author: Author) -> str:
        raise ActionRefused(f"X account {self.handle}: X's API cannot block anyone; mute {author.handle or author.id} "
                            "and ask staff to block in the X app")

    def unblock(self, author: Author) -> str:
        raise ActionRefused(f"X account {self.handle}: X's API cannot unblock anyone; staff must do it in the X app")

    def mute(self, author: Author) -> str:
        self._act(f"muting {author.handle or author.id}",
                  lambda: self._client.mute(author.id, user_auth=self._user_auth), "muting")
        return author.id

    def unmute(self, author: Author) -> str:
        """Staff undo a mute (DELETE /2/users/{me}/muting/{id}); X answers `muting: false`."""
        self._act(f"unmuting {author.handle or author.id}",
                  lambda: self._client.unmute(author.id, user_auth=self._user_auth), "muting")
        return author.id

    def follow(self, author: Author) -> str:
        """POST /2/users/{id}/following. A protected account answers `pending_follow`: asked, not refused."""
        self._act(f"following {author.handle or author.id}",
                  lambda: self._client.follow_user(author.id, user_auth=self._user_auth), "following")
        return author.id

    def unfollow(self, author: Author) -> str:
        """DELETE /2/users/{me}/following/{id}; X answers the same when we did not follow them."""
        self._act(f"unfollowing {author.handle or author.id}",
                  lambda: self._client.unfollow_user(author.id, user_auth=self._user_auth), "following")
        return author.id

    def followers(self) -> tuple[Follower, ...]:
        """The newest FOLLOWERS_PAGE followers. An access tier without this endpoint is a refusal in one
        line, never a pause: the account's messages do not depend on it."""
        what = "reading its followers"
        try:
            body = self._call(what, lambda: self._client.get_users_followers(
                self.user_id(), max_results=FOLLOWERS_PAGE, user_fields=FOLLOWER_FIELDS, user_auth=self._user_auth))
        except _ReadForbidden as error:
            if error.not_enrolled:
                raise ActionRefused(f"X account {self.handle}: the API access tier cannot read followers "
                                    "(GET /2/users/:id/followers); following back needs a tier that includes it") from error
            raise ActionRefused(f"X account {self.handle}: X does not allow reading followers ({error.reason})") from error
        found = []
        for user in body.get("data") or []:
            if not isinstance(user, dict) or not _is_snowflake(user.get("id")):
                continue  # not a user as documented: nobody to follow
            found.append(Follower(Author(str(user["id"]), f"@{user.get('username', '')}", str(user.get("name") or "")),
                                  str(user.get("description") or "")))
        return tuple(found)

    def post_notice(self, text: str) -> str:
        tweet_id = str(self._act("posting a notice", lambda: self._client.create_tweet(
            text=text, user_auth=self._user_auth), "id"))
        self._remember_root(tweet_id, self.user_id())
        self._notice_file.parent.mkdir(parents=True, exist_ok=True)
        self._notice_file.write_text(tweet_id, encoding="utf-8")
        return tweet_id

    def find_notice(self, text: str, since: datetime | None = None) -> str | None:
        """Our newest post with exactly the notice's text (X keeps the text as posted), remembered so
        `clear_notice` takes it down at reopening. (`since` is not needed: every notice post is
        deleted at reopening, so an earlier one is not up.)"""
        body = self._call("looking for an offline post", lambda: self._client.get_users_tweets(
            self.user_id(), max_results=PAGE_SIZE, user_auth=self._user_auth))
        for tweet in body.get("data") or []:  # newest first
            if tweet.get("text") == text:
                tweet_id = str(tweet["id"])
                self._notice_file.parent.mkdir(parents=True, exist_ok=True)
                self._notice_file.write_text(tweet_id, encoding="utf-8")
                return tweet_id
        return None

    def clear_notice(self) -> str | None:
        """Delete the last offline post when monitoring resumes, so the timeline does not say "away"."""
        if not self._notice_file.exists():
            return None
        tweet_id = self._notice_file.read_text(encoding="utf-8").strip()
        self._act(f"deleting the offline post {tweet_id}",
                  lambda: self._client.delete_tweet(tweet_id, user_auth=self._user_auth), "deleted")
        self._notice_file.unlink()
        return tweet_id

    def close(self) -> None:
        self._client.session.close()


def create(config: AccountConfig) -> XAdapter:
    """Build the tweepy client from the account's secrets and options; settings errors name the key."""
    options = XOptions.from_config(config)
    secrets = config.secrets
    oauth1_present = [name for name in OAUTH1_ENV if secrets.get(name)]
    if secrets.get(OAUTH2_ENV) and not oauth1_present:
        client = tweepy.Client(bearer_token=secrets[OAUTH2_ENV], return_type=requests.Response,
                               wait_on_rate_limit=False)
        oauth1 = False
    elif len(oauth1_present) == len(OAUTH1_ENV):
        client = tweepy.Client(
            consumer_key=secrets["API_KEY"], consumer_secret=secrets["API_SECRET"],
            access_token=secrets["ACCESS_TOKEN"], access_token_secret=secrets["ACCESS_TOKEN_SECRET"],
            return_type=requests.Response, wait_on_rate_limit=False,
        )
        oauth1 = True
    else:
        missing = [name for name in OAUTH1_ENV if not secrets.get(name)]
        raise ConfigError(
            ".env", missing[0] if oauth1_present else OAUTH1_ENV[0],
            f"X account {config.name} needs {', '.join(OAUTH1_ENV)} (OAuth 1.0a) or {OAUTH2_ENV} (OAuth 2.0); "
            f"missing {', '.join(missing)} (names are read under the account's env_prefix)",
        )
    client.session = _TimeoutSession(options.timeout_seconds)
    if options.api_base_url is not None:
        redirect_session(client.session, X_HOST, options.api_base_url)
    return XAdapter(config, client, options, oauth1=oauth1)
