"""The words the bot says: templates from `responses/`, checked at start-up and filled in safely.

Comms staff edit one TOML file per situation (`responses/complaint.toml`, ...), each with a few
wordings ("variants") per channel and, where a platform needs shorter text, per-platform
overrides. Placeholders are plain `{name}` taken from one documented list (`PLACEHOLDERS`).
Filling is a single pass of literal substitution, never a template language: a display name such
as `{{7*7}}` or `{% for %}` is copied into the reply as those characters and nothing runs.

Everything that could make the bot say something wrong is caught when the files are loaded (and by
`housebot check-replies`), so a bad edit stops the service instead of reaching the public: unknown
or misplaced placeholders, stray braces, empty or duplicated wordings, fewer than three wordings,
missing emergency signposting, malformed links and e-mail addresses, phrases on the style list,
and text over a platform's length limit counted the platform's own way.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterator, Mapping
from urllib.parse import urlsplit

import phonenumbers
from twitter_text import parse_tweet

from bot.errors import ConfigError
from bot.hours import MonitoringHours, describe_moment, next_open
from bot.model import Category, Channel, Platform

TEMPLATE_NAMES: tuple[str, ...] = (
    "ordinary",
    "routed_to_team",
    "verification",
    "complaint",
    "abuse_redirect",
    "oversharing_advice",
    "misinformation",
    "safeguarding",
    "urgent_care",
    "support_line",
    "threat",
    "spam_repeat",
    "out_of_hours",
    "wait_prefix",
    "offline_notice",
    "online_notice",
    "appeal",
    "attachment",
    "profile_text",
)

# The template that answers each category by default (the policy file may name another).
CATEGORY_TEMPLATES: Mapping[Category, str] = MappingProxyType(
    {
        Category.SAFEGUARDING: "safeguarding",
        Category.URGENT_CARE: "urgent_care",
        Category.THREAT: "threat",
        Category.ABUSE: "abuse_redirect",
        Category.OVERSHARING: "oversharing_advice",
        Category.MISINFORMATION: "misinformation",
        Category.SPAM: "spam_repeat",
        Category.COMPLAINT: "complaint",
        Category.VERIFICATION: "verification",
        Category.ORDINARY: "ordinary",
    }
)

PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "author_name": "the author's display name as the platform gives it, e.g. Sam Patel",
        "author_handle": "the author's handle without the @, e.g. sam_patel",
        "account_name": "the name of our account that received the message, e.g. NHS Leeds",
        "organisation": "the organisation's name, e.g. NHS Leeds",
        "next_opening": "when this account is next monitored, in words, e.g. 9am on Tuesday 26 May",
        "hours_summary": "the account's monitoring hours in words, e.g. Monday to Friday, 8am to 8pm",
        "complaints_url": "the complaints page, an https link",
        "complaints_email": "the complaints e-mail address",
        "appeals_email": "where to ask us to look again at a removed post, an e-mail address",
        "phone": "the switchboard or enquiries phone number",
        "website": "the organisation's website, an https link",
        "other_channels": "the other ways to reach us, in words, e.g. phone 0113 ... or the contact form",
        "team_name": "the team a message was passed to, e.g. Immunisation team",
        "official_accounts": "our official accounts, in words, e.g. @NHSLeeds on X, NHS Leeds on Facebook",
        "claim_summary": "a few words naming the false claim, e.g. vaccines and autism",
        "claim_link": "the official page that answers the claim, an https link",
    }
)

# Values that come from the person who wrote to us: cleaned before use, never trusted.
USER_PLACEHOLDERS: frozenset[str] = frozenset({"author_name", "author_handle"})

# Placeholders whose value exists only for some situations; elsewhere they would be missing.
CONTEXT_PLACEHOLDERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "next_opening": frozenset({"out_of_hours", "offline_notice"}),
        "team_name": frozenset({"routed_to_team"}),
        "claim_summary": frozenset({"misinformation"}),
        "claim_link": frozenset({"misinformation"}),
    }
)

# Notices are posts to everyone: there is no author to name, and no private channel.
NOTICE_TEMPLATES: frozenset[str] = frozenset({"offline_notice", "online_notice"})
# The account's profile text (biography), which staff copy into each profile: public, nobody's name.
PROFILE_TEMPLATES: frozenset[str] = frozenset({"profile_text"})
PUBLIC_ONLY_TEMPLATES: frozenset[str] = NOTICE_TEMPLATES | PROFILE_TEMPLATES
# The shortest profile text of the three: Instagram's biography (X's holds 160, a Facebook Page's intro 255).
PROFILE_TEXT_LIMIT = 150

_DANGER_SIGNPOSTS: tuple[str, ...] = ("999", "NHS 111", "option 2", "116 123")
# What every wording of a situation must say; this is the safety contract, so it is code, not data.
REQUIRED_CONTENT: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "safeguarding": _DANGER_SIGNPOSTS,
        "urgent_care": _DANGER_SIGNPOSTS,
        "support_line": ("116 123",),
        "threat": ("999",),
        "complaint": ("{complaints_url}", "{complaints_email}"),
        "appeal": ("{appeals_email}",),
        "abuse_redirect": ("{other_channels}",),
        # House rules: "We'll follow people where we can. But this doesn't mean endorsement."
        "verification": ("{official_accounts}", "endorse"),
        "profile_text": ("endorse",),
        "misinformation": ("{claim_link}",),
        "routed_to_team": ("{team_name}",),
        "out_of_hours": ("{next_opening}", "999", "111"),
        "offline_notice": ("{next_opening}", "999", "111"),
    }
)

MIN_VARIANTS = 3
STYLE_FILE = "_style.toml"

# Reply limits in the platform's own units (see `reply_length`) come from each adapter's declared
# `Capabilities.max_reply_length` (`adapters.reply_limits()`), the one source; notices use the public limit.
Limits = Mapping[tuple[Platform, Channel], int]

# Where an account-wide notice goes somewhere shorter than a reply: Instagram's notice replaces
# the biography, which holds 150 characters.
NOTICE_LIMITS: Mapping[Platform, int] = MappingProxyType({Platform.INSTAGRAM: 150})


def limit_for(limits: Mapping[tuple[Platform, Channel], int], template: str, platform: Platform,
              channel: Channel) -> int:
    """The length limit one template must fit on one platform and channel."""
    limit = limits[(platform, channel)]
    if template in PROFILE_TEMPLATES:
        return min(limit, PROFILE_TEXT_LIMIT)
    if template in NOTICE_TEMPLATES and platform in NOTICE_LIMITS:
        return min(limit, NOTICE_LIMITS[platform])
    return limit


# Longest user-given values each platform allows, so a template that passes the check also fits
# when a real person with a long name writes in (X display names: 50; Instagram handles: 30).
SAMPLE_VALUES: Mapping[str, str] = MappingProxyType(
    {
        "author_name": "Alexandra Featherstonehaugh-Montgomery-Whitworth",
        "author_handle": "alexandra_featherstonehaugh_1",
        "account_name": "NHS Leeds",
        "organisation": "NHS Leeds",
        "next_opening": "12:30pm BST on Wednesday 30 September",
        "hours_summary": "Monday to Friday, 8am to 8pm, and Saturday, 10am to 2pm",
        "complaints_url": "https://www.leedsth.nhs.uk/patients-visitors/patient-and-visitor-information/complaints/",
        "complaints_email": "leedsth-tr.patientexperience@nhs.net",
        "appeals_email": "leedsth-tr.comms@nhs.net",
        "phone": "0113 206 6261",
        "website": "https://www.leeds.nhs.uk",
        "other_channels": "phone 0113 206 6261 (Monday to Friday, 9am to 5pm) or the contact form at "
        "https://www.leeds.nhs.uk/contact-us",
        "team_name": "Patient Experience team",
        "official_accounts": "@NHSLeeds on X, NHS Leeds on Facebook and @nhsleeds on Instagram",
        "claim_summary": "the flu vaccine giving you flu",
        "claim_link": "https://www.nhs.uk/vaccinations/flu-vaccine/",
    }
)
# What `housebot preview` fills in: ordinary values, so staff see what a typical reply looks like.
PREVIEW_VALUES: Mapping[str, str] = MappingProxyType(
    {
        **SAMPLE_VALUES,
        "author_name": "Sam Patel",
        "author_handle": "sam_patel",
        "next_opening": "9am on Tuesday 26 May",
    }
)
MAX_NAME_LENGTH = 50
MAX_HANDLE_LENGTH = 30
NO_OPENING_WORDS = "a time we'll announce here"  # no opening found within a year
NAME_FALLBACK = "there"  # "Hi there" when a display name is empty or does not look like a name
MAX_NAME_WORDS = 4

_URL_VALUES = frozenset({"complaints_url", "website", "claim_link"})
_EMAIL_VALUES = frozenset({"complaints_email", "appeals_email"})
_PHONE_VALUES = frozenset({"phone"})
_PHONE_REGION = "GB"

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDER_NAME = re.compile(r"[a-z_]+")
_URL_IN_TEXT = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_EMAIL_IN_TEXT = re.compile(r"[^\s<>()\"',;:]+@[^\s<>()\"',;:]+")
_TRAILING_PUNCTUATION = ".,;:!?)]'\""
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$"
)
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_MENTION_OR_LINK = re.compile(
    r"@|https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|uk|co|io|ly|me|info)\b", re.IGNORECASE
)
_HANDLE_CHARACTER = re.compile(r"[^A-Za-z0-9_.]")
# A word of a name: letters, joined by the apostrophes, hyphens and dots names have (O'Neil, Smith-Jones, J.R.).
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*\.?")
_SPELT_LINK = re.compile(r"\bdot\s+(?:com|net|org|uk|co|io|ly|me|info)\b", re.IGNORECASE)
_NAME_DECORATION = frozenset({"So", "Sk", "Cf"})  # emoji, their modifiers and joiners
_VARIATION_SELECTORS = frozenset("\ufe0e\ufe0f")
_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True, slots=True)
class Variant:
    """One wording: its text as written and the literal/placeholder pieces it splits into."""

    text: str
    line: int
    pieces: tuple[tuple[str, bool], ...]  # (text, is_placeholder)

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(piece for piece, is_placeholder in self.pieces if is_placeholder)

    def fill(self, values: Mapping[str, str]) -> str:
        """Literal substitution in one pass: inserted values are never read again."""
        return "".join(values[piece] if is_placeholder else piece for piece, is_placeholder in self.pieces)

    def same_wording_in(self, text: str) -> bool:
        """True if `text` contains this wording, whatever values were filled in."""
        pattern = ".+?".join(re.escape(piece) for piece, is_placeholder in self.pieces if not is_placeholder)
        return re.search(pattern, text, re.DOTALL) is not None


@dataclass(frozen=True, slots=True)
class Template:
    """One situation's wordings, by channel and optionally by platform."""

    name: str
    file: str
    variants: Mapping[tuple[Channel, Platform | None], tuple[Variant, ...]]

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(channel for channel in Channel if (channel, None) in self.variants)

    def variants_for(self, channel: Channel, platform: Platform) -> tuple[Variant, ...]:
        return self.variants.get((channel, platform)) or self.variants[(channel, None)]

    # Every placeholder any wording uses, sorted: worked out once, read by every reply.
    _placeholders: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        used = {name for variants in self.variants.values() for v in variants for name in v.placeholders}
        object.__setattr__(self, "_placeholders", tuple(sorted(used)))

    def placeholders(self) -> tuple[str, ...]:
        return self._placeholders


