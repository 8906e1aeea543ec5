"""The fault promises, through the real client libraries over HTTP against the fake platforms.

One service looks after two accounts at once: an X account on the fake X API (tweepy) and a
Facebook Page on the fake Graph API (python-facebook-api). Each test makes ONE platform misbehave
(429, 5xx, malformed answers, a reply that times out after the platform made it, an expired token,
a refused hide) and checks, on the fakes' side, that the other account carries on, that the faulty
one waits instead of hammering, and that afterwards every message got exactly one reply. The clock
is moved by hand and the service is ticked, so nothing sleeps except the timeout case.
"""

from __future__ import annotations

import io
import logging
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters import facebook as facebook_adapter
from bot.service import BREAKER_THRESHOLD, MAX_BACKOFF, Service
from tests.fakes.facebook import (
    Comment,
    FakeFacebook,
    Person,
    expired_token_reply,
    facebook_server,
    fake_facebook,
    rate_limit_reply,
)
from tests.fakes.facebook import Post as PagePost
from tests.fakes.server import DROP, Fault, Reply, Request
from tests.fakes.x import FakeX, Post, fake_x, problem, too_many_requests
from tests.helpers import ALWAYS_OPEN_TABLE, Clock, write_settings

__all__ = ["facebook_server", "fake_facebook", "fake_x"]  # fixtures, imported so pytest finds them here

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday; London is on UTC in November
X_NAME = "leeds_x"
FB_NAME = "leeds_facebook"
ACCOUNTS = """
[[accounts]]
name = "leeds_x"
type = "x"
handle = "@NHSLeeds"
display_name = "NHS Leeds"
env_prefix = "LEEDS_X"
[accounts.options]
api_base_url = "{x_url}"
timeout_seconds = {timeout}
""" + ALWAYS_OPEN_TABLE + """
[[accounts]]
name = "leeds_facebook"
type = "facebook"
handle = "Leeds Health"
display_name = "NHS Leeds"
env_prefix = "LEEDS_FB"
[accounts.options]
api_base_url = "{fb_url}"
timeout_seconds = {timeout}
engaged_users = 100000   # a big Page: Meta's budget allows reading Messenger every minute
""" + ALWAYS_OPEN_TABLE

ABUSE = "You lot are useless f***ing idiots, the whole lot of you should be sacked"
X_QUESTIONS = [
    ("sarah_leeds", "Does the walk-in centre at St George's open on Saturday mornings?"),
    ("jen_h", "Where can I get my flu jab this week?"),
    ("ravi_k", "Is the Chapel Allerton clinic still doing blood tests without an appointment?"),
    ("olu_a", "How do I register with a GP after moving to Leeds?"),
]
FB_PEOPLE = [Person(str(7001 + n), name) for n, name in enumerate(
    ("Sarah Wood", "Ben Jones", "Kim Lee", "Ruth Ada", "Omar Said", "Tess Hill", "Lee Park", "Ann Moss"))]
FB_QUESTIONS = [
    "Hi, is the pharmacy at Leeds General open on Sunday?",
    "When will the new baby clinic dates be published?",
    "Can I book a COVID booster for my mum online?",
    "Does St James's have a car park for outpatients?",
    "Is the minor injuries unit at Wharfedale open today?",
    "How long does a hearing test referral usually take?",
    "Are the Seacroft flu clinics walk in or booked?",
    "Where do I send feedback about the maternity ward?",
]


