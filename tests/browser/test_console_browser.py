"""The staff console in a real browser (Playwright driving Chromium) over the sandbox bot.

The bot runs in this process on the sandbox with a clock the test moves; the console is served by
uvicorn on 127.0.0.1 exactly as `housebot run --console` serves it. Screenshots of every page go
to tests/artifacts/ (git-ignored) for people to look at.

Without a Chromium these tests are skipped with one line, except under CI=true, where a missing
browser fails the run: CI must never pass without having run them (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from adapters.sandbox import SandboxNetwork
from bot.alerts.content import acknowledge_link
from bot.pipeline import Engine
from bot.service import Service
from bot.web.config import ConsoleSettings
from bot.web.server import ConsoleServer, live_accounts
from bot.web.users import Role, add_user
from tests.helpers import ALWAYS_OPEN, Clock, message, sandbox_service, write_settings
from tests.web.conftest import CONSOLE, PASSWORD, SIGNING_KEY, engine  # noqa: F401  (the shared engine fixture)


def _chromium() -> str | None:
    """HOUSEBOT_CHROMIUM if set (only it), else Debian's chromium."""
    if "HOUSEBOT_CHROMIUM" in os.environ:
        given = os.environ["HOUSEBOT_CHROMIUM"]
        return given if given and Path(given).exists() else None
    return next((c for c in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(c).exists()),
                shutil.which("chromium"))


CHROMIUM = _chromium()
if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no Chromium was found: the browser tests must run in CI (.ci/run installs "
                    "Debian's chromium)", pytrace=False)
    pytest.skip("browser tests skipped: no Chromium found (apt-get install chromium, or set HOUSEBOT_CHROMIUM)",
                allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402  (only with a browser)

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HOSTILE_NAME = "<img src=x onerror=\"window.pwned='name'\">"
HOSTILE_TEXT = "<script>window.pwned='text'</script> you useless idiots"


@dataclass
class Bot:
    service: Service
    network: SandboxNetwork
    clock: Clock
    url: str
    server: ConsoleServer

    def say(self, native_id: str, text: str, **fields: str) -> None:
        """Someone writes on the sandbox and the bot handles it (and carries out staff actions)."""
        self.clock.advance(seconds=61)
        self.network.post("demo", message(native_id, text, **fields), created_at=self.clock.now)
        self.service.tick()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def bot(tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bot]:  # noqa: F811
    monkeypatch.setattr("bot.service.load_engine", lambda *args, **kwargs: engine)
    settings = write_settings(tmp_path, ALWAYS_OPEN + CONSOLE, {"HOUSEBOT_CONSOLE_SECRET": "s" * 40,
                                                                "HOUSEBOT_ALERT_SIGNING_KEY": SIGNING_KEY})
    settings = replace(settings, console=replace(settings.console or ConsoleSettings(), port=_free_port()))
    clock = Clock(datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc))
    service, network, _ = sandbox_service(settings, clock)
    server = ConsoleServer(settings, engine, clock, live_accounts(service, clock))
    for name, role in (("vera", Role.VIEWER), ("mo", Role.MODERATOR), ("ada", Role.ADMIN)):
        add_user(server.store, name, role, PASSWORD, clock.now)
    server.start()
    yield Bot(service, network, clock, server.config.url, server)
    server.stop()
    service.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


def _signed_in(browser: Browser, bot: Bot, name: str) -> Page:
    page = browser.new_context(base_url=bot.url, viewport={"width": 1280, "height": 900}).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/inbox")
    expect(page).to_have_url(f"{bot.url}/login?next=%2Finbox")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    page.dialogs = dialogs  # type: ignore[attr-defined]
    return page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_inbox_fills_as_the_sandbox_talks_and_hostile_text_never_runs(browser: Browser, bot: Bot) -> None:
    login = browser.new_page(base_url=bot.url)
    login.goto("/login")
    _shot(login, "login")
    login.close()
    page = _signed_in(browser, bot, "mo")
    expect(page.get_by_text("No messages match.")).to_be_visible()
    bot.say("m1", "Is the walk-in centre open on Saturday mornings?", handle="@sarah_leeds")
    expect(page.get_by_role("link", name="Is the walk-in centre open")).to_be_visible(timeout=10_000)  # htmx polling
    bot.say("m2", HOSTILE_TEXT, handle="@troll", name=HOSTILE_NAME)
    bot.say("m3", "I don't see the point in carrying on anymore. I've been stockpiling my tablets",
            handle="@quietone22", stream="direct_messages")
    page.reload()
    expect(page.get_by_text(HOSTILE_NAME)).to_be_visible()  # shown as text, not run
    expect(page.get_by_role("heading", name="Urgent: pinned")).to_be_visible()
    _shot(page, "inbox")
    page.get_by_role("link", name="<script>window.pwned").click()
    expect(page.get_by_role("heading", name="Message from @troll")).to_be_visible()
    expect(page.locator("mark", has_text="idiots").first).to_be_visible()
    _shot(page, "message")
    assert page.evaluate("window.pwned") is None
    assert page.dialogs == []  # type: ignore[attr-defined]
    for path, heading, name in (("/queue", "Review queue", "queue"), ("/undo", "Undo and appeals", "undo"),
                                ("/alerts", "Alerts", "alerts"), ("/accounts", "Accounts", "accounts"),
                                ("/reports", "Reports", "reports")):
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        _shot(page, name)
        assert page.evaluate("window.pwned") is None


