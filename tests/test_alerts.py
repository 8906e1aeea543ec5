"""Alerts reach people: a real SMTP server (STARTTLS and login) and a real HTTP server on 127.0.0.1
receive what the outbox sends, while the clock travels by hand."""

from __future__ import annotations

import email
import email.policy
import functools
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from bot.alerts import verify_acknowledge
from bot.alerts.outbox import Alerts
from bot.cli import main
from bot.errors import ConfigError
from bot.model import Action, ActionKind, Author, Channel, Inbound, Platform, Urgency
from bot.moderation import ModerationData, load_moderation_data
from bot.settings import Settings, load_settings
from bot.store import Store
from tests.helpers import ALWAYS_OPEN, LONDON, REPO, Clock, environment, message, sandbox_service, write_settings

SIGNING_KEY = "k" * 40
SMTP_PASSWORD = "smtp-secret-password"
PRIVATE = "Mrs Jane Brown said call 07700 900123 or jane.brown@example.com, NHS number 943 476 5919"
PRIVATE_DETAILS = ("Jane Brown", "07700 900123", "jane.brown@example.com", "943 476 5919", SMTP_PASSWORD)
DANGER = f"I want to end my life tonight. {PRIVATE}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    port: int
    ca_file: Path
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[bytes, bool]] = field(default_factory=list)  # (user, over TLS)


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    """aiosmtpd on 127.0.0.1 that insists on STARTTLS and a login, with a CA made for this test."""
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_tls)
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    box = Mailbox(port=_free_port(), ca_file=ca_file)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        box.logins.append((data.login, session.ssl is not None))
        return AuthResult(success=data.login == b"housebot" and data.password == SMTP_PASSWORD.encode())

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port, tls_context=server_tls,
                            require_starttls=True, authenticator=authenticate, auth_require_tls=True)
    controller.start()
    yield box
    controller.stop()


@dataclass
class Hooks:
    """Teams, Slack and webhook endpoints on one local HTTP server. `answers` scripts the next
    replies as (status, headers, delay in seconds); only a 2xx counts as received."""

    base: str
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    tries: int = 0

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.received if where == path]


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    state = Hooks(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.tries += 1
            status, headers, delay = state.answers.pop(0) if state.answers else (200, {}, 0.0)
            if delay:
                time.sleep(delay)  # slower than the client's timeout: the client has gone
            if status < 300:
                state.received.append((self.path, body))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"1")

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the client that timed out has hung up: expected, not worth a traceback

    server = Server(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def alert_settings(tmp_path: Path, mailbox: Mailbox, hooks: Hooks, extra_env: dict[str, str] | None = None) -> Settings:
    alerts = f"""
[alerts]
console_url = "https://console.example.nhs.uk"
system_team = "comms"
http_timeout_seconds = 0.3

[alerts.email]
host = "127.0.0.1"
port = {mailbox.port}
sender = "housebot@example.nhs.uk"
username = "housebot"
ca_file = "{mailbox.ca_file}"
timeout_seconds = 5

[alerts.teams.safeguarding]
channels = ["email", "msteams"]
escalate_to = "comms"

[alerts.teams.comms]
channels = ["slack", "webhook"]

[alerts.teams.patient_experience]
channels = ["email"]
"""
    return write_settings(tmp_path, ALWAYS_OPEN + alerts, {**alert_secrets(hooks), **(extra_env or {})})


def alert_secrets(hooks: Hooks) -> dict[str, str]:
    return {
        "HOUSEBOT_SMTP_PASSWORD": SMTP_PASSWORD,
        "HOUSEBOT_ALERT_SIGNING_KEY": SIGNING_KEY,
        "HOUSEBOT_ALERT_SAFEGUARDING_MSTEAMS_URL": f"{hooks.base}/teams/safeguarding-token",
        "HOUSEBOT_ALERT_COMMS_SLACK_URL": f"{hooks.base}/slack/comms-token",
        "HOUSEBOT_ALERT_COMMS_WEBHOOK_URL": f"{hooks.base}/webhook/comms-token",
    }


def command_line_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hooks: Hooks) -> None:
    """What `housebot ...` reads: the same settings file and secrets, through the environment."""
    for key, value in {**environment(tmp_path, tmp_path / "housebot.toml"), **alert_secrets(hooks)}.items():
        monkeypatch.setenv(key, value)