@dataclass
class Rig:
    """One service with an X account and a Facebook Page, both fakes, and a clock moved by hand."""

    service: Service
    clock: Clock
    x: FakeX
    fb: FakeFacebook
    out: io.StringIO
    state_path: Path

    def at(self, moment: datetime) -> None:
        self.clock.now = self.x.now = self.fb.now = moment

    def advance(self, **delta: float) -> None:
        self.at(self.clock.now + timedelta(**delta))

    def tick(self) -> None:
        self.service.tick()

    def wait_until(self, name: str, key: str = "*") -> datetime:
        return self.service.health[name].wait_until[key]

    # -- seeding ------------------------------------------------------------------------------
    def x_questions(self, count: int, first: int = 0) -> list[Post]:
        return [self.x.mention(user, text) for user, text in X_QUESTIONS[first:first + count]]

    def fb_questions(self, post: PagePost, count: int, first: int = 0) -> list[Comment]:
        return [self.fb.add_comment(post, FB_PEOPLE[n], FB_QUESTIONS[n]) for n in range(first, first + count)]

    # -- what the bot did, on the fakes' side ----------------------------------------------------
    def x_replies(self, post: Post) -> list[Post]:
        return self.x.replies_to(post.id)

    def fb_replies(self, comment: Comment) -> list[Comment]:
        return self.fb.replies_to(comment)

    def x_requests(self, pattern: str) -> list[Request]:
        return [r for r in self.x.requests if re.search(pattern, r.path)]

    def action_rows(self, native_id: str) -> list[tuple[str, str, str, str]]:
        """(kind, team, status, error) of every action planned for one message, from the state file."""
        with closing(sqlite3.connect(self.state_path)) as db:
            return db.execute(
                "SELECT a.kind, a.team, a.status, COALESCE(a.error, '') FROM actions a JOIN inbound i "
                "ON a.inbound_id = i.id WHERE i.native_id = ? ORDER BY a.id", (native_id,)).fetchall()


def make_rig(tmp_path: Path, fake_x: FakeX, fake_facebook: FakeFacebook, timeout: float = 2.0) -> Rig:
    secrets = {f"LEEDS_X_{name}": value for name, value in fake_x.secrets().items()}
    secrets.update(LEEDS_FB_PAGE_ACCESS_TOKEN=fake_facebook.token, LEEDS_FB_PAGE_ID=fake_facebook.page.id)
    settings = write_settings(tmp_path, ACCOUNTS.format(x_url=fake_x.url, fb_url=fake_facebook.url, timeout=timeout),
                              secrets)
    clock = Clock(START)
    fb_account = next(a for a in settings.accounts if a.name == FB_NAME)
    # The Page's adapter reads the test's clock (its first-read look-back and Messenger window);
    # the X adapter is built by the service itself from the settings, as in production.
    adapters = {FB_NAME: facebook_adapter.create(settings.account_config(fb_account), clock=clock)}
    out = io.StringIO()
    service = Service(settings, clock=clock, adapters=adapters, out=out, rng=random.Random(11))
    rig = Rig(service, clock, fake_x, fake_facebook, out, settings.state_path)
    rig.at(START)
    return rig


@pytest.fixture
def rig(tmp_path: Path, fake_x: FakeX, fake_facebook: FakeFacebook) -> Iterator[Rig]:
    made = make_rig(tmp_path, fake_x, fake_facebook)
    yield made
    made.service.close()


def assert_one_reply_each(rig: Rig, x_posts: list[Post], comments: list[Comment]) -> None:
    for post in x_posts:
        assert len(rig.x_replies(post)) == 1, (post.text, [p.text for p in rig.x_replies(post)])
    for comment in comments:
        assert len(rig.fb_replies(comment)) == 1, (comment.message, [c.message for c in rig.fb_replies(comment)])


# The reads of one stream, as paths on its fake: a failing stream backs off alone, so only these
# must stay quiet during its back-off (the account's other stream and its replies go on).
X_MENTIONS = r"/mentions$"
FB_COMMENTS = r"/published_posts$|/comments$"


def ride_out_outage(rig: Rig, name: str, key: str, endpoint: str | None = None,
                    step: timedelta = timedelta(seconds=30)) -> list[timedelta]:
    """Tick until account `name` stops failing under `key`: a stream whose reads fail, or "*" when
    an action failed and the whole account waits. Between failures, move the clock in small steps
    and check that not one request reaches what failed before the back-off ends: GETs of the
    stream's `endpoint`, or (None) any request to that platform. Returns the back-off waits, in order."""
    fake = rig.x if name == X_NAME else rig.fb

    def calls() -> int:
        return len([r for r in fake.requests if endpoint is None or (r.method == "GET" and re.search(endpoint, r.path))])

    waits: list[timedelta] = []
    for _ in range(10):
        before = rig.service.health[name].wait_until.get(key)
        rig.tick()
        wait_until = rig.service.health[name].wait_until.get(key)
        if wait_until is None or wait_until <= rig.clock.now:
            return waits
        if wait_until != before:  # this tick failed (else it fell inside an earlier back-off)
            waits.append(wait_until - rig.clock.now)
        while rig.clock.now + step < wait_until:
            rig.advance(seconds=step.total_seconds())
            asked = calls()
            rig.tick()
            assert calls() == asked, f"{name} {key} was called during its back-off"
        rig.at(wait_until)
    raise AssertionError(f"{name} {key} never recovered")


