"""Plain, frozen values that flow through the pipeline.

Everything here is data: adapters translate platform objects into `Inbound`, the moderation
checks return `Finding`s, `bot.pipeline.handle` turns them (through `bot.policy.decide`) into a
`Decision` of `Action`s, and the executor carries the actions out. The small values that several
parts share (`Capabilities`, `AuthorHistory`, `Topic`) live here too, so the pure core never needs
the settings, the store or an adapter. No I/O and no clock reads live in this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Mapping


class Platform(StrEnum):
    SANDBOX = "sandbox"
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"


class Channel(StrEnum):
    """Where a message was said: in public (comment, mention, reply) or privately (DM)."""

    PUBLIC = "public"
    PRIVATE = "private"


class Category(StrEnum):
    """The house-rules vocabulary; `eval` files use exactly these labels."""

    SAFEGUARDING = "safeguarding"
    URGENT_CARE = "urgent_care"
    THREAT = "threat"
    ABUSE = "abuse"
    OVERSHARING = "oversharing"
    MISINFORMATION = "misinformation"
    SPAM = "spam"
    COMPLAINT = "complaint"
    VERIFICATION = "verification"
    ORDINARY = "ordinary"


# Danger first: the primary category of a message is the first of its findings in this order.
CATEGORY_PRIORITY: tuple[Category, ...] = tuple(Category)
DANGER_CATEGORIES: frozenset[Category] = frozenset({Category.SAFEGUARDING, Category.URGENT_CARE})


class ActionKind(StrEnum):
    """What the executor can do. Platform kinds map to one adapter method each."""

    REPLY = "reply"
    HIDE = "hide"
    UNHIDE = "unhide"
    DELETE = "delete"
    BLOCK = "block"
    UNBLOCK = "unblock"
    MUTE = "mute"
    UNMUTE = "unmute"  # staff undo a mute (X, where the API cannot block)
    POST_NOTICE = "post_notice"
    ALERT = "alert"  # a message to a staff team; no platform call
    REVIEW = "review"  # hold for a person to decide; no platform call
    FOLLOW = "follow"  # follow an account back (bot.follow plans it, never a policy rule)
    UNFOLLOW = "unfollow"  # stop following someone the account has since blocked or muted


PLATFORM_ACTIONS: frozenset[ActionKind] = frozenset(
    {
        ActionKind.REPLY,
        ActionKind.HIDE,
        ActionKind.UNHIDE,
        ActionKind.DELETE,
        ActionKind.BLOCK,
        ActionKind.UNBLOCK,
        ActionKind.MUTE,
        ActionKind.UNMUTE,
        ActionKind.POST_NOTICE,
    }
)
# Following is account housekeeping, not an answer to a message: no policy rule may ask for it.
FOLLOW_ACTIONS: frozenset[ActionKind] = frozenset({ActionKind.FOLLOW, ActionKind.UNFOLLOW})


class Urgency(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"


class DangerTier(StrEnum):
    """How sure the danger response is (see config/policy.toml's `[danger]` thresholds).

    URGENT: the urgent signposting reply and an urgent alert. SUPPORT: the message's normal
    decision, a gentle support line and a routine alert so a person looks. NONE: no danger.
    """

    URGENT = "urgent"
    SUPPORT = "support"
    NONE = ""


def _frozen_mapping(value: Mapping[str, object] | None) -> Mapping[str, object]:
    return MappingProxyType(dict(value or {}))


# A surrogate code point alone in a str: legal in JSON ("\ud83d"), but not encodable as UTF-8, so
# SQLite, logs and the terminal would all raise on it. A valid pair arrives already joined.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable_text(text: str) -> str:
    """The text with every lone surrogate replaced by U+FFFD, so it can be stored and shown."""
    return _LONE_SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform lets an account do, declared up front by its adapter so `decide` plans only these.

    `hide_own_threads_only`: X hides only replies in conversations the account started.
    `private_reply_window`: Messenger lets a Page answer a private message only within 24 hours.
    `url_length`: on X every link counts as 23 characters whatever its length.
    `max_reply_length` is the one source of reply length limits (replies are checked against it).
    `distinct_replies`: X refuses a post identical to a recent one as duplicate content, so each
    reply there carries a short reference of its own.
    """

    actions: frozenset[ActionKind]
    max_reply_length: Mapping[Channel, int]
    hide_own_threads_only: bool = False
    private_reply_window: timedelta | None = None
    url_length: int | None = None
    notice_kinds: tuple[str, ...] = ("post",)
    can_find_own_reply: bool = False
    can_find_notice: bool = False  # `Adapter.find_notice` can tell whether an offline notice is up
    distinct_replies: bool = False
    can_read_followers: bool = False  # `Adapter.followers` can list who follows the account

    def supports(self, kind: ActionKind) -> bool:
        return kind in self.actions


@dataclass(frozen=True, slots=True)
class AuthorHistory:
    """What decide may know about an author, read from the store by the service."""

    recent_texts: tuple[str, ...] = ()
    strikes: int = 0
    replies_last_hour: int = 0
    last_reply_text: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """Messages that mention one of `keywords` are routed to `team` (from the settings file)."""

    key: str
    team: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a message, as the platform names them."""

    id: str
    handle: str
    display_name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "handle", printable_text(self.handle))
        object.__setattr__(self, "display_name", printable_text(self.display_name))


@dataclass(frozen=True, slots=True)
class Follower:
    """Someone who follows the account, as the platform describes them (their profile's own words)."""

    author: Author
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", printable_text(self.description))


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    AUDIO = "audio"
    STICKER = "sticker"
    FILE = "file"
    LINK = "link"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A picture, video, sticker or file sent with (or instead of) words; the bot cannot read it,
    so a message that is only attachments goes to a person."""

    kind: AttachmentKind
    caption: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "caption", printable_text(self.caption))


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message that reached an account: a comment, mention, reply or private message.

    Identified by (platform, account, native_id), which the store uses to skip what it has seen.
    `thread_id` groups a conversation (a post's comments, a DM thread); `parent_id` is the message
    this one answers, if any. `in_reply_to_own` says whether it answers one of the account's own
    posts, which decides what X lets us hide. Unknown platform fields go to read-only `extras`.
    """

    platform: Platform
    account: str
    stream: str
    channel: Channel
    native_id: str
    author: Author
    text: str
    created_at: datetime
    thread_id: str = ""
    parent_id: str = ""
    in_reply_to_own: bool = False
    extras: Mapping[str, object] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise ValueError(f"Inbound {self.native_id}: created_at must be timezone-aware")
        if not isinstance(self.text, str):
            raise TypeError(f"Inbound {self.native_id}: text must be a str, not {type(self.text).__name__}")
        object.__setattr__(self, "text", printable_text(self.text))
        object.__setattr__(self, "extras", _frozen_mapping(self.extras))
        object.__setattr__(self, "attachments", tuple(self.attachments))

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform.value, self.account, self.native_id)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of the message text that a check found, by character offsets."""

    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict on one message: a category, how sure, which check said so, why, and where.

    `check` names the check, e.g. "spam.pattern" or "safeguarding.cue.finality" (policy rules are
    called rules; checks are called checks).
    """

    category: Category
    score: float
    check: str
    detail: str = ""
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class ClassifyContext:
    """What classify may know beyond the text; given by the caller, never read from the world."""

    now: datetime
    platform: Platform = Platform.SANDBOX
    channel: Channel = Channel.PUBLIC
    author_recent_texts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """One step of a decision. `template` names a file in responses/; `text` holds the words.

    For FOLLOW and UNFOLLOW, which answer no message, `text` is the handle of the account followed
    (its id is kept beside the action in the store).

    `fallback` is what to do instead if the platform refuses this step at run time, already fitted
    to the platform (and it carries its own fallback in turn), so the executor never asks the
    policy again.
    """

    kind: ActionKind
    rule: str
    reason: str
    channel: Channel | None = None
    template: str = ""
    text: str = ""
    team: str = ""
    urgency: Urgency = Urgency.ROUTINE
    fallback: "Action | None" = None
    with_support_line: bool = False  # the danger support tier's line goes with this reply's words


@dataclass(frozen=True, slots=True)
class Decision:
    """What the bot will do about one inbound message, and why."""

    inbound_key: tuple[str, str, str]
    category: Category
    findings: tuple[Finding, ...]
    actions: tuple[Action, ...]
    rule: str
    dry_run: bool = False
    strike: bool = False  # the rule that applied counts towards the author's strike ladder
    danger_tier: DangerTier = DangerTier.NONE
    waits_for_opening: bool = False  # closed now and not danger: decided again, and acted on, at opening
    arrived_while_closed: bool = False  # answered late: the reply starts by saying sorry for the wait

    @property
    def evidence(self) -> str:
        """One readable line of every finding (and the danger tier), for the audit log and the console."""
        line = "; ".join(f"{f.check}={f.score:.2f}{': ' + f.detail if f.detail else ''}" for f in self.findings)
        if self.danger_tier is DangerTier.NONE:
            return line
        return f"danger tier {self.danger_tier.value}; {line}"
