"""The bot's words: shipped files pass every check, broken ones are caught, user text stays inert."""

from __future__ import annotations

import io
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import reply_limits
from bot.errors import ConfigError
from bot.hours import parse_hours
from bot.model import Category, Channel, Platform
from bot.replies import (
    CATEGORY_TEMPLATES,
    NAME_FALLBACK,
    PLACEHOLDERS,
    SAMPLE_VALUES,
    TEMPLATE_NAMES,
    ReplyBook,
    clean_user_value,
    load_replies,
    next_opening_words,
    preview,
    readability,
    readability_report,
    render,
    reply_length,
    validate_replies,
)
from bot.replies_cli import check_replies_command, format_error, preview_command
from bot.service import settings_values
from tests.helpers import ALWAYS_OPEN_TABLE, write_settings

RESPONSES = Path(__file__).resolve().parent.parent / "responses"
LONDON = ZoneInfo("Europe/London")
LIMITS = reply_limits()
VALUES = {**SAMPLE_VALUES, "author_name": "Sam Patel", "author_handle": "sam_patel"}


@pytest.fixture(scope="module")
def book() -> ReplyBook:
    return load_replies(RESPONSES, LIMITS)


@pytest.fixture
def responses_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped files that a test may break."""
    target = tmp_path / "responses"
    shutil.copytree(RESPONSES, target)
    return target


def write_template(
    directory: Path, name: str, public: list[str], private: list[str] | None = None, extra: str = ""
) -> Path:
    """A template file written the way comms staff write them: one wording per line."""
    lines = [f"# {name}", "[public]", "variants = ["]
    lines += [f"  {_toml_string(text)}," for text in public]
    lines.append("]")
    if private is not None:
        lines += ["", "[private]", "variants = ["]
        lines += [f"  {_toml_string(text)}," for text in private]
        lines.append("]")
    path = directory / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def only_error(directory: Path) -> ConfigError:
    errors = validate_replies(directory, LIMITS)
    assert len(errors) == 1, [str(error) for error in errors]
    return errors[0]


GOOD_APPEAL = [
    "If you think we removed your post unfairly, email {appeals_email}.",
    "Think we got it wrong? Email {appeals_email} and we'll look again.",
    "Please email {appeals_email} if you'd like us to look again.",
]


# ---------------------------------------------------------------------------------------------
# The shipped files


def test_every_shipped_template_passes_every_check_on_every_platform() -> None:
    assert validate_replies(RESPONSES, LIMITS) == []


def test_every_situation_has_a_file_and_every_category_a_template(book: ReplyBook) -> None:
    assert set(book.templates) == set(TEMPLATE_NAMES)
    assert set(CATEGORY_TEMPLATES) == set(Category)
    assert set(CATEGORY_TEMPLATES.values()) <= set(TEMPLATE_NAMES)


@pytest.mark.parametrize("platform", list(Platform))
@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_every_wording_renders_within_the_limit_with_the_longest_names(
    book: ReplyBook, template: str, platform: Platform
) -> None:
    for channel in book.template(template).channels:
        limit = LIMITS[(platform, channel)]
        for _, text, length in preview(
            book, template, platform=platform, channel=channel, values=SAMPLE_VALUES
        ):
            assert length <= limit
            assert "{" not in text and "}" not in text


def test_reply_limits_are_the_adapters_declared_capabilities(book: ReplyBook) -> None:
    from adapters.instagram import CAPABILITIES as INSTAGRAM

    assert book.limits[(Platform.INSTAGRAM, Channel.PUBLIC)] == INSTAGRAM.max_reply_length[Channel.PUBLIC] == 2168
    assert set(book.limits) == {(platform, channel) for platform in Platform for channel in Channel}


def test_every_support_line_wording_carries_samaritans(book: ReplyBook) -> None:
    for channel in book.template("support_line").channels:
        for _, text, _ in preview(book, "support_line", platform=Platform.X, channel=channel, values=SAMPLE_VALUES):
            assert "116 123" in text


@pytest.mark.parametrize("template", ["safeguarding", "urgent_care"])
def test_danger_replies_always_signpost_emergency_help(book: ReplyBook, template: str) -> None:
    for channel in Channel:
        for platform in Platform:
            for _, text, _ in preview(book, template, platform=platform, channel=channel, values=VALUES):
                for signpost in ("999", "NHS 111", "option 2", "116 123"):
                    assert signpost in text


def test_complaint_and_appeal_point_to_the_configured_contacts(book: ReplyBook) -> None:
    for channel in Channel:
        complaint = preview(book, "complaint", platform=Platform.FACEBOOK, channel=channel, values=VALUES)
        appeal = preview(book, "appeal", platform=Platform.FACEBOOK, channel=channel, values=VALUES)
        assert all(
            VALUES["complaints_url"] in text and VALUES["complaints_email"] in text
            for _, text, _ in complaint
        )
        assert all(VALUES["appeals_email"] in text for _, text, _ in appeal)


def test_notices_have_only_a_public_wording(book: ReplyBook) -> None:
    assert book.template("offline_notice").channels == (Channel.PUBLIC,)
    assert book.template("online_notice").channels == (Channel.PUBLIC,)
    assert book.template("complaint").channels == (Channel.PUBLIC, Channel.PRIVATE)


def test_every_documented_placeholder_is_in_the_staff_guide() -> None:
    guide = (RESPONSES / "README.md").read_text(encoding="utf-8")
    for name in PLACEHOLDERS:
        assert f"`{{{name}}}`" in guide


# ---------------------------------------------------------------------------------------------
# Broken files are caught with the file, the key and the line


def test_unknown_placeholder_names_file_key_line_and_suggestion(responses_copy: Path) -> None:
    path = write_template(
        responses_copy,
        "appeal",
        [GOOD_APPEAL[0], "Please email {appeal_email} to ask us to look again.", GOOD_APPEAL[2]],
        GOOD_APPEAL,
    )
    error, missing_contact = validate_replies(responses_copy, LIMITS)
    assert "must include {appeals_email}" in missing_contact.problem
    assert error.file == str(path)
    assert error.key == "appeal.public.variants[1]"
    assert error.problem.startswith("line 5: ")
    assert "unknown placeholder {appeal_email}" in error.problem
    assert "did you mean {appeals_email}" in error.problem
    assert format_error(error) == f"{path}:5: appeal.public.variants[1]: {error.problem[len('line 5: ') :]}"


def test_a_wording_too_long_for_x_is_caught_with_the_count(responses_copy: Path) -> None:
    long_text = "Please email {appeals_email} if you'd like us to look again. " + "x" * 300
    write_template(responses_copy, "appeal", [*GOOD_APPEAL[:2], long_text], GOOD_APPEAL)
    error = only_error(responses_copy)
    assert error.key == "appeal.public.variants[2]"
    assert "on x (public)" in error.problem and "the limit is 280" in error.problem
    assert "[public.x]" in error.problem


def test_on_x_a_long_link_counts_as_23_so_it_fits(responses_copy: Path) -> None:
    link = "https://www.leeds.nhs.uk/" + "a-very-long-page-name/" * 12
    wording = f"Please email {{appeals_email}} or read {link} to ask us to look again. " + "Thanks. " * 20
    write_template(responses_copy, "appeal", [*GOOD_APPEAL[:2], wording], GOOD_APPEAL)
    assert len(wording) > 400
    assert validate_replies(responses_copy, LIMITS) == []


def test_a_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    error = only_error(tmp_path / "nowhere")
    assert error.key == "responses" and error.problem == "folder not found"


def test_a_platform_override_fixes_a_wording_too_long_for_x(responses_copy: Path) -> None:
    long_text = "Please email {appeals_email} if you'd like us to look again. " + "Thank you. " * 30
    override = (
        "\n[public.x]\nvariants = [\n" + "".join(f"  {_toml_string(t)},\n" for t in GOOD_APPEAL) + "]\n"
    )
    write_template(responses_copy, "appeal", [*GOOD_APPEAL[:2], long_text], GOOD_APPEAL, extra=override)
    book = load_replies(responses_copy, LIMITS)
    on_x = [
        text
        for _, text, _ in preview(book, "appeal", platform=Platform.X, channel=Channel.PUBLIC, values=VALUES)
    ]
    on_facebook = preview(book, "appeal", platform=Platform.FACEBOOK, channel=Channel.PUBLIC, values=VALUES)
    assert len(on_x) == 3 and all(len(text) < 280 for text in on_x)
    assert on_facebook[2][1].rstrip().endswith("Thank you.")


@pytest.mark.parametrize(
    "wording, expected",
    [
        pytest.param("Hello {{7*7}}, email {appeals_email}.", "stray brace", id="jinja-expression"),
        pytest.param(
            "{% for x in y %} email {appeals_email}", "unknown placeholder {% for x in y %}", id="jinja-block"
        ),
        pytest.param("Email {appeals_email.__class__} now.", "unknown placeholder", id="attribute-access"),
        pytest.param("Email {appeals_email} {", "stray brace at character 23", id="unclosed"),
        pytest.param("   ", "empty wording", id="blank"),
        pytest.param("{appeals_email}", "no words of its own", id="placeholder-only"),
        pytest.param(
            "Please email us and we'll look again.", "must include {appeals_email}", id="missing-contact"
        ),
        pytest.param(
            "Email {appeals_email} or see http://www.leeds.nhs.uk", "must start with https://", id="http-link"
        ),
        pytest.param(
            "Email {appeals_email} or comms@nhs", "'comms@nhs' is not a well-formed e-mail", id="bad-email"
        ),
        pytest.param(
            "Email {appeals_email}, see https://leeds nhs.uk", "not a well-formed link", id="bad-host"
        ),
        pytest.param(
            "Calm down and email {appeals_email}.", "'calm down', which is on the avoid list", id="blame"
        ),
        pytest.param(
            "I'm sorry. Email {appeals_email}.", '"I\'m", which is on the avoid list', id="posing-as-a-person"
        ),
        pytest.param(
            "Our organization will look again: {appeals_email}", "write 'organisation'", id="us-spelling"
        ),
        pytest.param(
            "We'll be back at {next_opening}: {appeals_email}",
            "only in offline_notice, out_of_hours",
            id="context",
        ),
    ],
)
def test_broken_wordings_are_caught(responses_copy: Path, wording: str, expected: str) -> None:
    write_template(responses_copy, "appeal", [*GOOD_APPEAL[:2], wording], GOOD_APPEAL)
    errors = validate_replies(responses_copy, LIMITS)
    assert errors, "a broken wording passed validation"
    assert all(error.key == "appeal.public.variants[2]" for error in errors)
    assert all(error.problem.startswith("line 6: ") for error in errors)
    assert any(expected in error.problem for error in errors), [error.problem for error in errors]


def test_danger_wordings_without_samaritans_are_refused(responses_copy: Path) -> None:
    text = "Call 999 in an emergency or NHS 111, option 2 for mental health. Stay safe, {author_name}."
    signposted = text + " Samaritans: 116 123."
    write_template(
        responses_copy,
        "safeguarding",
        [signposted, text, signposted + " Free."],
        [signposted, signposted + " Free.", signposted + " Day or night."],
    )
    error = only_error(responses_copy)
    assert error.key == "safeguarding.public.variants[1]"
    assert "must include 116 123" in error.problem


def test_notices_cannot_name_a_person(responses_copy: Path) -> None:
    base = "We're away until {next_opening}. Call NHS 111, or 999 in an emergency."
    write_template(
        responses_copy, "offline_notice", [base, "Bye {author_name}! " + base, "Back soon. " + base]
    )
    error = only_error(responses_copy)
    assert error.key == "offline_notice.public.variants[1]"
    assert "cannot be used in a notice" in error.problem


def test_too_few_and_duplicated_wordings(responses_copy: Path) -> None:
    write_template(
        responses_copy, "appeal", GOOD_APPEAL[:2], [*GOOD_APPEAL[:2], GOOD_APPEAL[0].upper().lower()]
    )
    problems = {error.key: error.problem for error in validate_replies(responses_copy, LIMITS)}
    assert "has 2 wording(s); at least 3" in problems["appeal.public.variants"]
    assert "the same wording as variants[0]" in problems["appeal.private.variants[2]"]


def test_file_level_mistakes(responses_copy: Path) -> None:
    (responses_copy / "appeal.toml").rename(responses_copy / "appeals.toml")
    (responses_copy / "threat.toml").write_text('[public]\nvariants = ["Call 999",,]\n', encoding="utf-8")
    (responses_copy / "ordinary.toml").write_text(
        (RESPONSES / "ordinary.toml").read_text(encoding="utf-8")
        + '\n[publik]\nvariants = ["a", "b", "c"]\n',
        encoding="utf-8",
    )
    problems = [format_error(error) for error in validate_replies(responses_copy, LIMITS)]
    assert any(
        "appeals.toml: appeals: not a known situation (did you mean appeal.toml?)" in p for p in problems
    )
    assert any("appeal.toml: appeal: file missing" in p for p in problems)
    assert any("threat.toml:2: file: not valid TOML" in p for p in problems)
    assert any(re.search(r"ordinary\.toml:\d+: ordinary\.publik: unknown table", p) for p in problems)


def test_load_raises_the_first_problem_and_validate_lists_them_all(responses_copy: Path) -> None:
    write_template(
        responses_copy, "appeal", ["{nope} " + GOOD_APPEAL[0], *GOOD_APPEAL[1:]], ["", *GOOD_APPEAL[1:]]
    )
    errors = validate_replies(responses_copy, LIMITS)
    assert [error.key for error in errors] == ["appeal.public.variants[0]", "appeal.private.variants[0]"]
    with pytest.raises(ConfigError) as raised:
        load_replies(responses_copy, LIMITS)
    assert str(raised.value) == str(errors[0])


def test_line_numbers_follow_multiline_strings_and_comments(responses_copy: Path) -> None:
    (responses_copy / "appeal.toml").write_text(
        "\n".join(
            [
                "[public]",
                "variants = [  # three wordings",
                '  """Think we got it wrong?',
                'Email {appeals_email}."""  ,',
                "  # a comment with \"quotes\" and 'more'",
                "  'Email {appeals_email} and we\"ll look again.',",
                '  "Please email {appeals_email} \\"soon\\" {oops}",',
                "]",
                "[private]",
                f"variants = [{', '.join(_toml_string(t) for t in GOOD_APPEAL)}]",
            ]
        ),
        encoding="utf-8",
    )
    error = only_error(responses_copy)
    assert error.key == "appeal.public.variants[2]"
    assert error.problem.startswith("line 7: unknown placeholder {oops}")


