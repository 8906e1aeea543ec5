"""The graded danger response: findings -> tier -> actions, on every platform, and the words.

Urgent tier (score >= urgent_threshold): the urgent signposting reply and an urgent alert. Support
tier (support_threshold <= score < urgent_threshold): the normal decision, a support line with
its reply (or alone) and a routine alert. Never hidden at either tier, but for a threat in the support
tier (hidden, with the support line); the reply limit never
holds back a danger reply.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from adapters import ADAPTER_MODULES, adapter_module
from adapters.sandbox import CAPABILITIES as SANDBOX
from bot.errors import ConfigError
from bot.evaluate import engine_from, eval_command
from bot.model import (
    ActionKind,
    Author,
    AuthorHistory,
    Category,
    Channel,
    DangerTier,
    Finding,
    Inbound,
    Platform,
    Urgency,
)
from bot.pipeline import Engine, handle, handle_text, text_context
from bot.policy import DecideContext, Policy, decide, load_policy
from bot.replies import TEMPLATE_NAMES, ReplyBook, reply_length
from tests.helpers import REPO

NOW = datetime(2026, 5, 12, 10, 0, tzinfo=timezone.utc)
TEAMS = ("comms", "safeguarding", "patient_experience", "immunisation", "security")
SHIPPED = engine_from(REPO / "config")


def with_danger(tmp_path: Path, table: str) -> Path:
    """A copy of the shipped config folder whose policy has this `[danger]` table instead."""
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    policy = (config / "policy.toml").read_text(encoding="utf-8")
    start = policy.index("[danger]")
    end = policy.index("[[rules]]")
    (config / "policy.toml").write_text(policy[:start] + table + "\n\n" + policy[end:], encoding="utf-8")
    shutil.copytree(REPO / "responses", tmp_path / "responses")
    return config


@pytest.fixture(scope="module")
def support_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The shipped engine with the urgent threshold above today's danger scores (0.9), so every
    listed danger wording falls in the support tier: the support tier, end to end, on real text."""
    config = with_danger(tmp_path_factory.mktemp("support"), "[danger]\nurgent_threshold = 0.95\nsupport_threshold = 0.3")
    return engine_from(config)


def inbound(text: str = "hello", *, platform: Platform = Platform.SANDBOX, channel: Channel = Channel.PUBLIC) -> Inbound:
    return Inbound(platform=platform, account="demo", stream="comments", channel=channel, native_id="7",
                   author=Author(id="u7", handle="@member", display_name="Sam"), text=text, created_at=NOW,
                   in_reply_to_own=True)


def steps(decision) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{a.kind.value}{'@' + a.channel.value if a.channel else ''}{'>' + a.team if a.team else ''}"
            f"{'!' if a.urgency is Urgency.URGENT else ''}{'+support' if a.with_support_line else ''}"
            for a in decision.actions]


def finding(category: Category, score: float) -> Finding:
    return Finding(category, score, f"{category.value}.cue.test")


S, U, A, C, M, P, T = (Category.SAFEGUARDING, Category.URGENT_CARE, Category.ABUSE, Category.COMPLAINT,
                       Category.MISINFORMATION, Category.SPAM, Category.THREAT)

TIERS = [
    pytest.param([(S, 0.9)], DangerTier.URGENT, ["reply@public", "alert>safeguarding!"], id="explicit-intent-urgent"),
    pytest.param([(U, 0.7)], DangerTier.URGENT, ["reply@public", "alert>comms!"], id="at-the-urgent-threshold"),
    pytest.param([(S, 0.69)], DangerTier.SUPPORT, ["reply@public+support", "alert>safeguarding"], id="just-below-urgent"),
    pytest.param([(S, 0.3)], DangerTier.SUPPORT, ["reply@public+support", "alert>safeguarding"], id="at-the-support-threshold"),
    pytest.param([(S, 0.29)], DangerTier.NONE, ["reply@public"], id="an-idiom-below-support"),
    pytest.param([(S, 0.9), (A, 0.95)], DangerTier.URGENT, ["reply@public", "alert>safeguarding!"],
                 id="danger-and-abuse-signposted-not-hidden"),
    pytest.param([(S, 0.5), (A, 0.95)], DangerTier.SUPPORT, ["review>comms", "reply@public+support", "alert>safeguarding"],
                 id="support-and-abuse-redirected-not-hidden"),
    pytest.param([(U, 0.5), (C, 0.9)], DangerTier.SUPPORT,
                 ["reply@public+support", "alert>patient_experience", "alert>safeguarding"], id="support-with-a-complaint"),
    pytest.param([(S, 0.5), (M, 0.9)], DangerTier.SUPPORT, ["review>comms", "reply@public", "alert>safeguarding"],
                 id="support-line-alone-when-no-normal-reply"),
    pytest.param([(S, 0.5), (P, 0.9)], DangerTier.SUPPORT, ["review>comms", "reply@public", "alert>safeguarding"],
                 id="spam-is-not-hidden-in-the-support-tier"),
    pytest.param([(S, 0.5), (T, 0.9)], DangerTier.SUPPORT,
                 ["hide", "alert>security!", "reply@public+support", "alert>safeguarding"], id="threat-hidden-with-the-support-line"),
    pytest.param([(S, 0.5), (T, 0.8)], DangerTier.SUPPORT,
                 ["review>comms", "alert>security!", "reply@public+support", "alert>safeguarding"], id="a-less-sure-threat-reviewed-not-hidden"),
    pytest.param([(S, 0.9), (T, 0.9)], DangerTier.URGENT, ["reply@public", "alert>safeguarding!"], id="urgent-danger-and-threat-signposted-not-hidden"),
]


