"""Danger cue families (config/moderation/danger_cues.toml): each family fires on varied wordings
and not on its near misses; guards for negation, past events, talk about the topic and idioms; the
file's validation errors; and matching that stays linear in the length of the message."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.model import Category, ClassifyContext, Finding
from bot.moderation import ModerationData, classify, cues, load_moderation_data
from bot.moderation.text import features, prepare

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))
URGENT, SUPPORT = 0.7, 0.3  # the shipped policy's tier thresholds (config/policy.toml)


@pytest.fixture(scope="module")
def data() -> ModerationData:
    return load_moderation_data(CONFIG)


def origin(finding: Finding) -> str:
    """The finding's third field, where it came from (named `rule` or `check` depending on the version)."""
    return str(getattr(finding, dataclasses.fields(finding)[2].name))


def danger_score(text: str, data: ModerationData, category: Category) -> float:
    return max((f.score for f in classify(text, CONTEXT, data) if f.category is category), default=0.0)


def highest_danger_score(text: str, data: ModerationData) -> float:
    """The stronger of the safeguarding and urgent-care scores: which tier, if any, the message reaches."""
    return max(danger_score(text, data, category) for category in (Category.SAFEGUARDING, Category.URGENT_CARE))


def families(text: str, data: ModerationData) -> set[str]:
    return {hit.family.name for hit in cues.hits(cues.read(prepare(text).words, data.danger.cues), data.danger.cues)}


# Each family, on wordings that avoid danger.toml's listed phrases.
FIRES = [
    ("suicide_plan", "I'm going to jump off the multi storey tonight"),
    ("suicide_plan", "been planning to hang myself when everyone's out"),
    ("means_intent", "I'm going to swallow a whole packet of sertraline"),
    ("dose_research", "how many amitriptyline would it take to be fatal"),
    ("research_means", "I've been googling how to do it painlessly"),
    ("preparation", "I've rehomed my cat and sorted my will"),
    ("absence", "you won't have to worry about me for much longer, when I'm gone it'll be easier"),
    ("burden", "I'm just a burden to everyone around me"),
    ("hopelessness", "I feel hopeless, there's no way out"),
    ("self_harm", "I've started cutting again and hiding it from my mum"),
    ("self_harm_intent", "I've got the urge to hurt myself again"),
    ("violence_at_home", "my boyfriend slapped me again last night"),
    ("fear_at_home", "I'm terrified of my husband when he's been drinking"),
    ("coercive_control", "he goes through my phone and takes my bank card every week"),
    ("coercive_control", "my sister's husband is really controlling her, she's not seen us in months"),
    ("coercive_control", "I think my boyfriend has an app on my phone, he always knows where I am"),
    ("child_at_risk", "the toddler over the road is left outside in the cold for hours"),
    ("elder_at_risk", "my nan's carer is taking her pension and there's never any food"),
    ("grooming", "a man online told my son to keep it a secret from us"),
    ("cardiac", "dad's got chest pain going down his left arm and he's clammy"),
    ("breathing", "she's gasping for air and can't speak"),
    ("asthma_not_helping", "his inhaler isn't helping at all and he's wheezing"),
    ("stroke", "grandma's face is drooping and she's slurring"),
    ("collapse", "my brother is unresponsive on the floor"),
    ("seizure_severe", "he's been fitting for ten minutes and it won't stop"),
    ("heavy_bleeding", "the cut is bleeding heavily through the towel"),
    ("meningitis_signs", "my son has a stiff neck and a high temperature"),
    ("infant_unwell", "my 5 week old has a fever of 38"),
    ("head_injury_red_flag", "she banged her head on the swing and now she's confused"),
    ("poisoning", "my toddler swallowed a button battery"),
    ("overdose_taken", "I've taken 24 paracetamol"),
    ("hypo", "he's diabetic and really shaky and confused"),
    ("sudden_headache", "a thunderclap headache came from nowhere"),
    ("fall_cant_get_up", "mum has fallen and can't get up"),
    # Round 4: families added from the misses of danger_voices4_uk.csv's training part.
    ("chemo_fever", "I'm on chemo and my temp is 38.2 and I'm shivery"),
    ("testicle_pain", "my 13 year old has sudden pain in one testicle and is being sick"),
    ("child_dehydrated", "my toddler has been vomiting all night and has sunken eyes"),
    ("child_battery", "I think my daughter has put a watch battery in her mouth"),
    ("age_gap", "my niece is 14 and she's going out with a 22 year old"),
    ("not_seen", "my neighbour hasn't been seen for a week and isn't answering the door"),
]


@pytest.mark.parametrize(("family", "text"), FIRES, ids=[f"{family}-{index}" for index, (family, _) in enumerate(FIRES)])
def test_each_family_fires_on_its_own_wording(family: str, text: str, data: ModerationData) -> None:
    assert family in families(text, data)


# Near misses: the same words in ordinary messages.
NEAR_MISSES = [
    "I'm going to collect my tablets tomorrow",
    "how many paracetamol can I take in a day?",
    "I'll be gone on holiday for two weeks, can I get my prescription early?",
    "the admin is a burden on the NHS",
    "I cut myself chopping onions, do I need a plaster?",
    "my son was left out of the football team and he's gutted",
    "my nan loves her new carer",
    "don't tell your mum but we're planning a surprise party",
    "my chest clinic appointment is next Tuesday",
    "my son's head teacher rang about the school trip",
    "my diabetic dad wants to know about the foot clinic",
    "where can I buy a watch battery for my son's watch?",
    "can you have the flu jab while on chemo?",
    "my niece is 14 and wants to be a nurse like her 22 year old cousin",
    "does the testicular cancer clinic run on Saturdays?",
]


