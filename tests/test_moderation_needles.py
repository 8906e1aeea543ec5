"""The needle screen only ever skips searches that could not have matched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.moderation import load_moderation_data
from bot.moderation.message import read_message
from bot.moderation.needles import clue_of, needles_of, screen_of

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
DATA = load_moderation_data(CONFIG)
# Every needle of every screened pattern, split into words: texts made of these come close to matching.
NEEDLE_WORDS = sorted({word for entries in DATA.screen.by_key.values() for needle, _ in entries for word in needle.split()})


def test_a_plain_prefix_is_its_own_needle() -> None:
    assert needles_of(re.compile(r"\bsuicid\w*")) == ("suicid",)


def test_the_most_telling_part_of_a_phrase_is_chosen() -> None:
    # Literal alternatives side by side are spelled out whole: every match is one of these.
    assert needles_of(re.compile(r"\b(?:he|she) (?:hits|kicks) me\b")) == ("he hits me", "he kicks me", "she hits me", "she kicks me")
    # Past a word of any letters, the literal stretch after it is the needle.
    assert needles_of(re.compile(r"\b(?:he|she) \w+ (?:hits|kicks) me\b")) == (" hits me", " kicks me")


def test_an_alternation_needs_a_needle_in_every_branch() -> None:
    assert needles_of(re.compile(r"(?:\bdomestic abuse\b)|(?:\bsepsis\b)")) == ("domestic abuse", "sepsis")
    assert needles_of(re.compile(r"(?:\bsepsis\b)|(?:\b\w+in\b)")) is None


@pytest.mark.parametrize("pattern", [
    r"\w+ \w+",  # no literal at all
    r"\bod\b",  # a literal too short to look for
    r"(?i:sepsis)",  # letters under IGNORECASE match other letters too
    r"(s)\1ps",  # a back-reference is not read, and what is left is too short
    r"se.si.s|sepsis",  # one branch has no three literal characters in a row
])
def test_what_is_not_understood_gives_no_needles(pattern: str) -> None:
    assert needles_of(re.compile(pattern)) is None


def test_ignorecase_keeps_characters_without_case() -> None:
    assert needles_of(re.compile(r"[£$€]\d+ off", re.IGNORECASE)) is None  # " off" is letters
    assert needles_of(re.compile(r"\d+ ?%%%", re.IGNORECASE)) == (" %%%", "%%%")


def test_a_pattern_without_needles_is_never_ruled_out() -> None:
    loose = re.compile(r"\w+in\b")
    screen = screen_of([loose, re.compile(r"\bsepsis\b")])
    assert id(loose) not in screen.screened
    assert screen.ruled_out(("nothing", "here"), "nothing here") == frozenset({id(screen.patterns[0])})


def test_the_shipped_pattern_lists_are_screened() -> None:
    """Danger, threat, spam, complaint, verification, reporting and idioms: their searches are skippable."""
    for pattern in (DATA.danger.safeguarding, DATA.danger.urgent_care, DATA.threat, DATA.verification.patterns,
                    DATA.spam.patterns, DATA.complaint.patterns, DATA.abuse.reporting, DATA.idioms):
        assert id(pattern) in DATA.screen.screened


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(NEEDLE_WORDS) | st.text(alphabet="abcdehilmnorstuy ", max_size=8), max_size=25))
def test_a_ruled_out_pattern_never_matches(pieces: list[str]) -> None:
    message = read_message(" ".join(pieces), DATA.lexicon, DATA.idioms, DATA.screen)
    unscreened = read_message(" ".join(pieces), DATA.lexicon, DATA.idioms)
    assert message.masked == unscreened.masked
    for pattern in DATA.screen.patterns:
        if id(pattern) in message.ruled_out:
            assert pattern.search(message.joined) is None, pattern.pattern[:60]


@pytest.mark.parametrize("text", [
    "I just want to kill myself, nothing is getting better",
    "my dad is having crushing chest pain and his left arm has gone numb",
    "I know where she lives and I'll be waiting for her after her shift",
    "check out my new channel",
])
def test_a_matching_message_is_not_ruled_out(text: str) -> None:
    message = read_message(text, DATA.lexicon, DATA.idioms, DATA.screen)
    matching = [p for p in DATA.screen.patterns if p.search(message.joined)]
    assert matching
    assert not any(id(p) in message.ruled_out for p in matching)


def test_a_clue_is_a_character_every_match_needs() -> None:
    clue = clue_of(re.compile(r"(?:earn|make)\s+[£$€]\s?\d+|\b\d{1,3}\s?%\s?off\b|\+\d{8,}", re.IGNORECASE))
    assert clue is not None
    assert clue.search("earn £500 a week") and clue.search("20% off") and clue.search("+447700900123")
    assert clue.search("nothing to see here") is None


def test_a_digit_can_be_the_clue() -> None:
    clue = clue_of(re.compile(r"\b\d{5,10}\b|(?:ward|bed) \d+"))
    assert clue is not None and clue.search("bed 12") and clue.search("ward ten") is None


def test_no_clue_when_a_branch_needs_only_letters_under_ignorecase() -> None:
    assert clue_of(re.compile(r"£\d+|whatsapp", re.IGNORECASE)) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="£$€%+/0123456789 abcEARNmake.offwhatsapp", max_size=60))
def test_a_text_without_the_clue_never_matches(text: str) -> None:
    for pattern, clue in ((DATA.spam.raw_patterns, DATA.spam.raw_clue), (DATA.complaint.staff, DATA.complaint.staff_clue),
                          (DATA.privacy.named_person, DATA.privacy.named_person_clue)):
        assert clue is not None
        if clue.search(text) is None:
            assert pattern.search(text) is None
