"""A fake X API v2 on 127.0.0.1, speaking the wire format tweepy sends and reads.

Shapes follow X's OpenAPI document (v2.167): string ids, `data` / `includes.users` /
`includes.tweets` / `meta` (`newest_id`, `oldest_id`, `next_token`, `result_count`), fields
returned only when asked for in `tweet.fields` / `dm_event.fields` / `user.fields`, problem JSON
(`title`, `detail`, `type`, `status`) for errors. Lists are newest first, as X returns them.

State is plain Python: users, posts (with hidden / deleted flags), direct message events and
mutes, followers and follows. Tests seed inbound messages with `mention`, `reply_to` and `dm` (and
followers with `follows_us`), and read what the bot did from `posts_by`, `hidden_ids`, `dms_from`,
`mutes`, `following` and the server's request log.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Iterator

import pytest

from tests.fakes.server import FakePlatform, FakeServer, Fault, Reply, Request, as_served

OWN_ID = "1500000000000000001"
OWN_USERNAME = "NHSLeeds"
CONSUMER_KEY = "fake-consumer-key"
CONSUMER_SECRET = "fake-consumer-secret"
ACCESS_TOKEN = f"{OWN_ID}-fake-access-token"  # X access tokens start with the user's id
ACCESS_TOKEN_SECRET = "fake-access-token-secret"
USER_ACCESS_TOKEN = "fake-oauth2-user-token"

PROBLEM_BLANK = "about:blank"
PROBLEM_CLIENT_FORBIDDEN = "https://api.twitter.com/2/problems/client-forbidden"
PROBLEM_NOT_FOUND = "https://api.x.com/2/problems/resource-not-found"


def problem(status: int, title: str, detail: str, type_: str = PROBLEM_BLANK, **extra: Any) -> Reply:
    return Reply(status, {"title": title, "detail": detail, "type": type_, "status": status, **extra})


def too_many_requests(reset_at: datetime) -> Reply:
    """X's 429: the reset time is epoch seconds in `x-rate-limit-reset`."""
    return Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": PROBLEM_BLANK,
                       "status": 429},
                 {"x-rate-limit-limit": "180", "x-rate-limit-remaining": "0",
                  "x-rate-limit-reset": str(int(reset_at.timestamp()))})


def unauthorized() -> Reply:
    return problem(401, "Unauthorized", "Unauthorized")


def client_not_enrolled() -> Reply:
    """What X answers when the app's access tier does not include an endpoint (free tier reads)."""
    return problem(
        403, "Client Forbidden",
        "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a "
        "Twitter developer App that is attached to a Project. You can create a project via the developer portal.",
        PROBLEM_CLIENT_FORBIDDEN, reason="client-not-enrolled", client_id="29130811",
        registration_url="https://developer.twitter.com/en/docs/projects/overview",
        required_enrollment="Appropriate Level of API Access",
    )


@dataclass
class User:
    id: str
    username: str
    name: str
    accepts_dms_from_anyone: bool = False
    description: str = ""


@dataclass
class Post:
    id: str
    text: str
    author_id: str
    created_at: datetime
    conversation_id: str
    in_reply_to_user_id: str = ""
    replied_to: str = ""
    hidden: bool = False
    deleted: bool = False
    served: dict[str, Any] = field(default_factory=dict)  # fields sent instead of the real ones (malformed)
    media: list[dict[str, Any]] = field(default_factory=list)  # X media objects, served in includes.media

    def fields(self, wanted: set[str]) -> dict[str, Any]:
        every = {
            "author_id": self.author_id,
            "created_at": _stamp(self.created_at),
            "conversation_id": self.conversation_id,
            "lang": "en",
        }
        if self.in_reply_to_user_id:
            every["in_reply_to_user_id"] = self.in_reply_to_user_id
        if self.replied_to:
            every["referenced_tweets"] = [{"type": "replied_to", "id": self.replied_to}]
        if self.media:
            every["attachments"] = {"media_keys": [m["media_key"] for m in self.media]}
        out: dict[str, Any] = {"id": self.id, "text": self.text, "edit_history_tweet_ids": [self.id]}
        out.update({k: v for k, v in every.items() if k in wanted})
        return as_served(out, self.served)


