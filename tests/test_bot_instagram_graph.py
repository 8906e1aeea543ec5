"""The whole bot looking after an Instagram account through the official API, on the fake, for an hour.

As for Facebook: a settings file in tmp_path names one Instagram account (the default `api`, the
official one) whose `api_base_url` is the fake; its secrets come from a `.env`. The test moves the
injected clock and the fake's together through a scripted hour and ticks the service at each
moment (no thread, no wall time): open until 10:45, then closed with the safety screen on.
Everything is checked on the fake's side. The third abusive comment asks for a block, which the
API cannot do: the policy's fallback (a person) applies. `housebot check` is run against it too.
"""

from __future__ import annotations

import io
import random
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import pytest

from adapters.instagram_graph import create
from bot.cli import main
from bot.model import ActionKind
from bot.service import Service
from bot.settings import load_settings
from tests.fakes.instagram_graph import (
    FakeInstagramGraph,
    IGComment,
    IGPerson,
    fake_instagram_graph,
    instagram_graph_server,
    rate_limit_reply,
)
from tests.fakes.server import Fault
from tests.helpers import ORGANISATION, Clock, environment
from tests.test_bot_facebook import EMERGENCY_NUMBERS, policy_with_auto_block

__all__ = ["fake_instagram_graph", "instagram_graph_server"]  # fixtures, imported so pytest finds them here

START = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)  # a Tuesday; London is on UTC in November

SARAH = IGPerson("7001", "sarah.wood")
DAVE = IGPerson("7002", "dave_oneill")
TROLL = IGPerson("7003", "angry.anon")
PAT = IGPerson("7005", "pat.private")
SPAMMER = IGPerson("7006", "keto.deals")
BEN = IGPerson("7007", "ben.jones78")
KIM = IGPerson("7008", "kim")
LATE = IGPerson("7009", "night.owl")
RUTH = IGPerson("7010", "ruth")
FAN = IGPerson("7011", "happy.patient")

ACCOUNT = """
[[accounts]]
name = "leeds-ig"
type = "instagram"
handle = "@nhsleeds"
display_name = "NHS Leeds"
safety_screen = true

[accounts.hours]
monday = ["08:00-10:45"]
tuesday = ["08:00-10:45"]
wednesday = ["08:00-10:45"]
thursday = ["08:00-10:45"]
friday = ["08:00-10:45"]
saturday = []
sunday = []
bank_holidays = "open"

[accounts.options]
api_base_url = "{url}"
timeout_seconds = 2
notice_image_url = "https://www.example.nhs.uk/social/offline.jpg"
daily_impressions = 100000   # a busy account: Meta's budget is then far above the test's cadence
"""


def write_setup(tmp_path: Path, fake: FakeInstagramGraph) -> Path:
    organisation = ORGANISATION.replace("poll_seconds = 60", "poll_seconds = 0.02")
    assert organisation != ORGANISATION, "the shared settings changed: update this test"
    config = tmp_path / "housebot.toml"
    config.write_text(organisation + ACCOUNT.replace("{url}", fake.url), encoding="utf-8")
    env = {**environment(tmp_path, config), "HOUSEBOT_POLICY": str(policy_with_auto_block(tmp_path)),
           "LEEDS_IG_ACCESS_TOKEN": fake.token, "LEEDS_IG_IG_USER_ID": fake.account.id,
           "LEEDS_IG_PAGE_ID": fake.page_id, "LEEDS_IG_APP_ID": fake.app_id, "LEEDS_IG_APP_SECRET": fake.app_secret}
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()), encoding="utf-8")
    return env_file


class Hour:
    """The scripted hour: people write on the fake, the clocks move, the bot polls."""

    def __init__(self, fake: FakeInstagramGraph, clock: Clock, service: Service) -> None:
        self.fake, self.clock, self.service = fake, clock, service

    def at(self, minute: int) -> datetime:
        self.clock.now = self.fake.now = START + timedelta(minutes=minute)
        self.service.tick()
        self.service.tick()
        return self.clock.now