# -- 1. a 429 ------------------------------------------------------------------------------------
def test_an_x_429_waits_for_the_reset_while_the_page_is_answered(rig: Rig) -> None:
    asked = rig.x_questions(3)
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(post, 2)
    reset = START + timedelta(minutes=15)
    rig.x.inject(Fault(r"/2/users/\d+/mentions$", too_many_requests(reset), method="GET"))

    rig.tick()
    mentions = rig.x_requests(r"/mentions$")
    assert len(mentions) == 1 and rig.wait_until(X_NAME, "mentions") == reset
    assert all(rig.x_replies(p) == [] for p in asked)
    assert_one_reply_each(rig, [], comments)  # the Page went on in the same pass

    for minute in range(2, 15, 2):  # no busy retry: mentions are not asked for until the reset
        rig.advance(minutes=2)
        if minute in (4, 10):
            comments += rig.fb_questions(post, 1, first=len(comments))
        rig.tick()
        assert len(rig.x_requests(r"/mentions$")) == 1, f"mentions asked again {minute} minutes after the 429"
    assert len(rig.x_requests(r"/dm_events$")) == 8  # X's other stream was read on every pass meanwhile
    assert_one_reply_each(rig, [], comments)  # and so did every new Page comment get its answer

    rig.at(reset)
    rig.tick()
    assert len(rig.x_requests(r"/mentions$")) == 2
    assert_one_reply_each(rig, asked, comments)
    rig.advance(minutes=5)
    rig.tick()
    assert_one_reply_each(rig, asked, comments)  # and never a second one


# -- 2. 5xx --------------------------------------------------------------------------------------
def test_facebook_5xx_backs_off_x_goes_on_and_no_comment_is_skipped(rig: Rig) -> None:
    older = rig.fb.add_post("Our winter health advice.", START - timedelta(hours=3))
    newer = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(older, 3) + rig.fb_questions(newer, 3, first=3)
    asked = rig.x_questions(2)
    # The first read fails at the list of posts; the next two fail on the second post's comments,
    # after the newer post's comments were already read: those must not be lost either.
    rig.fb.inject(Fault(r"/published_posts$", Reply(500, {"error": {"message": "An unknown error occurred",
                                                                   "type": "OAuthException", "code": 1}}),
                        method="GET"))
    rig.fb.inject(Fault(rf"/{older.id}/comments$", Reply(503, "<html>Service Unavailable</html>"), times=2,
                        method="GET"))

    rig.tick()  # fails on the list of posts
    assert rig.service.store.cursor(FB_NAME, "comments") is None  # nothing recorded, nothing skipped
    assert all(rig.x_replies(p) for p in asked)
    asked += rig.x_questions(1, first=2)  # X carries on during the Page's back-off
    comment_reads = len(rig.fb.calls("GET", "/published_posts"))
    page_wait = rig.wait_until(FB_NAME, "comments") - START
    assert page_wait > timedelta(0)
    rig.advance(seconds=page_wait.total_seconds() / 2)  # inside the comments' back-off: not one read of them
    rig.tick()
    assert len(rig.fb.calls("GET", "/published_posts")) == comment_reads
    assert "*" not in rig.service.health[FB_NAME].wait_until  # Messenger is read meanwhile
    waits = ride_out_outage(rig, FB_NAME, "comments", FB_COMMENTS)
    assert len(waits) == 2  # the next two reads fail after the newer post's comments were read
    assert len([r for r in rig.fb.requests if r.path.endswith(f"/{newer.id}/comments") and r.method == "GET"]) == 3
    assert_one_reply_each(rig, asked, comments)  # X answered during the outage, then every comment once
    rig.advance(minutes=10)
    rig.tick()
    assert_one_reply_each(rig, asked, comments)


