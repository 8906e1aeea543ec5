"""Decide: from a message's findings and the policy file to a list of actions.

The policy is data (config/policy.toml), in the spirit of Reddit AutoModerator: named rules with
conditions (category, platform, channel, minimum score), ordered actions, a reason staff read, a
strike ladder, exempt partner accounts, the two danger tiers' thresholds and a global dry-run.
`load_policy` checks it against the fixed vocabularies at start-up; `decide` is a pure function:
no I/O, no clock, no globals. It chooses the primary category, the danger tier and the actions,
each fitted to the platform with its fallback for a refusal at run time; `bot.pipeline.handle`
calls it between classify and the words.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from bot.errors import ConfigError
from bot.follow import DEFAULT_PER_DAY, MAX_PER_DAY, FollowMode, FollowPolicy
from bot.moderation import ENGINE_ERROR_CHECK
from bot.moderation.privacy import only_contacts
from bot.model import (
    CATEGORY_PRIORITY,
    DANGER_CATEGORIES,
    FOLLOW_ACTIONS,
    PLATFORM_ACTIONS,
    Action,
    ActionKind,
    AuthorHistory,
    Capabilities,
    Category,
    Channel,
    DangerTier,
    Decision,
    Finding,
    Inbound,
    Platform,
    Topic,
    Urgency,
)

ROUTE = "route"  # a policy-only step: acknowledge, and alert the team whose topic the message is about
SAME_CHANNEL = "same"
SUPPORT_LINE = "support_line"  # the template of the danger support tier's gentle line
SUPPORT_RULE = "danger.support"
SPAM_MODEL_CHECK = "spam.model"
VERIFICATION_MODEL_CHECK = "verification.model"
MODERATION_KINDS = frozenset({ActionKind.HIDE, ActionKind.DELETE, ActionKind.BLOCK, ActionKind.MUTE})
# What a threat keeps in the danger support tier: it is hidden, its author is not muted or blocked by the bot;
# only one found from `DangerTiers.threat_hidden_from` (policy.toml): a self-harm message the threat
# model half-reads as violence stays in view below it.
THREAT_HIDING = frozenset({ActionKind.HIDE, ActionKind.DELETE})
# The prefixes of danger check names (`in_view_checks`).
DANGER_VALUES = frozenset(category.value for category in DANGER_CATEGORIES)
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
    checks: frozenset[str] = frozenset()  # only when a finding of the category came from one of these checks
    strike: bool = False

    def applies(self, category: Category, findings: tuple[Finding, ...], inbound: Inbound) -> bool:
        matching = [f for f in findings if f.category == category]
        score = max((f.score for f in matching), default=1.0)
        return (
            category == self.category
            and score >= self.min_score
            and (not self.platforms or inbound.platform in self.platforms)
            and (not self.channels or inbound.channel in self.channels)
            and (not self.checks or any(f.check in self.checks for f in matching))
        )


@dataclass(frozen=True, slots=True)
class LadderStep:
    """At `strikes` strikes or more (this message included), these actions are added."""

    strikes: int
    actions: tuple[PolicyAction, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class DangerTiers:
    """The graded danger response: the urgent tier from `urgent`, the support tier from `support`.

    Scores are the danger findings' confidence; signposting someone who is fine costs a line of
    text, missing someone in crisis can cost a life, so the support tier starts low.
    """

    urgent: float = 0.7
    support: float = 0.3
    support_team: str = "safeguarding"
    support_reason: str = "Someone may be going through a hard time: a gentle support line, and a person looks."
    # A threat found from this score stays hidden in the support tier (with the support line and its alert).
    threat_hidden_from: float = 0.9
    # Danger findings that keep a message in view even beside a confident threat: someone telling us a
    # partner or parent threatens them is at risk, not threatening us (`in_view_checks` in [danger]).
    in_view_checks: frozenset[str] = frozenset()

    def tier(self, findings: tuple[Finding, ...]) -> DangerTier:
        top = max((f.score for f in findings if f.category in DANGER_CATEGORIES and f.check != ENGINE_ERROR_CHECK),
                  default=0.0)
        if top >= self.urgent:
            return DangerTier.URGENT
        return DangerTier.SUPPORT if top >= self.support else DangerTier.NONE


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...]
    ladder: tuple[LadderStep, ...] = ()
    exempt_handles: frozenset[str] = frozenset()
    dry_run: bool = False
    auto_block: bool = False
    review_team: str = "comms"
    danger: DangerTiers = DangerTiers()
    follow: FollowPolicy = FollowPolicy()
    by_category: Mapping[Category, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)
    # The spam model's score from which it is sure of an advert: where a rule hides on its word alone.
    sure_advert: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Rules grouped by category, in priority order: decide looks at only the few that can apply; and
        `sure_advert`, so the arbitration (`primary_category`) and the hiding rule read one number."""
        grouped: dict[Category, list[Rule]] = {}
        for rule in self.rules:
            grouped.setdefault(rule.category, []).append(rule)
        object.__setattr__(self, "by_category", MappingProxyType({c: tuple(r) for c, r in grouped.items()}))
        object.__setattr__(self, "sure_advert", min((rule.min_score for rule in self.rules if _hides_on_spam_model(rule)),
                                                    default=math.inf))


