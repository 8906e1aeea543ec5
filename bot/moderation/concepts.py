"""Concept cues: families of words and phrases, and combinations of them a few words apart.

People rarely use the exact phrase a list expects: "bring a machete next time" names a weapon and
a time, not "I will kill". So a cue is a *combination* of concepts (a weapon or an act of harm,
then a target or an intent), each concept a family of words and short phrases staff can extend
in config/moderation without writing a regular expression. A combination counts only inside one
clause (a sentence stop or a listed breaker such as "who" or "but" ends it), with its steps at
most `window` words apart, and none right after a negation ("I would never hurt anyone").

Cost is linear in the message: one pass over the normalised words collects where each family's
phrases start (a dictionary lookup per word, phrases of at most MAX_PHRASE_WORDS words), then one
pass over those occurrences per combination keeps only the latest partial chain for each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from bot.moderation.config import TomlFile
from bot.moderation.text import prepare

if TYPE_CHECKING:
    from bot.moderation.message import Message

MAX_PHRASE_WORDS = 6
MAX_STEPS = 4
# Characters between two words that end a clause (a full stop only before a space: not in "£1.20").
_CLAUSE_STOPS = frozenset("!?;\n")
# Words `text.prepare` puts for a link and an @handle, listed as they are.
PLACEHOLDERS = frozenset({"<url>", "<user>"})
# The family whose phrases hide their words from every other family ("knife crime", "fake news").
IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class Combo:
    """One cue: a phrase of each step's families, in order, each at most `window` words after the
    previous one; `either_order` (two steps only) also accepts the second step first;
    `across_sentences` lets a step sit in a later clause (an SMS scam puts its link in the next
    sentence: "Your parcel is held. Pay the fee at <url>"), the window still bounding it."""

    id: str
    steps: tuple[frozenset[str], ...]
    window: int
    either_order: bool
    across_sentences: bool = False


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One family phrase in a message: word positions [start, end), and whether a negation precedes it."""

    family: str
    start: int
    end: int
    negated: bool


@dataclass(frozen=True, slots=True)
class CueMatch:
    combo: str
    parts: tuple[Occurrence, ...]

    def describe(self, words: tuple[str, ...]) -> str:
        """For staff: "weapon 'machete' + intent 'next time'"."""
        return " + ".join(f"{part.family} {' '.join(words[part.start:part.end])!r}" for part in self.parts)


Phrase = tuple[tuple[str, ...], str]  # a family phrase's words, and its family


@dataclass(frozen=True, slots=True)
class Cues:
    # first word -> (phrase words, family) of every phrase starting with it
    phrases: Mapping[str, tuple[Phrase, ...]]
    combos: tuple[Combo, ...]
    breakers: frozenset[str]
    negations: frozenset[str]
    negation_reach: int
    # family -> words after which its phrase is a noun, not an act ("a burn", "the shot")
    not_after: Mapping[str, frozenset[str]]
    # Built from `phrases` and `combos` by `load_cues`, so a message is matched without trying what
    # cannot fit. (first, second word) -> the phrases starting with the first word that can match
    # there: its one-word phrases and those whose second word it is, in `phrases` order; a common
    # first word ("my", "you") starts dozens of phrases.
    by_pair: Mapping[tuple[str, str], tuple[Phrase, ...]]
    # first word -> its one-word phrases, where the next word is the second word of none of its phrases
    singles: Mapping[str, tuple[Phrase, ...]]
    # family -> indices of the combos whose first step holds it: only they can match a message
    # holding it (a combo needs a family of each step, the first step's too).
    combos_of: Mapping[str, tuple[int, ...]]