def test_settings_values_are_checked_as_contact_details(tmp_path: Path) -> None:
    bad = {
        "complaints_url": "http://www.leedsth.nhs.uk/complaints",
        "complaints_email": "complaints at nhs.net",
        "phone": "0113 206",
        "other_channels": "the form at https://leeds..nhs.uk/contact",
        "website": "https://www.leeds.nhs.uk",
    }
    errors = validate_replies(RESPONSES, LIMITS, values=bad, values_file="config/housebot.toml")
    by_key = {error.key: error for error in errors}
    assert set(by_key) == {"complaints_url", "complaints_email", "phone", "other_channels"}
    assert all(error.file == "config/housebot.toml" for error in errors)
    assert "must start with https://" in by_key["complaints_url"].problem
    assert "not a valid UK phone number" in by_key["phone"].problem


def test_real_settings_values_pass_and_are_used_for_lengths() -> None:
    values = {"phone": "0113 206 6261", "complaints_email": "leedsth-tr.patientexperience@nhs.net"}
    assert validate_replies(RESPONSES, LIMITS, values=values) == []
    long_channels = {"other_channels": "our phone line, " * 40}
    errors = validate_replies(RESPONSES, LIMITS, values=long_channels)
    assert errors and all("on x (public)" in error.problem for error in errors)


