"""Abuse without a swear word (abuse.toml's [cues]): a person insulted by what is said of their wits,
worth or looks, and a group generalised about; complaints, praise and reports of abuse are not."""

from __future__ import annotations

import pytest

from bot.model import Category
from bot.moderation import ModerationData, classify
from tests.test_threat_cues import CONTEXT, data  # noqa: F401 - `data` is a fixture


def abuse_checks(text: str, data: ModerationData) -> list[str]:
    return [f.check for f in classify(text, CONTEXT, data) if f.category is Category.ABUSE]


@pytest.mark.parametrize(("text", "check"), [
    ("you have the brains of a goldfish, honestly", "abuse.cue.person_insulted"),
    ("that locum is a complete waste of oxygen", "abuse.cue.person_insulted"),
    ("the woman on the phone was dead behind the eyes and about as useful", "abuse.cue.person_insulted"),
    ("Your pharmacist has the charm of a damp sock", "abuse.cue.person_insulted"),
    ("the lot of you at that desk are pen pushers", "abuse.cue.person_insulted"),
    ("wheelchair users think the world revolves around them", "abuse.cue.group_demeaned"),
    ("claimants are all on the fiddle anyway, everyone knows it", "abuse.cue.group_demeaned"),
    ("teenagers these days are feral, keep them out of the waiting room", "abuse.cue.group_demeaned"),
])
def test_an_insult_or_a_generalisation_without_a_swear_word_is_abuse(text: str, check: str, data: ModerationData) -> None:
    assert abuse_checks(text, data)[:1] == [check]


@pytest.mark.parametrize("text", [
    "the booking app is useless and the phone line is worse",            # a service, not a person
    "three hours in A&E and nobody told us anything, shocking",
    "the receptionist was rude and kept me waiting at the desk",
    "a patient called the nurse a waste of space, how do I report it?",  # abuse reported, not said
    "you were all brilliant with my dad, thank you",
    "is the new clinic suitable for wheelchair users?",
    "my nan gets confused in the evenings, is that her dementia?",
    "the elderly are most at risk from flu, book your jab",
])
def test_complaints_praise_questions_and_reports_are_not_abuse(text: str, data: ModerationData) -> None:
    assert not abuse_checks(text, data)
