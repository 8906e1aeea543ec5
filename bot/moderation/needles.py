"""Literal strings a pattern cannot match without, so a message that has none skips the search.

A staff-edited pattern list (danger.toml, spam.toml...) is one long alternation, and most
messages match none of it: searching costs several microseconds a list all the same. At load
time, `needles_of` reads the compiled pattern's syntax tree and finds, for each alternative, a
few literal strings one of which every match of it contains: "suicid" for "\\bsuicid\\w*", or the
verbs of "(he|she) (hits|kicks) me". `Screen.ruled_out` then tells, for all the patterns at once,
which ones a message cannot match because it contains none of their needles; those searches are
skipped, the others run as they always did, so the result is the same, only cheaper. Whatever
the reader does not fully understand (\\w, ., letters under IGNORECASE, back-references, an
alternative with no literal of three characters) makes it give up on that pattern, which is
then never ruled out."""

from __future__ import annotations

import functools
import re
import re._constants as sre  # type: ignore[import-not-found]  # private, but the only reader of pattern syntax
import re._parser as sre_parser  # type: ignore[import-not-found]
from collections import Counter
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Iterable, Iterator, Mapping

# Needles are looked up by one of their character trigrams.
TRIGRAM = 3
# A part of a pattern is spelled out as literal strings only up to this many alternatives.
MAX_SPELLED = 64
# How many distinct words the screen remembers the possible needles of.
WORD_CACHE_SIZE = 16_384
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)


def _window_trigrams(word: str) -> frozenset[str]:
    """The trigrams of a word with a space either side: in a text of words separated by single
    spaces, every trigram whose middle character is not a space is one of some word's."""
    window = f" {word} "
    return frozenset([window[index : index + TRIGRAM] for index in range(len(window) - TRIGRAM + 1)])


# Letters from the most to the least common in English text; a space is commoner than any of them.
_LETTERS_BY_FREQUENCY = " etaoinshrdlcumwfgypbvkjxqz"


def _commonness(trigram: str) -> int:
    """A rough guess at how often a trigram occurs in messages (only the screen's speed depends on it)."""
    return sum(len(_LETTERS_BY_FREQUENCY) - _LETTERS_BY_FREQUENCY.find(char) if char in _LETTERS_BY_FREQUENCY else 0 for char in trigram)


def _usable_trigrams(needle: str) -> list[str]:
    """The needle's trigrams whose middle character is not a space: each lies in one word's window."""
    return [needle[index : index + TRIGRAM] for index in range(len(needle) - TRIGRAM + 1) if needle[index + 1] != " "]


@dataclass(frozen=True, slots=True, eq=False)
class Screen:
    """Which of several patterns cannot match a text, found from its words' trigrams.

    Patterns are named by `id()`: hashing a compiled pattern hashes its whole program (microseconds
    for a long list), and the screen holds every pattern it names, so no id can be reused.
    """

    by_key: Mapping[str, tuple[tuple[str, int], ...]]  # trigram -> (needle, id of its pattern)
    keys: frozenset[str]
    screened: frozenset[int]
    patterns: tuple[re.Pattern[str], ...]

    def ruled_out(self, words: Iterable[str], text: str) -> frozenset[int]:
        """The ids of the screened patterns that cannot match `text`, which is `" ".join(words)`:
        it contains none of their needles."""
        possible = set()
        in_text: dict[str, bool] = {}  # each needle is looked for in the text once, however many words wake it
        for word in set(words):
            for needle, pattern_id in _candidates(self, word):
                if pattern_id not in possible:
                    found = in_text.get(needle)
                    if found is None:
                        found = in_text[needle] = needle in text
                    if found:
                        possible.add(pattern_id)
        return self.screened.difference(possible)


@functools.lru_cache(maxsize=WORD_CACHE_SIZE)
def _candidates(screen: Screen, word: str) -> tuple[tuple[str, int], ...]:
    """The needles a text holding this word may contain: those looked up by one of its trigrams."""
    return tuple(entry for key in screen.keys.intersection(_window_trigrams(word)) for entry in screen.by_key[key])


