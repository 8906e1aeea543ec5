"""Verification: "is this really your account?" and reports of accounts impersonating us.

Listed patterns (verification.toml) and concept cues (its [cues]: an account, page or text beside
real, official, fake, pretending, using your name...). A question gets the official account list;
a report of an account impersonating us (not asked as a question) is `verification.impersonation`,
which the policy also alerts staff about, so they can report it to the platform. A trained model
(`models/verification.json`) finds the ways of asking or warning that neither lists: people
rarely say "official account"; they ask whether a text "is you" or warn that "my nan nearly paid".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding
from bot.moderation.concepts import Cues, load_cues, read_cues
from bot.moderation.config import TomlFile
from bot.moderation.linear import LinearModel

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "verification.toml"
VERSION = "verification-3"
IMPERSONATION = "verification.impersonation"
# The cue combinations (verification.toml) that report an impersonator rather than ask about one.
REPORTS = frozenset({"impersonation", "impersonation_of", "identity_on", "identity_taken", "claims_to_be", "copy_of_ours",
                     "copying_ours"})
# The cue families that make a message about us or about whether something is genuine: the model's
# guess counts only beside one. Alone it reads "page", "text" and "link" as enough, and "I copied the
# link from the text but the page won't open" is a problem with a link, not a doubt about us.
ABOUT_US_OR_GENUINE = frozenset({"org", "genuine", "fake", "identity", "claims"})


@dataclass(frozen=True, slots=True)
class VerificationData:
    patterns: re.Pattern[str]  # verification.toml's patterns
    cues: Cues  # verification.toml's [cues]: an account + real, official, fake, pretending...
    model: LinearModel
    # The model's score above which a message is about whether an account is ours, with no listed wording.
    model_threshold: float


def load_verification(directory: Path, model: LinearModel, lexicon: frozenset[str]) -> VerificationData:
    file = TomlFile(directory / FILE)
    return VerificationData(
        patterns=file.regex("verification.patterns", file.strings("verification.patterns")),
        cues=load_cues(file, "cues", lexicon),
        model=model,
        model_threshold=file.number("thresholds.model", 0.01, 0.999),
    )


def check_verification(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    verification = data.verification
    cues, families, _ = read_cues(verification.cues, message)
    report = next((cue for cue in cues if cue.combo in REPORTS), None)
    if report is not None and not message.asks:
        return (Finding(Category.VERIFICATION, 0.9, IMPERSONATION, f"reports an account impersonating us: {report.describe(message.words)}"),)
    match = message.search(verification.patterns, message.joined)
    if match:
        return (Finding(Category.VERIFICATION, 0.85, "verification.pattern", f"wording: {match.group()!r}"),)
    # Cues alone make a verification question only when asked: "the real problem with your website" is not one.
    if cues and (message.asks or "?" in message.text):
        return (Finding(Category.VERIFICATION, 0.8, f"verification.cue.{cues[0].combo}", f"cues: {cues[0].describe(message.words)}"),)
    # The model counts only beside a word about us or about being genuine: without one it is not asked.
    if ABOUT_US_OR_GENUINE.isdisjoint(families):
        return ()
    feats = verification.model.features_for(message.words, message.feats)
    score = verification.model.score(feats)
    if score >= verification.model_threshold:
        features = ", ".join(verification.model.top_features(feats))
        return (Finding(Category.VERIFICATION, round(score, 3), "verification.model", f"model {verification.model.version}: {features}"),)
    return ()