def test_x_5xx_on_mentions_backs_off_and_the_page_goes_on(rig: Rig) -> None:
    asked = rig.x_questions(2)
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(post, 2)
    rig.x.inject(Fault(r"/mentions$", problem(503, "Service Unavailable", "Service Unavailable"), times=2))
    rig.x.inject(Fault(r"/mentions$", problem(500, "Internal Server Error", "Internal Server Error")))
    rig.tick()
    assert_one_reply_each(rig, [], comments)  # the Page was answered in the pass where X failed
    assert all(rig.x_replies(p) == [] for p in asked)
    comments += rig.fb_questions(post, 1, first=2)
    rig.advance(seconds=20)
    waits = ride_out_outage(rig, X_NAME, "mentions", X_MENTIONS)
    assert len(waits) == 2  # the failures after the one in the tick above
    assert_one_reply_each(rig, asked, comments)


# -- 3. malformed answers -------------------------------------------------------------------------
MALFORMED_FACEBOOK = [
    Reply(200, "<html>Please wait while we check your browser</html>"),
    Reply(200, b"{\"data\": [", {"Content-Type": "application/json; charset=UTF-8"}),
    Reply(200, {"data": {"posts": "not a list"}}),
    Reply(200, {"data": [{"id": "1122334455_1", "message": "no times at all"}]}),
]


@pytest.mark.parametrize("body", MALFORMED_FACEBOOK, ids=["html", "truncated json", "data not a list",
                                                          "post without created_time"])
def test_a_malformed_graph_answer_backs_off_and_loses_nothing(rig: Rig, body: Reply) -> None:
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(post, 3)
    asked = rig.x_questions(2)
    rig.fb.inject(Fault(r"/published_posts$", body, method="GET"))
    waits = ride_out_outage(rig, FB_NAME, "comments", FB_COMMENTS)
    assert len(waits) == 1
    assert_one_reply_each(rig, asked, comments)


def test_a_malformed_comment_is_set_aside_without_backing_off_and_loses_nothing(rig: Rig) -> None:
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    first = rig.fb_questions(post, 1)
    bad = rig.fb.add_comment(post, FB_PEOPLE[1], "who wrote me?")
    bad.served.update({"created_time": DROP, "from": DROP})
    comments = first + rig.fb_questions(post, 2, first=2)
    asked = rig.x_questions(2)
    waits = ride_out_outage(rig, FB_NAME, "comments", FB_COMMENTS)
    assert waits == []  # one bad item is not an outage
    assert [u["native_id"] for u in rig.service.store.unreadable_items(FB_NAME)] == [bad.id]
    assert_one_reply_each(rig, asked, comments)


MALFORMED_X_FAILURES = [
    Reply(200, "<html>over capacity</html>"),
    Reply(200, [1, 2, 3]),
    Reply(200, {"data": [{"id": "1860000000000000999"}], "includes": "not an object"}),
]


@pytest.mark.parametrize("body", MALFORMED_X_FAILURES, ids=["html", "list", "includes not an object"])
def test_a_malformed_x_answer_backs_off_and_loses_nothing(rig: Rig, body: Reply) -> None:
    asked = rig.x_questions(2)
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(post, 2)
    rig.x.inject(Fault(r"/mentions$", body, method="GET"))
    waits = ride_out_outage(rig, X_NAME, "mentions", X_MENTIONS)
    assert len(waits) == 1
    assert_one_reply_each(rig, asked, comments)


@pytest.mark.parametrize("served", [{"created_at": DROP}, {"id": DROP}, {"text": "\ud83d"}],
                         ids=["post without created_at", "post without id", "lone surrogate"])
def test_a_malformed_x_post_is_set_aside_without_backing_off(rig: Rig, served: dict[str, object]) -> None:
    asked = rig.x_questions(1)
    bad = rig.x.mention("mal", "hi")
    bad.served.update(served)
    asked += rig.x_questions(1, first=1)
    waits = ride_out_outage(rig, X_NAME, "mentions", X_MENTIONS)
    assert waits == []
    kept = [u["native_id"] for u in rig.service.store.unreadable_items(X_NAME)]
    if "text" in served:  # readable once the surrogate is replaced: answered like any other
        assert kept == [] and len(rig.x_replies(bad)) == 1
    else:
        assert kept == [served.get("id", bad.id) if served.get("id") is not DROP else ""]
    assert_one_reply_each(rig, asked, [])


# -- 4. a reply that times out after the platform made it ------------------------------------------
TIMEOUT_SECONDS = 0.3
SLOW_SECONDS = 0.6


