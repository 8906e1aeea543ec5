"""Decide whom the account follows back and whom it stops following (house rules: "We'll follow
people where we can. But this doesn't mean endorsement.").

The follow policy is three keys of config/policy.toml: `follow` ("off", "partners" or
"followers"), `follow_per_day` (a cap over any 24 hours) and the partner accounts, which are the
policy's existing `exempt_handles`. Everything here is pure, in the decision core's style: the
followers, what the store knows about each of them and the moderation data are arguments; the
service reads the platform and the store, and carries the actions out through the executor.

A follower is followed back only if the policy's mode allows them, they have no strikes, the
account has not blocked or muted them, and the checks that read messages find nothing in their
name or profile text that the official account should be seen following (spam, abuse, threats,
false health claims). Someone the account follows is unfollowed once it blocks or mutes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Mapping

from bot.model import Action, ActionKind, Author, Capabilities, Category, ClassifyContext, Finding, Follower, Platform
from bot.moderation import ModerationData, classify

FOLLOW_RULE = "follow.back"
UNFOLLOW_RULE = "follow.unfollow_restricted"
DEFAULT_PER_DAY = 20
MAX_PER_DAY = 400  # X's own ceiling for follows a day is 400; Instagram limits far lower without saying

# What a profile must not show for the official account to follow it: being seen to follow an
# advert, an abuser or a false health claim would read as endorsing it, whatever the profile says.
# A check that failed on the profile ("engine.error") leaves its category behind, so doubt blocks too.
NOT_FOLLOWED = frozenset({Category.SPAM, Category.ABUSE, Category.THREAT, Category.MISINFORMATION})


class FollowMode(StrEnum):
    OFF = "off"
    PARTNERS = "partners"  # follow back only the partner accounts (exempt_handles)
    FOLLOWERS = "followers"  # follow back anyone who follows the account, unless a reason says not


@dataclass(frozen=True, slots=True)
class FollowPolicy:
    """The follow part of the policy file; `partners` are lower-case handles with their @."""

    mode: FollowMode = FollowMode.OFF
    partners: frozenset[str] = frozenset()
    per_day: int = DEFAULT_PER_DAY


@dataclass(frozen=True, slots=True)
class Standing:
    """What the store knows about one follower, read by the service."""

    strikes: int = 0
    restricted: bool = False  # the account has blocked or muted them
    planned: bool = False  # a follow was planned for them before (done, refused or dry run): never twice


@dataclass(frozen=True, slots=True)
class FollowStep:
    """One follow or unfollow for the executor: whom, and the action to record."""

    author: Author
    action: Action


def is_partner(author: Author, policy: FollowPolicy) -> bool:
    handle = author.handle.lower()
    return (handle if handle.startswith("@") else f"@{handle}") in policy.partners


def profile_findings(follower: Follower, data: ModerationData, now: datetime, platform: Platform) -> tuple[Finding, ...]:
    """The checks' findings on the follower's display name and profile text, each read alone (as a
    greeting's name is), so a name cannot borrow words from the description to look like something."""
    context = ClassifyContext(now=now, platform=platform)
    texts = (follower.author.display_name, follower.description)
    return tuple(finding for text in texts if text.strip() for finding in classify(text, context, data))


def why_not_follow(follower: Follower, standing: Standing, findings: tuple[Finding, ...], policy: FollowPolicy) -> str:
    """Why the account should not follow this follower back, in words for the log; '' to follow."""
    partner = is_partner(follower.author, policy)
    if policy.mode is FollowMode.OFF:
        return "following is off"
    if policy.mode is FollowMode.PARTNERS and not partner:
        return "not a partner account"
    if standing.planned:
        return "followed before"
    if standing.restricted:
        return "blocked or muted by the account"
    if standing.strikes:
        return f"{standing.strikes} strike{'s' if standing.strikes > 1 else ''} for breaking the house rules"
    if not partner:
        unfit = sorted({f.category.value for f in findings if f.category in NOT_FOLLOWED})
        if unfit:
            return f"the profile looks like {' and '.join(unfit)}"
    return ""


def plan_follows(followers: tuple[Follower, ...], standings: Mapping[str, Standing],
                 findings: Mapping[str, tuple[Finding, ...]], policy: FollowPolicy, followed_last_day: int,
                 capabilities: Capabilities) -> tuple[FollowStep, ...]:
    """Follow back whom the policy allows, in the order given (newest follower first), until the
    day's cap: `followed_last_day` follows were planned in the 24 hours before. Pure."""
    if policy.mode is FollowMode.OFF or not capabilities.supports(ActionKind.FOLLOW):
        return ()
    room = max(0, policy.per_day - followed_last_day)
    steps: list[FollowStep] = []
    seen: set[str] = set()
    for follower in followers:
        author = follower.author
        if len(steps) >= room:
            break
        if author.id in seen:
            continue
        seen.add(author.id)
        if why_not_follow(follower, standings.get(author.id, Standing()), findings.get(author.id, ()), policy):
            continue
        whom = "a partner account" if is_partner(author, policy) else "follows us, in good standing"
        steps.append(FollowStep(author, Action(ActionKind.FOLLOW, FOLLOW_RULE, f"{whom}; not an endorsement",
                                               text=author.handle)))
    return tuple(steps)


def plan_unfollows(followed: Mapping[str, str], restricted: frozenset[str],
                   capabilities: Capabilities) -> tuple[FollowStep, ...]:
    """Stop following everyone the account follows (id -> handle) whom it has blocked or muted. Pure."""
    if not capabilities.supports(ActionKind.UNFOLLOW):
        return ()
    return tuple(
        FollowStep(Author(author_id, handle), Action(ActionKind.UNFOLLOW, UNFOLLOW_RULE,
                                                     "the account blocked or muted them", text=handle))
        for author_id, handle in sorted(followed.items()) if author_id in restricted
    )
