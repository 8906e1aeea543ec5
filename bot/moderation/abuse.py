"""Abuse: swearing, insults and harassment, by word lists and a trained model together.

Evasion is undone by the shared normalisation (`text.prepare`). What the check refuses to count:
medical and anatomical words (they are removed from the model's evidence and are never listed),
British idioms (masked before anything looks), and abuse a person is *reporting* ("he called the
nurse a 'stupid cow'"), whose quoted words are not theirs. The model alone never calls abuse
a message with no listed word unless it is aimed at someone, reports nobody else's words and
repeats no known false health claim (that is misinformation, for staff to answer). Mild swearing alone is never abuse:
frustration about a service is a complaint. Insults count only when aimed at a person. Strong
swearing aimed at no one is found as `abuse.swearing`, which the policy redirects without hiding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding, Span
from bot.moderation.claims import best_claim
from bot.moderation.concepts import Cues, find_cues, load_cues
from bot.moderation.config import TomlFile
from bot.moderation.lexicon import strong_swearing
from bot.moderation.linear import LinearModel
from bot.moderation.text import Token, features

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "abuse.toml"
VERSION = "abuse-2"
# How many words before an insult (or after it) a target such as "you" or "nurse" may be.
TARGET_WINDOW_BEFORE = 4
TARGET_WINDOW_AFTER = 2
# The score of listed swearing aimed at no one; a slur, aimed swearing, an insult or an emoji scores more.
UNAIMED_SWEARING_SCORE = 0.75
# The check name of a finding that is swearing aimed at no one (config/policy.toml redirects it without hiding).
SWEARING = "abuse.swearing"
# The check name of name-calling aimed at no one present ("the muppet who designed this form"), redirected like it.
NAME_CALLING = "abuse.name_calling"
QUOTE_MARKS = frozenset("\"'“”‘’")
_QUOTED = re.compile(r"\"[^\"]{1,200}\"|“[^”]{1,200}”|‘[^’]{1,200}’|(?<!\w)'[^']{1,200}'(?!\w)")
_CALLED = re.compile(r"\bcalled (?:me|him|her|us|them|you(?: lot| all)?|my \w+|the \w+|our \w+|your \w+)(?: an?)?((?: \w+){1,3})")


@dataclass(frozen=True, slots=True)
class AbuseData:
    strong: frozenset[str]
    mild: frozenset[str]
    insults: frozenset[str]
    name_calling: frozenset[str]
    nobody_named: frozenset[str]
    slurs: frozenset[str]
    emoji: tuple[str, ...]
    targets: frozenset[str]
    aimed_after: frozenset[str]
    reporting: re.Pattern[str]
    medical: frozenset[str]
    model: LinearModel
    model_threshold: float
    model_with_word_threshold: float
    # Demeaning generalisations about a group ("send the lot of them back"): abuse.toml [cues].
    cues: Cues
    # Built from the lists above: a message with none of these words skips the word-by-word pass.
    listed: frozenset[str] = field(init=False, repr=False, compare=False)  # slurs, strong swearing, insults, name-calling
    kept_from_model: frozenset[str] = field(init=False, repr=False, compare=False)  # medical, mild, insults, name-calling

    def __post_init__(self) -> None:
        object.__setattr__(self, "listed", self.slurs | self.strong | self.insults | self.name_calling)
        object.__setattr__(self, "kept_from_model", self.medical | self.mild | self.insults | self.name_calling)


def load_abuse(directory: Path, medical: frozenset[str], model: LinearModel, lexicon: frozenset[str] = frozenset()) -> AbuseData:
    file = TomlFile(directory / FILE)

    def words(key: str) -> frozenset[str]:
        return frozenset(w.lower() for w in file.strings(key))

    return AbuseData(
        strong=strong_swearing(file),
        mild=words("abuse.mild"),
        insults=words("abuse.insults"),
        name_calling=words("abuse.name_calling"),
        nobody_named=words("abuse.nobody_named"),
        slurs=words("abuse.slurs"),
        emoji=file.strings("abuse.emoji"),
        targets=words("abuse.targets"),
        aimed_after=words("abuse.aimed_after"),
        reporting=file.regex("reporting.patterns", file.strings("reporting.patterns")),
        medical=medical,
        model=model,
        model_threshold=file.number("thresholds.model", 0.01, 0.999),
        model_with_word_threshold=file.number("thresholds.model_with_word", 0.01, 0.999),
        cues=load_cues(file, "cues", lexicon),
    )


def reported_ranges(message: Message, data: AbuseData) -> list[tuple[int, int]]:
    """Character ranges of the original text that quote someone else's words, when being reported."""
    if not message.search(data.reporting, message.joined):
        return []
    ranges = [(m.start(), m.end()) for m in _QUOTED.finditer(message.text)]
    words = message.prepared.tokens
    # Map the called-words back to tokens by counting the words before each match, carrying the
    # count on from the previous match so the text is counted through once, not once per match.
    counted_to, spaces = 0, 0
    for match in _CALLED.finditer(message.joined):
        spaces += message.joined.count(" ", counted_to, match.start(1))
        counted_to = match.start(1)
        first = spaces + 1
        count = len(match.group(1).split())
        if first < len(words):
            last = min(first + count, len(words)) - 1
            ranges.append((words[first].start, words[last].end))
    return ranges


