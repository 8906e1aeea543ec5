"""Verification: "is this really your account?" and reports of accounts impersonating us."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

VERSION = "verification-1"


def check_verification(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    match = message.search(data.verification, message.joined)
    if not match:
        return ()
    return (Finding(Category.VERIFICATION, 0.85, "verification.pattern", f"wording: {match.group()!r}"),)