def wait_for(condition: Callable[[], bool], what: str, limit_seconds: float = 5.0) -> None:
    """Real time: the fake server finishes the slow request in its own thread."""
    deadline = time.monotonic() + limit_seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_a_page_reply_that_timed_out_after_facebook_made_it_is_not_sent_again(
        tmp_path: Path, fake_x: FakeX, fake_facebook: FakeFacebook) -> None:
    rig = make_rig(tmp_path, fake_x, fake_facebook, timeout=TIMEOUT_SECONDS)
    try:
        post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
        (comment,) = rig.fb_questions(post, 1)
        asked = rig.x_questions(1)
        # The route still runs after the delay: Facebook makes the reply, the bot never hears back.
        rig.fb.inject(Fault(rf"/{comment.id}/comments$", delay_seconds=SLOW_SECONDS, method="POST"))
        rig.tick()
        assert rig.service.health[FB_NAME].wait_until["*"] > rig.clock.now  # the timeout counts as trouble
        assert_one_reply_each(rig, asked, [])  # X was not held up
        wait_for(lambda: len(rig.fb_replies(comment)) == 1, "the fake made the slow reply")
        rig.at(rig.wait_until(FB_NAME))
        rig.tick()
        rig.advance(minutes=5)
        rig.tick()
        assert_one_reply_each(rig, asked, [comment])
        assert len(rig.fb.calls("POST", f"/{comment.id}/comments")) == 1  # asked Facebook, never re-sent
        assert [row[:3] for row in rig.action_rows(comment.id)] == [("reply", "", "done")]
        assert "done (found after restart)" in rig.out.getvalue()
    finally:
        rig.service.close()


def test_an_x_reply_that_timed_out_after_x_made_it_is_not_sent_again(
        tmp_path: Path, fake_x: FakeX, fake_facebook: FakeFacebook) -> None:
    rig = make_rig(tmp_path, fake_x, fake_facebook, timeout=TIMEOUT_SECONDS)
    try:
        (question,) = rig.x_questions(1)
        post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
        comments = rig.fb_questions(post, 1)
        rig.x.inject(Fault(r"^/2/tweets$", delay_seconds=SLOW_SECONDS, method="POST"))
        rig.tick()
        assert rig.service.health[X_NAME].wait_until["*"] > rig.clock.now
        assert_one_reply_each(rig, [], comments)
        wait_for(lambda: len(rig.x_replies(question)) == 1, "the fake made the slow reply")
        rig.at(rig.wait_until(X_NAME))
        rig.tick()
        rig.advance(minutes=5)
        rig.tick()
        assert_one_reply_each(rig, [question], comments)
        posted = [r for r in rig.x.requests if r.method == "POST" and r.path == "/2/tweets"]
        assert len(posted) == 1  # X would refuse a duplicate: the bot must not even try
        assert [row[:3] for row in rig.action_rows(question.id)] == [("reply", "", "done")]
        assert "done (found after restart)" in rig.out.getvalue()
    finally:
        rig.service.close()


# -- 5. auth errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("break_token", ["expired (190)", "http 401"])
def test_an_expired_page_token_pauses_only_the_page_with_one_clear_line(
        rig: Rig, break_token: str, caplog: pytest.LogCaptureFixture) -> None:
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(post, 2)
    rig.fb.add_message(FB_PEOPLE[5], "Hi, can I change my appointment at the eye clinic?", START)
    asked = rig.x_questions(2)
    if break_token == "expired (190)":
        rig.fb.token_valid = False
    else:
        body = expired_token_reply().body
        rig.fb.inject(Fault(r"/published_posts$", Reply(401, body), method="GET"))

    with caplog.at_level(logging.INFO, logger="housebot"):
        rig.tick()
        reason = rig.service.store.paused_reason(FB_NAME)
        assert reason and "access token was refused" in reason
        asked_while_paused = len(rig.fb.requests)
        for minute in range(1, 4):
            rig.advance(minutes=1)
            if minute == 2:
                asked += rig.x_questions(1, first=2)
            rig.tick()
    assert len(rig.fb.requests) == asked_while_paused  # a paused account is not called at all
    assert_one_reply_each(rig, asked, [])  # X kept replying
    assert all(rig.fb_replies(c) == [] for c in comments)
    printed = rig.out.getvalue().splitlines()
    paused_lines = [line for line in printed if "account paused" in line]
    assert len(paused_lines) == 1 and f"URGENT ALERT [{FB_NAME}]" in paused_lines[0]
    assert len([r for r in caplog.records if "event=paused" in r.getMessage()]) == 1

    rig.fb.token_valid = True  # a new token; a passing `housebot check` resumes the account
    rig.service.store.resume(FB_NAME)
    rig.advance(minutes=1)
    rig.tick()
    assert_one_reply_each(rig, asked, comments)
    assert len(rig.fb.messages_to(FB_PEOPLE[5])) == 1


