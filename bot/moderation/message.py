"""The shared view of one message that every check reads: normalised once, idioms masked once."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.moderation.text import Prepared, features, prepare


@dataclass(frozen=True, slots=True)
class Message:
    """`joined`: normalised words; `masked`: the same, same length, with safe idioms blanked out."""

    text: str
    prepared: Prepared
    joined: str
    masked: str
    feats: list[str]


@dataclass(frozen=True, slots=True)
class Questions:
    """How a request for information opens: a verb before its subject ("can I", "is there"), or a
    wh-word ("when", "how") in a message with a question mark ("When it comes to health, facts
    matter" states; "when does the clinic open" asks only with its "?")."""

    openers: re.Pattern[str]
    wh_openers: re.Pattern[str]

    def asks(self, message: Message) -> bool:
        return bool(self.openers.match(message.joined) or ("?" in message.text and self.wh_openers.match(message.joined)))


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
    joined = prepared.joined
    masked = idioms.sub(lambda match: " " * len(match.group()), joined) if joined else joined
    return Message(text, prepared, joined, masked, features(prepared.words))