def _accounts(count: int) -> str:
    return "".join(f'\n[[accounts]]\nname = "demo{n}"\ntype = "sandbox"\nhandle = "@NHSLeedsDemoAccount{n}"\n'
                   + ALWAYS_OPEN_TABLE for n in range(count))


def test_a_few_accounts_are_listed_in_the_verification_reply(tmp_path: Path) -> None:
    values = settings_values(write_settings(tmp_path, _accounts(2)))
    assert values["official_accounts"] == "@NHSLeedsDemoAccount0 on the sandbox, @NHSLeedsDemoAccount1 on the sandbox"
    assert validate_replies(RESPONSES, LIMITS, values=values) == []


def test_many_accounts_point_to_the_website_and_the_settings_still_load(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, _accounts(12))
    values = settings_values(settings)
    assert values["official_accounts"] == f"the ones listed on our website, {settings.organisation.website}"
    assert validate_replies(RESPONSES, LIMITS, values=values) == []  # every wording fits X's 280 characters


# ---------------------------------------------------------------------------------------------
# Rendering: user text is never evaluated


@pytest.mark.parametrize(
    "name", ["{{7*7}}", "{% for x in range(9) %}", "{complaints_url}", "${7*7}", "{author_name}"]
)
def test_template_syntax_in_a_name_is_never_evaluated(book: ReplyBook, name: str) -> None:
    values = {**VALUES, "author_name": name}
    rendered = render(
        book, "complaint", platform=Platform.X, channel=Channel.PUBLIC, values=values, seed="m1"
    )
    assert f"us, {NAME_FALLBACK}." in rendered.text  # braces and symbols do not look like a name
    assert "49" not in rendered.text
    assert rendered.text.count(VALUES["complaints_url"]) == 1


