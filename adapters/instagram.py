"""Instagram through instagrapi, which speaks Instagram's private mobile API.

The client chose instagrapi. It is not Instagram's official API and Instagram's terms do not permit
it: an account may be challenged or banned. The official Instagram API (`adapters/instagram_graph.py`)
is Instagram's default; this module is used only when an account opts in with `api = "instagrapi"`.

Streams: "comments" (comments on the account's most recent posts) and "direct_messages" (the direct inbox and
its message requests). The offline notice (`options.notice_kind`) goes in the biography, or is
drawn on a plain picture posted to the feed or as a story. The library is told never to sleep or
retry by itself: the service owns back-off, so every failure is translated into one
`adapters.base` exception and raised at once.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from instagrapi import Client
from instagrapi import exceptions as ig
from instagrapi.extractors import extract_media_v1
from PIL import Image, ImageDraw, ImageFont
from pydantic import ValidationError

from adapters.base import (
    AccountCheck,
    AccountConfig,
    ActionRefused,
    Adapter,
    AuthFailed,
    Capabilities,
    FetchResult,
    PlatformUnavailable,
    RateBudget,
    RateLimited,
    Unreadable,
    read_item,
)
from adapters.transport import RedirectingAdapter
from bot.errors import ConfigError
from bot.model import ActionKind, Attachment, AttachmentKind, Author, Channel, Follower, Inbound, Platform

REQUIRED_ENV: tuple[str, ...] = ("USERNAME", "PASSWORD")
OPTIONAL_ENV: tuple[str, ...] = ("TOTP_SEED",)

# The hosts instagrapi writes into its code: the private API, and the CAA login / GraphQL host.
INSTAGRAM_HOSTS: tuple[str, ...] = ("https://i.instagram.com", "https://b.i.instagram.com")

COMMENT_MAX_LENGTH = 2200  # Instagram's caption/comment limit
USERNAME_MAX_LENGTH = 30  # a public reply starts with "@username "
DIRECT_MAX_LENGTH = 1000
BIOGRAPHY_MAX_LENGTH = 150
CAPTION_MAX_LENGTH = 2200
NOTICE_KINDS: tuple[str, ...] = ("biography", "post", "story")
NOTICE_LOOKUP_COUNT = 12  # the account's newest posts searched for a notice a crash left unrecorded
NOTICE_CLOCK_SKEW = timedelta(minutes=5)  # Instagram's clock and ours may differ by this much

# The offline notice as a picture: Instagram's square feed size and its 9:16 story size, the NHS
# blue with white text (contrast 6.7:1, above WCAG AA's 4.5:1), and Pillow's own scalable font so
# no font file has to be shipped. Text is never drawn smaller than NOTICE_MIN_FONT on 1080 pixels.
POST_IMAGE_SIZE = (1080, 1080)
STORY_IMAGE_SIZE = (1080, 1920)
NOTICE_BACKGROUND = (0, 94, 184)
NOTICE_INK = (255, 255, 255)
NOTICE_MAX_FONT = 88
NOTICE_MIN_FONT = 40
NOTICE_LINE_SPACING = 1.3
NOTICE_MARGIN = 0.08  # of the width, on every side

CAPABILITIES = Capabilities(
    # instagrapi has no call to hide a single comment, so HIDE is not offered: `decide` falls back
    # to DELETE, which Instagram allows on comments under the account's own posts.
    actions=frozenset(
        {ActionKind.REPLY, ActionKind.DELETE, ActionKind.BLOCK, ActionKind.UNBLOCK, ActionKind.POST_NOTICE,
         ActionKind.FOLLOW, ActionKind.UNFOLLOW}  # instagrapi's user_follow / user_unfollow
    ),
    max_reply_length={
        Channel.PUBLIC: COMMENT_MAX_LENGTH - USERNAME_MAX_LENGTH - 2,
        Channel.PRIVATE: DIRECT_MAX_LENGTH,
    },
    private_reply_window=None,  # the private API has no 24-hour rule (the official Messaging API does)
    notice_kinds=NOTICE_KINDS,  # the account's options choose one
    can_find_own_reply=True,
    can_find_notice=True,
    can_read_followers=True,  # instagrapi's user_followers
)
FOLLOWERS_PAGE = 200  # one page of instagrapi's followers call (its MAX_USER_COUNT)

# The private API documents no rate limits (instagrapi's "Best Practices" guide only advises delays,
# one stable IP and a saved session). We borrow the official Instagram API's documented budget,
# 200 calls per account per hour (Graph API rate limiting), and poll slowly enough to stay near it:
# a comments fetch costs 1 request for the post list plus 1 per watched post with comments (about 7),
# a direct fetch 2 (inbox and message requests) plus 1 per thread with more than its inbox preview.
RATE_BUDGETS: Mapping[str, RateBudget] = {
    "comments": RateBudget(requests=1, per=timedelta(seconds=120)),
    "direct_messages": RateBudget(requests=1, per=timedelta(seconds=60)),
}

DEFAULT_OPTIONS: Mapping[str, object] = {
    "timeout_seconds": 10.0,
    "watched_posts": 6,  # comments are read on this many of the account's newest posts
    "notice_kind": "biography",
    "rate_limit_pause_seconds": 300,  # used when a 429 carries no Retry-After
    "action_block_pause_seconds": 3600,  # Instagram's "feedback_required" action block
}

_AUTH_ERRORS: tuple[type[Exception], ...] = (
    ig.LoginRequired,
    ig.ClientLoginRequired,
    ig.ClientUnauthorizedError,
    ig.ChallengeError,
    ig.TwoFactorRequired,
    ig.BadPassword,
    ig.BadCredentials,
    ig.AccountSuspended,
    ig.ReloginAttemptExceeded,
    ig.CaptchaChallengeRequired,
)
_RATE_ERRORS: tuple[type[Exception], ...] = (
    ig.ClientThrottledError,
    ig.PleaseWaitFewMinutes,
    ig.RateLimitError,
    ig.SentryBlock,
)
_UNREADABLE_ERRORS: tuple[type[Exception], ...] = (
    ig.ClientJSONDecodeError,
    ig.ClientConnectionError,
    ig.ClientIncompleteReadError,
    ig.ClientRequestTimeout,
    requests.RequestException,
    ValidationError,
    KeyError,
    TypeError,
    ValueError,
)


def _never_reached(error: Exception) -> bool:
    """True when the request surely never reached Instagram (no connection was made).

    instagrapi turns requests' connection errors into `ClientConnectionError` with the original
    class name in its message, so the message is all there is to go on.
    """
    if isinstance(error, requests.ConnectTimeout):
        return True
    return isinstance(error, (requests.ConnectionError, ig.ClientConnectionError)) and any(
        marker in str(error) for marker in ("NewConnectionError", "Connection refused", "Failed to resolve")
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _BoundedAdapter(RedirectingAdapter):
    """Gives every request the account's timeout (instagrapi sets none) and honours `api_base_url`.

    Mounted for each Instagram host prefix, which is longer than instagrapi's own "https://" mounts,
    so it stays in charge when instagrapi re-mounts its adapters after loading a saved session.
    Without a base URL the prefix is rewritten to itself.
    """

    def __init__(self, from_prefix: str, to_base: str, timeout_seconds: float) -> None:
        super().__init__(from_prefix, to_base, max_retries=0)
        self.timeout_seconds = timeout_seconds

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout_seconds
        return super().send(request, **kwargs)


@dataclass(frozen=True, slots=True)
class InstagramOptions:
    """The account's `options` table, checked once so a typo is a sentence, not a traceback."""

    timeout_seconds: float
    watched_posts: int
    notice_kind: str
    rate_limit_pause: timedelta
    action_block_pause: timedelta
    api_base_url: str | None

    @classmethod
    def from_config(cls, config: AccountConfig) -> InstagramOptions:
        options = {**DEFAULT_OPTIONS, **config.options}
        where = config.settings_file

        def number(key: str, minimum: float) -> float:
            value = options[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
                raise ConfigError(
                    where, f"{config.settings_key}.options.{key}", f"must be a number of at least {minimum}"
                )
            return float(value)

        notice_kind = options["notice_kind"]
        if notice_kind not in NOTICE_KINDS:
            raise ConfigError(
                where,
                f"{config.settings_key}.options.notice_kind",
                f"{notice_kind!r} is not supported on Instagram; use one of {', '.join(NOTICE_KINDS)}",
            )
        base_url = options.get("api_base_url")
        if base_url is not None and not (isinstance(base_url, str) and re.match(r"https?://", base_url)):
            raise ConfigError(where, f"{config.settings_key}.options.api_base_url", "must be an http(s) URL")
        return cls(
            timeout_seconds=number("timeout_seconds", 0.1),
            watched_posts=int(number("watched_posts", 1)),
            notice_kind=str(notice_kind),
            rate_limit_pause=timedelta(seconds=number("rate_limit_pause_seconds", 1)),
            action_block_pause=timedelta(seconds=number("action_block_pause_seconds", 1)),
            api_base_url=base_url,
        )


def _epoch_utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _int_or_none(value: object) -> int | None:
    """A pk or timestamp for paging and cursors; an unreadable one leaves its item to be judged alone."""
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _newer(value: object, watermark: int | None) -> bool:
    """A pk or timestamp past the watermark; an unreadable one counts as newer, so its item is read
    and set aside as unreadable instead of holding up the page."""
    number = _int_or_none(value)
    return watermark is None or number is None or number > watermark


def _text_field(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"text is {type(value).__name__}, not a string")
    return value


def _direct_text(item: Mapping[str, Any]) -> str:
    """The words of a direct item: plain text, or the text around a link; media items have none."""
    if item.get("text") is not None:
        return _text_field(item["text"])
    link = item.get("link")
    if isinstance(link, Mapping) and link.get("text"):
        return _text_field(link["text"])
    return ""


def _required_text(value: object, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value):
        raise ValueError(f"{what} is missing or not an id: {value!r}")
    return str(value)


def _visual_kind(media: object) -> AttachmentKind:
    """Instagram's media_type: 1 a photo, 2 a video."""
    return AttachmentKind.VIDEO if isinstance(media, Mapping) and media.get("media_type") == 2 else AttachmentKind.PHOTO


def _direct_attachments(item: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """What a direct item carries besides words, by its `item_type`."""
    kind = item.get("item_type")
    if kind in (None, "text", "link"):
        return ()
    if kind == "media":
        return (Attachment(_visual_kind(item.get("media"))),)
    if kind == "raven_media":  # a photo or video that disappears after viewing
        return (Attachment(_visual_kind((item.get("visual_media") or {}).get("media"))),)
    if kind == "voice_media":
        return (Attachment(AttachmentKind.AUDIO),)
    if kind in ("animated_media", "like"):  # a GIF sticker, or the heart
        return (Attachment(AttachmentKind.STICKER),)
    if kind in ("media_share", "clip", "story_share", "felix_share", "xma_media_share"):  # someone's post or reel
        return (Attachment(AttachmentKind.LINK),)
    return (Attachment(AttachmentKind.OTHER),)


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float) -> list[str]:
    """The text's lines at most `width` pixels wide, breaking between words (inside a long link if need be)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while font.getlength(word) > width:
                fits = next((n for n in range(len(word) - 1, 1, -1) if font.getlength(word[:n]) <= width), 1)
                lines.append(word[:fits])
                word = word[fits:]
            line = word
        lines.append(line)
    return lines


def render_notice_image(text: str, size: tuple[int, int]) -> Image.Image:
    """The notice as a plain picture: the biggest type (down to a readable minimum) that fits, centred.

    Raises ValueError when the text would need type smaller than NOTICE_MIN_FONT to fit.
    """
    width, height = size
    margin = round(width * NOTICE_MARGIN)
    room_width, room_height = width - 2 * margin, height - 2 * margin
    for font_size in range(NOTICE_MAX_FONT, NOTICE_MIN_FONT - 1, -4):
        font = ImageFont.load_default(size=font_size)
        lines = _wrap(text.strip(), font, room_width)
        line_height = round(font_size * NOTICE_LINE_SPACING)
        if len(lines) * line_height <= room_height:
            break
    else:
        raise ValueError(
            f"the notice ({len(text)} characters) does not fit a {width}x{height} picture in readable type; shorten it"
        )
    image = Image.new("RGB", size, NOTICE_BACKGROUND)
    draw = ImageDraw.Draw(image)
    top = (height - len(lines) * line_height) // 2
    for number, line in enumerate(lines):
        left = (width - font.getlength(line)) / 2
        draw.text((left, top + number * line_height), line, font=font, fill=NOTICE_INK)
    return image


class InstagramAdapter(Adapter):
    """One Instagram account, logged in through a saved instagrapi session where possible."""

    platform = Platform.INSTAGRAM
    capabilities = CAPABILITIES
    streams = ("comments", "direct_messages")
    rate_budgets = RATE_BUDGETS

    def __init__(self, config: AccountConfig, clock: Callable[[], datetime] = _utc_now) -> None:
        missing = [name for name in REQUIRED_ENV if not config.secrets.get(name)]
        if missing:
            raise ConfigError(".env", f"accounts.{config.name}", f"missing secret(s) {', '.join(missing)}")
        self.account = config.name
        self.options = InstagramOptions.from_config(config)
        self._config = config
        self._clock = clock
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", config.name).strip("-") or "account"
        self.session_path = Path(config.state_dir) / f"instagram-{slug}-session.json"
        self.biography_path = Path(config.state_dir) / f"instagram-{slug}-biography.json"
        self.notice_path = Path(config.state_dir) / f"instagram-{slug}-notice.json"
        self.notice_image_path = Path(config.state_dir) / f"instagram-{slug}-notice.jpg"
        self.client = self._new_client()
        self._logged_in = False

    # -- connection -------------------------------------------------------------------------------
    def _new_client(self) -> Client:
        client = Client(
            private_transport="requests",  # plain requests adapters, so ours can be mounted
            request_timeout=0,  # instagrapi's name for a sleep before every request
            session_retry_total=0,  # the service owns retries and back-off
            with_challenge_flow=False,  # a challenge must reach staff, never wait on input()
        )
        self._mount(client)
        return client

    def _mount(self, client: Client) -> None:
        for host in INSTAGRAM_HOSTS:
            target = self.options.api_base_url or host
            for session in (client.private, client.public):
                session.mount(host, _BoundedAdapter(host, target, self.options.timeout_seconds))

    def _ensure_session(self) -> None:
        """Reuse the saved session (one cheap validation call) or log in, then save the session."""
        if self._logged_in:
            return
        secrets = self._config.secrets
        code = ""
        if secrets.get("TOTP_SEED"):
            code = self.client.totp_generate_code(secrets["TOTP_SEED"])
        if self.session_path.exists():
            try:
                self.client.load_settings(self.session_path)
            except (OSError, ValueError) as error:
                raise AuthFailed(
                    f"Instagram account {self.account}: the saved session {self.session_path} cannot be read "
                    f"({error}); delete it so the bot logs in afresh"
                ) from error
            self.client.set_retry_config(request_timeout=0, session_retry_total=0, private_transport="requests")
        try:
            self.client.login(secrets["USERNAME"], secrets["PASSWORD"], verification_code=code)
        except _AUTH_ERRORS as error:
            raise AuthFailed(self._auth_sentence(error)) from error
        except _RATE_ERRORS + _UNREADABLE_ERRORS as error:
            raise self._translate(error, acting=False) from error
        except ig.ClientError as error:
            if self._is_server_error(error):
                raise self._translate(error, acting=False) from error
            raise AuthFailed(
                f"Instagram account {self.account}: Instagram would not log in ({self._reason(error)})"
            ) from error
        self._logged_in = True
        self._save_session()

    def _save_session(self) -> None:
        """Keep the session (it holds login cookies) readable by the bot's user only."""
        self.session_path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.session_path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(self.session_path, 0o600)  # also when an older copy was readable by others
        self.client.dump_settings(self.session_path)

    def _auth_sentence(self, error: Exception) -> str:
        who = f"Instagram account {self.account}"
        if isinstance(error, ig.TwoFactorRequired):
            return (
                f"{who}: Instagram asks for a two-factor code; set the account's TOTP_SEED secret "
                "(the authenticator app's key), then run housebot check"
            )
        if isinstance(error, ig.ChallengeError):
            return (
                f"{who}: Instagram wants a security check; open the Instagram app for this account, "
                "complete it, then run housebot check"
            )
        if isinstance(error, (ig.BadPassword, ig.BadCredentials)):
            return f"{who}: Instagram refused the username or password; check USERNAME and PASSWORD in .env"
        if isinstance(error, ig.AccountSuspended):
            return f"{who}: Instagram has suspended this account; sign in to the app to see why"
        return f"{who}: the login session has expired or was refused ({self._reason(error)}); run housebot check"

    @staticmethod
    def _reason(error: Exception) -> str:
        return str(getattr(error, "message", "") or error or type(error).__name__)

    @staticmethod
    def _status(error: Exception) -> int:
        """The HTTP status behind an instagrapi error, 0 when there was no answer."""
        return int(getattr(getattr(error, "response", None), "status_code", 0) or 0)

    @classmethod
    def _is_server_error(cls, error: Exception) -> bool:
        return cls._status(error) >= 500

    def _retry_after(self, error: Exception, default: timedelta) -> datetime:
        response = getattr(error, "response", None)
        header = response.headers.get("Retry-After") if response is not None else None
        if header and header.strip().isdigit():
            return self._clock() + timedelta(seconds=int(header))
        return self._clock() + default

    def _translate(self, error: Exception, acting: bool) -> Exception:
        """One instagrapi or transport failure -> the `adapters.base` exception the service handles."""
        # A photo upload bypasses instagrapi's error mapping: its status and body are all there is.
        upload_logged_out = isinstance(error, ig.PhotoNotUpload) and "login_required" in self._reason(error)
        if isinstance(error, _AUTH_ERRORS) or upload_logged_out:
            self._logged_in = False
            return AuthFailed(self._auth_sentence(error))
        if isinstance(error, _RATE_ERRORS) or self._status(error) == 429:
            return RateLimited(
                self._retry_after(error, self.options.rate_limit_pause), f"Instagram: {self._reason(error)}"
            )
        if isinstance(error, ig.FeedbackRequired):
            return RateLimited(
                self._clock() + self.options.action_block_pause,
                f"Instagram blocked actions for a while (feedback_required): {self._reason(error)}",
            )
        if isinstance(error, _UNREADABLE_ERRORS) or self._is_server_error(error):
            return PlatformUnavailable(
                f"Instagram unavailable: {type(error).__name__}: {self._reason(error)}",
                maybe_sent=acting and not _never_reached(error),
            )
        if isinstance(error, ig.ClientForbiddenError) and not acting:
            self._logged_in = False
            return AuthFailed(f"Instagram account {self.account}: reading was forbidden ({self._reason(error)})")
        if acting:
            return ActionRefused(f"Instagram refused: {self._reason(error)}")
        return PlatformUnavailable(f"Instagram gave an unexpected answer: {self._reason(error)}")

    @contextmanager
    def _calling(self, acting: bool) -> Iterator[Client]:
        """Log in if needed, then turn whatever the library raises into an `adapters.base` error."""
        self._ensure_session()
        try:
            yield self.client
        except (ActionRefused, AuthFailed, PlatformUnavailable, RateLimited):
            raise
        except AssertionError as error:  # instagrapi asserts `status == "ok"` on some answers
            raise (ActionRefused if acting else PlatformUnavailable)(f"Instagram: unexpected answer {error}") from error
        except (ig.ClientError, *_UNREADABLE_ERRORS) as error:
            raise self._translate(error, acting) from error

    @property
    def user_id(self) -> str:
        self._ensure_session()
        return str(self.client.user_id)

    # -- Adapter ----------------------------------------------------------------------------------
    def check(self) -> AccountCheck:
        who = f"Instagram account {self.account}"
        try:
            with self._calling(acting=False) as client:
                account = client.account_info()
                identity = f"@{account.username} ({account.full_name})" if account.full_name else f"@{account.username}"
            problems: list[str] = []
            try:
                with self._calling(acting=False) as client:
                    client.private_request("direct_v2/inbox/", params={"limit": "1", "thread_message_limit": "1"})
            except (AuthFailed, PlatformUnavailable, RateLimited) as error:
                problems.append(
                    f"{who}: the direct inbox cannot be read ({error}); private messages will not be handled"
                )
            if account.is_private:
                problems.append(f"{who}: the account is private, so only its followers will see public replies")
        except AuthFailed as error:
            return AccountCheck(False, who, (str(error),))
        except (PlatformUnavailable, RateLimited) as error:
            return AccountCheck(False, who, (f"{who}: Instagram could not be reached to check ({error})",))
        return AccountCheck(not problems, identity, tuple(problems))

    def own_ids(self) -> frozenset[str]:
        return frozenset({self.user_id})

    def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """New items oldest first. A first fetch (no cursor) reads only the newest page of each source."""
        if stream == "comments":
            return self._fetch_comments(cursor)
        if stream == "direct_messages":
            return self._fetch_direct(cursor)
        raise ValueError(f"Instagram has no stream {stream!r}; streams are {', '.join(self.streams)}")

    def _fetch_comments(self, cursor: str | None) -> FetchResult:
        """Cursor: the highest comment pk seen (Instagram's comment pks grow with time)."""
        watermark = int(cursor) if cursor else None
        found: list[tuple[int, Inbound]] = []
        unreadable: list[Unreadable] = []
        highest = watermark or 0
        with self._calling(acting=False) as client:
            own = str(client.user_id)
            feed = client.private_request(
                f"feed/user/{own}/",
                params={"count": self.options.watched_posts, "rank_token": client.rank_token, "ranked_content": "true"},
            )
            for media in feed["items"][: self.options.watched_posts]:
                if not media.get("comment_count"):
                    continue
                for comment in self._comments_since(client, str(media["id"]), watermark):
                    pk = _int_or_none(comment.get("pk"))
                    highest = max(highest, pk or 0)
                    if str((comment.get("user") or {}).get("pk")) == own:
                        continue
                    read = read_item(comment, lambda comment=comment: self._comment_inbound(comment, media), "pk")
                    if isinstance(read, Unreadable):
                        unreadable.append(read)
                    else:
                        found.append((int(read.native_id), read))
        found.sort(key=lambda pair: (pair[1].created_at, pair[0]))
        new_cursor = str(highest) if highest else cursor
        return FetchResult(tuple(inbound for _, inbound in found), new_cursor, tuple(unreadable))

    @staticmethod
    def _comments_since(client: Client, media_id: str, watermark: int | None) -> list[Mapping[str, Any]]:
        """Comments newer than the watermark, paging back (`next_max_id`) until a known one.

        Asks for the flat listing (`can_support_threading=false`) so replies to comments arrive in
        the same pages as the comments themselves, not only as previews under them.
        """
        found: list[Mapping[str, Any]] = []
        params: dict[str, str] = {"can_support_threading": "false", "permalink_enabled": "false"}
        while True:
            page = client.private_request(f"media/{media_id}/comments/", params=params)
            comments = [c for c in page.get("comments", []) if isinstance(c, dict)]
            pks = [pk for pk in (_int_or_none(c.get("pk")) for c in comments) if pk is not None]
            found.extend(c for c in comments if _newer(c.get("pk"), watermark))
            next_max_id = page.get("next_max_id") if page.get("has_more_comments") else None
            if watermark is None or not next_max_id or not pks or min(pks) <= watermark:
                return found
            params = {**params, "max_id": next_max_id}

    def _comment_inbound(self, comment: Mapping[str, Any], media: Mapping[str, Any]) -> Inbound:
        parent = str(comment.get("parent_comment_id") or comment.get("replied_to_comment_id") or "")
        user = comment["user"]
        code = media.get("code") or ""
        return Inbound(
            platform=Platform.INSTAGRAM,
            account=self.account,
            stream="comments",
            channel=Channel.PUBLIC,
            native_id=str(int(comment["pk"])),
            author=Author(str(user["pk"]), str(user.get("username") or ""), str(user.get("full_name") or "")),
            text=_text_field(comment.get("text")),
            created_at=_epoch_utc(int(comment.get("created_at_utc") or comment["created_at"])),
            thread_id=str(media["id"]),
            parent_id=parent or str(media["id"]),
            in_reply_to_own=True,  # every watched post is the account's own
            extras={
                "media_id": str(media["id"]),
                "media_code": code,
                "permalink": f"https://www.instagram.com/p/{code}/" if code else "",
                "is_reply_to_comment": bool(parent),
            },
        )

    def _fetch_direct(self, cursor: str | None) -> FetchResult:
        """Cursor: the newest direct item timestamp seen, in Instagram's microseconds."""
        watermark = int(cursor) if cursor else None
        found: list[tuple[int, Inbound]] = []
        unreadable: list[Unreadable] = []
        highest = watermark or 0
        with self._calling(acting=False) as client:
            own = str(client.user_id)
            for box, endpoint in (("inbox", "direct_v2/inbox/"), ("requests", "direct_v2/pending_inbox/")):
                for thread in self._threads_since(client, endpoint, watermark):
                    for item in self._thread_items_since(client, thread, watermark):
                        stamp = _int_or_none(item.get("timestamp"))
                        highest = max(highest, stamp or 0)
                        if str(item.get("user_id")) == own:
                            continue
                        read = read_item(item, lambda item=item: self._direct_inbound(item, thread, box), "item_id")
                        if isinstance(read, Unreadable):
                            unreadable.append(read)
                        else:
                            found.append((stamp or 0, read))
        found.sort(key=lambda pair: (pair[0], pair[1].native_id))
        new_cursor = str(highest) if highest else cursor
        return FetchResult(tuple(inbound for _, inbound in found), new_cursor, tuple(unreadable))

    @staticmethod
    def _threads_since(client: Client, endpoint: str, watermark: int | None) -> Iterator[Mapping[str, Any]]:
        """Threads active after the watermark, newest first, following the inbox's pages."""
        params: dict[str, str] = {"limit": "20", "thread_message_limit": "10", "persistentBadging": "true"}
        while True:
            inbox = client.private_request(endpoint, params=params)["inbox"]
            threads = inbox.get("threads", [])
            for thread in threads:
                if watermark is None or int(thread["last_activity_at"]) > watermark:
                    yield thread
            older = inbox.get("oldest_cursor")
            all_new = bool(threads) and all(
                watermark is not None and int(t["last_activity_at"]) > watermark for t in threads
            )
            if not (inbox.get("has_older") and older and all_new):
                return
            params = {**params, "cursor": older, "direction": "older"}

    @staticmethod
    def _thread_items_since(
        client: Client, thread: Mapping[str, Any], watermark: int | None
    ) -> list[Mapping[str, Any]]:
        """Items newer than the watermark. The inbox embeds the latest few; page the thread if more."""
        items = [item for item in thread.get("items", []) if isinstance(item, dict)]
        if watermark is None:
            return items
        covered = any(not _newer(item.get("timestamp"), watermark) for item in items)
        if not covered and thread.get("has_older", True):
            items = []
            params: dict[str, str] = {"limit": "20", "direction": "older"}
            while True:
                page = client.private_request(f"direct_v2/threads/{thread['thread_id']}/", params=params)["thread"]
                items.extend(item for item in page.get("items", []) if isinstance(item, dict))
                stamps = [s for s in (_int_or_none(item.get("timestamp")) for item in page.get("items", [])
                                      if isinstance(item, dict)) if s is not None]
                if not page.get("has_older") or not page.get("oldest_cursor") or not stamps or min(stamps) <= watermark:
                    break
                params = {**params, "cursor": page["oldest_cursor"]}
        return [item for item in items if _newer(item.get("timestamp"), watermark)]

    def _direct_inbound(self, item: Mapping[str, Any], thread: Mapping[str, Any], box: str) -> Inbound:
        users = {str(user.get("pk") or user.get("id")): user for user in thread.get("users", [])}
        sender = str(item.get("user_id"))
        user = users.get(sender, {})
        return Inbound(
            platform=Platform.INSTAGRAM,
            account=self.account,
            stream="direct_messages",
            channel=Channel.PRIVATE,
            native_id=_required_text(item["item_id"], "item_id"),
            author=Author(sender, str(user.get("username", "")), str(user.get("full_name", ""))),
            text=_direct_text(item),
            created_at=_epoch_utc(int(item["timestamp"]) / 1_000_000),
            attachments=_direct_attachments(item),
            thread_id=str(thread["thread_id"]),
            in_reply_to_own=True,  # a direct thread is a conversation with the account
            extras={"item_type": item.get("item_type", ""), "message_request": box == "requests"},
        )

    def reply(self, inbound: Inbound, text: str, channel: Channel) -> str:
        limit = self.capabilities.max_reply_length[channel]
        if len(text) > limit:
            raise ActionRefused(f"reply of {len(text)} characters is longer than Instagram's {limit}")
        if inbound.stream == "direct_messages" and channel is Channel.PUBLIC:
            raise ActionRefused("a direct message cannot be answered in public")
        with self._calling(acting=True) as client:
            if channel is Channel.PUBLIC:
                mention = f"@{inbound.author.handle} " if inbound.author.handle else ""
                body = text if mention and text.startswith(mention.strip()) else mention + text
                comment = client.media_comment(inbound.thread_id, body, replied_to_comment_id=int(inbound.native_id))
                return str(comment.pk)
            if inbound.stream == "direct_messages":
                message = client.direct_send(text, thread_ids=[int(inbound.thread_id)])
            else:
                message = client.direct_send(text, user_ids=[int(inbound.author.id)])
            return str(message.id)

    def find_own_reply(self, inbound: Inbound, channel: Channel) -> str | None:
        """A reply by this account under the comment (public), or a later message of ours in the DM
        thread with its author (private: for a comment, the thread a private reply opened)."""
        with self._calling(acting=False) as client:
            own = str(client.user_id)
            if channel is Channel.PUBLIC:
                if inbound.stream != "comments":
                    return None  # a direct message is never answered in public
                replies = client.media_comment_replies(inbound.thread_id, inbound.native_id)
                mine = [reply for reply in replies if str(reply.user.pk) == own]
                return str(mine[0].pk) if mine else None
            if inbound.stream == "direct":
                path = f"direct_v2/threads/{inbound.thread_id}/"
                params = {"limit": "20", "direction": "older"}
            else:
                path = "direct_v2/threads/get_by_participants/"
                params = {"recipient_users": json.dumps([int(inbound.author.id)]), "limit": "20"}
            page = client.private_request(path, params=params).get("thread") or {}
            since = int(inbound.created_at.timestamp() * 1_000_000)
            mine = [
                item
                for item in page.get("items", [])
                if str(item.get("user_id")) == own and int(item["timestamp"]) >= since
            ]
            return str(mine[-1]["item_id"]) if mine else None

    def hide(self, inbound: Inbound) -> str:
        raise ActionRefused("instagrapi cannot hide a single Instagram comment; delete it instead")

    def unhide(self, inbound: Inbound) -> str:
        raise ActionRefused("instagrapi cannot hide or unhide a single Instagram comment")

    def delete(self, inbound: Inbound) -> str:
        if inbound.stream != "comments":
            raise ActionRefused("Instagram does not let an account delete someone else's direct message")
        with self._calling(acting=True) as client:
            if not client.comment_bulk_delete(inbound.thread_id, [int(inbound.native_id)]):
                raise ActionRefused(f"Instagram did not delete comment {inbound.native_id}")
        return inbound.native_id

    def block(self, author: Author) -> str:
        with self._calling(acting=True) as client:
            if not client.user_block(author.id):
                raise ActionRefused(f"Instagram did not confirm the block of @{author.handle}")
        return author.id

    def unblock(self, author: Author) -> str:
        with self._calling(acting=True) as client:
            if not client.user_unblock(author.id):
                raise ActionRefused(f"Instagram did not confirm the unblock of @{author.handle}")
        return author.id

    def follow(self, author: Author) -> str:
        """instagrapi answers False when we follow them already (or have asked a private account):
        asked once more which, so a repeat after a restart counts as done."""
        with self._calling(acting=True) as client:
            if not client.user_follow(author.id):
                relationship = client.user_friendship_v1(author.id)
                if relationship is None or not (relationship.following or relationship.outgoing_request):
                    raise ActionRefused(f"Instagram did not confirm following @{author.handle.lstrip('@')}")
        return author.id

    def unfollow(self, author: Author) -> str:
        with self._calling(acting=True) as client:
            if not client.user_unfollow(author.id):
                raise ActionRefused(f"Instagram did not confirm unfollowing @{author.handle.lstrip('@')}")
        return author.id

    def followers(self) -> tuple[Follower, ...]:
        """The newest FOLLOWERS_PAGE followers; instagrapi's short profiles carry no biography."""
        with self._calling(acting=False) as client:
            users = client.user_followers(str(client.user_id), use_cache=False, amount=FOLLOWERS_PAGE)
        return tuple(Follower(Author(str(user.pk), f"@{user.username}", user.full_name or ""))
                     for user in users.values())

    def post_notice(self, text: str) -> str:
        """Publish the offline notice as the account's options say: biography, post or story."""
        if self.options.notice_kind == "biography":
            return self._notice_in_biography(text)
        return self._notice_as_picture(text, story=self.options.notice_kind == "story")

    def _notice_in_biography(self, text: str) -> str:
        """Put the notice in the biography, keeping the organisation's own biography to restore."""
        if len(text) > BIOGRAPHY_MAX_LENGTH:
            raise ActionRefused(f"an Instagram biography holds at most {BIOGRAPHY_MAX_LENGTH} characters")
        with self._calling(acting=True) as client:
            if not self.biography_path.exists():
                original = client.account_info().biography or ""
                self.biography_path.parent.mkdir(parents=True, exist_ok=True)
                self.biography_path.write_text(json.dumps({"original_biography": original}), encoding="utf-8")
            if not client.account_set_biography(text):
                raise ActionRefused("Instagram did not change the biography")
            return f"biography:{client.user_id}"

    def _notice_as_picture(self, text: str, story: bool) -> str:
        """Post the notice drawn on a plain picture, to the feed (caption: the text) or as a story.

        Uses instagrapi's two steps (`photo_rupload`, then `photo_configure[_to_story]`) rather than
        `photo_upload[_to_story]`, which sleep 3 s before configuring and retry up to 10 times in
        the scheduler's thread. The text is also the picture's alt text for screen readers.
        """
        if len(text) > CAPTION_MAX_LENGTH:
            raise ActionRefused(f"an Instagram caption holds at most {CAPTION_MAX_LENGTH} characters")
        try:
            picture = render_notice_image(text, STORY_IMAGE_SIZE if story else POST_IMAGE_SIZE)
        except ValueError as error:
            raise ActionRefused(str(error)) from error
        self.notice_image_path.parent.mkdir(parents=True, exist_ok=True)
        picture.save(self.notice_image_path, "JPEG", quality=90)
        try:
            with self._calling(acting=True) as client:
                upload_id, width, height = client.photo_rupload(self.notice_image_path, for_story=story)
        except PlatformUnavailable as error:  # an upload that is never configured publishes nothing
            raise PlatformUnavailable(f"{error} (nothing was published)", maybe_sent=False) from error
        alt_text = {"custom_accessibility_caption": text}
        with self._calling(acting=True) as client:
            if story:
                configured = client.photo_configure_to_story(upload_id, width, height, text, extra_data=alt_text)
            else:
                configured = client.photo_configure(upload_id, width, height, text, extra_data=alt_text)
            media_id = str(extract_media_v1(configured["media"]).id)
        self._remember_notice("stories" if story else "posts", media_id)
        return media_id

    def find_notice(self, text: str, since: datetime | None = None) -> str | None:
        """Look where the account's options put the notice: a biography that is exactly its text, or
        the account's own post (or story) captioned exactly with it, made since `since` less a few
        minutes (an earlier closing's story may still be up). A picture found is remembered, so
        reopening deletes it as if its post had been recorded."""
        with self._calling(acting=False) as client:
            if self.options.notice_kind == "biography":
                return f"biography:{client.user_id}" if (client.account_info().biography or "") == text else None
            own = str(client.user_id)
            story = self.options.notice_kind == "story"
            if story:
                items = (client.private_request(f"feed/user/{own}/story/").get("reel") or {}).get("items") or []
            else:
                items = client.private_request(f"feed/user/{own}/", params={
                    "count": NOTICE_LOOKUP_COUNT, "rank_token": client.rank_token, "ranked_content": "true"})["items"]
            floor = since - NOTICE_CLOCK_SKEW if since is not None else None
            for media in items[:NOTICE_LOOKUP_COUNT]:
                if floor is not None and _epoch_utc(int(media["taken_at"])) < floor:
                    continue
                if str((media.get("caption") or {}).get("text") or "") == text:
                    self._remember_notice("stories" if story else "posts", str(media["id"]))
                    return str(media["id"])
        return None

    def _recorded_notices(self) -> dict[str, list[str]]:
        if not self.notice_path.exists():
            return {"posts": [], "stories": []}
        recorded = json.loads(self.notice_path.read_text(encoding="utf-8"))
        return {"posts": list(recorded.get("posts", [])), "stories": list(recorded.get("stories", []))}

    def _write_notices(self, recorded: Mapping[str, list[str]]) -> None:
        if not any(recorded.values()):
            self.notice_path.unlink(missing_ok=True)
            return
        self.notice_path.parent.mkdir(parents=True, exist_ok=True)
        self.notice_path.write_text(json.dumps(recorded), encoding="utf-8")

    def _remember_notice(self, kind: str, media_id: str) -> None:
        """Every notice picture still up, so a missed reopening still deletes them all at the next."""
        recorded = self._recorded_notices()
        if media_id not in recorded[kind]:
            recorded[kind].append(media_id)
        self._write_notices(recorded)

    def clear_notice(self) -> str | None:
        """Undo the offline notice when monitoring starts again, whatever kind was used for it.

        The biography saved by `post_notice` is put back first (a refused post delete must not keep
        it); notice posts are deleted; stories expire by themselves after a day, so are only
        forgotten. None when nothing had to be undone.
        """
        undone = [ref for ref in (self._restore_biography(), self._delete_notice_posts()) if ref]
        return ", ".join(undone) or None

    def _delete_notice_posts(self) -> str | None:
        recorded = self._recorded_notices()
        deleted: list[str] = []
        refused: list[str] = []
        try:
            for media_id in list(recorded["posts"]):
                try:
                    with self._calling(acting=True) as client:
                        try:
                            done = client.media_delete(media_id)
                        except ig.MediaUnavailable:  # someone already deleted it by hand
                            done = None
                except ActionRefused as refusal:
                    refused.append(f"{media_id} ({refusal})")
                    done = None
                else:
                    if done is False:
                        refused.append(f"{media_id} (Instagram did not confirm)")
                    elif done:
                        deleted.append(media_id)
                recorded["posts"].remove(media_id)
            recorded["stories"] = []
        finally:  # what is gone stays forgotten even when a later delete fails and is retried
            self._write_notices(recorded)
        if refused:
            raise ActionRefused(
                f"Instagram would not delete the offline notice post {', '.join(refused)}; delete it in the app"
            )
        return ", ".join(f"deleted:{media_id}" for media_id in deleted) or None

    def _restore_biography(self) -> str | None:
        """Put back the biography saved by `post_notice`."""
        if not self.biography_path.exists():
            return None
        original = json.loads(self.biography_path.read_text(encoding="utf-8"))["original_biography"]
        with self._calling(acting=True) as client:
            if not client.account_set_biography(original):
                raise ActionRefused("Instagram did not restore the biography")
            self.biography_path.unlink()
            return f"biography:{client.user_id}"

    def close(self) -> None:
        self.client.private.close()
        self.client.public.close()


def create(config: AccountConfig) -> Adapter:
    return InstagramAdapter(config)