def load_cues(file: TomlFile, section: str, lexicon: frozenset[str] = frozenset()) -> Cues:
    """Read `[section]` (families, combos, breakers, negations) of a moderation file; errors name file, key and line."""
    families = file.value(f"{section}.families")
    if not isinstance(families, dict) or not families:
        raise file.error(f"{section}.families", "must be a table of family = [words and phrases]")
    phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for family in families:
        for phrase in file.strings(f"{section}.families.{family}"):
            words = (phrase,) if phrase in PLACEHOLDERS else prepare(phrase, lexicon).words
            if not words or len(words) > MAX_PHRASE_WORDS:
                raise file.error(f"{section}.families.{family}", f"{phrase!r} must be 1 to {MAX_PHRASE_WORDS} words", f'"{phrase}"')
            phrases.setdefault(words[0], []).append((words, family))
    raw_combos = file.value(f"{section}.combos")
    if not isinstance(raw_combos, list) or not raw_combos:
        raise file.error(f"{section}.combos", f"must be one or more [[{section}.combos]] tables", "combos")
    combos: list[Combo] = []
    for number, raw in enumerate(raw_combos):
        key = f"{section}.combos[{number}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
            raise file.error(f"{key}.id", "must be a non-empty string", "[[")
        steps = raw.get("steps")
        if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS or not all(isinstance(s, list) and s for s in steps):
            raise file.error(f"{key}.steps", f"must be 1 to {MAX_STEPS} non-empty lists of family names", raw["id"])
        for step in steps:
            for name in step:
                if name not in families or name == IGNORE:
                    raise file.error(f"{key}.steps", f"names {name!r}, which is not a family of [{section}.families]", raw["id"])
        window = raw.get("window", 4)
        if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= 20:
            raise file.error(f"{key}.window", f"must be a whole number of words from 0 to 20, found {window!r}", raw["id"])
        either = raw.get("either_order", False)
        if not isinstance(either, bool) or (either and len(steps) != 2):
            raise file.error(f"{key}.either_order", "must be true or false, and true only for two steps", raw["id"])
        across = raw.get("across_sentences", False)
        if not isinstance(across, bool):
            raise file.error(f"{key}.across_sentences", f"must be true or false, found {across!r}", raw["id"])
        combos.append(Combo(raw["id"], tuple(frozenset(step) for step in steps), window, either, across))
    not_after_raw = file.value(f"{section}.not_after")
    if not isinstance(not_after_raw, dict):
        raise file.error(f"{section}.not_after", "must be a table of family = [words]")
    for family in not_after_raw:
        if family not in families:
            raise file.error(f"{section}.not_after", f"names {family!r}, which is not a family of [{section}.families]", family)
    pairs = {(first, words[1]) for first, found in phrases.items() for words, _ in found if len(words) > 1}
    combos_of: dict[str, list[int]] = {}
    for index, combo in enumerate(combos):
        for family in combo.steps[0]:
            combos_of.setdefault(family, []).append(index)
    return Cues(
        phrases=MappingProxyType({first: tuple(found) for first, found in phrases.items()}),
        combos=tuple(combos),
        breakers=frozenset(word.lower() for word in file.strings(f"{section}.breakers")),
        negations=frozenset(word.lower() for word in file.strings(f"{section}.negations")),
        negation_reach=int(file.number(f"{section}.negation_reach", 0, 10)),
        not_after=MappingProxyType({family: frozenset(w.lower() for w in file.strings(f"{section}.not_after.{family}")) for family in not_after_raw}),
        by_pair=MappingProxyType({(first, second): tuple(found for found in phrases[first] if len(found[0]) == 1 or found[0][1] == second)
                                  for first, second in pairs}),
        singles=MappingProxyType({first: tuple(found for found in phrases[first] if len(found[0]) == 1) for first in phrases}),
        combos_of=MappingProxyType({family: tuple(indices) for family, indices in combos_of.items()}),
    )


def family_features(families: frozenset[str], mark: str) -> list[str]:
    """One model feature per cue family a message holds, combined or not ("#weapon", "$offer"), `mark`
    telling it from a word: the model learns what a family means from all of its words, so a word the
    training rows used once ("crossbow", "semaglutide"), or one staff add to the family later, weighs
    like its family."""
    return [mark + family for family in sorted(families)]


def family_pair_features(pairs: frozenset[tuple[str, str]], mark: str) -> list[str]:
    """One model feature per two cue families held in one clause ("#harm&target", from
    `families_by_clause`): a family alone is weak evidence (a word of harm is in slang and sport, a
    member of staff in every complaint), two beside each other say more, and the model learns by
    how much from every training row that holds that pair, whatever its words."""
    return [f"{mark}{first}&{second}" for first, second in sorted(pairs)]


def families_by_clause(cues: Cues, message: Message, ignored: list[bool]) -> frozenset[tuple[str, str]]:
    """Each two cue families (in name order) whose phrases share a clause, not negated: "I hope she is
    ok. Stabbed by a thorn, the nurse said" holds a wish, a person and a harm, but in no one clause.
    `ignored` as `read_cues` gives it back. Read again only for a message holding two families or more."""
    words = message.words
    clause_of = clauses(message, cues.breakers)
    in_clause: dict[int, set[str]] = {}
    for occurrence in occurrences(cues, words, _spots(cues, words, list(ignored)), clause_of, ignored):
        if not occurrence.negated:
            in_clause.setdefault(clause_of[occurrence.start], set()).add(occurrence.family)
    return frozenset((first, second) for families in in_clause.values() for first in families for second in families if first < second)


def clauses(message: Message, breakers: frozenset[str]) -> list[int]:
    """Each word's clause number: a new clause after ". ", "!", "?", ";" or a line break, and at a
    breaker word ("hope the nurse who hurt me is ok" wishes no harm)."""
    tokens = message.prepared.tokens
    text = message.text
    numbers = []
    clause = 0
    for index, token in enumerate(tokens):
        # From the previous word's last character: a word can end in its own "!" ("heal!").
        gap = text[tokens[index - 1].end - 1 : token.start] if index else ""
        if index and (token.word in breakers or not _CLAUSE_STOPS.isdisjoint(gap) or ". " in gap):
            clause += 1
        numbers.append(clause)
    return numbers


