"""Hostile text cannot make classify slow (issue 12, items 3 and 4).

Every shipped pattern (each list of config/moderation, as loaded, and every pattern in the code
of bot/moderation) runs over long runs of spaces, of one letter, "a " repeated, digits and
separators, "@x " and letters, nested quotes and the inputs the issue reproduced. Linear time is
checked without timing flakiness by comparing n and 4n characters: linear work takes about 4
times as long, quadratic 16 times; the bound allows 8 times plus a little (and retries on a busy
machine). A budget far above the expected (2 s for 100 KB, where the bugs took minutes) catches
the rest. Times are the thread's CPU time, which a busy machine does not inflate.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.moderation
from bot.model import Category, ClassifyContext
from bot.moderation import CHECKS, MAX_TEXT_CHARS, TRUNCATED_CHECK, classify, claims, load_moderation_data, private_spans
from bot.policy import primary_category
from bot.moderation.backtracking import slow_shape
from bot.moderation.message import read_message
from bot.moderation.privacy import _email_spans
from bot.moderation.text import Token, _join_spaced_letters
from tests.helpers import SURE_ADVERT, refused_moderation_edit

CONFIG = Path(__file__).resolve().parents[1] / "config" / "moderation"
CONTEXT = ClassifyContext(now=datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))
DATA = load_moderation_data(CONFIG)
# n and 4n characters for the ratio (small enough that a quadratic pattern fails in seconds, not
# minutes), then 100 KB against the budget.
SMALL = 2_500
LARGE = 100_000
# The reproduced bugs took 11 s to over 120 s on 100 KB; a linear pass over all the checks takes well
# under a second on an idle core, and up to about 2 s with the machine's two cores busy. The ratio
# test above is what tells linear from quadratic; the budget only catches a gross regression.
BUDGET_SECONDS = 5.0


def _repeated(unit: str) -> Callable[[int], str]:
    return lambda size: (unit * (size // len(unit) + 1))[:size]


def _after(prefix: str, filler: str, suffix: str) -> Callable[[int], str]:
    return lambda size: prefix + _repeated(filler)(size) + suffix


HOSTILE: dict[str, Callable[[int], str]] = {
    "spaces": _repeated(" "),
    "one-letter": _repeated("a"),
    "a-space": _repeated("a "),
    "digits": _repeated("1"),
    "digits-and-separators": _repeated("0 1-2.3 (4) "),
    "mention-then-letters": _after("@x ", "a", ""),
    "nhs-mention-then-letters": _after("@NHSLeeds ", "a", ""),
    "at-signs": _repeated("a@"),
    "nested-quotes": _repeated("\"'“‘"),
    "quoted-words": _after("he called me ", "'stupid' ", ""),
    "called-names": _repeated("he called me a idiot "),
    "dob-then-spaces": _after("dob", " ", "x 1"),
    "hospital-number-then-spaces": _after("hospital number", " ", "x 1"),
    "whatsapp-then-spaces": _after("whatsapp", " ", "x 1"),
    "named-people": _repeated("my mum Ann "),
    "named-people-with-dots": _repeated("Mr. Ann has cancer "),
    "capitalised-words": _repeated("Aa "),
    "house-numbers": _repeated("1 Aa "),
    "dotted": _repeated("a."),
    "tabs-and-newlines": _repeated("\t\n"),
    "masked-swearing": _repeated("f*ck sh1t f.u.c.k "),
    "claim-and-denial": _repeated("the vaccine does not cause autism in children "),
    # identifiers in any country's format (privacy.py): digit groups, cues, streets, octets, IBAN groups
    "phone-cue-then-digit-groups": _after("phone ", "1 2 ", ""),
    "card-number-groups": _repeated("4111 1111 "),
    "house-number-after-cue": _after("lives at 12 ", "Aa ", ""),
    "street-prefixes": _repeated("ul. Aa "),
    "hyphenated-letters": _repeated("a-"),
    "dotted-numbers": _repeated("1."),
    "hex-colons": _repeated("a:"),
    "iban-groups": _after("GB82 ", "AB12 ", ""),
    "id-cue-then-groups": _after("passport number ", "1A ", ""),
}


def _shipped_patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled pattern classify uses: those loaded from config/moderation and those in the code."""
    found: dict[str, re.Pattern[str]] = {}

    def walk(value: object, name: str) -> None:
        if isinstance(value, re.Pattern):
            found[name] = value
        elif dataclasses.is_dataclass(value):
            for field in dataclasses.fields(value):
                walk(getattr(value, field.name), f"{name}.{field.name}")

    walk(DATA, "data")
    for module_info in pkgutil.iter_modules(bot.moderation.__path__):
        module = importlib.import_module(f"bot.moderation.{module_info.name}")
        for attribute, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found[f"{module_info.name}.{attribute}"] = value
    return found