@pytest.fixture
def hour(tmp_path: Path, fake_instagram_graph: FakeInstagramGraph) -> Iterator[Hour]:
    fake_instagram_graph.now = START
    clock = Clock(START)
    settings = load_settings({}, write_setup(tmp_path, fake_instagram_graph))
    (account,) = settings.accounts
    assert account.api == "graph"  # the official API is Instagram's default
    adapter = create(settings.account_config(account), clock=clock)
    service = Service(settings, clock=clock, adapters={account.name: adapter}, out=io.StringIO(), rng=random.Random(5))
    try:
        yield Hour(fake_instagram_graph, clock, service)
    finally:
        service.stop()


def only_reply(fake: FakeInstagramGraph, comment: IGComment) -> str:
    replies = fake.replies_to(comment)
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0].text


def test_an_hour_on_instagram_through_the_official_api(hour: Hour) -> None:
    fake = hour.fake
    post = fake.add_media("Flu jabs are available this week at Seacroft and Chapel Allerton.",
                          START - timedelta(hours=1))
    question = fake.add_comment(post, SARAH, "Hi, does anyone know if the walk-in centre at St George's is "
                                             "open on Saturday mornings?", hour.at(1))
    complaint = fake.add_comment(post, DAVE, "3 hours in A&E at the LGI and still not seen, this wait is "
                                             "bloody ridiculous", hour.at(3))
    abuse = [fake.add_comment(post, TROLL, text, hour.at(minute)) for minute, text in (
        (5, "You lot are useless f***ing idiots, the whole lot of you should be sacked"),
        (7, "Shut up you stupid cow, nobody cares what you think"),
        (9, "Go kill yourselves you pathetic NHS parasites"),
    )]
    overshare = fake.add_comment(post, PAT, "Can someone ring me about my mum's referral? Her NHS number is "
                                            "943 476 5919 and my mobile is 07700 900123", hour.at(13))
    spam = fake.add_comment(post, SPAMMER, "LOSE 10KG IN 10 DAYS!!! Miracle keto pills, doctors hate this, "
                                           "order now at http://bit.ly/slim-fast-now", hour.at(15))
    tagged = fake.add_tag(FAN, "Huge thanks to @nhsleeds, in and out of the jab clinic in ten minutes", hour.at(17))
    hour.at(18)
    fake.add_message(BEN, "Hi, when can I get my flu jab this year? I'm 78 and my GP hasn't sent anything yet",
                     hour.at(20))
    fake.add_message(KIM, "I don't see the point in carrying on anymore. I've been stockpiling my tablets and "
                          "I think tonight is the night", hour.at(25))
    hour.at(30)
    hour.at(46)  # closed since 10:45
    waiting = fake.add_comment(post, RUTH, "Does anyone know the opening times for the pharmacy at Leeds "
                                           "General over Christmas?", hour.at(50))
    danger = fake.add_comment(post, LATE, "My dad is having crushing chest pain and his left arm has gone numb, "
                                          "what do we do??", hour.at(55))
    hour.at(60)

    # Ordinary and complaint: answered in public, never hidden.
    assert only_reply(fake, question).strip()
    complaint_reply = only_reply(fake, complaint)
    assert "complaints@example.nhs.uk" in complaint_reply or "https://www.example.nhs.uk/complaints" in complaint_reply
    assert not question.hidden and not complaint.hidden and not complaint.deleted

    # Abuse: each hidden with one redirecting reply. The third strike asks for a block, which the
    # official API cannot do: a person is asked instead, and nothing else reached Instagram.
    assert all(comment.hidden for comment in abuse)
    assert all(len(fake.replies_to(comment)) == 1 for comment in abuse)
    troll_actions = hour.service.store.read("SELECT kind, status FROM actions WHERE author_id=?", (TROLL.id,))
    assert ("block", "done") not in {(row["kind"], row["status"]) for row in troll_actions}
    assert any(stored.action.kind is ActionKind.REVIEW and "block" in stored.action.reason.lower()
               for stored in hour.service.store.waiting_reviews("leeds-ig")), troll_actions

    # Oversharing: hidden, and the author advised privately through a private reply to the comment.
    assert overshare.hidden
    (advice,) = fake.private_replies_to(overshare)
    assert "943 476 5919" not in advice.text

    # Spam: hidden without a word.
    assert spam.hidden and fake.replies_to(spam) == []

    # A mention in someone's caption: thanked in public under their post.
    assert [media_id for media_id, _ in fake.mention_replies] == [tagged.id]

    # Direct messages: answered inside the 24-hour window; danger gets emergency numbers.
    (ben_answer,) = fake.messages_to(BEN)
    assert ben_answer.messaging_type == "RESPONSE"
    (kim_answer,) = fake.messages_to(KIM)
    assert all(number in kim_answer.text for number in (*EMERGENCY_NUMBERS, "116 123"))

    # Closing at 10:45: exactly one offline notice, the configured picture with the notice as caption.
    (notice,) = fake.live_notices()
    assert START + timedelta(minutes=45) <= notice.timestamp <= START + timedelta(minutes=47)
    assert notice.caption.strip() and notice.image_url == "https://www.example.nhs.uk/social/offline.jpg"

    # Closed: an ordinary question waits for the morning, danger is still answered by the safety screen.
    assert fake.replies_to(waiting) == [] and not waiting.hidden
    danger_reply = only_reply(fake, danger)
    assert all(number in danger_reply for number in EMERGENCY_NUMBERS)

    # The bot never answers itself, and nothing was sent twice.
    own = fake.own_comments()
    assert all(c.parent_id and fake.comments[c.parent_id].author.id != fake.account.id for c in own)
    assert len(fake.sent) == len({(s.recipient.get("id"), s.recipient.get("comment_id")) for s in fake.sent})


