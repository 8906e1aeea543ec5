"""The staff console over HTTP (Starlette's TestClient): sign-in, sessions, CSRF, roles, headers,
redaction, escaping, CSV escaping and every page, over a state the sandbox bot really wrote."""

from __future__ import annotations

import csv
import io
import pytest

from bot.alerts.content import acknowledge_link
from bot.model import Author, Channel, Inbound, Platform
from tests.web.conftest import PASSWORD, SIGNING_KEY, Console, on_both_backends, token

PAGES = ["/inbox", "/inbox/rows", "/inbox.csv", "/messages/1", "/queue", "/undo", "/alerts", "/accounts", "/reports",
         "/reports.csv"]
ABUSE = "You are useless idiots, the lot of you"
DANGER = "I don't see the point in carrying on anymore. I've been stockpiling my tablets"


@pytest.mark.parametrize("path", PAGES + ["/users"])
def test_every_page_sends_a_stranger_to_sign_in(console: Console, path: str) -> None:
    console.say("m1", "Is the walk-in centre open on Saturday?")
    response = console.client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", PAGES)
@on_both_backends
def test_every_page_shows_for_a_viewer_with_the_security_headers(console: Console, path: str) -> None:
    console.say("m1", ABUSE)
    console.sign_in("vera")
    response = console.client.get(path)
    assert response.status_code == 200, response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


def test_the_session_cookie_is_httponly_and_samesite_lax(console: Console) -> None:
    response = console.client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # served over plain http on 127.0.0.1


def test_a_wrong_password_is_refused_and_five_in_a_row_throttle_even_the_right_one(console: Console) -> None:
    for _ in range(5):
        page = console.client.get("/login")
        wrong = console.client.post("/login", data={"name": "mo", "password": "not the password at all",
                                                     "csrf_token": token(page.text)})
        assert wrong.status_code == 401
        assert "The name or the password is not right." in wrong.text
    page = console.client.get("/login")
    refused = console.client.post("/login", data={"name": "mo", "password": PASSWORD, "csrf_token": token(page.text)})
    assert refused.status_code == 429
    assert "Too many wrong passwords" in refused.text
    console.clock.advance(minutes=16)  # the window passes: the right password works again
    console.sign_in("mo")


