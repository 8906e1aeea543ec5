"""Decide: from a message's findings and the policy file to a list of actions.

The policy is data (config/policy.toml), in the spirit of Reddit AutoModerator: named rules with
conditions (category, platform, channel, minimum score), ordered actions, a reason staff read, a
strike ladder, exempt partner accounts and a global dry-run. `load_policy` checks it against the
fixed vocabularies at start-up; `decide` is a pure function: no I/O, no clock, no globals.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from adapters.base import Capabilities
from bot.errors import ConfigError
from bot.moderation import ENGINE_ERROR_RULE, primary_category
from bot.model import (
    DANGER_CATEGORIES,
    PLATFORM_ACTIONS,
    Action,
    ActionKind,
    Category,
    Channel,
    Decision,
    Finding,
    Inbound,
    Platform,
    Urgency,
)
from bot.settings import Topic
from bot.store import AuthorHistory

ROUTE = "route"  # a policy-only step: acknowledge, and alert the team whose topic the message is about
SAME_CHANNEL = "same"
MODERATION_KINDS = frozenset({ActionKind.HIDE, ActionKind.DELETE, ActionKind.BLOCK, ActionKind.MUTE})
ATTACHMENT_RULE = "attachment.unread"
# What is left of a message once mentions and links are taken out: a photo tweet's text is often
# only "@NHSLeeds https://t.co/...", which says nothing a person should not look at.
_MENTIONS_AND_LINKS = re.compile(r"@\w+|https?://\S+")
# Settle hiding and deleting before anything is said, as AutoModerator does (the rest keep their order).
_ACTION_ORDER = MappingProxyType({ActionKind.HIDE: 0, ActionKind.DELETE: 0, ActionKind.MUTE: 1, ActionKind.BLOCK: 1})


@dataclass(frozen=True, slots=True)
class PolicyAction:
    """One step a rule asks for, before it is fitted to a platform and a message."""

    kind: ActionKind | str
    template: str = ""
    channel: str = SAME_CHANNEL
    team: str = ""
    urgency: Urgency = Urgency.ROUTINE
    fallback: "PolicyAction | None" = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: Category
    reason: str
    actions: tuple[PolicyAction, ...]
    min_score: float = 0.0
    priority: int = 0
    platforms: frozenset[Platform] = frozenset()
    channels: frozenset[Channel] = frozenset()
    finding_rules: frozenset[str] = frozenset()  # only when a finding of the category came from one of these checks
    strike: bool = False

    def applies(self, category: Category, findings: tuple[Finding, ...], inbound: Inbound) -> bool:
        matching = [f for f in findings if f.category == category]
        score = max((f.score for f in matching), default=1.0)
        return (
            category == self.category
            and score >= self.min_score
            and (not self.platforms or inbound.platform in self.platforms)
            and (not self.channels or inbound.channel in self.channels)
            and (not self.finding_rules or any(f.rule in self.finding_rules for f in matching))
        )


@dataclass(frozen=True, slots=True)
class LadderStep:
    """At `strikes` strikes or more (this message included), these actions are added."""

    strikes: int
    actions: tuple[PolicyAction, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...]
    ladder: tuple[LadderStep, ...] = ()
    exempt_handles: frozenset[str] = frozenset()
    dry_run: bool = False
    auto_block: bool = False
    review_team: str = "comms"
    by_category: Mapping[Category, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Rules grouped by category, in priority order: decide looks at only the few that can apply."""
        grouped: dict[Category, list[Rule]] = {}
        for rule in self.rules:
            grouped.setdefault(rule.category, []).append(rule)
        object.__setattr__(self, "by_category", MappingProxyType({c: tuple(r) for c, r in grouped.items()}))


@dataclass(frozen=True, slots=True)
class DecideContext:
    """Everything decide may know beyond the message: given by the service, never looked up."""

    now: datetime
    capabilities: Capabilities
    official_ids: frozenset[str] = frozenset()
    official_handles: frozenset[str] = frozenset()
    max_replies_per_hour: int = 3
    topics: tuple[Topic, ...] = field(default_factory=tuple)


