"""The whole bot on one Instagram account for a scripted hour.

The settings file, `.env` secrets, policy and replies are the real ones (the policy with automatic
blocking switched on, the replies with a biography-sized offline notice). The service builds the
Instagram adapter itself; instagrapi talks HTTP to the fake. The test moves the clock and ticks
the service at its own poll interval, as the scheduler would (no thread, no wall time, so a
loaded machine cannot make it fail); the fake shows each scripted message only once that clock
reaches it. Every reply,
delete, block and notice is then checked on the fake's side. `housebot check` runs against the
same fake.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.service import Service
from bot.settings import load_settings
from tests.fakes.instagram import CHALLENGE_REQUIRED, FakeComment, FakeInstagram, FakeItem, FakeMedia
from tests.fakes.server import Fault
from tests.helpers import LONDON, OFFICE_HOURS_TABLE, ORGANISATION, REPO, Clock, environment, run_until

START = datetime(2026, 6, 3, 16, 5, tzinfo=LONDON)  # a Wednesday; monitored 09:00-17:00

ACCOUNT = """
[[accounts]]
name = "leeds-ig"
type = "instagram"
api = "instagrapi"
handle = "@nhsleeds"
display_name = "NHS Leeds on Instagram"
safety_screen = false
""" + OFFICE_HOURS_TABLE + """
[accounts.options]
api_base_url = "{url}"
timeout_seconds = 5
"""

def at(hour: int, minute: int) -> datetime:
    return START.replace(hour=hour, minute=minute)


@pytest.fixture
def fake() -> Iterator[FakeInstagram]:
    fake = FakeInstagram().start()
    yield fake
    fake.stop()


def policy_with_auto_block(tmp_path: Path) -> Path:
    """The real policy, but a third strike blocks instead of asking staff to approve a block."""
    text = (REPO / "config" / "policy.toml").read_text(encoding="utf-8")
    third_strike = 'strikes = 3\nreason = "Third breach: staff are asked to approve a block."\nactions = [{ kind = "review", team = "comms" }]'
    assert "auto_block = false" in text and third_strike in text, "config/policy.toml changed: update this test"
    text = text.replace("auto_block = false", "auto_block = true").replace(
        third_strike, 'strikes = 3\nreason = "Third breach: blocked."\nactions = [{ kind = "block" }]'
    )
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def replies_to(fake: FakeInstagram, comment: FakeComment) -> list[FakeComment]:
    return [c for c in fake.own_comments() if c.replied_to_comment_id == comment.pk]


def answers_in_thread(fake: FakeInstagram, message: FakeItem) -> list[str]:
    """What the account sent in the direct thread that holds `message`, after it."""
    [thread] = [t for t in fake.threads.values() if message in t.items]
    return [i.text for i in thread.items if i.user_pk == fake.account.pk and i.timestamp_us > message.timestamp_us]


def directs_to(fake: FakeInstagram, username: str) -> list[str]:
    return [item.text for thread_id, item in fake.sent_directs() if fake.threads[thread_id].other.username == username]


def deployment(tmp_path: Path, fake: FakeInstagram, more_options: str = "") -> tuple[dict[str, str], Path]:
    """Settings file, `.env` with the account's secrets, and a session saved by an earlier login."""
    config = tmp_path / "housebot.toml"
    config.write_text(ORGANISATION + ACCOUNT.replace("{url}", fake.url) + more_options, encoding="utf-8")
    (tmp_path / ".env").write_text("LEEDS_IG_USERNAME=nhsleeds\nLEEDS_IG_PASSWORD=correct horse\n", encoding="utf-8")
    environ = {
        **environment(tmp_path, config),
        "HOUSEBOT_POLICY": str(policy_with_auto_block(tmp_path)),
        "HOUSEBOT_RESPONSES": str(REPO / "responses"),
    }
    settings = load_settings(environ, tmp_path / ".env")
    state_dir = settings.account_config(settings.accounts[0]).state_dir
    state_dir.mkdir(parents=True)
    fake.write_session(state_dir / "instagram-leeds-ig-session.json")
    return environ, state_dir


