"""The service on the fake Graph API when items are malformed and when its state is new.

One bad item must be set aside (kept raw for staff, one alert) while the rest of its page, and the
account's other stream, are answered; a new state file must never answer what the Page has already
answered, nor read the Page's own replies back as inbound.
"""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import bot.service as service_module

from adapters.facebook import create
from bot.cli import main
from bot.service import Service
from bot.store import ANSWERED_BEFORE_RULE, Store
from tests.fakes.facebook import FakeFacebook, Person, facebook_server, fake_facebook
from tests.fakes.server import DROP, Fault
from tests.fakes.x import FakeX, fake_x
from tests.helpers import (ALWAYS_OPEN, ALWAYS_OPEN_TABLE, LONDON, OFFICE_HOURS, OFFICE_HOURS_TABLE, Clock,
                           environment, message, sandbox_service, write_settings)

__all__ = ["facebook_server", "fake_facebook", "fake_x"]  # fixtures, imported so pytest finds them here

AMY = Person("8001", "Amy Patient")
BEN = Person("8002", "Ben Jones")
SAM = Person("8003", "Sam")

ACCOUNT = """
[[accounts]]
name = "leeds-facebook"
type = "facebook"
handle = "NHS Leeds"
display_name = "NHS Leeds"
[accounts.options]
api_base_url = "{url}"
timeout_seconds = 2
engaged_users = 100000
""" + ALWAYS_OPEN_TABLE


def facebook_service(tmp_path: Path, fake: FakeFacebook) -> tuple[Service, Clock]:
    secrets = {"LEEDS_FACEBOOK_PAGE_ACCESS_TOKEN": fake.token, "LEEDS_FACEBOOK_PAGE_ID": fake.page.id}
    settings = write_settings(tmp_path, ACCOUNT.format(url=fake.url), secrets)
    clock = Clock(fake.now)
    adapter = create(settings.account_config(settings.accounts[0]), clock=clock)
    return Service(settings, clock=clock, adapters={"leeds-facebook": adapter}, out=io.StringIO()), clock


def test_a_malformed_comment_is_set_aside_once_and_everything_else_is_answered(
        fake_facebook: FakeFacebook, tmp_path: Path) -> None:
    post = fake_facebook.add_post("Flu clinics this week", fake_facebook.now - timedelta(minutes=30))
    first = fake_facebook.add_comment(post, AMY, "Is the clinic open late? \ud83d", fake_facebook.now - timedelta(minutes=5))
    bad = fake_facebook.add_comment(post, BEN, "broken", fake_facebook.now - timedelta(minutes=4))
    bad.served["created_time"] = DROP
    last = fake_facebook.add_comment(post, BEN, "Do I need to book?", fake_facebook.now - timedelta(minutes=3))
    fake_facebook.add_message(SAM, "I can't cope any more and I've been thinking about ending my life",
                              fake_facebook.now - timedelta(minutes=2))
    service, clock = facebook_service(tmp_path, fake_facebook)
    service.tick()
    for _ in range(3):  # the bad item is read again within the overlap window: still one alert
        clock.advance(minutes=2)
        fake_facebook.now = clock.now
        service.tick()
    assert len(fake_facebook.replies_to(first)) == 1 and len(fake_facebook.replies_to(last)) == 1
    assert fake_facebook.replies_to(bad) == []
    assert len(fake_facebook.messages_to(SAM)) == 1  # the other stream was answered too
    [kept] = service.store.unreadable_items("leeds-facebook")
    assert kept["native_id"] == bad.id and "broken" in kept["raw"] and "created_time" in kept["reason"]
    assert service.console.out.getvalue().count("could not be read") == 1  # type: ignore[attr-defined]
    stored = service.store._db.execute("SELECT text_redacted FROM inbound WHERE native_id=?", (first.id,)).fetchone()
    assert stored["text_redacted"].endswith("\ufffd")  # the lone surrogate did not reach SQLite