def test_an_expired_x_token_pauses_only_x(rig: Rig) -> None:
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(post, 2)
    asked = rig.x_questions(2)
    rig.x.tokens_valid = False
    for _ in range(3):
        rig.tick()
        rig.advance(minutes=1)
    assert "refused the credentials" in (rig.service.store.paused_reason(X_NAME) or "")
    assert all(rig.x_replies(p) == [] for p in asked)
    assert_one_reply_each(rig, [], comments)
    assert len([line for line in rig.out.getvalue().splitlines() if "account paused" in line]) == 1
    rig.x.tokens_valid = True
    rig.service.store.resume(X_NAME)
    rig.tick()
    assert_one_reply_each(rig, asked, comments)


# -- 6. a refused hide -------------------------------------------------------------------------------
def test_x_refusing_a_hide_falls_back_to_review_with_the_reason(rig: Rig) -> None:
    ours = rig.x.own_post("Flu and COVID-19 vaccination clinics are open across Leeds this week.")
    abuse = rig.x.reply_to(ours, "mike_t", ABUSE)
    asked = rig.x_questions(1)
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(post, 1)
    rig.x.inject(Fault(rf"/2/tweets/{abuse.id}/hidden$", problem(
        403, "Forbidden", "You are not allowed to hide replies to this Tweet."), method="PUT"))
    rig.tick()
    rig.advance(minutes=1)
    rig.tick()

    assert len(rig.x_requests(rf"/2/tweets/{abuse.id}/hidden$")) == 1  # asked once, refused, not retried
    assert abuse.id not in rig.x.hidden_ids()
    rows = rig.action_rows(abuse.id)
    hide = [row for row in rows if row[0] == "hide"]
    assert len(hide) == 1 and hide[0][2] == "failed"
    assert hide[0][3].startswith("refused:") and "not allowed to hide replies" in hide[0][3]
    assert ("review", "comms", "waiting") in [row[:3] for row in rows]  # the policy's fallback: a person looks
    assert [row[:3] for row in rows if row[0] == "reply"] == [("reply", "", "done")]
    (audit,) = [r for r in rig.service.store.audit(account=X_NAME) if r["text"] == abuse.text]
    assert "hide:failed" in str(audit["actions"]) and "review(comms):waiting" in str(audit["actions"])
    assert "hide refused: " in rig.out.getvalue()
    assert len(rig.x_replies(abuse)) == 1  # the redirecting reply still went
    assert_one_reply_each(rig, asked, comments)  # nothing else broke


def test_abuse_in_someone_elses_x_conversation_goes_to_review_and_x_is_never_asked_to_hide(rig: Rig) -> None:
    theirs = rig.x.mention("bob_b", "Anyone else waiting ages for a GP appointment?")
    abuse = rig.x.reply_to(theirs, "mike_t2", "@bob_b @NHSLeeds " + ABUSE)
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(post, 1)
    rig.tick()

    assert not rig.x_requests(r"/hidden$")
    rows = [row[:3] for row in rig.action_rows(abuse.id)]
    assert ("review", "comms", "waiting") in rows and not any(kind == "hide" for kind, _, _ in rows)
    assert "staff alert [leeds_x] comms: abuse" in rig.out.getvalue()
    assert_one_reply_each(rig, [theirs, abuse], comments)


# -- back-off while the scheduler keeps polling ------------------------------------------------------
def test_back_off_grows_and_the_breaker_opens_while_the_scheduler_polls_during_the_wait(rig: Rig) -> None:
    rig.x.inject(Fault(r"/mentions$", problem(503, "Service Unavailable", "Service Unavailable"),
                       times=BREAKER_THRESHOLD))
    waits = ride_out_outage(rig, X_NAME, "mentions", X_MENTIONS, step=timedelta(seconds=30))
    assert len(waits) == BREAKER_THRESHOLD
    assert waits[0] < waits[1] < waits[2] <= MAX_BACKOFF  # growing, and capped so a platform that is back is soon followed
    assert "keeps failing" in rig.out.getvalue()