@pytest.mark.parametrize("check", sorted(SHIPPED.policy.danger.in_view_checks))
def test_harm_from_someone_close_keeps_a_confident_threat_in_view(check: str) -> None:
    # "Stepdad said he'd put me through the window": the threat words are aimed at the writer, who is at risk.
    findings = (Finding(S, 0.6, check), finding(T, 0.95))
    decision = decide(inbound(), findings, AuthorHistory(), SHIPPED.policy, DecideContext(now=NOW, capabilities=SANDBOX))
    assert decision.danger_tier is DangerTier.SUPPORT
    assert steps(decision) == ["review>comms", "alert>security!", "reply@public+support", "alert>safeguarding"]


@pytest.mark.parametrize("text", [
    "Stepdad said he'd put me through the window if I talk back again",
    "my ex keeps saying if I go to the police he'll burn the flat down with me in it",
    "the kids' dad said he'd snap my neck if I ever take them to my mum's",
])
def test_a_threat_from_someone_close_told_by_the_person_at_risk_is_never_hidden(text: str) -> None:
    decision = handle_text(text, SHIPPED, text_context(NOW, SANDBOX))
    assert decision.danger_tier is not DangerTier.NONE
    assert not {ActionKind.HIDE, ActionKind.DELETE, ActionKind.MUTE, ActionKind.BLOCK} & {a.kind for a in decision.actions}


@pytest.mark.parametrize("text", [
    "I'll stab the receptionist if she speaks to me like that again",
    "tell that nurse if she comes near my kids again I'll batter her",
])
def test_the_writers_own_threat_is_still_hidden(text: str) -> None:
    decision = handle_text(text, SHIPPED, text_context(NOW, SANDBOX))
    assert decision.category is Category.THREAT
    assert ActionKind.HIDE in {a.kind for a in decision.actions}


@pytest.mark.parametrize(("found", "tier", "expected"), TIERS)
def test_findings_to_tier_to_actions(found: list[tuple[Category, float]], tier: DangerTier, expected: list[str]) -> None:
    findings = tuple(finding(category, score) for category, score in found)
    decision = decide(inbound(), findings, AuthorHistory(), SHIPPED.policy, DecideContext(now=NOW, capabilities=SANDBOX))
    assert decision.danger_tier is tier
    assert steps(decision) == expected
    assert not {ActionKind.HIDE, ActionKind.DELETE, ActionKind.MUTE, ActionKind.BLOCK} & {a.kind for a in decision.actions} \
        or tier is DangerTier.NONE or (tier is DangerTier.SUPPORT and (T, 0.9) in found)


def test_the_reply_limit_never_holds_back_a_danger_reply() -> None:
    busy = AuthorHistory(replies_last_hour=50)
    context = DecideContext(now=NOW, capabilities=SANDBOX)
    urgent = decide(inbound(), (finding(S, 0.9),), busy, SHIPPED.policy, context)
    assert "reply@public" in steps(urgent)
    support = decide(inbound(), (finding(S, 0.5), finding(C, 0.9)), busy, SHIPPED.policy, context)
    assert "limit.replies_per_author" in support.rule
    assert [a.template for a in support.actions if a.kind is ActionKind.REPLY] == ["support_line"]


@pytest.mark.parametrize("name", list(ADAPTER_MODULES))
@pytest.mark.parametrize("channel", list(Channel))
def test_the_support_tier_on_each_platform_replies_with_the_line_and_alerts(support_engine: Engine, name: str,
                                                                           channel: Channel) -> None:
    text = "I just want to kill myself, nothing is getting better"
    message = inbound(text, platform=Platform(name), channel=channel)
    decision = handle(message, AuthorHistory(), text_context(NOW, adapter_module(name).CAPABILITIES), support_engine)
    assert decision.danger_tier is DangerTier.SUPPORT and decision.category is not Category.SAFEGUARDING
    replies = [a for a in decision.actions if a.kind is ActionKind.REPLY]
    assert replies and any("116 123" in a.text for a in replies)
    assert ("alert", "safeguarding", Urgency.ROUTINE) in {(a.kind.value, a.team, a.urgency) for a in decision.actions}
    assert not any(a.kind in (ActionKind.HIDE, ActionKind.DELETE, ActionKind.MUTE, ActionKind.BLOCK) for a in decision.actions)
    assert "danger tier support" in decision.evidence