def _hides_on_spam_model(rule: Rule) -> bool:
    """Whether the rule hides spam on the spam model's word alone (`spam.model_sure` in policy.toml)."""
    return (rule.category is Category.SPAM and rule.checks == {SPAM_MODEL_CHECK}
            and any(action.kind in MODERATION_KINDS for action in rule.actions))


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
_TYPE_WORDS: Mapping[type, str] = MappingProxyType({
    bool: "true or false (no quotes)", str: "text in quotes", int: "a whole number", float: "a number", list: "a list",
})


class _Reader:
    def __init__(self, file: Path, teams: Iterable[str], templates: Iterable[str]) -> None:
        self.file, self.teams, self.templates = file, set(teams), set(templates)

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.file, key, problem)

    def typed(self, table: Mapping[str, Any], name: str, key: str, kind: type, default: Any) -> Any:
        """`table[name]` if it has the TOML type `kind`, else one line naming the key: a string "no"
        must never turn dry run on, nor "false" allow blocking."""
        value = table.get(name, default)
        accepted = (int, float) if kind is float else kind
        if isinstance(value, bool) is not (kind is bool) or not isinstance(value, accepted):
            raise self.fail(key, f"must be {_TYPE_WORDS[kind]}, not {value!r}")
        return value

    def texts(self, table: Mapping[str, Any], name: str, key: str) -> list[str]:
        value = self.typed(table, name, key, list, [])
        if not all(isinstance(item, str) for item in value):
            raise self.fail(key, f"must be a list of texts, not {value!r}")
        return value

    def action(self, raw: Any, key: str) -> PolicyAction:
        if not isinstance(raw, dict):
            raise self.fail(key, "must be a table like { kind = \"reply\", template = \"complaint\" }")
        known = ("kind", "template", "channel", "team", "urgency", "fallback")
        for name in raw:
            if name not in known:
                raise self.fail(f"{key}.{name}", f"unknown key; known keys: {', '.join(known)}")
        kinds = [k.value for k in ActionKind if k not in FOLLOW_ACTIONS] + [ROUTE]
        kind_name = raw.get("kind")
        if kind_name not in kinds:
            raise self.fail(f"{key}.kind", f"unknown action {kind_name!r}; known actions: {', '.join(kinds)}")
        kind: ActionKind | str = ROUTE if kind_name == ROUTE else ActionKind(kind_name)
        template = self.typed(raw, "template", f"{key}.template", str, "")
        if kind is ActionKind.REPLY and not template:
            raise self.fail(f"{key}.template", "a reply needs a template")
        if template and template not in self.templates:
            raise self.fail(f"{key}.template", f"no template {template!r} in responses/; templates: {', '.join(sorted(self.templates))}")
        channel = self.typed(raw, "channel", f"{key}.channel", str, SAME_CHANNEL)
        if channel not in (SAME_CHANNEL, *[c.value for c in Channel]):
            raise self.fail(f"{key}.channel", f"must be same, public or private, not {channel!r}")
        team = self.typed(raw, "team", f"{key}.team", str, "")
        if kind in (ActionKind.ALERT, ActionKind.REVIEW) and not team:
            raise self.fail(f"{key}.team", "an alert or review needs a team")
        if team and team not in self.teams:
            raise self.fail(f"{key}.team", f"unknown team {team!r}; teams in the settings file: {', '.join(sorted(self.teams))}")
        urgency = self.typed(raw, "urgency", f"{key}.urgency", str, Urgency.ROUTINE.value)
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
    except UnicodeDecodeError:
        raise ConfigError(file, "(file)", "is not UTF-8 text") from None
    reader = _Reader(file, teams, templates)
    known = ("dry_run", "auto_block", "exempt_handles", "review_team", "follow", "follow_per_day", "danger", "rules",
             "ladder")
    for name in data:
        if name not in known:
            raise reader.fail(name, f"unknown key; known keys: {', '.join(known)}")
    auto_block = reader.typed(data, "auto_block", "auto_block", bool, False)
    dry_run = reader.typed(data, "dry_run", "dry_run", bool, False)
    exempt = reader.texts(data, "exempt_handles", "exempt_handles")
    review_team = reader.typed(data, "review_team", "review_team", str, "comms")
    if review_team not in reader.teams:
        raise reader.fail("review_team", f"unknown team {review_team!r}")
    rules = []
    for index, raw in enumerate(reader.typed(data, "rules", "rules", list, [])):
        key = f"rules[{index}]"
        if not isinstance(raw, dict):
            raise reader.fail(key, "must be a [[rules]] table")
        rule_known = ("id", "category", "reason", "actions", "min_score", "priority", "platforms", "channels",
                      "checks", "finding_rules", "strike")
        for name in raw:
            if name not in rule_known:
                raise reader.fail(f"{key}.{name}", f"unknown key; known keys: {', '.join(rule_known)}")
        for required in ("id", "category", "reason", "actions"):
            if required not in raw:
                raise reader.fail(f"{key}.{required}", "missing")
        for name in ("id", "category", "reason"):
            reader.typed(raw, name, f"{key}.{name}", str, "")
        if raw["category"] not in [c.value for c in Category]:
            raise reader.fail(f"{key}.category", f"unknown category {raw['category']!r}; categories: {', '.join(c.value for c in Category)}")
        platforms = reader.texts(raw, "platforms", f"{key}.platforms")
        for p in platforms:
            if p not in [x.value for x in Platform]:
                raise reader.fail(f"{key}.platforms", f"unknown platform {p!r}")
        channels = reader.texts(raw, "channels", f"{key}.channels")
        for c in channels:
            if c not in [x.value for x in Channel]:
                raise reader.fail(f"{key}.channels", f"unknown channel {c!r}")
        actions = reader.actions(raw["actions"], f"{key}.actions")
        if not auto_block and any(a.kind is ActionKind.BLOCK for a in actions):
            raise reader.fail(f"{key}.actions", "block needs staff approval: use a review action, or set auto_block = true")
        rules.append(
            Rule(
                id=raw["id"], category=Category(raw["category"]), reason=raw["reason"], actions=actions,
                min_score=float(reader.typed(raw, "min_score", f"{key}.min_score", float, 0.0)),
                priority=reader.typed(raw, "priority", f"{key}.priority", int, 0),
                platforms=frozenset(Platform(p) for p in platforms), channels=frozenset(Channel(c) for c in channels),
                checks=frozenset(reader.texts(raw, "checks" if "checks" in raw else "finding_rules", f"{key}.checks")),
                strike=reader.typed(raw, "strike", f"{key}.strike", bool, False),
            )
        )
    covered = {rule.category for rule in rules}
    for category in Category:
        if category not in covered:
            raise reader.fail("rules", f"no rule for category {category.value!r}: every category needs one")
    ids = [rule.id for rule in rules]
    if len(ids) != len(set(ids)):
        raise reader.fail("rules", "rule ids must be unique")
    sure = [(index, rule) for index, rule in enumerate(rules) if _hides_on_spam_model(rule)]
    if not sure:
        raise reader.fail("rules", f"no spam rule hides on the spam model alone (checks = [\"{SPAM_MODEL_CHECK}\"], a hide "
                                   "action, min_score): its min_score is where the model is sure of an advert")
    for index, rule in sure:
        if not 0.5 <= rule.min_score <= 1.0:
            raise reader.fail(f"rules[{index}].min_score", f"must be between 0.5 and 1 for a rule that hides on the "
                                                           f"spam model alone, not {rule.min_score}")
    ladder = []
    for index, raw in enumerate(reader.typed(data, "ladder", "ladder", list, [])):
        key = f"ladder[{index}]"
        if not isinstance(raw, dict):
            raise reader.fail(key, "must be a [[ladder]] table")
        actions = reader.actions(raw.get("actions", []), f"{key}.actions")
        if not auto_block and any(a.kind is ActionKind.BLOCK for a in actions):
            raise reader.fail(f"{key}.actions", "block needs staff approval: use a review action, or set auto_block = true")
        strikes = raw.get("strikes")
        if not isinstance(strikes, int) or isinstance(strikes, bool) or strikes < 1:
            raise reader.fail(f"{key}.strikes", "must be a whole number of at least 1")
        ladder.append(LadderStep(strikes, actions, reader.typed(raw, "reason", f"{key}.reason", str, f"{strikes} strikes")))
    return Policy(
        rules=tuple(sorted(rules, key=lambda r: -r.priority)),
        ladder=tuple(sorted(ladder, key=lambda s: s.strikes)),
        exempt_handles=frozenset(h.lower() for h in exempt),
        dry_run=dry_run,
        auto_block=auto_block,
        review_team=review_team,
        danger=_danger_tiers(reader, data.get("danger", {})),
        follow=_follow_policy(reader, data, exempt),
    )