@dataclass(frozen=True, slots=True)
class ReplyBook:
    """Every template, loaded and validated; immutable, safe to share between threads."""

    directory: Path
    templates: Mapping[str, Template]
    limits: Mapping[tuple[Platform, Channel], int]

    def template(self, name: str) -> Template:
        if name not in self.templates:
            raise ValueError(f"no reply template named {name!r}; known: {', '.join(TEMPLATE_NAMES)}")
        return self.templates[name]


@dataclass(frozen=True, slots=True)
class Rendered:
    """A filled wording ready to send, and which template and variant it came from (for the audit)."""

    text: str
    template: str
    variant: int


@dataclass(frozen=True, slots=True)
class Readability:
    """How hard one wording is to read: Flesch reading ease (higher is easier) and grade level."""

    key: str
    file: str
    line: int
    reading_ease: float
    grade: float

    @property
    def reading_age(self) -> float:
        """US grade + 5 is the usual conversion to an age (grade 4 is about 9 years old)."""
        return self.grade + 5


@dataclass(frozen=True, slots=True)
class _Style:
    avoid_phrases: tuple[str, ...] = ()
    spellings: Mapping[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Counting and reading


def reply_length(text: str, platform: Platform) -> int:
    """Length as the platform counts it.

    X uses its published weighted count (most letters 1, CJK and emoji 2, every link 23) through
    twitter-text-parser. Meta's limits are enforced by JavaScript clients that count UTF-16 code
    units, so an emoji counts 2 there too; counting that way never under-counts.
    """
    if platform is Platform.X:
        return int(parse_tweet(text).weightedLength)
    return len(text.encode("utf-16-le")) // 2


_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


def _syllables(word: str) -> int:
    """Vowel groups, less a silent final 'e': the usual estimate when no dictionary is at hand."""
    word = word.lower().replace("'", "")
    groups = len(_VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(1, groups)


def readability(text: str) -> tuple[float, float]:
    """(Flesch reading ease, Flesch-Kincaid grade) of plain words; links and addresses are skipped.

    textstat is the usual library, but for English it downloads NLTK's CMU dictionary at run time
    (no network here, nor wanted at start-up) and the dictionary package it could use instead is
    GPL; the two published formulas with a vowel-group syllable count are all this check needs.
    """
    prose = _EMAIL_IN_TEXT.sub(" ", _URL_IN_TEXT.sub(" ", _PLACEHOLDER.sub("Sam", text)))
    words = _WORD.findall(prose)
    if not words:
        return 100.0, 0.0
    sentences = max(1, len(_SENTENCE_END.findall(prose.strip() + " ")))
    syllables = sum(_syllables(word) for word in words)
    words_per_sentence = len(words) / sentences
    syllables_per_word = syllables / len(words)
    ease = 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word
    grade = 0.39 * words_per_sentence + 11.8 * syllables_per_word - 15.59
    return round(ease, 1), round(max(0.0, grade), 1)


def readability_report(book: ReplyBook) -> list[Readability]:
    """Every wording's readability, hardest first."""
    scores = []
    for template in book.templates.values():
        for (channel, platform), variants in template.variants.items():
            for index, variant in enumerate(variants):
                ease, grade = readability(variant.text)
                key = _variant_key(template.name, channel, platform, index)
                scores.append(Readability(key, template.file, variant.line, ease, grade))
    return sorted(scores, key=lambda score: (score.reading_ease, score.key))


# ---------------------------------------------------------------------------------------------
# Rendering


def render(
    book: ReplyBook,
    template: str,
    *,
    platform: Platform,
    channel: Channel,
    values: Mapping[str, str],
    seed: str,
    avoid_text: str | None = None,
    bot_marker: str = "",
    avoid_texts: tuple[str, ...] = (),
    with_wait_prefix: bool = False,
    reference: str = "",
) -> Rendered:
    """Fill one wording of `template` for `platform` and `channel`.

    The wording is picked from `seed` (the inbound message key), so a retry gives the same text.
    A wording found in `avoid_text` (this author's last reply) is never picked while another
    exists; wordings found in `avoid_texts` (recent replies in the same public thread) are skipped
    when possible. `with_wait_prefix` puts the "sorry for the wait" line first and `bot_marker`
    last, each only if the result still fits the limit; `reference` (a short per-message code, for
    platforms that refuse repeated text) goes before the marker and always fits, as the wording is
    chosen to leave room for it.
    """
    chosen = book.template(template)
    if channel not in chosen.channels:
        raise ValueError(f"reply template {template!r} has no {channel.value} wording")
    filled = _checked_values(chosen, values)
    limit = limit_for(book.limits, template, platform, channel)
    variants = chosen.variants_for(channel, platform)
    suffix = f" (ref {reference})" if reference else ""
    room = limit - reply_length(suffix, platform) if suffix else limit
    body, index = _pick(variants, filled, seed, template, avoid_text, avoid_texts, platform, room)
    text = body
    if with_wait_prefix:
        prefix_template = book.template("wait_prefix")
        prefix_variants = prefix_template.variants_for(channel, platform)
        prefix_values = _checked_values(prefix_template, values)
        prefix, _ = _pick(
            prefix_variants, prefix_values, seed, "wait_prefix", avoid_text, avoid_texts, platform, None
        )
        text = _longer_if_fits(body, f"{prefix} {body}", platform, room)
    text += suffix
    if bot_marker.strip():
        text = _longer_if_fits(text, f"{text} {bot_marker.strip()}", platform, limit)
    return Rendered(text=text, template=template, variant=index)


def preview(
    book: ReplyBook,
    template: str,
    *,
    platform: Platform,
    channel: Channel,
    values: Mapping[str, str],
    bot_marker: str = "",
) -> list[tuple[int, str, int]]:
    """Every wording of `template` as it would be sent: (variant, text, length in platform units)."""
    chosen = book.template(template)
    if channel not in chosen.channels:
        raise ValueError(f"reply template {template!r} has no {channel.value} wording")
    filled = _checked_values(chosen, values)
    limit = limit_for(book.limits, template, platform, channel)
    shown = []
    for index, variant in enumerate(chosen.variants_for(channel, platform)):
        text = variant.fill(filled)
        if bot_marker.strip():
            text = _longer_if_fits(text, f"{text} {bot_marker.strip()}", platform, limit)
        shown.append((index, text, reply_length(text, platform)))
    return shown


def next_opening_words(hours: MonitoringHours, now: datetime) -> str:
    """The value of {next_opening}: when this account is next monitored, in local words."""
    opening = next_open(hours, now)
    return NO_OPENING_WORDS if opening is None else describe_moment(opening, hours.zone)


def _longer_if_fits(shorter: str, longer: str, platform: Platform, limit: int) -> str:
    """`longer` (with a prefix or the bot marker added) when it fits the limit, else `shorter`."""
    return longer if reply_length(longer, platform) <= limit else shorter


def _pick(
    variants: tuple[Variant, ...],
    values: Mapping[str, str],
    seed: str,
    template: str,
    avoid_text: str | None,
    avoid_texts: tuple[str, ...],
    platform: Platform,
    limit: int | None,
) -> tuple[str, int]:
    """The first wording, in an order fixed by the seed, that fits and was not just used."""
    start = int.from_bytes(hashlib.sha256(f"{template}\0{seed}".encode()).digest()[:8], "big") % len(variants)
    first_fitting: tuple[str, int] | None = None
    first_author_ok: tuple[str, int] | None = None
    for step in range(len(variants)):  # stops at the first wording that passes every test
        index = (start + step) % len(variants)
        text = variants[index].fill(values)
        if limit is not None and reply_length(text, platform) > limit:
            continue
        first_fitting = first_fitting or (text, index)
        if avoid_text and variants[index].same_wording_in(avoid_text):
            continue
        first_author_ok = first_author_ok or (text, index)
        if not any(variants[index].same_wording_in(t) for t in avoid_texts):
            return text, index
    if first_fitting is None:
        raise ValueError(
            f"every wording of {template!r} is over the {platform.value} limit of {limit} with these values"
        )
    return first_author_ok or first_fitting


def _checked_values(template: Template, values: Mapping[str, str]) -> dict[str, str]:
    """Every placeholder the template uses, cleaned where it comes from a user; no KeyError."""
    filled: dict[str, str] = {}
    for name in template.placeholders():
        if name not in values:
            raise ValueError(f"reply template {template.name!r} needs a value for placeholder {{{name}}}")
        filled[name] = (
            clean_user_value(name, values[name]) if name in USER_PLACEHOLDERS else str(values[name])
        )
    return filled


@functools.lru_cache(maxsize=4096)  # pure, and asked for the same author's name in every reply
def clean_user_value(name: str, value: str) -> str:
    """A display name or handle made safe to repeat in public.

    Control and direction-override characters go, whitespace collapses, length is capped; a name
    carrying a link or an @mention becomes "there" so a reply never spreads a link or tags someone
    the writer chose. Braces and template syntax stay as they are: they are only characters here.
    """
    kept = "".join(
        " " if char.isspace() else char
        for char in value
        if char.isspace() or (char not in _BIDI_CONTROLS and unicodedata.category(char) != "Cc")
    )
    if name == "author_handle":
        handle = _HANDLE_CHARACTER.sub("", kept.lstrip("@"))[:MAX_HANDLE_LENGTH]
        if not handle:
            raise ValueError(f"author_handle {value!r} has no usable characters")
        return handle
    collapsed = " ".join(_undecorated(kept).split())[:MAX_NAME_LENGTH].strip()
    if not collapsed or _MENTION_OR_LINK.search(collapsed) or not looks_like_a_name(collapsed):
        return NAME_FALLBACK
    return collapsed


def _undecorated(value: str) -> str:
    """The text without emoji, their modifiers and joiners: a reply greets the name, not the pictures."""
    return "".join(char for char in unicodedata.normalize("NFC", value)
                   if unicodedata.category(char) not in _NAME_DECORATION and char not in _VARIATION_SELECTORS)


def looks_like_a_name(value: str) -> bool:
    """Whether a display name reads as a person's name, so the official account may repeat it.

    A display name is whatever the writer chose: "Jane 943 476 5919", "Bob URGENT: call 0800 ...",
    "Claim refund at nhs-refund dot com". Only a few words of letters (with the apostrophes, hyphens
    and dots names have) pass; digits, other punctuation, spelt-out links and shouting do not.
    """
    words = _undecorated(value).split()
    return (
        0 < len(words) <= MAX_NAME_WORDS
        and all(_NAME_WORD.fullmatch(word) for word in words)
        and not any(sum(char.isalpha() for char in word) >= 4 and word.isupper() for word in words)
        and not _SPELT_LINK.search(" ".join(words))
    )


# ---------------------------------------------------------------------------------------------
# Loading and validation


def load_replies(
    directory: Path,
    limits: Limits,
    values: Mapping[str, str] | None = None,
    values_file: str = "settings",
) -> ReplyBook:
    """Read and validate every file in `directory`; the first problem raises `ConfigError`.

    `values` are the settings-derived placeholder values (complaints link, e-mail, phone, ...):
    they are checked too, and lengths are measured with them instead of the samples.
    """
    book, errors = _build(directory, limits, values, values_file)
    if errors:
        raise errors[0]
    assert book is not None
    return book


def validate_replies(
    directory: Path,
    limits: Limits,
    values: Mapping[str, str] | None = None,
    values_file: str = "settings",
) -> list[ConfigError]:
    """Every problem in `directory` (and in `values`), for `housebot check-replies`."""
    return _build(directory, limits, values, values_file)[1]


def _build(
    directory: Path,
    limits: Limits,
    values: Mapping[str, str] | None,
    values_file: str,
) -> tuple[ReplyBook | None, list[ConfigError]]:
    limits = MappingProxyType(dict(limits))
    errors: list[ConfigError] = []
    if not directory.is_dir():
        return None, [ConfigError(directory, "responses", "folder not found")]
    errors += _limit_errors(limits, directory)
    errors += _value_errors(values or {}, values_file)
    sample = {**SAMPLE_VALUES, **(values or {})}
    style, style_errors = _load_style(directory / STYLE_FILE)
    errors += style_errors
    templates: dict[str, Template] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == STYLE_FILE:
            continue
        if path.stem not in TEMPLATE_NAMES:
            close = difflib.get_close_matches(path.stem, TEMPLATE_NAMES, n=1)
            hint = f" (did you mean {close[0]}.toml?)" if close else ""
            errors.append(
                ConfigError(
                    path, path.stem, f"not a known situation{hint}; known: {', '.join(TEMPLATE_NAMES)}"
                )
            )
            continue
        template, template_errors = _load_template(path, style)
        errors += template_errors
        if template is not None:
            templates[template.name] = template
            errors += _length_errors(template, sample, limits)
    for name in TEMPLATE_NAMES:
        if name not in templates and not (directory / f"{name}.toml").exists():
            errors.append(
                ConfigError(
                    directory / f"{name}.toml", name, "file missing: every situation needs its wordings"
                )
            )
    if errors:
        return None, errors
    return ReplyBook(directory, MappingProxyType(templates), limits), []


def _limit_errors(limits: Mapping[tuple[Platform, Channel], int], directory: Path) -> list[ConfigError]:
    return [
        ConfigError(directory, f"limits.{platform.value}.{channel.value}", "no length limit given")
        for platform in Platform
        for channel in Channel
        if (platform, channel) not in limits
    ]


def _value_errors(values: Mapping[str, str], file: str) -> list[ConfigError]:
    errors = []
    for name, value in values.items():
        if name not in PLACEHOLDERS:
            continue
        if not isinstance(value, str):
            errors.append(ConfigError(file, name, f"must be text, not {type(value).__name__}"))
            continue
        problem = None
        if name in _URL_VALUES:
            problem = _url_problem(value)
        elif name in _EMAIL_VALUES:
            problem = None if _EMAIL.match(value) else f"{value!r} is not a well-formed e-mail address"
        elif name in _PHONE_VALUES:
            problem = _phone_problem(value)
        else:
            problem = next(iter(_link_problems(value)), None)
        if problem:
            errors.append(ConfigError(file, name, problem))
    return errors


def _url_problem(url: str) -> str | None:
    """None for a well-formed https link; otherwise the sentence saying what is wrong."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{url!r} is not a well-formed link"
    if parts.scheme != "https":
        return f"{url!r} must start with https://"
    if not parts.hostname or not _HOSTNAME.match(parts.hostname) or any(c.isspace() for c in url):
        return f"{url!r} is not a well-formed link"
    return None


def _phone_problem(number: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, _PHONE_REGION)
    except phonenumbers.NumberParseException:
        return f"{number!r} is not a phone number"
    return None if phonenumbers.is_valid_number(parsed) else f"{number!r} is not a valid UK phone number"


def _link_problems(text: str) -> Iterator[str]:
    """Problems with each link or e-mail address written out in free text."""
    for match in _URL_IN_TEXT.finditer(text):
        url = match.group().rstrip(_TRAILING_PUNCTUATION)
        if url.lower().startswith("www."):
            url = f"https://{url}"
        if problem := _url_problem(url):
            yield problem
    for match in _EMAIL_IN_TEXT.finditer(_URL_IN_TEXT.sub(" ", text)):
        address = match.group().rstrip(_TRAILING_PUNCTUATION)
        if not _EMAIL.match(address):
            yield f"{address!r} is not a well-formed e-mail address"


def _load_style(path: Path) -> tuple[_Style, list[ConfigError]]:
    if not path.exists():
        return _Style(), [ConfigError(path, "style", "file missing: the list of phrases to avoid")]
    data, error = _read_toml(path)
    if error:
        return _Style(), [error]
    errors = []
    for key in data:
        if key not in ("avoid", "spelling"):
            errors.append(ConfigError(path, key, "unknown key; expected [avoid] and [spelling]"))
    avoid = data.get("avoid", {})
    phrases = avoid.get("phrases", []) if isinstance(avoid, dict) else None
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
        errors.append(ConfigError(path, "avoid.phrases", "must be a list of non-empty phrases"))
        phrases = []
    spelling = data.get("spelling", {})
    if not isinstance(spelling, dict) or not all(isinstance(v, str) for v in spelling.values()):
        errors.append(
            ConfigError(
                path, "spelling", 'must map a spelling to avoid to its British form, e.g. "color" = "colour"'
            )
        )
        spelling = {}
    return _Style(tuple(p.strip() for p in phrases), MappingProxyType(dict(spelling))), errors


def _read_toml(path: Path) -> tuple[dict[str, Any], ConfigError | None]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), None
    except UnicodeDecodeError as error:
        return {}, ConfigError(path, "file", f"not UTF-8 text ({error.reason})")
    except tomllib.TOMLDecodeError as error:
        position = _TOML_POSITION.search(str(error))
        line = int(position.group(1)) if position else 0
        return {}, ConfigError(path, "file", _at(line, f"not valid TOML: {error}"))


def _variant_key(template: str, channel: Channel, platform: Platform | None, index: int | None = None) -> str:
    where = f"{template}.{channel.value}" + (f".{platform.value}" if platform else "")
    return f"{where}.variants" + (f"[{index}]" if index is not None else "")


def _at(line: int, problem: str) -> str:
    return f"line {line}: {problem}" if line else problem


def _load_template(path: Path, style: _Style) -> tuple[Template | None, list[ConfigError]]:
    """The template and every problem in its file; `None` only if the file cannot be read."""
    name = path.stem
    data, error = _read_toml(path)
    if error:
        return None, [error]
    raw = path.read_text(encoding="utf-8")
    errors: list[ConfigError] = []
    allowed_channels = (Channel.PUBLIC,) if name in PUBLIC_ONLY_TEMPLATES else tuple(Channel)
    for key in data:
        if key == "description":
            continue
        if key not in {channel.value for channel in allowed_channels}:
            expected = ", ".join(f"[{c.value}]" for c in allowed_channels)
            errors.append(
                ConfigError(
                    path, f"{name}.{key}", _at(_header_line(raw, key), f"unknown table; expected {expected}")
                )
            )
    variants: dict[tuple[Channel, Platform | None], tuple[Variant, ...]] = {}
    for channel in allowed_channels:
        table = data.get(channel.value)
        if not isinstance(table, dict):
            errors.append(
                ConfigError(
                    path, f"{name}.{channel.value}", f"missing [{channel.value}] table with its variants"
                )
            )
            continue
        for key, value in table.items():
            if key == "variants":
                platform = None
            elif key in {p.value for p in Platform} and isinstance(value, dict):
                platform = Platform(key)
            else:
                errors.append(
                    ConfigError(
                        path,
                        f"{name}.{channel.value}.{key}",
                        _at(
                            _header_line(raw, channel.value),
                            "unknown key; expected variants or a platform table such as [public.x]",
                        ),
                    )
                )
                continue
            block = table if platform is None else value
            parsed, block_errors = _load_variants(path, raw, name, channel, platform, block, style)
            errors += block_errors
            if parsed:
                variants[(channel, platform)] = parsed
        if "variants" not in table:
            errors.append(
                ConfigError(
                    path, _variant_key(name, channel, None), _at(_header_line(raw, channel.value), "missing")
                )
            )
    # The wordings that passed are still returned, so their lengths get checked in the same run.
    return Template(name, str(path), MappingProxyType(variants)), errors


def _load_variants(
    path: Path,
    raw: str,
    name: str,
    channel: Channel,
    platform: Platform | None,
    block: dict[str, Any],
    style: _Style,
) -> tuple[tuple[Variant, ...], list[ConfigError]]:
    key = _variant_key(name, channel, platform)
    table = f"{channel.value}.{platform.value}" if platform else channel.value
    texts = block.get("variants")
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        return (), [
            ConfigError(path, key, _at(_header_line(raw, table), "must be a list of texts in quotes"))
        ]
    unknown = [k for k in block if k != "variants"]
    errors = [
        ConfigError(path, f"{key[: -len('.variants')]}.{k}", _at(_header_line(raw, table), "unknown key"))
        for k in unknown
        if platform
    ]
    if len(texts) < MIN_VARIANTS:
        errors.append(
            ConfigError(
                path,
                key,
                _at(
                    _header_line(raw, table),
                    f"has {len(texts)} wording(s); at least {MIN_VARIANTS} are needed "
                    "so replies do not repeat",
                ),
            )
        )
    lines = _variant_lines(raw, table)
    parsed: list[Variant] = []
    seen: dict[str, int] = {}
    for index, text in enumerate(texts):
        line = lines[index] if index < len(lines) else 0
        variant_key = f"{key}[{index}]"
        problems = list(_variant_problems(name, text, style))
        normalised = " ".join(text.split()).lower()
        if normalised in seen:
            problems.append(f"the same wording as variants[{seen[normalised]}]")
        seen.setdefault(normalised, index)
        errors += [ConfigError(path, variant_key, _at(line, problem)) for problem in problems]
        if not problems:
            parsed.append(Variant(text, line, _pieces(text)))
    return tuple(parsed), errors


def _pieces(text: str) -> tuple[tuple[str, bool], ...]:
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        if match.start() > position:
            pieces.append((text[position : match.start()], False))
        pieces.append((match.group(1), True))
        position = match.end()
    if position < len(text):
        pieces.append((text[position:], False))
    return tuple(pieces)


def _variant_problems(template: str, text: str, style: _Style) -> Iterator[str]:
    """Every reason this wording must not be sent, as sentences a comms officer can act on."""
    if not text.strip():
        yield "empty wording"
        return
    names = []
    for match in _PLACEHOLDER.finditer(text):
        names.append(match.group(1))
    leftover = _PLACEHOLDER.sub("", text)
    if "{" in leftover or "}" in leftover:
        column = next(i for i, c in enumerate(text) if c in "{}" and not _inside_placeholder(text, i)) + 1
        yield f"stray brace at character {column}: placeholders look like {{author_name}}, never nested"
    for placeholder in names:
        if not _PLACEHOLDER_NAME.fullmatch(placeholder) or placeholder not in PLACEHOLDERS:
            close = difflib.get_close_matches(placeholder, PLACEHOLDERS, n=1)
            hint = f" (did you mean {{{close[0]}}}?)" if close else ""
            yield f"unknown placeholder {{{placeholder}}}{hint}; see the list in responses/README.md"
        elif placeholder in CONTEXT_PLACEHOLDERS and template not in CONTEXT_PLACEHOLDERS[placeholder]:
            only_in = ", ".join(sorted(CONTEXT_PLACEHOLDERS[placeholder]))
            yield f"{{{placeholder}}} has no value in {template} replies; it works only in {only_in}"
        elif placeholder in USER_PLACEHOLDERS and template in PUBLIC_ONLY_TEMPLATES:
            what = "a notice" if template in NOTICE_TEMPLATES else "the profile text"
            yield f"{{{placeholder}}} cannot be used in {what}: it is read by everyone, not by one person"
    if not _WORD.search(_PLACEHOLDER.sub("", text)):
        yield "has no words of its own besides placeholders"
    for required in REQUIRED_CONTENT.get(template, ()):
        if required not in text:
            yield f"must include {required} in every wording"
    yield from _link_problems(_PLACEHOLDER.sub(" ", text))
    yield from _style_problems(text, style)


def _style_problems(text: str, style: _Style) -> Iterator[str]:
    lowered = text.lower()
    for phrase in style.avoid_phrases:
        if re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", lowered):
            yield f"uses {phrase!r}, which is on the avoid list in {STYLE_FILE}"
    for spelling, british in style.spellings.items():
        if re.search(rf"\b{re.escape(spelling.lower())}\b", lowered):
            yield f"uses {spelling!r}; write {british!r} (plain British English)"


def written_reply_problems(text: str, platform: Platform, limit: int, directory: Path) -> list[str]:
    """Why a reply a person wrote must not be sent, by the checks `check-replies` makes of every
    wording: the platform's length, well-formed https links and e-mail addresses, and the avoid
    list and spellings of the style file in `directory` (placeholders are not filled: a person
    writes the words themselves)."""
    if not text.strip():
        return ["the reply is empty"]
    problems = []
    length = reply_length(text, platform)
    if length > limit:
        problems.append(f"it is {length} characters long as {platform.value} counts them; the limit is {limit}")
    problems += _link_problems(text)
    style, _ = _load_style(directory / STYLE_FILE)  # a broken style file stops the bot at start-up anyway
    problems += _style_problems(text, style)
    return problems


def _inside_placeholder(text: str, index: int) -> bool:
    return any(match.start() <= index < match.end() for match in _PLACEHOLDER.finditer(text))


def _length_errors(
    template: Template, values: Mapping[str, str], limits: Mapping[tuple[Platform, Channel], int]
) -> list[ConfigError]:
    """Render every wording with sample values on every platform it may be used on."""
    errors = []
    for channel in template.channels:
        for platform in Platform:
            override = (channel, platform) in template.variants
            for index, variant in enumerate(template.variants_for(channel, platform)):
                filled = {
                    name: clean_user_value(name, values[name]) if name in USER_PLACEHOLDERS else values[name]
                    for name in variant.placeholders
                }
                length = reply_length(variant.fill(filled), platform)
                limit = limit_for(limits, template.name, platform, channel)
                if length > limit:
                    key = _variant_key(template.name, channel, platform if override else None, index)
                    problem = (
                        f"{length} characters on {platform.value} ({channel.value}) "
                        f"with the longest sample values; the limit is {limit}"
                    )
                    if not override:
                        problem += f" (add shorter wordings under [{channel.value}.{platform.value}])"
                    errors.append(ConfigError(template.file, key, _at(variant.line, problem)))
    return errors


# ---------------------------------------------------------------------------------------------
# Finding lines in the file (tomllib gives values, not positions)


def _header_line(raw: str, table: str) -> int:
    """The line of `[table]`, or 0 if the table is written inline."""
    wanted = table.replace(" ", "")
    for number, line in enumerate(raw.splitlines(), start=1):
        stripped = line.split("#", 1)[0].strip()
        is_header = stripped.startswith("[") and stripped.endswith("]") and not stripped.startswith("[[")
        if is_header and stripped[1:-1].replace(" ", "").replace('"', "") == wanted:
            return number
    return 0


def _variant_lines(raw: str, table: str) -> list[int]:
    """The line on which each string of `variants = [...]` under `[table]` starts."""
    header = _header_line(raw, table)
    if not header:
        return []
    offset = sum(len(line) for line in raw.splitlines(keepends=True)[:header])
    key = re.compile(r"^[ \t]*variants[ \t]*=[ \t]*\[", re.MULTILINE).search(raw, offset)
    next_header = re.compile(r"^[ \t]*\[", re.MULTILINE).search(raw, offset)
    if key is None or (next_header is not None and next_header.start() < key.start()):
        return []
    starts: list[int] = []
    position, depth = key.end() - 1, 0
    while position < len(raw):
        char = raw[position]
        if raw.startswith(('"""', "'''"), position):
            quote = raw[position : position + 3]
            starts.append(raw.count("\n", 0, position) + 1)
            end = raw.find(quote, position + 3)
            position = len(raw) if end < 0 else end + 3
            while position < len(raw) and raw[position] == quote[0]:
                position += 1
            continue
        if char in "\"'":
            starts.append(raw.count("\n", 0, position) + 1)
            position += 1
            while position < len(raw) and raw[position] not in (char, "\n"):
                position += 2 if char == '"' and raw[position] == "\\" else 1
        elif char == "#":
            end = raw.find("\n", position)
            position = len(raw) if end < 0 else end
            continue
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                break
        position += 1
    return starts