def _own_tokens(message: Message, ranges: list[tuple[int, int]]) -> list[Token]:
    """The tokens that are the author's own words: not inside a safe idiom, not a reported quote."""
    if not ranges and message.masked == message.joined:  # the common case: no idiom, nothing quoted
        return list(message.prepared.tokens)
    # Tokens come in order of their start, so one pass over the ranges sorted by start, keeping the
    # furthest end reached by a range that starts at or before the token, tells whether a range holds it.
    ordered = sorted(ranges)
    next_range, reach = 0, -1
    own = []
    position = 0
    for token in message.prepared.tokens:
        in_idiom = message.masked[position : position + len(token.word)] != token.word
        position += len(token.word) + 1
        while next_range < len(ordered) and ordered[next_range][0] <= token.start:
            reach = max(reach, ordered[next_range][1])
            next_range += 1
        if in_idiom or token.start < reach:
            continue
        own.append(token)
    return own


def _directed(words: list[str], index: int, targets: frozenset[str]) -> bool:
    window = words[max(0, index - TARGET_WINDOW_BEFORE) : index] + words[index + 1 : index + 1 + TARGET_WINDOW_AFTER]
    return any(word in targets for word in window)


def _names_someone(tokens: list[Token], words: list[str], index: int, text: str, abuse: AbuseData) -> bool:
    """Whether the name-calling at `index` names someone: not the writer, not an unknown someone,
    not the word quoted ("is 'muppet' classed as abuse?")."""
    token = tokens[index]
    edges = text[max(0, token.start - 1) : token.start + 1] + text[token.end - 1 : token.end + 1]
    return QUOTE_MARKS.isdisjoint(edges) and abuse.nobody_named.isdisjoint(words[max(0, index - TARGET_WINDOW_BEFORE) : index])


def _states_claim(message: Message, data: ModerationData) -> bool:
    score, claim, _ = best_claim(message.words, data.claims)
    return claim is not None and score >= data.claims.similarity


