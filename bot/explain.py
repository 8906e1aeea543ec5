"""`housebot explain`: why the bot would do what it does with one message, on every platform.

Calls the service's own decision path (`bot.pipeline.handle`) with an empty author history, at
the current time, with the account always monitored, for a message that answers one of the
account's own posts.
"""

from __future__ import annotations

from datetime import datetime

from adapters import ADAPTER_MODULES, adapter_module, reply_limits
from bot.model import Author, AuthorHistory, Channel, DangerTier, Inbound, Platform, Urgency
from bot.pipeline import HandleContext, handle, load_engine
from bot.service import settings_values
from bot.settings import Settings


def explain(settings: Settings, text: str, *, now: datetime, channel: str = "public") -> str:
    values = settings_values(settings)
    engine = load_engine(settings.policy_file, settings.moderation_dir, settings.responses_dir, teams=settings.teams,
                         limits=reply_limits(), values=values, values_file=str(settings.config_file))
    where = Channel(channel)
    lines: list[str] = []
    for name in ADAPTER_MODULES:
        platform = Platform(name)
        inbound = Inbound(platform=platform, account="explain", stream="explain", channel=where, native_id="0",
                          author=Author(id="0", handle="@someone"), text=text, created_at=now, in_reply_to_own=True)
        context = HandleContext(now=now, capabilities=adapter_module(name).CAPABILITIES,
                                max_replies_per_hour=settings.bot.max_replies_per_author_per_hour,
                                topics=settings.topics, values={**values, "account_name": settings.organisation.name},
                                team_names={key: team.name for key, team in settings.teams.items()})
        decision = handle(inbound, AuthorHistory(), context, engine)
        if not lines:  # the findings do not depend on the platform here: show them once
            lines.append(f"category: {decision.category.value}")
            tier = {DangerTier.URGENT: "urgent (signpost now, urgent alert)",
                    DangerTier.SUPPORT: "support (normal reply, a support line and a routine alert)"}.get(decision.danger_tier)
            if tier:
                lines.append(f"danger tier: {tier}")
            shown = [f for f in decision.findings if f.check != "platform.capability"]
            if not shown:
                lines.append("  no check matched: an ordinary message")
            for finding in shown:
                spans = ", ".join(f"{span.label} \"{span.text_in(text)}\"" for span in finding.spans)
                lines.append(f"  {finding.category.value:<15} {finding.score:.2f}  {finding.check}"
                             f"{'  ' + finding.detail if finding.detail else ''}{'  [' + spans + ']' if spans else ''}")
            if engine.policy.dry_run:
                lines.append("dry run is on: nothing would be done on any platform")
        steps = ", ".join(
            f"{a.kind.value}{' (' + a.channel.value + ', ' + a.template + ')' if a.channel else ''}"
            f"{' -> ' + a.team if a.team else ''}{' URGENT' if a.urgency is Urgency.URGENT else ''}"
            for a in decision.actions
        ) or "nothing"
        lines.append(f"{name:<10} rule {decision.rule}: {steps}")
    return "\n".join(lines)
