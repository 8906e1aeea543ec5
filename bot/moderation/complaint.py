"""Complaint: dissatisfaction with a service or a named member of staff (naming staff is flagged)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.model import Category, ClassifyContext, Finding, Span
from bot.moderation.config import TomlFile
from bot.moderation.linear import LinearModel

if TYPE_CHECKING:
    from bot.moderation.data import ModerationData
    from bot.moderation.message import Message

FILE = "complaint.toml"
VERSION = "complaint-1"
# A named member of staff makes a complaint only with some sign of dissatisfaction: this model score.
NAMED_STAFF_MODEL_SCORE = 0.5


@dataclass(frozen=True, slots=True)
class ComplaintData:
    patterns: re.Pattern[str]
    staff: re.Pattern[str]
    model: LinearModel
    model_threshold: float


def load_complaint(directory: Path, model: LinearModel) -> ComplaintData:
    file = TomlFile(directory / FILE)
    return ComplaintData(
        patterns=file.regex("complaint.patterns", file.strings("complaint.patterns")),
        staff=file.regex("complaint.staff_patterns", file.strings("complaint.staff_patterns")),
        model=model,
        model_threshold=file.number("thresholds.model", 0.01, 0.999),
    )


def check_complaint(message: Message, context: ClassifyContext, data: ModerationData) -> tuple[Finding, ...]:
    complaint = data.complaint
    match = complaint.patterns.search(message.joined)
    score = complaint.model.score(message.feats)
    named = tuple(Span(m.start(), m.end(), "staff_name") for m in complaint.staff.finditer(message.text))
    unhappy = match is not None or score >= complaint.model_threshold
    if named and (unhappy or score >= NAMED_STAFF_MODEL_SCORE):
        names = ", ".join(span.text_in(message.text) for span in named[:3])
        return (Finding(Category.COMPLAINT, max(0.85, round(score, 3)), "complaint.named_staff", f"names staff publicly: {names}", named),)
    if match:
        return (Finding(Category.COMPLAINT, max(0.8, round(score, 3)), "complaint.pattern", f"wording: {match.group()!r}"),)
    if score >= complaint.model_threshold:
        return (Finding(Category.COMPLAINT, round(score, 3), "complaint.model", f"model {complaint.model.version}: {', '.join(complaint.model.top_features(message.feats))}"),)
    return ()
