"""The shared view of one message that every check reads: normalised once, idioms masked once."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.moderation.text import Prepared, features, prepare


@dataclass(frozen=True, slots=True)
class Message:
    """`words`: the normalised words (worked out once, every check reads them); `joined`: the same
    separated by single spaces; `masked`: `joined`, same length, with safe idioms blanked out."""

    text: str
    prepared: Prepared
    words: tuple[str, ...]
    joined: str
    masked: str
    feats: list[str]


def idiom_pattern(idioms: tuple[str, ...], lexicon: frozenset[str]) -> re.Pattern[str]:
    """One regex matching any idiom on normalised text; `*` in an idiom stands for one word."""
    alternatives = []
    for idiom in idioms:
        words = [word if word == "*" else prepare(word, lexicon).joined for word in idiom.split()]
        alternatives.append(" ".join(r"\w+" if word == "*" else re.escape(word) for word in words if word))
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


def read_message(text: str, lexicon: frozenset[str], idioms: re.Pattern[str]) -> Message:
    prepared = prepare(text, lexicon)
    words = prepared.words
    joined = " ".join(words)
    masked = idioms.sub(lambda match: " " * len(match.group()), joined) if joined else joined
    return Message(text, prepared, words, joined, masked, features(words))