def test_a_reply_that_got_a_5xx_is_not_retried_before_the_back_off_ends(rig: Rig) -> None:
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    (comment,) = rig.fb_questions(post, 1)
    asked = rig.x_questions(1)
    rig.fb.inject(Fault(rf"/{comment.id}/comments$", Reply(503, "<html>Service Unavailable</html>"),
                        method="POST"))
    waits = ride_out_outage(rig, FB_NAME, "*")
    assert len(waits) == 1
    assert_one_reply_each(rig, asked, [comment])


def test_a_reply_that_got_a_429_is_not_retried_before_the_reset(rig: Rig) -> None:
    (question,) = rig.x_questions(1)
    reset = START + timedelta(minutes=15)
    rig.x.inject(Fault(r"^/2/tweets$", too_many_requests(reset), method="POST"))
    rig.tick()
    assert rig.wait_until(X_NAME) == reset
    for _ in range(5):
        rig.advance(minutes=2)
        rig.tick()
    assert len([r for r in rig.x.requests if r.method == "POST" and r.path == "/2/tweets"]) == 1
    rig.at(reset)
    rig.tick()
    assert_one_reply_each(rig, [question], [])


# -- more of the same promises: a Page 429, a read that times out, a token refused on an action -------
def test_a_page_429_makes_comments_wait_for_the_reset_while_messenger_and_x_go_on(rig: Rig) -> None:
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    comments = rig.fb_questions(post, 2)
    asked = rig.x_questions(1)
    rig.fb.inject(Fault(r"/published_posts$", rate_limit_reply(rig.fb.page.id, minutes=10), method="GET"))
    rig.tick()
    reset = START + timedelta(minutes=10)  # from X-Business-Use-Case-Usage estimated_time_to_regain_access
    assert rig.wait_until(FB_NAME, "comments") == reset
    assert_one_reply_each(rig, asked, [])
    rig.fb.add_message(FB_PEOPLE[6], "Can I bring my own medication to my day surgery?", START)
    for _ in range(3):
        rig.advance(minutes=3)
        rig.tick()
    assert len(rig.fb.calls("GET", "/published_posts")) == 1  # comments not read again before the reset
    assert len(rig.fb.messages_to(FB_PEOPLE[6])) == 1  # Messenger was read and answered meanwhile
    assert all(rig.fb_replies(c) == [] for c in comments)
    rig.at(reset)
    rig.tick()
    assert_one_reply_each(rig, asked, comments)


def test_a_page_read_that_times_out_backs_off_and_loses_nothing(
        tmp_path: Path, fake_x: FakeX, fake_facebook: FakeFacebook) -> None:
    rig = make_rig(tmp_path, fake_x, fake_facebook, timeout=TIMEOUT_SECONDS)
    try:
        post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
        comments = rig.fb_questions(post, 2)
        asked = rig.x_questions(1)
        rig.fb.inject(Fault(rf"/{post.id}/comments$", delay_seconds=SLOW_SECONDS, method="GET"))
        waits = ride_out_outage(rig, FB_NAME, "comments", FB_COMMENTS)
        assert len(waits) == 1
        assert_one_reply_each(rig, asked, comments)
    finally:
        rig.service.close()


def test_a_token_refused_on_a_reply_pauses_the_page_and_the_reply_goes_once_after_resuming(rig: Rig) -> None:
    post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
    (comment,) = rig.fb_questions(post, 1)
    asked = rig.x_questions(1)
    rig.fb.inject(Fault(rf"/{comment.id}/comments$", expired_token_reply(), method="POST"))
    rig.tick()
    assert "access token was refused" in (rig.service.store.paused_reason(FB_NAME) or "")
    rig.advance(minutes=1)
    rig.tick()
    assert rig.fb_replies(comment) == []
    asked += rig.x_questions(1, first=1)
    rig.advance(minutes=1)
    rig.tick()
    rig.service.store.resume(FB_NAME)
    rig.advance(minutes=1)
    rig.tick()
    assert_one_reply_each(rig, asked, [comment])
    assert len(rig.fb.calls("POST", f"/{comment.id}/comments")) == 2  # refused once, then sent once


