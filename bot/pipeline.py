"""The one decision path: `handle` turns one inbound message into a complete `Decision`.

classify (findings) -> decide (primary category, danger tier, actions fitted to the platform with
their fallbacks) -> the words of every reply, alert and review. The service, `housebot explain`,
`housebot eval`, the benches, the training script's engine check and the tests all call `handle`;
nothing else wires classify to decide. Pure: no I/O, no clock, no globals. The current time, the
author's history, the account's hours and capabilities and the settings' values are arguments;
what is loaded from files at start-up is the `Engine`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping

from bot.hours import MonitoringHours, current_open_since, describe, is_open
from bot.model import (
    Action,
    ActionKind,
    AuthorHistory,
    Author,
    Capabilities,
    Category,
    Channel,
    ClassifyContext,
    DANGER_CATEGORIES,
    DangerTier,
    Decision,
    Finding,
    Inbound,
    Platform,
    Topic,
    Urgency,
)
from bot.moderation import ENGINE_ERROR_CHECK, ModerationData, classify, load_moderation_data
from bot.policy import SUPPORT_LINE, DecideContext, Policy, decide, load_policy
from bot.replies import (
    NAME_FALLBACK,
    SAMPLE_VALUES,
    TEMPLATE_NAMES,
    Limits,
    ReplyBook,
    clean_user_value,
    limit_for,
    load_replies,
    next_opening_words,
    render,
    reply_length,
)


@dataclass(frozen=True, slots=True)
class Engine:
    """Everything a decision depends on that is read from files once, at start-up."""

    moderation: ModerationData
    policy: Policy
    book: ReplyBook


def load_engine(policy_file: Path, moderation_dir: Path, responses_dir: Path, *, teams: Iterable[str],
                limits: Limits, values: Mapping[str, str] | None = None, values_file: str = "settings") -> Engine:
    """Read and check the policy, the moderation data and the replies; a problem raises ConfigError."""
    return Engine(
        moderation=load_moderation_data(moderation_dir),
        policy=load_policy(policy_file, teams=teams, templates=TEMPLATE_NAMES),
        book=load_replies(responses_dir, limits, values=values, values_file=values_file),
    )


@dataclass(frozen=True, slots=True)
class HandleContext:
    """What `handle` may know beyond the message and the engine: given by the caller, never looked up.

    `hours` None means always monitored (explain, eval, benches). `values` are the reply
    placeholders that come from the settings file and the account (see bot.replies.PLACEHOLDERS);
    the ones that depend on the message or the moment are added by `handle`.
    """

    now: datetime
    capabilities: Capabilities
    hours: MonitoringHours | None = None
    official_ids: frozenset[str] = frozenset()
    official_handles: frozenset[str] = frozenset()
    max_replies_per_hour: int = 3
    topics: tuple[Topic, ...] = ()
    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    team_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    bot_marker: str = ""


def handle(inbound: Inbound, history: AuthorHistory, context: HandleContext, engine: Engine) -> Decision:
    """The complete decision about one message, words included. Pure: same arguments, same decision.

    While the account is closed only danger (either tier) is acted on; anything else comes back
    with `waits_for_opening` and no actions, to be handled again at opening.
    """
    findings = _findings(inbound, history, context, engine.moderation)
    decide_context = DecideContext(
        now=context.now, capabilities=context.capabilities, official_ids=context.official_ids,
        official_handles=context.official_handles, max_replies_per_hour=context.max_replies_per_hour,
        topics=context.topics,
    )
    decision = decide(inbound, findings, history, engine.policy, decide_context)
    open_now = context.hours is None or is_open(context.hours, context.now)
    if not open_now and decision.danger_tier is DangerTier.NONE:
        return replace(decision, actions=(), waits_for_opening=True)
    waited = open_now and _arrived_while_closed(inbound, context)
    return _with_words(inbound, replace(decision, arrived_while_closed=waited), history, context, engine.book,
                       name_to_greet(inbound, engine.moderation))


SLOW_RULE = "engine.slow"


def held_as_slow(decision: Decision, seconds: float, budget_seconds: float, review_team: str) -> Decision:
    """A message whose decision took longer than its budget goes to a person, who sees why.

    Taking that long means something about the message is unusual (classify is linear and reads at
    most MAX_TEXT_CHARS), so the bot does not act alone on what it found: its replies, hides and
    strike are dropped for a review. Danger keeps its actions, with the review beside them:
    signposting someone at risk must not wait for a person. The time is measured by the caller
    (the service, with its injected monotonic clock), so this stays pure."""
    is_danger = decision.danger_tier is not DangerTier.NONE or decision.category in DANGER_CATEGORIES
    reason = f"deciding this message took {seconds:.1f} s (the budget is {budget_seconds:g} s): a person decides"
    review = Action(ActionKind.REVIEW, SLOW_RULE, reason, team=review_team, text=f"{decision.category.value}: {reason}",
                    urgency=Urgency.URGENT if is_danger else Urgency.ROUTINE)
    kept = decision.actions if is_danger else ()
    return replace(decision, actions=(*kept, review), rule=f"{decision.rule}+{SLOW_RULE}",
                   strike=decision.strike and is_danger)


def handle_text(text: str, engine: Engine, context: HandleContext, *, platform: Platform = Platform.SANDBOX,
                channel: Channel = Channel.PUBLIC) -> Decision:
    """`handle` for a text alone, as a comment on the account's own post from an author with no
    history: what `housebot eval`, the benches and the training script's engine check score."""
    inbound = Inbound(platform=platform, account="text", stream="text", channel=channel, native_id="0",
                      author=Author(id="0", handle="@someone"), text=text, created_at=context.now, in_reply_to_own=True)
    return handle(inbound, AuthorHistory(), context, engine)