def _follow_policy(reader: _Reader, data: Mapping[str, Any], partners: list[str]) -> FollowPolicy:
    """`follow` (off, partners or followers) and `follow_per_day`; the partners are `exempt_handles`."""
    mode = reader.typed(data, "follow", "follow", str, FollowMode.OFF.value)
    if mode not in [m.value for m in FollowMode]:
        raise reader.fail("follow", f"unknown mode {mode!r}; modes: {', '.join(m.value for m in FollowMode)}")
    if mode == FollowMode.PARTNERS and not partners:
        raise reader.fail("follow", "is \"partners\" but exempt_handles lists no partner accounts")
    per_day = reader.typed(data, "follow_per_day", "follow_per_day", int, DEFAULT_PER_DAY)
    if not 1 <= per_day <= MAX_PER_DAY:
        raise reader.fail("follow_per_day", f"must be a whole number from 1 to {MAX_PER_DAY}, not {per_day!r}")
    handles = frozenset(h.lower() if h.startswith("@") else f"@{h.lower()}" for h in partners)
    return FollowPolicy(FollowMode(mode), handles, per_day)


def _danger_tiers(reader: _Reader, raw: Any) -> DangerTiers:
    """The `[danger]` table: 0 < support <= urgent <= 1, and a known team for the support tier's alert."""
    if not isinstance(raw, dict):
        raise reader.fail("danger", "must be a table like [danger] with urgent_threshold and support_threshold")
    known = ("urgent_threshold", "support_threshold", "support_team", "support_reason", "threat_hidden_from",
             "in_view_checks")
    for name in raw:
        if name not in known:
            raise reader.fail(f"danger.{name}", f"unknown key; known keys: {', '.join(known)}")
    defaults = DangerTiers()
    thresholds = {}
    for name, default in (("urgent_threshold", defaults.urgent), ("support_threshold", defaults.support),
                          ("threat_hidden_from", defaults.threat_hidden_from)):
        value = raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise reader.fail(f"danger.{name}", f"must be a number above 0 and at most 1, not {value!r}")
        thresholds[name] = float(value)
    if thresholds["support_threshold"] > thresholds["urgent_threshold"]:
        raise reader.fail("danger.support_threshold",
                          f"{thresholds['support_threshold']:g} is above urgent_threshold {thresholds['urgent_threshold']:g}")
    team = str(raw.get("support_team", defaults.support_team))
    if team not in reader.teams:
        raise reader.fail("danger.support_team", f"unknown team {team!r}; teams in the settings file: {', '.join(sorted(reader.teams))}")
    if SUPPORT_LINE not in reader.templates:
        raise reader.fail("danger", f"no template {SUPPORT_LINE!r} in responses/ for the support tier")
    in_view = raw.get("in_view_checks", [])
    if not isinstance(in_view, list) or not all(isinstance(check, str) and check.split(".", 1)[0] in DANGER_VALUES for check in in_view):
        raise reader.fail("danger.in_view_checks", f"must be a list of danger check names like \"safeguarding.cue.fear_at_home\", not {in_view!r}")
    return DangerTiers(thresholds["urgent_threshold"], thresholds["support_threshold"], team,
                       str(raw.get("support_reason", defaults.support_reason)),
                       threat_hidden_from=thresholds["threat_hidden_from"], in_view_checks=frozenset(in_view))


