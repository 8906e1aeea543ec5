"""A fake official Instagram API (Graph `IGUser`, `IGMedia`, `IGComment`) for one professional account.

Shapes follow Meta's node specs: an IGMedia has `caption`, `timestamp`, `comments_count`,
`permalink` and the edges `comments` (GET) and DELETE; an IGComment has `text`, `timestamp`,
`username`, `from` {id, username}, `hidden`, `parent_id`, the `replies` edge (GET, POST) and
POST `hide`; the IGUser has `media` (GET, and POST for a container), `media_publish`, `tags`,
`mentions` (POST) and `content_publishing_limit`. Direct messages are the inbox's `conversations`
(UnifiedThread, `platform=instagram`) and `messages` edges: the linked Page's with Facebook Login,
the account's own with Instagram Login. Errors use the Graph envelope; the throttle is code 80002
(Instagram's business-use-case limit) with `X-Business-Use-Case-Usage`.

State is plain Python so a test seeds what people wrote and checks what the bot did; `now` stamps
what the bot creates and decides the 24-hour messaging window and the 7-day private-reply window.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest

from tests.fakes.facebook import _decode_cursor, _encode_cursor, _split_fields, expired_token_reply, graph_error, graph_time
from tests.fakes.server import FakePlatform, FakeServer, Fault, Reply, Request, as_served

VERSION = r"/v\d+\.\d+"
FACEBOOK_LOGIN_PERMISSIONS = frozenset({"instagram_basic", "instagram_manage_comments", "instagram_manage_messages",
                                        "instagram_content_publish", "pages_read_engagement", "pages_show_list"})
INSTAGRAM_LOGIN_PERMISSIONS = frozenset({"instagram_business_basic", "instagram_business_manage_comments",
                                         "instagram_business_manage_messages", "instagram_business_content_publish"})
# The Instagram Login name of each Facebook Login permission the fake checks.
INSTAGRAM_LOGIN_NAME = {"instagram_basic": "instagram_business_basic",
                        "instagram_manage_comments": "instagram_business_manage_comments",
                        "instagram_manage_messages": "instagram_business_manage_messages",
                        "instagram_content_publish": "instagram_business_content_publish"}
MESSAGING_WINDOW = timedelta(hours=24)
PRIVATE_REPLY_WINDOW = timedelta(days=7)


def rate_limit_reply(ig_user_id: str, minutes: int) -> Reply:
    """Instagram's business-use-case throttle: code 80002 and `X-Business-Use-Case-Usage`."""
    usage = {ig_user_id: [{"type": "instagram", "call_count": 100, "total_cputime": 8, "total_time": 15,
                           "estimated_time_to_regain_access": minutes}]}
    return graph_error(80002, "There have been too many calls to this Instagram account. Wait a bit and try again.",
                       status=400, headers={"X-Business-Use-Case-Usage": json.dumps(usage)})


def app_usage_429(minutes: int) -> Reply:
    """A 429 carrying only the app-level `X-App-Usage` header."""
    return graph_error(4, "(#4) Application request limit reached", status=429, headers={
        "X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 40, "total_time": 60,
                                   "estimated_time_to_regain_access": minutes})})


@dataclass
class IGPerson:
    id: str
    username: str

    def as_from(self) -> dict[str, str]:
        return {"id": self.id, "username": self.username}


@dataclass
class Media:
    id: str
    owner: IGPerson
    caption: str
    timestamp: datetime
    image_url: str = ""
    alt_text: str = ""
    deleted: bool = False


@dataclass
class IGComment:
    id: str
    media_id: str
    author: IGPerson
    text: str
    timestamp: datetime
    parent_id: str = ""
    hidden: bool = False
    deleted: bool = False
    privately_replied: bool = False
    served: dict[str, Any] = field(default_factory=dict)  # fields sent instead of the real ones (malformed)


@dataclass
class DirectMessage:
    id: str
    author: IGPerson
    text: str
    created_time: datetime
    served: dict[str, Any] = field(default_factory=dict)


@dataclass
class Thread:
    id: str
    person: IGPerson
    messages: list[DirectMessage] = field(default_factory=list)

    @property
    def updated_time(self) -> datetime:
        return max(m.created_time for m in self.messages)


