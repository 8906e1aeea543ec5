"""Spam: advertising, scams and link promotions, and the same point repeated by one author.

Repetition compares this message with the author's earlier ones in the window (given by the
caller as `context.author_recent_texts`) by cosine similarity of character trigram counts over
the normalised words, which survives small edits, reordering and added punctuation.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.model import Category, ClassifyContext, Finding
from bot.moderation.concepts import CueMatch, Cues, family_features, load_cues, read_cues
from bot.moderation.config import TomlFile
from bot.moderation.linear import LinearModel
from bot.moderation.message import only_pleasantries
from bot.moderation.needles import clue_of, clued_search
from bot.moderation.text import prepare

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "spam.toml"
VERSION = "spam-1"
# Only so much history and text is compared, so one author's flood cannot slow the bot down.
MAX_RECENT = 50
MAX_COMPARED_CHARS = 2000
# Marks a model feature that is a scam cue family the message holds ("$offer"), never a word.
CONCEPT_MARK = "$"
# Marks a model feature that is the shape of a message, not its words ("%money"): see `shape_features`.
SHAPE_MARK = "%"
# The shape of a message is read from its first characters only, so a long one costs no more.
SHAPE_CHARS = 1000
_DIGIT = re.compile(r"\d")
_MONEY = re.compile(r"[£$€]\s?\d|\d\s?(?:k|p|usd|gbp|btc|eth)\b|\b\d+(?:,\d{3})+\b", re.IGNORECASE)
_PERCENT = re.compile(r"\d\s?%")
# The handles a reply on X opens with (matched after leading spaces; possessive, so a run of spaces is read once).
_OPENING_HANDLES = re.compile(r"(?:@\w++[\s,:]*+){1,20}")
_HANDLE = re.compile(r"(?<![\w.])@\w")
# A coin's ticker ("$FLOKI") and a wallet or token address (base58 or 0x hex, 26 characters or more, letters and digits mixed).
_CASHTAG = re.compile(r"(?<![\w$])\$[A-Za-z][A-Za-z0-9]{1,11}\b")
# Cue families that give a way to answer or promote the author: a warning holds none of them.
_ANSWERABLE = frozenset({"contact", "recovery", "promo"})
# A way to answer an advert in its text: an @handle, an email or a phone number (ten digits or more, any spacing).
_CONTACT_DETAIL = re.compile(r"@\w|\+?\d(?:[\s\-()]{0,2}\d){9}")
_ADDRESS = re.compile(r"\b(?:0x[0-9a-fA-F]{40}|(?=[A-Za-z]{0,63}\d)(?=\d{0,63}[A-Za-z])[A-Za-z0-9]{26,64})\b")


@dataclass(frozen=True, slots=True)
class SpamData:
    patterns: re.Pattern[str]
    raw_patterns: re.Pattern[str]
    about_scams: re.Pattern[str]
    # Warning about a scam or asking whether one is real: no finding unless the message gives a way to act.
    warnings: re.Pattern[str]
    trusted_domains: tuple[str, ...]
    repeat_times: int
    repeat_similarity: float
    repeat_min_words: int
    model: LinearModel
    model_threshold: float
    model_threshold_with_link: float
    model_question_threshold: float
    # ... for a message holding no word of any scam cue family (no money, offer, contact, link, brand or demand).
    model_alone_threshold: float
    # With fewer known features than this the model is not asked: a bare link ("<url>") scores high and says nothing.
    model_min_features: int
    cues: Cues
    raw_clue: re.Pattern[str] | None = field(init=False, repr=False, compare=False)  # see needles.clue_of

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw_clue", clue_of(self.raw_patterns))


def load_spam(directory: Path, model: LinearModel, lexicon: frozenset[str] = frozenset()) -> SpamData:
    file = TomlFile(directory / FILE)
    return SpamData(
        patterns=file.regex("spam.patterns", file.strings("spam.patterns")),
        raw_patterns=file.regex("spam.raw_patterns", file.strings("spam.raw_patterns"), re.IGNORECASE),
        about_scams=file.regex("spam.about_scams", file.strings("spam.about_scams")),
        warnings=file.regex("spam.warnings", file.strings("spam.warnings")),
        trusted_domains=tuple(d.lower().lstrip(".") for d in file.strings("spam.trusted_domains")),
        repeat_times=int(file.number("repetition.times", 2, 100)),
        repeat_similarity=file.number("repetition.similarity", 0.1, 1.0),
        repeat_min_words=int(file.number("repetition.min_words", 1, 100)),
        model=model,
        model_threshold=file.number("thresholds.model", 0.01, 0.999),
        model_threshold_with_link=file.number("thresholds.model_with_link", 0.01, 0.999),
        model_question_threshold=file.number("thresholds.model_question", 0.01, 0.999),
        model_alone_threshold=file.number("thresholds.model_alone", 0.01, 0.999),
        model_min_features=int(file.number("thresholds.model_min_features", 1, 20)),
        cues=load_cues(file, "cues", lexicon),
    )


def shape_features(text: str) -> list[str]:
    """Signs of an advert that no one source's wording carries, so the model can use them on a source it
    never trained on: an amount of money or a percentage, a coin's ticker, a wallet address, and a handle
    inside the text (a reply on X opens with handles; one further on is promoted). Each is one feature,
    whatever its words. Style (capitals, emoji, "!!", hashtags) was tried and left out: learnt from the
    other sources, it lost spam F1 on a source left out of training (models README). So was a phone
    number: it is a person's over-sharing as often as an advert's contact, and with it the model read
    "text me on +44 7911 123456" as an advert (0.98), so the private detail gave way to spam."""
    head = text[:SHAPE_CHARS]
    shape = []
    # Most messages hold no digit, "$" or "@": one quick look each spares the searches that need them.
    if _DIGIT.search(head):
        for name, pattern in (("money", _MONEY), ("percent", _PERCENT), ("address", _ADDRESS)):
            if pattern.search(head):
                shape.append(name)
    if "$" in head and _CASHTAG.search(head):
        shape.append("cashtag")
    if "@" in head:
        opening = _OPENING_HANDLES.match(head, len(head) - len(head.lstrip()))
        if _HANDLE.search(head, opening.end() if opening else 0):
            shape.append("handle")
    return [SHAPE_MARK + name for name in shape]


def model_extras(text: str, families: frozenset[str]) -> list[str]:
    """What the spam model reads besides words: the scam cue families the message holds and its shape."""
    return family_features(families, CONCEPT_MARK) + shape_features(text)


def trigram_profile(normalised: str) -> Counter[str]:
    padded = f" {normalised[:MAX_COMPARED_CHARS]} "
    return Counter(padded[i : i + 3] for i in range(len(padded) - 2))


def similarity(first: Counter[str], second: Counter[str]) -> float:
    """Cosine similarity of two trigram count profiles (0 = nothing shared, 1 = the same)."""
    if not first or not second:
        return 0.0
    dot = sum(count * second[gram] for gram, count in first.items() if gram in second)
    return dot / math.sqrt(sum(c * c for c in first.values()) * sum(c * c for c in second.values()))


def _is_trusted(url: str, trusted: tuple[str, ...]) -> bool:
    host = urlsplit(url if "://" in url else f"https://{url}").hostname or ""
    return any(host == domain or host.endswith("." + domain) for domain in trusted)


def _repeats(message: Message, context: ClassifyContext, data: SpamData, lexicon: frozenset[str]) -> int:
    if len(message.prepared.tokens) < data.repeat_min_words or not context.author_recent_texts:
        return 0
    profile = trigram_profile(message.joined)
    same = 0
    for earlier in context.author_recent_texts[-MAX_RECENT:]:
        earlier_words = prepare(earlier[:MAX_COMPARED_CHARS], lexicon).joined
        if similarity(profile, trigram_profile(earlier_words)) >= data.repeat_similarity:
            same += 1
    return same


def check_spam(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    if only_pleasantries(message.words, data.pleasantries):
        return ()
    spam = data.spam
    same = _repeats(message, context, spam, data.lexicon)
    if same + 1 >= spam.repeat_times:
        return (Finding(Category.SPAM, 0.9, "spam.repetition", f"the same point {same + 1} times in the window"),)
    # Read once: the cues find an advert, and say whether a warning gives a way to act on it.
    cues, families, _ = read_cues(spam.cues, message)
    finding = _advert(message, spam, cues, families)
    # Asked only of a message that reads as an advert (most do not): someone asking how to report a scam quotes it.
    if finding is None or message.search(spam.about_scams, message.joined) or _warns_only(message, spam, families):
        return ()
    return (finding,)


def _warns_only(message: Message, spam: SpamData, families: frozenset[str]) -> bool:
    """Whether the message warns about a scam or asks whether one is real, and gives no way to act on it.

    A warning quotes the scam's words ("the 'Royal Mail unpaid fee' texts are doing the rounds, don't
    pay"), so the pattern, the cues and the model all fire; but an advert always says how to answer it
    (a link, a handle, a number, an email, "DM me"), and a warning has nothing to answer. A recovery
    scam that opens with a warning ("be careful, most recovery firms are fake; Mrs Hale got mine back")
    and a video comment promoting its author's channel stay spam (`_ANSWERABLE`).
    """
    if not message.search(spam.warnings, message.joined):
        return False
    if message.prepared.urls or _CONTACT_DETAIL.search(message.text[:SHAPE_CHARS]):
        return False
    return _ANSWERABLE.isdisjoint(families)


def _advert(message: Message, spam: SpamData, cues: tuple[CueMatch, ...], families: frozenset[str]) -> Finding | None:
    """Advertising or a scam by listed wording, a scam cue (`cues`, of the scam cue `families` the message holds)
    or the model; None if none of them finds it."""
    match = message.search(spam.patterns, message.joined) or clued_search(spam.raw_patterns, spam.raw_clue, message.prepared.folded)
    if match:
        return Finding(Category.SPAM, 0.9, "spam.pattern", f"wording: {match.group()[:80]!r}")
    urls = message.prepared.urls
    if urls and all(_is_trusted(url, spam.trusted_domains) for url in urls):
        return None
    if cues:
        return Finding(Category.SPAM, 0.85, f"spam.cue.{cues[0].combo}", f"cues: {cues[0].describe(message.words)}")
    word_feats = spam.model.features_for(message.words, message.feats)
    # The evidence is counted in words: a bare link's "$link" family says no more than the link.
    if spam.model.known(word_feats) < spam.model_min_features:
        return None
    feats = word_feats + model_extras(message.text, families)
    score = spam.model.score(feats)
    # A message that opens by asking ("please can you share the link for...") asks for help: the model,
    # which learnt adverts, needs a stronger score for it.
    threshold = spam.model_threshold_with_link if urls else spam.model_threshold
    if not families:
        # No word of money, an offer, a way to get in touch, a brand or a demand: the model learnt the
        # style of public posts too ("Let's imagine", "Check out the full forum post"), so it may ask more.
        threshold = max(threshold, spam.model_alone_threshold)
    if score >= (max(threshold, spam.model_question_threshold) if message.asks else threshold):
        return Finding(Category.SPAM, round(score, 3), "spam.model", f"model {spam.model.version}: {', '.join(spam.model.top_features(feats))}")
    return None