# -- deciding ---------------------------------------------------------------------------------------
# The categories that answer or review a message rather than hide it or raise an alarm: among
# them, a model's guess gives way to another check's listed wording (`_explained_by_wording`).
_WORDING_LEADS = (Category.MISINFORMATION, Category.SPAM, Category.COMPLAINT, Category.VERIFICATION)


def _explained_by_wording(guess: Finding, findings: tuple[Finding, ...]) -> bool:
    """Whether a model's guess yields the primary category to another check's listed wording.

    The models learnt public posts that are not about the NHS: "fake" in "a fake NHS page" reads
    like fake news, "someone's using your logo on a page selling tests" like a complaint, the hype
    of an advert like misinformation. Listed wording is what staff wrote down on purpose, so when
    another of these categories found the message by it, that category leads; the model's guess
    stays as evidence for staff. Danger, threats, abuse and over-sharing keep their priority, and so
    does a report of a scam: the scam wording it quotes gives way to it (`_describes_a_scam`).
    """
    return guess.category in _WORDING_LEADS and guess.check.endswith(".model") and any(
        other.category in _WORDING_LEADS and other.category is not guess.category
        and other.check != ENGINE_ERROR_CHECK and not other.check.endswith(".model")
        and not _describes_a_scam(other, findings) and not _scam_worry_not_complaint(other, findings)
        for other in findings
    )


# Spam findings that keep their rank over verification (see `_describes_a_scam`).
_SPAM_KEPT_OVER_VERIFICATION = frozenset({"spam.repetition", "spam.cue.recovery"})


