"""Everything classify needs, loaded once from files and frozen: word lists, patterns, claims, models."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.moderation.abuse import AbuseData, load_abuse
from bot.moderation.claims import ClaimsData, load_claims
from bot.moderation.complaint import ComplaintData, load_complaint
from bot.moderation.config import TomlFile, load_pattern_list
from bot.moderation.danger import DangerData, load_danger
from bot.moderation.lexicon import ABUSE_FILE, SAFE_FILE, lexicon_from
from bot.moderation.linear import load_model
from bot.moderation.message import Questions, idiom_pattern
from bot.moderation.needles import Screen, screen_of
from bot.moderation.privacy import PrivacyData, load_privacy
from bot.moderation.spam import SpamData, load_spam
from bot.moderation.threat import ThreatSignals, load_threat_signals
from bot.moderation.verification import VerificationData, load_verification

MODELS_DIR = Path(__file__).parent / "models"
# Each shipped model's name and the version prefix this code was written for.
MODEL_VERSIONS = {
    "abuse": "abuse-", "complaint": "complaint-", "misinformation": "misinformation-", "spam": "spam-",
    "threat": "threat-", "safeguarding": "safeguarding-", "urgent_care": "urgent_care-", "verification": "verification-",
}


@dataclass(frozen=True, slots=True)
class ModerationData:
    """Immutable; built by `load_moderation_data` and passed to every `classify` call."""

    lexicon: frozenset[str]
    idioms: re.Pattern[str]
    abuse: AbuseData
    danger: DangerData
    threat: re.Pattern[str]  # threat.toml's patterns
    threat_signals: ThreatSignals  # threat.toml's [cues] (weapons, harm, targets, intent...) and the threat model
    privacy: PrivacyData
    claims: ClaimsData
    spam: SpamData
    complaint: ComplaintData
    verification: VerificationData  # verification.toml's patterns and [cues], and the verification model
    pleasantries: frozenset[str]  # safe_terms.toml's [pleasantries]: hello and thanks alone say nothing to act on
    questions: Questions  # safe_terms.toml's [questions]: how a request for information opens
    screen: Screen  # which of the patterns above a message's words cannot match


def load_moderation_data(directory: Path, models_dir: Path = MODELS_DIR) -> ModerationData:
    """Load and check config/moderation and the shipped models; a bad entry raises ConfigError."""
    abuse_file = TomlFile(directory / ABUSE_FILE)
    safe_file = TomlFile(directory / SAFE_FILE)
    lexicon = lexicon_from(abuse_file, safe_file)
    medical = frozenset(w.lower() for w in safe_file.strings("safe.medical"))
    models = {name: load_model(models_dir / f"{name}.json", name, prefix) for name, prefix in MODEL_VERSIONS.items()}
    idioms = idiom_pattern(safe_file.strings("safe.idioms"), lexicon)
    abuse = load_abuse(directory, medical, models["abuse"], lexicon)
    danger = load_danger(directory, models["safeguarding"], models["urgent_care"])
    threat = load_pattern_list(directory, "threat")
    spam = load_spam(directory, models["spam"], lexicon)
    complaint = load_complaint(directory, models["complaint"])
    verification = load_verification(directory, models["verification"], lexicon)
    # The patterns searched on the normalised words: `read_message` rules out those that cannot match.
    screen = screen_of((idioms, danger.safeguarding, danger.urgent_care, threat, abuse.reporting, spam.patterns,
                        complaint.patterns, complaint.dissatisfaction, verification.patterns))
    return ModerationData(
        lexicon=lexicon,
        idioms=idioms,
        abuse=abuse,
        danger=danger,
        threat=threat,
        threat_signals=load_threat_signals(directory, models["threat"], lexicon),
        privacy=load_privacy(directory),
        claims=load_claims(directory, models["misinformation"]),
        spam=spam,
        complaint=complaint,
        verification=verification,
        pleasantries=frozenset(word.lower() for word in safe_file.strings("pleasantries.words")),
        questions=Questions(
            safe_file.regex("questions.openers", safe_file.strings("questions.openers")),
            safe_file.regex("questions.wh_openers", safe_file.strings("questions.wh_openers")),
        ),
        screen=screen,
    )
