"""Complaint: dissatisfaction with a service or a named member of staff (naming staff is flagged).

Listed wording (complaint.toml) finds a complaint by itself; the trained model finds the rest,
except in praise that shows no dissatisfaction and in a report of what someone else said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding, Span
from bot.moderation.abuse import reported_ranges
from bot.moderation.config import TomlFile
from bot.moderation.linear import LinearModel
from bot.moderation.message import only_pleasantries
from bot.moderation.needles import clue_of, clued_finditer

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "complaint.toml"
VERSION = "complaint-2"
# A named member of staff makes a complaint only with some sign of dissatisfaction: this model score.
NAMED_STAFF_MODEL_SCORE = 0.5


@dataclass(frozen=True, slots=True)
class ComplaintData:
    patterns: re.Pattern[str]
    staff: re.Pattern[str]
    praise: frozenset[str]
    dissatisfaction: re.Pattern[str]
    model: LinearModel
    model_threshold: float
    model_question_threshold: float
    staff_clue: re.Pattern[str] | None = field(init=False, repr=False, compare=False)  # see needles.clue_of

    def __post_init__(self) -> None:
        object.__setattr__(self, "staff_clue", clue_of(self.staff))


def load_complaint(directory: Path, model: LinearModel) -> ComplaintData:
    file = TomlFile(directory / FILE)
    return ComplaintData(
        patterns=file.regex("complaint.patterns", file.strings("complaint.patterns")),
        staff=file.regex("complaint.staff_patterns", file.strings("complaint.staff_patterns")),
        praise=frozenset(word.lower() for word in file.strings("praise.words")),
        dissatisfaction=file.regex("praise.unless", file.strings("praise.unless")),
        model=model,
        model_threshold=file.number("thresholds.model", 0.01, 0.999),
        model_question_threshold=file.number("thresholds.model_question", 0.01, 0.999),
    )


def _praise_only(message: Message, complaint: ComplaintData) -> bool:
    """Praise with no sign of dissatisfaction ("bloody good service, in and out in 20 minutes").

    The model learnt complaints from posts about services, so a thank-you about a service can
    look like one to it; praise never makes a complaint on the model's word alone.
    """
    return not complaint.praise.isdisjoint(message.words) and not message.search(complaint.dissatisfaction, message.joined)


def check_complaint(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    if only_pleasantries(message.words, data.pleasantries):
        return ()
    complaint = data.complaint
    match = message.search(complaint.patterns, message.joined)
    feats = complaint.model.features_for(message.words, message.feats)
    score = complaint.model.score(feats)
    if score >= min(complaint.model_threshold, NAMED_STAFF_MODEL_SCORE) and _praise_only(message, complaint):
        score = 0.0
    named = tuple(Span(m.start(), m.end(), "staff_name") for m in clued_finditer(complaint.staff, complaint.staff_clue, message.text))
    # A message that opens by asking for information ("When can I get my flu jab?") reads like a
    # complaint to a model trained on posts to companies; it needs a stronger score.
    threshold = complaint.model_question_threshold if message.asks else complaint.model_threshold
    unhappy = match is not None or score >= threshold
    if named and (unhappy or score >= NAMED_STAFF_MODEL_SCORE):
        names = ", ".join(span.text_in(message.text) for span in named[:3])
        return (Finding(Category.COMPLAINT, max(0.85, round(score, 3)), "complaint.named_staff", f"names staff publicly: {names}", named),)
    if match:
        return (Finding(Category.COMPLAINT, max(0.8, round(score, 3)), "complaint.pattern", f"wording: {match.group()!r}"),)
    # Someone reporting another person's words ("a man called the nurse a 'stupid cow'") is telling
    # about that person, not about the service: as for abuse, the model alone does not decide.
    if score >= threshold and not reported_ranges(message, data.abuse):
        return (Finding(Category.COMPLAINT, round(score, 3), "complaint.model", f"model {complaint.model.version}: {', '.join(complaint.model.top_features(feats))}"),)
    return ()
