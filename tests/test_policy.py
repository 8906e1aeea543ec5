"""decide() as tables: findings in, actions out, for the shipped policy on each platform."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.model import (
    ActionKind, Attachment, AttachmentKind, Author, AuthorHistory, Capabilities, Category, Channel, Finding, Inbound, Platform,
    Span, Topic,
)
from bot.policy import DecideContext, Policy, decide, load_policy, primary_category
from bot.replies import TEMPLATE_NAMES
from tests.helpers import REPO, SURE_ADVERT

NOW = datetime(2026, 5, 12, 10, 0, tzinfo=timezone.utc)
TEAMS = ("comms", "safeguarding", "patient_experience", "immunisation", "security")
EVERYTHING = Capabilities(
    actions=frozenset(ActionKind) - {ActionKind.ALERT, ActionKind.REVIEW},
    max_reply_length={Channel.PUBLIC: 1000, Channel.PRIVATE: 1000},
)
X_LIKE = Capabilities(
    actions=frozenset({ActionKind.REPLY, ActionKind.HIDE, ActionKind.UNHIDE, ActionKind.MUTE, ActionKind.POST_NOTICE}),
    max_reply_length={Channel.PUBLIC: 280, Channel.PRIVATE: 10000},
    hide_own_threads_only=True,
    url_length=23,
)
MESSENGER_LIKE = Capabilities(
    actions=frozenset({ActionKind.REPLY, ActionKind.HIDE, ActionKind.DELETE, ActionKind.BLOCK, ActionKind.POST_NOTICE}),
    max_reply_length={Channel.PUBLIC: 8000, Channel.PRIVATE: 2000},
    private_reply_window=timedelta(hours=24),
)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(REPO / "config" / "policy.toml", teams=TEAMS, templates=TEMPLATE_NAMES)


def inbound(text: str = "hello", *, channel: Channel = Channel.PUBLIC, handle: str = "@member", own: bool = True,
            age: timedelta = timedelta(minutes=5), platform: Platform = Platform.SANDBOX) -> Inbound:
    return Inbound(platform=platform, account="demo", stream="comments", channel=channel, native_id="42",
                   author=Author(id="u42", handle=handle, display_name="Member"), text=text,
                   created_at=NOW - age, in_reply_to_own=own)


def context(caps: Capabilities = EVERYTHING, **kwargs: object) -> DecideContext:
    return DecideContext(now=NOW, capabilities=caps, official_ids=frozenset({"own-id"}),
                         official_handles=frozenset({"@nhsleeds", "@nhsleedsdemo"}),
                         topics=(Topic("vaccination", "immunisation", ("flu jab",)),), **kwargs)  # type: ignore[arg-type]


def found(category: Category, score: float = 0.9) -> tuple[Finding, ...]:
    return (Finding(category, score, f"{category.value}.test"),)


def kinds(decision) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{a.kind.value}{'@' + a.channel.value if a.channel else ''}{'>' + a.team if a.team else ''}"
            for a in decision.actions]


# What the house rules promise for each category on a platform that can do everything.
HOUSE_RULES = [
    pytest.param(Category.SAFEGUARDING, Channel.PRIVATE, ["reply@private", "alert>safeguarding"], id="safeguarding-signpost-and-alert"),
    pytest.param(Category.URGENT_CARE, Channel.PUBLIC, ["reply@public", "alert>comms"], id="urgent-care-signpost-and-alert"),
    pytest.param(Category.THREAT, Channel.PUBLIC, ["hide", "alert>security", "reply@public"], id="threat-hidden-and-escalated"),
    pytest.param(Category.ABUSE, Channel.PUBLIC, ["hide", "reply@public"], id="abuse-hidden-and-redirected"),
    pytest.param(Category.OVERSHARING, Channel.PUBLIC, ["hide", "reply@private"], id="oversharing-hidden-advised-privately"),
    pytest.param(Category.OVERSHARING, Channel.PRIVATE, ["reply@private", "alert>comms"], id="oversharing-in-a-dm-not-hidden"),
    pytest.param(Category.MISINFORMATION, Channel.PUBLIC, ["review>comms"], id="misinformation-to-review-never-deleted"),
    pytest.param(Category.SPAM, Channel.PUBLIC, ["hide"], id="spam-hidden-without-reply"),
    pytest.param(Category.COMPLAINT, Channel.PUBLIC, ["reply@public", "alert>patient_experience"], id="complaint-to-complaints-page"),
    pytest.param(Category.VERIFICATION, Channel.PUBLIC, ["reply@public", "alert>comms"], id="verification-confirmed"),
    pytest.param(Category.ORDINARY, Channel.PUBLIC, ["reply@public"], id="ordinary-acknowledged"),
]


@pytest.mark.parametrize(("category", "channel", "expected"), HOUSE_RULES)
def test_each_house_rule_gives_its_actions(policy: Policy, category: Category, channel: Channel, expected: list[str]) -> None:
    decision = decide(inbound(channel=channel), found(category), AuthorHistory(), policy, context())
    assert decision.category == category
    assert kinds(decision) == expected
    assert decision.rule and not decision.dry_run


def test_danger_wins_over_everything_else_and_keeps_the_rest_as_evidence(policy: Policy) -> None:
    findings = found(Category.ABUSE) + found(Category.SAFEGUARDING, 0.8) + found(Category.SPAM)  # the urgent tier
    decision = decide(inbound(), findings, AuthorHistory(), policy, context())
    assert decision.category is Category.SAFEGUARDING
    assert "hide" not in kinds(decision)
    assert {f.category for f in decision.findings} >= {Category.ABUSE, Category.SPAM}


def test_ordinary_questions_on_a_topic_go_to_that_team(policy: Policy) -> None:
    decision = decide(inbound("When can I get my flu jab?"), (), AuthorHistory(), policy, context())
    assert kinds(decision) == ["reply@public>immunisation", "alert>immunisation"]
    assert decision.actions[0].template == "routed_to_team"


def test_low_confidence_abuse_is_never_hidden(policy: Policy) -> None:
    decision = decide(inbound(), found(Category.ABUSE, 0.3), AuthorHistory(), policy, context())
    assert decision.category is Category.ORDINARY
    assert "hide" not in kinds(decision)


@pytest.mark.parametrize("check", ["abuse.swearing", "abuse.name_calling"])
def test_swearing_or_name_calling_at_nobody_is_redirected_without_hiding(check: str, policy: Policy) -> None:
    at_nobody = (Finding(Category.ABUSE, 0.9, check),)
    decision = decide(inbound(), at_nobody, AuthorHistory(), policy, context())
    assert decision.category is Category.ABUSE and decision.rule == "abuse.swearing_redirect"
    assert kinds(decision) == ["reply@public"] and not decision.strike


def test_spam_wording_in_a_verification_message_gives_way(policy: Policy) -> None:
    findings = (Finding(Category.SPAM, 0.9, "spam.pattern"), Finding(Category.VERIFICATION, 0.9, "verification.impersonation"))
    decision = decide(inbound(), findings, AuthorHistory(), policy, context())
    assert decision.category is Category.VERIFICATION
    assert "hide" not in kinds(decision)
    repeated = (Finding(Category.SPAM, 0.9, "spam.repetition"), findings[1])
    assert decide(inbound(), repeated, AuthorHistory(), policy, context()).category is Category.SPAM


def test_x_cannot_hide_outside_its_own_threads_so_a_person_reviews(policy: Policy) -> None:
    decision = decide(inbound(own=False, platform=Platform.X), found(Category.ABUSE), AuthorHistory(), policy, context(X_LIKE))
    assert kinds(decision) == ["review>comms", "reply@public"]
    assert any(f.check == "platform.capability" and "own posts" in f.detail for f in decision.findings)


def test_x_hides_abuse_under_its_own_posts(policy: Policy) -> None:
    decision = decide(inbound(own=True, platform=Platform.X), found(Category.ABUSE), AuthorHistory(), policy, context(X_LIKE))
    assert kinds(decision) == ["hide", "reply@public"]


def test_threat_on_x_outside_own_thread_falls_back_to_urgent_review(policy: Policy) -> None:
    decision = decide(inbound(own=False, platform=Platform.X), found(Category.THREAT), AuthorHistory(), policy, context(X_LIKE))
    assert kinds(decision)[:2] == ["review>security", "alert>security"]
    assert decision.actions[0].urgency.value == "urgent"


def test_messenger_private_reply_after_24_hours_is_not_planned(policy: Policy) -> None:
    late = inbound(channel=Channel.PRIVATE, age=timedelta(hours=30), platform=Platform.FACEBOOK)
    decision = decide(late, found(Category.COMPLAINT), AuthorHistory(), policy, context(MESSENGER_LIKE))
    assert kinds(decision) == ["alert>patient_experience"]
    assert "within 24 hours" in decision.findings[-1].detail


def test_danger_is_signposted_even_past_the_reply_cap(policy: Policy) -> None:
    busy = AuthorHistory(replies_last_hour=10)
    assert "reply@private" in kinds(decide(inbound(channel=Channel.PRIVATE), found(Category.SAFEGUARDING), busy, policy, context()))
    capped = decide(inbound(), found(Category.COMPLAINT), busy, policy, context())
    assert kinds(capped) == ["alert>patient_experience"]
    assert "limit.replies_per_author" in capped.rule


def test_the_bot_never_answers_itself_or_another_official_account(policy: Policy) -> None:
    for handle in ("@NHSLeeds", "@nhsleedsdemo"):
        decision = decide(inbound(handle=handle), found(Category.ABUSE), AuthorHistory(), policy, context())
        assert decision.actions == () and decision.rule == "guard.official_account"


def test_partner_accounts_are_never_hidden(policy: Policy) -> None:
    decision = decide(inbound(handle="@LeedsCC"), found(Category.SPAM), AuthorHistory(), policy, context())
    assert "hide" not in kinds(decision)
    assert "exempt.partner" in decision.rule


@pytest.mark.parametrize(("strikes", "extra"), [
    pytest.param(0, [], id="first-breach"),
    pytest.param(1, ["alert>comms"], id="second-breach-staff-told"),
    pytest.param(2, ["review>comms"], id="third-breach-block-proposed"),
    pytest.param(7, ["review>comms"], id="many-breaches-still-a-person-decides"),
])
def test_strike_ladder(policy: Policy, strikes: int, extra: list[str]) -> None:
    decision = decide(inbound(), found(Category.ABUSE), AuthorHistory(strikes=strikes), policy, context())
    assert kinds(decision) == ["hide", "reply@public", *extra]
    assert "block" not in kinds(decision)


def test_a_check_that_failed_holds_the_message_for_a_person(policy: Policy) -> None:
    broken = (Finding(Category.ORDINARY, 0.0, "engine.error", "boom"),)
    decision = decide(inbound(), broken, AuthorHistory(), policy, context())
    assert kinds(decision) == ["review>comms"]


def chain(action) -> list[str]:  # type: ignore[no-untyped-def]
    """An action's fallback chain for a refusal at run time, as kinds (and teams)."""
    steps = []
    while action.fallback is not None:
        action = action.fallback
        steps.append(f"{action.kind.value}{'>' + action.team if action.team else ''}")
    return steps