PATTERNS = _shipped_patterns()
# Patterns the code only matches at one place (`match`/`fullmatch` on a piece, at an "@" or at the
# start of a message), never searches: they are timed the way they are used.
ANCHORED = {
    "text._PLAIN_ALNUM", "text._WORD_CHARS", "text._MENTION", "privacy._EMAIL_LOCAL", "privacy._EMAIL_DOMAIN",
    "data.questions.openers", "data.questions.wh_openers",
}


def _best_seconds(run: Callable[[], object], times: int = 1) -> float:
    """The CPU time this thread spent in `run`: other processes on a busy machine do not inflate it
    (wall time did, and the budget failed under a load of 13 on 2 cores)."""
    best = float("inf")
    for _ in range(times):
        started = time.thread_time()
        run()
        best = min(best, time.thread_time() - started)
    return best


def _assert_linear(name: str, run: Callable[[str], object], build: Callable[[int], str], slack: float = 0.05) -> None:
    small, four_times = build(SMALL), build(4 * SMALL)
    small_seconds = _best_seconds(lambda: run(small))
    four_times_seconds = _best_seconds(lambda: run(four_times))
    if 8 * small_seconds + slack < four_times_seconds < BUDGET_SECONDS:  # a busy machine? best of three
        small_seconds = min(small_seconds, _best_seconds(lambda: run(small), 2))
        four_times_seconds = min(four_times_seconds, _best_seconds(lambda: run(four_times), 2))
    assert four_times_seconds <= 8 * small_seconds + slack, (
        f"{name}: {small_seconds * 1000:.1f} ms on {len(small):,} characters but {four_times_seconds * 1000:.1f} ms on {len(four_times):,}")
    large = build(LARGE)
    large_seconds = _best_seconds(lambda: run(large))
    assert large_seconds < BUDGET_SECONDS, f"{name}: {large_seconds:.2f} s on {len(large):,} characters"


def test_every_pattern_of_config_and_code_is_found() -> None:
    loaded = {name.split(".")[1] for name in PATTERNS if name.startswith("data.")}
    assert {"idioms", "danger", "threat", "abuse", "privacy", "spam", "complaint", "verification", "questions"} <= loaded
    assert len(PATTERNS) >= 40
    assert ANCHORED <= set(PATTERNS)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_shipped_pattern_runs_in_linear_time_on_hostile_text(name: str) -> None:
    pattern = PATTERNS[name]
    if name in ANCHORED:
        def run(text: str) -> object:
            return pattern.match(text), pattern.fullmatch(text)
    else:
        def run(text: str) -> object:
            return sum(1 for _ in pattern.finditer(text))
    for hostile, build in HOSTILE.items():
        _assert_linear(f"{name} on {hostile}", run, build)


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_every_check_runs_in_linear_time_on_the_whole_text(hostile: str) -> None:
    # Below the 10,000-character cap of classify: the normalisation, each check and the redaction
    # spans on the uncut text, so the cap is a second wall, not the only one.
    def run(text: str) -> object:
        message = read_message(text, DATA.lexicon, DATA.idioms, DATA.screen, DATA.questions)
        return [check.run(message, CONTEXT, DATA) for check in CHECKS], private_spans(text, DATA)

    _assert_linear(hostile, run, HOSTILE[hostile], slack=0.2)


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_classify_takes_each_hostile_text_whole_within_budget(hostile: str) -> None:
    text = HOSTILE[hostile](LARGE)
    started = time.thread_time()
    findings = classify(text, CONTEXT, DATA)
    assert time.thread_time() - started < BUDGET_SECONDS
    assert any(finding.check == TRUNCATED_CHECK for finding in findings)