# Round 5 chose the support tier for recall (a support line on up to about a tenth of ordinary UK
# messages): these near misses may get the support line from a model, never the urgent tier. The r7
# urgent-care model reads "blood" and "taken" (an overdose taken, bleeding) in a routine blood test. The r9
# safeguarding model reads a partner checking a phone (coercive control, as the round-7 writer told it) at 0.57:
# keeping it out would take the support tier to 0.6 (UK validation at risk 0.951 -> 0.926).
@pytest.mark.parametrize("text", ["I've just had my blood taken and feel fine", "my partner wants to check my phone contract, can he?"])
def test_near_misses_a_model_may_give_a_support_line(text: str, data: ModerationData) -> None:
    found = [f for f in classify(text, CONTEXT, data) if f.category in (Category.SAFEGUARDING, Category.URGENT_CARE)]
    assert all(f.score < URGENT and f.check.endswith(".model") for f in found), [(origin(f), f.score) for f in found]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_get_no_danger_finding(text: str, data: ModerationData) -> None:
    found = [f for f in classify(text, CONTEXT, data) if f.category in (Category.SAFEGUARDING, Category.URGENT_CARE)]
    assert not found, [(origin(f), f.score, f.detail) for f in found]


@pytest.mark.parametrize("text", [
    "I'm going to take all my tablets tonight and end it",
    "I've written letters to my kids and given away my dog, this is goodbye",
    "my partner strangled me last night and I'm scared to go home",
    "my 6 week old baby is floppy and burning up",
    "I've swallowed 30 paracetamol",
])
def test_strong_signs_reach_the_urgent_tier(text: str, data: ModerationData) -> None:
    assert max(danger_score(text, data, Category.SAFEGUARDING), danger_score(text, data, Category.URGENT_CARE)) >= URGENT


def cues_alone(data: ModerationData) -> ModerationData:
    """The danger check with both models silent: what the cue families and listed wording say."""
    return dataclasses.replace(data, danger=dataclasses.replace(
        data.danger, model_support=1.01, model_urgent=1.02, urgent_model_support=1.01, urgent_model_urgent=1.02))


@pytest.mark.parametrize("text", [
    "I feel like such a burden",
    "I've been feeling hopeless lately",
    "my son banged his head on the table",
])
def test_a_single_weaker_sign_is_the_support_tier(text: str, data: ModerationData) -> None:
    alone = cues_alone(data)
    score = max(danger_score(text, alone, Category.SAFEGUARDING), danger_score(text, alone, Category.URGENT_CARE))
    assert SUPPORT <= score < URGENT


def test_a_weaker_sign_the_model_agrees_with_reaches_the_urgent_tier(data: ModerationData) -> None:
    # The burden family alone is the support tier; the safeguarding model, which learnt from other
    # people's words, reads risk in the same message: two readers agreeing add up like two families.
    text = "I feel like such a burden"
    assert danger_score(text, cues_alone(data), Category.SAFEGUARDING) < URGENT
    assert danger_score(text, data, Category.SAFEGUARDING) >= URGENT
    off = dataclasses.replace(data, danger=dataclasses.replace(
        data.danger, agreement_caps={Category.SAFEGUARDING: 0.0, Category.URGENT_CARE: 0.0}))
    assert danger_score(text, off, Category.SAFEGUARDING) < URGENT


def test_naming_the_topic_alone_needs_a_second_reader_for_the_urgent_tier(data: ModerationData) -> None:
    # suicide_named is a `confirm` family: "suicidal" is said in talk about the topic as often as in a
    # crisis, so alone it is the support tier; the model reading risk in the same message confirms it.
    text = "I've been feeling suicidal"
    alone = cues_alone(data)
    assert "suicide_named" in families(text, data)
    assert SUPPORT <= danger_score(text, alone, Category.SAFEGUARDING) < URGENT
    assert danger_score(text, data, Category.SAFEGUARDING) >= URGENT
    # A second unguarded family confirms it too, with the models silent.
    assert danger_score("I've been feeling suicidal and I've written a note for my family", alone, Category.SAFEGUARDING) >= URGENT


def test_a_guarded_cue_never_adds_up_with_the_model(data: ModerationData) -> None:
    # Talk about the topic caps the family and the model alike; agreement cannot undo the guard.
    eager = dataclasses.replace(data, danger=dataclasses.replace(data.danger, model_support=0.01, model_urgent=0.999))
    assert danger_score("we did a suicide prevention walk on Saturday, brilliant turnout", eager, Category.SAFEGUARDING) < URGENT


@pytest.mark.parametrize("text", [
    "I nearly killed myself laughing at the panto",
    "kill myself laughing every time I watch it",
    "dying for a brew after that shift",
    "jumped at the chance to get my jab",
    "my feet are killing me after the 10k",
])
def test_plain_idioms_are_not_danger(text: str, data: ModerationData) -> None:
    assert danger_score(text, data, Category.SAFEGUARDING) < SUPPORT
    assert danger_score(text, data, Category.URGENT_CARE) < SUPPORT


@pytest.mark.parametrize("text", [
    "we did a suicide prevention walk on Saturday, brilliant turnout",
    "our school had a self harm awareness training day",
    "how do I support a friend who is suicidal?",
    "on my first aid course we learnt what to do if someone is not breathing",
])
def test_talk_about_danger_topics_stays_below_the_urgent_tier(text: str, data: ModerationData) -> None:
    assert danger_score(text, data, Category.SAFEGUARDING) < URGENT
    assert danger_score(text, data, Category.URGENT_CARE) < URGENT