def test_an_hour_on_instagram(tmp_path: Path, fake: FakeInstagram) -> None:
    environ, state_dir = deployment(tmp_path, fake)
    settings = load_settings(environ, tmp_path / ".env")

    original_biography = fake.biography
    post: FakeMedia = fake.add_media("Flu jabs are available at your GP practice", at=at(9, 0))
    asker, troll, threat, oversharer = (fake.user(n) for n in ("asker", "troll", "angryvisitor", "worriedson"))
    worried, complainer = fake.user("worried"), fake.user("complainer")
    question = fake.add_comment(
        post,
        asker,
        "Hi, does anyone know if the walk-in centre at St George's is open on Saturday mornings?",
        at=at(16, 10),
    )
    insults = [
        fake.add_comment(
            post, troll, "You lot are useless f***ing idiots, the whole lot of you should be sacked", at=at(16, 15)
        ),
        fake.add_comment(post, troll, "Shut up you stupid cow, nobody cares what you think", at=at(16, 30)),
        fake.add_comment(
            post, troll, "f.u.c.k off with your stupid c0vid adverts you bunch of t w a t s", at=at(16, 35)
        ),
    ]
    danger = fake.add_direct(
        worried,
        "I don't see the point in carrying on anymore. I've been stockpiling my tablets and I think tonight is the night",
        at=at(16, 20),
    )
    menace = fake.add_comment(
        post,
        threat,
        "That receptionist at Burmantofts surgery had better watch herself. I know where she lives and I'll be "
        "waiting for her after her shift",
        at=at(16, 25),
    )
    complaint = fake.add_direct(
        complainer, "3 hours in A&E at the LGI and still not seen, this wait is bloody ridiculous", at=at(16, 40)
    )
    overshare = fake.add_comment(
        post,
        oversharer,
        "Can someone ring me about my mum's referral? Her NHS number is 943 476 5919 and my mobile is 07700 900123",
        at=at(16, 45),
    )

    clock = Clock(START)
    fake.clock = clock
    service = Service(settings, clock=clock, out=io.StringIO(), rng=random.Random(7))
    try:
        run_until(service, clock, at(17, 10))
    finally:
        service.stop()

    # An ordinary question: one public answer under it, naming the asker.
    [answer] = replies_to(fake, question)
    assert answer.text.startswith("@asker ")
    # Abuse: Instagram cannot hide one comment, so the policy holds it for staff and redirects the author.
    assert all(comment in fake.comments for comment in insults)
    assert replies_to(fake, insults[0]) and replies_to(fake, insults[0])[0].text.startswith("@troll ")
    # The third strike blocks.
    assert fake.blocked == {troll.pk}
    # A threat: hide is not offered, so it is deleted (the bot keeps it as evidence and alerts security);
    # Instagram then refuses a reply under the deleted comment, and the refusal goes to staff.
    assert menace in fake.deleted and menace not in fake.comments
    assert replies_to(fake, menace) == []
    # Private details in public: deleted, and the author advised privately, not in public.
    assert overshare in fake.deleted and replies_to(fake, overshare) == []
    [advice] = directs_to(fake, "worriedson")
    assert "private details" in advice
    # Someone in danger gets emergency signposting, privately, in their own thread.
    [signposting] = answers_in_thread(fake, danger)
    assert "999" in signposting and "111" in signposting
    # A complaint is pointed to the complaints page, in the same thread.
    [redirect] = answers_in_thread(fake, complaint)
    assert "https://www.example.nhs.uk/complaints" in redirect
    # Nobody is answered twice, and nothing else was said.
    public = [c.replied_to_comment_id for c in fake.own_comments()]
    assert len(public) == len(set(public)) == 4  # the question and the three insults
    assert len(fake.sent_directs()) == 3
    # At 17:00 the offline notice replaces the biography; the original is kept to restore.
    assert "999" in fake.biography and "111" in fake.biography and len(fake.biography) <= 150
    assert original_biography in (state_dir / "instagram-leeds-ig-biography.json").read_text(encoding="utf-8")
    # The saved session was reused: one validation, no password login.
    assert len(fake.requests_to("/accounts/current_user/")) >= 1 and not fake.requests_to("/graphql_www")


def test_an_offline_notice_post_goes_up_at_closing_and_comes_down_at_opening(
    tmp_path: Path, fake: FakeInstagram
) -> None:
    environ, state_dir = deployment(tmp_path, fake, 'notice_kind = "post"\n')
    settings = load_settings(environ, tmp_path / ".env")
    original_biography = fake.biography
    clock = Clock(at(16, 58))
    fake.clock = clock
    service = Service(settings, clock=clock, out=io.StringIO(), rng=random.Random(7))
    try:
        service.tick()
        assert fake.medias == []
        clock.advance(minutes=3)  # 17:01, closed
        service.tick()
        service.tick()  # one notice per closing, however often the bot looks
        [notice] = fake.medias
        assert "999" in notice.caption and "111" in notice.caption and notice.accessibility_caption == notice.caption
        assert notice.image.startswith(b"\xff\xd8") and (notice.width, notice.height) == (1080, 1080)
        assert fake.biography == original_biography
        clock.advance(hours=16)  # 09:01 the next morning, open again
        service.tick()
        assert fake.medias == [] and fake.deleted_medias == [notice]
        assert not (state_dir / "instagram-leeds-ig-notice.json").exists()
    finally:
        service.close()


def run_check(
    tmp_path: Path, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str]]:
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    code = main(["--env", str(tmp_path / ".env"), "check"])
    return code, capsys.readouterr().out.splitlines()


def test_housebot_check_says_ok_with_the_instagram_identity(
    tmp_path: Path, fake: FakeInstagram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environ, _ = deployment(tmp_path, fake)
    code, lines = run_check(tmp_path, environ, monkeypatch, capsys)
    assert code == 0
    assert ("leeds-ig: ok (@nhsleeds (NHS Leeds)); while open reads comments every 120s, direct_messages every 60s; "
            "following back partners (at most 20 a day)") in lines


def test_housebot_check_says_exactly_what_will_not_work(
    tmp_path: Path, fake: FakeInstagram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environ, _ = deployment(tmp_path, fake)
    fake.direct_forbidden = True
    code, lines = run_check(tmp_path, environ, monkeypatch, capsys)
    assert code == 1
    warning, problem = [line for line in lines if line.startswith("leeds-ig:")]
    assert warning.startswith("leeds-ig: warning: instagrapi logs in as the Instagram phone app, which "
                              "Instagram's terms do not permit")
    assert problem.startswith("leeds-ig: Instagram account leeds-ig: the direct inbox cannot be read")
    assert problem.endswith("private messages will not be handled")


def test_housebot_check_when_instagram_wants_a_security_check(
    tmp_path: Path, fake: FakeInstagram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environ, _ = deployment(tmp_path, fake)
    fake.server.inject(Fault(r"/accounts/current_user/", CHALLENGE_REQUIRED))
    code, lines = run_check(tmp_path, environ, monkeypatch, capsys)
    assert code == 1
    assert (
        "leeds-ig: Instagram account leeds-ig: Instagram wants a security check; open the Instagram app for "
        "this account, complete it, then run housebot check" in lines
    )