# The verification model's score from which it is sure a message asks about or reports a scam (`_describes_a_scam`).
# Chosen on the training parts of the spam, verification and misinformation files (round 9, models README): from
# 0.8 to 0.85 the same; at 0.9, 3 more scam warnings stay spam.
SURE_REPORT = 0.85


def _surer_sure_report(finding: Finding, findings: tuple[Finding, ...]) -> bool:
    """Whether the verification model stands beside `finding` sure (`SURE_REPORT`) and surer than it."""
    return any(other.check == VERIFICATION_MODEL_CHECK and other.score >= SURE_REPORT and other.score > finding.score
               for other in findings)


def _describes_a_scam(finding: Finding, findings: tuple[Finding, ...]) -> bool:
    """Whether a spam finding gives way to verification.

    Someone asking whether a page, text or caller is really us, or reporting a fake page using our
    name, quotes the scam ("a page with your logo is running a giveaway, DM to claim"): the scam's
    words make the spam check fire, but the author is warning us, not advertising. Hiding them
    silences the warning; the verification reply lists the official accounts. A report is not the
    thing reported: spam gives way to verification's listed wording or cues, and to the verification
    model when it is sure (`SURE_REPORT`) and surer than the spam evidence: it weighed the whole message,
    a report's "someone is using your logo" with the scam it quotes ("your blood test results are ready,
    click to view"), while the scam's own "your account" reads to it as a question only weakly. Repetition
    keeps its rank (the same warning posted over and over is still spam), and so does an offer to recover
    what a fake took ("scammed by an impersonator? DM for recovery"): that is the recovery scam.
    """
    if finding.category is not Category.SPAM or finding.check in _SPAM_KEPT_OVER_VERIFICATION:
        return False
    return _verifies(findings, by_model=False) or _surer_sure_report(finding, findings)


def _report_not_threat(finding: Finding, findings: tuple[Finding, ...]) -> bool:
    """Whether the threat model's guess gives way to a surer report of, or question about, an impersonator.

    "Someone is impersonating your midwife team, asking mums for photos of their babies" or "is this the actual
    hospital, the last one I messaged was a scammer" read as menace to a model that learnt violent posts, but the
    author warns us or asks. Only the model's guess gives way, only to verification's listed wording, a cue or the
    sure verification model (`SURE_REPORT`), and only when that is surer than the guess: a threat found by a cue or
    a pattern, or a model sure of it, keeps its rank. Round 9: on the training parts of the spam, verification and
    threat files, 2 reports read as threats (threat model 0.62 and 0.63) and no threat changed.
    """
    return _guess_gives_way_to_verification(finding, findings, Category.THREAT, verification_model_from=SURE_REPORT)


def _scam_worry_not_complaint(finding: Finding, findings: tuple[Finding, ...]) -> bool:
    """Whether a complaint finding gives way to verification: the complaint model's guess to a surer verification
    finding, listed complaint wording only to the verification model when it is sure (`SURE_REPORT`) and surer.

    "Someone rang my dad saying they were from cardiology, wanting his bank details; that's not one
    of yours surely" reads like a complaint to a model trained on posts to companies, and "a fake profile is
    replying to people's complaints asking for card numbers. Disgusting" holds listed complaint wording, but the
    author warns us or asks whether the caller is us: the verification reply, which lists our official accounts
    and numbers (and alerts staff to report an impersonator), is what they need. Round 10: on the training parts
    of every project file and the public complaints set, the 9 messages with listed complaint wording beside the
    sure verification model were all verification, no complaint.
    """
    if finding.category is Category.COMPLAINT and not finding.check.endswith(".model"):
        return finding.check != ENGINE_ERROR_CHECK and _surer_sure_report(finding, findings)
    return _guess_gives_way_to_verification(finding, findings, Category.COMPLAINT, verification_model_from=0.0)


def _guess_gives_way_to_verification(finding: Finding, findings: tuple[Finding, ...], category: Category,
                                     verification_model_from: float) -> bool:
    """Whether `finding` is a model's guess of `category` and a surer verification finding stands beside it
    (the verification model's own only from `verification_model_from`)."""
    return finding.category is category and finding.check.endswith(".model") and any(
        other.category is Category.VERIFICATION and other.check != ENGINE_ERROR_CHECK and other.score > finding.score
        and (other.check != VERIFICATION_MODEL_CHECK or other.score >= verification_model_from) for other in findings)


def _verifies(findings: tuple[Finding, ...], *, by_model: bool = True) -> bool:
    """Whether verification was found; `by_model=False` counts only listed wording and cues, for spam:
    a scam's "your account" reads like a question to the verification model."""
    return any(other.category is Category.VERIFICATION and other.check != ENGINE_ERROR_CHECK
               and (by_model or not other.check.endswith(".model")) for other in findings)