@dataclass
class SentMessage:
    id: str
    recipient: dict[str, str]
    text: str
    messaging_type: str
    sent_at: datetime


class FakeInstagramGraph(FakePlatform):
    """One Instagram professional account, linked to the Page "Leeds Health"."""

    def __init__(self, ig_user_id: str = "17841400000000001", username: str = "nhsleeds",
                 page_id: str = "1122334455", token: str = "IG-TOKEN", app_id: str = "998877",
                 app_secret: str = "app-secret") -> None:
        self.account = IGPerson(ig_user_id, username)
        self.page_id = page_id
        self.token = token
        self.app_id = app_id
        self.app_secret = app_secret
        self.server = FakeServer()
        self.lock = threading.RLock()
        self._add_routes()
        self.reset()

    def reset(self, login: str = "facebook") -> None:
        """A clean account, every permission of `login`'s flavour granted, nothing posted."""
        self.login = login
        self.permissions: set[str] = set(FACEBOOK_LOGIN_PERMISSIONS if login == "facebook"
                                         else INSTAGRAM_LOGIN_PERMISSIONS)
        self.token_valid = True
        self.linked_ig_user_id = self.account.id
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
        self.media: dict[str, Media] = {}
        self.tagged: dict[str, Media] = {}  # other people's media the account is tagged in
        self.comments: dict[str, IGComment] = {}
        self.threads: dict[str, Thread] = {}
        self.sent: list[SentMessage] = []
        self.containers: dict[str, Media] = {}
        self.notices: list[Media] = []
        self.mention_replies: list[tuple[str, str]] = []  # (media id, text)
        self.nested_replies_page_size = 25
        self._ids = itertools.count(18000000000001000)
        self.server.clear()

    def inject(self, fault: Fault) -> None:
        self.server.inject(fault)

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    @property
    def inbox_id(self) -> str:
        return self.page_id if self.login == "facebook" else self.account.id

    # -- seeding what people do -----------------------------------------------------------------
    def _next_id(self) -> str:
        return str(next(self._ids))

    def add_media(self, caption: str, at: datetime | None = None) -> Media:
        with self.lock:
            media = Media(self._next_id(), self.account, caption, at or self.now)
            self.media[media.id] = media
            return media

    def add_tag(self, person: IGPerson, caption: str, at: datetime | None = None) -> Media:
        with self.lock:
            media = Media(self._next_id(), person, caption, at or self.now)
            self.tagged[media.id] = media
            return media

    def add_comment(self, media: Media, author: IGPerson, text: str, at: datetime | None = None,
                    parent: IGComment | None = None) -> IGComment:
        with self.lock:
            comment = IGComment(self._next_id(), media.id, author, text, at or self.now,
                                parent_id=parent.id if parent else "")
            self.comments[comment.id] = comment
            return comment

    def add_message(self, person: IGPerson, text: str, at: datetime | None = None) -> DirectMessage:
        with self.lock:
            thread = self._thread_with(person)
            message = DirectMessage(f"aWdfbWVzc2FnZ{self._next_id()}", person, text, at or self.now)
            thread.messages.append(message)
            return message

    def _thread_with(self, person: IGPerson) -> Thread:
        for thread in self.threads.values():
            if thread.person.id == person.id:
                return thread
        thread = Thread(f"aWdfdGhyZWFk{self._next_id()}", person)
        self.threads[thread.id] = thread
        return thread

    # -- inspecting what the bot did ------------------------------------------------------------
    def replies_to(self, comment: IGComment) -> list[IGComment]:
        top = comment.parent_id or comment.id
        return [c for c in self.comments.values() if c.parent_id == top and c.author.id == self.account.id
                and not c.deleted and c.timestamp >= comment.timestamp]

    def own_comments(self) -> list[IGComment]:
        return [c for c in self.comments.values() if c.author.id == self.account.id and not c.deleted]

    def messages_to(self, person: IGPerson) -> list[SentMessage]:
        return [s for s in self.sent if s.recipient.get("id") == person.id]

    def private_replies_to(self, comment: IGComment) -> list[SentMessage]:
        return [s for s in self.sent if s.recipient.get("comment_id") == comment.id]

    def live_notices(self) -> list[Media]:
        return [m for m in self.notices if not m.deleted]

    def calls(self, method: str, path_suffix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    # -- wire helpers ---------------------------------------------------------------------------
    @staticmethod
    def _args(request: Request) -> dict[str, str]:
        return {**request.query, **(request.form() if request.method == "POST" else {})}

    def _auth_error(self, request: Request) -> Reply | None:
        if self._args(request).get("access_token", "") != self.token:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if not self.token_valid:
            return expired_token_reply()
        return None

    def _lacks(self, *permissions: str) -> Reply | None:
        names = [p if self.login == "facebook" else INSTAGRAM_LOGIN_NAME.get(p, "") for p in permissions]
        missing = [name for name in names if name and name not in self.permissions]
        if not missing:
            return None
        return graph_error(10, f"(#10) Application does not have permission for this action ({' and '.join(missing)})")

    def _page(self, items: list[dict[str, Any]], request: Request, limit_default: int = 25) -> dict[str, Any]:
        args = self._args(request)
        limit = int(args.get("limit") or limit_default)
        offset = _decode_cursor(args["after"]) if args.get("after") else 0
        return self._paged(items, offset, limit, request, {k: v for k, v in args.items() if k != "after"})

    @staticmethod
    def _paged(items: list[dict[str, Any]], offset: int, limit: int, request: Request, query: dict[str, str],
               path: str | None = None) -> dict[str, Any]:
        chunk = items[offset: offset + limit]
        body: dict[str, Any] = {"data": chunk}
        if chunk:
            body["paging"] = {"cursors": {"before": _encode_cursor(offset), "after": _encode_cursor(offset + len(chunk))}}
            if offset + len(chunk) < len(items):
                host = request.headers.get("Host", "127.0.0.1")
                query = {**query, "after": _encode_cursor(offset + len(chunk))}
                body["paging"]["next"] = f"http://{host}{path or request.path}?" + "&".join(
                    f"{k}={v}" for k, v in query.items())
        return body

    @staticmethod
    def _select(obj: dict[str, Any], fields: str) -> dict[str, Any]:
        if not fields:
            return obj
        wanted = {name.split("{")[0].split(".")[0] for name in _split_fields(fields)} | {"id"}
        return {k: v for k, v in obj.items() if k in wanted}

    def _comment_json(self, comment: IGComment) -> dict[str, Any]:
        body: dict[str, Any] = {"id": comment.id, "text": comment.text, "timestamp": graph_time(comment.timestamp),
                                "username": comment.author.username, "from": comment.author.as_from(),
                                "hidden": comment.hidden, "like_count": 0, "media": {"id": comment.media_id}}
        if comment.parent_id:
            body["parent_id"] = comment.parent_id
        return as_served(body, comment.served)

    def _media_json(self, media: Media) -> dict[str, Any]:
        count = sum(1 for c in self.comments.values() if c.media_id == media.id and not c.deleted)
        return {"id": media.id, "caption": media.caption, "timestamp": graph_time(media.timestamp),
                "username": media.owner.username, "comments_count": count, "media_type": "IMAGE",
                "permalink": f"https://www.instagram.com/p/{media.id[-6:]}/"}

    # -- routes ---------------------------------------------------------------------------------
    def _add_routes(self) -> None:
        s, ig, page = self.server, self.account.id, self.page_id
        s.route("GET", VERSION + r"/debug_token", self._debug_token)
        for inbox in (ig, page):
            s.route("GET", VERSION + rf"/(?P<inbox>{inbox})/conversations", self._guarded(self._list_threads))
            s.route("POST", VERSION + rf"/(?P<inbox>{inbox})/messages", self._guarded(self._send_message))
        s.route("GET", VERSION + rf"/{ig}/media", self._guarded(self._list_media))
        s.route("POST", VERSION + rf"/{ig}/media", self._guarded(self._create_container))
        s.route("POST", VERSION + rf"/{ig}/media_publish", self._guarded(self._publish))
        s.route("GET", VERSION + rf"/{ig}/content_publishing_limit", self._guarded(self._publishing_limit))
        s.route("GET", VERSION + rf"/{ig}/tags", self._guarded(self._list_tags))
        s.route("POST", VERSION + rf"/{ig}/mentions", self._guarded(self._reply_to_mention))
        s.route("GET", VERSION + rf"/{ig}", self._guarded(self._ig_user))
        s.route("GET", VERSION + rf"/{page}", self._guarded(self._page_node))
        s.route("GET", VERSION + r"/(?P<id>aWdf\w+)/messages", self._guarded(self._list_messages))
        s.route("GET", VERSION + r"/(?P<id>\d+)/comments", self._guarded(self._list_comments))
        s.route("GET", VERSION + r"/(?P<id>\d+)/replies", self._guarded(self._list_replies))
        s.route("POST", VERSION + r"/(?P<id>\d+)/replies", self._guarded(self._create_reply))
        s.route("POST", VERSION + r"/(?P<id>\d+)", self._guarded(self._update_comment))
        s.route("DELETE", VERSION + r"/(?P<id>\d+)", self._guarded(self._delete))

    def _guarded(self, handler: Any) -> Any:
        def serve(request: Request) -> Reply:
            with self.lock:
                return self._auth_error(request) or handler(request)
        return serve

    def _debug_token(self, request: Request) -> Reply:
        if self.login != "facebook":
            return graph_error(100, "Unsupported get request.", kind="GraphMethodException")
        args = self._args(request)
        if args.get("access_token") not in (f"{self.app_id}|{self.app_secret}", self.token):
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        return Reply(200, {"data": {"app_id": self.app_id, "type": "PAGE", "application": "housebot",
                                    "profile_id": self.page_id, "is_valid": self.token_valid and
                                    args.get("input_token") == self.token, "expires_at": 0,
                                    "scopes": sorted(self.permissions)}})

    def _ig_user(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_basic")
        if refusal:
            return refusal
        body = {"id": self.account.id, "username": self.account.username, "name": "NHS Leeds",
                "biography": "Official NHS Leeds account", "media_count": len(self.media)}
        return Reply(200, self._select(body, self._args(request).get("fields", "")))

    def _page_node(self, request: Request) -> Reply:
        if self.login != "facebook":
            return graph_error(100, "Unsupported get request.", kind="GraphMethodException")
        if "pages_read_engagement" not in self.permissions:
            return graph_error(10, "(#10) This endpoint requires the 'pages_read_engagement' permission")
        body = {"id": self.page_id, "name": "Leeds Health",
                "instagram_business_account": {"id": self.linked_ig_user_id}}
        return Reply(200, self._select(body, self._args(request).get("fields", "")))

    def _list_media(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_basic")
        if refusal:
            return refusal
        media = sorted((m for m in self.media.values() if not m.deleted), key=lambda m: m.timestamp, reverse=True)
        fields = self._args(request).get("fields", "")
        return Reply(200, self._page([self._select(self._media_json(m), fields) for m in media], request))

    def _list_tags(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_basic")
        if refusal:
            return refusal
        media = sorted(self.tagged.values(), key=lambda m: m.timestamp, reverse=True)
        fields = self._args(request).get("fields", "")
        return Reply(200, self._page([self._select(self._media_json(m), fields) for m in media], request))

    def _reply_to_mention(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_manage_comments")
        if refusal:
            return refusal
        args = self._args(request)
        if args.get("media_id") not in self.tagged or not args.get("message"):
            return graph_error(100, "(#100) media_id and message are required")
        self.mention_replies.append((args["media_id"], args["message"]))
        return Reply(200, {"id": self._next_id()})

    def _create_container(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_content_publish")
        if refusal:
            return refusal
        args = self._args(request)
        if not args.get("image_url", "").startswith("https://"):
            return graph_error(9004, "Only photo or video can be accepted as media type.", kind="OAuthException")
        container = Media(self._next_id(), self.account, args.get("caption", ""), self.now, args["image_url"],
                          args.get("alt_text", ""))
        self.containers[container.id] = container
        return Reply(200, {"id": container.id})

    def _publish(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_content_publish")
        if refusal:
            return refusal
        container = self.containers.pop(self._args(request).get("creation_id", ""), None)
        if container is None:
            return graph_error(100, "(#100) The media container does not exist")
        media = self.add_media(container.caption)
        media.image_url, media.alt_text = container.image_url, container.alt_text
        self.notices.append(media)
        return Reply(200, {"id": media.id})

    def _publishing_limit(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_content_publish")
        return refusal or Reply(200, {"data": [{"quota_usage": len(self.notices)}]})

    def _list_comments(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_basic", "instagram_manage_comments")
        if refusal:
            return refusal
        media = self.media.get(request.params["id"])
        if media is None or media.deleted:
            return graph_error(100, "Unsupported get request.", subcode=33, kind="GraphMethodException")
        top = sorted((c for c in self.comments.values() if c.media_id == media.id and not c.parent_id
                      and not c.deleted), key=lambda c: c.timestamp, reverse=True)
        fields = self._args(request).get("fields", "")
        items = []
        for comment in top:
            body = self._comment_json(comment)
            replies = self._reply_jsons(comment)
            body["replies"] = self._paged(replies, 0, self.nested_replies_page_size, request, {},
                                          path=request.path.rsplit("/", 2)[0] + f"/{comment.id}/replies")
            items.append(self._select(body, fields))
        return Reply(200, self._page(items, request))

    def _reply_jsons(self, comment: IGComment) -> list[dict[str, Any]]:
        replies = sorted((c for c in self.comments.values() if c.parent_id == comment.id and not c.deleted),
                         key=lambda c: c.timestamp)
        return [self._comment_json(c) for c in replies]

    def _list_replies(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_basic", "instagram_manage_comments")
        if refusal:
            return refusal
        comment = self.comments.get(request.params["id"])
        if comment is None or comment.deleted:
            return graph_error(100, "Unsupported get request.", subcode=33, kind="GraphMethodException")
        fields = self._args(request).get("fields", "")
        return Reply(200, self._page([self._select(r, fields) for r in self._reply_jsons(comment)], request))

    def _create_reply(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_manage_comments")
        if refusal:
            return refusal
        comment = self.comments.get(request.params["id"])
        message = self._args(request).get("message", "")
        if comment is None or comment.deleted:
            return graph_error(100, "Unsupported post request.", subcode=33, kind="GraphMethodException")
        if comment.parent_id:
            return graph_error(100, "(#100) Replies can only be made to top-level comments")
        if not message:
            return graph_error(100, "(#100) The parameter message is required")
        reply = self.add_comment(self.media[comment.media_id], self.account, message, parent=comment)
        return Reply(200, {"id": reply.id})

    def _update_comment(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_manage_comments")
        if refusal:
            return refusal
        comment = self.comments.get(request.params["id"])
        if comment is None or comment.deleted:
            return graph_error(100, "Unsupported post request.", subcode=33, kind="GraphMethodException")
        hide = self._args(request).get("hide")
        if hide not in ("true", "false"):
            return graph_error(100, "(#100) The parameter hide is required")
        if comment.author.id == self.account.id:
            return graph_error(100, "(#100) The account's own comments cannot be hidden")
        comment.hidden = hide == "true"
        return Reply(200, {"success": True})

    def _delete(self, request: Request) -> Reply:
        target = request.params["id"]
        if target in self.media and not self.media[target].deleted:
            refusal = self._lacks("instagram_basic")
            if refusal:
                return refusal
            self.media[target].deleted = True
            return Reply(200, {"success": True})
        refusal = self._lacks("instagram_manage_comments")
        if refusal:
            return refusal
        comment = self.comments.get(target)
        if comment is None or comment.deleted:
            return graph_error(100, "(#100) Object does not exist, cannot be loaded due to missing permission",
                               subcode=33)
        comment.deleted = True
        return Reply(200, {"success": True})

    def _wrong_inbox(self, request: Request) -> Reply | None:
        if request.params["inbox"] != self.inbox_id:
            return graph_error(100, "(#100) Unsupported request: Instagram messaging goes through "
                                    + ("the linked Page" if self.login == "facebook" else "the Instagram account"))
        return None

    def _message_json(self, message: DirectMessage, thread: Thread) -> dict[str, Any]:
        other = self.account if message.author.id != self.account.id else thread.person
        body = {"id": message.id, "from": message.author.as_from(), "to": {"data": [other.as_from()]},
                "message": message.text, "created_time": graph_time(message.created_time)}
        return as_served(body, message.served)

    def _list_threads(self, request: Request) -> Reply:
        refusal = self._wrong_inbox(request) or self._lacks("instagram_manage_messages")
        if refusal:
            return refusal
        args = self._args(request)
        if args.get("platform") != "instagram":
            return Reply(200, {"data": []})  # the Page's Messenger threads: none in this fake
        threads = sorted((t for t in self.threads.values() if t.messages and
                          (not args.get("user_id") or t.person.id == args["user_id"])),
                         key=lambda t: t.updated_time, reverse=True)
        fields = args.get("fields", "")
        items = []
        for thread in threads:
            messages = [self._message_json(m, thread) for m in
                        sorted(thread.messages, key=lambda m: m.created_time, reverse=True)]
            full = {"id": thread.id, "updated_time": graph_time(thread.updated_time),
                    "participants": {"data": [thread.person.as_from(), self.account.as_from()]},
                    "messages": self._paged(messages, 0, 20, request, {},
                                            path=request.path.rsplit("/", 2)[0] + f"/{thread.id}/messages")}
            items.append(self._select(full, fields))
        return Reply(200, self._page(items, request))

    def _list_messages(self, request: Request) -> Reply:
        refusal = self._lacks("instagram_manage_messages")
        if refusal:
            return refusal
        thread = self.threads.get(request.params["id"])
        if thread is None:
            return graph_error(100, "Unsupported get request.", subcode=33, kind="GraphMethodException")
        messages = [self._message_json(m, thread) for m in
                    sorted(thread.messages, key=lambda m: m.created_time, reverse=True)]
        return Reply(200, self._page(messages, request, limit_default=20))

    def _send_message(self, request: Request) -> Reply:
        refusal = self._wrong_inbox(request) or self._lacks("instagram_manage_messages")
        if refusal:
            return refusal
        args = self._args(request)
        try:
            recipient = json.loads(args["recipient"])
            text = json.loads(args["message"])["text"]
        except (KeyError, ValueError, TypeError):
            return graph_error(100, "(#100) param recipient and message[text] must be JSON objects")
        if "comment_id" in recipient:
            comment = self.comments.get(recipient["comment_id"])
            if comment is None or comment.deleted:
                return graph_error(100, "(#100) No matching comment", subcode=2534014)
            if comment.privately_replied or self.now - comment.timestamp > PRIVATE_REPLY_WINDOW:
                return graph_error(10, "(#10) This comment already has a private reply or is too old",
                                   subcode=2534023)
            comment.privately_replied = True
            thread = self._thread_with(comment.author)
        elif "id" in recipient:
            thread = self._thread_with(IGPerson(recipient["id"], ""))
            heard = [m.created_time for m in thread.messages if m.author.id == recipient["id"]]
            if not heard or self.now - max(heard) > MESSAGING_WINDOW:
                return graph_error(10, "(#10) This message is sent outside of allowed window.", subcode=2534022)
        else:
            return graph_error(100, "(#100) recipient must have an id or a comment_id")
        sent = SentMessage(f"aWdfbWVzc2FnZ{self._next_id()}", recipient, text, args.get("messaging_type", ""),
                           self.now)
        self.sent.append(sent)
        thread.messages.append(DirectMessage(sent.id, self.account, text, self.now))
        return Reply(200, {"recipient_id": thread.person.id, "message_id": sent.id})


@pytest.fixture(scope="module")
def instagram_graph_server() -> Iterator[FakeInstagramGraph]:
    """One fake Instagram API per test module: stopping a server costs half a second, resetting nothing."""
    fake = FakeInstagramGraph().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_instagram_graph(instagram_graph_server: FakeInstagramGraph) -> FakeInstagramGraph:
    """The fake Instagram API for @nhsleeds with Facebook Login, reset to a clean state for this test."""
    instagram_graph_server.reset()
    return instagram_graph_server
