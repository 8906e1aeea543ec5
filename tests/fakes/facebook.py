"""A fake Facebook Graph API for one Page, speaking the documented wire format on 127.0.0.1.

Shapes follow Meta's Graph node specs (Page, PagePost, Comment, UnifiedThread) and the error
envelope `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`; ids are strings,
times are `2026-11-24T19:00:00+0000`, lists are `{"data": [...], "paging": {"cursors": {...},
"next": ...}}`. python-facebook-api sends the token as `access_token` in the query (GET, DELETE)
or the form body (POST), and form-encodes POST bodies; the fake reads them the same way.

State is plain Python (posts, comments, conversations, blocked users, messages sent) so a test can
seed what people wrote and then check exactly what the bot did. `now` is settable: it stamps
what the bot creates and decides Messenger's 24-hour window.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest

from tests.fakes.server import FakePlatform, FakeServer, Fault, Reply, Request, as_served

GRAPH_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
VERSION = r"/v\d+\.\d+"
EVERY_PERMISSION = frozenset(
    {
        "pages_show_list",
        "pages_read_engagement",
        "pages_read_user_content",
        "pages_manage_engagement",
        "pages_manage_posts",
        "pages_messaging",
    }
)
MESSENGER_WINDOW = timedelta(hours=24)


def graph_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(GRAPH_TIME_FORMAT)


def graph_error(code: int, message: str, subcode: int | None = None, status: int = 400,
                headers: dict[str, str] | None = None, kind: str = "OAuthException") -> Reply:
    """A Graph error reply exactly as the platform shapes it."""
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Reply(status, {"error": error}, headers or {})


def rate_limit_reply(page_id: str, minutes: int, code: int = 32) -> Reply:
    """The Page-level BUC throttle: code 32 (or 4/17/613) and `X-Business-Use-Case-Usage`."""
    usage = {page_id: [{"type": "pages", "call_count": 100, "total_cputime": 12, "total_time": 20,
                        "estimated_time_to_regain_access": minutes}]}
    return graph_error(code, "(#32) Page request limit reached", status=400,
                       headers={"X-Business-Use-Case-Usage": json.dumps(usage)})


def expired_token_reply() -> Reply:
    return graph_error(190, "Error validating access token: Session has expired on Tuesday, "
                            "24-Nov-26 18:00:00 PST.", subcode=463)


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1])


def _split_fields(fields: str) -> list[str]:
    """Top-level names of a Graph `fields` string: `a,b{c,d},e` -> ["a", "b{c,d}", "e"]."""
    names, depth, current = [], 0, ""
    for char in fields:
        if char == "," and depth == 0:
            names.append(current.strip())
            current = ""
            continue
        depth += char == "{"
        depth -= char == "}"
        current += char
    if current.strip():
        names.append(current.strip())
    return names


@dataclass
class Person:
    id: str
    name: str

    def as_from(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


@dataclass
class Post:
    id: str
    message: str
    created_time: datetime
    updated_time: datetime


@dataclass
class Comment:
    id: str
    post_id: str
    author: Person
    message: str
    created_time: datetime
    parent_id: str = ""
    is_hidden: bool = False
    deleted: bool = False
    private_reply_conversation: str = ""
    attachment: dict[str, Any] | None = None  # Graph's StoryAttachment: a photo, video or sticker
    served: dict[str, Any] = field(default_factory=dict)  # fields sent instead of the real ones (malformed)


@dataclass
class Message:
    id: str
    author: Person
    text: str
    created_time: datetime
    attachments: list[dict[str, Any]] = field(default_factory=list)  # Messenger MessageAttachment objects
    sticker: str = ""  # a sticker's image URL
    served: dict[str, Any] = field(default_factory=dict)  # fields sent instead of the real ones (malformed)


@dataclass
class Conversation:
    id: str
    person: Person
    messages: list[Message] = field(default_factory=list)

    @property
    def updated_time(self) -> datetime:
        return max(m.created_time for m in self.messages)


@dataclass
class SentMessage:
    """A Send API call the Page made: to a Messenger user or as a private reply to a comment."""

    id: str
    recipient: dict[str, str]
    text: str
    messaging_type: str
    sent_at: datetime


class FakeFacebook(FakePlatform):
    """One Page's corner of the Graph API, with the state a test seeds and inspects."""

    def __init__(self, page_id: str = "1122334455", page_name: str = "Leeds Health",
                 token: str = "PAGE-TOKEN", app_id: str = "998877", app_secret: str = "app-secret") -> None:
        self.page = Person(page_id, page_name)
        self.token = token
        self.app_id = app_id
        self.app_secret = app_secret
        self.server = FakeServer()
        self.lock = threading.RLock()  # the bot's requests and the test's seeding may run at once
        self._add_routes()
        self.reset()

    def reset(self) -> None:
        """Forget all state, faults and logged requests: a clean Page, every permission granted."""
        self.permissions: set[str] = set(EVERY_PERMISSION)
        self.token_valid = True
        self.token_type = "PAGE"
        self.token_expires_at: datetime | None = None  # None: a system user's token that never expires
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
        self.posts: dict[str, Post] = {}
        self.comments: dict[str, Comment] = {}
        self.conversations: dict[str, Conversation] = {}
        self.blocked: set[str] = set()
        self.unhideable: set[str] = set()  # comment ids Facebook will not let the Page hide
        self.sent: list[SentMessage] = []
        self.notices: list[Post] = []
        self.nested_messages_page_size = 25
        self._ids = itertools.count(1000)
        self.server.clear()

    def inject(self, fault: Fault) -> None:
        self.server.inject(fault)

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    # -- seeding what people do -----------------------------------------------------------------
    def _next_id(self) -> str:
        return str(next(self._ids))

    def add_post(self, message: str, at: datetime | None = None) -> Post:
        with self.lock:
            moment = at or self.now
            post = Post(f"{self.page.id}_{self._next_id()}", message, moment, moment)
            self.posts[post.id] = post
            return post

    def add_comment(self, post: Post, author: Person, message: str, at: datetime | None = None,
                    parent: Comment | None = None) -> Comment:
        with self.lock:
            moment = at or self.now
            comment = Comment(f"{post.id.split('_')[1]}_{self._next_id()}", post.id, author, message, moment,
                              parent_id=parent.id if parent else "")
            self.comments[comment.id] = comment
            post.updated_time = max(post.updated_time, moment)  # a new comment bumps the post, as Graph does
            return comment

    def add_message(self, person: Person, text: str, at: datetime | None = None) -> Message:
        """A Messenger message from `person` to the Page (one conversation per person)."""
        with self.lock:
            conversation = self._conversation_with(person)
            message = Message(f"m_{self._next_id()}", person, text, at or self.now)
            conversation.messages.append(message)
            return message

    def _conversation_with(self, person: Person) -> Conversation:
        for conversation in self.conversations.values():
            if conversation.person.id == person.id:
                return conversation
        conversation = Conversation(f"t_{self._next_id()}", person)
        self.conversations[conversation.id] = conversation
        return conversation

    # -- inspecting what the bot did ------------------------------------------------------------
    def replies_to(self, comment: Comment) -> list[Comment]:
        return [c for c in self.comments.values() if c.parent_id == comment.id and not c.deleted]

    def page_comments(self) -> list[Comment]:
        return [c for c in self.comments.values() if c.author.id == self.page.id and not c.deleted]

    def messages_to(self, person: Person) -> list[SentMessage]:
        return [s for s in self.sent if s.recipient.get("id") == person.id]

    def private_replies_to(self, comment: Comment) -> list[SentMessage]:
        return [s for s in self.sent if s.recipient.get("comment_id") == comment.id]

    def calls(self, method: str, path_suffix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    # -- wire helpers ---------------------------------------------------------------------------
    @staticmethod
    def _args(request: Request) -> dict[str, str]:
        return {**request.query, **(request.form() if request.method == "POST" else {})}

    def _auth_error(self, request: Request) -> Reply | None:
        token = self._args(request).get("access_token", "")
        if token != self.token:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if not self.token_valid:
            return expired_token_reply()
        return None

    def _lacks(self, *permissions: str) -> Reply | None:
        missing = [p for p in permissions if p not in self.permissions]
        if not missing:
            return None
        needed = " and ".join(missing)
        return graph_error(10, f"(#10) This endpoint requires the '{needed}' permission to manage the object")

    def _page(self, items: list[dict[str, Any]], request: Request, limit_default: int = 25) -> dict[str, Any]:
        args = self._args(request)
        limit = int(args.get("limit") or limit_default)
        offset = _decode_cursor(args["after"]) if args.get("after") else 0
        chunk = items[offset : offset + limit]
        body: dict[str, Any] = {"data": chunk}
        if chunk:
            body["paging"] = {"cursors": {"before": _encode_cursor(offset),
                                          "after": _encode_cursor(offset + len(chunk))}}
            if offset + len(chunk) < len(items):
                query = {k: v for k, v in args.items() if k != "after"}
                query["after"] = _encode_cursor(offset + len(chunk))
                host = request.headers.get("Host", "127.0.0.1")
                body["paging"]["next"] = f"http://{host}{request.path}?" + "&".join(
                    f"{k}={v}" for k, v in query.items())
        return body

    @staticmethod
    def _select(obj: dict[str, Any], fields: str) -> dict[str, Any]:
        """Keep the requested top-level fields (and `id`, which Graph always returns)."""
        if not fields:
            return obj
        wanted = {name.split("{")[0].split(".")[0] for name in _split_fields(fields)} | {"id"}
        return {k: v for k, v in obj.items() if k in wanted}

    def _comment_json(self, comment: Comment) -> dict[str, Any]:
        own = comment.author.id == self.page.id
        body: dict[str, Any] = {
            "id": comment.id,
            "from": comment.author.as_from(),
            "message": comment.message,
            "created_time": graph_time(comment.created_time),
            "can_hide": not own and comment.id not in self.unhideable,  # never the Page's own comments
            "can_remove": True,
            "can_reply_privately": not own and comment.private_reply_conversation == "",
            "is_hidden": comment.is_hidden,
            "permalink_url": f"https://www.facebook.com/{comment.post_id}?comment_id={comment.id}",
        }
        if comment.parent_id:
            parent = self.comments[comment.parent_id]
            body["parent"] = {"id": parent.id, "from": parent.author.as_from(), "message": parent.message,
                              "created_time": graph_time(parent.created_time)}
        if comment.private_reply_conversation:
            body["private_reply_conversation"] = {"id": comment.private_reply_conversation}
        if comment.attachment is not None:
            body["attachment"] = comment.attachment
        return as_served(body, comment.served)

    def _message_json(self, message: Message, conversation: Conversation) -> dict[str, Any]:
        other = self.page if message.author.id != self.page.id else conversation.person
        body = {"id": message.id, "from": {**message.author.as_from(), "email": f"{message.author.id}@facebook.com"},
                "to": {"data": [other.as_from()]}, "message": message.text,
                "created_time": graph_time(message.created_time)}
        if message.attachments:
            body["attachments"] = {"data": message.attachments}
        if message.sticker:
            body["sticker"] = message.sticker
        return as_served(body, message.served)

    # -- routes ---------------------------------------------------------------------------------
    def _add_routes(self) -> None:
        s = self.server
        page = self.page.id
        s.route("GET", VERSION + r"/debug_token", self._debug_token)
        s.route("GET", VERSION + r"/me", self._guarded(self._me))
        s.route("GET", VERSION + rf"/{page}/published_posts", self._guarded(self._published_posts))
        s.route("GET", VERSION + r"/(?P<id>\d+_\d+)/comments", self._guarded(self._list_comments))
        s.route("POST", VERSION + r"/(?P<id>\d+_\d+)/comments", self._guarded(self._create_comment))
        s.route("GET", VERSION + r"/(?P<id>\d+_\d+)", self._guarded(self._get_comment))
        s.route("POST", VERSION + r"/(?P<id>\d+_\d+)", self._guarded(self._update_comment))
        s.route("DELETE", VERSION + r"/(?P<id>\d+_\d+)", self._guarded(self._delete_comment))
        s.route("POST", VERSION + rf"/{page}/blocked", self._guarded(self._block))
        s.route("DELETE", VERSION + rf"/{page}/blocked", self._guarded(self._unblock))
        s.route("POST", VERSION + rf"/{page}/feed", self._guarded(self._create_post))
        s.route("POST", VERSION + rf"/{page}/messages", self._guarded(self._send_message))
        s.route("GET", VERSION + rf"/{page}/conversations", self._guarded(self._list_conversations))
        s.route("GET", VERSION + r"/(?P<id>t_\d+)/messages", self._guarded(self._list_messages))

    def _guarded(self, handler: Any) -> Any:
        def serve(request: Request) -> Reply:
            with self.lock:
                return self._auth_error(request) or handler(request)
        return serve

    def _debug_token(self, request: Request) -> Reply:
        args = self._args(request)
        if args.get("access_token") not in (f"{self.app_id}|{self.app_secret}", self.token):
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if args.get("input_token") != self.token:
            return Reply(200, {"data": {"is_valid": False, "error": {"code": 190, "message": "Invalid token"},
                                        "scopes": []}})
        issued = int(self.now.timestamp()) - 86400
        return Reply(200, {"data": {
            "app_id": self.app_id, "type": self.token_type, "application": "housebot", "profile_id": self.page.id,
            "is_valid": self.token_valid, "issued_at": issued,
            "expires_at": int(self.token_expires_at.timestamp()) if self.token_expires_at else 0,
            "data_access_expires_at": issued + 90 * 86400, "user_id": "5550001",
            "scopes": sorted(self.permissions),
            "granular_scopes": [{"scope": p, "target_ids": [self.page.id]} for p in sorted(self.permissions)
                                if p.startswith("pages_")],
        }})

    def _me(self, request: Request) -> Reply:
        return Reply(200, self._select({"id": self.page.id, "name": self.page.name}, self._args(request).get("fields", "")))

    def _published_posts(self, request: Request) -> Reply:
        refusal = self._lacks("pages_read_engagement")
        if refusal:
            return refusal
        posts = sorted(self.posts.values(), key=lambda p: p.created_time, reverse=True)
        fields = self._args(request).get("fields", "")
        items = [self._select({"id": p.id, "message": p.message, "created_time": graph_time(p.created_time),
                               "updated_time": graph_time(p.updated_time)}, fields) for p in posts]
        return Reply(200, self._page(items, request))

    def _list_comments(self, request: Request) -> Reply:
        refusal = self._lacks("pages_read_engagement", "pages_read_user_content")
        if refusal:
            return refusal
        args = self._args(request)
        target = request.params["id"]
        if target in self.posts:
            if args.get("filter") == "stream":  # every comment on the post, replies included
                found = [c for c in self.comments.values() if c.post_id == target]
            else:  # "toplevel", Graph's default
                found = [c for c in self.comments.values() if c.post_id == target and not c.parent_id]
        elif target in self.comments:
            found = [c for c in self.comments.values() if c.parent_id == target]
        else:
            return graph_error(100, f"Unsupported get request. Object with ID '{target}' does not exist",
                               subcode=33, kind="GraphMethodException")
        found = [c for c in found if not c.deleted]
        if args.get("since"):
            since = datetime.fromtimestamp(int(args["since"]), timezone.utc)
            found = [c for c in found if c.created_time >= since]
        found.sort(key=lambda c: (c.created_time, int(c.id.split("_")[1])),
                   reverse=args.get("order") == "reverse_chronological")
        fields = args.get("fields", "")
        return Reply(200, self._page([self._select(self._comment_json(c), fields) for c in found], request))

    def _create_comment(self, request: Request) -> Reply:
        refusal = self._lacks("pages_manage_engagement")
        if refusal:
            return refusal
        target = request.params["id"]
        message = self._args(request).get("message", "")
        if not message:
            return graph_error(100, "(#100) Missing message or attachment", kind="OAuthException")
        if target in self.comments and not self.comments[target].deleted:
            parent = self.comments[target]
            created = self.add_comment(self.posts[parent.post_id], self.page, message, parent=parent)
        elif target in self.posts:
            created = self.add_comment(self.posts[target], self.page, message)
        else:
            return graph_error(100, f"Unsupported post request. Object with ID '{target}' does not exist",
                               subcode=33, kind="GraphMethodException")
        return Reply(200, {"id": created.id})

    def _get_comment(self, request: Request) -> Reply:
        comment = self.comments.get(request.params["id"])
        if comment is None or comment.deleted:
            return graph_error(100, "Unsupported get request.", subcode=33, kind="GraphMethodException")
        return Reply(200, self._select(self._comment_json(comment), self._args(request).get("fields", "")))

    def _update_comment(self, request: Request) -> Reply:
        refusal = self._lacks("pages_manage_engagement")
        if refusal:
            return refusal
        comment = self.comments.get(request.params["id"])
        if comment is None or comment.deleted:
            return graph_error(100, "Unsupported post request.", subcode=33, kind="GraphMethodException")
        args = self._args(request)
        if "is_hidden" in args:
            if comment.author.id == self.page.id or comment.id in self.unhideable:
                return graph_error(100, "(#100) This comment cannot be hidden or unhidden")
            comment.is_hidden = args["is_hidden"] == "true"
        return Reply(200, {"success": True})

    def _delete_comment(self, request: Request) -> Reply:
        refusal = self._lacks("pages_manage_engagement")
        if refusal:
            return refusal
        comment = self.comments.get(request.params["id"])
        if comment is None or comment.deleted:
            return graph_error(100, "(#100) Object does not exist, cannot be loaded due to missing permission",
                               subcode=33)
        comment.deleted = True
        return Reply(200, {"success": True})

    @staticmethod
    def _user_ids(raw: str) -> list[str]:
        """`user` is list<string>: Meta's SDKs send a JSON array; a bare id is accepted too."""
        raw = raw.strip()
        return [str(u) for u in json.loads(raw)] if raw.startswith("[") else [raw]

    def _block(self, request: Request) -> Reply:
        refusal = self._lacks("pages_manage_engagement")
        if refusal:
            return refusal
        users = self._user_ids(self._args(request).get("user", ""))
        if not users or users == [""]:
            return graph_error(100, "(#100) The parameter user is required")
        self.blocked.update(users)
        return Reply(200, {user: True for user in users})

    def _unblock(self, request: Request) -> Reply:
        refusal = self._lacks("pages_manage_engagement")
        if refusal:
            return refusal
        users = self._user_ids(self._args(request).get("user", ""))
        self.blocked.difference_update(users)
        return Reply(200, {"success": True})

    def _create_post(self, request: Request) -> Reply:
        refusal = self._lacks("pages_manage_posts")
        if refusal:
            return refusal
        message = self._args(request).get("message", "")
        if not message:
            return graph_error(100, "(#100) Missing message or attachment")
        post = self.add_post(message)
        self.notices.append(post)
        return Reply(200, {"id": post.id})

    def _send_message(self, request: Request) -> Reply:
        refusal = self._lacks("pages_messaging")
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
                return graph_error(100, "(#100) No matching comment", subcode=2018001)
            if comment.private_reply_conversation or self.now - comment.created_time > timedelta(days=7):
                return graph_error(10, "(#10) Cannot reply privately to this comment", subcode=2018336)
            conversation = self._conversation_with(comment.author)
            comment.private_reply_conversation = conversation.id
        elif "id" in recipient:
            conversation = self._conversation_with(Person(recipient["id"], ""))
            heard = [m.created_time for m in conversation.messages if m.author.id == recipient["id"]]
            if args.get("messaging_type") == "RESPONSE" and (not heard or self.now - max(heard) > MESSENGER_WINDOW):
                return graph_error(10, "(#10) This message is sent outside of allowed window.", subcode=2018278)
        else:
            return graph_error(100, "(#100) recipient must have an id or a comment_id")
        sent = SentMessage(f"m_{self._next_id()}", recipient, text, args.get("messaging_type", ""), self.now)
        self.sent.append(sent)
        conversation.messages.append(Message(sent.id, self.page, text, self.now))
        return Reply(200, {"recipient_id": conversation.person.id, "message_id": sent.id})

    def _list_conversations(self, request: Request) -> Reply:
        refusal = self._lacks("pages_messaging")
        if refusal:
            return graph_error(230, "(#230) Requires pages_messaging permission to manage the object")
        args = self._args(request)
        if args.get("platform", "messenger") != "messenger":
            return Reply(200, {"data": []})
        conversations = sorted((c for c in self.conversations.values() if c.messages),
                               key=lambda c: c.updated_time, reverse=True)
        fields = args.get("fields", "")
        items = []
        for conversation in conversations:
            messages = self._messages_newest_first(conversation)
            nested_size = self.nested_messages_page_size
            nested: dict[str, Any] = {"data": messages[:nested_size]}
            if len(messages) > nested_size:
                host = request.headers.get("Host", "127.0.0.1")
                nested["paging"] = {
                    "cursors": {"before": _encode_cursor(0), "after": _encode_cursor(nested_size)},
                    "next": f"http://{host}/v24.0/{conversation.id}/messages?after={_encode_cursor(nested_size)}",
                }
            full = {
                "id": conversation.id,
                "updated_time": graph_time(conversation.updated_time),
                "can_reply": True,
                "participants": {"data": [{**conversation.person.as_from(),
                                           "email": f"{conversation.person.id}@facebook.com"},
                                          {**self.page.as_from(), "email": f"{self.page.id}@facebook.com"}]},
                "messages": nested,
            }
            items.append(self._select(full, fields))
        return Reply(200, self._page(items, request))

    def _messages_newest_first(self, conversation: Conversation) -> list[dict[str, Any]]:
        ordered = sorted(conversation.messages, key=lambda m: m.created_time, reverse=True)
        return [self._message_json(m, conversation) for m in ordered]

    def _list_messages(self, request: Request) -> Reply:
        refusal = self._lacks("pages_messaging")
        if refusal:
            return graph_error(230, "(#230) Requires pages_messaging permission to manage the object")
        conversation = self.conversations.get(request.params["id"])
        if conversation is None:
            return graph_error(100, "Unsupported get request.", subcode=33, kind="GraphMethodException")
        return Reply(200, self._page(self._messages_newest_first(conversation), request,
                                     limit_default=self.nested_messages_page_size))


@pytest.fixture(scope="module")
def facebook_server() -> Iterator[FakeFacebook]:
    """One fake Graph API per test module: stopping a server costs half a second, resetting nothing."""
    fake = FakeFacebook().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_facebook(facebook_server: FakeFacebook) -> FakeFacebook:
    """The fake Graph API for the Page "Leeds Health", reset to a clean state for this test."""
    facebook_server.reset()
    return facebook_server