def test_names_with_links_mentions_or_controls_are_made_safe() -> None:
    assert clean_user_value("author_name", "Win a prize at scam.com") == NAME_FALLBACK
    assert clean_user_value("author_name", "@everyone") == NAME_FALLBACK
    assert clean_user_value("author_name", "   ") == NAME_FALLBACK
    assert clean_user_value("author_name", "Sam\u202e\nPatel\x00") == "Sam Patel"
    assert len(clean_user_value("author_name", "a" * 500)) == 50
    assert clean_user_value("author_handle", "@sam_patel") == "sam_patel"
    with pytest.raises(ValueError, match="author_handle"):
        clean_user_value("author_handle", "!!!")


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=80))
def test_any_display_name_renders_without_error_and_keeps_the_wording(book: ReplyBook, name: str) -> None:
    values = {**VALUES, "author_name": name}
    rendered = render(
        book, "ordinary", platform=Platform.X, channel=Channel.PUBLIC, values=values, seed="same"
    )
    variant = book.template("ordinary").variants_for(Channel.PUBLIC, Platform.X)[rendered.variant]
    assert rendered.text == variant.fill({"author_name": clean_user_value("author_name", name)})


def test_a_missing_value_is_a_value_error_naming_the_placeholder(book: ReplyBook) -> None:
    values = {key: value for key, value in VALUES.items() if key != "complaints_email"}
    with pytest.raises(ValueError, match=r"\{complaints_email\}"):
        render(book, "complaint", platform=Platform.X, channel=Channel.PUBLIC, values=values, seed="m1")


