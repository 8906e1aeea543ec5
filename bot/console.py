"""What a person watching `housebot run` sees: each message, the decision and every action.

Lines are short and plain, in the organisation's local time with its zone. Message text is shown
redacted, as the audit log keeps it, because under systemd standard output goes to the journal;
secrets are scrubbed from every line.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, TextIO
from zoneinfo import ZoneInfo

from bot.model import Action, ActionKind, Decision, Inbound

if TYPE_CHECKING:
    from bot.settings import Settings


# Tokens travel in query strings and headers (Graph sends access_token=...); never show them.
_TOKEN_IN_TEXT = re.compile(r"(?i)((?:access_token|token|secret|password|sig)=)[^&\s'\"]+")


def _unchanged(text: str) -> str:
    return text


class SecretScrubber(logging.Filter):
    """Replaces every configured secret (and any token=... in a URL) before a line is shown or logged.

    Given `redact`, it also hides private details (NHS numbers, phones, emails, postcodes): a log
    line may quote a platform's answer, which can hold a whole message.
    """

    def __init__(self, secrets: Iterable[str], redact: Callable[[str], str] = _unchanged) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)
        self.redact = redact

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return self.redact(_TOKEN_IN_TEXT.sub(r"\1***", text))

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the whole record as it will be printed, traceback included (an exception's text
        can quote a URL with its token or a request body)."""
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            text = f"{text}\n{record.exc_text}"
        if record.stack_info:
            text = f"{text}\n{record.stack_info}"
        record.msg, record.args = self.scrub(text), None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def _short(text: str, limit: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Console:
    def __init__(self, out: TextIO, zone: ZoneInfo, scrubber: SecretScrubber | None = None,
                 redact: Callable[[str], str] = _unchanged) -> None:
        self.out = out
        self.zone = zone
        self.scrubber = scrubber or SecretScrubber(())
        self.redact = redact
        self._lock = threading.Lock()

    def _time(self) -> str:
        return datetime.now(timezone.utc).astimezone(self.zone).strftime("%H:%M:%S %Z")

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

    def listening(self, url: str) -> None:
        self._write(f"Health and metrics: {url}/healthz, {url}/readyz, {url}/metrics", "")

    def stopped(self) -> None:
        self._write("housebot stopped cleanly.")

    def decision(self, inbound: Inbound, decision: Decision) -> None:
        where = "private message" if inbound.channel.value == "private" else "public comment"
        evidence = decision.evidence or "none (no check matched)"
        self._write(
            f"{self._time()}  [{inbound.account}] {where} from {inbound.author.handle}: \"{_short(self.redact(inbound.text))}\"",
            f"          decision: {decision.category.value} (rule {decision.rule}){' [dry run]' if decision.dry_run else ''}"
            f"{' [arrived while closed]' if decision.arrived_while_closed else ''}",
            f"          evidence: {_short(self.redact(evidence), 120)}",
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