@pytest.mark.parametrize("text", [
    "no chest pain, just a sore throat",
    "he isn't fitting, just very tired",
    "two years ago he had a stroke and he's fine now",
    "my son had meningitis as a baby, he's 10 now and doing brilliantly",
])
def test_negated_and_past_emergencies_are_not_urgent_care(text: str, data: ModerationData) -> None:
    assert danger_score(text, data, Category.URGENT_CARE) == 0.0


def test_something_happening_now_undoes_the_past(data: ModerationData) -> None:
    assert danger_score("she had a stroke last year and now her face is drooping again", data, Category.URGENT_CARE) >= URGENT


def test_the_finding_names_the_family_and_the_words_it_read(data: ModerationData) -> None:
    text = "I've taken 24 paracetamol"
    finding = next(f for f in classify(text, CONTEXT, data) if f.category is Category.URGENT_CARE)
    assert origin(finding) == "urgent_care.cue.overdose_taken"
    assert "'24'" in finding.detail and "'paracetamol'" in finding.detail
    assert {span.text_in(text) for span in finding.spans} >= {"24", "paracetamol"}


def test_two_weaker_families_together_reach_the_urgent_tier(data: ModerationData) -> None:
    alone = cues_alone(data)
    assert danger_score("I feel like such a burden", alone, Category.SAFEGUARDING) < URGENT
    assert danger_score("I feel like such a burden and I've sorted my affairs", alone, Category.SAFEGUARDING) >= URGENT


# --- validation of the file