def test_sign_in_needs_the_forms_csrf_token(console: Console) -> None:
    console.client.get("/login")
    response = console.client.post("/login", data={"name": "mo", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403
    assert "security token" in response.text


@pytest.mark.parametrize("headers", [{"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}],
                         ids=["other-origin", "cross-site-fetch"])
def test_a_post_another_site_sent_is_refused_even_with_the_token(console: Console, headers: dict[str, str]) -> None:
    console.sign_in("mo")
    response = console.form("/logout", {}, headers=headers)
    assert response.status_code == 403
    assert console.client.get("/inbox", follow_redirects=False).status_code == 200  # still signed in


def test_an_idle_session_expires_and_says_so(console: Console) -> None:
    console.sign_in("vera")
    console.clock.advance(minutes=29)
    assert console.client.get("/inbox", follow_redirects=False).status_code == 200
    console.clock.advance(minutes=31)
    response = console.client.get("/inbox")
    assert response.url.path == "/login"
    assert "signed out because the session was idle" in response.text


def test_sign_out_ends_the_session(console: Console) -> None:
    console.sign_in("vera")
    assert console.form("/logout", {}).status_code == 303
    assert console.client.get("/inbox", follow_redirects=False).status_code == 303


def test_a_hostile_display_name_and_text_are_escaped_everywhere(console: Console) -> None:
    row = console.say("m1", "<script>alert('text')</script> hello", name="<img src=x onerror=alert(1)>")
    console.sign_in("mo")
    for path in ("/inbox", "/inbox/rows", f"/messages/{row}"):
        page = console.client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in console.client.get(f"/messages/{row}").text


def test_viewers_see_redacted_text_and_moderators_the_full_text_only_while_it_is_kept(console: Console) -> None:
    handled = console.say("m1", "My NHS number is 943 476 5919, please check my results")
    inbound = Inbound(platform=Platform.SANDBOX, account="demo", stream="comments", channel=Channel.PUBLIC,
                      native_id="waiting-1", author=Author(id="p1", handle="@pat", display_name="Pat"),
                      text="Ring me on 07700 900123 about it", created_at=console.clock.now)
    console.store.record_fetch("demo", "comments", [inbound], None, console.clock.now,
                               lambda text: text.replace("07700 900123", "[phone]"))
    waiting = console.store.read("SELECT id FROM inbound WHERE native_id='waiting-1'")[0]["id"]
    console.sign_in("vera")
    assert "07700 900123" not in console.client.get(f"/messages/{waiting}").text
    assert "[phone]" in console.client.get(f"/messages/{waiting}").text
    assert "943 476 5919" not in console.client.get(f"/messages/{handled}").text
    console.form("/logout", {})
    console.sign_in("mo")
    assert "07700 900123" in console.client.get(f"/messages/{waiting}").text  # kept until it is handled
    page = console.client.get(f"/messages/{handled}").text
    assert "943 476 5919" not in page  # handled: the store no longer keeps it, for anyone
    assert "the full text is no longer kept" in page


@on_both_backends
def test_the_message_page_explains_with_spans_actions_and_the_authors_strikes(console: Console) -> None:
    row = console.say("m1", ABUSE, handle="@angry")
    console.say("m2", "Thanks for the help earlier", handle="@angry")
    console.sign_in("vera")
    page = console.client.get(f"/messages/{row}").text
    assert '<mark title="abuse">idiots' in page
    assert "abuse.hide_and_redirect" in page
    assert "<code>sbx-" in page  # the platform's id of the hide and the reply
    assert "1 strike: abuse" in page
    assert "Thanks for the help earlier" in page  # the author's history


@on_both_backends
def test_the_inbox_filters_searches_pins_urgent_and_polls(console: Console) -> None:
    console.say("m1", ABUSE)
    console.say("m2", "Is the walk-in centre open on Saturday?")
    console.say("m3", DANGER, stream="direct_messages")
    console.sign_in("vera")
    page = console.client.get("/inbox").text
    pinned = page[page.index("Urgent: pinned"):page.index("Filter and search")]
    assert "stockpiling" in pinned and "walk-in" not in pinned
    assert 'hx-get="/inbox/rows?' in page and 'hx-trigger="every 5s"' in page
    assert "25 Nov 14:03 GMT" in page  # local time with its zone
    only_abuse = console.client.get("/inbox/rows?category=abuse").text
    assert "useless" in only_abuse and "walk-in" not in only_abuse
    found = console.client.get("/inbox/rows?q=walk-in").text
    assert "walk-in" in found and "useless" not in found
    assert "No messages match" in console.client.get("/inbox/rows?q=100%25").text  # % is literal, not a wildcard
    private = console.client.get("/inbox/rows?channel=private").text
    assert "stockpiling" in private and "walk-in" not in private


def test_the_inbox_csv_escapes_formula_cells(console: Console) -> None:
    console.say("m1", "=HYPERLINK(\"http://evil.example\",\"click\")", handle="@sheet")
    console.sign_in("vera")
    rows = list(csv.reader(io.StringIO(console.client.get("/inbox.csv").text)))
    assert rows[0][-1] == "text"
    assert rows[1][-1].startswith("'=HYPERLINK(")


@on_both_backends
def test_the_review_queue_puts_urgent_first_with_age_against_target(console: Console) -> None:
    for n in range(3):  # a third breach asks staff to approve a block
        console.say(f"a{n}", ABUSE + f" {n}", handle="@repeat")
    console.clock.advance(hours=5)
    console.sign_in("vera")
    page = console.client.get("/queue").text
    assert "@repeat" in page
    assert "over target" in page and "(target 4.0 hours)" in page


@on_both_backends
def test_reports_chart_the_days_and_the_csv_is_safe(console: Console) -> None:
    console.say("m1", ABUSE)
    console.say("m2", "Is the walk-in centre open on Saturday?")
    console.sign_in("vera")
    page = console.client.get("/reports").text
    assert "<svg" in page and "Messages per day, by category" in page
    assert "<title>abuse: 1</title>" in page
    rows = list(csv.reader(io.StringIO(console.client.get("/reports.csv").text)))
    header, data = rows[0], rows[1]
    assert data[header.index("messages")] == "2" and data[header.index("abuse")] == "1"
    assert data[header.index("hides")] == "1"


@on_both_backends
def test_the_accounts_page_shows_state_and_published_hours(console: Console) -> None:
    console.say("m1", "hello")
    console.store.pause("demo", "token expired", console.clock.now)
    console.sign_in("vera")
    page = console.client.get("/accounts").text
    assert ">open</strong>" in page and "token expired" in page
    assert "Last read" in page and "Wed 25 Nov 2026 14:01 GMT" in page


def test_the_accounts_page_says_which_worker_holds_each_account(console: Console) -> None:
    console.sign_in("vera")
    assert "none now: no worker is running" in console.client.get("/accounts").text
    console.service.enable_leases("vm-2:4711")
    console.service.balance_leases()  # what a `housebot run` worker does: it now holds the account
    page = console.client.get("/accounts").text
    assert "vm-2:4711 (lease until 14:00:30 GMT)" in page


def _urgent_alert(console: Console) -> int:
    console.say("d1", DANGER, stream="direct_messages")
    return int(console.store.read("SELECT id FROM alerts WHERE urgency='urgent'")[0]["id"])


@on_both_backends
def test_a_moderator_acknowledges_an_alert_and_a_viewer_cannot(console: Console) -> None:
    alert = _urgent_alert(console)
    console.sign_in("vera")
    assert "Acknowledge alert" not in console.client.get("/alerts").text
    assert console.form(f"/alerts/{alert}/ack", {}, page="/alerts").status_code == 403
    console.form("/logout", {})
    console.sign_in("mo")
    done = console.form(f"/alerts/{alert}/ack", {}, page="/alerts")
    assert done.status_code == 303
    assert "acknowledged" in console.client.get("/alerts?all=1").text
    assert console.store.read("SELECT acknowledged_by FROM alerts WHERE id=?", (alert,))[0][0] == "mo"


def test_the_signed_link_asks_first_then_acknowledges_without_signing_in(console: Console) -> None:
    alert = _urgent_alert(console)
    link = acknowledge_link("", SIGNING_KEY, alert, console.clock.now)
    page = console.client.get(link)
    assert page.status_code == 200 and "Acknowledge alert" in page.text
    assert console.store.read("SELECT acknowledged_at FROM alerts WHERE id=?", (alert,))[0][0] is None  # GET changes nothing
    query = dict(part.split("=") for part in link.split("?")[1].split("&"))
    done = console.client.post(f"/alerts/{alert}/acknowledge", data={**query, "name": "Sam on call",
                                                                       "csrf_token": token(page.text)})
    assert done.status_code == 200 and "acknowledged" in done.text
    assert console.store.read("SELECT acknowledged_by FROM alerts WHERE id=?", (alert,))[0][0] == "email link (Sam on call)"


def test_a_forged_or_expired_link_acknowledges_nothing(console: Console) -> None:
    alert = _urgent_alert(console)
    link = acknowledge_link("", SIGNING_KEY, alert, console.clock.now)
    assert console.client.get(link.replace("sig=", "sig=0")).status_code == 403
    console.clock.advance(days=8)
    page = console.client.get(link)
    assert page.status_code == 403 and "not valid or has expired" in page.text


@on_both_backends
def test_admins_manage_staff_and_others_cannot(console: Console) -> None:
    console.sign_in("mo")
    assert console.client.get("/users").status_code == 403
    assert console.form("/users", {"name": "eve", "role": "admin", "password": PASSWORD}).status_code == 403
    console.form("/logout", {})
    console.sign_in("ada")
    assert console.form("/users", {"name": "new.person", "role": "viewer", "password": "short"},
                        page="/users").status_code == 400
    assert console.form("/users", {"name": "new.person", "role": "viewer", "password": PASSWORD},
                        page="/users").status_code == 303
    assert "new.person" in console.client.get("/users").text
    assert console.form("/users/vera", {"role": "viewer", "disabled": "1"}, page="/users").status_code == 303
    console.form("/logout", {})
    page = console.client.get("/login")
    off = console.client.post("/login", data={"name": "vera", "password": PASSWORD, "csrf_token": token(page.text)})
    assert off.status_code == 401  # switched off


def test_a_trusted_proxys_sso_header_signs_in_and_others_are_ignored(console: Console, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from starlette.testclient import TestClient

    from bot.web.app import create_app
    from bot.web.config import ConsoleSettings

    settings = replace(console.service.settings, console=ConsoleSettings(sso_header="X-Forwarded-User",
                                                                       sso_proxies=("testclient",), secret="t" * 40))
    with TestClient(create_app(settings, console.store, clock=console.clock), base_url="http://127.0.0.1:8080") as client:
        assert client.get("/inbox", headers={"X-Forwarded-User": "mo"}, follow_redirects=False).status_code == 200
        assert client.get("/inbox", headers={"X-Forwarded-User": "nobody"}, follow_redirects=False).status_code == 303
    untrusted = replace(settings, console=replace(settings.console, sso_proxies=("10.0.0.1",)))
    with TestClient(create_app(untrusted, console.store, clock=console.clock), base_url="http://127.0.0.1:8080") as client:
        assert client.get("/inbox", headers={"X-Forwarded-User": "mo"}, follow_redirects=False).status_code == 303


def test_secure_cookies_and_hsts_when_served_over_https(console: Console) -> None:
    from dataclasses import replace

    from starlette.testclient import TestClient

    from bot.web.app import create_app
    from bot.web.config import ConsoleSettings

    settings = replace(console.service.settings, console=ConsoleSettings(public_url="https://housebot.example.nhs.uk",
                                                                       secret="t" * 40))
    with TestClient(create_app(settings, console.store, clock=console.clock),
                    base_url="https://housebot.example.nhs.uk") as client:
        response = client.get("/login")
        assert "secure" in response.headers["set-cookie"].lower()
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_session_lifetime_is_absolute(console: Console) -> None:
    console.sign_in("vera")
    for _ in range(26):  # active every half hour, but never past 12 hours
        console.clock.advance(minutes=29)
        console.client.get("/inbox/rows")
    assert console.client.get("/inbox", follow_redirects=False).status_code == 303