def test_unknown_template_or_channel_is_a_value_error(book: ReplyBook) -> None:
    with pytest.raises(ValueError, match="no reply template named 'complaints'"):
        render(book, "complaints", platform=Platform.X, channel=Channel.PUBLIC, values=VALUES, seed="m1")
    with pytest.raises(ValueError, match="no private wording"):
        render(book, "offline_notice", platform=Platform.X, channel=Channel.PRIVATE, values=VALUES, seed="m1")


# ---------------------------------------------------------------------------------------------
# Rotation


def test_twenty_replies_to_one_author_never_repeat_consecutively(book: ReplyBook) -> None:
    last: str | None = None
    variants_used = []
    for number in range(20):
        rendered = render(
            book,
            "ordinary",
            platform=Platform.X,
            channel=Channel.PUBLIC,
            values=VALUES,
            seed=f"x:acct:{number}",
            avoid_text=last,
        )
        assert rendered.text != last
        if last is not None:
            assert rendered.variant != variants_used[-1]
        variants_used.append(rendered.variant)
        last = rendered.text
    assert len(set(variants_used)) == 3


def test_the_same_wording_is_recognised_whatever_the_values_and_marker(book: ReplyBook) -> None:
    first = render(
        book,
        "out_of_hours",
        platform=Platform.X,
        channel=Channel.PRIVATE,
        values={**VALUES, "next_opening": "9am on Monday 1 June"},
        seed="a",
        bot_marker="(automated reply)",
    )
    later_values = {**VALUES, "next_opening": "8am on Tuesday 2 June"}
    for seed in ("a", "b", "c", "d", "e", "f"):
        again = render(
            book,
            "out_of_hours",
            platform=Platform.X,
            channel=Channel.PRIVATE,
            values=later_values,
            seed=seed,
            avoid_text=first.text,
        )
        assert again.variant != first.variant


