"""Staff actions from the console's forms: each POST calls `bot.staff`, the running bot carries
out the platform step on the sandbox, and what cannot be done is said on the page."""

from __future__ import annotations

import csv
import io

from bot.store import WAITING
from tests.web.conftest import Console, on_both_backends

ABUSE = "You are useless idiots, the lot of you"


def _three_strikes(console: Console) -> tuple[int, int]:
    """A third breach by one author: the bot hides each and asks staff to approve a block.
    Returns (the first message's id, the review's id)."""
    first = console.say("a0", ABUSE + " 0", handle="@repeat")
    for n in (1, 2):
        console.say(f"a{n}", ABUSE + f" {n}", handle="@repeat")
    review = console.store.read("SELECT id FROM actions WHERE kind='review' AND status=?", (WAITING,))[0]["id"]
    return first, int(review)


@on_both_backends
def test_a_moderator_approves_a_block_and_the_bot_carries_it_out(console: Console) -> None:
    _, review = _three_strikes(console)
    console.sign_in("mo")
    page = console.client.get("/queue").text
    assert "Approve the block of @repeat" in page
    done = console.form(f"/reviews/{review}/approve-block", {"reason": "third breach"}, page="/queue")
    assert done.status_code == 303 and done.headers["location"] == "/queue"
    assert "Block approved" in console.client.get("/queue").text
    console.service.tick()
    assert "repeat" in console.network.blocked
    assert "Nothing is waiting for a person." in console.client.get("/queue").text
    trail = console.client.get("/undo").text
    assert "mo (moderator)" in trail and "approve_block review" in trail


@on_both_backends
def test_a_moderator_undoes_a_hide_and_the_sandbox_unhides_it(console: Console) -> None:
    first, _ = _three_strikes(console)
    hide = console.store.read("SELECT id FROM actions WHERE inbound_id=? AND kind='hide'", (first,))[0]["id"]
    native = console.store.read("SELECT native_id FROM inbound WHERE id=?", (first,))[0]["native_id"]
    assert native in console.network.hidden
    console.sign_in("mo")
    assert f'action="/actions/{hide}/undo"' in console.client.get("/undo").text
    assert console.form(f"/actions/{hide}/undo", {"reason": "not abuse after all"}, page="/undo").status_code == 303
    console.service.tick()
    assert native not in console.network.hidden
    page = console.client.get(f"/messages/{first}").text
    assert "unhide" in page and "asked by mo" in page


def test_a_viewer_cannot_act_even_with_a_valid_token(console: Console) -> None:
    first, review = _three_strikes(console)
    console.sign_in("vera")
    assert "Approve the block" not in console.client.get("/queue").text
    for path in (f"/reviews/{review}/approve-block", f"/messages/{first}/take-down", f"/messages/{first}/appeals"):
        assert console.form(path, {"kind": "delete", "received": "by email"}, page="/queue").status_code == 403
    console.service.tick()
    assert "repeat" not in console.network.blocked


def test_what_cannot_be_done_is_said_on_the_page(console: Console) -> None:
    _, review = _three_strikes(console)
    console.sign_in("mo")
    console.form(f"/reviews/{review}/settle", {"outcome": "dismissed", "reason": ""}, page="/queue")
    assert "Say why the review is dismissed." in console.client.get("/queue").text
    console.form(f"/reviews/{review}/settle", {"outcome": "dismissed", "reason": "banter between friends"}, page="/queue")
    console.form(f"/reviews/{review}/approve-block", {"reason": "late"}, page="/queue")
    page = console.client.get("/queue").text
    assert "This review was settled already" in page and "Nothing is waiting for a person." in page
    console.service.tick()
    assert "repeat" not in console.network.blocked


