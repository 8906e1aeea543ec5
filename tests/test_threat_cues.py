"""Threats found by concept cues (threat.toml's [cues]): each family, near misses, config errors (their speed on hostile input: `python -m bench.adversarial`)."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.model import Category, ClassifyContext
from bot.moderation import ModerationData, classify, load_moderation_data
from bot.policy import primary_category
from bot.moderation.concepts import family_features, find_cues, read_cues
from bot.moderation.data import MODELS_DIR
from bot.moderation.message import Message, read_message
from bot.moderation.linear import LinearModel
from bot.moderation.threat import (CONCEPT_MARK, REPORTED_HARM_CHECK, check_threat, concept_features, guarded, model_threshold_for,
                                   model_words, quotations, reported_harm, reported_quotes)
from tests.helpers import SURE_ADVERT

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def data() -> ModerationData:
    return load_moderation_data(CONFIG)


def message_of(text: str, data: ModerationData) -> Message:
    """The message as the checks read it."""
    return read_message(text, data.lexicon, data.idioms, data.screen, data.questions)


def threat_checks(text: str, data: ModerationData) -> list[str]:
    return [f.check for f in classify(text, CONTEXT, data) if f.category is Category.THREAT]


@pytest.mark.parametrize(("text", "cue"), [
    # a weapon beside an intent, a target or an act of harm
    ("bring a machete next time and see how long the wait is then", "weapon"),
    ("next time I'm bringing a knife to that reception desk", "weapon"),
    ("petrol through the letterbox tonight, see how they like it", "weapon"),
    ("she wants acid in her face for what she said to my mum", "weapon_at"),
    ("I've got a baseball bat in the boot for that doctor", "weapon"),
    # an act of harm aimed at someone, with an intent or a wish before it
    ("I'm going to do her in when I see her", "harm_person"),
    ("swear down I will batter that receptionist", "harm"),
    ("im gonna smash his face in", "harm"),
    ("someone ought to torch the practice", "harm"),
    ("kill them all, every one of them", "harm_aimed"),
    ("torch the surgery and be done with it", "harm_target"),
    # a wish that someone were hurt
    ("hope she gets stabbed on her way home", "wish"),
    ("I hope that nurse gets battered", "wish"),
    # knowing where someone is found
    ("I know where that nurse parks her car", "knowing_where"),
    ("found out where the receptionist lives", "knowing_where"),
    ("I know what car you drive, Dr Ahmed", "knowing_detail"),
    ("followed her home last night, she never noticed", "knowing_detail"),
    # veiled warnings and revenge
    ("Dr Shah had better watch out, that's all I'm saying", "veiled"),
    ("don't be surprised if something happens to that receptionist", "veiled"),
    ("I'll get even with that receptionist", "revenge"),
    ("I'll make you pay for what you did to my dad", "revenge_said"),
    # round 2: a weapon or a place named, arson and bombs, formal and implied threats, wishes, knowing
    ("I'll be on level 2 of the car park with a can of petrol", "weapon"),
    ("if she crosses that car park again I'll run her over", "harm_person"),
    ("there's a device under the front desk, you have an hour", "veiled_said"),
    ("Kindly inform the ward manager that I will not be responsible for what I do on Friday", "veiled_said"),
    ("I hope the consultant crashes his car", "wish"),
    ("My uncle knows where the GP lives", "knowing_where"),
    ("I know her shift pattern and her route home", "knowing_detail"),
    # round 3: an act of harm aimed at someone's body, bomb hoaxes, formal, slang and veiled wordings
    ("Wallahi I will break that security guards jaw", "harm_body"),
    ("Fuck the doctor I'll snap his arms", "harm_body"),
    ("Your building has been rigged. Evacuate or don't", "veiled_said"),
    ("Kindly inform Dr Brown that I intend to cause him serious bodily harm", "veiled_said"),
    ("yall gonna learn when i pull up with the strap", "veiled_said"),
    ("That GP will be six feet under before my review date", "veiled"),
    ("Any NHS worker I see in uniform this week is fair game", "veiled_said"),
    # round 4: bounties, bomb hoaxes told by a time, wishes and menace in other words, revenge
    ("100 quid to whoever hurts that porter first", "veiled_said"),
    ("the bag by the lifts will go boom at noon", "veiled_said"),
    ("would love to see that consultant end up in a ditch", "harm_to"),
    ("I'm getting back at that receptionist, wait and see", "revenge"),
    ("remember my face nurse, you'll see it again", "veiled"),
    # round 5: violence urged on a group or in the passive, damage to a place, making someone pay
    ("the whole lot of them want rounding up and they should all be shot", "urged"),
    ("every single asylum seeker needs to be wiped off the map", "urged"),
    ("bomb those protesters and be done with it", "harm_group"),
    ("those people should all die, simple as", "should_die"),
    ("i'll wreck the waiting room at the walk in centre", "damage"),
    ("the reception at Harehills will need a glazier by Friday", "damage"),
    ("that pharmacist deserves a good kicking", "harm_to"),
    ("I'll make that midwife pay for every minute my wife suffered", "made_to_pay"),
    ("Consider yourself warned, Dr Patel.", "veiled_said"),
    ("those people need stringing up, every last one", "needs_doing"),
    ("Ward 12. Friday night. I've got a knife.", "armed"),
    # round 6: improvised weapons, conditional menace, watching someone, getting even, violence urged in the '-ing' form
    ("got a knuckleduster with that receptionist's name on it", "weapon"),
    ("I'd hate to be in your shoes on Friday, doctor", "veiled"),
    ("Funny how things have a way of catching up with receptionists like her", "veiled"),
    ("Nice photo of your car on the staff page, doctor", "veiled"),
    ("I'll be paying you back for what happened to my dad, wait and see", "revenge"),
    ("the walk-in centre wants burning down, all of it", "veiled_said"),
    # round 10: a misfortune wished on someone, evening the score, a door or rota found out
    ("really hoping that smug pharmacist gets hit by a bus on his way home", "wish_misfortune"),
    ("may your receptionists all die slowly and alone", "wish_misfortune"),
    ("time to even the score with that consultant, properly this time", "revenge"),
    ("got her rota from a mate on the ward, sorted", "knowing_detail"),
])
def test_each_cue_family_finds_threats_worded_without_the_listed_patterns(text: str, cue: str, data: ModerationData) -> None:
    found = classify(text, CONTEXT, data)
    assert primary_category(found, SURE_ADVERT) is Category.THREAT, [f.check for f in found]
    message = message_of(text, data)
    assert cue in {match.combo for match in find_cues(data.threat_signals.cues, message)}


def test_a_cue_finding_names_its_concepts_and_where_they_are(data: ModerationData) -> None:
    text = "bring a machete next time"
    finding = next(f for f in classify(text, CONTEXT, data) if f.category is Category.THREAT)
    assert finding.check == "threat.cue.weapon"
    assert "weapon 'machete'" in finding.detail and "intent 'next time'" in finding.detail
    assert [span.text_in(text) for span in finding.spans] == ["machete next time"]


@pytest.mark.parametrize("text", [
    "this queue is killing me",                                     # idioms
    "I could murder a brew after that shift",
    "smash that like button for the blood donor appeal",
    "knife crime awareness session at the youth hub on Friday",
    "do you know where I can park for the eye clinic?",             # knowing-where, but asking the way
    "does anyone know where the fracture clinic is",
    "the nurse hurt my arm taking blood, is that normal",           # harm told, not threatened
    "hope the jab doesn't hurt, she's nervous",
    "I got a burn on my hand at work, can the pharmacy help",       # harm as a noun
    "I'm not going to stab anyone, I just want my results",         # negated
    "I would never hurt the staff, they've been lovely",
    "will I have to pay for this prescription?",                    # "pay for this" without revenge
    "the doctor will burn off the wart next week",
    "hope the nurse who hurt my mum's arm is more careful next time",  # the clause ends at "who"
    "does the shampoo kill all the nits?",
    "my son was shot at school in America years ago and still has nightmares",
    "My son cut himself on a kitchen knife, is minor injuries open?",     # round 2 near misses
    "is there a petrol station near the hospital?",
    "tell the doctor I'll see him on Monday",                           # the model reads no "I'll"
    "the surgery will be shut on monday, the doctor will see you tuesday",
    "does the shampoo kill all the nits?",                              # asked, not threatened
    "I could kill for a coffee after that night shift",                 # round 3: idioms reach neither cues nor model
    "Off to smash it at the gym tonight",
    "my grandad was in bomb disposal during the war",
    "going to break the news to my mum about the diagnosis",            # an act on a body part, or none
    "I broke my arm skiing, will the fracture clinic see me?",
    "I hope the nurses on ward 18 get a proper break this Christmas",
    "The knife wound on my hand has gone red and hot, should I come in?",
    "That quiz was a massacre, our team came last",
    "I'll be taking this to my MP",                                     # angry but lawful
    "you'll be hearing from my solicitor",
    "I hit my head on the cupboard door, should the nurse look at it?",  # round 4 near misses
    "does the GP fill in the form for a shotgun certificate?",
    "may the nurses on the night shift get some rest this Christmas",
    "I pray for the doctors and nurses every night",
    "do you have a knife amnesty bin at the health centre?",
    "my husband left his spanner in the car park, has anyone handed it in?",   # round 6 near misses
    "I'd hate for anyone to miss their flu jab this year",
    "can I bring my own tools to the men's shed session at the health centre?",
    "haven't felt the baby kick all day, should I ring the maternity unit?",   # round 8: a baby moving, not an act
    "kill myself laughing every time I watch it",   # round 9: the words aimed at the writer are a danger idiom
    "hope no one else gets hit by a car at that junction by the surgery",   # round 10: a worry, negated
    "my dad had a heart attack last year and the cardiac nurses were brilliant",   # a misfortune told, no wish
    "I hope my mum recovers quickly from her stroke",                        # wishing someone well
])
def test_near_misses_are_not_threats(text: str, data: ModerationData) -> None:
    assert not threat_checks(text, data)


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    config, models = tmp_path / "config", tmp_path / "models"
    shutil.copytree(CONFIG, config)
    shutil.copytree(MODELS_DIR, models, ignore=shutil.ignore_patterns("*.md"))
    return config, models


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('steps = [["weapon"], ["person"]]', 'steps = [["weapon"], ["weapons"]]', "cues.combos[1].steps", "not a family"),
    ('id = "harm_target"\nsteps = [["harm"], ["target"]]\nwindow = 3', 'id = "harm_target"\nsteps = [["harm"], ["target"]]\nwindow = 99', "cues.combos[", "from 0 to 20"),
    ('"knife", "knives",', '"knife", "knife",', "cues.families.weapon", "listed twice"),
    ('"knife", "knives",', '"knife", "a b c d e f g",', "cues.families.weapon", "1 to 6 words"),
    ('negation_reach = 3', 'negation_reach = "three"', "cues.negation_reach", "must be a number"),
    ('id = "harm_target"\nsteps = [["harm"], ["target"]]\nwindow = 3', 'id = "harm_target"\nsteps = [["harm"], ["target"]]\nwindow = 3\nacross_sentences = "yes"', "cues.combos[", "true or false"),
    ('guards = ["praise",', 'guards = ["praising",', "thresholds.guards", "not a family"),
    ('guard_marks = ["😂",', 'guard_marks = ["lol",', "thresholds.guard_marks", "emoji or a symbol"),
    ("model_guarded = 0.95", "model_guarded = 2", "thresholds.model_guarded", ""),
    ('id = "reported"\nsteps = [["close"],', 'id = "reported"\nsteps = [["closer"],', "victim.combos[0].steps", "not a family"),
    ('own_intent = [', 'writers_intent = [', "victim.families", "own_intent"),
    ('\naddressed = [', '\nsecond_person = [', "victim.families", "addressed"),
    ('unaddressed = ["witnessed",', 'unaddressed = ["witness",', "victim.unaddressed", "not an id"),
    ('regardless_of_intent = ["self_directed",', 'regardless_of_intent = ["self",', "victim.regardless_of_intent", "not an id"),
    ("score = 0.5\n", "score = 0.9\n", "victim.score", ""),
])
def test_a_bad_cue_entry_is_named_with_file_and_key(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    config, models = _copy(tmp_path)
    path = config / "threat.toml"
    source = path.read_text(encoding="utf-8")
    assert old in source
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_moderation_data(config, models)
    assert caught.value.file.endswith("threat.toml")
    assert caught.value.key.startswith(key)
    assert problem in caught.value.problem


def test_a_cue_never_reaches_across_a_sentence(data: ModerationData) -> None:
    assert not threat_checks("Will the stab vest talk go ahead? Nurse Jo asked", data)
    assert not threat_checks("I hope she is ok. Stabbed by a thorn at the park, the nurse said", data)
    assert threat_checks("I hope she gets stabbed", data)


def test_the_threat_model_needs_a_word_of_violence_or_a_far_stronger_score(data: ModerationData) -> None:
    signals = data.threat_signals
    assert signals.model.version.startswith("threat-") and signals.model_threshold < signals.model_alone_threshold
    # An insult with "should be" reads like the hate speech the model learnt, but names no violence.
    insult = "You lot are useless f***ing idiots, the whole lot of you should be sacked"
    assert primary_category(classify(insult, CONTEXT, data), SURE_ADVERT) is Category.ABUSE
    assert not threat_checks(insult, data)


def test_a_model_gate_naming_no_family_is_an_error(tmp_path: Path) -> None:
    config, models = _copy(tmp_path)
    path = config / "threat.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('model_needs = ["weapon",', 'model_needs = ["weapons",'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_moderation_data(config, models)
    assert caught.value.key.startswith("thresholds.model_needs") and "weapons" in caught.value.problem


def test_the_threat_model_is_not_asked_about_one_or_two_words_it_knows(data: ModerationData) -> None:
    # On a message of one known word a normalised score is large and means nothing ("I'm watching this").
    # A word's prefix ("~watc") repeats the word: only words and word pairs are counted.
    signals = data.threat_signals
    text = "I'm watching this in 2014"
    message = message_of(text, data)
    feats = signals.model.features_for(message.words, message.feats)
    assert signals.model.known(message.feats) < signals.model_min_features <= 3 <= signals.model.known(feats)
    assert not threat_checks(text, data)


def test_the_threat_model_reads_a_word_it_never_saw_by_its_prefix(data: ModerationData) -> None:
    # "petroled" is in no training row; "~petr" (petrol, petrolled) is, and it counts as evidence once. (Round 10: the
    # prefixes of words the model is trained without, "that" and "tonight", no longer count: "him and his family" does.)
    signals = data.threat_signals
    assert signals.model.prefixes == (4,)
    text = "that gp is getting petroled tonight, him and his family"
    message = message_of(text, data)
    _, families, ignored = read_cues(signals.cues, message)
    words, word_features = model_words(message, ignored)
    assert "petroled" not in signals.model.weights and "~petr" in signals.model.weights
    feats = signals.model.features_for(words, word_features) + concept_features(signals.cues, message, families, ignored)
    without_prefixes = [feature for feature in feats if not feature.startswith("~")]
    assert signals.model.score(feats) > signals.model.score(without_prefixes)
    assert threat_checks(text, data) == ["threat.model"]


def test_the_threat_model_reads_no_words_of_an_ignored_phrase(data: ModerationData) -> None:
    # "burn off" is in threat.toml's ignore family: the model never sees its "burn".
    assert not threat_checks("the doctor will burn off the wart next week", data)
    assert not threat_checks("I could kill for a coffee", data)


def test_a_listed_pattern_skips_the_cues_ignore_phrases(data: ModerationData) -> None:
    # "watch your back when" and "watch your back everyone" are in the ignore family: advice, not menace.
    assert not threat_checks("Watch your back when lifting the baby, the physio said", data)
    assert not threat_checks("watch your back everyone, the steps by the pharmacy are icy", data)
    assert threat_checks("watch your back nurse", data) == ["threat.pattern"]


def test_a_place_blown_up_or_a_member_of_staff_run_over_is_a_threat_whatever_sits_between(data: ModerationData) -> None:
    assert threat_checks("gonna blow that pharmacy up tonight", data) == ["threat.pattern"]
    assert threat_checks("someone should run that receptionist over", data) == ["threat.pattern"]
    assert not threat_checks("who will run the pharmacy over christmas?", data)


def test_the_threat_model_reads_the_cue_families_a_message_holds(data: ModerationData) -> None:
    signals = data.threat_signals
    model = signals.model
    # A weapon the training rows never named still weighs like its family.
    text = "got my katana sharpened for the pharmacist"
    message = message_of(text, data)
    _, families, ignored = read_cues(signals.cues, message)
    words, word_features = model_words(message, ignored)
    assert "katana" not in model.weights and "weapon" in families
    assert model.weights["#weapon"][0] > 0
    with_family = model.score(model.features_for(words, word_features) + family_features(families, CONCEPT_MARK))
    assert with_family > model.score(model.features_for(words, word_features))
    # Who is named and when stays the cues' job: the model holds no feature of those families.
    assert not {"#target", "#person", "#intent", "#wish"} & set(model.weights)
    # ... nor of two such families together: "the whole lot of you should be sacked" names people and wishes, no harm.
    assert not {"#person&target", "#target&wish", "#intent&target"} & set(model.weights)


def test_the_threat_model_reads_two_cue_families_together_as_one_feature(data: ModerationData) -> None:
    # A word of harm alone is in sport and slang; beside a member of staff it is the model's strongest family evidence.
    signals = data.threat_signals
    model = signals.model
    assert model.weights["#harm&target"][0] > 0

    def read(text: str) -> tuple[list[str], list[str]]:
        message = message_of(text, data)
        _, families, ignored = read_cues(signals.cues, message)
        words, word_features = model_words(message, ignored)
        return model.features_for(words, word_features), concept_features(signals.cues, message, families, ignored)

    feats, concepts = read("gonna leather that porter")
    assert concepts == ["#harm", "#intent", "#target", "#harm&intent", "#harm&target", "#intent&target",
                        "#harm~intent", "#harm~target", "#intent~target"]
    assert model.score(feats + concepts) > model.score(feats + [c for c in concepts if "&" not in c and "~" not in c])
    # Only families in one clause make a pair: the wish and the harm here are two sentences apart.
    _, concepts = read("I hope the nurse is ok. Nettle stings burn for hours")
    assert {"#harm", "#target", "#wish"} <= set(concepts) and not {"#harm&wish", "#harm&target"} & set(concepts)
    assert not threat_checks("I hope the nurse is ok. Nettle stings burn for hours", data)


def test_the_threat_model_trains_on_what_the_check_reads() -> None:
    pytest.importorskip("sklearn")
    from bot.moderation.lexicon import load_lexicon
    from bot.moderation.train import threat_reader

    words, feats = threat_reader(load_lexicon(CONFIG), CONFIG)("I could kill for a coffee, then I'm bringing the machete")
    assert "kill" not in words and "machete" in words            # a safe idiom's words are left out
    assert "#weapon" in feats and "#harm" not in feats


def test_the_threat_model_asks_less_of_a_message_naming_staff_or_a_place_than_of_one_naming_nobody(data: ModerationData) -> None:
    signals = data.threat_signals
    assert signals.model_threshold <= signals.model_aimed_threshold < signals.model_alone_threshold
    assert {"target", "person"} <= signals.model_aimed and signals.model_aimed.isdisjoint(signals.model_needs)
    thresholds = {}
    for text in ("the whole world will find out what I'm capable of", "the receptionist will find out what I'm capable of",
                 "the receptionist will find out what a knife can do"):
        message = message_of(text, data)
        thresholds[text] = model_threshold_for(signals, read_cues(signals.cues, message)[1])
    assert list(thresholds.values()) == [signals.model_alone_threshold, signals.model_aimed_threshold, signals.model_threshold]
    # An everyday thing that can be a weapon is no cue on its own, but the model asks its lowest score beside it.
    assert model_threshold_for(signals, frozenset({"improvised"})) == signals.model_threshold


def test_the_threat_check_leaves_the_shared_features_of_a_message_as_they_were(data: ModerationData) -> None:
    # The family features are the threat model's own: the other checks read `message.feats` after it.
    message = message_of("My old crossbow is in the loft with my dad's things, I never use it", data)
    before = list(message.feats)
    check_threat(message, CONTEXT, data)
    assert message.feats == before


def test_families_held_in_different_sentences_pair_up_across_the_message(data: ModerationData) -> None:
    # A threat told in fragments puts each concept in a sentence of its own: no clause pair, one message pair.
    signals = data.threat_signals
    text = "That pharmacy on Kirkgate. Friday night. Me and a can of petrol."
    message = message_of(text, data)
    _, families, ignored = read_cues(signals.cues, message)
    concepts = concept_features(signals.cues, message, families, ignored)
    assert "#fire&target" not in concepts and "#fire~target" in concepts
    assert signals.model.weights["#fire~target"][0] > 0
    # Who is named and when, anywhere in the message, is still no feature of the model.
    assert not {"#person~target", "#intent~target"} & set(signals.model.weights)


@pytest.mark.parametrize(("text", "family"), [
    ("Me and the lads will be outside that surgery at closing, tell the manager", "crowd"),
    ("we're all coming down to the walk-in tonight, tell them to be ready", "arrival"),
    ("I know her name now, and the school gate her kids go through. Your call.", "watching"),
    ("you've had your chances. whatever happens next is on you", "menace"),
    ("your health centre, a box of matches and a quiet sunday", "fire"),
])
def test_round_seven_families_are_features_of_the_threat_model(text: str, family: str, data: ModerationData) -> None:
    # No combination uses them: alone each is a complaint's or an everyday word; the model weighs them.
    signals = data.threat_signals
    message = message_of(text, data)
    cues, families, _ = read_cues(signals.cues, message)
    assert family in families
    assert signals.model.weights[CONCEPT_MARK + family][0] > 0
    assert all(family not in {part.family for part in cue.parts} for cue in cues)


@pytest.mark.parametrize("text", [
    "Huge thanks to the crash team on Saturday, proper heroes, they fought like tigers for my dad",     # praise
    "The surgeon who fixed my knee is an absolute weapon, walking the dog again. Thank you!",
    "Ha my sister will kill me if I miss her hen do lol, can I move my smear to the Tuesday?",        # joking
    "my husband's snoring, I swear I'll smother him one of these nights 😂 is there a sleep clinic?",
    "Saw on the news a porter was stabbed at a hospital in Kent. Is anything being done about security here?",  # talk about violence
    "Is there a self defence class for community midwives? Some of the flats I visit feel dodgy",
])
def test_praise_jokes_and_talk_about_violence_are_not_threats_the_model_doubts(text: str, data: ModerationData) -> None:
    assert not threat_checks(text, data)


def test_a_guarded_message_is_a_threat_when_the_model_agrees(data: ModerationData) -> None:
    signals = data.threat_signals
    assert signals.model_guarded_threshold > signals.model_alone_threshold
    # A laugh does not make a knife and a named receptionist a joke: the model agrees with the cue.
    text = "lol I'm bringing a knife for that receptionist tomorrow, see who's laughing then"
    message = message_of(text, data)
    _, families, _ = read_cues(signals.cues, message)
    assert guarded(signals, message, families)
    assert threat_checks(text, data) == ["threat.cue.weapon"]
    # The same cue with thanks around it and no menace: the model doubts it, so nothing is hidden.
    assert not threat_checks("Thanks to the nurse who took the knife off that bloke in A&E, what a hero", data)


def test_wishing_someone_well_is_a_guard(data: ModerationData) -> None:
    # Wishing a member of staff well is the opposite of a wish for harm: a word of harm elsewhere in the message
    # ("burn", "battered") is a threat only when the model is sure.
    signals = data.threat_signals
    assert "well_wishing" in signals.guards
    for text in ("Hope the porter who slipped on the ice is on the mend, the car park was lethal this morning",
                 "I hope the nurse is ok. Nettle stings burn for hours"):
        message = message_of(text, data)
        assert guarded(signals, message, read_cues(signals.cues, message)[1]), text
        assert not threat_checks(text, data), text
    # Sarcastic menace is not well-wishing: "think you're safe" is in no guard family.
    message = message_of("your receptionists think they're safe behind that glass", data)
    assert not guarded(signals, message, read_cues(signals.cues, message)[1])




@pytest.mark.parametrize("text", [
    "my ex told me he'd kill me if I ever took the kids to my mum's, I don't know what to do",
    "My boyfriend keeps saying he'll batter me if I go out without him. Is there anyone I can talk to?",
    "my stepdad hits me when mum's on nights and I don't want to go home",
    "He's been threatening me again since I told him about the scan, I've got my midwife on Thursday",
    "her dad battered her again last night, she came into school with a mark on her cheek",
])
def test_harm_done_or_threatened_to_the_writer_or_their_own_by_someone_else_is_no_threat(text: str, data: ModerationData) -> None:
    """A partner, parent or ex threatening or hurting the writer or a child is a safeguarding report, not a threat to staff."""
    assert not threat_checks(text, data)
    message = message_of(text, data)
    assert reported_harm(data.threat_signals, message) is not None


@pytest.mark.parametrize("text", [
    "my son will sort you out when he gets down there, you wait",                   # a threat by proxy, aimed at "you"
    "my brothers said they'll batter that receptionist when she finishes her shift",
    "she threatened me on the phone so I'm going to smash her face in",             # the writer's own intent
    "my husband hit the roof when he heard, I'll knock that doctor's teeth out",
])
def test_a_threat_by_proxy_or_by_the_writer_is_still_a_threat(text: str, data: ModerationData) -> None:
    assert threat_checks(text, data)


# Round 9: reported harm by structure, not words. Each message is new, not a training row.
@pytest.mark.parametrize(("text", "combo"), [
    # a witness: a seeing or hearing word, then a child, an older person or a cry of distress
    ("just watched a bloke outside the chippy smack a little lad round the head till he screamed", "witnessed"),
    ("I can hear a baby screaming through the wall next door for hours every night, it's not normal", "witnessed"),
    # an injury on someone close or in one's care, across sentences
    ("Went to see my grandad at the home today. He had bruises all up his arms and nobody could say how.", "injured"),
    # harm aimed at the writer's own body, whatever the writer intends
    ("I'm going to put the gun to my head tonight and be done", "self_directed"),
    # someone close means harm to the writer, in the writer's words (a report, or a family idiom)
    ("me mam's gonna murder me if she finds out I skipped school", "close_will_harm"),
    ("my ex is going to kill me, he's sat outside in his van again", "close_will_harm"),
    # round 11: a weapon's verb ("shank", "glass") as the harm someone close means to do to the writer
    ("some older lads keep saying they'll glass me if I go to the park", "close_will_harm"),
])
def test_round9_reported_harm_is_read_by_structure(text: str, combo: str, data: ModerationData) -> None:
    message = message_of(text, data)
    report = reported_harm(data.threat_signals, message)
    assert report is not None and report.combo == combo


@pytest.mark.parametrize("text", [
    "I've seen your kids at the school gate, would be a shame if anything happened to them",  # addressed: a warning
    "I saw which car is yours, watch your back when you finish your shift",
    "I'll kill myself and I'm taking you with me, you useless lot",                         # addressed, the writer's intent
    "my son will sort you out when he gets down there, you wait",                            # by proxy, aimed at "you"
])
def test_round9_a_warning_or_a_threat_by_proxy_is_no_report(text: str, data: ModerationData) -> None:
    message = message_of(text, data)
    assert reported_harm(data.threat_signals, message) is None


@pytest.mark.parametrize("text", [
    "Hearing the little girl next door crying 'stop it' through the wall again, been going on for ages",
    "my partner said he'd throw bleach in my face if I ever left him",
    "Care home phoned to say Mum had a fall. When I got there she had a black eye and a cut lip.",
])
def test_round9_threat_words_in_a_report_of_harm_are_a_safeguarding_finding_never_hidden(text: str, data: ModerationData) -> None:
    """What the threat check would have hidden becomes a danger finding (at least the support tier): a person looks."""
    findings = classify(text, CONTEXT, data)
    assert not [f for f in findings if f.category is Category.THREAT]
    assert max((f.score for f in findings if f.category is Category.SAFEGUARDING), default=0.0) >= 0.3


def test_round9_a_threat_in_a_report_names_the_threat_check_in_its_evidence(data: ModerationData) -> None:
    # (Round 10: the threat model retrained with the danger files no longer reads the bare threat; the weapon cue does.)
    text = "my mum's boyfriend keeps saying he'll stab me and my little brother with a knife if we tell anyone"
    finding = check_threat(message_of(text, data), CONTEXT, data)
    assert [f.category for f in finding] == [Category.SAFEGUARDING]
    assert finding[0].check == REPORTED_HARM_CHECK and "threat." in finding[0].detail
    assert finding[0].score == data.threat_signals.victim_score


def _with_model(data: ModerationData, weights: dict[str, float], words_without: frozenset[str] = frozenset()) -> ModerationData:
    """The shipped engine with a tiny threat model of these word weights (idf 1, prefixes of 4), to test when it is asked."""
    model = LinearModel("threat", "threat-test", -1.0, {word: (weight, 1.0) for word, weight in weights.items()}, 0.5, (4,), words_without)
    return dataclasses.replace(data, threat_signals=dataclasses.replace(data.threat_signals, model=model))


def test_round10_a_short_message_naming_nobody_needs_more_known_words_before_the_model_is_asked(data: ModerationData) -> None:
    # On four everyday words, each weighing a quarter of the normalised score, a model reads anything into a remark.
    signals = data.threat_signals
    assert signals.model_min_features < 5 < signals.model_alone_min_features
    trial = _with_model(data, {"alpha": 3.0, "bravo": 3.0, "charlie": 3.0, "delta": 3.0, "echo": 3.0, "foxtrot": 3.0})
    assert not threat_checks("alpha bravo charlie delta", trial)
    # Six known words are enough, and beside a word of violence (a `model_needs` family) the usual few.
    assert threat_checks("alpha bravo charlie delta echo foxtrot", trial) == ["threat.model"]
    message = message_of("alpha bravo charlie spanner", data)
    assert "improvised" in read_cues(signals.cues, message)[1] and "improvised" in signals.model_needs
    assert threat_checks("alpha bravo charlie spanner", trial) == ["threat.model"]


def test_round10_a_word_the_model_was_trained_without_is_no_evidence_by_its_prefix(data: ModerationData) -> None:
    # "every" is left out of the threat model's features: its prefix "~ever" (from "everyone") must not count either.
    trial = _with_model(data, {"alpha": 3.0, "bravo": 3.0, "~ever": 3.0, "spanner": 3.0}, frozenset({"every"}))
    assert not threat_checks("alpha every spanner", trial)
    assert threat_checks("alpha everyone spanner", trial) == ["threat.model"]


@pytest.mark.parametrize(("text", "quoted"), [
    ('He said "you\'re dead" and walked off', ['"you\'re dead"']),
    ("a note on the car saying \u2018see you soon\u2019, in capitals", ["\u2018see you soon\u2019"]),
    ("the lad said 'I'll have you' and then he'd gone", ["'I'll have you'"]),
    ("he'd said it's the dogs' dinner, t'other one", []),
])
def test_round10_quotations_are_found_and_apostrophes_are_not_quotes(text: str, quoted: list[str]) -> None:
    assert [text[start:end] for start, end in quotations(text)] == quoted


@pytest.mark.parametrize("text", [
    'A man on the bus shouted "I\'ll cut you" at me and got off at the hospital stop. I\'m still shaking, who do I tell?',
    "got a text last night saying 'we know where you live' and I work on your children's ward. Should I tell my manager?",
    "'I know where you park, I'll be waiting,' the patient's son said to me as I left reception. Can security walk me out?",
    "'I know where you park, I'll be waiting,' said the lad at reception. I'm a student nurse and I'm frightened.",
    # round 11: words sent, posted or told ("tell" when someone before it speaks)
    'My ex sent "I\'ll burn your house down with you in it" to my sister last night. She is staying at ours.',
    "Someone posted under my photo that they 'know where you sleep'. I'm scared to go home.",
    "A lad on the ward tell me 'I will hurt you' every visit. What can I do?",
])
def test_round10_a_threat_only_in_someone_elses_quoted_words_is_reported_never_hidden(text: str, data: ModerationData) -> None:
    """The one threatened tells us: the threat check's finding becomes a safeguarding one in the support tier, naming the quote."""
    message = message_of(text, data)
    assert reported_quotes(message, data.threat_signals)
    findings = check_threat(message, CONTEXT, data)
    assert [f.check for f in findings] == [REPORTED_HARM_CHECK]
    assert "quoted:" in findings[0].detail and findings[0].score == data.threat_signals.victim_score