def test_a_refused_hide_falls_back_as_the_policy_says(policy: Policy) -> None:
    decision = decide(inbound(), found(Category.THREAT), AuthorHistory(), policy, context())
    hide = decision.actions[0]
    assert hide.kind is ActionKind.HIDE and chain(hide) == ["delete", "review>security"]
    assert "platform refused hide" in hide.fallback.reason  # type: ignore[union-attr]


@pytest.mark.parametrize(("caps", "platform", "own", "category", "expected"), [
    pytest.param(EVERYTHING, Platform.SANDBOX, True, Category.THREAT,
                 [("hide", ["delete", "review>security"]), ("alert", []), ("reply", ["review>comms"])], id="threat-everywhere"),
    pytest.param(MESSENGER_LIKE, Platform.FACEBOOK, True, Category.ABUSE,
                 [("hide", ["review>comms"]), ("reply", ["review>comms"])], id="abuse-facebook"),
    pytest.param(X_LIKE, Platform.X, True, Category.OVERSHARING,
                 [("hide", ["review>comms"]), ("reply", ["reply", "review>comms"])], id="oversharing-x-skips-delete"),
    pytest.param(X_LIKE, Platform.X, False, Category.THREAT,
                 [("review", []), ("alert", []), ("reply", ["review>comms"])], id="threat-x-not-own-thread"),
    pytest.param(EVERYTHING, Platform.SANDBOX, True, Category.COMPLAINT,
                 [("reply", ["review>comms"]), ("alert", [])], id="complaint"),
])
def test_each_action_carries_its_fallback_chain_fitted_to_the_platform(
        policy: Policy, caps: Capabilities, platform: Platform, own: bool, category: Category,
        expected: list[tuple[str, list[str]]]) -> None:
    decision = decide(inbound(platform=platform, own=own), found(category), AuthorHistory(), policy, context(caps))
    assert [(a.kind.value, chain(a)) for a in decision.actions] == expected


