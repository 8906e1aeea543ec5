"""Cue families: danger recognised from concepts that occur near each other, not from fixed phrases.

People in crisis rarely use the words a list expects, but what they say draws on a few ideas that
published guidance names (a means and an intent, a goodbye, a child and a sign of neglect, a
symptom and its severity). `danger_cues.toml` lists each idea (a concept) with its wordings, and
each family as the concepts that must occur within a window of words. Matching is linear in the
message: one pass over the normalised words finds every concept (each entry is at most
`MAX_ENTRY_WORDS` words and is looked up by its first word), then each family is one sweep over
the found positions. Guards (idioms, negation, past, talk about the topic, joking) are concepts
too, so they cost the same single pass.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from bot.model import Category
from bot.moderation.config import TomlFile
from bot.moderation.text import prepare

FILE = "danger_cues.toml"
MAX_ENTRY_WORDS = 8
MAX_WINDOW = 60
# Entry words with a meaning of their own: any one word, any number, a number of 10 or more.
ANY_WORD, NUMBER, MANY = "*", "#number", "#many"
MANY_FROM = 10
DANGER = (Category.SAFEGUARDING, Category.URGENT_CARE)
# Guards are concepts with these reserved names.
IDIOM, PAST, PRESENT, TALK, JOKE = "guard:idioms", "guard:past", "guard:present", "guard:talk_about", "guard:joking"
CAPPED_GUARDS = {"past": PAST, "talk_about": TALK, "joking": JOKE}


@dataclass(frozen=True, slots=True)
class Entry:
    """One wording of a concept: its words (each a word, `*`, `#number`, `#many` or `prefix*`)."""

    concept: str
    words: tuple[str, ...]
    plain: bool = True  # no special word: compared as one tuple slice

    def fits(self, words: tuple[str, ...], index: int) -> bool:
        """Whether this entry's words are `words` from `index` on."""
        end = index + len(self.words)
        if self.plain:
            return words[index:end] == self.words
        return end <= len(words) and all(_word_fits(pattern, words[index + offset]) for offset, pattern in enumerate(self.words))


@dataclass(frozen=True, slots=True)
class Family:
    """Fires when one concept of each group occurs within `window` words; `weight` is the score it gives."""

    name: str
    category: Category
    groups: tuple[frozenset[str], ...]
    window: int
    weight: float
    # A family that names the topic ("suicide", "domestic abuse", "self-harm") says as much in talk about
    # it as in a crisis: alone it stays below the urgent tier unless a model or another family agrees.
    confirm: bool = False
    # Concepts that stop the family when one occurs within its window of the match: who acts ("I'll
    # batter him if he touches my mum" is the writer's threat, not harm done to the writer).
    unless: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Hit:
    """One family found in one message: where (word indices, end exclusive), how sure, what it read."""

    family: Family
    start: int
    end: int
    score: float
    concepts: tuple[tuple[str, int, int], ...]  # (concept, start, end) of the words that made it fire
    guard: str = ""  # the guard that capped it, if any


@dataclass(frozen=True, slots=True)
class CueBook:
    """Everything `danger_cues.toml` says, compiled for the one-pass matcher."""

    by_first_word: Mapping[str, tuple[Entry, ...]]  # one-word entries, and those whose second word is special
    by_first_pair: Mapping[tuple[str, str], tuple[Entry, ...]]  # the other entries, by their first two words
    by_prefix: Mapping[str, tuple[Entry, ...]]  # entries whose first word is `prefix*`, by the prefix
    prefix_sizes: tuple[int, ...]
    by_number: tuple[Entry, ...]  # entries whose first word is #number or #many
    families: tuple[Family, ...]
    families_of: Mapping[str, tuple[int, ...]]  # concept -> indices of the families that require it
    negation: frozenset[str]
    negation_reach: int
    reach: int
    present_before: int
    present_after: int
    caps: Mapping[tuple[str, Category], float]  # (guard concept, category) -> highest score
    # Laughing and face-palm emoji: the joking guard where the words hold no "lol" ("...closer to death 😂").
    joking_marks: tuple[str, ...] = ()


def _entry_words(raw: str) -> tuple[str, ...]:
    """An entry's words, normalised like a message's (so "can't" is "cant"), special words kept."""
    words: list[str] = []
    for piece in raw.lower().split():
        if piece in (ANY_WORD, NUMBER, MANY) or (piece.endswith("*") and piece[:-1].isalpha()):
            words.append(piece)
        else:
            words.extend(prepare(piece).words)
    return tuple(words)


