"""A fake Instagram private API on 127.0.0.1, shaped as instagrapi 3.2 calls and parses it.

Endpoints, parameters and JSON shapes follow instagrapi's own source (mixins/private.py for errors,
comment.py, direct.py, user.py, account.py, media.py and extractors.py for the fields it reads):
signed POST bodies (`signed_body=SIGNATURE.<json>`), `status: ok|fail`, `login_required` on 403,
`challenge_required` / `two_factor_info` on 400, comment pages with `next_max_id`, direct inboxes with
`oldest_cursor`, item timestamps in microseconds. Photo notices arrive as instagrapi sends them
(mixins/photo.py): the JPEG bytes to `rupload_igphoto/<name>` with `X-Instagram-Rupload-Params`,
then `media/configure/` (feed) or `media/configure_to_story/` naming the `upload_id`, answered with
a `media` that `extract_media_v1` reads; `media/<id>/delete/` answers `did_delete`. The CAA/Bloks login is not implemented: its first
step (USDID registration on b.i.instagram.com) answers "not registered", as Instagram does for a
device it does not trust, so a fresh login fails cleanly; tests start from a saved session instead.

State is plain Python: seed posts, comments and direct messages with the helpers, run the adapter,
then read `comments`, `threads`, `blocked`, `following`, `biography`, `medias`, `stories` and `deleted_medias`
to see what the bot did (a posted picture keeps its JPEG bytes, caption and alt text).
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from instagrapi import Client

from tests.fakes.server import FakePlatform, FakeServer, Reply, Request, as_served

API = r"/api/v1"

LOGIN_REQUIRED = Reply(403, {"message": "login_required", "logout_reason": 2, "status": "fail"})
CHALLENGE_REQUIRED = Reply(
    400,
    {
        "message": "challenge_required",
        "challenge": {"url": "https://i.instagram.com/challenge/?next=/api/v1/", "api_path": "/challenge/"},
        "status": "fail",
    },
)
TWO_FACTOR_REQUIRED = Reply(
    400,
    {
        "message": "",
        "two_factor_required": True,
        "two_factor_info": {"two_factor_identifier": "abc", "totp_two_factor_on": True},
        "status": "fail",
        "error_type": "two_factor_required",
    },
)
THROTTLED = Reply(
    429, {"message": "Please wait a few minutes before you try again.", "status": "fail"}, {"Retry-After": "120"}
)
FEEDBACK_REQUIRED = Reply(
    400,
    {"message": "feedback_required", "feedback_message": "We restrict certain activity.", "status": "fail"},
)


@dataclass
class FakeUser:
    pk: str
    username: str
    full_name: str = ""
    accepts_message_requests: bool = True

    def short(self) -> dict[str, Any]:
        return {
            "pk": int(self.pk),
            "pk_id": self.pk,
            "id": self.pk,
            "username": self.username,
            "full_name": self.full_name,
            "is_private": False,
            "is_verified": False,
            "profile_pic_url": f"https://scontent.cdninstagram.com/{self.pk}.jpg",
        }


@dataclass
class FakeComment:
    pk: str
    media_id: str
    user: FakeUser
    text: str
    created_at: int
    replied_to_comment_id: str | None = None
    served: dict[str, Any] = field(default_factory=dict)  # fields sent instead of the real ones (malformed)

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "pk": self.pk,
            "text": self.text,
            "type": 0,
            "user_id": int(self.user.pk),
            "user": self.user.short(),
            "created_at": self.created_at,
            "created_at_utc": self.created_at,
            "content_type": "comment",
            "status": "Active",
            "bit_flags": 0,
            "did_report_as_spam": False,
            "has_liked_comment": False,
            "comment_like_count": 0,
            "media_id": int(self.media_id.split("_")[0]),
        }
        if self.replied_to_comment_id:
            body["replied_to_comment_id"] = self.replied_to_comment_id
            body["parent_comment_id"] = self.replied_to_comment_id
        return as_served(body, self.served)


@dataclass
class FakeMedia:
    pk: str
    owner: FakeUser
    caption: str
    taken_at: int
    code: str
    comments_disabled: bool = False
    image: bytes = b""  # the JPEG uploaded for it, when the bot posted it
    width: int = 1080
    height: int = 1080
    accessibility_caption: str = ""
    product_type: str = "feed"  # or "story"

    @property
    def id(self) -> str:
        return f"{self.pk}_{self.owner.pk}"


@dataclass
class FakeItem:
    item_id: str
    user_pk: str
    timestamp_us: int
    text: str
    item_type: str = "text"
    payload: dict[str, Any] = field(default_factory=dict)  # a media item's own object, e.g. {"media": {...}}
    served: dict[str, Any] = field(default_factory=dict)  # fields sent instead of the real ones (malformed)

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "item_id": self.item_id,
            "user_id": int(self.user_pk),
            "timestamp": self.timestamp_us,
            "item_type": self.item_type,
            "client_context": f"ctx-{self.item_id}",
            "is_sent_by_viewer": False,
        }
        if self.item_type == "link":
            body["link"] = {"text": self.text, "link_context": {"link_url": ""}}
        elif self.item_type == "text" or self.text:
            body["text"] = self.text
        body.update(self.payload)
        return as_served(body, self.served)


@dataclass
class FakeThread:
    thread_id: str
    other: FakeUser
    pending: bool = False
    items: list[FakeItem] = field(default_factory=list)  # oldest first


class FakeInstagram(FakePlatform):
    """Instagram's private API for one logged-in account, with state tests can seed and inspect."""

    def __init__(self) -> None:
        self.server = FakeServer()
        self._routes()
        self.reset()

    def reset(self) -> None:
        """Back to one account with no posts or messages, no faults and an empty request log.

        Lets one running server serve a whole test module (stopping a server costs half a second).
        """
        with self.server._lock:
            self.server.requests.clear()
            self.server._faults.clear()
        self.page_size = 20
        self.inbox_page_size = 20
        self.thread_items_in_inbox = 10
        self._now = 1_790_000_000  # epoch seconds; tests move it with `advance`, or set `clock`
        self.clock: Callable[[], datetime] | None = None
        self._ids = itertools.count(1)
        self.account = FakeUser("5550001", "nhsleeds", "NHS Leeds")
        self.password = "correct horse"
        self.biography = "Official NHS Leeds account. Monitored Mon-Fri 8am-8pm."
        self.is_private = False
        self.sessions: set[str] = {"5550001%3Asession%3A1"}
        self.users: dict[str, FakeUser] = {self.account.pk: self.account}
        self.medias: list[FakeMedia] = []  # oldest first
        self.comments: list[FakeComment] = []  # oldest first; deleted comments are removed
        self.deleted: list[FakeComment] = []
        self.threads: dict[str, FakeThread] = {}
        self.blocked: set[str] = set()
        self.followers: list[str] = []  # pks of who follows the account, newest first
        self.following: set[str] = set()  # pks the account follows
        self.direct_forbidden = False
        self.uploads: dict[str, bytes] = {}  # upload_id -> JPEG bytes not yet configured
        self.stories: list[FakeMedia] = []
        self.deleted_medias: list[FakeMedia] = []

    # -- seeding and inspecting ---------------------------------------------------------------------
    @property
    def now(self) -> int:
        """Instagram's time: the test's clock if one is set, else a counter `advance` moves."""
        return int(self.clock().timestamp()) if self.clock is not None else self._now

    def next_id(self, at: int | None = None) -> str:
        """Ids that grow with time, as Instagram's do (the adapter's comment cursor relies on it)."""
        return str((self.now if at is None else at) * 1_000_000 + next(self._ids) % 1_000_000)

    def advance(self, seconds: int) -> None:
        self._now += seconds

    def _moment(self, at: datetime | None) -> int:
        """When a seeded message is said: at `at` (hidden from the API until then), or now."""
        if at is not None:
            return int(at.timestamp())
        self.advance(1)
        return self.now

    def user(self, username: str, full_name: str = "") -> FakeUser:
        user = FakeUser(str(7_000_000 + len(self.users)), username, full_name or username.title())
        self.users[user.pk] = user
        return user

    def add_media(self, caption: str, at: datetime | None = None) -> FakeMedia:
        taken_at = self._moment(at)
        pk = self.next_id(taken_at)
        media = FakeMedia(pk, self.account, caption, taken_at, code=f"C{pk[-8:]}")
        self.medias.append(media)
        return media

    def add_comment(
        self, media: FakeMedia, user: FakeUser, text: str, replied_to: str | None = None, at: datetime | None = None
    ) -> FakeComment:
        said = self._moment(at)
        comment = FakeComment(self.next_id(said), media.id, user, text, said, replied_to)
        self.comments.append(comment)
        return comment

    def add_direct(
        self, user: FakeUser, text: str, item_type: str = "text", pending: bool = False, at: datetime | None = None
    ) -> FakeItem:
        said = self._moment(at)
        thread = next((t for t in self.threads.values() if t.other.pk == user.pk), None)
        if thread is None:
            thread = FakeThread(str(340_282_366_841_710_300_000_000 + len(self.threads)), user, pending)
            self.threads[thread.thread_id] = thread
        item = FakeItem(self.next_id(said), user.pk, said * 1_000_000 + len(thread.items), text, item_type)
        thread.items.append(item)
        thread.items.sort(key=lambda i: i.timestamp_us)
        return item

    # What the API shows: nothing said after Instagram's `now`.
    def _shown_comments(self) -> list[FakeComment]:
        return [c for c in self.comments if c.created_at <= self.now]

    def _shown_items(self, thread: FakeThread) -> list[FakeItem]:
        return [i for i in thread.items if i.timestamp_us // 1_000_000 <= self.now]

    def comments_by(self, user: FakeUser) -> list[FakeComment]:
        return [c for c in self.comments if c.user.pk == user.pk]

    def own_comments(self) -> list[FakeComment]:
        return self.comments_by(self.account)

    def sent_directs(self) -> list[tuple[str, FakeItem]]:
        return [(t.thread_id, i) for t in self.threads.values() for i in t.items if i.user_pk == self.account.pk]

    def write_session(self, path: Path) -> None:
        """A saved instagrapi session for this account, as `Client.dump_settings` writes it."""
        client = Client(private_transport="requests", request_timeout=0, session_retry_total=0)
        client.authorization_data = {
            "ds_user_id": self.account.pk,
            "sessionid": min(self.sessions),
            "should_use_header_over_cookies": True,
        }
        client.dump_settings(path)

    def requests_to(self, fragment: str) -> list[Request]:
        return [r for r in self.server.requests if fragment in r.path]

    def _routes(self) -> None:
        route = self.server.route
        route("GET", API + r"/accounts/current_user/", self._authed(self._current_user))
        route("POST", API + r"/accounts/set_biography/", self._authed(self._set_biography))
        route("GET", API + r"/feed/user/(?P<user>\d+)/", self._authed(self._user_feed))
        route("GET", API + r"/feed/user/(?P<user>\d+)/story/", self._authed(self._user_story))
        route("GET", API + r"/media/(?P<media>\d+_\d+)/comments/", self._authed(self._media_comments))
        route(
            "GET",
            API + r"/media/(?P<media>\d+_\d+)/comments/(?P<comment>\d+)/inline_child_comments/",
            self._authed(self._child_comments),
        )
        route("POST", API + r"/media/(?P<media>\d+_\d+)/comment/", self._authed(self._post_comment))
        route("POST", API + r"/media/(?P<media>\d+_\d+)/comment/bulk_delete/", self._authed(self._bulk_delete))
        route("POST", API + r"/friendships/(?P<verb>block|unblock)/(?P<user>\d+)/", self._authed(self._block))
        route("POST", API + r"/friendships/(?P<verb>create|destroy)/(?P<user>\d+)/", self._authed(self._follow))
        route("GET", API + r"/friendships/show/(?P<user>\d+)/", self._authed(self._friendship))
        route("GET", API + r"/friendships/(?P<user>\d+)/followers/", self._authed(self._followers))
        route("GET", API + r"/direct_v2/(?P<box>inbox|pending_inbox)/", self._authed(self._inbox))
        route("GET", API + r"/direct_v2/threads/(?P<thread>\d+)/", self._authed(self._thread))
        route("GET", API + r"/direct_v2/threads/get_by_participants/", self._authed(self._thread_by_participants))
        route("POST", API + r"/direct_v2/threads/broadcast/(?P<kind>text|link)/", self._authed(self._broadcast))
        route("POST", r"/graphql_www", self._usdid_registration)
        route("POST", r"/rupload_igphoto/(?P<name>[\w-]+)", self._authed(self._rupload_photo))
        route("POST", API + r"/media/configure/", self._authed(self._configure))
        route("POST", API + r"/media/configure_to_story/", self._authed(self._configure))
        route("POST", API + r"/media/(?P<media>\d+_\d+)/delete/", self._authed(self._delete_media))

    def _authed(self, handler: Any) -> Any:
        """Instagram's 403 `login_required` for any request without a live session."""

        def wrapped(request: Request) -> Reply:
            authorization = request.headers.get("Authorization", "")
            try:
                data = json.loads(base64.b64decode(authorization.rsplit(":", 1)[-1]))
            except ValueError:
                data = {}
            if data.get("sessionid") not in self.sessions:
                return LOGIN_REQUIRED
            return handler(request)

        return wrapped

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        """A signed body (`signed_body=SIGNATURE.<json>`) or plain form fields."""
        raw = request.body.decode("utf-8")
        if raw.startswith("signed_body=SIGNATURE."):
            return json.loads(unquote_plus(raw[len("signed_body=SIGNATURE.") :]))
        return request.form()

    def _account_json(self) -> dict[str, Any]:
        return {
            **self.account.short(),
            "biography": self.biography,
            "external_url": "https://www.leeds.nhs.uk",
            "is_business": True,
            "is_private": self.is_private,
            "email": "",
            "phone_number": "",
        }

    def _current_user(self, request: Request) -> Reply:
        return Reply(200, {"user": self._account_json(), "status": "ok"})

    def _set_biography(self, request: Request) -> Reply:
        text = self._body(request)["raw_text"]
        if len(text) > 150:
            return Reply(400, {"message": "Biography is too long", "status": "fail"})
        self.biography = text
        return Reply(200, {"user": self._account_json(), "status": "ok"})

    def _user_feed(self, request: Request) -> Reply:
        owner = request.params["user"]
        medias = [m for m in reversed(self.medias) if m.owner.pk == owner and m.taken_at <= self.now]
        count = int(request.query.get("count") or 12)
        start = int(request.query.get("max_id") or 0)
        page = medias[start : start + count]
        more = start + count < len(medias)
        items = [self._media_json(m) for m in page]
        body = {"items": items, "num_results": len(items), "more_available": more, "status": "ok"}
        if more:
            body["next_max_id"] = str(start + count)
        return Reply(200, body)

    def _user_story(self, request: Request) -> Reply:
        """A user's stories of the last day, oldest first, inside their `reel` (what `user_stories_v1` reads)."""
        owner = request.params["user"]
        live = [s for s in self.stories if s.owner.pk == owner and self.now - 24 * 3600 < s.taken_at <= self.now]
        reel = {"id": owner, "user": self.account.short(), "items": [self._media_json(s) for s in live]} if live else None
        return Reply(200, {"reel": reel, "status": "ok"})

    def _media_json(self, media: FakeMedia) -> dict[str, Any]:
        """A media as the private API lists it (the fields `extract_media_v1` requires, and more)."""
        body: dict[str, Any] = {
            "id": media.id,
            "pk": int(media.pk),
            "code": media.code,
            "taken_at": media.taken_at,
            "media_type": 1,
            "product_type": media.product_type,
            "user": media.owner.short(),
            "caption": {"text": media.caption, "pk": media.pk + "0"} if media.caption else None,
            "comment_count": len([c for c in self._shown_comments() if c.media_id == media.id]),
            "like_count": 0,
            "comments_disabled": media.comments_disabled,
            "original_width": media.width,
            "original_height": media.height,
            "image_versions2": {
                "candidates": [
                    {
                        "width": media.width,
                        "height": media.height,
                        "url": f"https://scontent.cdninstagram.com/v/{media.pk}.jpg",
                    }
                ]
            },
        }
        if media.accessibility_caption:
            body["accessibility_caption"] = media.accessibility_caption
        if media.product_type == "story":
            body["expiring_at"] = media.taken_at + 24 * 3600
        return body

    def _rupload_photo(self, request: Request) -> Reply:
        """Step one of a photo post: the bytes, named by the `upload_id` in the rupload params."""
        try:
            params = json.loads(request.headers.get("X-Instagram-Rupload-Params", ""))
        except ValueError:
            return Reply(400, {"message": "Invalid rupload params", "status": "fail"})
        if str(len(request.body)) != request.headers.get("X-Entity-Length") or not params.get("upload_id"):
            return Reply(400, {"message": "Upload is incomplete", "status": "fail"})
        self.uploads[str(params["upload_id"])] = request.body
        return Reply(200, {"upload_id": str(params["upload_id"]), "xsharing_nonces": {}, "status": "ok"})

    def _configure(self, request: Request) -> Reply:
        """Step two: publish an uploaded photo with its caption, to the feed or as a story."""
        data = self._body(request)
        image = self.uploads.pop(str(data.get("upload_id")), None)
        if image is None:
            return Reply(400, {"message": "Upload not found, please upload the photo again", "status": "fail"})
        story = request.path.endswith("/configure_to_story/")
        self.advance(1)
        pk = self.next_id()
        media = FakeMedia(
            pk,
            self.account,
            str(data.get("caption") or ""),
            self.now,
            code=f"C{pk[-8:]}",
            image=image,
            width=int(data["extra"]["source_width"]),
            height=int(data["extra"]["source_height"]),
            accessibility_caption=str(data.get("custom_accessibility_caption") or ""),
            product_type="story" if story else "feed",
        )
        (self.stories if story else self.medias).append(media)
        return Reply(200, {"media": self._media_json(media), "upload_id": data["upload_id"], "status": "ok"})

    def _delete_media(self, request: Request) -> Reply:
        media = self._media_or_404(request.params["media"])
        if media is None:
            return Reply(400, {"message": "Media not found or unavailable", "status": "fail"})
        if media.owner.pk != self.account.pk:
            return Reply(400, {"message": "You cannot delete this post", "status": "fail"})
        self.medias.remove(media)
        self.deleted_medias.append(media)
        return Reply(200, {"did_delete": True, "status": "ok"})

    def _media_or_404(self, media_id: str) -> FakeMedia | None:
        return next((m for m in self.medias if m.id == media_id), None)

    def _media_comments(self, request: Request) -> Reply:
        """Newest page first; within a page oldest first; `next_max_id` reaches older comments.

        Threaded (the default, and what instagrapi's `media_comments_v1_chunk` asks for) lists only
        top-level comments with a preview of their replies; `can_support_threading=false` is flat.
        """
        if self._media_or_404(request.params["media"]) is None:
            return Reply(400, {"message": "Media not found or unavailable", "status": "fail"})
        comments = [c for c in self._shown_comments() if c.media_id == request.params["media"]]
        threaded = request.query.get("can_support_threading", "true") == "true"
        children: dict[str, list[FakeComment]] = {}
        if threaded:  # replies live under their comment, only previewed in the page
            for reply in (c for c in comments if c.replied_to_comment_id):
                children.setdefault(reply.replied_to_comment_id or "", []).append(reply)
            comments = [c for c in comments if not c.replied_to_comment_id]
        end = len(comments)
        if request.query.get("max_id"):
            cursor = json.loads(request.query["max_id"])
            end = next((i for i, c in enumerate(comments) if c.pk == cursor["server_cursor"]), 0)
        page = comments[max(0, end - self.page_size) : end]
        listed = [c.json() for c in page]
        if threaded:
            for comment in listed:
                replies = children.get(comment["pk"], [])
                comment["child_comment_count"] = len(replies)
                comment["preview_child_comments"] = [r.json() for r in replies[:2]]
        body: dict[str, Any] = {
            "comments": listed,
            "comment_count": len(comments),
            "caption_is_edited": False,
            "has_more_comments": end - self.page_size > 0,
            "has_more_headload_comments": False,
            "status": "ok",
        }
        if body["has_more_comments"]:
            body["next_max_id"] = json.dumps({"server_cursor": page[0].pk, "is_server_cursor_inverse": False})
        return Reply(200, body)

    def _child_comments(self, request: Request) -> Reply:
        children = [c for c in self._shown_comments() if c.replied_to_comment_id == request.params["comment"]]
        return Reply(
            200,
            {
                "child_comments": [c.json() for c in children],
                "child_comment_count": len(children),
                "has_more_head_child_comments": False,
                "has_more_tail_child_comments": False,
                "status": "ok",
            },
        )

    def _post_comment(self, request: Request) -> Reply:
        media = self._media_or_404(request.params["media"])
        if media is None:
            return Reply(400, {"message": "Media is unavailable", "status": "fail"})
        if media.comments_disabled:
            return Reply(400, {"message": "Comments on this post have been limited", "status": "fail"})
        data = self._body(request)
        replied_to = data.get("replied_to_comment_id")
        if replied_to and not any(c.pk == str(replied_to) for c in self.comments):
            return Reply(400, {"message": "This comment has been deleted.", "status": "fail"})
        self.advance(1)
        comment = FakeComment(
            self.next_id(),
            media.id,
            self.account,
            data["comment_text"],
            self.now,
            str(replied_to) if replied_to else None,
        )
        self.comments.append(comment)
        return Reply(200, {"comment": comment.json(), "status": "ok"})

    def _bulk_delete(self, request: Request) -> Reply:
        media = self._media_or_404(request.params["media"])
        wanted = set(self._body(request)["comment_ids_to_delete"].split(","))
        targets = [c for c in self.comments if c.pk in wanted and c.media_id == request.params["media"]]
        if media is None or not targets:
            return Reply(400, {"message": "Comment not found", "status": "fail"})
        if media.owner.pk != self.account.pk and any(c.user.pk != self.account.pk for c in targets):
            return Reply(400, {"message": "You cannot delete this comment", "status": "fail"})
        for comment in targets:
            self.comments.remove(comment)
            self.deleted.append(comment)
        return Reply(200, {"status": "ok"})

    def _block(self, request: Request) -> Reply:
        user = request.params["user"]
        if user == self.account.pk or user not in self.users:
            return Reply(400, {"message": "Invalid target user", "status": "fail"})
        if request.params["verb"] == "block":
            self.blocked.add(user)
        else:
            self.blocked.discard(user)
        status = {"user_id": int(user), "blocking": user in self.blocked, "following": False, "is_private": False}
        return Reply(200, {"friendship_status": status, "status": "ok"})

    def follows_us(self, username: str, full_name: str = "") -> FakeUser:
        """Someone starts following the account (Instagram lists the newest follower first)."""
        user = self.user(username, full_name)
        self.followers.insert(0, user.pk)
        return user

    def _relationship(self, user: str) -> dict[str, Any]:
        """instagrapi's `Relationship` fields, as friendships/show answers them."""
        return {"blocking": user in self.blocked, "followed_by": user in self.followers,
                "following": user in self.following, "incoming_request": False, "is_bestie": False,
                "is_blocking_reel": False, "is_muting_reel": False, "is_private": False, "is_restricted": False,
                "muting": False, "outgoing_request": False}

    def _follow(self, request: Request) -> Reply:
        user = request.params["user"]
        if user == self.account.pk or user not in self.users:
            return Reply(400, {"message": "Invalid target user", "status": "fail"})
        if request.params["verb"] == "create":
            self.following.add(user)
        else:
            self.following.discard(user)
        return Reply(200, {"friendship_status": {"user_id": int(user), **self._relationship(user)}, "status": "ok"})

    def _friendship(self, request: Request) -> Reply:
        user = request.params["user"]
        if user not in self.users:
            return Reply(404, {"message": "User not found", "status": "fail"})
        return Reply(200, {**self._relationship(user), "status": "ok"})

    def _followers(self, request: Request) -> Reply:
        if request.params["user"] != self.account.pk:
            return Reply(400, {"message": "Not our account", "status": "fail"})
        count = int(request.query.get("count", 200))
        start = int(request.query.get("max_id") or 0)
        page = self.followers[start:start + count]
        more = start + count < len(self.followers)
        return Reply(200, {"users": [self.users[pk].short() for pk in page], "big_list": more, "page_size": count,
                           "next_max_id": str(start + count) if more else None, "status": "ok"})

    def _thread_json(self, thread: FakeThread, items: list[FakeItem], has_older: bool) -> dict[str, Any]:
        shown = self._shown_items(thread)
        return {
            "thread_id": thread.thread_id,
            "thread_v2_id": str(int(thread.thread_id) % 10**17),
            "users": [thread.other.short()],
            "left_users": [],
            "inviter": self.account.short(),
            "items": [i.json() for i in reversed(items)],  # newest first, as Instagram sends them
            "last_activity_at": shown[-1].timestamp_us if shown else 0,
            "muted": False,
            "is_pin": False,
            "named": False,
            "canonical": True,
            "pending": thread.pending,
            "archived": False,
            "thread_type": "private",
            "viewer_id": int(self.account.pk),
            "thread_title": thread.other.username,
            "is_group": False,
            "is_spam": False,
            "has_older": has_older,
            "oldest_cursor": items[0].item_id if items else None,
            "last_seen_at": {},
        }

    def _inbox(self, request: Request) -> Reply:
        if self.direct_forbidden:
            return Reply(403, {"message": "Direct messages are not available for this account", "status": "fail"})
        pending = request.params["box"] == "pending_inbox"
        threads = sorted(
            (t for t in self.threads.values() if t.pending == pending and self._shown_items(t)),
            key=lambda t: self._shown_items(t)[-1].timestamp_us,
            reverse=True,
        )
        limit = min(int(request.query.get("limit") or 20), self.inbox_page_size)
        start = 0
        if request.query.get("cursor"):
            start = next(i for i, t in enumerate(threads) if t.thread_id == request.query["cursor"]) + 1
        page = threads[start : start + limit]
        per_thread = int(request.query.get("thread_message_limit") or 10)
        per_thread = min(per_thread, self.thread_items_in_inbox)
        has_older = start + limit < len(threads)
        inbox = {
            "threads": [
                self._thread_json(t, self._shown_items(t)[-per_thread:], len(self._shown_items(t)) > per_thread)
                for t in page
            ],
            "has_older": has_older,
            "oldest_cursor": page[-1].thread_id if page and has_older else None,
            "unseen_count": 0,
        }
        return Reply(200, {"inbox": inbox, "seq_id": 40065, "pending_requests_total": 0, "status": "ok"})

    def _thread(self, request: Request) -> Reply:
        thread = self.threads.get(request.params["thread"])
        if thread is None:
            return Reply(404, {"message": "Thread not found", "status": "fail"})
        items = self._shown_items(thread)
        end = len(items)
        if request.query.get("cursor"):
            end = next(i for i, item in enumerate(items) if item.item_id == request.query["cursor"])
        limit = int(request.query.get("limit") or 20)
        page = items[max(0, end - limit) : end]
        return Reply(200, {"thread": self._thread_json(thread, page, end - limit > 0), "status": "ok"})

    def _thread_by_participants(self, request: Request) -> Reply:
        """The one-to-one thread with a user, if there is one (instagrapi's `direct_thread_by_participants`)."""
        wanted = {str(pk) for pk in json.loads(request.query["recipient_users"])}
        thread = next((t for t in self.threads.values() if {t.other.pk} == wanted), None)
        if thread is None:
            return Reply(200, {"users": [], "status": "ok"})
        items = self._shown_items(thread)[-int(request.query.get("limit") or 20):]
        return Reply(200, {"thread": self._thread_json(thread, items, len(self._shown_items(thread)) > len(items)),
                           "users": [thread.other.short()], "status": "ok"})

    def _broadcast(self, request: Request) -> Reply:
        data = self._body(request)
        text = data.get("text") or data.get("link_text") or ""
        if data.get("thread_ids"):
            thread = self.threads.get(str(json.loads(data["thread_ids"])[0]))
            if thread is None:
                return Reply(404, {"message": "Thread not found", "status": "fail"})
        else:
            user = self.users[str(json.loads(data["recipient_users"])[0][0])]
            if not user.accepts_message_requests:
                return Reply(
                    400,
                    {
                        "message": "This account can't receive your message because they don't allow new message requests "
                        "from everyone.",
                        "status": "fail",
                    },
                )
            thread = next((t for t in self.threads.values() if t.other.pk == user.pk), None)
            if thread is None:
                thread = FakeThread(str(340_282_366_841_710_300_000_000 + len(self.threads)), user)
                self.threads[thread.thread_id] = thread
        self.advance(1)
        kind = "link" if request.params["kind"] == "link" else "text"
        item = FakeItem(self.next_id(), self.account.pk, self.now * 1_000_000 + 999_999, text, kind)
        thread.items.append(item)
        thread.items.sort(key=lambda i: i.timestamp_us)
        payload = {
            "client_context": data.get("client_context", ""),
            "item_id": item.item_id,
            "thread_id": thread.thread_id,
            "timestamp": str(item.timestamp_us),
        }
        return Reply(200, {"action": "item_ack", "status_code": "200", "payload": payload, "status": "ok"})

    def _usdid_registration(self, request: Request) -> Reply:
        """The first step of a fresh CAA login: this device is not accepted."""
        return Reply(200, {"data": {"xig_usdid_registration": {"success": False}}, "extensions": {}})