@dataclass
class DmEvent:
    id: str
    text: str
    sender_id: str
    dm_conversation_id: str
    participant_ids: tuple[str, str]
    created_at: datetime
    event_type: str = "MessageCreate"
    served: dict[str, Any] = field(default_factory=dict)  # fields sent instead of the real ones (malformed)
    media: list[dict[str, Any]] = field(default_factory=list)  # X media objects, served in includes.media

    def fields(self, wanted: set[str]) -> dict[str, Any]:
        every = {
            "sender_id": self.sender_id,
            "dm_conversation_id": self.dm_conversation_id,
            "participant_ids": list(self.participant_ids),
            "created_at": _stamp(self.created_at),
        }
        if self.media:
            every["attachments"] = {"media_keys": [m["media_key"] for m in self.media]}
        out: dict[str, Any] = {"id": self.id, "event_type": self.event_type, "text": self.text}
        out.update({k: v for k, v in every.items() if k in wanted})
        return as_served(out, self.served)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _csv(request: Request, name: str) -> set[str]:
    return {part for part in request.query.get(name, "").split(",") if part}


def one_to_one_conversation(a: str, b: str) -> str:
    """X names a one-to-one conversation by both user ids, smaller first."""
    low, high = sorted((a, b), key=int)
    return f"{low}-{high}"


