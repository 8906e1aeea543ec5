"""Danger: someone at risk of suicide, self-harm or abuse, or a medical emergency happening now.

Recall comes first, so these patterns run on the unmasked text (an idiom never hides danger).
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
VERSION = "danger-1"


@dataclass(frozen=True, slots=True)
class DangerData:
    safeguarding: re.Pattern[str]
    urgent_care: re.Pattern[str]


def load_danger(directory: Path) -> DangerData:
    file = TomlFile(directory / FILE)
    return DangerData(
        safeguarding=file.regex("safeguarding.patterns", file.strings("safeguarding.patterns")),
        urgent_care=file.regex("urgent_care.patterns", file.strings("urgent_care.patterns")),
    )


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
        matches = list(pattern.finditer(message.joined))
        if matches:
            spans = tuple(span_of(message, m.start(), m.end(), category.value) for m in matches[:5])
            findings.append(Finding(category, 0.9, f"{category.value}.phrase", f"wording: {matches[0].group()!r}", spans))
    return tuple(findings)