def _broken(tmp_path: Path, old: str, new: str) -> Path:
    directory = tmp_path / "moderation"
    shutil.copytree(CONFIG, directory)
    path = directory / cues.FILE
    source = path.read_text(encoding="utf-8")
    assert old in source
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return directory


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('requires = ["suicide"]', 'requires = ["suicde"]', "family.suicide_named.requires", "unknown concept 'suicde'"),
    ('window = 8\nweight = 0.85', 'window = 0\nweight = 0.85', "family.suicide_plan.window", "from 1 to"),
    ('weight = 0.85', 'weight = 1.5', "family.suicide_named.weight", "at most 1"),
    ('category = "safeguarding"', 'category = "threat"', "family.suicide_named.category", "safeguarding or urgent_care"),
    ('hopelessness = [', 'hopelessness = [ "* and",', "concepts.hopelessness", "cannot start with *"),
    ('name = "death_wish"', 'name = "suicide_named"', "family.suicide_named", "defined twice"),
    ("urgent_probability = 0.99", "urgent_probability = 0.1", "model.urgent_probability", "above support_probability"),
    ("weight = 0.85\nconfirm = true", 'weight = 0.85\nconfirm = "yes"', "family.suicide_named.confirm", "true or false"),
    ("beside_wording_probability = 0.8", "beside_wording_probability = 2", "model.beside_wording_probability", "from 0.01 to 1.0"),
    ('unless = ["my_intent"]', 'unless = ["my_intnet"]', "family.harm_from_someone_close.unless", "unknown concept 'my_intnet'"),
    ('unless = ["my_intent"]', 'unless = "my_intent"', "family.harm_from_someone_close.unless", "list of concept names"),
])
def test_a_bad_cue_file_names_its_key(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_moderation_data(_broken(tmp_path, old, new))
    message = str(raised.value)
    assert cues.FILE in message and key in message and problem in message


# --- linear time, measured by counting the entries compared

def _compared(words: tuple[str, ...], book: cues.CueBook) -> int:
    """How many entry comparisons the one pass makes: the work `find_concepts` does."""
    total = 0
    for index, word in enumerate(words):
        total += len(book.by_first_word.get(word, ())) + (len(book.by_number) if word.isdigit() else 0)
        total += len(book.by_first_pair.get((word, words[index + 1]), ())) if index + 1 < len(words) else 0
        total += sum(len(book.by_prefix.get(word[:size], ())) for size in book.prefix_sizes)
    return total


def test_matching_work_grows_linearly_on_adversarial_input(data: ModerationData) -> None:
    book = data.danger.cues
    # The word pairs that start the most entries, repeated: the worst case for the one pass.
    busiest = sorted(book.by_first_pair, key=lambda pair: -len(book.by_first_pair[pair]))[:5]
    unit = " ".join(" ".join(pair) for pair in busiest * 4) + " 30 "
    small = prepare(unit * 10).words
    large = prepare(unit * (100_000 // len(unit))).words
    assert len(" ".join(large)) >= 90_000
    per_word = (max(len(entries) for entries in book.by_first_word.values()) + len(book.by_number)
                + max(len(entries) for entries in book.by_first_pair.values())
                + sum(max(len(entries) for entries in book.by_prefix.values()) for _ in book.prefix_sizes))
    assert _compared(large, book) <= per_word * len(large)
    assert _compared(large, book) / len(large) == pytest.approx(_compared(small, book) / len(small), rel=0.05)
    hits = cues.hits(cues.read(large, book), book)  # runs to the end: no backtracking to blow up
    assert all(hit.end <= len(large) for hit in hits)


# --- the model and listed wording on the same scale

def test_the_model_probability_maps_onto_the_tiers(data: ModerationData) -> None:
    from bot.moderation.danger import model_score

    danger = data.danger
    assert model_score(danger.model_support - 0.01, danger) == 0.0
    assert model_score(danger.model_support, danger) == pytest.approx(SUPPORT)
    assert SUPPORT < model_score((danger.model_support + danger.model_urgent) / 2, danger) < URGENT
    assert model_score(danger.model_urgent - 1e-6, danger) < URGENT
    assert model_score(danger.model_urgent, danger) >= URGENT
    assert model_score(1.0, danger) <= 0.9


def test_a_model_with_no_urgent_probability_never_reaches_the_urgent_tier(data: ModerationData) -> None:
    from bot.moderation.danger import model_score

    never = dataclasses.replace(data.danger, model_urgent=1.0)
    assert SUPPORT <= model_score(0.999, never) < URGENT


def test_talk_about_the_topic_caps_the_model_too(data: ModerationData) -> None:
    talk = "brilliant documentary about suicide, the statistics on young men were shocking"
    finding = next((f for f in classify(talk, CONTEXT, data) if f.category is Category.SAFEGUARDING), None)
    assert finding is None or finding.score < URGENT


def test_a_listed_phrase_defers_to_the_family_that_read_the_same_words(data: ModerationData) -> None:
    # danger.toml lists "banged his head"; the head-injury family reads it, and its weight sets the tier.
    assert SUPPORT <= danger_score("my son banged his head on the table", data, Category.URGENT_CARE) < URGENT
    assert danger_score("my son banged his head and now he's drowsy and confused", data, Category.URGENT_CARE) >= URGENT
    # A listed phrase no family reads keeps its own weight.
    finding = next(f for f in classify("I'm in a mental health crisis", CONTEXT, data) if f.category is Category.SAFEGUARDING)
    assert finding.score >= URGENT


def test_an_emergency_the_model_also_reads_stays_an_emergency(data: ModerationData) -> None:
    # The safeguarding model reads risk in an overdose too (here made to speak at any probability);
    # the stronger urgent-care cue names the category, and the model's view stays in its evidence.
    eager = dataclasses.replace(data, danger=dataclasses.replace(data.danger, model_support=0.01, model_urgent=0.999))
    findings = [f for f in classify("my friend took an overdose of paracetamol an hour ago", CONTEXT, eager)
                if f.category in (Category.SAFEGUARDING, Category.URGENT_CARE)]
    assert [f.category for f in findings] == [Category.URGENT_CARE]
    assert findings[0].score >= URGENT and "safeguarding model" in findings[0].detail


def test_the_model_alone_names_safeguarding_when_no_emergency_outscores_it(data: ModerationData) -> None:
    findings = classify("everyone would have an easier life if I just wasn't around any more", CONTEXT, data)
    assert Category.SAFEGUARDING in {f.category for f in findings}


# Round 2: urgent-care wordings from the NHS's 999 and 111 guidance that the first families missed.
URGENT_NOW = [
    "my grandad has had a fall in the bathroom and can't get up, he's been there for hours",
    "my son hasn't slept for days, he's paranoid and keeps trying to run into the road",
    "she had a lot of wine and took some of her sleeping tablets, now she's snoring and we can't wake her",
    "he was knocked off his bike and now keeps asking the same questions",
    "my dad is grey and clammy and says he feels awful",
    "my mum can't find her words and her face looks wonky",
    "I'm 30 weeks and the baby hasn't kicked since last night",
    "my toddler swallowed a coin and is drooling",
    "my nan hasn't had a wee all day and she's shivering",
]


@pytest.mark.parametrize("text", URGENT_NOW)
def test_emergencies_told_in_other_words_reach_the_urgent_tier(text: str, data: ModerationData) -> None:
    assert danger_score(text, data, Category.URGENT_CARE) >= URGENT


NOT_NOW = [
    "I fell over in the snow last week, just a bruised knee, all fine now",
    "is it safe to have a glass of wine with my antidepressants at christmas",
    "we did a first aid course on what to do if someone has had a fall and can't get up",
    "my nan with dementia is paranoid about her purse but she's settled in well at the home",
]


@pytest.mark.parametrize("text", NOT_NOW)
def test_their_near_misses_stay_below_the_urgent_tier(text: str, data: ModerationData) -> None:
    assert danger_score(text, data, Category.URGENT_CARE) < URGENT


# Round 2: safeguarding wordings from Samaritans, NSPCC and Women's Aid guidance that the first families missed.
AT_RISK_NOW = [
    "I've paid off my debts and left instructions for my funeral",
    "he counts the miles on the car and checks my receipts",
    "my nan's carer took her to the bank and now her savings are gone",
    "I've been carving into my leg again",
    "my brother left a note saying sorry and he's not answering",
]


@pytest.mark.parametrize("text", AT_RISK_NOW)
def test_risk_told_in_other_words_is_found_by_the_cues_alone(text: str, data: ModerationData) -> None:
    without_model = dataclasses.replace(data, danger=dataclasses.replace(data.danger, model_support=0.99, model_urgent=1.0))
    assert danger_score(text, without_model, Category.SAFEGUARDING) >= SUPPORT


def test_a_baby_born_at_3am_is_good_news(data: ModerationData) -> None:
    assert danger_score("Baby Isla arrived at 3am, the midwives were incredible", data, Category.SAFEGUARDING) < SUPPORT


# --- round 3: the urgent-care model

HYPO_WITHOUT_LISTED_WORDS = "my husband is shaking and sweating and talking nonsense, he's on insulin"


def test_the_urgent_care_model_reads_an_emergency_no_cue_family_lists(data: ModerationData) -> None:
    finding = next(f for f in classify(HYPO_WITHOUT_LISTED_WORDS, CONTEXT, data) if f.category is Category.URGENT_CARE)
    assert finding.check == "urgent_care.model" and finding.score >= SUPPORT


def test_the_urgent_care_model_maps_onto_the_tiers_by_its_own_probabilities(data: ModerationData) -> None:
    from bot.moderation.danger import scaled

    danger = data.danger
    support, urgent = danger.urgent_model_support, danger.urgent_model_urgent
    assert (support, urgent) != (danger.model_support, danger.model_urgent)
    assert scaled(support - 0.01, support, urgent) == 0.0
    assert SUPPORT <= scaled(support, support, urgent) < URGENT
    assert scaled(urgent, support, urgent) >= URGENT


def test_an_urgent_care_model_finding_defers_to_a_stronger_safeguarding_one(data: ModerationData) -> None:
    # Made to speak at any probability, the urgent-care model reads a plan to end one's life too; the
    # safeguarding finding names the category and keeps the model's view as evidence.
    eager = dataclasses.replace(data, danger=dataclasses.replace(data.danger, urgent_model_support=0.01, urgent_model_urgent=0.999))
    findings = [f for f in classify("I've written my goodbye letters and I'm going to end it tonight", CONTEXT, eager)
                if f.category in (Category.SAFEGUARDING, Category.URGENT_CARE)]
    assert [f.category for f in findings] == [Category.SAFEGUARDING]
    assert "urgent_care model" in findings[0].detail


def test_talk_about_the_topic_caps_the_urgent_care_model(data: ModerationData) -> None:
    talk = "we learned on the first aid course what a hypo looks like: shaking, sweating and talking nonsense"
    assert danger_score(talk, data, Category.URGENT_CARE) < URGENT
    assert not [f for f in classify("my husband is on insulin, when is the next diabetes clinic?", CONTEXT, data)
                if f.category in (Category.SAFEGUARDING, Category.URGENT_CARE)]


def test_urgent_care_model_probabilities_must_be_ordered(tmp_path: Path) -> None:
    directory = tmp_path / "moderation"
    shutil.copytree(CONFIG, directory)
    cue_file = directory / cues.FILE
    cue_file.write_text(cue_file.read_text(encoding="utf-8").replace("urgent_care_urgent_probability = 0.93", "urgent_care_urgent_probability = 0.5"), encoding="utf-8")
    with pytest.raises(ConfigError, match="urgent_care_urgent_probability"):
        load_moderation_data(directory)


# --- round 3: how other people say the same thing (Scots and text-speak spellings, more kinds)

ROUND3_URGENT = [
    ("honestly cannae dae this anymore, am gonnae end it tonite", Category.SAFEGUARDING),
    ("my wee lad swallied a button battery fae the remote", Category.URGENT_CARE),
    ("ma da's got a sair chest and his arm has gone numb", Category.URGENT_CARE),
    ("her carer has been taking money out of her account and she has dementia", Category.SAFEGUARDING),
    ("a grown man keeps asking my daughter for pics and says he'll share the photos if she tells anyone", Category.SAFEGUARDING),
    ("my baby had a fit and now she's floppy", Category.URGENT_CARE),
]


@pytest.mark.parametrize(("text", "category"), ROUND3_URGENT)
def test_round3_wordings_reach_the_urgent_tier(text: str, category: Category, data: ModerationData) -> None:
    assert danger_score(text, data, category) >= URGENT


@pytest.mark.parametrize("text", [
    "my mum had a fit when she saw my new tattoo",
    "we're doing a sponsored walk for the sepsis trust, please sponsor us",
    "my mum kicked off when she saw the bill",
])
def test_round3_near_misses_stay_out_of_the_urgent_tier(text: str, data: ModerationData) -> None:
    assert highest_danger_score(text, data) < URGENT


# Round 5: the support tier starts low (recall first), so a greeting or a thank-you is never asked
# of either model: shown here with both models made to speak at any probability.
@pytest.mark.parametrize("text", ["hiya 👋", "Thank you so much!!", "morning all", "cheers mate x", "thanks again, lovely team"])
def test_greetings_and_thanks_never_get_a_danger_finding(text: str, data: ModerationData) -> None:
    eager = dataclasses.replace(data, danger=dataclasses.replace(
        data.danger, model_support=0.01, model_urgent=0.999, urgent_model_support=0.01, urgent_model_urgent=0.999))
    assert not [f for f in classify(text, CONTEXT, eager) if f.category in (Category.SAFEGUARDING, Category.URGENT_CARE)]


def test_a_thank_you_that_says_more_is_still_read(data: ModerationData) -> None:
    eager = dataclasses.replace(data, danger=dataclasses.replace(data.danger, model_support=0.01, model_urgent=0.999))
    findings = classify("thanks for everything, I won't be around to need you much longer", CONTEXT, eager)
    assert Category.SAFEGUARDING in {f.category for f in findings}


# Round 5: wordings from NHS 999 / 111, Samaritans, Beat and NSPCC guidance that the families missed
# in the independent writers' training rows; each message here is new, not a copy of a training row.
ROUND5_FAMILIES = [
    ("stroke", "my grandad's talking but it's all nonsense words and his arm has gone limp"),
    ("cardiac", "my uncle has a strong pain in chest that goes down his arm, he's 70"),
    ("meningitis_signs", "teenager upstairs says she can't look at the light and her neck is stiff"),
    ("accident_injury", "lad got knocked off his scooter by a van and he's not moving"),
    ("poisoning", "my partner drank some antifreeze thinking it was squash"),
    ("psychosis_danger", "my brother says he's on a mission from god and keeps walking into traffic"),
    ("eating_disorder_danger", "I've been making myself sick after meals for weeks and today I fainted at work"),
    ("carbon_monoxide", "whole family has had headaches since the boiler started making a noise"),
    ("self_harm_signs", "40 days clean and tonight the cuts are getting deeper again"),
    ("child_at_risk", "the little boy across the road flinches whenever his dad walks past and his hair's all matted"),
]


ROUND6_FAMILIES = [
    ("hidden_injury", "what's the best concealer over the marks on my neck, don't want work asking"),
    ("hidden_injury", "she always says she walked into a door but it's the third black eye this year"),
    ("not_seen", "the lady downstairs has had her curtains shut since Friday and there's no answer when I knock"),
    ("not_seen", "old chap next door, no lights on all week and his dog barking, knocked twice and nothing"),
    ("hopelessness", "I'm so tired of fighting, there's no fight left in me"),
]


# Round 7: concept wordings from NHS, Samaritans and NSPCC guidance that the families missed in the
# fourth writer's training rows; each message here is new, not a copy of a training row.
ROUND7_FAMILIES = [
    ("preparation", "you can close my file at the clinic, I've made my own arrangements now"),
    ("absence", "sorry for all the fuss, you won't have to patch me up again after this weekend"),
    ("self_harm_maybe", "rough week, kept taking it out on myself in the bathroom where no one sees"),
    ("elder_at_risk", "my nan is skin and bone, the lodger has her bank card and never feeds her"),
    ("pregnancy_red_flag", "I'm 35 weeks and I haven't felt the baby kick since yesterday teatime"),
    ("child_swallowed_medicine", "found my 2 year old next to an empty blister pack of my mum's tablets"),
    ("sudden_headache", "pain came on like being hit over the head and I keep being sick"),
    # Each cue entry's other spelling (a contraction spelt out, or contracted) fires its family too.
    ("preparation", "Everything's in order now, the solicitor has the letter for my son"),
    ("pregnancy_red_flag", "I have not felt him move since this morning and I'm 37 weeks"),
    ("fear_at_home", "please help, he is hitting her again next door, I can hear it"),
]


# Round 8: harm from someone close, told by the person at risk: who, an act or threat of harm, and whom,
# in any order and tense (Women's Aid, SafeLives DASH, NSPCC). Each message is new, not a training row.
ROUND8_FAMILIES = [
    ("harm_from_someone_close", "my boyfriend keeps threatening to knock me out if I go to my sister's"),
    ("harm_from_someone_close", "the kids' dad turned up drunk and said he'd stab me in front of the kids"),
    ("harm_from_someone_close", "mums partner slapped me and my little brother last night for being noisy"),
    ("harm_from_someone_close", "me fella says if I tell the health visitor he'll batter me"),
    ("threat_to_me_from_someone_close", "my ex said he'd track me down wherever I moved"),
    ("threat_to_me_from_someone_close", "his family say if I leave I'll never see the kids again"),
    ("harm_from_him_or_her", "he grabbed me by the hair again last night and I've got marks"),
    ("threat_to_me_from_him_or_her", "she said she'd get rid of me if I told anyone"),
    ("cruel_words_at_home", "my stepmum screams at my little sister every night and calls her worthless"),
]

# Near misses: harm words about nothing, an injury told by the person hurt, the writer's own threat.
ROUND8_NOT_FAMILIES = [
    ("harm_from_someone_close", "my dad hurt his back lifting the wardrobe for me, can he self-refer to physio?"),
    ("harm_from_someone_close", "I'll batter my brother if he eats my last yoghurt again, he knows it's mine"),
    ("harm_from_someone_close", "my daughter fell and has a bruise on her knee, nothing serious"),
    ("harm_from_him_or_her", "I'll stab the receptionist if she speaks to me like that again"),
    ("cruel_words_at_home", "my mum says I'm useless at parking, she's not wrong"),
]


@pytest.mark.parametrize(("family", "text"), ROUND8_FAMILIES)
def test_round8_harm_from_someone_close_fires(family: str, text: str, data: ModerationData) -> None:
    assert family in families(text, data)
    assert highest_danger_score(text, data) >= SUPPORT


@pytest.mark.parametrize(("family", "text"), ROUND8_NOT_FAMILIES)
def test_round8_near_misses_do_not_fire_the_family(family: str, text: str, data: ModerationData) -> None:
    assert family not in families(text, data)


def test_each_group_of_a_family_reads_its_own_words(data: ModerationData) -> None:
    # "my mum" is both someone close and someone of mine: one phrase cannot be both who harms and who is harmed.
    assert "harm_from_someone_close" not in families("my mum got hit by a cyclist on the crossing", data)
    assert "harm_from_someone_close" in families("my mum hit me with her slipper again", data)


@pytest.mark.parametrize(("family", "text"), ROUND5_FAMILIES + ROUND6_FAMILIES + ROUND7_FAMILIES)
def test_round5_to_7_wordings_fire_their_family(family: str, text: str, data: ModerationData) -> None:
    assert family in families(text, data)


@pytest.mark.parametrize("text", [
    "I've stopped eating meat, any tips for getting enough iron?",
    "our boiler is broken again, who do I ring about the housing association?",
    "fell out with my sister and everything feels all wrong",
    "had some mushrooms on toast, is that ok before my blood test?",
    "my little one bruises so easily, is that worth mentioning to the GP?",
    "the curtains in the day room are filthy, can someone wash them?",
    "fighting off a cold again, can I still have my flu jab?",
    "knocked twice at reception and nobody came, is the clinic open?",
    "the wet bed sheets are in the wash, my little one had an accident",
    "I felt the baby kick for the first time today, 21 weeks and over the moon",
    "we made our own arrangements for the school run this week, thanks anyway",
    "chuck the empty bottles in the green bin please, not the black one",
    "I used to take it out on myself years ago, doing really well now",
    # Round 9: a family idiom whose cause is a small household mishap of the writer's own is hyperbole (a
    # support line is allowed); the same family with a real cause stays urgent (a test further down).
    "my nan is going to murder me, I've shrunk her cardigan in the tumble dryer",
    "the wife will kill me when she sees the gas bill, I left the heating on all weekend",
    "hubby's gonna strangle me, I've reversed into the gatepost again",
    "my brother will actually kill me, I've eaten the last slice of his birthday cake",
])
def test_round5_to_9_near_misses_stay_out_of_the_urgent_tier(text: str, data: ModerationData) -> None:
    assert highest_danger_score(text, data) < URGENT


def test_an_emergency_told_as_over_drops_the_urgent_care_model_too(data: ModerationData) -> None:
    # The urgent-care model made to speak at any probability: the past guard drops it, as it drops a family.
    eager = dataclasses.replace(data, danger=dataclasses.replace(data.danger, urgent_model_support=0.01, urgent_model_urgent=0.999))
    assert danger_score("my dad had a heart attack a few years ago, he's fine now", eager, Category.URGENT_CARE) == 0.0
    assert danger_score("my dad had a heart attack years ago and now he has chest pain again", eager, Category.URGENT_CARE) >= SUPPORT


def test_a_model_guess_beside_listed_wording_is_that_wordings(data: ModerationData) -> None:
    # The safeguarding model made to speak at any probability: beside an impersonation report or spam
    # by their wording, its support-tier guess is dropped (a support-tier finding would stop the hide) ...
    eager = dataclasses.replace(data, danger=dataclasses.replace(data.danger, model_support=0.01, model_urgent=1.0))
    for text in ("someone has set up a fake page with your logo and is messaging people for money",
                 "earn £500 a day from home, message me to find out how"):
        assert not [f for f in classify(text, CONTEXT, eager) if f.category in (Category.SAFEGUARDING, Category.URGENT_CARE)]
    # ... but a cue family beside abuse stays, and signposting comes first.
    findings = classify("fuck this, everyone would be better off if I was gone", CONTEXT, eager)
    assert Category.SAFEGUARDING in {f.category for f in findings}


def test_the_model_agrees_with_a_cue_family_only_from_its_agreement_probability(data: ModerationData) -> None:
    # Round 5 lowered where the model alone starts the support tier (recall); where it agrees with a
    # family, and so confirms one that only names the topic into the urgent tier, stays apart (precision).
    text = "been thinking about suicide a lot this week"

    def with_agreement(probability: float) -> ModerationData:
        return dataclasses.replace(data, danger=dataclasses.replace(
            data.danger, model_support=0.01, model_urgent=1.0,
            agreement_probabilities={Category.SAFEGUARDING: probability, Category.URGENT_CARE: 0.9}))

    assert SUPPORT <= danger_score(text, with_agreement(1.0), Category.SAFEGUARDING) < URGENT
    assert danger_score(text, with_agreement(0.01), Category.SAFEGUARDING) >= URGENT


# --- round 6: jokes marked by emoji, hidden injuries, welfare checks, "stopped fighting"

@pytest.mark.parametrize("text", [
    "if the printer jams one more time I'm throwing myself out of the window 😂",
    "that spin class nearly killed me, legs have gone completely 🤣",
    "forgot my lunch AND my purse, just end me now 🙈",
])
def test_a_laughing_emoji_keeps_hyperbole_out_of_the_urgent_tier(text: str, data: ModerationData) -> None:
    assert highest_danger_score(text, data) < URGENT


def test_a_laughing_emoji_caps_what_is_said_but_keeps_the_support_line(data: ModerationData) -> None:
    # The same words without the emoji reach the urgent tier; with it a person still gets the support line.
    plain = "I'm going to throw myself off the multi storey tonight"
    assert danger_score(plain, data, Category.SAFEGUARDING) >= URGENT
    assert SUPPORT <= danger_score(plain + " 😂", data, Category.SAFEGUARDING) < URGENT


def test_emoji_people_in_crisis_also_write_are_no_joke(data: ModerationData) -> None:
    # The skull, the upside-down face and the sweat smile are not joking marks.
    for mark in ("💀", "🙃", "😅"):
        assert danger_score(f"I'm going to throw myself off the multi storey tonight {mark}", data, Category.SAFEGUARDING) >= URGENT


def test_a_joking_mark_sits_at_the_word_it_follows(data: ModerationData) -> None:
    text = "lol ok 😂 anyway"
    message_tokens = prepare(text).tokens
    assert cues.mark_positions(text, [token.start for token in message_tokens], data.danger.cues) == (1,)


def test_a_joking_mark_must_be_a_symbol_not_a_word(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_moderation_data(_broken(tmp_path, 'joking_marks = ["😂",', 'joking_marks = ["lol", "😂",'))
    assert "guards.joking_marks" in str(raised.value) and "emoji" in str(raised.value)


# --- round 6: one cue family alone, where the model reads no risk at all, stays below the urgent tier

def _lone_cue(data: ModerationData, safeguarding: float, urgent_care: float) -> ModerationData:
    return dataclasses.replace(data, danger=dataclasses.replace(data.danger, lone_cue_probabilities={
        Category.SAFEGUARDING: safeguarding, Category.URGENT_CARE: urgent_care}))


def test_a_lone_family_the_model_doubts_keeps_the_support_line_not_the_urgent_tier(data: ModerationData) -> None:
    # A family alone, with the models made to read no risk (probabilities 0): below the urgent tier, never dropped.
    deaf = dataclasses.replace(data, danger=dataclasses.replace(
        data.danger, model=dataclasses.replace(data.danger.model, intercept=-40.0),
        urgent_model=dataclasses.replace(data.danger.urgent_model, intercept=-40.0)))
    text = "my neighbour's little lad is left outside in the cold for hours"
    assert danger_score(text, _lone_cue(deaf, 0.0, 0.0), Category.SAFEGUARDING) >= URGENT
    assert SUPPORT <= danger_score(text, _lone_cue(deaf, 0.2, 0.1), Category.SAFEGUARDING) < URGENT
    # Two families agree: the urgent tier stands whatever the model reads.
    assert danger_score("I've written letters to my kids and given away my dog, this is goodbye",
                        _lone_cue(deaf, 0.2, 0.1), Category.SAFEGUARDING) >= URGENT
    # danger.toml's listed wording is explicit and keeps its weight.
    assert danger_score("I'm in a mental health crisis", _lone_cue(deaf, 0.2, 0.1), Category.SAFEGUARDING) >= URGENT


def test_a_lone_family_the_model_reads_stays_urgent(data: ModerationData) -> None:
    assert danger_score("my son banged his head and now he's drowsy and confused", data, Category.URGENT_CARE) >= URGENT


def test_the_lone_cue_probability_is_checked_naming_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_moderation_data(_broken(tmp_path, "lone_cue_probability = { safeguarding = 0.2,", "lone_cue_probability = { safeguarding = 0.9,"))
    assert "model.lone_cue_probability.safeguarding" in str(raised.value)


# Round 7: an entry lists one spelling and people write either: each entry also matches its
# contractions spelt out and its spelt-out words contracted, as the message normaliser spells them.
@pytest.mark.parametrize(("words", "spelling"), [
    (("everything", "is", "in", "order"), ("everythings", "in", "order")),
    (("havent", "felt", "him", "move"), ("have", "not", "felt", "him", "move")),
    (("cant", "stop", "bleeding"), ("cannot", "stop", "bleeding")),
    (("hes", "hitting", "her"), ("he", "is", "hitting", "her")),
])
def test_an_entry_also_matches_its_other_spelling(words: tuple[str, ...], spelling: tuple[str, ...]) -> None:
    assert spelling in cues.other_spellings(words)


def test_words_that_are_words_of_their_own_are_never_respelt() -> None:
    # "ill" is I'll and ill, "its" it's and its: spelling them out would read "ill" as "I will".
    assert cues.other_spellings(("feeling", "ill", "and", "its", "late")) == ()


def test_beside_swearing_a_model_guess_stays_from_the_beside_wording_probability(data: ModerationData) -> None:
    # Round 7: people in crisis swear; beside abuse a model's support-tier guess needs
    # `beside_wording_probability` (0.8 since round 8), not the urgent tier, so signposting comes first.
    text = "I hate my fucking life"
    message = prepare(text)
    probability = data.danger.model.score(data.danger.model.features_for(message.words, features(message.words)))
    assert data.danger.model_support <= probability < data.danger.model_urgent
    for beside, kept in ((probability - 0.01, True), (probability + 0.01, False)):
        trial = dataclasses.replace(data, danger=dataclasses.replace(data.danger, beside_wording_probability=beside))
        categories = {f.category for f in classify(text, CONTEXT, trial)}
        assert Category.ABUSE in categories
        assert (Category.SAFEGUARDING in categories) is kept


@pytest.mark.parametrize("text", [
    "my husband says he'll kill me if I ever try to take the kids, he's done it before with a knife to my throat",
    "he's going to kill me when he gets in, he smashed my phone last night and I'm hiding in the bathroom",
])
def test_round9_harm_from_someone_close_with_a_real_cause_stays_urgent(text: str, data: ModerationData) -> None:
    assert highest_danger_score(text, data) >= URGENT


def test_round9_beside_private_details_alone_a_model_guess_has_its_own_probability(data: ModerationData) -> None:
    """Private details beside a danger guess are often the person at risk's own (an address for a welfare
    check): that guess is kept from `beside_private_probability`, apart from the bar beside abuse."""
    text = "please can someone check on my neighbour at 14 Elm Road LS6 2AB, she's 90 and hasn't answered the door for days"
    findings = {f.category: f for f in classify(text, CONTEXT, data)}
    model_guess = findings.get(Category.SAFEGUARDING)
    if model_guess is None or not origin(model_guess).endswith(".model"):
        pytest.skip("this wording is read by a cue family, not the model alone")
    for private, kept in ((0.01, True), (0.999, False)):
        trial = dataclasses.replace(data, danger=dataclasses.replace(data.danger, beside_private_probability=private,
                                                                        beside_wording_probability=0.999))
        assert (Category.SAFEGUARDING in {f.category for f in classify(text, CONTEXT, trial)}) is kept
