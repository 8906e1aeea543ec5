"""Instagram through the official Instagram API (Graph `IGUser`, `IGMedia`, `IGComment`), with pyfacebook.

This is the compliant Instagram backend (`type = "instagram"`, `api = "graph"`, the default); the
instagrapi module stays as the opt-in `api = "instagrapi"`, with its warning.

Login flavour (`options.login`):
- "facebook" (the default): Instagram API with Facebook Login. The professional account is linked
  to the organisation's Facebook Page and the bot uses that Page's access token through
  `pyfacebook.GraphAPI` (graph.facebook.com). Chosen because an NHS organisation already has the
  Page and its never-expiring system-user token, `debug_token` lets `housebot check` name each
  missing permission exactly, and Instagram direct messages go through the Page's
  `conversations` and `messages` edges, as Messenger does.
- "instagram": Instagram API with Instagram Login, no Page needed, through pyfacebook's
  `BasicDisplayAPI` (graph.instagram.com; pyfacebook 0.24 has no class named `IGGraphAPI`). Its
  user token lasts 60 days and cannot be inspected, so `housebot check` probes each permission
  with a harmless read instead.

Streams: "comments" (comments and replies on the account's newest media), "mentions" (media the
account is tagged in) and "direct_messages" (Instagram conversations). Reading, paging, the
watermark cursor and the error translation follow `adapters.facebook`: the library never sleeps,
its session never retries, and usage headers name the time a throttle ends.

The offline notice: the API publishes only media with a picture at a public URL
(`POST /{ig-user-id}/media` with `image_url`, then `media_publish`), so an organisation that wants
one sets `notice_image_url`; the notice is that picture with the notice as its caption and alt
text, and is deleted (`DELETE /{ig-media-id}`) when monitoring resumes. Without that setting the
notice is refused with a sentence telling staff to post it by hand. Block is not in the API.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from pyfacebook import BasicDisplayAPI, GraphAPI

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
from adapters.facebook import (
    GraphCalls,
    RATE_LIMIT_CODES,
    TOKEN_CODES,
    TRANSIENT_CODES,
    Watermark,
    _next_cursor,
    _raise_for_error_status,
    _time_or_none,
    parse_graph_time,
    rate_limit_reset,
)
from bot.errors import ConfigError
from bot.model import ActionKind, Author, Channel, Inbound, Platform

REQUIRED_ENV: tuple[str, ...] = ("ACCESS_TOKEN", "IG_USER_ID")
OPTIONAL_ENV: tuple[str, ...] = ("PAGE_ID", "APP_ID", "APP_SECRET")  # PAGE_ID is required with Facebook Login

COMMENTS = "comments"
MENTIONS = "mentions"
MESSAGES = "direct_messages"

LOGINS = ("facebook", "instagram")
COMMENT_FIELDS = "id,text,timestamp,username,from,hidden,parent_id"
COMMENT_WITH_REPLIES = f"{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}"
MEDIA_FIELDS = "id,caption,timestamp,comments_count,permalink"
TAGGED_FIELDS = "id,caption,timestamp,username,permalink"
MESSAGE_FIELDS = "id,from,message,created_time"
CONVERSATION_FIELDS = f"participants,updated_time,messages{{{MESSAGE_FIELDS}}}"
PAGE_SIZE = 50

# Instagram's own limits (help centre and Messaging API docs): a comment or caption holds 2,200
# characters, a direct text message 1,000. A private reply to a comment is allowed once, within
# 7 days; a direct message only within 24 hours of the person's last message.
COMMENT_MAX_LENGTH = 2200
DIRECT_MAX_LENGTH = 1000
MESSAGING_WINDOW = timedelta(hours=24)
PRIVATE_REPLY_WINDOW = timedelta(days=7)

CAPABILITIES = Capabilities(
    # No block: the IGUser, IGComment and IGMedia specs have no block edge; `decide` plans the
    # policy's fallback (a task for staff). POST_NOTICE is dropped per account without notice_image_url.
    actions=frozenset({ActionKind.REPLY, ActionKind.HIDE, ActionKind.UNHIDE, ActionKind.DELETE,
                       ActionKind.POST_NOTICE}),
    max_reply_length={Channel.PUBLIC: COMMENT_MAX_LENGTH, Channel.PRIVATE: DIRECT_MAX_LENGTH},
    private_reply_window=MESSAGING_WINDOW,
    notice_kinds=("post",),
    can_find_own_reply=True,
    can_find_notice=True,
)

# What each permission is for, in words a comms officer can act on: (Facebook Login name,
# Instagram Login name, what will not work without it).
PERMISSION_NEEDS: tuple[tuple[str, str, str], ...] = (
    ("instagram_basic", "instagram_business_basic", "the account's posts, comments and mentions will not be read"),
    ("instagram_manage_comments", "instagram_business_manage_comments",
     "comments will not be read, and replies, hide and delete on comments will not work"),
    ("instagram_manage_messages", "instagram_business_manage_messages",
     "direct messages will not be read or answered and private replies will not work"),
    ("pages_read_engagement", "", "the linked Page cannot be read, so direct messages will not work"),
)
PUBLISH_PERMISSION = ("instagram_content_publish", "instagram_business_content_publish")
# Graph codes for "this token lacks a permission": 10, 200-299 and 230 (messaging).
PERMISSION_CODES = frozenset({10, 230, *range(200, 300)})
# Facebook's throttles, and 80002: Instagram's business-use-case throttle (with X-Business-Use-Case-Usage).
INSTAGRAM_RATE_LIMIT_CODES = RATE_LIMIT_CODES | {80002}
DEFAULT_WATCHED_MEDIA = 10


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def translate_failure(status: int, error: Mapping[str, Any], headers: Mapping[str, str], *,
                      reading: bool, what: str, label: str, now: datetime) -> PlatformError:
    """One Graph error answer -> the `adapters.base` exception the service reacts to.

    The codes are Facebook's (the Instagram API shares the Graph error envelope); a refusal while
    reading means the account cannot work, the same refusal on one action refuses only that action.
    """
    code = error.get("code")
    message = str(error.get("message") or "")
    said = f"{message or f'HTTP {status}'}" + (f" (code {code})" if code else "")
    if status == 429 or code in INSTAGRAM_RATE_LIMIT_CODES:
        reset_at = rate_limit_reset(headers, now)
        return RateLimited(reset_at, f"{label}: Instagram rate limit reached (code {code}); "
                                     f"waiting until {reset_at.isoformat()}")
    if code in TOKEN_CODES or status == 401:
        return AuthFailed(f"{label}: the access token was refused ({message or f'HTTP {status}'}); "
                          "make a new token and put it in .env")
    if status >= 500 or code in TRANSIENT_CODES or error.get("is_transient"):
        return PlatformUnavailable(f"{label}: Instagram had a problem while the bot tried to {what} "
                                   f"(HTTP {status}{': ' + message if message else ''})",
                                   maybe_sent=not reading and status >= 500)
    refusal = f"{label}: Instagram would not let the bot {what}: {said}"
    return AuthFailed(refusal) if reading else ActionRefused(refusal)


@dataclass(frozen=True)
class GraphInstagramOptions:
    """The account's options, checked once when the adapter is built."""

    login: str = "facebook"
    api_base_url: str | None = None
    graph_version: str | None = None
    timeout_seconds: float = 10.0
    watched_media: int = DEFAULT_WATCHED_MEDIA
    initial_lookback: timedelta = timedelta(minutes=60)
    notice_image_url: str | None = None
    daily_impressions: int = 1

    KEYS = ("login", "api_base_url", "graph_version", "timeout_seconds", "watched_media",
            "initial_lookback_minutes", "notice_image_url", "daily_impressions")

    @classmethod
    def from_config(cls, config: AccountConfig) -> "GraphInstagramOptions":
        options = config.options
        where = config.settings_file

        def key(name: str) -> str:
            return f"{config.settings_key}.options.{name}"

        for name in options:
            if name not in cls.KEYS:
                raise ConfigError(where, key(name), f"unknown Instagram API option; known: {', '.join(cls.KEYS)}")

        def number(name: str, default: float, whole: bool = False) -> Any:
            value = options.get(name, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError(where, key(name), f"must be a number above 0, not {value!r}")
            if whole and value != int(value):
                raise ConfigError(where, key(name), f"must be a whole number, not {value!r}")
            return int(value) if whole else float(value)

        def text(name: str) -> str | None:
            value = options.get(name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(where, key(name), f"must be a non-empty string, not {value!r}")
            return value

        login = options.get("login", "facebook")
        if login not in LOGINS:
            raise ConfigError(where, key("login"), f"must be one of {', '.join(LOGINS)}, not {login!r}")
        image_url = text("notice_image_url")
        if image_url is not None and not image_url.startswith("https://"):
            raise ConfigError(where, key("notice_image_url"),
                              "must be an https:// address Instagram can fetch the picture from")
        return cls(
            login=login,
            api_base_url=text("api_base_url"),
            graph_version=text("graph_version"),
            timeout_seconds=number("timeout_seconds", 10.0),
            watched_media=number("watched_media", DEFAULT_WATCHED_MEDIA, whole=True),
            initial_lookback=timedelta(minutes=number("initial_lookback_minutes", 60, whole=True)),
            notice_image_url=image_url,
            daily_impressions=number("daily_impressions", 1, whole=True),
        )


def rate_budgets(watched_media: int, daily_impressions: int) -> dict[str, RateBudget]:
    """Fetches per day, from the Instagram API's documented business-use-case limit.

    developers.facebook.com/docs/graph-api/overview/rate-limiting (Instagram Platform): calls
    within 24 hours = 4800 x the account's impressions; `daily_impressions` defaults to 1, the
    floor, which is 200 calls an hour. A comments fetch costs one call for the media list and one
    per watched medium, a mentions or messages fetch about one: 70% of the calls go to comments,
    25% to direct messages and 5% to mentions.
    """
    calls, day = 4800 * daily_impressions, timedelta(hours=24)
    return {COMMENTS: RateBudget(max(1, calls * 7 // 10 // (1 + watched_media)), day),
            MESSAGES: RateBudget(max(1, calls // 4), day), MENTIONS: RateBudget(max(1, calls // 20), day)}


class GraphInstagramAdapter(GraphCalls, Adapter):
    """One Instagram professional account, through the official Instagram API."""

    platform = Platform.INSTAGRAM
    platform_name = "Instagram"
    streams = (COMMENTS, MENTIONS, MESSAGES)

    def __init__(self, config: AccountConfig, api: GraphAPI, options: GraphInstagramOptions,
                 app_token: str | None = None, clock: Callable[[], datetime] = _utc_now) -> None:
        self.account = config.name
        self.options = options
        self.ig_user_id = str(config.secrets["IG_USER_ID"])
        self.page_id = str(config.secrets.get("PAGE_ID") or "")
        # With Instagram Login the account itself owns its conversations; with Facebook Login the Page does.
        self.inbox_id = self.page_id if options.login == "facebook" else self.ig_user_id
        self.label = f"Instagram account {config.handle or config.name}"
        self.capabilities = CAPABILITIES if options.notice_image_url else replace(
            CAPABILITIES, actions=CAPABILITIES.actions - {ActionKind.POST_NOTICE})
        self.rate_budgets = rate_budgets(options.watched_media, options.daily_impressions)
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", config.name).strip("-") or "account"
        self.notice_path = Path(config.state_dir) / f"instagram-graph-{slug}-notice.json"
        self._api = api
        self._app_token = app_token
        self._clock = clock

    # -- calling the library (the steps themselves are `GraphCalls`, shared with Facebook) -------------
    def _translate(self, status: int, error: Mapping[str, Any], headers: Mapping[str, str], *,
                   reading: bool, what: str) -> PlatformError:
        return translate_failure(status, error, headers, reading=reading, what=what, label=self.label,
                                 now=self._clock())

    @contextmanager
    def _readable(self, what: str) -> Iterator[None]:
        """An answer that is JSON but lacks the documented fields is an unreadable answer."""
        try:
            yield
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise PlatformUnavailable(f"{self.label}: Instagram's answer was not in the documented shape "
                                      f"while the bot tried to {what} ({type(error).__name__}: {error})") from None

    # -- reading --------------------------------------------------------------------------------
    def own_ids(self) -> frozenset[str]:
        return frozenset({self.ig_user_id, *([self.page_id] if self.page_id else [])})

    def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """New items of `stream`, oldest first; with no cursor only the last `initial_lookback_minutes`."""
        if stream not in self.streams:
            raise ValueError(f"{self.label}: unknown stream {stream!r}; streams are {', '.join(self.streams)}")
        mark = Watermark.decode(cursor) if cursor else Watermark(self._clock() - self.options.initial_lookback, {})
        read = {COMMENTS: self._read_comments, MENTIONS: self._read_mentions, MESSAGES: self._read_messages}[stream]
        with self._readable(f"read {stream}"):
            found = list(read(mark))
        readable = [inbound for inbound in found if isinstance(inbound, Inbound) and mark.is_new(inbound)]
        items = tuple(sorted(readable, key=lambda inbound: (inbound.created_at, inbound.native_id)))
        return FetchResult(items, mark.advanced(items).encode(), tuple(i for i in found if isinstance(i, Unreadable)))

    def _recent_media(self) -> list[dict[str, Any]]:
        """The account's `watched_media` newest media (the list comes newest first)."""
        answer = self._get(self.ig_user_id, "media", "read the account's posts", fields=MEDIA_FIELDS,
                           limit=self.options.watched_media)
        data = answer.get("data")
        if not isinstance(data, list):
            raise PlatformUnavailable(f"{self.label}: Instagram's list had no data while trying to read posts")
        return data[: self.options.watched_media]

    def _is_own(self, item: Any) -> bool:
        author = item.get("from") if isinstance(item, Mapping) else None
        return isinstance(author, Mapping) and str(author.get("id")) in self.own_ids()

    def _read_comments(self, mark: Watermark) -> Iterator[Inbound | Unreadable]:
        """Every comment and reply on the watched media; the edge has no `since`, so whole lists are read."""
        for media in self._recent_media():
            if not media.get("comments_count", 1):
                continue  # a post nobody commented on costs no further call
            for comment in self._pages(media["id"], "comments", "read comments", fields=COMMENT_WITH_REPLIES,
                                       limit=PAGE_SIZE):
                replies = (comment.get("replies") or {}) if isinstance(comment, Mapping) else {}
                for item in (comment, *self._replies(comment, replies)):
                    if not self._is_own(item):
                        yield read_item(item, lambda item=item: self._comment_inbound(item, media))

    def _replies(self, comment: Mapping[str, Any], nested: Mapping[str, Any]) -> list[Any]:
        """A comment's replies: the nested first page, then the `replies` edge for the rest."""
        replies = list(nested.get("data") or [])
        after = _next_cursor(nested)
        while after is not None:
            answer = self._get(comment["id"], "replies", "read replies", fields=COMMENT_FIELDS, limit=PAGE_SIZE,
                               after=after)
            replies.extend(answer.get("data") or [])
            after = _next_cursor(answer)
        return replies

    def _comment_inbound(self, comment: Mapping[str, Any], media: Mapping[str, Any]) -> Inbound:
        extras = {"hidden": comment.get("hidden", False), "post_message": media.get("caption", "")}
        if media.get("permalink"):
            extras["permalink_url"] = media["permalink"]
        return Inbound(
            platform=Platform.INSTAGRAM,
            account=self.account,
            stream=COMMENTS,
            channel=Channel.PUBLIC,
            native_id=_required_id(comment),
            author=_author(comment),
            text=_text(comment, "text"),
            created_at=parse_graph_time(comment["timestamp"]),
            thread_id=str(media["id"]),
            parent_id=str(comment.get("parent_id") or media["id"]),
            in_reply_to_own=True,  # every comment here sits under one of the account's own posts
            extras=extras,
        )

    def _read_mentions(self, mark: Watermark) -> Iterator[Inbound | Unreadable]:
        """Media the account is tagged in, newest first, until one is older than the watermark."""
        for media in self._pages(self.ig_user_id, "tags", "read the posts the account is tagged in",
                                 fields=TAGGED_FIELDS, limit=PAGE_SIZE):
            moment = _time_or_none({"created_time": media.get("timestamp")} if isinstance(media, Mapping) else {})
            if moment is not None and moment < mark.floor:
                return
            yield read_item(media, lambda media=media: self._mention_inbound(media))

    def _mention_inbound(self, media: Mapping[str, Any]) -> Inbound:
        username = str(media.get("username") or "")
        return Inbound(
            platform=Platform.INSTAGRAM,
            account=self.account,
            stream=MENTIONS,
            channel=Channel.PUBLIC,
            native_id=_required_id(media),
            # The tags edge names the owner but not their id: the handle stands in, so strikes still add up.
            author=Author(id=f"username:{username}", handle=username, display_name=username),
            text=_text(media, "caption"),
            created_at=parse_graph_time(media["timestamp"]),
            thread_id=str(media["id"]),
            parent_id=str(media["id"]),
            in_reply_to_own=False,  # someone else's post: it can be answered, not hidden or deleted
            extras={"mention": "media", **({"permalink_url": media["permalink"]} if media.get("permalink") else {})},
        )

    def _read_messages(self, mark: Watermark) -> Iterator[Inbound | Unreadable]:
        conversations = self._pages(self.inbox_id, "conversations", "read direct messages",
                                    platform="instagram", fields=CONVERSATION_FIELDS, limit=25)
        for conversation in conversations:  # newest activity first
            if parse_graph_time(conversation["updated_time"]) < mark.floor:
                return
            yield from self._conversation_inbounds(conversation, mark.floor)

    def _conversation_inbounds(self, conversation: Mapping[str, Any],
                               floor: datetime) -> Iterator[Inbound | Unreadable]:
        """The conversation's messages since `floor`, reading older pages only while needed."""
        nested = conversation.get("messages") or {"data": []}
        messages: list[Any] = list(nested.get("data") or [])
        after = _next_cursor(nested)
        while after is not None and messages and (_time_or_none(messages[-1]) or floor) >= floor:
            older = self._get(conversation["id"], "messages", "read direct messages",
                              fields=MESSAGE_FIELDS, limit=25, after=after)
            messages.extend(older.get("data") or [])
            after = _next_cursor(older)
        heard = [_time_or_none(m) for m in messages if isinstance(m, Mapping) and not self._is_own(m)]
        last_heard = max((moment for moment in heard if moment is not None), default=None)
        for message in messages:
            if self._is_own(message):
                continue
            moment = _time_or_none(message) if isinstance(message, Mapping) else None
            if moment is None or moment >= floor:
                yield read_item(message, lambda message=message: self._message_inbound(message, conversation,
                                                                                       last_heard))

    def _message_inbound(self, message: Mapping[str, Any], conversation: Mapping[str, Any],
                         last_heard: datetime | None) -> Inbound:
        extras: dict[str, object] = {}
        if last_heard is not None:
            extras["person_last_wrote_at"] = last_heard.isoformat()
        return Inbound(
            platform=Platform.INSTAGRAM,
            account=self.account,
            stream=MESSAGES,
            channel=Channel.PRIVATE,
            native_id=_required_id(message),
            author=_author(message),
            text=_text(message, "message"),
            created_at=parse_graph_time(message["created_time"]),
            thread_id=str(conversation["id"]),
            in_reply_to_own=True,
            extras=extras,
        )

    def find_own_reply(self, inbound: Inbound, channel: Channel) -> str | None:
        """The account's public reply under a comment, or its later direct message to the person."""
        with self._readable("look for the account's reply"):
            if channel is Channel.PUBLIC:
                if inbound.stream != COMMENTS:
                    return None  # a reply to a mention cannot be looked up; the service then tells staff
                target = inbound.native_id if inbound.parent_id == inbound.thread_id else inbound.parent_id
                for reply in self._pages(target, "replies", "look for the account's reply",
                                         fields="id,from,timestamp", limit=PAGE_SIZE):
                    if self._is_own(reply) and parse_graph_time(reply["timestamp"]) >= inbound.created_at:
                        return str(reply["id"])
                return None
            return self._own_direct_message(inbound)

    def _own_direct_message(self, inbound: Inbound) -> str | None:
        """A message from the account to the person sent after `inbound`, in their conversation."""
        conversations = self._pages(self.inbox_id, "conversations", "look for the account's answer",
                                    platform="instagram", user_id=inbound.author.id, fields=CONVERSATION_FIELDS,
                                    limit=25)
        for conversation in conversations:
            for message in (conversation.get("messages") or {}).get("data") or []:  # newest first
                if parse_graph_time(message["created_time"]) < inbound.created_at:
                    break
                if self._is_own(message):
                    return str(message["id"])
        return None

    # -- acting ---------------------------------------------------------------------------------
    def _send(self, what: str, recipient: dict[str, str], text: str) -> str:
        data = {"recipient": json.dumps(recipient), "message": json.dumps({"text": text}),
                "messaging_type": "RESPONSE"}
        answer = self._post(what, self.inbox_id, "messages", data)
        return str(answer.get("message_id") or "")

    def reply(self, inbound: Inbound, text: str, channel: Channel) -> str:
        limit = self.capabilities.max_reply_length[channel]
        if len(text) > limit:
            raise ActionRefused(f"{self.label}: a {channel.value} reply is limited to {limit} characters, "
                                f"this one has {len(text)}")
        if inbound.channel is Channel.PUBLIC and channel is Channel.PUBLIC:
            if inbound.stream == MENTIONS:
                answer = self._post("reply to a post the account is tagged in", self.ig_user_id, "mentions",
                                    {"media_id": inbound.native_id, "message": text})
                return str(answer["id"])
            # Instagram keeps one level of replies: a reply to a reply goes under the top comment.
            target = inbound.native_id if inbound.parent_id == inbound.thread_id else inbound.parent_id
            return str(self._post("reply to a comment", target, "replies", {"message": text})["id"])
        if inbound.channel is Channel.PUBLIC:
            if inbound.stream != COMMENTS:
                raise ActionRefused(f"{self.label}: only comments on the account's posts can be answered privately")
            if self._clock() - inbound.created_at >= PRIVATE_REPLY_WINDOW:
                raise ActionRefused(f"{self.label}: Instagram allows a private reply only within 7 days of "
                                    f"the comment (written {inbound.created_at.isoformat()})")
            return self._send("reply privately to a comment", {"comment_id": inbound.native_id}, text)
        if channel is Channel.PUBLIC:
            raise ActionRefused(f"{self.label}: a direct message cannot be answered in public")
        self._require_messaging_window(inbound)
        return self._send("answer a direct message", {"id": inbound.author.id}, text)

    def _require_messaging_window(self, inbound: Inbound) -> None:
        """Refuse before calling: the account may answer only within 24 hours of the person's last message."""
        last_wrote = inbound.created_at
        noted = inbound.extras.get("person_last_wrote_at")
        if isinstance(noted, str):
            last_wrote = max(last_wrote, datetime.fromisoformat(noted))
        if self._clock() - last_wrote >= MESSAGING_WINDOW:
            raise ActionRefused(f"{self.label}: outside Instagram's 24-hour messaging window (the person last "
                                f"wrote at {last_wrote.isoformat()}); answer by another channel")

    def _require_own_comment(self, inbound: Inbound, verb: str) -> None:
        if inbound.channel is not Channel.PUBLIC or inbound.stream != COMMENTS:
            raise ActionRefused(f"{self.label}: only comments on the account's own posts can be {verb}")

    def _set_hidden(self, inbound: Inbound, hidden: bool) -> str:
        verb = "hide" if hidden else "unhide"
        self._require_own_comment(inbound, f"{verb}den")
        self._post(f"{verb} a comment", inbound.native_id, None, {"hide": "true" if hidden else "false"})
        return inbound.native_id

    def hide(self, inbound: Inbound) -> str:
        return self._set_hidden(inbound, True)

    def unhide(self, inbound: Inbound) -> str:
        return self._set_hidden(inbound, False)

    def delete(self, inbound: Inbound) -> str:
        self._require_own_comment(inbound, "deleted")
        self._call("delete a comment", lambda: self._api.delete_object(inbound.native_id), reading=False)
        return inbound.native_id

    def block(self, author: Author) -> str:
        raise ActionRefused(f"{self.label}: the Instagram API cannot block anyone; block them in the app")

    def unblock(self, author: Author) -> str:
        raise ActionRefused(f"{self.label}: the Instagram API cannot unblock anyone; unblock them in the app")

    # -- the offline notice ---------------------------------------------------------------------
    def post_notice(self, text: str) -> str:
        """Publish `notice_image_url` with the notice as caption and alt text, remembered to delete later."""
        if not self.options.notice_image_url:
            raise ActionRefused(f"{self.label}: the Instagram API publishes only a picture at a public address "
                                "and none is set (options.notice_image_url); post the notice by hand")
        if len(text) > COMMENT_MAX_LENGTH:
            raise ActionRefused(f"{self.label}: an Instagram caption holds at most {COMMENT_MAX_LENGTH} characters")
        container = self._post("prepare the offline notice", self.ig_user_id, "media",
                               {"image_url": self.options.notice_image_url, "caption": text, "alt_text": text})
        published = self._post("publish the offline notice", self.ig_user_id, "media_publish",
                               {"creation_id": str(container["id"])})
        media_id = str(published["id"])
        self._remember_notices([*self._recorded_notices(), media_id])
        return media_id

    def find_notice(self, text: str) -> str | None:
        """Our notice among the newest media, by its caption; remembered so reopening deletes it."""
        with self._readable("look for the offline notice"):
            for media in self._recent_media():
                if media.get("caption") == text:
                    media_id = str(media["id"])
                    if media_id not in self._recorded_notices():
                        self._remember_notices([*self._recorded_notices(), media_id])
                    return media_id
        return None

    def clear_notice(self) -> str | None:
        """Delete every notice still up; one already deleted by hand counts as done."""
        deleted: list[str] = []
        for media_id in self._recorded_notices():
            try:
                self._call("delete the offline notice", lambda media_id=media_id: self._api.delete_object(media_id),
                           reading=False)
            except ActionRefused as refusal:
                if "code 100" not in str(refusal):  # 100: the object no longer exists
                    raise ActionRefused(f"{refusal}; delete the notice post in the app") from refusal
            deleted.append(media_id)
            self._remember_notices([m for m in self._recorded_notices() if m != media_id])
        return ", ".join(f"deleted:{media_id}" for media_id in deleted) or None

    def _recorded_notices(self) -> list[str]:
        if not self.notice_path.exists():
            return []
        return [str(media_id) for media_id in json.loads(self.notice_path.read_text(encoding="utf-8"))]

    def _remember_notices(self, media_ids: list[str]) -> None:
        """The notices still up, kept in the state folder so a restart still takes them down."""
        if not media_ids:
            self.notice_path.unlink(missing_ok=True)
            return
        self.notice_path.parent.mkdir(parents=True, exist_ok=True)
        self.notice_path.write_text(json.dumps(media_ids), encoding="utf-8")

    # -- checking -------------------------------------------------------------------------------
    def check(self) -> AccountCheck:
        """Who the token is, and which permissions it lacks, in words for a comms officer."""
        try:
            me = self._call("say which Instagram account this is", lambda: self._api.get_object(
                self.ig_user_id, fields="id,username"), reading=True)
        except PlatformError as error:
            return AccountCheck(False, self.label, (str(error),))
        identity = f"@{me.get('username', '')} ({me.get('id', '')})"
        label = f"Instagram account @{me.get('username') or self.account}"
        if self.options.login == "facebook":
            problems = self._facebook_login_problems(label)
        else:
            problems = self._instagram_login_problems(label)
        if not self.options.notice_image_url:  # a choice, not a fault: said, but check still passes
            identity += "; offline notice: a task for staff (no options.notice_image_url)"
        return AccountCheck(not problems, identity, tuple(problems))

    def _facebook_login_problems(self, label: str) -> list[str]:
        problems: list[str] = []
        try:
            page = self._call("read the linked Page", lambda: self._api.get_object(
                self.page_id, fields="id,name,instagram_business_account"), reading=True)
        except PlatformError as error:
            problems.append(f"{label}: could not read the linked Page {self.page_id} ({error})")
        else:
            linked = str((page.get("instagram_business_account") or {}).get("id") or "")
            if linked != self.ig_user_id:
                problems.append(f"{label}: Page {self.page_id} is linked to Instagram account "
                                f"{linked or 'none'}, not {self.ig_user_id}; link them in Meta Business Suite")
        try:
            token = self._call("describe the token", lambda: self._api.debug_token(
                self._api.access_token, access_token=self._app_token or self._api.access_token), reading=True)
        except PlatformError as error:
            return [*problems, f"{label}: could not read the token's permissions ({error})"]
        data = token.get("data") or {}
        if not data.get("is_valid", False):
            return [*problems, f"{label}: Facebook says the token is no longer valid; make a new Page access token"]
        granted = set(data.get("scopes") or [])
        for permission, _, consequence in PERMISSION_NEEDS:
            if permission not in granted:
                problems.append(f"{label}: token lacks {permission}; {consequence}")
        if self.options.notice_image_url and PUBLISH_PERMISSION[0] not in granted:
            problems.append(f"{label}: token lacks {PUBLISH_PERMISSION[0]}; the offline notice cannot be posted")
        expires = data.get("expires_at") or 0
        if expires and datetime.fromtimestamp(expires, timezone.utc) - self._clock() < timedelta(days=7):
            problems.append(f"{label}: the token expires on "
                            f"{datetime.fromtimestamp(expires, timezone.utc):%Y-%m-%d %H:%M} UTC; make a long-lived one")
        return problems

    def _instagram_login_problems(self, label: str) -> list[str]:
        """Instagram Login tokens cannot be inspected: each permission is probed with a harmless read."""
        probes: list[tuple[str, str, Callable[[], Any]]] = [
            (PERMISSION_NEEDS[0][1], PERMISSION_NEEDS[0][2],
             lambda: self._api.get_connection(self.ig_user_id, "media", fields="id", limit=1)),
            (PERMISSION_NEEDS[1][1], PERMISSION_NEEDS[1][2], self._read_one_comment),
            (PERMISSION_NEEDS[2][1], PERMISSION_NEEDS[2][2],
             lambda: self._api.get_connection(self.ig_user_id, "conversations", platform="instagram", limit=1)),
        ]
        if self.options.notice_image_url:
            probes.append((PUBLISH_PERMISSION[1], "the offline notice cannot be posted",
                           lambda: self._api.get_connection(self.ig_user_id, "content_publishing_limit")))
        problems: list[str] = []
        for permission, consequence, probe in probes:
            try:
                self._call(f"check {permission}", probe, reading=True)
            except AuthFailed as error:
                code = re.search(r"\(code (\d+)\)", str(error))
                if code and int(code.group(1)) in PERMISSION_CODES:
                    problems.append(f"{label}: token lacks {permission}; {consequence}")
                else:
                    problems.append(str(error))
            except PlatformError as error:
                problems.append(f"{label}: could not check {permission} ({error})")
        return problems

    def _read_one_comment(self) -> dict[str, Any]:
        """The newest post's comments edge, which needs the comments permission (no post: nothing to try)."""
        newest = self._api.get_connection(self.ig_user_id, "media", fields="id", limit=1).get("data") or []
        return self._api.get_connection(newest[0]["id"], "comments", fields="id", limit=1) if newest else {}

    def close(self) -> None:
        self._api.session.close()


def _required_id(item: Mapping[str, Any]) -> str:
    native_id = item["id"]
    if not isinstance(native_id, str) or not native_id:
        raise ValueError(f"id is not a non-empty string: {native_id!r}")
    return native_id


def _text(item: Mapping[str, Any], key: str) -> str:
    """Text is documented as a string and left out when there are no words; anything else is malformed."""
    text = item.get(key, "")
    if not isinstance(text, str):
        raise TypeError(f"{key} is {type(text).__name__}, not a string")
    return text


def _author(item: Mapping[str, Any]) -> Author:
    """`from` is `{id, username}` (IGCommentFromUser); the top-level `username` when `from` is left out."""
    raw = item.get("from") or {}
    username = str(raw.get("username") or item.get("username") or "")
    return Author(id=str(raw.get("id") or ""), handle=username, display_name=username)


def create(config: AccountConfig, clock: Callable[[], datetime] = _utc_now) -> GraphInstagramAdapter:
    """Build the adapter from the account's settings and secrets; nothing is called yet."""
    where = f"account {config.name!r}"
    for key in REQUIRED_ENV:
        if not config.secrets.get(key):
            raise ConfigError(where, key, "is missing: set it in .env under the account's env prefix")
    options = GraphInstagramOptions.from_config(config)
    if options.login == "facebook" and not config.secrets.get("PAGE_ID"):
        raise ConfigError(where, "PAGE_ID", "is missing: Facebook Login reads direct messages through the "
                                            "linked Page; set it in .env, or set options.login = \"instagram\"")
    app_id, app_secret = config.secrets.get("APP_ID"), config.secrets.get("APP_SECRET")
    base_url = options.api_base_url.rstrip("/") + "/" if options.api_base_url else None
    client = GraphAPI if options.login == "facebook" else BasicDisplayAPI
    api = client(
        app_id=app_id,
        app_secret=app_secret,
        access_token=config.secrets["ACCESS_TOKEN"],
        version=options.graph_version,
        sleep_on_rate_limit=False,  # the service owns waiting; the library must never sleep
        base_url=base_url,
        timeout=options.timeout_seconds,
    )
    api.session.hooks["response"].append(_raise_for_error_status)
    app_token = f"{app_id}|{app_secret}" if app_id and app_secret else None
    return GraphInstagramAdapter(config, api, options, app_token, clock)