def everything_sent(mailbox: Mailbox, hooks: Hooks) -> str:
    return "\n".join([m.as_string() for m in mailbox.messages] + [json.dumps(body) for _, body in hooks.received])


def inbound(native_id: str, text: str, at: datetime) -> Inbound:
    return Inbound(platform=Platform.SANDBOX, account="demo", stream="comments", channel=Channel.PUBLIC,
                   native_id=native_id, author=Author("u1", "@member", "A Member"), text=text, created_at=at)


@functools.cache
def moderation() -> ModerationData:
    return load_moderation_data(REPO / "config" / "moderation")


def outbox(settings: Settings) -> tuple[Alerts, Store]:
    """The alerts room alone on the state file, as a (re)started service holds it."""
    store = Store(settings.state_path)
    return Alerts(settings, store, moderation()), store


def plan(alerts: Alerts, action_id: int, team: str, urgency: Urgency, text: str, at: datetime) -> None:
    action = Action(ActionKind.ALERT, "test.rule", "a test reason", team=team, urgency=urgency)
    alerts.enqueue_action(action_id, alerts.settings.accounts[0], action_id, inbound(str(action_id), text, at), action, at)


# -- urgent, end to end through the service ------------------------------------------------------------
def test_an_urgent_alert_reaches_email_over_starttls_and_login_and_a_teams_card_at_once(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=LONDON))
    service, network, _ = sandbox_service(settings, clock)
    network.post("demo", message("a", DANGER))
    service.tick()

    assert mailbox.logins == [(b"housebot", True)]  # logged in only after STARTTLS
    [mail] = mailbox.messages
    assert mail["To"] == "safeguarding@example.nhs.uk" and mail["From"] == "housebot@example.nhs.uk"
    assert mail["Subject"].startswith("[URGENT] safeguarding on NHS Leeds (sandbox)")
    assert mail["Importance"] == "high"
    body = mail.get_content()
    assert "Time: Wed 25 Nov 2026 03:00 GMT" in body and "Rule: danger.safeguarding" in body
    assert "https://console.example.nhs.uk/messages/1" in body
    assert "[nhs number]" in body and "[phone]" in body and "[email]" in body and "Mrs [name]" in body
    assert "within 15 minutes, it is sent again and goes to the Communications team." in body

    [card] = hooks.bodies("/teams/safeguarding-token")
    adaptive = card["attachments"][0]
    assert adaptive["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert adaptive["content"]["type"] == "AdaptiveCard" and adaptive["content"]["body"][0]["color"] == "Attention"
    facts = {f["title"]: f["value"] for f in adaptive["content"]["body"][1]["facts"]}
    assert facts["Account"] == "NHS Leeds (sandbox) (@NHSLeedsDemo on sandbox)" and facts["Category"] == "safeguarding"
    buttons = {a["title"]: a["url"] for a in adaptive["content"]["actions"]}
    assert buttons["Open in the staff console"] == "https://console.example.nhs.uk/messages/1"

    link = urlsplit(buttons["Acknowledge"])
    query = parse_qs(link.query)
    alert_id = int(link.path.split("/")[2])
    assert verify_acknowledge(SIGNING_KEY, alert_id, query["expires"][0], query["sig"][0], clock.now)
    assert buttons["Acknowledge"] in body
    for detail in PRIVATE_DETAILS:
        assert detail not in everything_sent(mailbox, hooks)

    service.tick()  # nothing is sent twice
    assert len(mailbox.messages) == 1 and len(hooks.received) == 1
    service.close()


def test_unacknowledged_urgent_alerts_repeat_and_escalate_after_15_minutes_until_acknowledged(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=LONDON))
    service, network, _ = sandbox_service(settings, clock)
    network.post("demo", message("a", DANGER))
    service.tick()
    assert len(mailbox.messages) == 1 and hooks.bodies("/slack/comms-token") == []

    clock.advance(minutes=14, seconds=59)
    service.deliver_alerts()
    assert len(mailbox.messages) == 1  # still inside the window

    clock.advance(seconds=1)
    service.deliver_alerts()
    assert mailbox.messages[1]["Subject"].strip() == ("REPEAT 1, not yet acknowledged: [URGENT] safeguarding on "
                                                      "NHS Leeds (sandbox)")
    assert len(hooks.bodies("/teams/safeguarding-token")) == 2
    [slack] = hooks.bodies("/slack/comms-token")  # escalated to the comms team's channels
    assert slack["text"].startswith("REPEAT 1") and slack["blocks"][0]["text"]["type"] == "mrkdwn"
    [event] = hooks.bodies("/webhook/comms-token")
    assert event["urgency"] == "urgent" and event["facts"]["Team"] == "Safeguarding team"

    alert_id = int(urlsplit(event["links"]["Acknowledge"]).path.split("/")[2])
    assert service.store.acknowledge_alert(alert_id, "duty manager", clock.now)
    assert not service.store.acknowledge_alert(alert_id, "someone else", clock.now)
    clock.advance(hours=2)
    service.deliver_alerts()
    assert len(mailbox.messages) == 2 and len(hooks.received) == 4  # acknowledged: no more repeats
    service.close()


