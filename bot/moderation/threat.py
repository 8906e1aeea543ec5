"""Threats of violence against people or places, including indirect ones ("I know where she lives").

Two ways in, both on the idiom-masked words, so "this heat is killing me" or "booster shot" never
count: the listed patterns of threat.toml, and its concept cues (bot/moderation/concepts.py): a
weapon or an act of harm beside a target or an intent, a veiled warning to someone, a wish that
someone were hurt, knowing where someone lives or parks, revenge. The cues name what they found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding
from bot.moderation.concepts import find_cues
from bot.moderation.danger import span_of

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

VERSION = "threat-2"
SCORE = 0.9


def _word_span(message: Message, start: int, end: int) -> tuple[int, int]:
    """Offsets in `message.joined` of words [start, end)."""
    offset = sum(len(word) + 1 for word in message.words[:start])
    return offset, offset + len(" ".join(message.words[start:end]))


def check_threat(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    match = message.search(data.threat, message.masked)
    if match:
        span = span_of(message, match.start(), match.end(), "threat")
        return (Finding(Category.THREAT, SCORE, "threat.pattern", f"wording: {match.group().strip()!r}", (span,)),)
    cues = find_cues(data.threat_cues, message)
    if cues:
        first = cues[0]
        start, end = _word_span(message, first.parts[0].start, first.parts[-1].end)
        span = span_of(message, start, end, "threat")
        return (Finding(Category.THREAT, SCORE, f"threat.cue.{first.combo}", f"cues: {first.describe(message.words)}", (span,)),)
    return ()