def _quoted_by_verification(finding: Finding, findings: tuple[Finding, ...]) -> bool:
    """Whether an over-sharing or abuse finding gives way to verification, which is never hidden.

    "Is the WhatsApp number +44 7700 900102 run by your patient team?" holds a phone number, but it
    is the number being asked about, not the author's private detail: hiding the question silences
    someone checking a scam. So an over-sharing finding made only of phone numbers and emails gives
    way, as does the abuse model's guess ("is this scam page with your logo real? scumbags"): its
    public training posts read the anger at a scam as abuse. Listed abuse wording, threats, other
    private details (an NHS number, an address) and danger keep their rank.
    """
    if finding.category is Category.OVERSHARING:
        quoted = only_contacts(finding.spans)
    else:
        quoted = finding.category is Category.ABUSE and finding.check.endswith(".model")
    return quoted and _verifies(findings)


def _advert_not_claim(finding: Finding, findings: tuple[Finding, ...]) -> bool:
    """Whether the misinformation model's guess gives way to spam, found by the spam model too.

    The misinformation model learnt COVID-era news, where "earn", "claim", "government" and "£5,000"
    are news; in an advert ("Earn £1,000 daily with this AI trading bot") they are the pitch. On
    the training parts where both models fired, the message was spam 197 times and a false claim 3.
    """
    return finding.category is Category.MISINFORMATION and finding.check.endswith(".model") and any(
        other.category is Category.SPAM and other.check != ENGINE_ERROR_CHECK for other in findings
    )


# Abuse as sure as a slur or swearing at someone (abuse.py's listed wording scores 0.95): never an advert's pitch.
SURE_ABUSE = 0.95
# Threat cues that read menace into a demand ("act now or your account will be closed").
_VEILED_THREATS = frozenset({"threat.cue.veiled", "threat.cue.veiled_said"})


def _sure_advert(findings: tuple[Finding, ...], sure_advert: float) -> bool:
    """Whether spam was found by listed wording, a scam cue or repetition, or by a model sure of it (`Policy.sure_advert`)."""
    return any(f.category is Category.SPAM and f.check != ENGINE_ERROR_CHECK
               and (not f.check.endswith(".model") or f.score >= sure_advert) for f in findings)


def _explained_by_advert(finding: Finding, findings: tuple[Finding, ...], sure_advert: float) -> bool:
    """Whether another check's finding is an advert's own words, when spam is sure (`_sure_advert`).

    A scam or advert borrows the words other checks read: a weight-loss advert's "melt your belly fat"
    reads as an insult aimed at the reader, a crypto testimonial's "Mr Daniel Price turned my £500 into
    £9k" names someone as a complaint does, a follower seller's "100% real, get verified" is what a
    verification cue reads, and an SMS scam's "act now or your account will be closed" is a veiled
    warning. Beside a sure advert each is explained by it, and spam leads (chosen on the validation
    parts, round 8: models README). What an advert cannot explain keeps its rank: abuse as sure as a slur
    or swearing at someone, any threat but a veiled one (a threat that names a weapon, a harm or a place
    is never an advert's; no veiled threat in the training files came with a sure advert), danger,
    over-sharing (see `bot.moderation._drop_advertised_contacts`), and verification's listed wording or
    report of an impersonator.
    """
    if finding.check == ENGINE_ERROR_CHECK or finding.category in DANGER_CATEGORIES or not _sure_advert(findings, sure_advert):
        return False
    if finding.category is Category.ABUSE:
        return finding.score < SURE_ABUSE
    if finding.category is Category.THREAT:
        return finding.check in _VEILED_THREATS
    if finding.category is Category.VERIFICATION:
        # Only a cue (an account word beside "real", "genuine", "verified"), not listed wording or a report of an
        # impersonator, and only beside the sure model, which weighed the whole message: a warning quotes a scam's
        # listed wording.
        return finding.check.startswith("verification.cue.") and any(
            f.category is Category.SPAM and f.check == SPAM_MODEL_CHECK and f.score >= sure_advert for f in findings)
    return finding.category is Category.COMPLAINT


def _report_not_claim(finding: Finding, findings: tuple[Finding, ...]) -> bool:
    """Whether the misinformation model's guess gives way to verification, the verification model's included.

    A report of a fake page or caller ("someone's set up a website that looks exactly like yours, with a
    'pay here' button") is not a health myth, but the misinformation model, trained on COVID-era fake
    news, reads "fake", "claiming" and "warning" as one. On the validation parts and the verification
    writer's rows where both models fired, the message was verification 14 times and misinformation never.
    """
    return finding.category is Category.MISINFORMATION and finding.check.endswith(".model") and any(
        other.category is Category.VERIFICATION and other.check != ENGINE_ERROR_CHECK for other in findings)