def test_dry_run_is_marked_on_every_decision(tmp_path: Path) -> None:
    text = (REPO / "config" / "policy.toml").read_text().replace("dry_run = false", "dry_run = true")
    (tmp_path / "policy.toml").write_text(text)
    dry = load_policy(tmp_path / "policy.toml", teams=TEAMS, templates=TEMPLATE_NAMES)
    assert decide(inbound(), found(Category.ABUSE), AuthorHistory(), dry, context()).dry_run


@pytest.mark.parametrize(("old", "new", "key"), [
    pytest.param('template = "complaint"', 'template = "complain"', "rules[9].actions[0].template", id="unknown-template"),
    pytest.param('team = "security", urgency = "urgent" },\n  { kind = "reply"', 'team = "police", urgency = "urgent" },\n  { kind = "reply"', "rules[2].actions[1].team", id="unknown-team"),
    pytest.param('kind = "hide", fallback = { kind = "review"', 'kind = "hyde", fallback = { kind = "review"',
                 "rules[3].actions[0].kind", id="unknown-action"),
    pytest.param('{ kind = "alert", team = "comms" }]', '{ kind = "block" }]', "ladder[0].actions", id="block-needs-approval"),
])
def test_policy_errors_name_the_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    refused = _refused_policy_edit(tmp_path, old, new)
    assert refused.key == key
    assert str(tmp_path / "policy.toml") in str(refused)