def test_a_retry_renders_the_same_text(book: ReplyBook) -> None:
    arguments = dict(
        platform=Platform.FACEBOOK,
        channel=Channel.PUBLIC,
        values=VALUES,
        avoid_text="Hello",
        bot_marker="(automated reply)",
    )
    texts = {render(book, "complaint", seed="facebook:page:123_456", **arguments).text for _ in range(5)}
    assert len(texts) == 1


def test_seeds_spread_over_every_wording(book: ReplyBook) -> None:
    chosen = {
        render(
            book, "complaint", platform=Platform.X, channel=Channel.PUBLIC, values=VALUES, seed=f"m{n}"
        ).variant
        for n in range(30)
    }
    assert chosen == {0, 1, 2}


def test_a_public_thread_avoids_recent_wordings_when_it_can(book: ReplyBook) -> None:
    variants = book.template("complaint").variants_for(Channel.PUBLIC, Platform.X)
    recent = tuple(variant.fill(VALUES) for variant in variants[:2])
    for seed in ("s1", "s2", "s3", "s4"):
        assert (
            render(
                book,
                "complaint",
                platform=Platform.X,
                channel=Channel.PUBLIC,
                values=VALUES,
                seed=seed,
                avoid_texts=recent,
            ).variant
            == 2
        )
    every = tuple(variant.fill(VALUES) for variant in variants)
    fallback = render(
        book,
        "complaint",
        platform=Platform.X,
        channel=Channel.PUBLIC,
        values=VALUES,
        seed="s1",
        avoid_text=every[1],
        avoid_texts=every,
    )
    assert fallback.variant != 1


# ---------------------------------------------------------------------------------------------
# Length, marker and prefix


def test_x_counts_links_as_23_and_emoji_as_2() -> None:
    long_link = "https://www.leedsth.nhs.uk/patients-visitors/patient-and-visitor-information/complaints/"
    assert reply_length(f"See {long_link}", Platform.X) == 4 + 23
    assert reply_length("\N{GRINNING FACE}", Platform.X) == 2
    assert reply_length("café", Platform.X) == 4
    assert reply_length(f"See {long_link}", Platform.FACEBOOK) == 4 + len(long_link)
    assert reply_length("\N{GRINNING FACE}", Platform.INSTAGRAM) == 2


def test_bot_marker_is_added_only_where_it_fits(book: ReplyBook) -> None:
    marker = "(automated reply)"
    roomy = render(
        book,
        "appeal",
        platform=Platform.X,
        channel=Channel.PUBLIC,
        values=VALUES,
        seed="m",
        bot_marker=marker,
    )
    assert roomy.text.endswith(" " + marker)
    body = roomy.text[: -len(marker) - 1]
    tight_limits = {**LIMITS, (Platform.X, Channel.PUBLIC): reply_length(body, Platform.X) + 5}
    tight = ReplyBook(book.directory, book.templates, tight_limits)
    squeezed = render(
        tight,
        "appeal",
        platform=Platform.X,
        channel=Channel.PUBLIC,
        values=VALUES,
        seed="m",
        bot_marker=marker,
    )
    assert squeezed.text == body


