"""The verification model: "is this really you?" asked in ways no listed wording or cue holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.model import Category, Finding, Span
from bot.moderation import ModerationData, classify, load_moderation_data
from bot.policy import primary_category
from tests.helpers import SURE_ADVERT
from tests.test_threat_cues import CONTEXT, _copy, data  # noqa: F401 - `data` is a fixture


def checks(text: str, data: ModerationData) -> list[str]:
    return [finding.check for finding in classify(text, CONTEXT, data)]


@pytest.mark.parametrize("text", [
    "does the hospital send out texts asking you to pay for a missed appointment? got one this morning",
    "got a letter with the trust logo saying I owe £60 for my parking and to pay online, do you lot actually do that",
])
def test_the_model_finds_a_question_about_us_that_no_wording_lists(text: str, data: ModerationData) -> None:
    found = classify(text, CONTEXT, data)
    assert [f.check for f in found if f.category is Category.VERIFICATION] == ["verification.model"]
    assert primary_category(found, SURE_ADVERT) is Category.VERIFICATION


@pytest.mark.parametrize("text", [
    "what's the phone number for the fracture clinic?",
    "followed! great page",
    "thanks for sharing the Action Fraud warning, my neighbour got one of those parcel texts",
    "is the minor injuries unit open on bank holidays?",
])
def test_questions_about_numbers_and_praise_for_the_page_are_not_verification(text: str, data: ModerationData) -> None:
    assert "verification.model" not in checks(text, data)
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is not Category.VERIFICATION


def test_a_caller_claiming_to_be_us_is_verification_though_the_complaint_model_also_fires(data: ModerationData) -> None:
    text = ("my dad got a call from someone saying they were from the cardiology team wanting his bank details "
            "to refund his parking, that's not one of yours surely")
    found = classify(text, CONTEXT, data)
    assert {"complaint.model", "verification.model"} <= {f.check for f in found}
    assert primary_category(found, SURE_ADVERT) is Category.VERIFICATION


def test_the_complaint_models_guess_yields_only_to_a_surer_verification_finding() -> None:
    complaint = Finding(Category.COMPLAINT, 0.7, "complaint.model")
    assert primary_category((complaint, Finding(Category.VERIFICATION, 0.9, "verification.model")), SURE_ADVERT) is Category.VERIFICATION
    assert primary_category((complaint, Finding(Category.VERIFICATION, 0.65, "verification.model")), SURE_ADVERT) is Category.COMPLAINT
    # Listed complaint wording gives way only to the sure verification model (test_arbitration, round 10).
    listed = Finding(Category.COMPLAINT, 0.8, "complaint.pattern")
    assert primary_category((listed, Finding(Category.VERIFICATION, 0.84, "verification.model")), SURE_ADVERT) is Category.COMPLAINT


def test_the_shipped_threshold_is_read_from_the_file(data: ModerationData) -> None:
    verification = data.verification
    assert verification.model.version.startswith("verification-") and 0.5 <= verification.model_threshold < 0.9


def test_a_threshold_out_of_range_names_the_file_and_key(tmp_path: Path) -> None:
    config, models = _copy(tmp_path)
    path = config / "verification.toml"
    text = path.read_text(encoding="utf-8")
    assert "\nmodel = 0.55\n" in text
    path.write_text(text.replace("\nmodel = 0.55\n", "\nmodel = 1.5\n"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_moderation_data(config, models)
    assert Path(caught.value.file).name == "verification.toml" and caught.value.key.startswith("thresholds.model")


def test_a_number_asked_about_stays_up_on_the_models_word_but_a_scam_does_not() -> None:
    asked = Finding(Category.VERIFICATION, 0.9, "verification.model")
    phone = Finding(Category.OVERSHARING, 0.9, "oversharing.phone", spans=(Span(0, 13, "phone"),))
    assert primary_category((phone, asked), SURE_ADVERT) is Category.VERIFICATION
    scam = Finding(Category.SPAM, 0.95, "spam.model")
    assert primary_category((scam, asked), SURE_ADVERT) is Category.SPAM
    assert primary_category((scam, Finding(Category.VERIFICATION, 0.85, "verification.pattern")), SURE_ADVERT) is Category.VERIFICATION