def _refused_policy_edit(tmp_path: Path, old: str, new: str) -> ConfigError:
    """The start-up refusal of the shipped policy.toml with `old` replaced by `new` (once)."""
    text = (REPO / "config" / "policy.toml").read_text()
    assert old in text
    (tmp_path / "policy.toml").write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_policy(tmp_path / "policy.toml", teams=TEAMS, templates=TEMPLATE_NAMES)
    return caught.value


def test_a_person_repeating_themselves_is_hidden_and_pointed_elsewhere(policy: Policy) -> None:
    repeated = (Finding(Category.SPAM, 0.9, "spam.repetition", "the same point 3 times"),)
    decision = decide(inbound(), repeated, AuthorHistory(), policy, context())
    assert kinds(decision) == ["hide", "reply@public"]
    assert decision.actions[1].template == "spam_repeat"
    advert = (Finding(Category.SPAM, 0.9, "spam.pattern", "order now"),)
    assert kinds(decide(inbound(), advert, AuthorHistory(), policy, context())) == ["hide"]


def test_a_block_the_platform_cannot_do_becomes_a_task_for_a_person(tmp_path: Path) -> None:
    text = (REPO / "config" / "policy.toml").read_text().replace("auto_block = false", "auto_block = true")
    text = text.replace('actions = [{ kind = "review", team = "comms" }]', 'actions = [{ kind = "block" }]')
    (tmp_path / "policy.toml").write_text(text)
    blocking = load_policy(tmp_path / "policy.toml", teams=TEAMS, templates=TEMPLATE_NAMES)
    third = AuthorHistory(strikes=2)
    on_facebook = decide(inbound(platform=Platform.FACEBOOK), found(Category.ABUSE), third, blocking,
                         context(MESSENGER_LIKE))
    assert "block" in kinds(on_facebook)
    on_x = decide(inbound(platform=Platform.X), found(Category.ABUSE), third, blocking, context(X_LIKE))
    assert "block" not in kinds(on_x) and "review>comms" in kinds(on_x)
    review = next(a for a in on_x.actions if a.kind is ActionKind.REVIEW)
    assert "x cannot block" in review.reason and "in the app" in review.reason