# -- loading ----------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, file: Path, teams: Iterable[str], templates: Iterable[str]) -> None:
        self.file, self.teams, self.templates = file, set(teams), set(templates)

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.file, key, problem)

    def action(self, raw: Any, key: str) -> PolicyAction:
        if not isinstance(raw, dict):
            raise self.fail(key, "must be a table like { kind = \"reply\", template = \"complaint\" }")
        known = ("kind", "template", "channel", "team", "urgency", "fallback")
        for name in raw:
            if name not in known:
                raise self.fail(f"{key}.{name}", f"unknown key; known keys: {', '.join(known)}")
        kinds = [k.value for k in ActionKind] + [ROUTE]
        kind_name = raw.get("kind")
        if kind_name not in kinds:
            raise self.fail(f"{key}.kind", f"unknown action {kind_name!r}; known actions: {', '.join(kinds)}")
        kind: ActionKind | str = ROUTE if kind_name == ROUTE else ActionKind(kind_name)
        template = str(raw.get("template", ""))
        if kind is ActionKind.REPLY and not template:
            raise self.fail(f"{key}.template", "a reply needs a template")
        if template and template not in self.templates:
            raise self.fail(f"{key}.template", f"no template {template!r} in responses/; templates: {', '.join(sorted(self.templates))}")
        channel = str(raw.get("channel", SAME_CHANNEL))
        if channel not in (SAME_CHANNEL, *[c.value for c in Channel]):
            raise self.fail(f"{key}.channel", f"must be same, public or private, not {channel!r}")
        team = str(raw.get("team", ""))
        if kind in (ActionKind.ALERT, ActionKind.REVIEW) and not team:
            raise self.fail(f"{key}.team", "an alert or review needs a team")
        if team and team not in self.teams:
            raise self.fail(f"{key}.team", f"unknown team {team!r}; teams in the settings file: {', '.join(sorted(self.teams))}")
        urgency = str(raw.get("urgency", Urgency.ROUTINE.value))
        if urgency not in [u.value for u in Urgency]:
            raise self.fail(f"{key}.urgency", f"must be routine or urgent, not {urgency!r}")
        fallback = self.action(raw["fallback"], f"{key}.fallback") if "fallback" in raw else None
        return PolicyAction(kind, template, channel, team, Urgency(urgency), fallback)

    def actions(self, raw: Any, key: str) -> tuple[PolicyAction, ...]:
        if not isinstance(raw, list):
            raise self.fail(key, "must be a list of actions")
        return tuple(self.action(item, f"{key}[{i}]") for i, item in enumerate(raw))