def test_a_new_state_never_answers_what_the_page_has_answered_nor_reads_its_own_replies(
        fake_facebook: FakeFacebook, tmp_path: Path) -> None:
    post = fake_facebook.add_post("Flu clinics this week", fake_facebook.now - timedelta(minutes=50))
    answered = fake_facebook.add_comment(post, AMY, "Do I need to book?", fake_facebook.now - timedelta(minutes=40))
    fake_facebook.add_comment(post, fake_facebook.page, "No need to book.", fake_facebook.now - timedelta(minutes=39),
                              parent=answered)
    answered_privately = fake_facebook.add_comment(post, BEN, "Where is the clinic?",
                                                   fake_facebook.now - timedelta(minutes=35))
    answered_privately.private_reply_conversation = "t_private_1"
    fresh = fake_facebook.add_comment(post, BEN, "Is there parking?", fake_facebook.now - timedelta(minutes=10))
    service, clock = facebook_service(tmp_path, fake_facebook)
    service.tick()
    clock.advance(minutes=2)
    fake_facebook.now = clock.now
    service.tick()
    assert len(fake_facebook.replies_to(answered)) == 1  # only the Page's earlier reply
    assert fake_facebook.private_replies_to(answered_privately) == []
    assert len(fake_facebook.replies_to(fresh)) == 1
    rows = service.store._db.execute("SELECT native_id, rule, status FROM inbound ORDER BY id").fetchall()
    assert {r["native_id"]: (r["rule"], r["status"]) for r in rows if r["native_id"] != fresh.id} == {
        answered.id: (ANSWERED_BEFORE_RULE, "handled"), answered_privately.id: (ANSWERED_BEFORE_RULE, "handled")}
    assert all(r["native_id"] in {answered.id, answered_privately.id, fresh.id} for r in rows)  # no own replies


def test_a_photo_with_no_words_is_acknowledged_and_waits_for_a_person(
        fake_facebook: FakeFacebook, tmp_path: Path) -> None:
    post = fake_facebook.add_post("Flu clinics this week", fake_facebook.now - timedelta(minutes=30))
    photo = fake_facebook.add_comment(post, AMY, "", fake_facebook.now - timedelta(minutes=5))
    photo.attachment = {"type": "photo", "media": {"image": {"src": "https://scontent.example/p.jpg"}},
                        "url": "https://www.facebook.com/photo.php?fbid=10160"}
    service, _ = facebook_service(tmp_path, fake_facebook)
    service.tick()
    [reply] = fake_facebook.replies_to(photo)
    assert "team will look" in reply.message or "will look at" in reply.message
    [review] = service.store.waiting_reviews("leeds-facebook")
    assert review.action.rule == "attachment.unread"


def test_a_review_stays_waiting_until_a_person_settles_it_and_log_lists_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    settings = write_settings(tmp_path, ALWAYS_OPEN)
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    service, network, out = sandbox_service(settings, clock)
    network.post("demo", message("r", "Vaccines cause autism, everyone knows it"))  # misinformation: staff approve
    network.post("demo", message("q", "What time does the walk-in centre open on Saturday?"))
    service.tick()
    [waiting] = service.store.waiting_reviews("demo")
    clock.advance(minutes=5)
    service.tick()
    assert out.getvalue().count("staff alert [demo] comms: misinformation") == 1  # shown once, not every poll
    assert [r.id for r in service.store.waiting_reviews("demo")] == [waiting.id]
    service.store.close()

    for name, value in environment(tmp_path, tmp_path / "housebot.toml").items():
        monkeypatch.setenv(name, value)
    assert main([f"--env={tmp_path / '.env'}", "log", "--waiting", "--csv"]) == 0
    listed = capsys.readouterr().out
    assert "review(" in listed and ":waiting" in listed and "walk-in" not in listed

    store = Store(settings.state_path)
    assert store.settle_review(waiting.id, "approved the suggested reply", clock.now)
    assert not store.settle_review(waiting.id, "again", clock.now)  # settled once
    assert store.waiting_reviews("demo") == []
    store.close()