def test_only_rules_marked_strike_count_towards_the_ladder(policy: Policy) -> None:
    assert decide(inbound(), found(Category.ABUSE), AuthorHistory(), policy, context()).strike
    assert not decide(inbound(), found(Category.COMPLAINT), AuthorHistory(), policy, context()).strike


@pytest.mark.parametrize("text", ["", "   ", "@NHSLeeds https://t.co/AbC123"], ids=["empty", "blank", "mention-and-link"])
@pytest.mark.parametrize("channel", [Channel.PUBLIC, Channel.PRIVATE])
def test_a_picture_or_video_with_no_words_goes_to_a_person_with_a_polite_reply(
        policy: Policy, text: str, channel: Channel) -> None:
    item = replace(inbound(text, channel=channel), attachments=(Attachment(AttachmentKind.PHOTO, "an arm"),))
    decision = decide(item, (), AuthorHistory(), policy, context())
    assert [(a.kind, a.template, a.channel) for a in decision.actions] == [
        (ActionKind.REPLY, "attachment", channel), (ActionKind.REVIEW, "", None)]
    assert decision.rule == "attachment.unread" and decision.actions[1].team == policy.review_team


def test_a_picture_with_words_is_decided_by_its_words(policy: Policy) -> None:
    item = replace(inbound("What time does the clinic open?"), attachments=(Attachment(AttachmentKind.PHOTO),))
    decision = decide(item, (), AuthorHistory(), policy, context())
    assert decision.rule != "attachment.unread"
    assert not any(a.template == "attachment" for a in decision.actions)


def test_the_misinformation_models_guess_gives_way_to_spam(policy: Policy) -> None:
    findings = (Finding(Category.MISINFORMATION, 0.8, "misinformation.model"), Finding(Category.SPAM, 0.7, "spam.model"))
    assert decide(inbound(), findings, AuthorHistory(), policy, context()).category is Category.SPAM
    listed = (Finding(Category.MISINFORMATION, 0.8, "misinformation.claim"), findings[1])
    assert decide(inbound(), listed, AuthorHistory(), policy, context()).category is Category.MISINFORMATION


@pytest.mark.parametrize(("finding", "expected", "strike"), [
    (Finding(Category.SPAM, 0.65, "spam.model"), ["review>comms"], False),       # a guess: a person decides
    (Finding(Category.SPAM, 0.93, "spam.model"), ["review>comms"], False),       # nearly sure: still a person (round 6)
    (Finding(Category.SPAM, 0.97, "spam.model"), ["hide"], True),                # the model is sure
    (Finding(Category.SPAM, 0.85, "spam.cue.dm_offer"), ["hide"], True),         # listed wording is hidden at any score
])
def test_the_spam_model_alone_hides_only_when_sure(policy: Policy, finding: Finding, expected: list[str], strike: bool) -> None:
    decision = decide(inbound(), (finding,), AuthorHistory(), policy, context())
    assert decision.category is Category.SPAM
    assert kinds(decision) == expected
    assert decision.strike is strike