# A contraction and its words spelt out, as messages are normalised (apostrophes dropped: "he's" is
# "hes"). People write either, and an entry lists one: each entry also matches the other spelling
# ("everything is in order" reads "everything's in order", "hes hitting her" reads "he is hitting her").
# Not "ill" (I'll, ill), "id" (I'd, ID), "its" (it's, its), "were" or "well": each is a word of its own too.
CONTRACTIONS = MappingProxyType({
    "im": ("i", "am"), "ive": ("i", "have"), "youre": ("you", "are"), "theyre": ("they", "are"), "hes": ("he", "is"),
    "shes": ("she", "is"), "thats": ("that", "is"), "theres": ("there", "is"), "everythings": ("everything", "is"),
    "nothings": ("nothing", "is"), "whats": ("what", "is"), "dont": ("do", "not"), "doesnt": ("does", "not"),
    "didnt": ("did", "not"), "cant": ("cannot",), "wont": ("will", "not"), "isnt": ("is", "not"), "arent": ("are", "not"),
    "wasnt": ("was", "not"), "havent": ("have", "not"), "hasnt": ("has", "not"), "couldnt": ("could", "not"),
    "wouldnt": ("would", "not"), "shouldnt": ("should", "not"),
})
_SPELT_OUT = MappingProxyType({words: contraction for contraction, words in CONTRACTIONS.items()})