@pytest.mark.parametrize(("limit", "replies"), [
    pytest.param(280, ["complaint+line"], id="x-280-the-line-joins-the-reply"),
    pytest.param(230, ["complaint", "support_line"], id="no-room-the-line-follows-as-its-own-reply"),
])
def test_on_x_the_support_line_joins_the_reply_or_follows_it(support_engine: Engine, limit: int,
                                                             replies: list[str]) -> None:
    limits = {**support_engine.book.limits, (Platform.X, Channel.PUBLIC): limit}
    engine = dataclasses.replace(support_engine, book=ReplyBook(support_engine.book.directory,
                                                                support_engine.book.templates, limits))
    message = inbound("this wait is bloody ridiculous, 5 hours in A&E, I just want to kill myself", platform=Platform.X)
    decision = handle(message, AuthorHistory(), text_context(NOW, adapter_module("x").CAPABILITIES), engine)
    sent = [a for a in decision.actions if a.kind is ActionKind.REPLY]
    assert decision.danger_tier is DangerTier.SUPPORT and decision.category is Category.COMPLAINT
    assert [a.template + ("+line" if "116 123" in a.text and a.template != "support_line" else "") for a in sent] == replies
    assert all(reply_length(a.text, Platform.X) <= limit for a in sent)
    assert sum(a.text.count("116 123") for a in sent) == 1


def test_today_a_listed_danger_wording_is_the_urgent_tier() -> None:
    decision = handle_text("I just want to kill myself, nothing is getting better", SHIPPED, text_context(NOW, SANDBOX))
    assert decision.danger_tier is DangerTier.URGENT and decision.category is Category.SAFEGUARDING
    assert "danger tier urgent" in decision.evidence


def test_eval_counts_the_support_tier_as_the_danger_category(support_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "danger.csv"
    path.write_text("text,label\nI just want to kill myself,safeguarding\nwhat time does the clinic open?,ordinary\n",
                    encoding="utf-8")
    out = io.StringIO()
    assert eval_command([path], 0, True, out, lambda: support_engine) == 0
    assert '"recall": 1.0' in out.getvalue().split('"safeguarding"')[1]


@pytest.mark.parametrize(("table", "key"), [
    pytest.param("[danger]\nurgent_threshold = 1.5", "danger.urgent_threshold", id="above-one"),
    pytest.param("[danger]\nsupport_threshold = 0", "danger.support_threshold", id="zero"),
    pytest.param("[danger]\nurgent_threshold = 0.5\nsupport_threshold = 0.6", "danger.support_threshold", id="support-above-urgent"),
    pytest.param("[danger]\nsupport_team = \"police\"", "danger.support_team", id="unknown-team"),
    pytest.param("[danger]\nurgent = 0.7", "danger.urgent", id="unknown-key"),
    pytest.param("[danger]\nurgent_threshold = \"high\"", "danger.urgent_threshold", id="not-a-number"),
    pytest.param("[danger]\nin_view_checks = [\"threat.cue.weapon\"]", "danger.in_view_checks", id="not-a-danger-check"),
    pytest.param("[danger]\nin_view_checks = \"safeguarding.cue.fear_at_home\"", "danger.in_view_checks", id="not-a-list"),
    pytest.param("[danger]\nthreat_hidden_from = 0", "danger.threat_hidden_from", id="threat-bar-zero"),
])
def test_thresholds_are_checked_at_start_up_naming_the_key(tmp_path: Path, table: str, key: str) -> None:
    config = with_danger(tmp_path, table)
    with pytest.raises(ConfigError) as caught:
        load_policy(config / "policy.toml", teams=TEAMS, templates=TEMPLATE_NAMES)
    assert caught.value.key == key


def test_the_shipped_thresholds(tmp_path: Path) -> None:
    policy: Policy = SHIPPED.policy
    assert (policy.danger.urgent, policy.danger.support, policy.danger.support_team) == (0.7, 0.3, "safeguarding")


def test_the_bar_from_which_a_threat_stays_hidden_in_the_support_tier_is_read_from_the_policy(tmp_path: Path) -> None:
    """policy.toml `threat_hidden_from`: a threat found from it is hidden in the support tier, below it reviewed."""
    assert SHIPPED.policy.danger.threat_hidden_from == 0.9
    config = with_danger(tmp_path, "[danger]\nurgent_threshold = 0.7\nsupport_threshold = 0.3\nthreat_hidden_from = 0.75")
    policy = load_policy(config / "policy.toml", teams=TEAMS, templates=TEMPLATE_NAMES)
    context = DecideContext(now=NOW, capabilities=SANDBOX)
    sure = decide(inbound(), (finding(S, 0.5), finding(T, 0.8)), AuthorHistory(), policy, context)
    assert steps(sure) == ["hide", "alert>security!", "reply@public+support", "alert>safeguarding"]
    less_sure = decide(inbound(), (finding(S, 0.5), finding(T, 0.7)), AuthorHistory(), policy, context)
    assert steps(less_sure) == ["review>comms", "alert>security!", "reply@public+support", "alert>safeguarding"]