def test_the_hiding_rule_and_the_arbitration_read_one_sure_score_from_the_toml(tmp_path: Path) -> None:
    # A follower seller: the model at 0.92 and a verification cue reading "get verified" as a question about us.
    findings = (Finding(Category.SPAM, 0.92, "spam.model"), Finding(Category.VERIFICATION, 0.8, "verification.cue.genuine"))
    shipped = (REPO / "config" / "policy.toml").read_text()
    rule = 'checks = ["spam.model"]\nmin_score = 0.95\n'
    assert rule in shipped
    (tmp_path / "policy.toml").write_text(shipped.replace(rule, rule.replace("0.95", "0.9"), 1))
    lowered = load_policy(tmp_path / "policy.toml", teams=TEAMS, templates=TEMPLATE_NAMES)
    shipped_policy = load_policy(REPO / "config" / "policy.toml", teams=TEAMS, templates=TEMPLATE_NAMES)
    assert (shipped_policy.sure_advert, lowered.sure_advert) == (0.95, 0.9)
    # Shipped: the model is not sure, so the question keeps its rank and nothing is hidden.
    unsure = decide(inbound(), findings, AuthorHistory(), shipped_policy, context())
    assert unsure.category is Category.VERIFICATION and "hide" not in kinds(unsure)
    # At 0.9 the same score is sure for both: the advert explains the cue, and the rule hides it.
    sure = decide(inbound(), findings, AuthorHistory(), lowered, context())
    assert sure.category is Category.SPAM and kinds(sure) == ["hide"]
    assert primary_category(findings, lowered.sure_advert) is Category.SPAM


@pytest.mark.parametrize(("old", "new", "key"), [
    pytest.param('checks = ["spam.model"]\nmin_score = 0.95', 'checks = ["spam.model"]\nmin_score = 0.3',
                 "rules[14].min_score", id="too-low"),
    pytest.param('checks = ["spam.model"]\nmin_score = 0.95', 'checks = ["spam.model", "spam.pattern"]\nmin_score = 0.95',
                 "rules", id="no-rule-hides-on-the-model-alone"),
])
def test_the_sure_advert_score_is_checked_at_start_up(tmp_path: Path, old: str, new: str, key: str) -> None:
    refused = _refused_policy_edit(tmp_path, old, new)
    assert refused.key == key and "spam model" in str(refused)


@pytest.mark.parametrize("private", [
    Finding(Category.OVERSHARING, 0.9, "oversharing.phone", spans=(Span(12, 25, "phone"),)),
    Finding(Category.ABUSE, 0.8, "abuse.model"),
])
def test_verification_is_never_hidden_for_the_number_or_the_anger_it_quotes(policy: Policy, private: Finding) -> None:
    findings = (private, Finding(Category.VERIFICATION, 0.8, "verification.cue.genuine"))
    decision = decide(inbound("is the number 07700 900123 really yours?"), findings, AuthorHistory(), policy, context())
    assert decision.category is Category.VERIFICATION
    assert "hide" not in kinds(decision)


def test_other_private_details_and_listed_abuse_keep_their_rank_over_verification(policy: Policy) -> None:
    verification = Finding(Category.VERIFICATION, 0.8, "verification.cue.genuine")
    nhs_number = Finding(Category.OVERSHARING, 0.95, "oversharing.nhs_number", spans=(Span(0, 12, "nhs_number"),))
    listed = Finding(Category.ABUSE, 0.9, "abuse.wordlist")
    for kept in (nhs_number, listed):
        assert primary_category((kept, verification), SURE_ADVERT) is kept.category
