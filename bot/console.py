"""What a person watching `housebot run` sees: each message, the decision and every action.

Lines are short and plain, in the organisation's local time. Message text is shown redacted by
the caller where it could hold private details; secrets never reach this module.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Mapping, TextIO
from zoneinfo import ZoneInfo

from bot.model import Action, ActionKind, Decision, Inbound

if TYPE_CHECKING:
    from bot.settings import Settings



def _short(text: str, limit: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Console:
    def __init__(self, out: TextIO, zone: ZoneInfo) -> None:
        self.out = out
        self.zone = zone
        self._lock = threading.Lock()

    def _time(self) -> str:
        return datetime.now(timezone.utc).astimezone(self.zone).strftime("%H:%M:%S")

    def _write(self, *lines: str) -> None:
        with self._lock:
            for line in lines:
                self.out.write(line + "\n")
            self.out.flush()

    def started(self, settings: "Settings", intervals: Mapping[str, timedelta]) -> None:
        lines = [f"housebot is running for {settings.organisation.name}. Press Ctrl-C to stop."]
        for account in settings.accounts:
            lines.append(f"  {account.name}: {account.handle} on {account.platform.value}, "
                         f"read every {intervals[account.name].total_seconds():g}s while open")
        self._write(*lines, "")

    def stopped(self) -> None:
        self._write("housebot stopped cleanly.")

    def decision(self, item: Inbound, decision: Decision, waited: bool) -> None:
        where = "private message" if item.channel.value == "private" else "public comment"
        evidence = decision.evidence or "no rule matched"
        self._write(
            f"{self._time()}  [{item.account}] {where} from {item.author.handle}: \"{_short(item.text)}\"",
            f"          decision: {decision.category.value} (rule {decision.rule}){' [dry run]' if decision.dry_run else ''}"
            f"{' [arrived while closed]' if waited else ''}",
            f"          evidence: {_short(evidence, 120)}",
        )

    def action(self, action: Action, outcome: str) -> None:
        label = action.kind.value
        if action.kind is ActionKind.REPLY:
            label = f"reply ({action.channel.value if action.channel else ''})"
        detail = f": \"{_short(action.text, 110)}\"" if action.kind is ActionKind.REPLY else ""
        self._write(f"          -> {label} {outcome}{detail}")

    def alert(self, account: str, urgency: str, text: str) -> None:
        mark = "URGENT ALERT" if urgency == "urgent" else "staff alert"
        self._write(f"          !! {mark} [{account}] {_short(text, 140)}")

    def notice(self, account: str, text: str) -> None:
        self._write(f"{self._time()}  [{account}] posted notice: \"{_short(text, 140)}\"")

    def trouble(self, account: str, text: str) -> None:
        self._write(f"{self._time()}  [{account}] {text}")