def primary_category(findings: tuple[Finding, ...], sure_advert: float) -> Category:
    """The first category of `bot.model.CATEGORY_PRIORITY` among the findings (danger first).

    The exceptions: among misinformation, spam, complaint and verification, a finding from a model
    alone ranks after one found by listed wording (`_explained_by_wording`); the misinformation
    model's guess ranks after spam (`_advert_not_claim`); and spam, the abuse model's guess and a phone
    number or email posted as over-sharing rank after verification, which reports or asks about a
    scam (`_describes_a_scam`, `_quoted_by_verification`), as do the complaint model's and the threat
    model's guesses when verification is surer, and listed complaint wording beside the sure verification
    model (`_scam_worry_not_complaint`, `_report_not_threat`).
    Before all of these, what a sure advert's own words explain is set aside (`_explained_by_advert`),
    and the misinformation model's guess gives way to verification (`_report_not_claim`). `sure_advert`
    is the policy's (`Policy.sure_advert`).
    """
    findings = tuple(finding for finding in findings if not _explained_by_advert(finding, findings, sure_advert))
    present = {finding.category for finding in findings
               if not _explained_by_wording(finding, findings) and not _advert_not_claim(finding, findings)
               and not _describes_a_scam(finding, findings) and not _quoted_by_verification(finding, findings)
               and not _scam_worry_not_complaint(finding, findings) and not _report_not_claim(finding, findings)
               and not _report_not_threat(finding, findings)}
    return next((category for category in CATEGORY_PRIORITY if category in present), Category.ORDINARY)


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


def _refused(kind: ActionKind, rule_id: str, review_team: str) -> Action | None:
    """What follows a platform step with no fallback of its own when the platform refuses it: a person decides."""
    if kind not in PLATFORM_ACTIONS:
        return None
    return Action(ActionKind.REVIEW, rule_id, f"the platform refused to {kind.value}: a person decides", team=review_team)


