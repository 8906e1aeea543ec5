"""`housebot explain`: why the bot would do what it does with one message, on every platform.

Runs the same classify and decide as the service, with an empty author history, at the current
time, for a message that answers one of the account's own posts.
"""

from __future__ import annotations

from datetime import datetime

from adapters import ADAPTER_MODULES, adapter_module
from bot.model import Author, Channel, ClassifyContext, Inbound, Platform
from bot.moderation import classify, load_moderation_data, primary_category
from bot.policy import DecideContext, decide, load_policy
from bot.replies import TEMPLATE_NAMES
from bot.settings import Settings
from bot.store import AuthorHistory


def explain(settings: Settings, text: str, *, now: datetime, channel: str = "public") -> str:
    policy = load_policy(settings.policy_file, teams=settings.teams, templates=TEMPLATE_NAMES)
    data = load_moderation_data(settings.moderation_dir)
    where = Channel(channel)
    findings = classify(text, ClassifyContext(now=now, channel=where), data)
    lines = [f"category: {primary_category(findings).value}"]
    if not findings:
        lines.append("  no check matched: an ordinary message")
    for finding in findings:
        spans = ", ".join(f"{span.label} \"{span.text_in(text)}\"" for span in finding.spans)
        lines.append(f"  {finding.category.value:<15} {finding.score:.2f}  {finding.rule}"
                     f"{'  ' + finding.detail if finding.detail else ''}{'  [' + spans + ']' if spans else ''}")
    if policy.dry_run:
        lines.append("dry run is on: nothing would be done on any platform")
    for name in ADAPTER_MODULES:
        platform = Platform(name)
        item = Inbound(platform=platform, account="explain", stream="explain", channel=where, native_id="0",
                       author=Author(id="0", handle="@someone"), text=text, created_at=now, in_reply_to_own=True)
        context = DecideContext(now=now, capabilities=adapter_module(name).CAPABILITIES,
                                max_replies_per_hour=settings.bot.max_replies_per_author_per_hour,
                                topics=settings.topics)
        decision = decide(item, findings, AuthorHistory(), policy, context)
        steps = ", ".join(
            f"{a.kind.value}{' (' + a.channel.value + ', ' + a.template + ')' if a.channel else ''}"
            f"{' -> ' + a.team if a.team else ''}{' URGENT' if a.urgency.value == 'urgent' else ''}"
            for a in decision.actions
        ) or "nothing"
        lines.append(f"{name:<10} rule {decision.rule}: {steps}")
    return "\n".join(lines)