def test_while_closed_each_waiting_message_is_screened_once_then_answered_at_opening(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = write_settings(tmp_path, OFFICE_HOURS.format(safety_screen="true"))
    clock = Clock(datetime(2026, 6, 3, 19, 0, tzinfo=LONDON))  # a Wednesday evening: closed until 09:00
    service, network, _ = sandbox_service(settings, clock)
    questions = [network.post("demo", message(str(n), f"Is the clinic open on day {n}?")) for n in range(3)]
    screened: list[str] = []
    decide_fully = service_module.handle

    def counting(inbound, history, context, engine):  # type: ignore[no-untyped-def]
        screened.append(inbound.native_id)
        return decide_fully(inbound, history, context, engine)

    monkeypatch.setattr(service_module, "handle", counting)
    while clock.now < datetime(2026, 6, 4, 8, 50, tzinfo=LONDON):
        service.tick()
        clock.advance(minutes=10)
    assert sorted(screened) == sorted(q.native_id for q in questions)  # once each, not once per poll
    assert not any(a.kind == "reply" for a in network.activity)
    clock.now = datetime(2026, 6, 4, 9, 0, 30, tzinfo=LONDON)
    service.tick()
    assert sorted(a.target for a in network.activity if a.kind == "reply") == sorted(q.native_id for q in questions)


X_ACCOUNT = """
[[accounts]]
name = "leeds_x"
type = "x"
handle = "@NHSLeeds"
display_name = "NHS Leeds"
env_prefix = "LEEDS_X"
[accounts.options]
api_base_url = "{url}"
timeout_seconds = 2
first_fetch_max_results = 100
""" + ALWAYS_OPEN_TABLE
ABUSE = "You lot are useless f***ing idiots, the whole lot of you should be sacked"
THREAT = "That receptionist had better watch herself. I know where she lives and I'll be waiting"


def test_fifty_abuse_and_threat_replies_on_x_are_all_distinct_and_none_is_refused(
        fake_x: FakeX, tmp_path: Path) -> None:
    """X refuses a post identical to a recent one; the canned wordings must not repeat."""
    secrets = {f"LEEDS_X_{name}": value for name, value in fake_x.secrets().items()}
    settings = write_settings(tmp_path, X_ACCOUNT.format(url=fake_x.url), secrets)
    ours = fake_x.own_post("Flu and COVID-19 vaccination clinics are open across Leeds this week.")
    said = [fake_x.reply_to(ours, f"person{n}", ABUSE if n % 2 else THREAT) for n in range(50)]
    service = Service(settings, clock=Clock(fake_x.now), out=io.StringIO())
    service.tick()
    replies = [p for p in fake_x.posts_by() if p.replied_to]
    assert sorted(p.replied_to for p in replies) == sorted(p.id for p in said)
    assert len({p.text for p in replies}) == 50
    assert all(len(p.text) <= 280 for p in replies)
    assert not any("duplicate" in str(row["actions"]) for row in service.store.audit(limit=100))
    service.close()


def test_a_page_notice_that_timed_out_after_facebook_posted_it_is_found_and_not_posted_again(
        fake_facebook: FakeFacebook, tmp_path: Path) -> None:
    """Item 13 on Facebook, through python-facebook-api: the notice's post times out after the Page
    made it (a crash there is the same: `sending`, no id). After the back-off the bot looks for it
    among the Page's posts instead of posting it again (before, it gave up with an alert)."""
    account = ACCOUNT.replace(ALWAYS_OPEN_TABLE, OFFICE_HOURS_TABLE).replace("timeout_seconds = 2", "timeout_seconds = 0.3")
    secrets = {"LEEDS_FACEBOOK_PAGE_ACCESS_TOKEN": fake_facebook.token, "LEEDS_FACEBOOK_PAGE_ID": fake_facebook.page.id}
    settings = write_settings(tmp_path, account.format(url=fake_facebook.url), secrets)
    clock = Clock(datetime(2026, 11, 24, 17, 0, 30, tzinfo=LONDON))  # a Tuesday, just after closing
    fake_facebook.now = clock.now
    adapter = create(settings.account_config(settings.accounts[0]), clock=clock)
    service = Service(settings, clock=clock, adapters={"leeds-facebook": adapter}, out=io.StringIO())
    try:
        fake_facebook.inject(Fault(r"/feed$", delay_seconds=0.6, method="POST"))  # made, but the answer is late
        service.poll_account("leeds-facebook")
        [notice] = service.store.notices("leeds-facebook")
        assert notice.status == "sending"
        deadline = time.monotonic() + 5  # real time: the fake finishes the slow post in its own thread
        while not fake_facebook.notices:
            assert time.monotonic() < deadline, "the fake never made the slow post"
            time.sleep(0.02)
        clock.now = fake_facebook.now = service.health["leeds-facebook"].wait_until["*"]
        service.poll_account("leeds-facebook")
        [notice] = service.store.notices("leeds-facebook")
        assert notice.status == "done" and len(fake_facebook.notices) == 1
        assert len(fake_facebook.calls("POST", "/feed")) == 1  # looked for, never posted twice
        assert "may not have been posted" not in service.console.out.getvalue()  # type: ignore[attr-defined]
    finally:
        service.close()