def _fit(step: PolicyAction, rule_id: str, reason: str, inbound: Inbound, context: DecideContext,
         notes: list[str], review_team: str) -> list[Action]:
    """Turn one policy step into concrete actions, falling back where the platform cannot; a
    moderation step with no fallback becomes a task for a person (e.g. block in X's own app).
    Each action carries what to do if the platform refuses it at run time, fitted the same way."""
    if step.kind == ROUTE:
        topic = _topic_for(inbound.text, context.topics)
        if topic is None:
            return [Action(ActionKind.REPLY, rule_id, reason, inbound.channel, "ordinary",
                           fallback=_refused(ActionKind.REPLY, rule_id, review_team))]
        return [
            Action(ActionKind.REPLY, rule_id, f"routed to {topic.team} ({topic.key})", inbound.channel, "routed_to_team",
                   team=topic.team, fallback=_refused(ActionKind.REPLY, rule_id, review_team)),
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
    if step.fallback is not None:
        fitted = _fit(step.fallback, rule_id, f"{reason} (fallback: platform refused {step.kind.value})", inbound,
                      context, [], review_team)
        fallback = fitted[0] if fitted else None
    else:
        fallback = _refused(step.kind, rule_id, review_team)
    return [Action(step.kind, rule_id, reason, channel, step.template, team=step.team, urgency=step.urgency,
                   fallback=fallback)]


def _kept_in_view(actions: list[Action], review_team: str, keep: frozenset[ActionKind] = frozenset()) -> list[Action]:
    """A message that may come from someone in danger is never hidden, deleted, muted or blocked
    (but for the steps in `keep`): each such step becomes a routine review, so a person decides
    with the whole message in view."""
    return [
        Action(ActionKind.REVIEW, a.rule, f"{a.reason} (not {a.kind.value}: the author may be in danger; a person decides)",
               team=review_team) if a.kind in MODERATION_KINDS and a.kind not in keep else a
        for a in actions
    ]


def _with_support(actions: list[Action], inbound: Inbound, tiers: DangerTiers, review_team: str,
                  threat: bool = False) -> list[Action]:
    """The support tier: the normal actions, never a hide, the support line with the first reply
    (or as the only reply), and a routine alert so a person looks. A confident `threat` stays
    hidden: the support tier is a moderate reading ("nothing to lose" beside a blade), a threat to
    staff left in public view is not, and the author still gets the support line and a person looks."""
    kept = _kept_in_view(actions, review_team, THREAT_HIDING if threat else frozenset())
    first_reply = next((i for i, a in enumerate(kept) if a.kind is ActionKind.REPLY), None)
    if first_reply is None:
        kept.append(Action(ActionKind.REPLY, SUPPORT_RULE, tiers.support_reason, inbound.channel, SUPPORT_LINE,
                           fallback=_refused(ActionKind.REPLY, SUPPORT_RULE, review_team)))
    else:
        kept[first_reply] = replace(kept[first_reply], with_support_line=True)
    kept.append(Action(ActionKind.ALERT, SUPPORT_RULE, tiers.support_reason, team=tiers.support_team))
    return kept


def _policy_category(findings: tuple[Finding, ...], tier: DangerTier, sure_advert: float) -> Category:
    """The primary category: danger leads only in the urgent tier; in the support tier (and below)
    the message is decided as it would be without its danger findings."""
    considered = tuple(f for f in findings if f.check != ENGINE_ERROR_CHECK
                       and (tier is DangerTier.URGENT or f.category not in DANGER_CATEGORIES))
    return primary_category(considered, sure_advert)


def decide(inbound: Inbound, findings: tuple[Finding, ...], history: AuthorHistory, policy: Policy,
           context: DecideContext) -> Decision:
    """What to do about one message. Pure: the same arguments always give the same decision."""
    author_handle = inbound.author.handle.lower()
    if inbound.author.id in context.official_ids or author_handle in context.official_handles:
        return Decision(inbound.key, Category.ORDINARY, findings, (), "guard.official_account", policy.dry_run)
    if inbound.attachments and not _MENTIONS_AND_LINKS.sub("", inbound.text).strip():
        return _attachment_only(inbound, findings, policy)

    tier = policy.danger.tier(findings)
    failed = [f for f in findings if f.check == ENGINE_ERROR_CHECK]
    category = _policy_category(findings, tier, policy.sure_advert)
    if failed and category not in DANGER_CATEGORIES:
        danger_unknown = any(f.category in DANGER_CATEGORIES for f in failed)
        review = Action(ActionKind.REVIEW, ENGINE_ERROR_CHECK, "a check failed on this message: a person decides",
                        team=policy.review_team, urgency=Urgency.URGENT if danger_unknown else Urgency.ROUTINE)
        actions = [review]
        rule_ids = [ENGINE_ERROR_CHECK]
        if tier is DangerTier.SUPPORT:
            actions = _with_support(actions, inbound, policy.danger, policy.review_team)
            rule_ids.append(SUPPORT_RULE)
        return Decision(inbound.key, category, findings, tuple(actions), "+".join(rule_ids), policy.dry_run,
                        danger_tier=tier)

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
        if category is Category.ORDINARY and "?" not in inbound.text:
            # A partner's announcement is shared news, not a query: "one of our team will get back
            # to you" would be wrong, so the team is told but nothing is said.
            actions = [a for a in actions if a.kind is not ActionKind.REPLY]
        rule_ids.append("exempt.partner")
    if category not in DANGER_CATEGORIES and history.replies_last_hour >= context.max_replies_per_hour:
        actions = [a for a in actions if a.kind is not ActionKind.REPLY]
        rule_ids.append("limit.replies_per_author")
    if tier is DangerTier.URGENT:
        actions = _kept_in_view(actions, policy.review_team)
    elif tier is DangerTier.SUPPORT:  # after the reply limit: it never holds back the support line
        confident_threat = category is Category.THREAT and any(
            f.category is Category.THREAT and f.score >= policy.danger.threat_hidden_from for f in findings) and not any(
            f.category in DANGER_CATEGORIES and f.check in policy.danger.in_view_checks for f in findings)
        actions = _with_support(actions, inbound, policy.danger, policy.review_team, threat=confident_threat)
        rule_ids.append(SUPPORT_RULE)
    actions.sort(key=lambda a: _ACTION_ORDER.get(a.kind, 2))
    unique = list(dict.fromkeys(actions))
    decision = Decision(inbound.key, category, findings, tuple(unique), "+".join(rule_ids), policy.dry_run,
                        strike=rule.strike, danger_tier=tier)
    if notes:
        note = Finding(category, 1.0, "platform.capability", "; ".join(notes))
        decision = replace(decision, findings=(*findings, note))
    return decision



def _attachment_only(inbound: Inbound, findings: tuple[Finding, ...], policy: Policy) -> Decision:
    """A picture, video or sticker with no words: the bot cannot read it (it may show an injury, or
    be abusive), so it says a person will look, and a person does."""
    reason = "a picture, video or sticker with no words: a person looks at it"
    actions = (Action(ActionKind.REPLY, ATTACHMENT_RULE, reason, inbound.channel, "attachment",
                      fallback=_refused(ActionKind.REPLY, ATTACHMENT_RULE, policy.review_team)),
               Action(ActionKind.REVIEW, ATTACHMENT_RULE, reason, team=policy.review_team))
    return Decision(inbound.key, Category.ORDINARY, findings, actions, ATTACHMENT_RULE, policy.dry_run)