def screen_of(patterns: Iterable[re.Pattern[str]]) -> Screen:
    """A screen for the patterns whose needles can be found; the others are never ruled out.

    Each needle is looked up by the trigram of it that the fewest needles share (ties: the one
    made of the rarer letters), so a message wakes few needles to check.
    """
    found: list[tuple[re.Pattern[str], tuple[str, ...]]] = []
    for pattern in patterns:
        needles = needles_of(pattern)
        if needles is not None and all(_usable_trigrams(needle) for needle in needles):
            found.append((pattern, needles))
    shared = Counter(trigram for _, needles in found for needle in needles for trigram in set(_usable_trigrams(needle)))
    by_key: dict[str, list[tuple[str, int]]] = {}
    for pattern, needles in found:
        for needle in needles:
            key = min(_usable_trigrams(needle), key=lambda trigram: (shared[trigram], _commonness(trigram)))
            by_key.setdefault(key, []).append((needle, id(pattern)))
    return Screen(
        MappingProxyType({key: tuple(entries) for key, entries in by_key.items()}), frozenset(by_key),
        frozenset(id(pattern) for pattern, _ in found), tuple(pattern for pattern, _ in found),
    )


def needles_of(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Literal strings one of which every match of `pattern` contains, or None if some alternative has none."""
    if pattern.flags & (re.LOCALE | re.VERBOSE) or not isinstance(pattern.pattern, str):
        return None
    try:
        parsed = sre_parser.parse(pattern.pattern, pattern.flags)
        found = _needles(parsed.data, bool(parsed.state.flags & re.IGNORECASE))
    except Exception:  # noqa: BLE001 - a tree this reader does not know (another Python): never rule out
        return None
    return None if found is None else tuple(sorted(found))


def _needles(items: Iterable[tuple[Any, Any]], ignore_case: bool) -> frozenset[str] | None:
    """Strings one of which every match of the sequence `items` contains (the longest ones found)."""
    candidates: list[frozenset[str]] = []
    run: set[str] = {""}  # every string the current stretch of literal items can match
    for op, av in items:
        spelled = _spelled_item(op, av, ignore_case)
        if spelled is not None:
            joined = {first + second for first in run for second in spelled}
            if len(joined) <= MAX_SPELLED:
                run = joined
                continue
            candidates.append(frozenset(run))
            run = set(spelled)
            continue
        candidates.append(frozenset(run))
        run = {""}
        inner = _group_requires(op, av, ignore_case, _needles)
        if inner is not None:
            candidates.append(inner)
    candidates.append(frozenset(run))
    usable = [c for c in candidates if c and min(map(len, c)) >= TRIGRAM]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(map(len, c)), -len(c)))


def _group_requires(op: Any, av: Any, ignore_case: bool, requires: Callable[[Any, bool], frozenset[str] | None]) -> frozenset[str] | None:
    """What one item that is not spelled out (a group, an alternation or a required repeat) needs,
    by `requires` on its parts: `_needles` or `_characters`. None: the item is not understood."""
    if op is sre.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        return requires(sub.data, _case(ignore_case, add_flags, del_flags))
    if op is sre.ATOMIC_GROUP:
        return requires(av.data, ignore_case)
    if op is sre.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = requires(branch.data, ignore_case)
            if found is None:
                return None
            union.update(found)
        return frozenset(union)
    if op in _REPEATS and av[0] >= 1:  # at least one match of the repeated part
        return requires(av[2].data, ignore_case)
    return None


def _spelled(items: Iterable[tuple[Any, Any]], ignore_case: bool) -> set[str] | None:
    """Every string the sequence `items` can match, when they are few and all literal."""
    strings = {""}
    for op, av in items:
        spelled = _spelled_item(op, av, ignore_case)
        if spelled is None:
            return None
        strings = {first + second for first in strings for second in spelled}
        if len(strings) > MAX_SPELLED:
            return None
    return strings


def _spelled_frozen(items: Iterable[tuple[Any, Any]], ignore_case: bool) -> frozenset[str] | None:
    spelled = _spelled(items, ignore_case)
    return None if spelled is None else frozenset(spelled)


def _spelled_item(op: Any, av: Any, ignore_case: bool) -> set[str] | None:
    if op is sre.LITERAL:
        char = chr(av)
        return None if ignore_case and _cased(char) else {char}
    if op is sre.IN:
        return _spelled_set(av, ignore_case)
    if op in _ZERO_WIDTH:  # \b, lookarounds: they match no characters
        return {""}
    if op in (sre.SUBPATTERN, sre.ATOMIC_GROUP, sre.BRANCH):
        grouped = _group_requires(op, av, ignore_case, _spelled_frozen)
        return set(grouped) if grouped is not None and len(grouped) <= MAX_SPELLED else None
    if op in _REPEATS:
        low, high, sub = av
        inner = _spelled(sub.data, ignore_case)
        if inner is None or high > 4:
            return None
        strings, current = set(), {""}
        for count in range(high + 1):
            if count >= low:
                strings.update(current)
            current = {first + second for first in current for second in inner}
            if len(strings) > MAX_SPELLED or len(current) > MAX_SPELLED:
                return None
        return strings
    return None  # ., \w and the like, back-references, conditionals


def _spelled_set(members: list[tuple[Any, Any]], ignore_case: bool) -> set[str] | None:
    """The characters of a class such as [abc] or [0-3]; None for negated or named classes (\\w, \\d)."""
    chars: set[str] = set()
    for op, av in members:
        if op is sre.LITERAL:
            chars.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < MAX_SPELLED:
            chars.update(chr(code) for code in range(av[0], av[1] + 1))
        else:
            return None
    if len(chars) > MAX_SPELLED or (ignore_case and any(_cased(char) for char in chars)):
        return None
    return chars


def _cased(char: str) -> bool:
    """Whether IGNORECASE could let another character stand for this one."""
    return char.lower() != char or char.upper() != char or char.casefold() != char


def _case(ignore_case: bool, add_flags: int, del_flags: int) -> bool:
    """IGNORECASE inside a group with inline flags such as (?i:...) or (?-i:...)."""
    if add_flags & re.IGNORECASE:
        return True
    if del_flags & re.IGNORECASE:
        return False
    return ignore_case


def clue_of(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A one-character pattern that finds something in every text `pattern` matches, or None.

    For patterns over raw text ("£500 a week", "50% off") that literal strings cannot screen: a
    text without any of the characters every match needs (£, $, %, a digit...) is not searched.
    """
    if pattern.flags & (re.LOCALE | re.VERBOSE) or not isinstance(pattern.pattern, str):
        return None
    try:
        parsed = sre_parser.parse(pattern.pattern, pattern.flags)
        found = _characters(parsed.data, bool(parsed.state.flags & re.IGNORECASE))
    except Exception:  # noqa: BLE001 - as in `needles_of`
        return None
    if found is None:
        return None
    chars = "".join(re.escape(char) for char in sorted(found - {_ANY_DIGIT}))
    return re.compile(f"[{chars}{_ANY_DIGIT if _ANY_DIGIT in found else ''}]")


_ANY_DIGIT = r"\d"  # among the characters `_characters` finds: any decimal digit, as \d means it


def _characters(items: Iterable[tuple[Any, Any]], ignore_case: bool) -> frozenset[str] | None:
    """Characters one of which every match of the sequence `items` contains (the rarest-looking set)."""
    best = None
    for op, av in items:
        found = _item_characters(op, av, ignore_case)
        if found is not None and (best is None or _rank(found) < _rank(best)):
            best = found
    return best


def _item_characters(op: Any, av: Any, ignore_case: bool) -> frozenset[str] | None:
    if op is sre.LITERAL or op is sre.IN:
        spelled = _spelled_item(op, av, ignore_case)
        if spelled:
            return frozenset(spelled)
        return frozenset({_ANY_DIGIT}) if op is sre.IN and av == [(sre.CATEGORY, sre.CATEGORY_DIGIT)] else None
    return _group_requires(op, av, ignore_case, _characters)


def _rank(chars: frozenset[str]) -> tuple[int, int]:
    """Sets whose commonest character is rarer first (a space is in every message, a capital or a
    digit in many, a "£" in few), then smaller sets."""
    return max(map(_tier, chars)), len(chars)


def _tier(char: str) -> int:
    if char.isspace():
        return 3
    if char == _ANY_DIGIT or char.islower() or char in ".,'!?":
        return 2
    return 1 if char.isalnum() else 0


def clued_search(pattern: re.Pattern[str], clue: re.Pattern[str] | None, text: str) -> re.Match[str] | None:
    """`pattern.search(text)`, skipped when the pattern's `clue_of` finds nothing in `text`."""
    if clue is not None and clue.search(text) is None:
        return None
    return pattern.search(text)


def clued_finditer(pattern: re.Pattern[str], clue: re.Pattern[str] | None, text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, skipped like `clued_search`."""
    if clue is not None and clue.search(text) is None:
        return iter(())
    return pattern.finditer(text)