def idiom_words(message: Message) -> list[bool]:
    """Whether each word lies in a safe idiom that `read_message` blanked out ("this queue is killing me")."""
    flags = []
    offset = 0
    for word in message.words:
        flags.append(message.masked[offset : offset + 1] == " ")
        offset += len(word) + 1
    return flags


def _spots(cues: Cues, words: tuple[str, ...], ignored: list[bool]) -> list[tuple[int, int, str]]:
    """(start, end, family) of every family phrase in `words`, in order of start; the words of the
    ignored family's phrases are flagged in `ignored` (which already flags safe idioms)."""
    found: list[tuple[int, int, str]] = []
    phrases, by_pair, singles = cues.phrases, cues.by_pair, cues.singles
    last = len(words) - 1
    for start, word in enumerate(words):
        if word not in phrases:  # most words start no phrase
            continue
        following = words[start + 1] if start < last else ""
        for phrase, family in by_pair.get((word, following)) or singles[word]:
            end = start + len(phrase)
            if end == start + 1 or words[start:end] == phrase:
                if family == IGNORE:
                    for position in range(start, end):
                        ignored[position] = True
                else:
                    found.append((start, end, family))
    return found


def occurrences(cues: Cues, words: tuple[str, ...], spots: list[tuple[int, int, str]], clause_of: list[int], ignored: list[bool]) -> list[Occurrence]:
    """The `spots` that count: none on an ignored word, none that reads as a noun (`not_after`),
    each marked negated when a negation precedes it in its clause."""
    result = []
    last_negation = -1_000
    negations_at = [index for index, word in enumerate(words) if word in cues.negations]
    next_negation = 0
    for start, end, family in spots:
        if any(ignored[start:end]):
            continue
        while next_negation < len(negations_at) and negations_at[next_negation] < start:
            last_negation = negations_at[next_negation]
            next_negation += 1
        if start and words[start - 1] in cues.not_after.get(family, ()):
            continue
        negated = start - last_negation <= cues.negation_reach and clause_of[last_negation] == clause_of[start]
        result.append(Occurrence(family, start, end, negated))
    return result


def _chain(steps: tuple[frozenset[str], ...], window: int, found: list[Occurrence], clause_of: list[int],
           across_sentences: bool = False) -> tuple[Occurrence, ...] | None:
    """The first chain of occurrences, one per step in order, each at most `window` words after the
    last and, unless `across_sentences`, in its clause."""
    latest: list[tuple[Occurrence, ...] | None] = [None] * len(steps)
    for occurrence in found:
        if occurrence.negated:
            continue
        for step in range(len(steps) - 1, -1, -1):
            if occurrence.family not in steps[step]:
                continue
            if step == 0:
                latest[0] = (occurrence,)
                continue
            before = latest[step - 1]
            if before is None:
                continue
            last = before[-1]
            if 0 <= occurrence.start - last.end <= window and (across_sentences or clause_of[last.start] == clause_of[occurrence.start]):
                latest[step] = before + (occurrence,)
        if latest[-1] is not None:
            return latest[-1]
    return None


def find_cues(cues: Cues, message: Message) -> tuple[CueMatch, ...]:
    """Every combination of `cues` that `message` holds (at most one match per combination)."""
    return read_cues(cues, message)[0]


def read_cues(cues: Cues, message: Message) -> tuple[tuple[CueMatch, ...], frozenset[str], list[bool]]:
    """`find_cues`; the families any of whose phrases the message holds, combined or not; and
    whether each word lies in a safe idiom or an `ignore` phrase ("burn off", "knife crime")."""
    words = message.words
    ignored = idiom_words(message) if message.masked != message.joined else [False] * len(words)
    spots = _spots(cues, words, ignored)
    if not spots:  # most messages: nothing more to read
        return (), frozenset(), ignored
    clause_of = clauses(message, cues.breakers)
    found = occurrences(cues, words, spots, clause_of, ignored)
    present = frozenset(occurrence.family for occurrence in found if not occurrence.negated)
    matches = []
    for index in sorted({index for family in present for index in cues.combos_of.get(family, ())}):
        combo = cues.combos[index]
        if any(step.isdisjoint(present) for step in combo.steps[1:]):
            continue
        chain = _chain(combo.steps, combo.window, found, clause_of, combo.across_sentences)
        if chain is None and combo.either_order:
            chain = _chain(combo.steps[::-1], combo.window, found, clause_of, combo.across_sentences)
        if chain is not None:
            matches.append(CueMatch(combo.id, chain))
    return tuple(matches), present, ignored
