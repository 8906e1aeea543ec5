"""One transport per channel kind: email (SMTP), Microsoft Teams, Slack and a generic JSON webhook.

Each lays out the same `AlertContent` its own way and sends it once; the outbox decides about
retries. A failure is a `DeliveryError` that says whether trying again can help (a 500, a 429, a
timeout) or not (a 404, a refused login), and never quotes the URL: a webhook URL is a secret.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Callable, Protocol

import requests

from bot.alerts.config import EmailServer
from bot.alerts.content import AlertContent

MAX_RETRY_AFTER = timedelta(hours=1)


class DeliveryError(Exception):
    """Sending failed. `permanent`: the same send will fail again until someone fixes a setting."""

    def __init__(self, problem: str, *, permanent: bool = False, retry_after: timedelta | None = None) -> None:
        super().__init__(problem)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Letter:
    """One thing to send: the words, how urgent, to whom (email only), and its stable id."""

    content: AlertContent
    urgent: bool
    reference: str  # the same on every try, so a resend after a crash can be recognised
    now: datetime
    recipient: str = ""


class Transport(Protocol):
    kind: str

    def send(self, letter: Letter) -> None: ...


# -- email -----------------------------------------------------------------------------------------
def build_email(letter: Letter, sender: str) -> EmailMessage:
    """A plain-text email; urgent ones are marked important so mail clients put them on top."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = letter.recipient
    message["Subject"] = letter.content.title
    message["Date"] = format_datetime(letter.now)
    message["Message-ID"] = f"<housebot.{letter.reference}@{sender.rsplit('@', 1)[1]}>"  # the same on a resend
    message["Auto-Submitted"] = "auto-generated"
    if letter.urgent:
        message["Importance"] = "high"
        message["X-Priority"] = "1"
    body = [letter.content.title, ""]
    body += [f"{label}: {value}" for label, value in letter.content.facts]
    if letter.content.lines:
        body += ["", *letter.content.lines]
    if letter.content.links:
        body += ["", *(f"{label}: {url}" for label, url in letter.content.links)]
    body += ["", "Sent by housebot. Do not reply to this email."]
    message.set_content("\n".join(body) + "\n")
    return message


class EmailTransport:
    kind = "email"

    def __init__(self, server: EmailServer) -> None:
        self.server = server

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.server.ca_file) if self.server.ca_file else None)

    def _session(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.server.host, self.server.port, timeout=self.server.timeout_seconds)
        smtp.ehlo()
        if self.server.starttls:
            smtp.starttls(context=self._tls())
            smtp.ehlo()
        if self.server.username:
            smtp.login(self.server.username, self.server.password)
        return smtp

    def verify(self) -> None:
        """Connect, start TLS and log in, sending nothing (what `housebot check` does)."""
        self._guarded(lambda smtp: None)

    def send(self, letter: Letter) -> None:
        message = build_email(letter, self.server.sender)
        self._guarded(lambda smtp: smtp.send_message(message))

    def _guarded(self, step: Callable[[smtplib.SMTP], Any]) -> None:
        where = f"SMTP {self.server.host}:{self.server.port}"
        try:
            smtp = self._session()
            try:
                step(smtp)
            finally:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    pass  # the mail was accepted or refused already; a broken goodbye changes nothing
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError(f"{where} refused the login", permanent=True) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError(f"{where} refused the recipient", permanent=True) from None
        except smtplib.SMTPNotSupportedError as problem:
            raise DeliveryError(f"{where}: {problem}", permanent=True) from None
        except smtplib.SMTPResponseException as problem:
            raise DeliveryError(f"{where} answered {problem.smtp_code}", permanent=500 <= problem.smtp_code < 600) from None
        except (OSError, smtplib.SMTPException) as problem:  # refused, timed out, TLS failed, dropped
            raise DeliveryError(f"{where}: {problem.__class__.__name__}") from None


# -- webhooks --------------------------------------------------------------------------------------
def teams_card(letter: Letter) -> dict[str, Any]:
    """A Teams message holding one Adaptive Card (what incoming webhooks and Workflows accept)."""
    content = letter.content
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": content.title, "wrap": True, "weight": "Bolder", "size": "Medium",
         **({"color": "Attention"} if letter.urgent else {})},
        {"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in content.facts]},
    ]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in content.lines]
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body,
            "actions": [{"type": "Action.OpenUrl", "title": label, "url": url} for label, url in content.links]}
    return {"type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                             "content": card}]}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(letter: Letter) -> dict[str, Any]:
    """Slack's incoming-webhook JSON (Mattermost and Rocket.Chat read the same `text`)."""
    content = letter.content
    facts = "\n".join(f"*{_slack_escape(label)}:* {_slack_escape(value)}" for label, value in content.facts)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack_escape(content.title)}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": facts}},
    ]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(line)}} for line in content.lines]
    if content.links:
        links = " | ".join(f"<{url}|{_slack_escape(label)}>" for label, url in content.links)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": links}]})
    return {"text": content.title, "blocks": blocks}


def webhook_event(letter: Letter) -> dict[str, Any]:
    """Plain JSON for on-call tools: every field by name, nothing to parse out of prose."""
    content = letter.content
    return {"source": "housebot", "id": letter.reference, "urgency": "urgent" if letter.urgent else "routine",
            "title": content.title, "facts": dict(content.facts), "lines": list(content.lines),
            "links": dict(content.links), "sent_at": letter.now.isoformat()}


def _retry_after(value: str | None) -> timedelta | None:
    if value is None or not value.strip().isdigit():
        return None
    return min(MAX_RETRY_AFTER, timedelta(seconds=int(value.strip())))


class WebhookTransport:
    """POSTs JSON to one URL; which JSON depends on the kind."""

    LAYOUTS: dict[str, Callable[[Letter], dict[str, Any]]] = {"msteams": teams_card, "slack": slack_message,
                                                              "webhook": webhook_event}

    def __init__(self, kind: str, url: str, timeout_seconds: float) -> None:
        self.kind = kind
        self.url = url
        self.timeout_seconds = timeout_seconds

    def send(self, letter: Letter) -> None:
        try:
            answer = requests.post(self.url, json=self.LAYOUTS[self.kind](letter), timeout=self.timeout_seconds,
                                   allow_redirects=False)
        except requests.Timeout:
            raise DeliveryError(f"{self.kind}: timed out after {self.timeout_seconds:g}s") from None
        except requests.RequestException as problem:
            raise DeliveryError(f"{self.kind}: cannot connect ({problem.__class__.__name__})") from None
        if 200 <= answer.status_code < 300:
            return
        if answer.status_code == 429:
            raise DeliveryError(f"{self.kind}: rate limited (429)", retry_after=_retry_after(answer.headers.get("Retry-After")))
        if answer.status_code >= 500 or answer.status_code == 408:
            raise DeliveryError(f"{self.kind}: answered {answer.status_code}")
        # 400 bad payload, 401/403 revoked, 404 removed webhook: sending again cannot help
        raise DeliveryError(f"{self.kind}: answered {answer.status_code}", permanent=True)
