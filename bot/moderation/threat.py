"""Threats of violence against people or places, including indirect ones ("I know where she lives").

Runs on the idiom-masked text, so "this heat is killing me" or "booster shot" never count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding
from bot.moderation.danger import span_of

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

VERSION = "threat-1"


def check_threat(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    match = message.search(data.threat, message.masked)
    if not match:
        return ()
    span = span_of(message, match.start(), match.end(), "threat")
    return (Finding(Category.THREAT, 0.9, "threat.pattern", f"wording: {match.group().strip()!r}", (span,)),)