def check_abuse(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    abuse = data.abuse
    reported = reported_ranges(message, abuse)
    tokens = _own_tokens(message, reported)
    words = [token.word for token in tokens]
    evidence: list[tuple[float, str, str, Token]] = []
    swore = names_called = False
    for index, token in enumerate(tokens if not abuse.listed.isdisjoint(words) else ()):
        word = token.word
        if word in abuse.slurs:
            evidence.append((0.95, "abuse.wordlist", f"slur {word!r}", token))
        elif word in abuse.strong:
            aimed = _directed(words, index, abuse.targets) or (index + 1 < len(words) and words[index + 1] in abuse.aimed_after)
            evidence.append((0.95 if aimed else UNAIMED_SWEARING_SCORE, "abuse.wordlist", f"swearing{' aimed at a person' if aimed else ''}: {word!r}", token))
            swore = True
        elif word in abuse.insults and _directed(words, index, abuse.targets):
            evidence.append((0.85, "abuse.wordlist", f"insult aimed at a person: {word!r}", token))
        elif word in abuse.name_calling and _names_someone(tokens, words, index, message.text, abuse):
            # Aimed at the reader or a member of staff it is an insult; at someone absent ("the muppet
            # who designed this form") it breaks the rules like swearing at nobody: redirected, not hidden.
            aimed = _directed(words, index, abuse.targets)
            evidence.append((0.85 if aimed else UNAIMED_SWEARING_SCORE, "abuse.wordlist", f"name-calling{' aimed at a person' if aimed else ''}: {word!r}", token))
            names_called = True
    # A group demeaned: no listed word is needed, and no "you" ("these africans bringing diseases
    # in"). Not when the message talks about such abuse (reporting it, or naming racism).
    if not message.search(abuse.reporting, message.joined):
        evidence.extend((0.85, f"abuse.cue.{cue.combo}", f"cues: {cue.describe(message.words)}", message.prepared.tokens[cue.parts[0].start])
                        for cue in find_cues(abuse.cues, message)[:1])
    for symbol in abuse.emoji:
        position = message.text.find(symbol)
        if position >= 0:
            evidence.append((0.8, "abuse.wordlist", f"abusive emoji {symbol}", Token(symbol, position, position + len(symbol))))
    # Without a listed word, the model's verdict counts only for words aimed at someone (harassment
    # is addressed to a person) and never for a report of what someone else said: then it is not asked.
    addressed = any(word in abuse.targets for word in words)
    if not evidence and (not addressed or reported):
        return ()
    # The model may not use what the lists rule out as evidence: medical words, mild swearing, and
    # insults not aimed at a person ("the booking system is stupid").
    model_words = words if abuse.kept_from_model.isdisjoint(words) else [
        word for index, word in enumerate(words)
        if word not in abuse.medical and word not in abuse.mild
        and not (word in abuse.insults and not _directed(words, index, abuse.targets))
        and not (word in abuse.name_calling and not _names_someone(tokens, words, index, message.text, abuse))
    ]
    # Usually nothing is ruled out, and the message's own features are the model's evidence as they are.
    word_feats = message.feats if len(model_words) == len(message.words) else features(model_words)
    model_feats = abuse.model.features_for(model_words, word_feats)
    model_score = abuse.model.score(model_feats) if model_words else 0.0
    if evidence:
        best = max(evidence, key=lambda item: item[0])
        score = max(best[0], model_score) if model_score >= abuse.model_with_word_threshold else best[0]
        spans = tuple(Span(item[3].start, item[3].end, "abuse") for item in evidence[:10])
        # Swearing at nobody ("the phone system is shite") breaks the house rules' "no swearing", but
        # it is no one's abuse: the policy redirects it without hiding (a complaint is not silenced).
        # Beside an insult word, even one the window does not tie to a target ("account run by a
        # moron"), swearing is abuse of someone; so is swearing beside name-calling.
        at_nobody = best[0] <= UNAIMED_SWEARING_SCORE and abuse.insults.isdisjoint(words) and not (swore and names_called)
        check = (SWEARING if swore else NAME_CALLING) if at_nobody else best[1]
        return (Finding(Category.ABUSE, round(score, 3), check, best[2], spans),)
    # Without a listed word, the model's verdict does not count for a message that repeats a known
    # false health claim either: with no insult or swearing in it, it is an argument for staff to
    # answer (misinformation), not abuse to hide.
    if model_score >= abuse.model_threshold and not _states_claim(message, data):
        top = abuse.model.top_features(model_feats)
        return (Finding(Category.ABUSE, round(model_score, 3), "abuse.model", f"model {abuse.model.version}: {', '.join(top)}"),)
    return ()
