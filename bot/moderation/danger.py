"""Danger: someone at risk of suicide, self-harm or abuse, or a medical emergency happening now.

Recall comes first, so these patterns run on the unmasked text (an idiom never hides danger).
The one exception is narrow: an urgent-care phrase told as over or denied by the words right
next to it ("was discharged after his heart attack", "had a stroke two years ago", "no chest
pain") is not an emergency now, unless the words after it say it is happening now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding, Span
from bot.moderation.config import TomlFile

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "danger.toml"
VERSION = "danger-2"
# How much normalised text either side of an urgent-care phrase the tense and negation cues read.
CUE_REACH = 60
# How many words after the phrase a "happening now" cue may be.
PRESENT_WORDS = 4


@dataclass(frozen=True, slots=True)
class DangerData:
    safeguarding: re.Pattern[str]
    urgent_care: re.Pattern[str]
    resolved_before: re.Pattern[str]
    resolved_after: re.Pattern[str]
    present: re.Pattern[str]


def load_danger(directory: Path) -> DangerData:
    file = TomlFile(directory / FILE)
    return DangerData(
        safeguarding=file.regex("safeguarding.patterns", file.strings("safeguarding.patterns")),
        urgent_care=file.regex("urgent_care.patterns", file.strings("urgent_care.patterns")),
        resolved_before=file.regex("urgent_care.resolved_before", file.strings("urgent_care.resolved_before")),
        resolved_after=file.regex("urgent_care.resolved_after", file.strings("urgent_care.resolved_after")),
        present=file.regex("urgent_care.present", file.strings("urgent_care.present")),
    )


def is_resolved(joined: str, start: int, end: int, data: DangerData) -> bool:
    """Whether the urgent-care phrase at joined[start:end] is told as over or denied, not happening now."""
    after = joined[end : end + CUE_REACH]
    if data.present.search(" ".join(after.split()[:PRESENT_WORDS])):
        return False
    before = joined[max(0, start - CUE_REACH) : start]
    return data.resolved_before.search(before) is not None or data.resolved_after.search(after) is not None


def span_of(message: Message, start: int, end: int, label: str) -> Span:
    """Map a match on `message.joined` (normalised words) back to offsets in the original text."""
    tokens = message.prepared.tokens
    position = 0
    first = last = None
    for token in tokens:
        token_end = position + len(token.word)
        if first is None and token_end > start:
            first = token
        if position < end:
            last = token
        position = token_end + 1
    if first is None or last is None:
        return Span(0, 0, label)
    return Span(first.start, max(first.start, last.end), label)


def check_danger(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    findings = []
    for category, pattern in (
        (Category.SAFEGUARDING, data.danger.safeguarding),
        (Category.URGENT_CARE, data.danger.urgent_care),
    ):
        matches = [
            match for match in message.finditer(pattern, message.joined)
            if category is Category.SAFEGUARDING or not is_resolved(message.joined, match.start(), match.end(), data.danger)
        ]
        if matches:
            spans = tuple(span_of(message, m.start(), m.end(), category.value) for m in matches[:5])
            findings.append(Finding(category, 0.9, f"{category.value}.phrase", f"wording: {matches[0].group()!r}", spans))
    return tuple(findings)
