"""The indexes `concepts.load_cues` builds (phrases by their first two words, combos by their first
step's families) only skip what cannot match: every shipped cue list finds what a plain scan finds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.moderation import ModerationData, load_moderation_data
from bot.moderation.concepts import IGNORE, Cues, _chain, _spots, clauses, occurrences, read_cues
from bot.moderation.message import read_message

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"


@pytest.fixture(scope="module")
def data() -> ModerationData:
    return load_moderation_data(CONFIG)


def shipped_cues(data: ModerationData) -> dict[str, Cues]:
    return {"threat": data.threat_signals.cues, "victim": data.threat_signals.victim, "spam": data.spam.cues,
            "verification": data.verification.cues, "abuse": data.abuse.cues}


def plain_spots(cues: Cues, words: tuple[str, ...], ignored: list[bool]) -> list[tuple[int, int, str]]:
    """Every phrase tried at every word, in `phrases` order."""
    found = []
    for start, word in enumerate(words):
        for phrase, family in cues.phrases.get(word, ()):
            end = start + len(phrase)
            if words[start:end] == phrase:
                if family == IGNORE:
                    ignored[start:end] = [True] * (end - start)
                else:
                    found.append((start, end, family))
    return found


def phrase_texts(cues: Cues, count: int) -> list[str]:
    """Texts made of the list's own phrases, shuffled with cut-off ones and filler words, so the
    words that start many phrases meet their phrases, other phrases' words and nothing."""
    rng = random.Random(10)
    pieces = [" ".join(phrase) for found in cues.phrases.values() for phrase, _ in found]
    pieces += [" ".join(phrase[:-1]) for found in cues.phrases.values() for phrase, _ in found if len(phrase) > 1]
    pieces += ["and", "the", "then", "but", "."]
    return [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))) for _ in range(count)]


@pytest.mark.parametrize("name", ["threat", "victim", "spam", "verification", "abuse"])
def test_the_indexes_find_what_a_plain_scan_finds(name: str, data: ModerationData) -> None:
    cues = shipped_cues(data)[name]
    for text in phrase_texts(cues, 400):
        message = read_message(text, data.lexicon, data.idioms)
        ignored, plain_ignored = [False] * len(message.words), [False] * len(message.words)
        assert _spots(cues, message.words, ignored) == plain_spots(cues, message.words, plain_ignored), text
        assert ignored == plain_ignored, text
        matches, present, ignored = read_cues(cues, message)
        clause_of = clauses(message, cues.breakers)
        found = occurrences(cues, message.words, plain_spots(cues, message.words, list(ignored)), clause_of, ignored)
        every_combo = [(combo.id, _chain(combo.steps, combo.window, found, clause_of, combo.across_sentences)
                        or (_chain(combo.steps[::-1], combo.window, found, clause_of, combo.across_sentences) if combo.either_order else None))
                       for combo in cues.combos]
        assert [(match.combo, match.parts) for match in matches] == [(combo, chain) for combo, chain in every_combo if chain], text