@on_both_backends
def test_take_down_reply_assign_and_note_from_the_console(console: Console) -> None:
    row = console.say("q1", "Is the walk-in centre open on Saturday?", handle="@asker")
    native = console.store.read("SELECT native_id FROM inbound WHERE id=?", (row,))[0]["native_id"]
    console.sign_in("mo")
    console.form(f"/messages/{row}/reply", {"text": "Yes, from 8am to 8pm on Saturdays.", "back": f"/messages/{row}"},
                 page=f"/messages/{row}")
    console.form(f"/messages/{row}/take-down", {"kind": "hide", "reason": "posted a rumour", "back": f"/messages/{row}"},
                 page=f"/messages/{row}")
    console.service.tick()
    assert native in console.network.hidden
    assert "Yes, from 8am to 8pm on Saturdays." in [a.text for a in console.network.activity_for(native)]
    page = console.client.get(f"/messages/{row}").text
    assert page.count("asked by mo") == 2


@on_both_backends
def test_an_appeal_is_recorded_upheld_and_undoes_the_hide_and_strike(console: Console) -> None:
    row = console.say("x1", ABUSE, handle="@appealer")
    native = console.store.read("SELECT native_id FROM inbound WHERE id=?", (row,))[0]["native_id"]
    console.sign_in("mo")
    console.form(f"/messages/{row}/appeals", {"received": "by email on 24 Nov", "text": "I was quoting someone",
                                             "back": f"/messages/{row}"}, page=f"/messages/{row}")
    appeal = int(console.store.read("SELECT id FROM appeals")[0]["id"])
    assert "by email on 24 Nov" in console.client.get("/undo").text
    console.form(f"/appeals/{appeal}/decide", {"decision": "upheld", "reason": "quoting, not abusing"}, page="/undo")
    console.service.tick()
    assert native not in console.network.hidden
    assert not console.store.read("SELECT 1 FROM strikes WHERE inbound_id=?", (row,))
    assert "upheld" in console.client.get(f"/messages/{row}").text
    report = list(csv.reader(io.StringIO(console.client.get("/reports.csv").text)))
    assert report[1][report[0].index("appeals_upheld")] == "1"


@on_both_backends
def test_an_alert_note_is_shown_to_everyone(console: Console) -> None:
    console.say("d1", "I don't see the point in carrying on anymore. I've been stockpiling my tablets",
                stream="direct_messages")
    alert = int(console.store.read("SELECT id FROM alerts")[0]["id"])
    console.sign_in("mo")
    console.form(f"/alerts/{alert}/ack", {"note": "called the safeguarding lead"}, page="/alerts")
    console.form(f"/alerts/{alert}/note", {"note": "<b>lead</b> rang back"}, page="/alerts")
    page = console.client.get("/alerts?all=1").text
    assert "called the safeguarding lead" in page and "&lt;b&gt;lead&lt;/b&gt; rang back" in page
    assert "acknowledged</strong> by mo" in page


def test_a_possible_false_claim_waits_with_its_suggested_reply_ready_to_edit(console: Console) -> None:
    console.say("c1", "The MMR vaccine causes autism, everyone knows it", handle="@claimer")
    console.sign_in("mo")
    page = console.client.get("/queue").text
    assert "@claimer" in page and "the suggested reply" in page
    suggested = page.split('name="text" rows="3">')[1].split("</textarea>")[0]
    assert suggested.strip()


def test_following_an_author_from_the_console_is_refused_where_the_platform_cannot(console: Console) -> None:
    """The sandbox, like a Facebook Page, cannot follow anyone: the page says so beside the choice
    (disabled), and a forged POST is refused in the same words with nothing planned."""
    row = console.say("f1", "Thanks for the clinic times, really helpful", handle="@fan")
    console.sign_in("mo")
    page = console.client.get(f"/messages/{row}").text
    assert "following is not endorsement" in page
    assert 'id="follow-follow" name="kind" type="radio" value="follow" disabled' in page
    console.form(f"/messages/{row}/follow", {"kind": "follow", "back": f"/messages/{row}"}, page=f"/messages/{row}")
    assert "cannot follow" in console.client.get(f"/messages/{row}").text
    assert [a for a in console.store.actions_for(row) if a.action.kind.value == "follow"] == []
