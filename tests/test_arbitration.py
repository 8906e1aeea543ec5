"""The right category when two checks fire (issue 10, round 8): an advert's own words read by other
checks, a number no person owns, a contact an advert asks for, and a report of a fake page beside the
misinformation model's guess."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.sandbox import CAPABILITIES as SANDBOX
from bot.evaluate import engine_from
from bot.model import Category, Decision, Finding
from bot.moderation import ModerationData, classify
from bot.moderation.concepts import find_cues
from bot.moderation.message import read_message
from bot.moderation.privacy import find_private_spans
from bot.pipeline import Engine, handle_text, text_context
from bot.policy import primary_category
from tests.helpers import SURE_ADVERT, refused_moderation_edit
from tests.test_threat_cues import CONFIG, CONTEXT, data  # noqa: F401 - `data` is a fixture

@pytest.fixture(scope="module")
def engine() -> Engine:
    return engine_from(CONFIG.parent)


def decided(text: str, engine: Engine) -> Decision:
    return handle_text(text, engine, text_context(CONTEXT.now, SANDBOX))


SURE_MODEL = Finding(Category.SPAM, 0.97, "spam.model")
UNSURE_MODEL = Finding(Category.SPAM, 0.7, "spam.model")
SMS_CUE = Finding(Category.SPAM, 0.85, "spam.cue.sms")


# -- a sure advert explains the words other checks read in it --
@pytest.mark.parametrize(("other", "spam", "expected"), [
    # An insult word aimed at the reader ("melt your belly fat"), an abusive emoji, the abuse model: the advert's pitch.
    (Finding(Category.ABUSE, 0.85, "abuse.wordlist"), SMS_CUE, Category.SPAM),
    (Finding(Category.ABUSE, 0.8, "abuse.model"), SURE_MODEL, Category.SPAM),
    (Finding(Category.ABUSE, 0.75, "abuse.swearing"), Finding(Category.SPAM, 0.9, "spam.pattern"), Category.SPAM),
    # A slur or swearing at someone is abuse whatever else the message sells.
    (Finding(Category.ABUSE, 0.95, "abuse.wordlist"), SMS_CUE, Category.ABUSE),
    # The model's guess is no sure advert: the insult keeps its rank.
    (Finding(Category.ABUSE, 0.85, "abuse.wordlist"), UNSURE_MODEL, Category.ABUSE),
    # "act now or your account will be closed": a veiled warning beside an SMS scam is the scam's urgency.
    (Finding(Category.THREAT, 0.9, "threat.cue.veiled"), SMS_CUE, Category.SPAM),
    (Finding(Category.THREAT, 0.9, "threat.cue.veiled_said"), SURE_MODEL, Category.SPAM),
    (Finding(Category.THREAT, 0.9, "threat.cue.veiled"), UNSURE_MODEL, Category.THREAT),
    # A threat naming a weapon, a harm or a place is never an advert's, nor is the threat model's reading.
    (Finding(Category.THREAT, 0.9, "threat.cue.weapon"), SMS_CUE, Category.THREAT),
    (Finding(Category.THREAT, 0.9, "threat.pattern"), SURE_MODEL, Category.THREAT),
    (Finding(Category.THREAT, 0.8, "threat.model"), SURE_MODEL, Category.THREAT),
    # A testimonial naming its "Mr Daniel Price" reads like a complaint naming staff; the sure model says advert.
    (Finding(Category.COMPLAINT, 0.85, "complaint.named_staff"), SURE_MODEL, Category.SPAM),
    (Finding(Category.COMPLAINT, 0.8, "complaint.pattern"), UNSURE_MODEL, Category.COMPLAINT),
    # "100% real followers, get verified fast": a verification cue beside the sure model is the pitch...
    (Finding(Category.VERIFICATION, 0.8, "verification.cue.genuine"), SURE_MODEL, Category.SPAM),
    # ... but beside listed scam wording it is a warning quoting the scam; verification's own listed wording and a
    # report of an impersonator keep their rank.
    (Finding(Category.VERIFICATION, 0.8, "verification.cue.genuine"), Finding(Category.SPAM, 0.9, "spam.pattern"), Category.VERIFICATION),
    (Finding(Category.VERIFICATION, 0.85, "verification.pattern"), SURE_MODEL, Category.VERIFICATION),
    (Finding(Category.VERIFICATION, 0.9, "verification.impersonation"), SURE_MODEL, Category.VERIFICATION),
    # Danger is never explained away.
    (Finding(Category.SAFEGUARDING, 0.9, "safeguarding.cue.finality"), SURE_MODEL, Category.SAFEGUARDING),
])
def test_a_sure_advert_explains_what_other_checks_read_in_it(other: Finding, spam: Finding, expected: Category) -> None:
    assert primary_category((other, spam), SURE_ADVERT) is expected
    assert primary_category((spam, other), SURE_ADVERT) is expected


def test_the_misinformation_models_guess_gives_way_to_a_report_of_a_fake_page() -> None:
    guess = Finding(Category.MISINFORMATION, 0.8, "misinformation.model")
    for verification in (Finding(Category.VERIFICATION, 0.7, "verification.model"), Finding(Category.VERIFICATION, 0.8, "verification.cue.genuine")):
        assert primary_category((guess, verification), SURE_ADVERT) is Category.VERIFICATION
    # A known false claim found by its listed wording keeps its rank.
    listed = Finding(Category.MISINFORMATION, 0.9, "misinformation.claim.natural-cancer-cure")
    assert primary_category((listed, Finding(Category.VERIFICATION, 0.7, "verification.model")), SURE_ADVERT) is Category.MISINFORMATION


# -- a report is not the thing reported (round 9) --
@pytest.mark.parametrize(("spam", "verification", "expected"), [
    # A report quoting the scam it saw: the verification model, sure and surer than the spam evidence, leads.
    (Finding(Category.SPAM, 0.9, "spam.pattern"), Finding(Category.VERIFICATION, 0.97, "verification.model"), Category.VERIFICATION),
    (Finding(Category.SPAM, 0.6, "spam.model"), Finding(Category.VERIFICATION, 0.88, "verification.model"), Category.VERIFICATION),
    (SMS_CUE, Finding(Category.VERIFICATION, 0.9, "verification.model"), Category.VERIFICATION),
    # A scam's own "your account" reads to the model as a question only weakly, or less surely than the scam.
    (Finding(Category.SPAM, 0.6, "spam.model"), Finding(Category.VERIFICATION, 0.8, "verification.model"), Category.SPAM),
    (SURE_MODEL, Finding(Category.VERIFICATION, 0.9, "verification.model"), Category.SPAM),
    # The recovery scam and repetition keep their rank whatever the model says.
    (Finding(Category.SPAM, 0.85, "spam.cue.recovery"), Finding(Category.VERIFICATION, 0.99, "verification.model"), Category.SPAM),
    (Finding(Category.SPAM, 0.9, "spam.repetition"), Finding(Category.VERIFICATION, 0.99, "verification.model"), Category.SPAM),
])
def test_a_report_of_a_scam_is_not_the_scam(spam: Finding, verification: Finding, expected: Category) -> None:
    assert primary_category((spam, verification), SURE_ADVERT) is expected
    assert primary_category((verification, spam), SURE_ADVERT) is expected


@pytest.mark.parametrize(("other", "verification", "expected"), [
    # The threat model's guess beside a report of an impersonator, or beside the sure verification model.
    (Finding(Category.THREAT, 0.63, "threat.model"), Finding(Category.VERIFICATION, 0.9, "verification.impersonation"), Category.VERIFICATION),
    (Finding(Category.THREAT, 0.62, "threat.model"), Finding(Category.VERIFICATION, 0.95, "verification.model"), Category.VERIFICATION),
    # A surer threat model, an unsure verification model, or a threat found by a cue or a pattern keeps its rank.
    (Finding(Category.THREAT, 0.96, "threat.model"), Finding(Category.VERIFICATION, 0.9, "verification.impersonation"), Category.THREAT),
    (Finding(Category.THREAT, 0.6, "threat.model"), Finding(Category.VERIFICATION, 0.8, "verification.model"), Category.THREAT),
    (Finding(Category.THREAT, 0.9, "threat.cue.veiled"), Finding(Category.VERIFICATION, 0.95, "verification.model"), Category.THREAT),
    (Finding(Category.THREAT, 0.9, "threat.pattern"), Finding(Category.VERIFICATION, 0.9, "verification.impersonation"), Category.THREAT),
    # Listed complaint wording ("disgusting", "fobbed off") in a warning about a fake: the sure verification model
    # leads (round 10); below `SURE_REPORT`, or less sure than the wording, the complaint keeps its rank.
    (Finding(Category.COMPLAINT, 0.8, "complaint.pattern"), Finding(Category.VERIFICATION, 0.96, "verification.model"), Category.VERIFICATION),
    (Finding(Category.COMPLAINT, 0.85, "complaint.named_staff"), Finding(Category.VERIFICATION, 0.92, "verification.model"), Category.VERIFICATION),
    (Finding(Category.COMPLAINT, 0.8, "complaint.pattern"), Finding(Category.VERIFICATION, 0.8, "verification.model"), Category.COMPLAINT),
    (Finding(Category.COMPLAINT, 0.88, "complaint.pattern"), Finding(Category.VERIFICATION, 0.86, "verification.model"), Category.COMPLAINT),
])
def test_a_report_of_an_impersonator_outranks_the_threat_models_guess_and_complaint_wording(
        other: Finding, verification: Finding, expected: Category) -> None:
    assert primary_category((other, verification), SURE_ADVERT) is expected
    assert primary_category((verification, other), SURE_ADVERT) is expected


@pytest.mark.parametrize("text", [
    "Heads up, there's an Instagram page using your hospital logo that messages people saying they've won a "
    "£200 voucher and to 'click the link in bio to claim'. Not you I'm guessing? Please get it taken down",
    "Someone on Facebook is copying your page and telling folk their test results are ready, click here to view them. "
    "My mum nearly fell for it, can you report it",
])
def test_a_report_of_a_fake_page_quoting_its_scam_is_never_hidden(text: str, engine: Engine) -> None:
    decision = decided(text, engine)
    assert decision.category is Category.VERIFICATION, [f"{f.check}={f.score:.2f}" for f in decision.findings]
    assert "hide" not in {action.kind.value for action in decision.actions}


# -- whole messages --
@pytest.mark.parametrize("text", [
    "Tired of being fat? These slimming gummies melt the belly fat you hate. 40% off today only, order now at gummyslim.example",
    "Shift that stubborn belly fat in 2 weeks! Our keto gummies melt your fat while you sleep, order at slimfast.example",
])
def test_a_weight_loss_advert_is_spam_not_abuse(text: str, engine: Engine) -> None:
    decision = decided(text, engine)
    assert Category.ABUSE in {f.category for f in decision.findings}
    assert decision.category is Category.SPAM


@pytest.mark.parametrize("text", [
    "WINNER!! Your number has won a £750 prize. To claim call 09011 234567 before 5pm",
    "Cheap calls abroad from 1p a minute, dial 0906 123 4567 first",
    "Lloyds: a payment of £640 was blocked. If this wasn't you call our fraud line free on 0800 123 4567",
    "Chat 2 me on 0909 876 5432 babe, calls £1.50/min",
])
def test_a_premium_rate_or_freephone_number_is_no_ones_private_detail(text: str, data: ModerationData, engine: Engine) -> None:
    assert not [span for span in find_private_spans(text, data.privacy) if span.label == "phone"]
    assert decided(text, engine).category is Category.SPAM


@pytest.mark.parametrize("text", [
    "my number is 07700 900123 if anyone can give me a lift to the clinic",
    "you can ring my landline on 0113 496 0123 after six",
    "text me on +44 7911 123456",
])
def test_a_persons_mobile_or_landline_is_still_over_sharing(text: str, data: ModerationData) -> None:
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.OVERSHARING


@pytest.mark.parametrize("text", [
    "URGENT: your bank card has been blocked. call 07700 900931 now to unblock it",
    "Notice: a warrant has been issued for unpaid tax. Call HMRC enforcement immediately on 0113 496 0402 to avoid arrest",
])
def test_a_contact_an_advert_asks_for_is_the_advertisers(text: str, engine: Engine) -> None:
    decision = decided(text, engine)
    assert Category.OVERSHARING not in {f.category for f in decision.findings}
    assert decision.category is Category.SPAM


@pytest.mark.parametrize("text", [
    # The number is asked for in another sentence, or a personal word makes it someone's own.
    "Sorry I missed your call, let's talk when you have time. I'm on 07700 900287",
    "please call my son on 07700 900555, he's locked out",
])
def test_a_contact_not_asked_for_as_an_advert_asks_stays_private(text: str, data: ModerationData) -> None:
    assert Category.OVERSHARING in {f.category for f in classify(text, CONTEXT, data)}


def test_a_business_range_that_is_not_a_uk_number_start_is_refused(tmp_path: Path) -> None:
    refusal = refused_moderation_edit(tmp_path, "privacy.toml", 'business_ranges = ["03",', 'business_ranges = ["3",')
    assert refusal.key.startswith("privacy.business_ranges")


# -- an SMS scam's demand is made of the reader --
@pytest.mark.parametrize(("text", "cue"), [
    ("Your parking charge is overdue. Settle it today at pcn-settle.top", "demand_link"),
    ("Unpaid fee on your parcel: parcel-fee.top", "demand_of_reader_link"),
    ("U R entitled to a £200 voucher, claim b4 midnight at vouch-uk.top", "demand_link"),
])
def test_a_demand_made_of_the_reader_before_a_link_is_the_sms_cue(text: str, cue: str, data: ModerationData) -> None:
    assert cue in [match.combo for match in find_cues(data.spam.cues, read_message(text, data.lexicon, data.idioms, data.screen, data.questions))]


@pytest.mark.parametrize("text", [
    "Thanks @shop for selling expired beer again https://t.co/abc123",
    "Lower earners are less entitled to tax relief, says the report https://news.example/tax",
    "We were owed a refund for three weeks before anyone answered https://t.co/xyz789",
])
def test_the_same_words_of_no_one_beside_a_link_are_not_the_sms_cue(text: str, data: ModerationData) -> None:
    combos = [match.combo for match in find_cues(data.spam.cues, read_message(text, data.lexicon, data.idioms, data.screen, data.questions))]
    assert not {"demand_link", "demand_of_reader_link"} & set(combos)