def load_policy(file: Path, *, teams: Iterable[str], templates: Iterable[str]) -> Policy:
    """Read and check the policy file against the known teams and reply templates."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(file, "(file)", "not found") from None
    except tomllib.TOMLDecodeError as problem:
        raise ConfigError(file, "(syntax)", str(problem)) from None
    reader = _Reader(file, teams, templates)
    known = ("dry_run", "auto_block", "exempt_handles", "review_team", "rules", "ladder")
    for name in data:
        if name not in known:
            raise reader.fail(name, f"unknown key; known keys: {', '.join(known)}")
    auto_block = bool(data.get("auto_block", False))
    review_team = str(data.get("review_team", "comms"))
    if review_team not in reader.teams:
        raise reader.fail("review_team", f"unknown team {review_team!r}")
    rules = []
    for index, raw in enumerate(data.get("rules", [])):
        key = f"rules[{index}]"
        rule_known = ("id", "category", "reason", "actions", "min_score", "priority", "platforms", "channels",
                      "finding_rules", "strike")
        for name in raw:
            if name not in rule_known:
                raise reader.fail(f"{key}.{name}", f"unknown key; known keys: {', '.join(rule_known)}")
        for required in ("id", "category", "reason", "actions"):
            if required not in raw:
                raise reader.fail(f"{key}.{required}", "missing")
        if raw["category"] not in [c.value for c in Category]:
            raise reader.fail(f"{key}.category", f"unknown category {raw['category']!r}; categories: {', '.join(c.value for c in Category)}")
        platforms = raw.get("platforms", [])
        for p in platforms:
            if p not in [x.value for x in Platform]:
                raise reader.fail(f"{key}.platforms", f"unknown platform {p!r}")
        channels = raw.get("channels", [])
        for c in channels:
            if c not in [x.value for x in Channel]:
                raise reader.fail(f"{key}.channels", f"unknown channel {c!r}")
        actions = reader.actions(raw["actions"], f"{key}.actions")
        if not auto_block and any(a.kind is ActionKind.BLOCK for a in actions):
            raise reader.fail(f"{key}.actions", "block needs staff approval: use a review action, or set auto_block = true")
        rules.append(
            Rule(
                id=str(raw["id"]), category=Category(raw["category"]), reason=str(raw["reason"]), actions=actions,
                min_score=float(raw.get("min_score", 0.0)), priority=int(raw.get("priority", 0)),
                platforms=frozenset(Platform(p) for p in platforms), channels=frozenset(Channel(c) for c in channels),
                finding_rules=frozenset(str(r) for r in raw.get("finding_rules", [])),
                strike=bool(raw.get("strike", False)),
            )
        )
    covered = {rule.category for rule in rules}
    for category in Category:
        if category not in covered:
            raise reader.fail("rules", f"no rule for category {category.value!r}: every category needs one")
    ids = [rule.id for rule in rules]
    if len(ids) != len(set(ids)):
        raise reader.fail("rules", "rule ids must be unique")
    ladder = []
    for index, raw in enumerate(data.get("ladder", [])):
        key = f"ladder[{index}]"
        actions = reader.actions(raw.get("actions", []), f"{key}.actions")
        if not auto_block and any(a.kind is ActionKind.BLOCK for a in actions):
            raise reader.fail(f"{key}.actions", "block needs staff approval: use a review action, or set auto_block = true")
        strikes = raw.get("strikes")
        if not isinstance(strikes, int) or strikes < 1:
            raise reader.fail(f"{key}.strikes", "must be a whole number of at least 1")
        ladder.append(LadderStep(strikes, actions, str(raw.get("reason", f"{strikes} strikes"))))
    exempt = data.get("exempt_handles", [])
    return Policy(
        rules=tuple(sorted(rules, key=lambda r: -r.priority)),
        ladder=tuple(sorted(ladder, key=lambda s: s.strikes)),
        exempt_handles=frozenset(h.lower() for h in exempt),
        dry_run=bool(data.get("dry_run", False)),
        auto_block=auto_block,
        review_team=review_team,
    )


# -- deciding ---------------------------------------------------------------------------------------
def _topic_for(text: str, topics: tuple[Topic, ...]) -> Topic | None:
    lowered = text.lower()
    for topic in topics:
        if any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in topic.keywords):
            return topic
    return None


def _unsupported_reason(step: PolicyAction, inbound: Inbound, context: DecideContext, channel: Channel | None) -> str:
    """Why this platform cannot take this step on this message, or '' if it can."""
    caps = context.capabilities
    if not isinstance(step.kind, ActionKind) or step.kind not in PLATFORM_ACTIONS:
        return ""
    if not caps.supports(step.kind):
        return f"{inbound.platform.value} cannot {step.kind.value}"
    if step.kind in (ActionKind.HIDE, ActionKind.UNHIDE) and caps.hide_own_threads_only and not inbound.in_reply_to_own:
        return f"{inbound.platform.value} hides only replies to the account's own posts"
    if (step.kind is ActionKind.REPLY and channel is Channel.PRIVATE and inbound.channel is Channel.PRIVATE
            and caps.private_reply_window is not None and context.now - inbound.created_at > caps.private_reply_window):
        hours = caps.private_reply_window.total_seconds() / 3600
        return f"{inbound.platform.value} allows private replies only within {hours:g} hours of the message"
    return ""


def _fit(step: PolicyAction, rule_id: str, reason: str, inbound: Inbound, context: DecideContext,
         notes: list[str], review_team: str) -> list[Action]:
    """Turn one policy step into concrete actions, falling back where the platform cannot; a
    moderation step with no fallback becomes a task for a person (e.g. block in X's own app)."""
    if step.kind == ROUTE:
        topic = _topic_for(inbound.text, context.topics)
        if topic is None:
            return [Action(ActionKind.REPLY, rule_id, reason, inbound.channel, "ordinary")]
        return [
            Action(ActionKind.REPLY, rule_id, f"routed to {topic.team} ({topic.key})", inbound.channel, "routed_to_team",
                   team=topic.team),
            Action(ActionKind.ALERT, rule_id, f"topic {topic.key}: {reason}", team=topic.team),
        ]
    channel = None
    if step.kind is ActionKind.REPLY:
        channel = inbound.channel if step.channel == SAME_CHANNEL else Channel(step.channel)
    why_not = _unsupported_reason(step, inbound, context, channel)
    if why_not:
        notes.append(why_not)
        if step.fallback is not None:
            return _fit(step.fallback, rule_id, f"{reason} (fallback: {why_not})", inbound, context, notes, review_team)
        if isinstance(step.kind, ActionKind) and step.kind in MODERATION_KINDS:
            return [Action(ActionKind.REVIEW, rule_id, f"{why_not}: a person can {step.kind.value} in the app",
                           team=review_team)]
        return []
    assert isinstance(step.kind, ActionKind)
    return [Action(step.kind, rule_id, reason, channel, step.template, team=step.team, urgency=step.urgency)]


def decide(inbound: Inbound, findings: tuple[Finding, ...], history: AuthorHistory, policy: Policy,
           context: DecideContext) -> Decision:
    """What to do about one message. Pure: the same arguments always give the same decision."""
    author_handle = inbound.author.handle.lower()
    if inbound.author.id in context.official_ids or author_handle in context.official_handles:
        return Decision(inbound.key, Category.ORDINARY, findings, (), "guard.official_account", policy.dry_run)
    if inbound.attachments and not _MENTIONS_AND_LINKS.sub("", inbound.text).strip():
        return _attachment_only(inbound, findings, policy)

    failed = [f for f in findings if f.rule == ENGINE_ERROR_RULE]
    category = primary_category(tuple(f for f in findings if f.rule != ENGINE_ERROR_RULE))
    if failed and category not in DANGER_CATEGORIES:
        danger_unknown = any(f.category in DANGER_CATEGORIES for f in failed)
        review = Action(ActionKind.REVIEW, ENGINE_ERROR_RULE, "a check failed on this message: a person decides",
                        team=policy.review_team, urgency=Urgency.URGENT if danger_unknown else Urgency.ROUTINE)
        return Decision(inbound.key, category, findings, (review,), ENGINE_ERROR_RULE, policy.dry_run)

    rule = next((r for r in policy.by_category.get(category, ()) if r.applies(category, findings, inbound)), None)
    if rule is None:  # below every rule's threshold: treat as ordinary, never as a breach
        category = Category.ORDINARY
        rule = next(r for r in policy.by_category[Category.ORDINARY] if r.applies(Category.ORDINARY, (), inbound))

    steps = list(rule.actions)
    rule_ids = [rule.id]
    if rule.strike:
        strikes = history.strikes + 1
        rung = next((s for s in reversed(policy.ladder) if strikes >= s.strikes), None)
        if rung is not None:
            steps.extend(rung.actions)
            rule_ids.append(f"ladder.{rung.strikes}")

    notes: list[str] = []
    actions: list[Action] = []
    for step in steps:
        actions.extend(_fit(step, rule.id, rule.reason, inbound, context, notes, policy.review_team))

    if author_handle in policy.exempt_handles:
        actions = [a for a in actions if a.kind not in MODERATION_KINDS]
        rule_ids.append("exempt.partner")
    if category not in DANGER_CATEGORIES and history.replies_last_hour >= context.max_replies_per_hour:
        actions = [a for a in actions if a.kind is not ActionKind.REPLY]
        rule_ids.append("limit.replies_per_author")
    actions.sort(key=lambda a: _ACTION_ORDER.get(a.kind, 2))
    unique = list(dict.fromkeys(actions))
    decision = Decision(inbound.key, category, findings, tuple(unique), "+".join(rule_ids), policy.dry_run,
                        strike=rule.strike)
    if notes:
        note = Finding(category, 1.0, "platform.capability", "; ".join(notes))
        decision = replace(decision, findings=(*findings, note))
    return decision



def _attachment_only(inbound: Inbound, findings: tuple[Finding, ...], policy: Policy) -> Decision:
    """A picture, video or sticker with no words: the bot cannot read it (it may show an injury, or
    be abusive), so it says a person will look, and a person does."""
    reason = "a picture, video or sticker with no words: a person looks at it"
    actions = (Action(ActionKind.REPLY, ATTACHMENT_RULE, reason, inbound.channel, "attachment"),
               Action(ActionKind.REVIEW, ATTACHMENT_RULE, reason, team=policy.review_team))
    return Decision(inbound.key, Category.ORDINARY, findings, actions, ATTACHMENT_RULE, policy.dry_run)


def fallback_actions(policy: Policy, refused: Action, inbound: Inbound, context: DecideContext) -> list[Action]:
    """What to do instead when a platform refused an action: the policy's fallback for that step,
    or else hold the message for a person. Pure, like decide."""
    steps = [step for rule in policy.rules if rule.id == refused.rule for step in rule.actions]
    steps += [step for ladder in policy.ladder for step in ladder.actions]
    chained: list[PolicyAction] = []
    for first in steps:  # a fallback may itself be refused: follow the chain
        link: PolicyAction | None = first
        while link is not None:
            chained.append(link)
            link = link.fallback
    for step in chained:
        if step.kind is refused.kind and step.template == refused.template and step.fallback is not None:
            notes: list[str] = []
            return _fit(step.fallback, refused.rule, f"{refused.reason} (fallback: platform refused {refused.kind.value})",
                        inbound, context, notes, policy.review_team)
    if refused.kind is ActionKind.REVIEW:
        return []
    return [Action(ActionKind.REVIEW, refused.rule, f"the platform refused to {refused.kind.value}: a person decides",
                   team=policy.review_team)]