def test_wait_prefix_goes_first_and_is_dropped_if_it_does_not_fit(book: ReplyBook) -> None:
    late = render(
        book,
        "ordinary",
        platform=Platform.X,
        channel=Channel.PUBLIC,
        values=VALUES,
        seed="m",
        with_wait_prefix=True,
    )
    plain = render(book, "ordinary", platform=Platform.X, channel=Channel.PUBLIC, values=VALUES, seed="m")
    prefixes = [v.text for v in book.template("wait_prefix").variants_for(Channel.PUBLIC, Platform.X)]
    assert any(late.text == f"{prefix} {plain.text}" for prefix in prefixes)
    tight = ReplyBook(
        book.directory, book.templates, {**LIMITS, (Platform.X, Channel.PUBLIC): len(plain.text)}
    )
    assert (
        render(
            tight,
            "ordinary",
            platform=Platform.X,
            channel=Channel.PUBLIC,
            values=VALUES,
            seed="m",
            with_wait_prefix=True,
        ).text
        == plain.text
    )


def test_a_shorter_wording_is_used_when_values_make_one_too_long(book: ReplyBook) -> None:
    variants = book.template("ordinary").variants_for(Channel.PUBLIC, Platform.X)
    lengths = [reply_length(v.fill(VALUES), Platform.X) for v in variants]
    limit = min(lengths)
    tight = ReplyBook(book.directory, book.templates, {**LIMITS, (Platform.X, Channel.PUBLIC): limit})
    for seed in ("a", "b", "c", "d"):
        assert render(
            tight, "ordinary", platform=Platform.X, channel=Channel.PUBLIC, values=VALUES, seed=seed
        ).variant == lengths.index(limit)
    too_tight = ReplyBook(
        book.directory, book.templates, {**LIMITS, (Platform.X, Channel.PUBLIC): 10}
    )
    with pytest.raises(ValueError, match="over the x limit of 10"):
        render(too_tight, "ordinary", platform=Platform.X, channel=Channel.PUBLIC, values=VALUES, seed="a")


# ---------------------------------------------------------------------------------------------
# Readability


def test_readability_scores_plain_words_above_jargon() -> None:
    plain_ease, plain_grade = readability("We are sorry. Please call us. We will help you.")
    hard_ease, hard_grade = readability(
        "Notwithstanding organisational considerations, individualised communication "
        "necessitates comprehensive documentation."
    )
    assert plain_ease > 90 and plain_grade < 2
    assert hard_ease < 0 and hard_grade > 15


def test_readability_report_puts_the_hardest_first(book: ReplyBook) -> None:
    report = readability_report(book)
    assert len(report) == sum(len(v) for t in book.templates.values() for v in t.variants.values())
    assert report[0].reading_ease == min(score.reading_ease for score in report)
    assert report[0].line > 0


# ---------------------------------------------------------------------------------------------
# The offline notice and the next opening


HOURS = {
    "monday": ["09:00-17:00"],
    "tuesday": ["09:00-17:00"],
    "wednesday": ["09:00-17:00"],
    "thursday": ["09:00-17:00"],
    "friday": ["09:00-17:00"],
    "saturday": ["10:00-14:00"],
    "sunday": [],
    "bank_holidays": "closed",
    "closed_dates": ["2026-12-25"],
}


@pytest.mark.parametrize(
    "now, expected",
    [
        pytest.param("2026-05-22T16:00:00+00:00", "10am on Saturday 23 May", id="friday-evening-to-saturday"),
        pytest.param("2026-05-23T13:00:00+00:00", "9am on Tuesday 26 May", id="spring-bank-holiday-weekend"),
        pytest.param("2026-04-02T16:00:00+00:00", "10am on Saturday 4 April", id="good-friday-closed"),
        pytest.param("2026-04-04T13:00:00+00:00", "9am on Tuesday 7 April", id="easter-monday-closed"),
        pytest.param("2026-03-28T13:00:00+00:00", "9am on Monday 30 March", id="clocks-go-forward"),
        pytest.param("2026-10-24T13:00:00+00:00", "9am on Monday 26 October", id="clocks-go-back"),
        pytest.param(
            "2026-12-24T17:00:00+00:00",
            "9am on Tuesday 29 December",
            id="christmas-boxing-day-and-its-substitute",
        ),
    ],
)
def test_offline_notice_names_the_right_next_opening(book: ReplyBook, now: str, expected: str) -> None:
    hours = parse_hours(HOURS, LONDON, "config/housebot.toml", "accounts[0].hours")
    words = next_opening_words(hours, datetime.fromisoformat(now))
    assert words == expected
    notice = render(
        book,
        "offline_notice",
        platform=Platform.X,
        channel=Channel.PUBLIC,
        values={**VALUES, "next_opening": words},
        seed=now,
    )
    assert expected in notice.text and "999" in notice.text and "111" in notice.text