def other_spellings(words: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """An entry's words with each contraction spelt out, and each spelt-out pair contracted (one at a time)."""
    found = []
    for index, word in enumerate(words):
        if word in CONTRACTIONS:
            found.append((*words[:index], *CONTRACTIONS[word], *words[index + 1:]))
        pair = words[index:index + 2]
        if pair in _SPELT_OUT:
            found.append((*words[:index], _SPELT_OUT[pair], *words[index + 2:]))
    return tuple(variant for variant in found if len(variant) <= MAX_ENTRY_WORDS and variant[0] != ANY_WORD)


def _entries(file: TomlFile, key: str, concept: str) -> list[Entry]:
    entries: dict[tuple[str, ...], Entry] = {}
    for raw in file.strings(key):
        words = _entry_words(raw)
        if not words or len(words) > MAX_ENTRY_WORDS:
            raise file.error(key, f"entry {raw!r} must have 1 to {MAX_ENTRY_WORDS} words", f'"{raw}"')
        if words[0] == ANY_WORD:
            raise file.error(key, f"entry {raw!r} cannot start with *", f'"{raw}"')
        plain = not any(word in (ANY_WORD, NUMBER, MANY) or word.endswith("*") for word in words)
        # An entry listed in both spellings is one entry, so a concept is not found twice at one place.
        entries.update((spelling, Entry(concept, spelling, plain)) for spelling in (words, *other_spellings(words)) if spelling not in entries)
    return list(entries.values())


def _integer(file: TomlFile, key: str, low: int, high: int) -> int:
    value = file.number(key, low, high)
    if value != int(value):
        raise file.error(key, f"must be a whole number, found {value!r}")
    return int(value)


def _family(file: TomlFile, index: int, raw: object, concepts: set[str]) -> Family:
    key = f"family[{index}]"
    if not isinstance(raw, dict):
        raise file.error(key, "must be a table with name, category, requires, window and weight", "[[family]]")
    known = ("name", "category", "requires", "window", "weight")
    for name in raw:
        if name not in (*known, "confirm", "unless"):
            raise file.error(f"{key}.{name}", f"unknown key; known keys: {', '.join(known)}, confirm, unless", f"{name} =")
    for name in known:
        if name not in raw:
            raise file.error(f"{key}.{name}", "is missing", "[[family]]")
    name = raw["name"]
    if not isinstance(name, str) or not name.isidentifier():
        raise file.error(f"{key}.name", f"must be a name like suicide_plan, found {name!r}", str(name))
    key = f"family.{name}"
    if raw["category"] not in [category.value for category in DANGER]:
        raise file.error(f"{key}.category", f"must be safeguarding or urgent_care, found {raw['category']!r}", f'name = "{name}"')
    requires = raw["requires"]
    if not isinstance(requires, list) or not requires or not all(isinstance(group, str) for group in requires):
        raise file.error(f"{key}.requires", "must be a non-empty list of concept names (\"a|b\" for either)", f'name = "{name}"')
    groups = []
    for group in requires:
        names = frozenset(part.strip() for part in group.split("|"))
        unknown = sorted(names - concepts)
        if unknown:
            raise file.error(f"{key}.requires", f"unknown concept {unknown[0]!r}; concepts: {', '.join(sorted(concepts))}", f'name = "{name}"')
        groups.append(names)
    window, weight = raw["window"], raw["weight"]
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= MAX_WINDOW:
        raise file.error(f"{key}.window", f"must be a whole number of words from 1 to {MAX_WINDOW}, found {window!r}", f'name = "{name}"')
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0.0 < weight <= 1.0:
        raise file.error(f"{key}.weight", f"must be a number above 0 and at most 1, found {weight!r}", f'name = "{name}"')
    confirm = raw.get("confirm", False)
    if not isinstance(confirm, bool):
        raise file.error(f"{key}.confirm", f"must be true or false, found {confirm!r}", f'name = "{name}"')
    unless = raw.get("unless", [])
    if not isinstance(unless, list) or not all(isinstance(concept, str) for concept in unless):
        raise file.error(f"{key}.unless", "must be a list of concept names", f'name = "{name}"')
    unknown = sorted(set(unless) - concepts)
    if unknown:
        raise file.error(f"{key}.unless", f"unknown concept {unknown[0]!r}; concepts: {', '.join(sorted(concepts))}", f'name = "{name}"')
    return Family(name, Category(raw["category"]), tuple(groups), window, float(weight), confirm, frozenset(unless))


def load_cues(directory: Path) -> CueBook:
    """Read and check danger_cues.toml; any problem is a ConfigError naming the file, line and key."""
    file = TomlFile(directory / FILE)
    concept_table = file.value("concepts")
    if not isinstance(concept_table, dict) or not concept_table:
        raise file.error("concepts", "must be a table of concept = [wordings]")
    entries: list[Entry] = []
    for concept in concept_table:
        entries.extend(_entries(file, f"concepts.{concept}", concept))
    for guard in ("idioms", "past", "present", "talk_about", "joking"):
        entries.extend(_entries(file, f"guards.{guard}", f"guard:{guard}"))
    raw_families = file.value("family")
    if not isinstance(raw_families, list) or not raw_families:
        raise file.error("family", "must be a list of [[family]] tables")
    families = [_family(file, index, raw, set(concept_table)) for index, raw in enumerate(raw_families)]
    names = [family.name for family in families]
    for name in names:
        if names.count(name) > 1:
            raise file.error(f"family.{name}", "is defined twice", f'name = "{name}"')
    caps: dict[tuple[str, Category], float] = {}
    for guard, concept in CAPPED_GUARDS.items():
        for category in DANGER:
            caps[(concept, category)] = file.number(f"caps.{guard}.{category.value}", 0.0, 1.0)
    by_first: dict[str, list[Entry]] = {}
    by_pair: dict[tuple[str, str], list[Entry]] = {}
    by_prefix: dict[str, list[Entry]] = {}
    by_number: list[Entry] = []
    for entry in entries:
        first = entry.words[0]
        if first in (NUMBER, MANY):
            by_number.append(entry)
        elif first.endswith("*"):
            by_prefix.setdefault(first[:-1], []).append(entry)
        elif len(entry.words) > 1 and entry.words[1] not in (ANY_WORD, NUMBER, MANY) and not entry.words[1].endswith("*"):
            by_pair.setdefault((first, entry.words[1]), []).append(entry)
        else:
            by_first.setdefault(first, []).append(entry)
    families_of: dict[str, list[int]] = {}
    for index, family in enumerate(families):
        for concept in {name for group in family.groups for name in group}:
            families_of.setdefault(concept, []).append(index)
    return CueBook(
        by_first_word=MappingProxyType({word: tuple(found) for word, found in by_first.items()}),
        by_first_pair=MappingProxyType({pair: tuple(found) for pair, found in by_pair.items()}),
        by_prefix=MappingProxyType({prefix: tuple(found) for prefix, found in by_prefix.items()}),
        prefix_sizes=tuple(sorted({len(prefix) for prefix in by_prefix})),
        by_number=tuple(by_number),
        families=tuple(families),
        families_of=MappingProxyType({concept: tuple(indices) for concept, indices in families_of.items()}),
        negation=frozenset(file.strings("guards.negation")),
        negation_reach=_integer(file, "guards.negation_reach", 0, 5),
        reach=_integer(file, "guards.reach", 0, MAX_WINDOW),
        present_before=_integer(file, "guards.present_before", 0, 10),
        present_after=_integer(file, "guards.present_after", 0, 10),
        caps=MappingProxyType(caps),
        joking_marks=emoji_marks(file, "guards.joking_marks", "`joking`"),
    )


def emoji_marks(file: TomlFile, key: str, words_belong_in: str) -> tuple[str, ...]:
    """Marks read from the raw text (emoji), which the normalised words drop: no letter or digit in one.
    `words_belong_in` names where a word listed here should go instead (the error line says so)."""
    marks = file.strings(key, allow_empty=True)
    for mark in marks:
        if prepare(mark).words or any(character.isalnum() for character in mark):
            raise file.error(key, f"entry {mark!r} must be an emoji or a symbol: words belong in {words_belong_in}", f'"{mark}"')
    return marks


def mark_positions(text: str, token_starts: list[int], book: CueBook) -> tuple[int, ...]:
    """The word positions of the joking marks in `text`: each at the word it follows (the emoji closes
    what was just said). One scan of the text per mark, so linear in the message."""
    positions = []
    for mark in book.joking_marks:
        at = text.find(mark)
        while at != -1:
            positions.append(max(0, bisect.bisect_right(token_starts, at) - 1))
            at = text.find(mark, at + len(mark))
    return tuple(positions)


def _word_fits(pattern: str, word: str) -> bool:
    if pattern == ANY_WORD:
        return True
    if pattern == NUMBER:
        return word.isdigit()
    if pattern == MANY:
        return word.isdigit() and len(word) <= 6 and int(word) >= MANY_FROM
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return pattern == word


def find_concepts(words: tuple[str, ...], book: CueBook) -> dict[str, list[tuple[int, int]]]:
    """Every concept's occurrences (start, end word index, end exclusive), in order: one pass."""
    found: dict[str, list[tuple[int, int]]] = {}
    by_first, by_pair, by_prefix = book.by_first_word, book.by_first_pair, book.by_prefix
    last = len(words) - 1
    for index, word in enumerate(words):
        candidates = by_first.get(word, ())
        if index < last:
            candidates = candidates + by_pair.get((word, words[index + 1]), ())
        if word.isdigit():
            candidates = candidates + book.by_number
        for size in book.prefix_sizes:
            if len(word) >= size and word[:size] in by_prefix:
                candidates = candidates + by_prefix[word[:size]]
        for entry in candidates:
            if entry.fits(words, index):
                found.setdefault(entry.concept, []).append((index, index + len(entry.words)))
    return found


def _kept(found: dict[str, list[tuple[int, int]]], words: tuple[str, ...], book: CueBook) -> dict[str, list[tuple[int, int]]]:
    """The concept occurrences that count: none inside an idiom, none just after a negation word."""
    covered = bytearray(len(words))
    for start, end in found.get(IDIOM, ()):
        covered[start:end] = b"\x01" * (end - start)
    kept: dict[str, list[tuple[int, int]]] = {}
    for concept, places in found.items():
        if concept.startswith("guard:"):
            continue
        for start, end in places:
            if any(covered[start:end]):
                continue
            if negated(words, book, start):
                continue
            kept.setdefault(concept, []).append((start, end))
    return kept


def _smallest_window(family: Family, kept: Mapping[str, list[tuple[int, int]]]) -> tuple[int, int, tuple[tuple[str, int, int], ...]] | None:
    """The first span holding one occurrence of each group within the family's window, if any.

    One sweep over the occurrences in order, remembering the latest occurrence of each group: the
    span ending at an occurrence is shortest when it starts at the earliest of those latest ones.
    """
    events = sorted(
        (start, end, group, concept)
        for group, names in enumerate(family.groups)
        for concept in names
        for start, end in kept.get(concept, ())
    )
    latest: list[tuple[int, int, str] | None] = [None] * len(family.groups)
    for start, end, group, concept in events:
        latest[group] = (start, end, concept)
        if all(place is not None for place in latest):
            places = [place for place in latest if place is not None]
            first = min(place[0] for place in places)
            # Each group reads its own words: "my daughter" is not both who harms and who is harmed.
            if start - first <= family.window and _apart(places):
                return first, max(place[1] for place in places), tuple((name, begin, finish) for begin, finish, name in places)
    return None


def _apart(places: list[tuple[int, int, str]]) -> bool:
    """Whether no two of these occurrences share a word."""
    spans = sorted(place[:2] for place in places)
    return all(spans[index][1] <= spans[index + 1][0] for index in range(len(spans) - 1))


def _near(places: list[int], low: int, high: int) -> bool:
    """Whether any of the sorted positions lies in [low, high]."""
    index = bisect.bisect_left(places, low)
    return index < len(places) and places[index] <= high


@dataclass(frozen=True, slots=True)
class Reading:
    """One message read against the book: the concepts that count and where the guards sit."""

    kept: Mapping[str, list[tuple[int, int]]]
    idiom_words: frozenset[int]  # indices of words inside an idiom
    guard_starts: Mapping[str, list[int]]  # guard concept -> sorted start positions


def read(words: tuple[str, ...], book: CueBook, marks: tuple[int, ...] = ()) -> Reading:
    """The one pass over a message's words, for `hits` and `guard_at`; `marks`: where joking marks sit
    (`mark_positions`)."""
    found = find_concepts(words, book)
    idiom_words = frozenset(index for start, end in found.get(IDIOM, ()) for index in range(start, end))
    starts = {guard: sorted(start for start, _ in found.get(guard, ())) for guard in (PAST, TALK, JOKE)}
    if marks:
        starts[JOKE] = sorted((*starts[JOKE], *marks))
    # "now" in "fine now" is part of the past, not a sign of the present.
    in_past = {index for start, end in found.get(PAST, ()) for index in range(start, end)}
    starts[PRESENT] = sorted(start for start, _ in found.get(PRESENT, ()) if start not in in_past)
    return Reading(MappingProxyType(_kept(found, words, book)), idiom_words, MappingProxyType(starts))


def guard_at(reading: Reading, book: CueBook, start: int, end: int) -> str:
    """The guard that applies to a match at words [start, end): past, talk about, joking, or ""."""
    starts = reading.guard_starts
    low, high = start - book.reach, end + book.reach
    if _near(starts[PAST], low, high) and not _near(starts[PRESENT], start - book.present_before, end + book.present_after - 1):
        return PAST
    if _near(starts[TALK], low, high):
        return TALK
    if _near(starts[JOKE], low, high):
        return JOKE
    return ""


def negated(words: tuple[str, ...], book: CueBook, start: int) -> bool:
    """Whether a negation word comes just before word `start` ("no chest pain", "isn't fitting")."""
    return any(word in book.negation for word in words[max(0, start - book.negation_reach) : start])


def capped(book: CueBook, guard: str, category: Category, weight: float) -> float:
    """`weight`, lowered to the guard's cap for the category when a guard applies."""
    return min(weight, book.caps[(guard, category)]) if guard else weight


def hits(reading: Reading, book: CueBook) -> tuple[Hit, ...]:
    """Every family that fires in the message, each capped by the guard that applies to it."""
    if not reading.kept:
        return ()
    found = []
    present = reading.kept.keys()
    # Only the families that require a concept found here can fire: most messages find none.
    for index in sorted({index for concept in present for index in book.families_of.get(concept, ())}):
        family = book.families[index]
        if not all(not group.isdisjoint(present) for group in family.groups):
            continue
        window = _smallest_window(family, reading.kept)
        if window is None:
            continue
        start, end, concepts = window
        if family.unless and any(start - family.window <= place < end + family.window
                                 for concept in family.unless for place, _ in reading.kept.get(concept, ())):
            continue
        guard = guard_at(reading, book, start, end)
        score = capped(book, guard, family.category, family.weight)
        if score > 0.0:
            found.append(Hit(family, start, end, score, concepts, guard.removeprefix("guard:")))
    return tuple(found)


def combined_score(hits: tuple[Hit, ...]) -> float:
    """How sure the hits of one category make us together.

    Different unguarded families add up as independent signs (1 - (1-a)(1-b)...): a goodbye and
    given-away belongings are more than either alone. A guarded family never adds up with others
    (two mentions in a talk about suicide prevention are still talk); it keeps its capped score.
    """
    free = [hit.score for hit in hits if not hit.guard]
    together = 1.0 - math.prod(1.0 - score for score in free) if free else 0.0
    guarded = max((hit.score for hit in hits if hit.guard), default=0.0)
    return round(min(0.99, max(together, guarded)), 4)