def text_context(now: datetime, capabilities: Capabilities) -> HandleContext:
    """A context for `handle_text`: always monitored, with the replies' sample placeholder values."""
    return HandleContext(now=now, capabilities=capabilities, values=SAMPLE_VALUES)


def _findings(inbound: Inbound, history: AuthorHistory, context: HandleContext,
              data: ModerationData) -> tuple[Finding, ...]:
    classify_context = ClassifyContext(now=context.now, platform=inbound.platform, channel=inbound.channel,
                                       author_recent_texts=history.recent_texts)
    try:
        return classify(inbound.text, classify_context, data)
    except Exception as problem:  # noqa: BLE001 - classify holds a failing check itself; this is the last guard
        return (Finding(Category.ORDINARY, 0.0, ENGINE_ERROR_CHECK, f"classify failed: {problem!r}"),)


def _arrived_while_closed(inbound: Inbound, context: HandleContext) -> bool:
    if context.hours is None:
        return False
    since = current_open_since(context.hours, context.now)
    return since is not None and inbound.created_at < since


# -- the words --------------------------------------------------------------------------------------
def _claim_link(finding: Finding) -> str:
    """The official page a misinformation finding points to, if its detail names one."""
    return next((word for word in finding.detail.split() if word.startswith("https://")), "")


def reply_values(inbound: Inbound | None, context: HandleContext, team: str = "",
                 claim: Finding | None = None, author_name: str = "") -> dict[str, str]:
    """Every placeholder's value for one reply or notice (see bot.replies.PLACEHOLDERS);
    `author_name` is the name to greet (`name_to_greet`)."""
    values = dict(context.values)
    hours = context.hours
    values.update(
        next_opening=next_opening_words(hours, context.now) if hours is not None else "",
        hours_summary=describe(hours, context.now).splitlines()[0] if hours is not None else "",
        author_name=author_name,
        author_handle=inbound.author.handle.lstrip("@") if inbound else "",
        team_name=context.team_names.get(team, ""),
    )
    claim_link = _claim_link(claim) if claim is not None else ""
    values.update(claim_summary=(claim.detail if claim is not None else "") or "this claim",
                  claim_link=claim_link or values.get("website", ""))
    return values


def reply_reference(inbound: Inbound) -> str:
    """A short code of the message a reply answers: the same on a retry, different for each message,
    so a platform that refuses repeated text (X) never sees two identical replies."""
    digest = hashlib.sha256("/".join(inbound.key).encode("utf-8")).digest()
    return base64.b32encode(digest[:5]).decode("ascii")[:6]


# What a display name must not hold for the official account to repeat it as a greeting.
_NOT_A_NAME = frozenset({Category.ABUSE, Category.THREAT, Category.SPAM, Category.OVERSHARING})


