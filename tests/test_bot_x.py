"""The whole bot looking after one X account on the fake X for a scripted hour.

The service builds the real X adapter from a settings file (its `api_base_url` is the fake's) and
secrets in the environment; the test moves the clock and ticks the service at its own poll
interval, as the scheduler would (no thread, no wall time, so a loaded machine cannot make it
fail), and everything it did is checked on the fake's side: replies, hides, direct messages,
mutes, the offline notice, and that nothing was sent twice or to an endpoint X does not have.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.service import Service
from tests.fakes.x import OWN_ID, FakeX, Post, fake_x  # noqa: F401
from tests.helpers import LONDON, Clock, environment, run_until, write_settings

OPENS = datetime(2026, 6, 3, 9, 0, tzinfo=LONDON)  # a Wednesday
CLOSES = OPENS + timedelta(hours=1)

X_ACCOUNT = """
[[accounts]]
name = "leeds_x"
type = "x"
handle = "@NHSLeeds"
display_name = "NHS Leeds"
env_prefix = "LEEDS_X"
safety_screen = false
[accounts.options]
api_base_url = "{url}"
timeout_seconds = 2
[accounts.hours]
wednesday = ["09:00-10:00"]
bank_holidays = "closed"
"""


def test_a_scripted_hour_on_x(fake_x: FakeX, tmp_path: Path) -> None:
    secrets = {f"LEEDS_X_{name}": value for name, value in fake_x.secrets().items()}
    settings = write_settings(tmp_path, X_ACCOUNT.format(url=fake_x.url), secrets)
    clock = Clock(OPENS)
    fake_x.now = OPENS

    # 09:00 -- the account's own post, and what people say under it and elsewhere
    ours = fake_x.own_post("Flu and COVID-19 vaccination clinics are open across Leeds this week.")
    question = fake_x.mention("sarah_leeds", "Does the walk-in centre at St George's open on Saturday mornings?")
    screening = fake_x.reply_to(ours, "jen_h", "Just got my breast screening letter through, is it OK to bring "
                                               "my daughter with me to the appointment?")
    complaint = fake_x.mention("daveo", "3 hours in A&E at the LGI and still not seen, this wait is bloody ridiculous")
    abuse_ours = fake_x.reply_to(ours, "mike_t", "You lot are useless f***ing idiots, the whole lot of you should "
                                                 "be sacked")
    elsewhere = fake_x.mention("bob_b", "Anyone else waiting ages for a GP appointment?")
    abuse_theirs = fake_x.reply_to(elsewhere, "mike_t2", "@bob_b @NHSLeeds you lot are useless f***ing idiots")
    fake_x.user("pat_k", "Pat Kelly", accepts_dms_from_anyone=True)
    overshare = fake_x.reply_to(ours, "pat_k", "Can someone ring me about my mum's referral? Her NHS number is "
                                               "943 476 5919 and my mobile is 07700 900123")
    danger_dm = fake_x.dm("quietone22", "I don't see the point in carrying on anymore. I've been stockpiling my "
                                        "tablets and I think tonight is the night")

    out = io.StringIO()
    service = Service(settings, clock=clock, out=out)
    try:
        # 09:30 -- more arrive while the bot is running
        run_until(service, clock, OPENS + timedelta(minutes=30))
        fake_x.now = clock.now
        threat = fake_x.reply_to(ours, "angry_al", "That receptionist at Burmantofts surgery had better watch "
                                                   "herself. I know where she lives and I'll be waiting for her "
                                                   "after her shift")
        later_dm = fake_x.dm("new_mum", "How do I register my baby with a GP?")
        run_until(service, clock, CLOSES + timedelta(minutes=5))
    finally:
        service.stop()

    def replied(post: Post) -> list[str]:
        return [p.text for p in fake_x.replies_to(post.id)]

    # Everyone answered in public got exactly one reply, under their own post.
    for post in (question, screening, complaint, abuse_ours, abuse_theirs, threat):
        assert len(replied(post)) == 1, (post.text, replied(post))
    assert "complain" in replied(complaint)[0].lower()

    # Hidden: abuse, the threat and the over-shared details in our own conversation.
    # Never hidden: a patient's question, a complaint, and anything in someone else's conversation.
    assert fake_x.hidden_ids() == {abuse_ours.id, threat.id, overshare.id}
    assert not any(r.path == f"/2/tweets/{abuse_theirs.id}/hidden" and r.method == "PUT" for r in fake_x.requests)

    # Private advice went by direct message to the person who over-shared (they accept DMs);
    # someone in danger always gets the emergency numbers; one answer per person.
    dms = fake_x.dms_from()
    pat = fake_x.user("pat_k")
    for sender in (pat.id, danger_dm.sender_id, later_dm.sender_id):
        assert len([d for d in dms if sender in d.participant_ids]) == 1, sender
    [to_danger] = [d for d in dms if danger_dm.sender_id in d.participant_ids]
    assert "999" in to_danger.text and "116 123" in to_danger.text

    # What X would not let the bot hide went to a person instead; danger and threats were urgent.
    console = out.getvalue()
    assert "staff alert [leeds_x] comms: abuse" in console
    assert "URGENT ALERT [leeds_x] safeguarding" in console and "URGENT ALERT [leeds_x] security" in console

    # One offline notice at 10:00, as a post of its own, with the emergency numbers.
    notices = [p for p in fake_x.posts_by() if not p.replied_to and p.id != ours.id]
    assert len(notices) == 1, [p.text for p in notices]
    assert "999" in notices[0].text and "111" in notices[0].text

    # No block was ever attempted (X has no endpoint for it), nothing was deleted, and the bot
    # never answered itself.
    assert not any("/blocking" in r.path for r in fake_x.requests)
    assert not any(r.method == "DELETE" for r in fake_x.requests)
    assert all(fake_x.posts[p.replied_to].author_id != OWN_ID for p in fake_x.posts_by() if p.replied_to)


def _check_command(fake: FakeX, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    secrets = {f"LEEDS_X_{name}": value for name, value in fake.secrets().items()}
    settings = write_settings(tmp_path, X_ACCOUNT.format(url=fake.url), secrets)
    env_file = tmp_path / "check.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in secrets.items()), encoding="utf-8")
    for key, value in environment(tmp_path, settings.config_file).items():
        monkeypatch.setenv(key, value)
    code = main(["--env", str(env_file), "check"])
    return code, capsys.readouterr().out


def test_housebot_check_says_ok_for_a_working_x_account(fake_x: FakeX, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = _check_command(fake_x, tmp_path, monkeypatch, capsys)
    assert code == 0
    assert f"leeds_x: ok (@NHSLeeds (NHS Leeds, id {OWN_ID}))" in printed


def test_housebot_check_says_exactly_what_the_free_tier_cannot_do(fake_x: FakeX, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    fake_x.can_read_mentions = False
    code, printed = _check_command(fake_x, tmp_path, monkeypatch, capsys)
    assert code == 1
    assert ("leeds_x: X account @NHSLeeds: the API access tier cannot read mentions (the free tier only posts); "
            "replies and moderation will not work") in printed.splitlines()
