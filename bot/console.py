"""What a person watching `housebot run` sees: each message, the decision and every action.

Lines are short and plain, in the organisation's local time. Message text is shown redacted by
the caller where it could hold private details; secrets never reach this module.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Iterable, Mapping, TextIO
from zoneinfo import ZoneInfo

from bot.model import Action, ActionKind, Decision, Inbound

if TYPE_CHECKING:
    from bot.settings import Settings



# Tokens travel in query strings and headers (Graph sends access_token=...); never show them.
_TOKEN_IN_TEXT = re.compile(r"(?i)((?:access_token|token|secret|password|sig)=)[^&\s'\"]+")


class SecretScrubber(logging.Filter):
    """Replaces every configured secret (and any token=... in a URL) before a line is shown or logged."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _TOKEN_IN_TEXT.sub(r"\1***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = None
        return True


def _short(text: str, limit: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Console:
    def __init__(self, out: TextIO, zone: ZoneInfo, scrubber: SecretScrubber | None = None) -> None:
        self.out = out
        self.zone = zone
        self.scrubber = scrubber or SecretScrubber(())
        self._lock = threading.Lock()

    def _time(self) -> str:
        return datetime.now(timezone.utc).astimezone(self.zone).strftime("%H:%M:%S")

    def _write(self, *lines: str) -> None:
        with self._lock:
            for line in lines:
                self.out.write(self.scrubber.scrub(line) + "\n")
            self.out.flush()

    def started(self, settings: "Settings", intervals: Mapping[str, timedelta]) -> None:
        lines = [f"housebot is running for {settings.organisation.name}. Press Ctrl-C to stop."]
        for account in settings.accounts:
            lines.append(f"  {account.name}: {account.handle} on {account.platform.value}, "
                         f"read every {intervals[account.name].total_seconds():g}s while open")
        self._write(*lines, "")

    def stopped(self) -> None:
        self._write("housebot stopped cleanly.")

    def decision(self, inbound: Inbound, decision: Decision) -> None:
        where = "private message" if inbound.channel.value == "private" else "public comment"
        evidence = decision.evidence or "none (no check matched)"
        self._write(
            f"{self._time()}  [{inbound.account}] {where} from {inbound.author.handle}: \"{_short(inbound.text)}\"",
            f"          decision: {decision.category.value} (rule {decision.rule}){' [dry run]' if decision.dry_run else ''}"
            f"{' [arrived while closed]' if decision.arrived_while_closed else ''}",
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