def test_a_viewer_reads_but_has_no_buttons_and_a_forged_post_is_refused(browser: Browser, bot: Bot) -> None:
    bot.say("d1", "I don't see the point in carrying on anymore. I've been stockpiling my tablets",
            handle="@quietone22", stream="direct_messages")
    page = _signed_in(browser, bot, "vera")
    page.goto("/alerts")
    expect(page.get_by_text("[URGENT] safeguarding")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge alert")).to_have_count(0)
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    refused = page.request.post(f"{bot.url}/alerts/1/ack", form={"csrf_token": token or ""})
    assert refused.status == 403
    page.goto("/users")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    # The email's acknowledge link: no sign-in, a page that asks first, then the alert stops repeating.
    stranger = browser.new_page(base_url=bot.url)
    stranger.goto(acknowledge_link(bot.url, SIGNING_KEY, 1, bot.clock.now))
    expect(stranger.get_by_role("heading", name="Acknowledge alert 1")).to_be_visible()
    stranger.get_by_label("Your name").fill("Sam (on call)")
    _shot(stranger, "acknowledge-link")
    stranger.get_by_role("button", name="Acknowledge").click()
    expect(stranger.get_by_role("heading", name="Alert 1 acknowledged")).to_be_visible()
    _shot(stranger, "acknowledged")
    page.goto("/alerts?all=1")
    expect(page.get_by_text("by email link (Sam (on call))")).to_be_visible()


def test_an_admin_manages_staff_and_a_mobile_screen_reads_the_inbox(browser: Browser, bot: Bot) -> None:
    bot.say("m1", "Is the walk-in centre open on Saturday mornings?", handle="@sarah_leeds")
    page = _signed_in(browser, bot, "ada")
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_label("Name", exact=True).fill("new.starter")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_label("Password (at least 12 characters)").fill(PASSWORD)
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("new.starter can now sign in as a viewer.")).to_be_visible()
    _shot(page, "users")
    phone = browser.new_context(base_url=bot.url, viewport={"width": 390, "height": 844}).new_page()
    phone.goto("/login")
    phone.get_by_label("Name").fill("new.starter")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("link", name="Is the walk-in centre open")).to_be_visible()
    _shot(phone, "inbox-phone")


def test_a_moderator_approves_a_block_and_undoes_a_hide_and_the_sandbox_records_both(browser: Browser, bot: Bot) -> None:
    for n in range(3):  # a third breach: each is hidden, and staff are asked to approve a block
        bot.say(f"a{n}", f"You are useless idiots, the lot of you {n}", handle="@repeat")
    assert len(bot.network.hidden) == 3
    page = _signed_in(browser, bot, "mo")
    page.get_by_role("link", name="Review queue").click()
    _shot(page, "queue-waiting")
    page.get_by_label("Why", exact=True).fill("third breach of the house rules")
    page.get_by_role("button", name="Approve the block of @repeat").click()
    expect(page.get_by_text("Block approved")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for a person.")).to_be_visible()
    bot.service.tick()  # the running bot carries out what staff asked
    assert "repeat" in bot.network.blocked
    page.get_by_role("link", name="Undo and appeals").click()
    page.get_by_role("button", name="Undo hide").first.click()
    expect(page.get_by_text("Undo planned")).to_be_visible()
    bot.service.tick()
    assert len(bot.network.hidden) == 2
    assert [a.kind for a in bot.network.activity if a.kind in ("block", "unhide")] == ["block", "unhide"]
    page.reload()
    expect(page.get_by_role("cell", name="mo (moderator)").first).to_be_visible()  # the audit trail
    _shot(page, "undo-after")
