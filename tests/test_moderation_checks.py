"""The checks one concern at a time: privacy spans, evasion, idioms, quoted abuse, repetition, loading."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.model import Category, ClassifyContext, Finding
from bot.moderation import CHECKS, ENGINE_ERROR_CHECK, Check, ModerationData, classify, load_moderation_data, private_spans, redact
from bot.moderation.data import MODELS_DIR
from bot.moderation.privacy import nhs_number_is_valid
from bot.moderation.spam import similarity, trigram_profile
from bot.moderation.message import read_message
from bot.moderation.text import fold, prefix_features, prepare
from bot.policy import primary_category
from tests.helpers import SURE_ADVERT

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def data() -> ModerationData:
    return load_moderation_data(CONFIG)


def categories(text: str, data: ModerationData, context: ClassifyContext = CONTEXT) -> set[Category]:
    return {finding.category for finding in classify(text, context, data)}


# --- NHS numbers and other private details

@pytest.mark.parametrize(("digits", "valid"), [
    ("9434765919", True),   # the published test number
    ("4010232137", True),
    ("9434765918", False),  # wrong check digit
    ("1234567890", False),  # check digit would be 10: never valid
    ("943476591", False),   # nine digits
    ("94347659190", False),
])
def test_nhs_number_check_digit(digits: str, valid: bool) -> None:
    assert nhs_number_is_valid(digits) is valid


@pytest.mark.parametrize("written", ["943 476 5919", "943-476-5919", "9434765919", "9 4 3 4 7 6 5 9 1 9", "943  476  5919"])
def test_nhs_number_with_any_spacing_is_found_and_redacted(written: str, data: ModerationData) -> None:
    text = f"my number is {written} thanks"
    spans = private_spans(text, data)
    assert [(s.label, s.text_in(text)) for s in spans] == [("nhs_number", written)]
    assert redact(text, classify(text, CONTEXT, data)) == "my number is [nhs number] thanks"


def test_an_invalid_nhs_number_is_not_private(data: ModerationData) -> None:
    assert not private_spans("reference 943 476 5918 on the letter", data)


@pytest.mark.parametrize(("text", "label", "found"), [
    ("ring me on 07911 123456 please", "phone", "07911 123456"),
    ("call 0113 496 0123 after six", "phone", "0113 496 0123"),
    ("text +44 7911 123456", "phone", "+44 7911 123456"),
    ("email jo.bloggs@example.co.uk", "email", "jo.bloggs@example.co.uk"),
    ("we are at LS9 7TF", "postcode", "LS9 7TF"),
    ("postcode ls6 2ab", "postcode", "ls6 2ab"),
    ("my dob is 01/02/1990", "date_of_birth", "01/02/1990"),
    ("date of birth: 3rd March 1950", "date_of_birth", "3rd March 1950"),
    ("I live at 14 Harehills Lane", "address", "14 Harehills Lane"),
    ("hospital number is A1234567", "hospital_number", "A1234567"),
    ("my neighbour Sandra has HIV", "health_detail", "Sandra has HIV"),
    ("my number is 07700 900987", "phone", "07700 900987"),  # a drama-range mobile: not allocated, still private
    ("or try 07700900555 after 5", "phone", "07700900555"),
    ("she lives near BD3 9QT", "postcode", "BD3 9QT"),
    ("he was born 21/11/1948", "date_of_birth", "21/11/1948"),
    ("her d.o.b. is 05/06/2012", "date_of_birth", "05/06/2012"),
])
def test_private_details_are_found_as_spans_of_the_original(text: str, label: str, found: str, data: ModerationData) -> None:
    assert (label, found) in [(s.label, s.text_in(text)) for s in private_spans(text, data)]


@pytest.mark.parametrize("text", [
    "call 999 or NHS 111, or Samaritans on 116 123",
    "phone us on 0113 206 6261",
    "email leedsth-tr.patientexperience@nhs.net to complain",
    "my appointment is on 12/03/2026 at 10am",
    "I waited 3 hours in the park",
    "my husband has cancer and we need advice",  # no name: not tied to a named person
])
def test_public_numbers_and_plain_details_are_not_private(text: str, data: ModerationData) -> None:
    assert not private_spans(text, data)


def test_redact_keeps_other_text_and_replaces_each_span(data: ModerationData) -> None:
    text = "I'm Jo, 07911 123456, jo@example.com, NHS 943 476 5919"
    assert redact(text, classify(text, CONTEXT, data)) == "I'm Jo, [phone], [email], NHS [nhs number]"


# --- urgent care: an event told as over or denied is not an emergency now

@pytest.mark.parametrize("text", [
    "my mum had a stroke 3 years ago, can she still get the shingles jab?",
    "since recovering from his heart attack my dad wants to start swimming",
    "she has no chest pain, just a cough",
    "I had a seizure as a child, do I need to tell the DVLA?",
])
def test_past_or_denied_emergencies_are_not_urgent(text: str, data: ModerationData) -> None:
    assert Category.URGENT_CARE not in categories(text, data)


@pytest.mark.parametrize("text", [
    "my dad is having a heart attack",
    "I think I'm having a heart attack",
    "he had a heart attack last year and now he has chest pain again",
    "mum just had a stroke, her face has dropped",
    "not sure if it's a heart attack but he's gone grey",
])
def test_present_emergencies_are_still_urgent(text: str, data: ModerationData) -> None:
    assert Category.URGENT_CARE in categories(text, data)


# --- evasion

@pytest.mark.parametrize("evasive", [
    "f u c k", "fuuuuuck", "f.u.c.k", "f*ck", "fu¢k", "ｆｕｃｋ", "𝐟𝐮𝐜𝐤", "fцck", "FUCK", "f🤬ck", "phuck",
])
def test_evasive_spellings_are_undone(evasive: str, data: ModerationData) -> None:
    assert Category.ABUSE in categories(f"{evasive} you", data)


def test_fold_keeps_offsets() -> None:
    text = "Ｈéllo wοrld 🖕 ok"
    assert len(fold(text)) == len(text)
    assert fold("ΑΒС") == "abc"  # Greek and Cyrillic capitals that look Latin


def test_small_capitals_fold_to_plain_letters() -> None:
    text = "ꜰʀᴇᴇ ᴄʀʏᴘᴛᴏ ꜱɪɢɴᴀʟꜱ"  # Unicode decomposes none of them
    assert fold(text) == "free crypto signals"
    assert len(fold(text)) == len(text)


def test_normalisation_undoes_leet_but_keeps_real_numbers() -> None:
    assert prepare("sh1t a$$ 5G covid19 at 4am").joined == "shit ass 5g covid19 at 4am"


# --- idioms, medical words, quoted abuse, directedness

@pytest.mark.parametrize("text", [
    "this heat is killing me", "got my booster shot", "I could kill for a brew", "shoot me an email",
    "that costs a bomb", "the waiting room was dead busy", "hand gel kills germs",
])
def test_idioms_are_neither_threat_nor_abuse(text: str, data: ModerationData) -> None:
    assert not categories(text, data) & {Category.THREAT, Category.ABUSE}


@pytest.mark.parametrize("text", ["breast lump", "rectal bleeding", "prostate exam", "smear test", "sexual health clinic", "penis rash", "anal fissure", "testicle pain"])
def test_medical_words_are_not_abuse(text: str, data: ModerationData) -> None:
    assert Category.ABUSE not in categories(f"who do I see about a {text}?", data)


def test_quoted_abuse_being_reported_is_not_abuse(data: ModerationData) -> None:
    assert Category.ABUSE not in categories('Someone called the receptionist a "stupid cow" today, awful', data)
    assert Category.ABUSE in categories('you are a "stupid cow"', data)


@pytest.mark.parametrize("text", [
    "A man in the car park called you lot 'useless scum', which was well out of order",
    "my neighbour called your nurses \"lazy pigs\" on Twitter, I've reported him",
])
def test_reports_of_abuse_aimed_at_staff_are_not_abuse(text: str, data: ModerationData) -> None:
    assert Category.ABUSE not in categories(text, data)


def test_a_health_claim_with_no_insult_is_misinformation_not_abuse(data: ModerationData) -> None:
    findings = classify("Vaccines cause autism and they know it, keep your kids well away from them", CONTEXT, data)
    assert primary_category(findings, SURE_ADVERT) is Category.MISINFORMATION
    assert Category.ABUSE not in {f.category for f in findings}


@pytest.mark.parametrize("text", [
    "Brilliant care from the district nurses this week, thank you so much",
    "great service at the blood clinic, in and out in ten minutes",
])
def test_praise_is_not_a_complaint(text: str, data: ModerationData) -> None:
    assert Category.COMPLAINT not in categories(text, data)


def test_a_report_of_a_fake_account_is_verification_not_misinformation(data: ModerationData) -> None:
    findings = classify("Watch out, a fake NHS Leeds page is sharing covid booster links, is it yours?", CONTEXT, data)
    assert primary_category(findings, SURE_ADVERT) is Category.VERIFICATION


def test_the_complaint_model_holds_no_pronoun_features(data: ModerationData) -> None:
    # Trained without style words ("my order" is the retail set's strongest complaint sign),
    # and its word prefixes leave them out too ("~your" from "your" would bring it back).
    assert not {"my", "i", "you", "my appointment"} & set(data.complaint.model.weights)
    assert data.complaint.model.prefixes and "your" in data.complaint.model.words_without
    words = prepare("your appointment was cancelled").words
    feats = data.complaint.model.features_for(words, [])
    assert "~your" not in feats and {"~appo", "~appoin", "~canc", "~cancel"} <= set(feats)


def test_word_prefixes_join_the_forms_of_a_word() -> None:
    assert prefix_features(("cancelled", "cancellation", "gp", "<url>"), (4, 6)) == ["~canc", "~canc", "~cancel", "~cancel"]


@pytest.mark.parametrize(("text", "asks"), [
    ("can I get a flu jab at the pharmacy", True),        # a verb before its subject asks without a "?"
    ("@NHSLeeds is there parking at St James's?", True),
    ("when does the walk-in centre open?", True),
    ("when does the walk-in centre open", False),         # a wh-word asks only with a "?"
    ("When it comes to your health, facts matter more than friends' advice", False),
    ("what a joke of a service, 3 hours on hold", False),
])
def test_what_counts_as_a_question(text: str, asks: bool, data: ModerationData) -> None:
    assert read_message(text, data.lexicon, data.idioms, questions=data.questions).asks is asks


def test_a_report_of_what_someone_else_said_is_not_a_complaint_on_the_model_alone(data: ModerationData) -> None:
    reported = "A man called the receptionist a 'lazy cow' at the desk this morning. Is that acceptable?"
    assert Category.COMPLAINT not in categories(reported, data)
    assert Category.ABUSE not in categories(reported, data)


def test_a_model_misinformation_guess_stays_as_evidence_behind_listed_wording(data: ModerationData) -> None:
    findings = (
        Finding(Category.MISINFORMATION, 0.9, "misinformation.model", "model"),
        Finding(Category.SPAM, 0.9, "spam.pattern", "wording: 'dm me'"),
    )
    assert primary_category(findings, SURE_ADVERT) is Category.SPAM
    listed = (Finding(Category.MISINFORMATION, 0.9, "misinformation.claim.bleach-cures", "claim"), findings[1])
    assert primary_category(listed, SURE_ADVERT) is Category.MISINFORMATION
    # The complaint model's guess gives way to a listed verification report; abuse never gives way.
    report = (Finding(Category.COMPLAINT, 0.7, "complaint.model", "model"), Finding(Category.VERIFICATION, 0.85, "verification.pattern", "wording"))
    assert primary_category(report, SURE_ADVERT) is Category.VERIFICATION
    abuse = (Finding(Category.ABUSE, 0.8, "abuse.model", "model"), Finding(Category.COMPLAINT, 0.8, "complaint.pattern", "wording"))
    assert primary_category(abuse, SURE_ADVERT) is Category.ABUSE


def test_insults_count_when_aimed_at_a_person(data: ModerationData) -> None:
    assert Category.ABUSE in categories("you stupid idiot", data)
    assert Category.ABUSE not in categories("the booking system is stupid", data)


def test_mild_swearing_about_a_service_is_a_complaint(data: ModerationData) -> None:
    found = categories("this wait is bloody ridiculous", data)
    assert Category.COMPLAINT in found and Category.ABUSE not in found


@pytest.mark.parametrize("text", ["I know where she lives", "I know where the receptionist parks", "watch your back", "I'll burn the surgery down"])
def test_indirect_threats(text: str, data: ModerationData) -> None:
    assert Category.THREAT in categories(text, data)


# --- misinformation by meaning

def test_a_claim_is_matched_by_meaning_and_carries_its_official_link(data: ModerationData) -> None:
    findings = classify("my cousin's lad became autistic right after his MMR jabs", CONTEXT, data)
    claim = next(f for f in findings if f.category is Category.MISINFORMATION)
    assert claim.check == "misinformation.claim.vaccines-autism"
    assert "https://www.nhs.uk/" in claim.detail


def test_a_denial_of_a_claim_is_not_misinformation(data: ModerationData) -> None:
    assert Category.MISINFORMATION not in categories("vaccines do not cause autism", data)


# --- spam repetition

def test_similarity_is_a_proper_measure() -> None:
    first = trigram_profile("when will my referral be sorted")
    assert similarity(first, first) == pytest.approx(1.0)
    assert similarity(first, trigram_profile("when will my referral be sorted out")) > 0.8
    assert similarity(first, trigram_profile("thanks for the lovely care")) < 0.3
    assert similarity(first, trigram_profile("")) == 0.0


def test_the_same_point_repeated_by_one_author_is_spam(data: ModerationData) -> None:
    text = "WHEN is someone going to sort out my referral???"
    earlier = ("when is someone going to sort my referral out", "When is someone going to sort out my referral!!")
    once = ClassifyContext(now=CONTEXT.now, author_recent_texts=earlier[:1])
    twice = ClassifyContext(now=CONTEXT.now, author_recent_texts=earlier)
    assert Category.SPAM not in categories(text, data, once)
    findings = classify(text, twice, data)
    assert any(f.check == "spam.repetition" for f in findings)


def test_different_points_from_one_author_are_not_repetition(data: ModerationData) -> None:
    context = ClassifyContext(now=CONTEXT.now, author_recent_texts=("what time is the clinic open", "thanks that helped a lot"))
    assert Category.SPAM not in categories("where do I park for the eye clinic", data, context)


def test_links_to_trusted_domains_are_not_promotion(data: ModerationData) -> None:
    assert Category.SPAM not in categories("see https://www.nhs.uk/conditions/flu/ and www.gov.uk/coronavirus", data)


# --- the engine: order, priority, failures

def test_checks_are_named_ordered_and_versioned() -> None:
    assert [check.name for check in CHECKS][0] == "danger"
    assert all(check.version and isinstance(check.category, Category) for check in CHECKS)
    assert len({check.name for check in CHECKS}) == len(CHECKS)


def test_primary_category_follows_the_priority() -> None:
    findings = (Finding(Category.COMPLAINT, 0.9, "c"), Finding(Category.SAFEGUARDING, 0.5, "s"), Finding(Category.ABUSE, 0.9, "a"))
    assert primary_category(findings, SURE_ADVERT) is Category.SAFEGUARDING
    assert primary_category((), SURE_ADVERT) is Category.ORDINARY


def test_a_check_that_raises_becomes_an_engine_error_finding(data: ModerationData, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> tuple[Finding, ...]:
        raise RuntimeError("boom")

    checks = tuple(dataclasses.replace(c, run=broken) if c.name == "spam" else c for c in CHECKS)
    monkeypatch.setattr("bot.moderation.CHECKS", checks)
    findings = classify("check out my channel", CONTEXT, data)
    error = [f for f in findings if f.check == ENGINE_ERROR_CHECK]
    assert error == [Finding(Category.SPAM, 0.0, ENGINE_ERROR_CHECK, "check spam (spam-1) failed: RuntimeError")]
    assert isinstance(checks[0], Check)


# --- loading: errors name file, key and line

def _copy(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "config"
    models = tmp_path / "models"
    shutil.copytree(CONFIG, config)
    shutil.copytree(MODELS_DIR, models, ignore=shutil.ignore_patterns("*.md"))
    return config, models


def test_a_bad_pattern_is_named_with_file_key_and_line(tmp_path: Path) -> None:
    config, models = _copy(tmp_path)
    path = config / "threat.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"\\\\bdead (?:wo)?man walking\\\\b"', '"(unclosed"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_moderation_data(config, models)
    assert caught.value.file.endswith("threat.toml")
    assert caught.value.key.startswith("threat.patterns (line ")
    assert "not a valid regular expression" in caught.value.problem


def test_a_duplicate_word_and_a_bad_claim_link_are_errors(tmp_path: Path) -> None:
    config, models = _copy(tmp_path)
    abuse = config / "abuse.toml"
    abuse.write_text(abuse.read_text(encoding="utf-8").replace('"idiot", "idiots"', '"idiot", "idiot"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="listed twice"):
        load_moderation_data(config, models)
    config, models = _copy(tmp_path / "again")
    claims = config / "claims.toml"
    claims.write_text(claims.read_text(encoding="utf-8").replace('link = "https://www.nhs.uk/conditions/measles/"', 'link = "nhs.uk/measles"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"measles-harmless\.link"):
        load_moderation_data(config, models)


def test_a_model_of_the_wrong_version_or_shape_is_refused(tmp_path: Path) -> None:
    config, models = _copy(tmp_path)
    raw = json.loads((models / "spam.json").read_text(encoding="utf-8"))
    (models / "spam.json").write_text(json.dumps({**raw, "version": "other-1"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="version"):
        load_moderation_data(config, models)
    (models / "spam.json").write_text(json.dumps({**raw, "weights": {"x": [1]}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"weights\.x"):
        load_moderation_data(config, models)
    (models / "spam.json").write_text(json.dumps({**raw, "prefixes": [0]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="prefixes"):
        load_moderation_data(config, models)


def test_shipped_models_are_small() -> None:
    assert sum(p.stat().st_size for p in MODELS_DIR.glob("*.json")) < 20_000_000


def abuse_found(text: str, data: ModerationData) -> list[Finding]:
    return [f for f in classify(text, CONTEXT, data) if f.category is Category.ABUSE]


@pytest.mark.parametrize(("text", "check"), [
    ("this booking app is absolute bollocks, it keeps logging me out", "abuse.swearing"),
    ("three weeks and still no call back, this is a f*cking joke", "abuse.swearing"),
    ("f*ck off", "abuse.wordlist"),
    ("you lot are f*cking useless", "abuse.wordlist"),
    ("sh*t account run by a moron", "abuse.wordlist"),
    # Round 11: name-calling needs no target word; at someone not here it is redirected like swearing at nobody.
    ("the muppet on the phones lost my letter again", "abuse.name_calling"),
    ("whichever dopey pillock decided to shut the walk-in centre", "abuse.name_calling"),
    ("you absolute muppet", "abuse.wordlist"),
    ("the receptionist is a pillock", "abuse.wordlist"),
])
def test_abuse_at_nobody_here_is_told_apart_from_abuse_of_a_person(text: str, check: str, data: ModerationData) -> None:
    assert [f.check for f in abuse_found(text, data)] == [check]


@pytest.mark.parametrize(("text", "word"), [
    ("sh*tting myself waiting for these results and nobody rings back", "shitting"),
    ("proper twatted off with the car park machines", "twatted"),
    ("the whole referral system is bollocksed", "bollocksed"),
    ("utter dogshit service from start to end", "dogshit"),
    ("ffs why does the booking page crash every morning", "ffs"),
])
def test_swear_stems_are_read_with_their_endings_and_fronts(text: str, word: str, data: ModerationData) -> None:
    found = abuse_found(text, data)
    assert found and word in found[0].detail


@pytest.mark.parametrize("text", ["the doctor said my friend is feckless with money", "shitake mushrooms are lovely in a stir fry"])
def test_words_that_only_start_with_a_swear_stem_are_not_swearing(text: str, data: ModerationData) -> None:
    assert Category.ABUSE not in categories(text, data)


@pytest.mark.parametrize("text", [
    "I felt such an idiot asking the pharmacist twice",
    "is 'muppet' classed as abuse under your rules?",
])
def test_name_calling_of_no_one_is_not_abuse(text: str, data: ModerationData) -> None:
    found = abuse_found(text, data)
    assert not any(f.check.startswith("abuse.wordlist") or f.check == "abuse.name_calling" for f in found)


@pytest.mark.parametrize("text", [
    "immigrants coming over here clogging up the hospitals, send the lot of them back",
    "those eastern europeans are all on the take",
    "junkies deserve nowt, let them rot",
    "male nurses are a joke, get a proper job",                         # round 5: roles, ages, regions
    "doctors from abroad haven't got a clue, half of them",
    "typical millennials on reception, clueless and glued to their phones",
    "pensioners are a drain on the NHS and always will be",
])
def test_a_demeaned_group_is_abuse_without_a_listed_word(text: str, data: ModerationData) -> None:
    found = [f for f in classify(text, CONTEXT, data) if f.category is Category.ABUSE]
    assert [f.check for f in found] == ["abuse.cue.group_demeaned"]


@pytest.mark.parametrize("text", [
    "the racism my muslim neighbours face at the bus stop is disgusting",
    "the disabled toilet was filthy again",
    "do you run a clinic for women with endometriosis?",
    "refugees can register with a GP, can't they?",
    "old people waiting 12 hours on a trolley is a joke",              # round 5: a complaint for a group
    "pensioners shouldn't be treated like this, my nan waited all day",
    "no wonder elderly people are scared to come in",
    "are there any clinics for junior doctors who feel burnt out?",
])
def test_talk_about_a_group_or_its_abuse_is_not_abuse(text: str, data: ModerationData) -> None:
    assert not any(f.check.startswith("abuse.cue") for f in classify(text, CONTEXT, data))
