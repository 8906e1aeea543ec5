"""Verification: "is this really your account?" and reports of accounts impersonating us.

Listed patterns (verification.toml) and concept cues (its [cues]: an account, page or text beside
real, official, fake, pretending, using your name...). A question gets the official account list;
a report of an account impersonating us (not asked as a question) is `verification.impersonation`,
which the policy also alerts staff about, so they can report it to the platform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding
from bot.moderation.concepts import find_cues

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

VERSION = "verification-2"
IMPERSONATION = "verification.impersonation"
# The cue combinations (verification.toml) that report an impersonator rather than ask about one.
REPORTS = frozenset({"impersonation", "impersonation_of", "identity_on", "identity_taken", "claims_to_be", "copy_of_ours",
                     "copying_ours"})


def check_verification(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    cues = find_cues(data.verification_cues, message)
    report = next((cue for cue in cues if cue.combo in REPORTS), None)
    if report is not None and not message.asks:
        return (Finding(Category.VERIFICATION, 0.9, IMPERSONATION, f"reports an account impersonating us: {report.describe(message.words)}"),)
    match = message.search(data.verification, message.joined)
    if match:
        return (Finding(Category.VERIFICATION, 0.85, "verification.pattern", f"wording: {match.group()!r}"),)
    # Cues alone make a verification question only when asked: "the real problem with your website" is not one.
    if cues and (message.asks or "?" in message.text):
        return (Finding(Category.VERIFICATION, 0.8, f"verification.cue.{cues[0].combo}", f"cues: {cues[0].describe(message.words)}"),)
    return ()