def test_the_acknowledge_link_is_refused_when_tampered_with_or_expired() -> None:
    from bot.alerts.content import acknowledge_link

    now = datetime(2026, 11, 25, 3, 0, tzinfo=LONDON)
    query = parse_qs(urlsplit(acknowledge_link("https://c.example", SIGNING_KEY, 7, now)).query)
    expires, sig = query["expires"][0], query["sig"][0]
    assert verify_acknowledge(SIGNING_KEY, 7, expires, sig, now)
    assert not verify_acknowledge(SIGNING_KEY, 8, expires, sig, now)  # another alert's link
    assert not verify_acknowledge(SIGNING_KEY, 7, str(int(expires) + 1), sig, now)  # lifetime stretched
    assert not verify_acknowledge("x" * 40, 7, expires, sig, now)
    assert not verify_acknowledge(SIGNING_KEY, 7, expires, sig, now + timedelta(days=8))
    assert not verify_acknowledge(SIGNING_KEY, 7, "soon", sig, now)


# -- routine: digests ------------------------------------------------------------------------------------
def test_routine_alerts_wait_for_the_09_00_digest_grouped_by_account_and_category(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    alerts, store = outbox(settings)
    tuesday_evening = datetime(2026, 11, 24, 18, 0, tzinfo=LONDON)
    plan(alerts, 1, "patient_experience", Urgency.ROUTINE, "My appointment was cancelled again", tuesday_evening)
    plan(alerts, 2, "patient_experience", Urgency.ROUTINE, f"Still waiting. {PRIVATE}", tuesday_evening + timedelta(hours=1))
    alerts.deliver(tuesday_evening + timedelta(hours=2))
    alerts.deliver(datetime(2026, 11, 25, 8, 59, tzinfo=LONDON))
    assert mailbox.messages == []

    alerts.deliver(datetime(2026, 11, 25, 9, 0, tzinfo=LONDON))
    alerts.deliver(datetime(2026, 11, 25, 9, 30, tzinfo=LONDON))
    [digest] = mailbox.messages
    assert digest["Subject"] == "[Digest] 2 routine alerts for the Patient Experience team"
    body = digest.get_content()
    assert "Digest of: Wed 25 Nov 2026 09:00 GMT" in body
    assert ("NHS Leeds (sandbox) (@NHSLeedsDemo on sandbox), unknown: 2 waiting; oldest Tue 24 Nov 2026 18:00 GMT: "
            "\"My appointment was cancelled again\" https://console.example.nhs.uk/messages/1") in body
    for detail in PRIVATE_DETAILS:
        assert detail not in everything_sent(mailbox, hooks)

    plan(alerts, 3, "patient_experience", Urgency.ROUTINE, "Another one", datetime(2026, 11, 25, 10, 0, tzinfo=LONDON))
    alerts.deliver(datetime(2026, 11, 25, 14, 0, tzinfo=LONDON))
    assert mailbox.messages[1]["Subject"] == "[Digest] 1 routine alert for the Patient Experience team"
    store.close()


def test_no_digest_on_a_bank_holiday_weekend_then_one_with_everything_on_tuesday(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    alerts, store = outbox(settings)
    friday = datetime(2026, 8, 28, 15, 0, tzinfo=LONDON)  # Monday 31 August 2026 is the summer bank holiday
    plan(alerts, 1, "patient_experience", Urgency.ROUTINE, "A complaint on Friday", friday)
    for day in (29, 30, 31):
        for clock_time in ((9, 0), (14, 0), (20, 0)):
            alerts.deliver(datetime(2026, 8, day, *clock_time, tzinfo=LONDON))
    assert mailbox.messages == []
    alerts.deliver(datetime(2026, 9, 1, 9, 0, tzinfo=LONDON))
    [digest] = mailbox.messages
    assert "Digest of: Tue 01 Sep 2026 09:00 BST" in digest.get_content()
    store.close()


def test_digests_keep_to_local_time_across_the_autumn_clock_change(tmp_path: Path, mailbox: Mailbox, hooks: Hooks) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    alerts, store = outbox(settings)
    plan(alerts, 1, "patient_experience", Urgency.ROUTINE, "Before the change", datetime(2026, 10, 23, 16, 0, tzinfo=LONDON))
    monday = datetime(2026, 10, 26, 8, 30, tzinfo=LONDON)  # clocks went back on Sunday 25th: 08:30 GMT
    alerts.deliver(monday.replace(hour=8, minute=59))
    assert mailbox.messages == []
    alerts.deliver(monday.replace(hour=9, minute=0))
    assert "Digest of: Mon 26 Oct 2026 09:00 GMT" in mailbox.messages[0].get_content()
    store.close()


# -- reliability: retries, crashes, failing channels -----------------------------------------------------
@pytest.mark.parametrize("trouble, first_wait", [
    ((500, {}, 0.0), timedelta(seconds=30)),
    ((429, {"Retry-After": "120"}, 0.0), timedelta(seconds=120)),
    ((200, {}, 1.0), timedelta(seconds=30)),  # answers after the client's 0.3 s timeout
], ids=["server-error", "rate-limited-with-retry-after", "timeout"])
def test_a_webhook_that_fails_once_is_retried_after_its_back_off_and_delivered_once(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks, trouble: tuple[int, dict[str, str], float],
        first_wait: timedelta) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    alerts, store = outbox(settings)
    now = datetime(2026, 11, 25, 3, 0, tzinfo=LONDON)
    status, headers, delay = trouble
    hooks.answers.append((503 if delay else status, headers, delay))
    plan(alerts, 1, "safeguarding", Urgency.URGENT, "I want to end my life", now)
    alerts.deliver(now)
    assert len(mailbox.messages) == 1 and hooks.received == []
    alerts.deliver(now + first_wait - timedelta(seconds=1))
    assert hooks.tries == 1  # waits for its back-off (or the Retry-After)
    alerts.deliver(now + first_wait)
    alerts.deliver(now + first_wait + timedelta(minutes=1))
    assert len(hooks.bodies("/teams/safeguarding-token")) == 1 and hooks.tries == 2
    assert len(mailbox.messages) == 1
    store.close()


class Crash(BaseException):
    """The process dies: nothing after this point runs."""


def crash_after_sending(alerts: Alerts) -> None:
    """Make every send reach its channel, then kill the process before the outbox records it."""
    real = alerts.transport

    class Dying:
        def __init__(self, transport: Any) -> None:
            self.transport = transport

        def send(self, letter: Any) -> None:
            self.transport.send(letter)
            raise Crash

    alerts.transport = lambda team, channel: Dying(real(team, channel))  # type: ignore[method-assign]


def test_a_crash_before_sending_loses_nothing_and_sends_once(tmp_path: Path, mailbox: Mailbox, hooks: Hooks) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    alerts, store = outbox(settings)
    now = datetime(2026, 11, 25, 3, 0, tzinfo=LONDON)
    plan(alerts, 1, "safeguarding", Urgency.URGENT, "I want to end my life", now)
    store.close()  # the process stops after planning, before the delivery step

    restarted, store = outbox(settings)
    plan(restarted, 1, "safeguarding", Urgency.URGENT, "I want to end my life", now)  # the action is retried
    restarted.deliver(now)
    restarted.deliver(now + timedelta(minutes=1))
    assert len(mailbox.messages) == 1 and len(hooks.received) == 1
    store.close()


def test_a_crash_between_sending_and_recording_resends_urgent_alerts_with_the_same_id_but_not_digests(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    alerts, store = outbox(settings)
    now = datetime(2026, 11, 25, 8, 50, tzinfo=LONDON)
    plan(alerts, 1, "safeguarding", Urgency.URGENT, "I want to end my life", now)
    plan(alerts, 2, "patient_experience", Urgency.ROUTINE, "My appointment was cancelled", now)
    crash_after_sending(alerts)
    with pytest.raises(Crash):
        alerts.deliver(now)  # the email went; the process died before recording it
    store.close()

    restarted, store = outbox(settings)
    restarted.deliver(now + timedelta(minutes=1))
    urgent = [m for m in mailbox.messages if m["To"] == "safeguarding@example.nhs.uk"]
    assert len(urgent) == 2 and urgent[0]["Message-ID"] == urgent[1]["Message-ID"]  # at least once, recognisably
    assert len(hooks.bodies("/teams/safeguarding-token")) == 1

    crash_after_sending(restarted)
    with pytest.raises(Crash):
        restarted.deliver(now + timedelta(minutes=10))  # 09:00: the digest went, then the crash
    store.close()
    again, store = outbox(settings)
    again.deliver(now + timedelta(minutes=20))
    digests = [m for m in mailbox.messages if m["To"] == "pals@example.nhs.uk"]
    assert len(digests) == 1  # routine: never twice
    [status] = store.read("SELECT d.status FROM alert_deliveries d JOIN alerts a ON a.id=d.alert_id WHERE a.kind='digest'")
    assert status["status"] == "unconfirmed"
    store.close()


def test_a_channel_that_keeps_failing_is_reported_on_the_others_and_by_housebot_check(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    alerts, store = outbox(settings)
    now = datetime(2026, 11, 25, 3, 0, tzinfo=LONDON)
    hooks.answers.append((404, {}, 0.0))  # the Teams webhook was removed: trying again cannot help
    plan(alerts, 1, "safeguarding", Urgency.URGENT, "I want to end my life", now)
    alerts.deliver(now)
    alerts.deliver(now + timedelta(minutes=10))  # inside the acknowledgement window: no repeat yet
    assert hooks.tries == 3  # the 404, then the notice to comms' slack and webhook; the Teams post is not retried
    reported = [m for m in mailbox.messages if m["Subject"].startswith("[Alert channel failing]")]
    assert len(reported) == 1 and reported[0]["To"] == "safeguarding@example.nhs.uk"
    assert "msteams: answered 404" in reported[0].get_content()
    [slack] = hooks.bodies("/slack/comms-token")
    assert slack["text"] == "[Alert channel failing] msteams for the Safeguarding team"
    [problem] = alerts.channel_problems()
    assert (problem.team, problem.channel, problem.error) == ("safeguarding", "msteams", "msteams: answered 404")
    store.close()

    command_line_environment(monkeypatch, tmp_path, hooks)
    assert main(["--env", str(tmp_path / ".env"), "check"]) != 0
    printed = capsys.readouterr().out
    assert "alerts: safeguarding msteams is failing (1 in a row" in printed
    assert "alerts: email server 127.0.0.1:" in printed and "login checked, nothing sent" in printed


def test_three_failures_in_a_row_report_a_channel_once_and_a_success_clears_it(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks, caplog: pytest.LogCaptureFixture) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    alerts, store = outbox(settings)
    now = datetime(2026, 11, 25, 3, 0, tzinfo=LONDON)
    plan(alerts, 1, "comms", Urgency.URGENT, "A threat against the ward", now)
    hooks.answers += [(200, {}, 0.0)] + [(500, {}, 0.0)] * 3  # Slack takes it; the on-call webhook is down
    for seconds in (0, 30, 90):  # the back-off: 30 s, then 60 s
        alerts.deliver(now + timedelta(seconds=seconds))
    [_, notice] = hooks.bodies("/slack/comms-token")
    assert notice["text"] == "[Alert channel failing] webhook for the Communications team"
    assert "webhook: answered 500" in json.dumps(notice)
    alerts.deliver(now + timedelta(seconds=210))
    assert len(hooks.bodies("/webhook/comms-token")) == 1 and alerts.channel_problems() == []
    assert len(hooks.bodies("/slack/comms-token")) == 2  # the alert, the one notice
    assert "comms-token" not in caplog.text and SMTP_PASSWORD not in caplog.text  # URLs are secrets
    store.close()


def test_an_urgent_alert_for_a_team_without_channels_goes_to_the_system_team(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks) -> None:
    settings = alert_settings(tmp_path, mailbox, hooks)
    alerts, store = outbox(settings)
    now = datetime(2026, 11, 25, 3, 0, tzinfo=LONDON)
    plan(alerts, 1, "security", Urgency.URGENT, "I will hurt the staff at reception", now)
    alerts.deliver(now)
    [slack] = hooks.bodies("/slack/comms-token")
    assert slack["text"] == "[URGENT] unknown on NHS Leeds (sandbox)" and "Security team" in json.dumps(slack)
    store.close()


def test_housebot_test_alert_sends_through_every_channel_of_a_team(
        tmp_path: Path, mailbox: Mailbox, hooks: Hooks, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    alert_settings(tmp_path, mailbox, hooks)
    command_line_environment(monkeypatch, tmp_path, hooks)
    assert main(["--env", str(tmp_path / ".env"), "test-alert", "safeguarding"]) == 0
    assert capsys.readouterr().out.splitlines() == ["safeguarding email: sent", "safeguarding msteams: sent"]
    assert mailbox.messages[0]["Subject"] == "[Test] housebot alerts reach the Safeguarding team"
    assert len(hooks.bodies("/teams/safeguarding-token")) == 1
    assert main(["--env", str(tmp_path / ".env"), "test-alert", "nobody"]) == 2
    assert main(["--env", str(tmp_path / ".env"), "check", "--test-alerts"]) == 0
    printed = capsys.readouterr().out
    assert "alerts: test alert to comms slack: sent" in printed and "alerts: test alert to safeguarding email: sent" in printed
    assert len(mailbox.messages) == 3 and len(hooks.bodies("/webhook/comms-token")) == 1


# -- settings --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("change, key", [
    ({"HOUSEBOT_ALERT_COMMS_SLACK_URL": ""}, "HOUSEBOT_ALERT_COMMS_SLACK_URL"),
    ({"HOUSEBOT_ALERT_COMMS_WEBHOOK_URL": "http://hooks.example.com/x"}, "HOUSEBOT_ALERT_COMMS_WEBHOOK_URL"),
    ({"HOUSEBOT_SMTP_PASSWORD": ""}, "HOUSEBOT_SMTP_PASSWORD"),
    ({"HOUSEBOT_ALERT_SIGNING_KEY": "short"}, "HOUSEBOT_ALERT_SIGNING_KEY"),
], ids=["missing-webhook-url", "plain-http-off-this-machine", "missing-smtp-password", "short-signing-key"])
def test_missing_or_bad_alert_secrets_name_the_env_key(tmp_path: Path, mailbox: Mailbox, hooks: Hooks,
                                                       change: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as problem:
        alert_settings(tmp_path, mailbox, hooks, change)
    assert problem.value.key == key and problem.value.file.endswith(".env")


@pytest.mark.parametrize("replace, key", [
    (('channels = ["slack", "webhook"]', 'channels = ["pager"]'), "alerts.teams.comms.channels"),
    (('escalate_to = "comms"', 'escalate_to = "nobody"'), "alerts.teams.safeguarding.escalate_to"),
    (('system_team = "comms"', 'system_team = "ops"'), "alerts.system_team"),
    (('host = "127.0.0.1"', 'host = "smtp.example.com"\nstarttls = false'), "alerts.email.starttls"),
], ids=["unknown-channel", "unknown-escalation", "unknown-system-team", "no-tls-off-this-machine"])
def test_bad_alert_settings_name_the_file_and_key(tmp_path: Path, mailbox: Mailbox, hooks: Hooks,
                                                  replace: tuple[str, str], key: str) -> None:
    alert_settings(tmp_path, mailbox, hooks)
    config = tmp_path / "housebot.toml"
    config.write_text(config.read_text().replace(*replace))
    with pytest.raises(ConfigError) as problem:
        load_settings({**environment(tmp_path, config), **alert_secrets(hooks)}, tmp_path / ".env")
    assert problem.value.key == key and problem.value.file == str(config)


def test_without_an_alerts_table_alerts_are_printed_and_logged_as_before(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=LONDON))
    service, network, out = sandbox_service(settings, clock)
    network.post("demo", message("a", DANGER))
    service.tick()
    assert "URGENT ALERT [demo] safeguarding" in out.getvalue()
    assert service.store.read("SELECT * FROM alerts") == []
    service.close()