# --- the cap


def test_a_cut_text_says_so_and_still_finds_danger_at_its_start() -> None:
    text = "I want to kill myself tonight. " + "a " * 50_000
    findings = classify(text, CONTEXT, DATA)
    assert primary_category(findings, SURE_ADVERT) is Category.SAFEGUARDING
    note = next(finding for finding in findings if finding.check == TRUNCATED_CHECK)
    assert note.category is Category.ORDINARY and note.score == 0.0
    assert f"{MAX_TEXT_CHARS:,} of {len(text):,} characters" in note.detail
    assert all(span.end <= MAX_TEXT_CHARS for finding in findings for span in finding.spans)


def test_a_cut_text_is_otherwise_read_like_its_start() -> None:
    start = "Rang 4 times and nobody answered, absolutely useless service. " * 200
    assert len(start) > MAX_TEXT_CHARS
    text = start[:MAX_TEXT_CHARS] + "x" * 5_000
    cut = [finding for finding in classify(text, CONTEXT, DATA) if finding.check != TRUNCATED_CHECK]
    assert cut == list(classify(start[:MAX_TEXT_CHARS], CONTEXT, DATA))
    assert cut and primary_category(tuple(cut), SURE_ADVERT) is Category.COMPLAINT


def test_a_message_any_platform_accepts_is_never_cut() -> None:
    text = ("Please can someone ring me back about my appointment. " * 200)[:MAX_TEXT_CHARS]
    assert not any(finding.check == TRUNCATED_CHECK for finding in classify(text, CONTEXT, DATA))


def test_redaction_still_reads_the_whole_text() -> None:
    text = "a " * 20_000 + "my NHS number is 943 476 5919"
    assert [span.label for span in private_spans(text, DATA)] == ["nhs_number"]


# --- slow shapes are refused when a file is loaded


@pytest.mark.parametrize("pattern", [
    r"\b(?:\w+ )+help\b",  # nested repeats: exponential
    r"(?:a{1,3})*b",
    r"\bdob\b\s*(?:is|:)?\s*\d",  # the date-of-birth shape the issue reproduced
    r"(?:whatsapp|telegram)\s*(?:me|us|on|at|:)?\s*\+?\d[\d\s]{8,}",  # the shipped WhatsApp pattern before
    r"\d+\d*",
    r"\s* \s*x",
    r"\bfree .* prize\b",  # each start reads to the end of the text
])
def test_slow_shapes_are_recognised(pattern: str) -> None:
    assert slow_shape(pattern) is not None


@pytest.mark.parametrize("pattern", [
    r"\bsuicid\w*",
    r"\b(?:he|she) (?:\w+ )?(?:hits|kicks) me\b",
    r"\b(?:child|kid) (?:\w+ ){0,3}(?:is|are) being hurt\b",
    r"(?:<user> )*(?:hi |hello )?(?:can|could)\b",
    r"\bdob\b\s*+(?:is|:)?\s*+\d",
    r"\b(?:crypto|bitcoin)\b.{0,80}\b(?:invest\w*|profit\w*)\b",
    r"\bwin a free .*",
])
def test_linear_shapes_are_accepted(pattern: str) -> None:
    assert slow_shape(pattern) is None


