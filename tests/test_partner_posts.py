"""A partner account's announcement gets no automatic acknowledgement (issue 13, item 12)."""

from __future__ import annotations

from bot.model import AuthorHistory
from bot.policy import Policy, decide
from tests.test_policy import context, inbound, kinds, policy  # noqa: F401 - policy is a fixture

ANNOUNCEMENT = "Flu jab clinics are open at Leeds City Museum this Saturday, 10am to 4pm. All welcome."


def test_a_partner_announcement_is_routed_but_not_answered(policy: Policy) -> None:  # noqa: F811
    decision = decide(inbound(ANNOUNCEMENT, handle="@LeedsCC"), (), AuthorHistory(), policy, context())
    assert kinds(decision) == ["alert>immunisation"]
    assert "exempt.partner" in decision.rule


def test_a_partner_question_is_still_acknowledged(policy: Policy) -> None:  # noqa: F811
    decision = decide(inbound("Can you share our flu jab clinic times?", handle="@LeedsCC"), (), AuthorHistory(),
                      policy, context())
    assert "reply@public>immunisation" in kinds(decision)


def test_the_same_announcement_from_a_member_of_the_public_is_acknowledged(policy: Policy) -> None:  # noqa: F811
    decision = decide(inbound(ANNOUNCEMENT), (), AuthorHistory(), policy, context())
    assert "reply@public>immunisation" in kinds(decision)