def test_offline_notice_when_no_opening_is_planned(book: ReplyBook) -> None:
    hours = parse_hours({"bank_holidays": "open"}, LONDON, "config/housebot.toml", "accounts[0].hours")
    words = next_opening_words(hours, datetime(2026, 5, 22, 16, tzinfo=UTC))
    notice = render(
        book,
        "offline_notice",
        platform=Platform.X,
        channel=Channel.PUBLIC,
        values={**VALUES, "next_opening": words},
        seed="n",
    )
    assert "announce" in notice.text


# ---------------------------------------------------------------------------------------------
# The two commands


def test_check_replies_reports_ok_and_the_hardest_wording() -> None:
    out = io.StringIO()
    assert check_replies_command(RESPONSES, out) == 0
    text = out.getvalue()
    assert "OK: 19 situations" in text
    assert re.search(
        r"Hardest to read: \w+\.(public|private)\.variants\[\d\] \(.+\.toml line \d+\): "
        r"Flesch reading ease \d+",
        text,
    )


def test_check_replies_prints_every_problem_with_file_and_line_and_exits_2(responses_copy: Path) -> None:
    write_template(
        responses_copy,
        "appeal",
        ["{nope} " + GOOD_APPEAL[0], *GOOD_APPEAL[1:]],
        ["x" * 1001 + " {appeals_email}", *GOOD_APPEAL[1:]],
    )
    out = io.StringIO()
    assert check_replies_command(responses_copy, out) == 2
    lines = out.getvalue().splitlines()
    assert any(
        line.startswith(
            f"{responses_copy / 'appeal.toml'}:4: appeal.public.variants[0]: unknown placeholder {{nope}}"
        )
        for line in lines
    )
    assert any(
        ":11: appeal.private.variants[0]: " in line and "instagram (private)" in line for line in lines
    )
    assert lines[-1].endswith("the bot will not start until they are fixed.")


def test_preview_prints_each_wording_for_a_category() -> None:
    out = io.StringIO()
    assert preview_command("abuse", "x", "public", RESPONSES, out, bot_marker="(automated reply)") == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "abuse_redirect on x, public (limit 280):"
    shown = [line for line in lines if line.startswith("  [")]
    assert len(shown) == 3
    assert all("(automated reply)" in line and "0113 206 6261" in line for line in shown)


def test_preview_covers_every_platform_and_channel_by_default() -> None:
    out = io.StringIO()
    assert preview_command("complaint", None, None, RESPONSES, out) == 0
    headers = [line for line in out.getvalue().splitlines() if line.endswith("):")]
    assert len(headers) == len(Platform) * len(Channel)
    assert "Hi Sam Patel" in out.getvalue()


@pytest.mark.parametrize(
    "template, platform, channel, message",
    [
        ("complaints", None, None, "Unknown situation 'complaints'"),
        ("complaint", "twitter", None, "Unknown platform or channel"),
        ("offline_notice", "x", "private", "offline_notice has only public wordings"),
    ],
)
def test_preview_mistakes_exit_2(
    template: str, platform: str | None, channel: str | None, message: str
) -> None:
    out = io.StringIO()
    assert preview_command(template, platform, channel, RESPONSES, out) == 2
    assert message in out.getvalue()


def test_preview_of_broken_files_points_to_check_replies(responses_copy: Path) -> None:
    (responses_copy / "threat.toml").unlink()
    out = io.StringIO()
    assert preview_command("complaint", "x", None, responses_copy, out) == 2
    assert "threat.toml: threat: file missing" in out.getvalue()
    assert "housebot check-replies" in out.getvalue()