def test_a_staff_pattern_with_a_slow_shape_is_refused_naming_file_key_and_line(tmp_path: Path) -> None:
    refusal = refused_moderation_edit(tmp_path, "threat.toml", '"\\\\bdead (?:wo)?man walking\\\\b"', '"\\\\bdead (?:\\\\w+ )+walking\\\\b"')
    assert refusal.key.startswith("threat.patterns (line ")
    assert "nests a repeat inside an unbounded repeat" in refusal.problem


def test_a_hospital_number_cue_that_ends_in_a_repeat_is_refused(tmp_path: Path) -> None:
    # Alone the cue is fine; followed by the spaces the code allows before the number, it is not.
    refusal = refused_moderation_edit(tmp_path, "privacy.toml", '"mrn", ', '"mrn\\\\s*", ')
    assert refusal.key.startswith("privacy.hospital_number_cues")
    assert "side by side" in refusal.problem


# --- many claims (item 4)


def _letters(number: int) -> str:
    return "".join(chr(ord("a") + (number // 26**place) % 26) for place in range(3))


def test_a_thousand_claims_on_a_long_post_work_out_denials_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "moderation"
    shutil.copytree(CONFIG, config)
    with (config / "claims.toml").open("a", encoding="utf-8") as file:
        file.write("".join(
            f'\n[[claims]]\nid = "made-up-{index}"\nphrasings = ["the vaccine causes ailment{_letters(index)} in children"]\n'
            f'link = "https://www.nhs.uk/"\nsummary = "Made up for this test."\n'
            for index in range(1000)
        ))
    data = load_moderation_data(config)
    sentence = "the vaccine does not cause anything bad in children, people say it causes harm "
    post = (sentence * (MAX_TEXT_CHARS // len(sentence) + 1))[:MAX_TEXT_CHARS]
    denials = claims._denials
    calls = []
    monkeypatch.setattr(claims, "_denials", lambda *args: calls.append(args) or denials(*args))
    score, claim, denied = claims.best_claim(read_message(post, data.lexicon, data.idioms).words, data.claims)
    assert len(calls) == 1  # one message, one count of its denials, for every one of 1,000 candidate claims
    assert denied and claim is not None and claim.id.startswith("made-up-")
    monkeypatch.setattr(claims, "_denials", denials)
    assert _best_seconds(lambda: classify(post, CONTEXT, data)) < 0.5


# --- the rewritten scans find what the slow ones found


_EMAIL = re.compile(r"[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab1_.+-@ é,X", max_size=30))
def test_emails_are_found_where_the_email_regex_finds_them(text: str) -> None:
    assert list(_email_spans(text)) == [(match.start(), match.end()) for match in _EMAIL.finditer(text)]


def _join_every_tail(tokens: list[Token], lexicon: frozenset[str]) -> list[Token]:
    """The spaced-letter joiner as it was: each run re-read from each of its letters (quadratic)."""
    joined, index = [], 0
    while index < len(tokens):
        end = index
        while end < len(tokens) and len(tokens[end].word) == 1 and tokens[end].word.isalpha():
            end += 1
        if end - index >= 3 and "".join(t.word for t in tokens[index:end]) in lexicon:
            joined.append(Token("".join(t.word for t in tokens[index:end]), tokens[index].start, tokens[end - 1].end))
            index = end
            continue
        joined.append(tokens[index])
        index += 1
    return joined


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["f", "u", "c", "k", "a", "s", "x", "1", "hi", "<url>"]), max_size=30))
def test_spaced_letters_are_joined_as_before(words: list[str]) -> None:
    lexicon = frozenset({"fuck", "ass", "suck", "kkk", "fuckfuck"})
    tokens = [Token(word, 2 * index, 2 * index + len(word)) for index, word in enumerate(words)]
    assert _join_spaced_letters(tokens, lexicon) == _join_every_tail(tokens, lexicon)
