"""The whole bot looking after a Facebook Page on the fake Graph API for an hour.

A settings file in tmp_path names one Facebook account whose `api_base_url` is the fake; its
secrets come from a `.env` file under the account's prefix, as `housebot` reads them. The test
moves the injected clock, and the fake's clock with it, through a scripted hour and ticks the
service at each moment, as the scheduler would (no thread, no wall time, so a loaded machine
cannot make it fail): the Page is open until 10:45,
then closed with the safety screen on. Everything is checked on the fake's side: every reply, hide,
delete, ban, Messenger answer and the offline notice. `housebot check` is run against it too.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from adapters.facebook import create
from bot.cli import main
from bot.service import Service
from bot.settings import Settings, load_settings
from tests.fakes.facebook import Comment, FakeFacebook, Person, facebook_server, fake_facebook
from tests.helpers import ORGANISATION, REPO, Clock, environment

__all__ = ["facebook_server", "fake_facebook"]  # fixtures, imported so pytest finds them here

START = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)  # a Tuesday; London is on UTC in November
EMERGENCY_NUMBERS = ("999", "111")

SARAH = Person("7001", "Sarah Wood")
DAVE = Person("7002", "Dave O'Neill")
TROLL = Person("7003", "Angry Anon")
MAL = Person("7004", "Mal Content")
PAT = Person("7005", "Pat Private")
SPAMMER = Person("7006", "Keto Deals")
BEN = Person("7007", "Ben Jones")
KIM = Person("7008", "Kim")
LATE = Person("7009", "Night Owl")
RUTH = Person("7010", "Ruth")

ACCOUNT = """
[[accounts]]
name = "leeds-facebook"
type = "facebook"
handle = "NHS Leeds"
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
engaged_users = 100000   # a big Page: Meta's budget is then far above the test's cadence
"""


def policy_with_auto_block(tmp_path: Path) -> Path:
    """The shipped policy, with blocking on the third strike done by the bot instead of proposed."""
    text = (REPO / "config" / "policy.toml").read_text(encoding="utf-8")
    text = text.replace("auto_block = false", "auto_block = true")
    third = 'reason = "Third breach: staff are asked to approve a block."\nactions = [{ kind = "review", team = "comms" }]'
    assert third in text, "the shipped policy's strike ladder changed: update this test"
    text = text.replace(third, 'reason = "Third breach: banned from the Page."\nactions = [{ kind = "block" }]')
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_setup(tmp_path: Path, fake: FakeFacebook) -> Path:
    """Files as `housebot` reads them: a TOML settings file and a `.env` naming it and the secrets."""
    organisation = ORGANISATION.replace("poll_seconds = 60", "poll_seconds = 0.02")
    assert organisation != ORGANISATION, "the shared settings changed: update this test"
    config = tmp_path / "housebot.toml"
    config.write_text(organisation + ACCOUNT.replace("{url}", fake.url), encoding="utf-8")
    env = {**environment(tmp_path, config), "HOUSEBOT_POLICY": str(policy_with_auto_block(tmp_path)),
           "LEEDS_FACEBOOK_PAGE_ACCESS_TOKEN": fake.token, "LEEDS_FACEBOOK_PAGE_ID": fake.page.id}
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()), encoding="utf-8")
    return env_file


def facebook_settings(tmp_path: Path, fake: FakeFacebook) -> Settings:
    return load_settings({}, write_setup(tmp_path, fake))


class Hour:
    """The scripted hour: people write on the fake, the clocks move, the bot polls."""

    def __init__(self, fake: FakeFacebook, clock: Clock, service: Service) -> None:
        self.fake, self.clock, self.service = fake, clock, service

    def at(self, minute: int) -> datetime:
        """Move both clocks to START + minute, then run two polls at that time, as the scheduler would."""
        self.clock.now = self.fake.now = START + timedelta(minutes=minute)
        self.service.tick()
        self.service.tick()
        return self.clock.now


@pytest.fixture
def hour(tmp_path: Path, fake_facebook: FakeFacebook) -> Iterator[Hour]:
    fake_facebook.now = START
    clock = Clock(START)
    settings = facebook_settings(tmp_path, fake_facebook)
    (account,) = settings.accounts
    adapter = create(settings.account_config(account), clock=clock)
    service = Service(settings, clock=clock, adapters={account.name: adapter}, out=io.StringIO(), rng=random.Random(5))
    try:
        yield Hour(fake_facebook, clock, service)
    finally:
        service.stop()


def only_reply(fake: FakeFacebook, comment: Comment) -> str:
    replies = fake.replies_to(comment)
    assert len(replies) == 1, [r.message for r in replies]
    return replies[0].message


def test_an_hour_on_a_facebook_page(hour: Hour) -> None:
    fake = hour.fake
    post = fake.add_post("Flu jabs are available this week at Seacroft and Chapel Allerton.", START - timedelta(hours=1))

    question = fake.add_comment(post, SARAH, "Hi, does anyone know if the walk-in centre at St George's is "
                                             "open on Saturday mornings?", hour.at(1))
    complaint = fake.add_comment(post, DAVE, "3 hours in A&E at the LGI and still not seen, this wait is "
                                             "bloody ridiculous", hour.at(3))
    abuse = [fake.add_comment(post, TROLL, text, hour.at(minute)) for minute, text in (
        (5, "You lot are useless f***ing idiots, the whole lot of you should be sacked"),
        (7, "Shut up you stupid cow, nobody cares what you think"),
        (9, "Go kill yourselves you pathetic NHS parasites"),
    )]
    threat_at = hour.at(11)
    with fake.lock:  # Facebook will not let the Page hide this one: the policy falls back to delete
        threat = fake.add_comment(post, MAL, "That receptionist at Burmantofts surgery had better watch herself. "
                                             "I know where she lives and I'll be waiting for her after her shift",
                                  threat_at)
        fake.unhideable.add(threat.id)
    overshare = fake.add_comment(post, PAT, "Can someone ring me about my mum's referral? Her NHS number is "
                                            "943 476 5919 and my mobile is 07700 900123", hour.at(13))
    spam = fake.add_comment(post, SPAMMER, "LOSE 10KG IN 10 DAYS!!! Miracle keto pills, doctors hate this, "
                                           "order now at http://bit.ly/slim-fast-now", hour.at(15))
    fake.add_message(BEN, "Hi, when can I get my flu jab this year? I'm 78 and my GP hasn't sent anything yet",
                     hour.at(20))
    fake.add_message(KIM, "I don't see the point in carrying on anymore. I've been stockpiling my tablets and "
                          "I think tonight is the night", hour.at(25))
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
    assert not question.is_hidden and not complaint.is_hidden and not complaint.deleted

    # Abuse: each one hidden with one redirecting reply; the third strike bans the author from the Page.
    assert all(comment.is_hidden for comment in abuse)
    assert all(len(fake.replies_to(comment)) == 1 for comment in abuse)
    assert fake.blocked == {TROLL.id}

    # A threat that cannot be hidden is deleted instead (the policy's fallback), on the fake's side.
    assert threat.deleted and not threat.is_hidden
    assert fake.calls("POST", f"/{threat.id}") == []  # the adapter refused before asking Facebook

    # Oversharing: hidden, and the author advised privately through a private reply to the comment.
    assert overshare.is_hidden
    (advice,) = fake.private_replies_to(overshare)
    assert "943 476 5919" not in advice.text

    # Spam: hidden without a word.
    assert spam.is_hidden and fake.replies_to(spam) == []

    # Messenger: answered inside the 24-hour window, as RESPONSE; danger gets emergency numbers.
    (ben_answer,) = fake.messages_to(BEN)
    assert ben_answer.messaging_type == "RESPONSE"
    (kim_answer,) = fake.messages_to(KIM)
    assert all(number in kim_answer.text for number in (*EMERGENCY_NUMBERS, "116 123"))

    # Closing at 10:45: exactly one offline notice on the Page.
    (notice,) = fake.notices
    assert START + timedelta(minutes=45) <= notice.created_time <= START + timedelta(minutes=47)
    assert notice.message.strip()

    # Closed: an ordinary question waits for the morning, danger is still answered by the safety screen.
    assert fake.replies_to(waiting) == [] and not waiting.is_hidden
    danger_reply = only_reply(fake, danger)
    assert all(number in danger_reply for number in EMERGENCY_NUMBERS)

    # The bot never answers itself, and nothing was sent twice.
    page_comments = fake.page_comments()
    assert all(fake.comments[c.parent_id].author.id != fake.page.id for c in page_comments)
    assert len(page_comments) == len({c.parent_id for c in page_comments})
    assert len(fake.sent) == len({(s.recipient.get("id"), s.recipient.get("comment_id")) for s in fake.sent})


def test_housebot_check_says_what_a_page_token_lacks(tmp_path: Path, fake_facebook: FakeFacebook,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    env_file = write_setup(tmp_path, fake_facebook)
    assert main(["--env", str(env_file), "check"]) == 0
    assert "leeds-facebook: ok (Leeds Health (1122334455))" in capsys.readouterr().out

    fake_facebook.permissions.discard("pages_manage_engagement")
    assert main(["--env", str(env_file), "check"]) == 1
    assert ("leeds-facebook: Facebook page Leeds Health: token lacks pages_manage_engagement; "
            "replies, hide, delete and bans on comments will not work") in capsys.readouterr().out.splitlines()

    fake_facebook.token_valid = False
    assert main(["--env", str(env_file), "check"]) == 1
    assert "access token was refused" in capsys.readouterr().out