# -- a worker per account -------------------------------------------------------------------------------
def test_x_answering_slowly_does_not_delay_the_pages_replies(
        tmp_path: Path, fake_x: FakeX, fake_facebook: FakeFacebook) -> None:
    """The scheduler really runs (real threads): X holds the bot's reply open, inside its timeout,
    and the Page's comment is answered meanwhile; X's own step is never started a second time while
    it runs. With one worker for all accounts the Page waited behind X (p50 1.0 s -> 14.2 s)."""
    rig = make_rig(tmp_path, fake_x, fake_facebook, timeout=30)
    x_is_slow = threading.Event()
    try:
        (question,) = rig.x_questions(1)
        post = rig.fb.add_post("Flu jabs are available this week.", START - timedelta(hours=2))
        (comment,) = rig.fb_questions(post, 1)
        rig.x.inject(Fault(r"^/2/tweets$", method="POST", gate=x_is_slow))
        rig.service.start()
        wait_for(lambda: bool(rig.x_requests(r"^/2/tweets$")), "X is asked to reply")
        wait_for(lambda: len(rig.fb_replies(comment)) == 1, "the Page answers while X is slow")
        assert rig.x_replies(question) == []  # X's answer is still held open
        mentions_read = len(rig.x_requests(r"/mentions$"))
        rig.service._scheduled_poll(X_NAME)  # what a second run of X's job would do: nothing while one runs
        assert len(rig.x_requests(r"/mentions$")) == mentions_read
        x_is_slow.set()
        wait_for(lambda: len(rig.x_replies(question)) == 1, "X's reply completes")
    finally:
        x_is_slow.set()
        rig.service.stop()
    assert_one_reply_each(rig, [question], [comment])


def test_stop_waits_for_the_step_under_way_then_closes(
        tmp_path: Path, fake_x: FakeX, fake_facebook: FakeFacebook) -> None:
    """SIGTERM while X's worker is inside a platform call: stop lets that step record its reply
    before the state is closed (closing under a running step crashed)."""
    rig = make_rig(tmp_path, fake_x, fake_facebook, timeout=30)
    x_is_slow = threading.Event()
    (question,) = rig.x_questions(1)
    rig.x.inject(Fault(r"^/2/tweets$", method="POST", gate=x_is_slow))
    rig.service.start()
    stopper = threading.Thread(target=rig.service.stop)
    try:
        wait_for(lambda: bool(rig.x_requests(r"^/2/tweets$")), "X is asked to reply")
        stopper.start()
        wait_for(rig.service._stopping.is_set, "stop begins")
    finally:
        x_is_slow.set()
        stopper.join()
    assert len(rig.x_replies(question)) == 1
    assert [row[:3] for row in rig.action_rows(question.id)] == [("reply", "", "done")]
    assert "housebot stopped cleanly" in rig.out.getvalue()


# -- per-stream back-off ---------------------------------------------------------------------------------
def test_x_mentions_failing_back_off_alone_and_a_danger_dm_is_answered_meanwhile(rig: Rig) -> None:
    """Mentions return 503 again and again; the account's DMs keep their cadence, so a safeguarding
    DM that arrives during the outage is answered on the next read, not after the outage."""
    (question,) = rig.x_questions(1)
    rig.x.inject(Fault(r"/mentions$", problem(503, "Service Unavailable", "Service Unavailable"), times=4))
    rig.tick()
    assert rig.wait_until(X_NAME, "mentions") > rig.clock.now
    assert "*" not in rig.service.health[X_NAME].wait_until  # the account itself does not wait
    danger = rig.x.dm("quietone22", "I don't see the point in carrying on anymore. I've been stockpiling my "
                                    "tablets and I think tonight is the night")
    dm_reads = len(rig.x_requests(r"/dm_events$"))
    rig.advance(minutes=1)
    rig.tick()
    assert len(rig.x_requests(r"/dm_events$")) == dm_reads + 1
    answers = [e for e in rig.x.dms_from() if e.dm_conversation_id == danger.dm_conversation_id]
    assert len(answers) == 1 and "999" in answers[0].text
    assert rig.x_replies(question) == []  # mentions are still failing
    waits = ride_out_outage(rig, X_NAME, "mentions", X_MENTIONS)
    assert len(waits) >= 1
    assert_one_reply_each(rig, [question], [])
