"""The spam model's features that no one source's wording carries (round 6 of issue 10): the shape of a
message and the cue families no combo uses, read the same way in training and in the bot."""

from __future__ import annotations

import pytest

from bot.model import Category
from bot.moderation import ModerationData, classify
from bot.moderation.concepts import read_cues
from bot.moderation.message import read_message
from bot.moderation.spam import SHAPE_MARK, model_extras, shape_features
from bot.moderation.train import scam_concepts_reader
from bot.policy import primary_category
from tests.helpers import SURE_ADVERT
from tests.test_threat_cues import CONTEXT, data  # noqa: F401 - `data` is a fixture


@pytest.mark.parametrize(("text", "shape"), [
    ("WhatsApp Sandra on +44 7700 900418, she turned my savings around", set()),   # a phone number is no shape
    ("Made £2,300 this week from my phone 🙌", {"money"}),
    ("Guaranteed 40% returns every month, ask me how", {"percent"}),
    ("$PEPE2 presale is live, don't miss it", {"cashtag"}),
    ("send 0.1 to 0x52908400098527886E0F7030069857D2E4169EE7 and get 0.2 back", {"address"}),
    ("great post, featured it on @glowup.daily so go follow", {"handle"}),
])
def test_each_shape_is_read_from_the_text(text: str, shape: set[str]) -> None:
    assert set(shape_features(text)) == {SHAPE_MARK + name for name in shape}


@pytest.mark.parametrize("text", [
    "@NHSLeeds @LeedsHospitals any news on the eye clinic waiting list?",   # a reply on X opens with handles
    "My appointment was moved twice this month, can someone ring me back?",
    "I waited 3 hours and 20 minutes in A&E on Saturday",                 # numbers that are not money or a phone
    "Is the flu jab free for over 65s?",
    "costs went up by about a third this year",
])
def test_an_everyday_message_has_no_shape(text: str) -> None:
    assert shape_features(text) == []


def test_a_long_message_is_read_only_as_far_as_its_head() -> None:
    # Linear time: the shape of a 10,000-character message is read from its first characters.
    assert shape_features("a" * 5000 + " call 0113 496 0733") == []


@pytest.mark.parametrize(("text", "family"), [
    ("just dropped a new track, stream my ep on every platform", "promo"),
    ("sub to my channel and I'll sub back within the hour", "promo"),
    ("like this comment if you want part 2, then go watch my vids", "promo"),
    ("the airdrop is open for holders, connect your wallet before friday", "crypto_launch"),
    ("free mint tonight on solana, 100x potential", "crypto_launch"),
])
def test_the_families_no_combo_uses_are_model_features_only(text: str, family: str, data: ModerationData) -> None:
    message = read_message(text, data.lexicon, data.idioms, data.screen, data.questions)
    _, families, _ = read_cues(data.spam.cues, message)
    assert family in families
    assert "$" + family in model_extras(text, families)
    # No combo uses them, so alone they never find spam: only the model weighs them.
    assert all(family not in step for combo in data.spam.cues.combos for step in combo.steps)


def test_training_reads_the_same_extras_as_the_bot(data: ModerationData) -> None:
    text = "sub to my channel, 100% real, $DOGE giveaway for holders, whatsapp +44 7700 900418"
    message = read_message(text, data.lexicon, data.idioms, data.screen, data.questions)
    _, families, _ = read_cues(data.spam.cues, message)
    assert scam_concepts_reader(data.lexicon)(text) == model_extras(text, families)


@pytest.mark.parametrize("text", [
    "Promoting my channel here: I make 10 minute gaming videos, sub to me and go watch my new vid 🙏",
    "🚀 $MOONCAT presale live now, airdrop for early holders, connect your wallet at mooncat-claim.example",
    "I turned £250 into £4,800 in 9 days with my trading mentor, 100% legit, WhatsApp +44 7700 900155",
])
def test_spam_in_other_sources_styles_is_found(text: str, data: ModerationData) -> None:
    assert Category.SPAM in {finding.category for finding in classify(text, CONTEXT, data)}


@pytest.mark.parametrize("text", [
    "text me on +44 7911 123456",
    "message me on 07700 900418 when the prescription is ready please",
])
def test_a_persons_own_number_stays_over_sharing_beside_a_sure_model(text: str, data: ModerationData) -> None:
    # The model learnt adverts' "message me" and may be sure of it; the words beside the number make it the author's.
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.OVERSHARING