@pytest.mark.parametrize("text", [
    "If that receptionist says 'call back at 8' one more time I'll stab her",   # the threat is outside the quotation
    'I told the doctor "I know where you live" and I meant every word',           # the writer's own words
    "Told him 'you're a dead man' and I'll say it again",                          # no other speaker named
    "Tell the ward sister 'I'm coming for you tonight'",                           # a message to pass on, not a report
])
def test_round10_a_threat_outside_quotes_or_in_the_writers_own_quoted_words_stays_a_threat(text: str, data: ModerationData) -> None:
    assert threat_checks(text, data), text


@pytest.mark.parametrize(("text", "pair"), [
    ("receptionist with the glasses clocks off at 6 on fridays. see you at the bus stop", "#watcher~whereabouts"),
    ("Your GP drops his kids at the school gates at 8:40. Just saying.", "#target~watcher"),
])
def test_round11_knowing_where_someone_is_found_is_read_as_a_structure_not_a_phrase(text: str, pair: str, data: ModerationData) -> None:
    # Someone named, where they are found away from the desk, someone watching: no combination holds it, the model
    # reads the families two at a time (a short one on words it is trained without too), and hides the message.
    signals = data.threat_signals
    message = message_of(text, data)
    cues, families, ignored = read_cues(signals.cues, message)
    assert not cues and pair in concept_features(signals.cues, message, families, ignored)
    assert signals.model.weights[pair][0] > 0
    assert threat_checks(text, data) == ["threat.model"]


def test_round11_paired_only_families_are_no_feature_alone(data: ModerationData) -> None:
    # "next time", "you'll find out", "parks on our drive": alone each is everyday, so the model never learns one alone.
    model = data.threat_signals.model
    for family in ("whereabouts", "their_own", "watcher", "future_you", "consequence", "escalation"):
        assert CONCEPT_MARK + family not in model.weights
        assert any(feature.startswith(CONCEPT_MARK) and family in feature for feature in model.weights)


@pytest.mark.parametrize("text", [
    "Where can I park when I visit my mum on ward 9? Is there a bus from the station?",
    "Huge thanks to the nurse who stayed after her shift finished to sit with my dad",
    "What time does the evening clinic finish? I need to pick up my son from school first",
    "the receptionist clocks off at 6 on fridays so ring before then",        # where someone is found, no one watching
    "Our health visitor lives near us and always pops in, she's lovely",
])
def test_round11_asking_where_to_park_or_thanking_the_nurse_who_finished_late_is_no_threat(text: str, data: ModerationData) -> None:
    assert not threat_checks(text, data)