def test_the_notice_comes_down_when_monitoring_resumes(tmp_path: Path, fake_instagram_graph: FakeInstagramGraph) -> None:
    fake = fake_instagram_graph
    clock = Clock(START + timedelta(minutes=46))
    fake.now = clock.now
    settings = load_settings({}, write_setup(tmp_path, fake))
    (account,) = settings.accounts
    service = Service(settings, clock=clock, adapters={account.name: create(settings.account_config(account),
                                                                             clock=clock)},
                      out=io.StringIO(), rng=random.Random(5))
    try:
        service.tick()
        (notice,) = fake.live_notices()
        clock.now = fake.now = datetime(2026, 11, 25, 8, 1, tzinfo=timezone.utc)  # Wednesday, open again
        service.tick()
        assert notice.deleted and fake.live_notices() == []
    finally:
        service.stop()


def test_housebot_check_names_what_the_token_lacks(tmp_path: Path, fake_instagram_graph: FakeInstagramGraph,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    env_file = write_setup(tmp_path, fake_instagram_graph)
    assert main(["--env", str(env_file), "check"]) == 0
    out = capsys.readouterr().out
    assert "leeds-ig: ok (@nhsleeds (17841400000000001))" in out and "warning" not in out

    fake_instagram_graph.permissions.discard("instagram_manage_comments")
    assert main(["--env", str(env_file), "check"]) == 1
    assert ("leeds-ig: Instagram account @nhsleeds: token lacks instagram_manage_comments; comments will not be "
            "read, and replies, hide and delete on comments will not work") in capsys.readouterr().out.splitlines()


def test_a_missing_secret_names_the_variable_and_the_file(tmp_path: Path, fake_instagram_graph: FakeInstagramGraph,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    env_file = write_setup(tmp_path, fake_instagram_graph)
    env_file.write_text("".join(line + "\n" for line in env_file.read_text().splitlines()
                                if not line.startswith("LEEDS_IG_IG_USER_ID=")), encoding="utf-8")
    assert main(["--env", str(env_file), "check"]) == 2
    assert "LEEDS_IG_IG_USER_ID: missing: account 'leeds-ig' (instagram, api = 'graph') needs them" in capsys.readouterr().err


def test_an_unknown_api_names_the_file_and_key(tmp_path: Path, fake_instagram_graph: FakeInstagramGraph,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    env_file = write_setup(tmp_path, fake_instagram_graph)
    config = tmp_path / "housebot.toml"
    config.write_text(config.read_text().replace('type = "instagram"\n', 'type = "instagram"\napi = "phone"\n'))
    assert main(["--env", str(env_file), "check"]) == 2
    assert "accounts[0].api: unknown API 'phone' for type 'instagram'; known: graph, instagrapi" in capsys.readouterr().err


# -- faults, through the whole service ------------------------------------------------------------------
def service_for(tmp_path: Path, fake: FakeInstagramGraph, clock: Clock, timeout: float = 2.0) -> Service:
    env_file = write_setup(tmp_path, fake)
    config = tmp_path / "housebot.toml"
    config.write_text(config.read_text().replace("timeout_seconds = 2\n", f"timeout_seconds = {timeout}\n"))
    settings = load_settings({}, env_file)
    (account,) = settings.accounts
    return Service(settings, clock=clock, adapters={account.name: create(settings.account_config(account), clock=clock)},
                   out=io.StringIO(), rng=random.Random(5))


def wait_for(condition: Callable[[], bool], what: str, limit_seconds: float = 5.0) -> None:
    """The fake's server thread finishes a slow request on its own time: wait for it, never longer than needed."""
    deadline = time.monotonic() + limit_seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_a_throttle_waits_for_instagrams_reset_then_answers_once(tmp_path: Path,
                                                                 fake_instagram_graph: FakeInstagramGraph) -> None:
    fake = fake_instagram_graph
    clock = Clock(START)
    fake.now = START
    service = service_for(tmp_path, fake, clock)
    try:
        post = fake.add_media("Flu jabs", START - timedelta(hours=1))
        question = fake.add_comment(post, SARAH, "Is the walk-in centre open on Saturday?", START)
        fake.inject(Fault(r"/media$", rate_limit_reply(fake.account.id, 12), method="GET"))
        for minute in (1, 5, 10):
            clock.now = fake.now = START + timedelta(minutes=minute)
            service.tick()
        assert fake.replies_to(question) == []
        assert len(fake.calls("GET", f"/{fake.account.id}/media")) == 1  # it waited instead of hammering
        clock.now = fake.now = START + timedelta(minutes=14)
        service.tick()
        service.tick()
        assert len(fake.replies_to(question)) == 1
    finally:
        service.stop()


def test_an_expired_token_pauses_the_account(tmp_path: Path, fake_instagram_graph: FakeInstagramGraph) -> None:
    fake = fake_instagram_graph
    clock = Clock(START)
    fake.now = START
    service = service_for(tmp_path, fake, clock)
    try:
        fake.token_valid = False
        clock.now = fake.now = START + timedelta(minutes=1)
        service.tick()
        assert "access token was refused" in (service.store.paused_reason("leeds-ig") or "")
    finally:
        service.stop()


def test_a_reply_that_timed_out_after_instagram_made_it_is_not_sent_again(
        tmp_path: Path, fake_instagram_graph: FakeInstagramGraph) -> None:
    fake = fake_instagram_graph
    clock = Clock(START)
    fake.now = START
    service = service_for(tmp_path, fake, clock, timeout=0.3)
    try:
        post = fake.add_media("Flu jabs", START - timedelta(hours=1))
        question = fake.add_comment(post, SARAH, "Is the walk-in centre open on Saturday?", START)
        fake.inject(Fault(r"/replies$", delay_seconds=0.6, method="POST"))  # made, but answered too late
        clock.now = fake.now = START + timedelta(minutes=1)
        service.tick()
        wait_for(lambda: len(fake.replies_to(question)) == 1, "the fake made the slow reply")
        for minute in (2, 5, 10, 20):
            clock.now = fake.now = START + timedelta(minutes=minute)
            service.tick()
        assert len(fake.replies_to(question)) == 1
        assert len(fake.calls("POST", f"/{question.id}/replies")) == 1  # asked Instagram, never re-sent
    finally:
        service.stop()