@dataclass
class FakeX(FakePlatform):
    """X's state and routes on a `FakeServer`; `start()` returns self, `stop()` shuts it down."""

    server: FakeServer = field(default_factory=FakeServer)
    now: datetime = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    users: dict[str, User] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    dm_events: list[DmEvent] = field(default_factory=list)
    mutes: set[str] = field(default_factory=set)
    followers: list[str] = field(default_factory=list)  # ids of who follows the account, newest first
    following: set[str] = field(default_factory=set)  # ids the account follows
    can_read_followers: bool = True  # False: the access tier does not include GET /2/users/{id}/followers
    access_level: str = "read-write-directmessages"
    can_read_mentions: bool = True
    can_read_dms: bool = True
    tokens_valid: bool = True
    # Replies for the next requests that ask for a page after the first (a failure mid-pagination).
    next_page_faults: list[Reply] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_860_000_000_000_000_000))
    # Held while serving and while seeding, so a test may add messages while a bot is polling.
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.users[OWN_ID] = User(OWN_ID, OWN_USERNAME, "NHS Leeds")
        routes = [
            ("GET", r"/2/users/me", self._get_me),
            ("GET", r"/2/users/(?P<id>\d+)/mentions", self._get_mentions),
            ("GET", r"/2/users/(?P<id>\d+)/tweets", self._get_user_tweets),
            ("GET", r"/2/tweets", self._get_tweets),
            ("POST", r"/2/tweets", self._post_tweet),
            ("DELETE", r"/2/tweets/(?P<id>\d+)", self._delete_tweet),
            ("PUT", r"/2/tweets/(?P<id>\d+)/hidden", self._put_hidden),
            ("POST", r"/2/users/(?P<id>\d+)/muting", self._post_muting),
            ("DELETE", r"/2/users/(?P<id>\d+)/muting/(?P<target>\d+)", self._delete_muting),
            ("GET", r"/2/users/(?P<id>\d+)/followers", self._get_followers),
            ("POST", r"/2/users/(?P<id>\d+)/following", self._post_following),
            ("DELETE", r"/2/users/(?P<id>\d+)/following/(?P<target>\d+)", self._delete_following),
            ("GET", r"/2/dm_events", self._get_dm_events),
            ("GET", r"/2/dm_conversations/with/(?P<participant>\d+)/dm_events", self._get_dm_events),
            ("POST", r"/2/dm_conversations/with/(?P<participant>\d+)/messages", self._post_dm),
        ]
        for method, pattern, handler in routes:
            self.server.route(method, pattern, self._authorised(handler))

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def inject(self, fault: Fault) -> None:
        self.server.inject(fault)

    def secrets(self, *, oauth2: bool = False) -> dict[str, str]:
        """Credentials this fake accepts, named as the adapter reads them."""
        if oauth2:
            return {"USER_ACCESS_TOKEN": USER_ACCESS_TOKEN}
        return {"API_KEY": CONSUMER_KEY, "API_SECRET": CONSUMER_SECRET, "ACCESS_TOKEN": ACCESS_TOKEN,
                "ACCESS_TOKEN_SECRET": ACCESS_TOKEN_SECRET}

    # -- seeding ------------------------------------------------------------------------------
    def _next_id(self) -> str:
        return str(next(self._ids))

    def _tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def user(self, username: str, name: str = "", *, accepts_dms_from_anyone: bool = False) -> User:
        with self.lock:
            return self._user_locked(username, name, accepts_dms_from_anyone)

    def _user_locked(self, username: str, name: str, accepts_dms_from_anyone: bool) -> User:
        for existing in self.users.values():
            if existing.username == username:
                return existing
        made = User(self._next_id(), username, name or username.title(), accepts_dms_from_anyone)
        self.users[made.id] = made
        return made

    def follows_us(self, username: str, name: str = "", description: str = "") -> User:
        """Someone starts following the account (X lists the newest follower first)."""
        with self.lock:
            made = self._user_locked(username, name, False)
            made.description = description
            if made.id not in self.followers:
                self.followers.insert(0, made.id)
            return made

    def own_post(self, text: str) -> Post:
        """A post the account made itself (a conversation it started)."""
        return self._add_post(OWN_ID, text, replied_to="")

    def mention(self, username: str, text: str) -> Post:
        """Someone starts a conversation that names the account."""
        body = text if f"@{OWN_USERNAME}".lower() in text.lower() else f"@{OWN_USERNAME} {text}"
        return self._add_post(self.user(username).id, body, replied_to="")

    def reply_to(self, parent: Post, username: str, text: str) -> Post:
        """Someone replies to `parent`; X puts the parent author's handle first, as the app does."""
        parent_author = self.users[parent.author_id].username
        body = text if text.startswith("@") else f"@{parent_author} {text}"
        if parent.author_id != OWN_ID and f"@{OWN_USERNAME}".lower() not in body.lower():
            body = f"@{OWN_USERNAME} {body}"
        return self._add_post(self.user(username).id, body, replied_to=parent.id)

    def _add_post(self, author_id: str, text: str, replied_to: str) -> Post:
        with self.lock:
            return self._add_post_locked(author_id, text, replied_to)

    def _add_post_locked(self, author_id: str, text: str, replied_to: str) -> Post:
        post_id = self._next_id()
        parent = self.posts.get(replied_to)
        post = Post(post_id, text, author_id, self._tick(),
                    conversation_id=parent.conversation_id if parent else post_id,
                    in_reply_to_user_id=parent.author_id if parent else "", replied_to=replied_to)
        self.posts[post_id] = post
        return post

    def dm(self, username: str, text: str) -> DmEvent:
        """Someone sends the account a direct message."""
        return self._add_dm(self.user(username).id, OWN_ID, text)

    def _add_dm(self, sender_id: str, recipient_id: str, text: str) -> DmEvent:
        with self.lock:
            return self._add_dm_locked(sender_id, recipient_id, text)

    def _add_dm_locked(self, sender_id: str, recipient_id: str, text: str) -> DmEvent:
        event = DmEvent(self._next_id(), text, sender_id, one_to_one_conversation(sender_id, recipient_id),
                        (sender_id, recipient_id), self._tick())
        self.dm_events.append(event)
        return event

    # -- inspecting ---------------------------------------------------------------------------
    def posts_by(self, user_id: str = OWN_ID) -> list[Post]:
        return sorted((p for p in self.posts.values() if p.author_id == user_id and not p.deleted),
                      key=lambda p: int(p.id))

    def replies_to(self, post_id: str) -> list[Post]:
        return [p for p in self.posts_by() if p.replied_to == post_id]

    def hidden_ids(self) -> set[str]:
        return {p.id for p in self.posts.values() if p.hidden}

    def dms_from(self, sender_id: str = OWN_ID) -> list[DmEvent]:
        return [e for e in self.dm_events if e.sender_id == sender_id]

    # -- serving ------------------------------------------------------------------------------
    def _authorised(self, handler: Any) -> Any:
        """OAuth 1.0a must be signed with our consumer key and access token; OAuth 2.0 must carry our token."""
        def serve(request: Request) -> Reply:
            with self.lock:
                return check_and_serve(request)

        def check_and_serve(request: Request) -> Reply:
            header = request.headers.get("Authorization", "")
            if header.startswith("Bearer "):
                accepted = header == f"Bearer {USER_ACCESS_TOKEN}"
                oauth1 = False
            else:
                fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
                accepted = fields.get("oauth_consumer_key") == CONSUMER_KEY and \
                    fields.get("oauth_token") == ACCESS_TOKEN and "oauth_signature" in fields
                oauth1 = True
            if not (accepted and self.tokens_valid):
                return unauthorized()
            reply = handler(request)
            if oauth1:
                return Reply(reply.status, reply.body, {**reply.headers, "x-access-level": self.access_level})
            return reply

        return serve

    def _writes_refused(self) -> Reply | None:
        if self.access_level == "read":
            return problem(403, "Forbidden", "Your client app is not configured with the appropriate oauth1 app "
                                              "permissions for this endpoint.", "https://api.twitter.com/2/problems/oauth1-permissions")
        return None

    def _user_json(self, user_id: str, wanted: set[str]) -> dict[str, Any]:
        user = self.users[user_id]
        out: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
        if "description" in wanted:
            out["description"] = user.description
        if "receives_your_dm" in wanted:
            out["receives_your_dm"] = user.accepts_dms_from_anyone
        return out

    def _page(self, request: Request, items: list[Any], default_size: int, low: int, high: int) -> tuple[list[Any], dict[str, Any]] | Reply:
        size = int(request.query.get("max_results", default_size))
        if not low <= size <= high:
            return problem(400, "Invalid Request", f"The `max_results` query parameter value [{size}] is not "
                                                    f"between {low} and {high}",
                           "https://api.x.com/2/problems/invalid-request")
        token = request.query.get("pagination_token")
        if token and self.next_page_faults:
            return self.next_page_faults.pop(0)
        start = int(token.removeprefix("7140dibdnow9c7btw"), 36) if token else 0
        chunk = items[start:start + size]
        meta: dict[str, Any] = {"result_count": len(chunk)}
        if start + size < len(items):
            meta["next_token"] = "7140dibdnow9c7btw" + _base36(start + size)
        if start:
            meta["previous_token"] = "7140dibdnow9c7btw" + _base36(max(0, start - size))
        return chunk, meta

    def _posts_reply(self, request: Request, posts: list[Post], default_size: int, low: int) -> Reply:
        since_id = request.query.get("since_id")
        if since_id:
            posts = [p for p in posts if int(p.id) > int(since_id)]
        posts = sorted(posts, key=lambda p: int(p.id), reverse=True)
        paged = self._page(request, posts, default_size, low, 100)
        if isinstance(paged, Reply):
            return paged
        chunk, meta = paged
        if not chunk:
            return Reply(200, {"meta": {"result_count": 0}})
        meta.update(newest_id=chunk[0].id, oldest_id=chunk[-1].id)
        wanted = _csv(request, "tweet.fields")
        body: dict[str, Any] = {"data": [p.fields(wanted) for p in chunk], "meta": meta}
        expansions = _csv(request, "expansions")
        includes: dict[str, Any] = {}
        if "author_id" in expansions:
            author_ids = sorted({p.author_id for p in chunk})
            includes["users"] = [self._user_json(u, _csv(request, "user.fields")) for u in author_ids]
        media = [m for p in chunk for m in p.media]
        if "attachments.media_keys" in expansions and media:
            includes["media"] = media
        if "referenced_tweets.id" in expansions:
            parents = [self.posts[p.replied_to] for p in chunk if p.replied_to in self.posts]
            if parents:
                includes["tweets"] = [p.fields(wanted) for p in parents]
        if includes:
            body["includes"] = includes
        return Reply(200, body)

    def _get_me(self, request: Request) -> Reply:
        return Reply(200, {"data": self._user_json(OWN_ID, _csv(request, "user.fields"))})

    def _get_mentions(self, request: Request) -> Reply:
        if not self.can_read_mentions:
            return client_not_enrolled()
        handle = f"@{self.users[request.params['id']].username}".lower()
        mentions = [p for p in self.posts.values() if not p.deleted and handle in p.text.lower()
                    and p.author_id != request.params["id"]]
        return self._posts_reply(request, mentions, 10, 5)

    def _get_user_tweets(self, request: Request) -> Reply:
        own = [p for p in self.posts.values() if p.author_id == request.params["id"] and not p.deleted]
        return self._posts_reply(request, own, 10, 5)

    def _get_tweets(self, request: Request) -> Reply:
        wanted = _csv(request, "tweet.fields")
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        found = [self.posts[i] for i in ids if i in self.posts and not self.posts[i].deleted]
        body: dict[str, Any] = {}
        if found:
            body["data"] = [p.fields(wanted) for p in found]
        missing = [i for i in ids if i not in {p.id for p in found}]
        if missing:
            body["errors"] = [{"value": i, "detail": f"Could not find tweet with ids: [{i}].", "title": "Not Found Error",
                               "resource_type": "tweet", "parameter": "ids", "resource_id": i,
                               "type": PROBLEM_NOT_FOUND} for i in missing]
        return Reply(200, body)

    def _post_tweet(self, request: Request) -> Reply:
        refused = self._writes_refused()
        if refused:
            return refused
        payload = request.json()
        text = payload.get("text", "")
        if len(text) > 280:
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                           "https://api.x.com/2/problems/invalid-request")
        if any(p.text == text for p in self.posts_by()):
            return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        replied_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id", "")
        if replied_to and (replied_to not in self.posts or self.posts[replied_to].deleted):
            return problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible "
                                              "to you.")
        post = self._add_post(OWN_ID, text, replied_to=replied_to)
        return Reply(201, {"data": {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}})

    def _delete_tweet(self, request: Request) -> Reply:
        post = self.posts.get(request.params["id"])
        if post is None or post.deleted:
            return problem(404, "Not Found Error", f"Could not find tweet with id: [{request.params['id']}].",
                           PROBLEM_NOT_FOUND)
        if post.author_id != OWN_ID:
            return problem(403, "Forbidden", "You are not allowed to delete a Tweet that is not yours.")
        post.deleted = True
        return Reply(200, {"data": {"deleted": True}})

    def _put_hidden(self, request: Request) -> Reply:
        refused = self._writes_refused()
        if refused:
            return refused
        post = self.posts.get(request.params["id"])
        if post is None or post.deleted:
            return problem(404, "Not Found Error", f"Could not find tweet with id: [{request.params['id']}].",
                           PROBLEM_NOT_FOUND)
        root = self.posts.get(post.conversation_id)
        if post.conversation_id == post.id or root is None or root.author_id != OWN_ID:
            return problem(403, "Forbidden", "You can only hide or unhide replies to conversations you authored.")
        post.hidden = bool(request.json()["hidden"])
        return Reply(200, {"data": {"hidden": post.hidden}})

    def _post_muting(self, request: Request) -> Reply:
        refused = self._writes_refused()
        if refused:
            return refused
        if request.params["id"] != OWN_ID:
            return problem(403, "Forbidden", "You are not permitted to mute on behalf of another user.")
        target = request.json()["target_user_id"]
        if target not in self.users:
            return problem(400, "Invalid Request", f"The `target_user_id` [{target}] does not exist.",
                           "https://api.x.com/2/problems/invalid-request")
        self.mutes.add(target)
        return Reply(200, {"data": {"muting": True}})

    def _get_followers(self, request: Request) -> Reply:
        if not self.can_read_followers:
            return client_not_enrolled()
        paged = self._page(request, list(self.followers), 100, 1, 1000)
        if isinstance(paged, Reply):
            return paged
        chunk, meta = paged
        return Reply(200, {"data": [self._user_json(i, _csv(request, "user.fields")) for i in chunk], "meta": meta})

    def _follow_target(self, request: Request, verb: str) -> Reply | str:
        refused = self._writes_refused()
        if refused:
            return refused
        if request.params["id"] != OWN_ID:
            return problem(403, "Forbidden", f"You are not permitted to {verb} on behalf of another user.")
        target = request.params.get("target") or request.json()["target_user_id"]
        if target not in self.users:
            return problem(400, "Invalid Request", f"The `target_user_id` [{target}] does not exist.",
                           "https://api.x.com/2/problems/invalid-request")
        return target

    def _post_following(self, request: Request) -> Reply:
        target = self._follow_target(request, "follow")
        if isinstance(target, Reply):
            return target
        self.following.add(target)
        return Reply(200, {"data": {"following": True, "pending_follow": False}})

    def _delete_following(self, request: Request) -> Reply:
        target = self._follow_target(request, "unfollow")
        if isinstance(target, Reply):
            return target
        self.following.discard(target)
        return Reply(200, {"data": {"following": False}})

    def _delete_muting(self, request: Request) -> Reply:
        """Unmute (`DELETE /2/users/{source_user_id}/muting/{target_user_id}`): `UnmuteUserResponse`."""
        target = self._follow_target(request, "unmute")
        if isinstance(target, Reply):
            return target
        self.mutes.discard(target)
        return Reply(200, {"data": {"muting": False}})

    def _get_dm_events(self, request: Request) -> Reply:
        if not self.can_read_dms or self.access_level != "read-write-directmessages":
            return problem(403, "Forbidden", "You are not permitted to access Direct Messages with this client.")
        events = [e for e in self.dm_events if OWN_ID in e.participant_ids]
        participant = request.params.get("participant")
        if participant:
            events = [e for e in events if participant in e.participant_ids]
        types = _csv(request, "event_types")
        if types:
            events = [e for e in events if e.event_type in types]
        events = sorted(events, key=lambda e: int(e.id), reverse=True)
        paged = self._page(request, events, 100, 1, 100)
        if isinstance(paged, Reply):
            return paged
        chunk, meta = paged
        body: dict[str, Any] = {"meta": meta}
        if chunk:
            body["data"] = [e.fields(_csv(request, "dm_event.fields")) for e in chunk]
            if "sender_id" in _csv(request, "expansions"):
                senders = sorted({e.sender_id for e in chunk})
                body["includes"] = {"users": [self._user_json(u, _csv(request, "user.fields")) for u in senders]}
            media = [m for e in chunk for m in e.media]
            if "attachments.media_keys" in _csv(request, "expansions") and media:
                body.setdefault("includes", {})["media"] = media
        return Reply(200, body)

    def _post_dm(self, request: Request) -> Reply:
        refused = self._writes_refused()
        if refused:
            return refused
        if self.access_level != "read-write-directmessages":
            return problem(403, "Forbidden", "You are not permitted to send Direct Messages with this client.")
        participant = request.params["participant"]
        user = self.users.get(participant)
        they_wrote = any(e.sender_id == participant for e in self.dm_events if OWN_ID in e.participant_ids)
        if user is None or not (user.accepts_dms_from_anyone or they_wrote):
            return problem(403, "Forbidden", "You cannot send messages to this user.")
        text = request.json().get("text", "")
        if not text:
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                           "https://api.x.com/2/problems/invalid-request")
        event = self._add_dm(OWN_ID, participant, text)
        return Reply(201, {"data": {"dm_conversation_id": event.dm_conversation_id, "dm_event_id": event.id}})


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


@pytest.fixture
def fake_x() -> Iterator[FakeX]:
    """A running fake X, stopped after the test."""
    fake = FakeX().start()
    try:
        yield fake
    finally:
        fake.stop()
