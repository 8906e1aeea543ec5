"""Verification: "is this really your account?" and reports of accounts impersonating us."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding
from bot.moderation.config import TomlFile

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "verification.toml"
VERSION = "verification-1"


@dataclass(frozen=True, slots=True)
class VerificationData:
    patterns: re.Pattern[str]


def load_verification(directory: Path) -> VerificationData:
    file = TomlFile(directory / FILE)
    return VerificationData(file.regex("verification.patterns", file.strings("verification.patterns")))


def check_verification(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    match = data.verification.patterns.search(message.joined)
    if not match:
        return ()
    return (Finding(Category.VERIFICATION, 0.85, "verification.pattern", f"wording: {match.group()!r}"),)
