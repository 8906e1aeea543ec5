"""The shared view of one message that every check reads: normalised once, idioms masked once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from bot.moderation.needles import Screen
from bot.moderation.text import Prepared, features, prepare


@dataclass(frozen=True, slots=True)
class Message:
    """`words`: the normalised words (worked out once, every check reads them); `joined`: the same
    separated by single spaces; `masked`: `joined`, same length, with safe idioms blanked out;
    `ruled_out`: the ids of the screened patterns that cannot match `joined` (`bot.moderation.needles`);
    `asks`: whether it opens by asking for information (`Questions`), which two checks read."""

    text: str
    prepared: Prepared
    words: tuple[str, ...]
    joined: str
    masked: str
    feats: list[str]
    ruled_out: frozenset[int] = frozenset()
    asks: bool = False

    def search(self, pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
        """`pattern.search(text)`, skipped when `text` is `joined` and the pattern was ruled out for it."""
        if id(pattern) in self.ruled_out and text == self.joined:
            return None
        return pattern.search(text)

    def finditer(self, pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
        """`pattern.finditer(text)`, skipped like `search`."""
        if id(pattern) in self.ruled_out and text == self.joined:
            return iter(())
        return pattern.finditer(text)


@dataclass(frozen=True, slots=True)
class Questions:
    """How a request for information opens: a verb before its subject ("can I", "is there"), or a
    wh-word ("when", "how") in a message with a question mark ("When it comes to health, facts
    matter" states; "when does the clinic open" asks only with its "?")."""

    openers: re.Pattern[str]
    wh_openers: re.Pattern[str]

    def asks(self, text: str, joined: str) -> bool:
        """Whether `text`, normalised as `joined`, opens by asking."""
        return bool(self.openers.match(joined) or ("?" in text and self.wh_openers.match(joined)))


def idiom_pattern(idioms: tuple[str, ...], lexicon: frozenset[str]) -> re.Pattern[str]:
    """One regex matching any idiom on normalised text; `*` in an idiom stands for one word."""
    alternatives = []
    for idiom in idioms:
        words = [word if word == "*" else prepare(word, lexicon).joined for word in idiom.split()]
        alternatives.append(" ".join(r"\w+" if word == "*" else re.escape(word) for word in words if word))
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


def read_message(text: str, lexicon: frozenset[str], idioms: re.Pattern[str], screen: Screen | None = None,
                 questions: Questions | None = None) -> Message:
    """The shared view of `text`; with a `screen`, the patterns it cannot match are known up front;
    with `questions`, whether it opens by asking."""
    prepared = prepare(text, lexicon)
    words = prepared.words
    joined = " ".join(words)
    ruled_out = screen.ruled_out(words, joined) if screen is not None else frozenset()
    masked = idioms.sub(lambda match: " " * len(match.group()), joined) if joined and id(idioms) not in ruled_out else joined
    asks = questions.asks(text, joined) if questions is not None else False
    return Message(text, prepared, words, joined, masked, features(words), ruled_out, asks)


def only_pleasantries(words: tuple[str, ...], pleasantries: frozenset[str]) -> bool:
    """Whether a message says nothing but hello or thanks ("hi there", "thank you so much", "👍"):
    with no content word, a trained model's guess is noise from its training posts."""
    return all(word in pleasantries for word in words)