def name_to_greet(inbound: Inbound, data: ModerationData) -> str:
    """The display name (or handle), unless the checks find abuse, a threat, spam or private
    details in it: the official account never repeats "F*** the NHS" or a phone number as a
    greeting. '' lets the reply greet neutrally."""
    name = inbound.author.display_name or inbound.author.handle
    if clean_user_value("author_name", name) == NAME_FALLBACK:
        return ""  # the reply greets neutrally whatever the checks would say: no need to ask them
    context = ClassifyContext(now=inbound.created_at, platform=inbound.platform, channel=inbound.channel)
    findings = classify(name, context, data)  # a check that fails gives a finding of its category
    return "" if any(f.category in _NOT_A_NAME for f in findings) else name


def _with_words(inbound: Inbound, decision: Decision, history: AuthorHistory, context: HandleContext,
                book: ReplyBook, author_name: str) -> Decision:
    """Fill in every reply's text now (fallbacks included), so a retry after a crash sends exactly
    the same words; the support tier's line joins its reply, or follows it when the platform's
    limit leaves no room."""
    claim = next((f for f in decision.findings if f.category is Category.MISINFORMATION), None)
    words = _Words(inbound, decision, history, context, book, claim, author_name)
    actions: list[Action] = []
    for action in decision.actions:
        actions.extend(words.fill(action))
    return replace(decision, actions=tuple(actions))


@dataclass(frozen=True, slots=True)
class _Words:
    inbound: Inbound
    decision: Decision
    history: AuthorHistory
    context: HandleContext
    book: ReplyBook
    claim: Finding | None
    author_name: str

    def fill(self, action: Action) -> list[Action]:
        """The action with its words, and its fallback chain worded too (a reply that carries the
        support line passes it on to a reply that replaces it)."""
        fallback = action.fallback
        if fallback is not None and action.with_support_line and fallback.kind is ActionKind.REPLY:
            fallback = replace(fallback, with_support_line=True)
        worded_fallback = self.fill(fallback)[0] if fallback is not None else None
        if action.kind is ActionKind.REPLY:
            return self._reply(action, worded_fallback)
        text = ""
        if action.kind in (ActionKind.ALERT, ActionKind.REVIEW):
            text = f"{self.decision.category.value}: {action.reason}"
            if self.claim is not None and action.kind is ActionKind.REVIEW:
                suggested = render(self.book, "misinformation", platform=self.inbound.platform,
                                   channel=self.inbound.channel, values=reply_values(self.inbound, self.context, claim=self.claim, author_name=self.author_name),
                                   seed=self._seed).text
                text += f" Suggested reply: {suggested}"
        return [replace(action, text=text or action.text, fallback=worded_fallback)]

    @property
    def _seed(self) -> str:
        return "/".join(self.inbound.key)

    def _render(self, template: str, action: Action, *, marker: str, waited: bool, referenced: bool = True) -> str:
        """One wording; on a platform that refuses repeated text it ends with the message's reference."""
        distinct = referenced and self.context.capabilities.distinct_replies
        return render(self.book, template, platform=self.inbound.platform, channel=action.channel or self.inbound.channel,
                      values=reply_values(self.inbound, self.context, action.team, self.claim, self.author_name), seed=self._seed,
                      avoid_text=self.history.last_reply_text, bot_marker=marker, with_wait_prefix=waited,
                      reference=reply_reference(self.inbound) if distinct else "").text

    def _reply(self, action: Action, fallback: Action | None) -> list[Action]:
        waited = self.decision.arrived_while_closed
        if not action.with_support_line:
            text = self._render(action.template, action, marker=self.context.bot_marker, waited=waited)
            return [replace(action, text=text, fallback=fallback)]
        line = self._render(SUPPORT_LINE, action, marker="", waited=False)
        limit = limit_for(self.book.limits, action.template, self.inbound.platform, action.channel or self.inbound.channel)
        joined = f"{self._render(action.template, action, marker='', waited=waited, referenced=False)} {line}"
        if reply_length(joined, self.inbound.platform) <= limit:
            return [replace(action, text=self._marked(joined, limit), fallback=fallback)]
        body = self._render(action.template, action, marker="", waited=waited)
        person_looks = fallback if fallback is not None and fallback.kind is ActionKind.REVIEW else None
        own_line = replace(action, template=SUPPORT_LINE, with_support_line=False, text=self._marked(line, limit),
                           fallback=person_looks)
        return [replace(action, text=self._marked(body, limit), fallback=fallback), own_line]

    def _marked(self, text: str, limit: int) -> str:
        marker = self.context.bot_marker.strip()
        longer = f"{text} {marker}"
        return longer if marker and reply_length(longer, self.inbound.platform) <= limit else text
