"""The project's own table of realistic UK messages: each must get its expected primary category.

Beyond the primary category: every safeguarding and urgent-care message must carry that finding
(recall first), and no medical-vocabulary or idiom message may carry a finding that hides it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.model import Category, ClassifyContext
from bot.moderation import ModerationData, classify, load_moderation_data
from bot.policy import primary_category
from tests.helpers import SURE_ADVERT
from bench.table import TABLE

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))
# Categories whose policy hides the message: an ordinary message must never get one.
HIDING = frozenset({Category.ABUSE, Category.THREAT, Category.SPAM, Category.OVERSHARING})


@pytest.fixture(scope="module")
def data() -> ModerationData:
    return load_moderation_data(CONFIG)


def test_the_table_is_large_and_covers_every_category() -> None:
    assert len(TABLE) >= 150
    assert {category for _, _, category in TABLE} == set(Category)
    assert len({row_id for row_id, _, _ in TABLE}) == len(TABLE)


@pytest.mark.parametrize(("text", "expected"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_primary_category(text: str, expected: Category, data: ModerationData) -> None:
    findings = classify(text, CONTEXT, data)
    assert primary_category(findings, SURE_ADVERT) is expected, [f"{f.check}={f.score}" for f in findings]


DANGER_ROWS = [row for row in TABLE if row[2] in (Category.SAFEGUARDING, Category.URGENT_CARE)]


@pytest.mark.parametrize(("text", "expected"), [row[1:] for row in DANGER_ROWS], ids=[row[0] for row in DANGER_ROWS])
def test_every_danger_message_is_caught(text: str, expected: Category, data: ModerationData) -> None:
    assert expected in {f.category for f in classify(text, CONTEXT, data)}


ORDINARY_ROWS = [row for row in TABLE if row[2] is Category.ORDINARY]


@pytest.mark.parametrize("text", [row[1] for row in ORDINARY_ROWS], ids=[row[0] for row in ORDINARY_ROWS])
def test_medical_words_and_idioms_are_never_hidden(text: str, data: ModerationData) -> None:
    hiding = [f for f in classify(text, CONTEXT, data) if f.category in HIDING]
    assert not hiding, [f"{f.check}: {f.detail}" for f in hiding]
