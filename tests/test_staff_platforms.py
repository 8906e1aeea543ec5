"""Staff actions carried out on the fake platforms through the real client libraries.

X (tweepy): an approved block becomes a mute (X has no block endpoint), and undoing it unmutes;
a hide is undone by unhiding. Facebook (pyfacebook): an approved block bans the author from the
Page, undoing it unbans; a hide is undone by unhiding. Each time the platform receives exactly one
call, the action becomes done with the platform's id, and the audit names the person; a refusal is
failed with the platform's own words. The clock is moved by hand; nothing waits on wall time.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.facebook import create as create_facebook
from bot import staff
from bot.model import ActionKind
from bot.service import Service
from bot.staff import NotAllowed, ReplyTarget, Role, StaffMember
from bot.store import DONE, FAILED, Store
from tests.fakes.facebook import FakeFacebook, Person, facebook_server, fake_facebook
from tests.fakes.server import Fault
from tests.fakes.x import FakeX, fake_x, problem
from tests.helpers import ALWAYS_OPEN_TABLE, Clock, write_settings

__all__ = ["facebook_server", "fake_facebook", "fake_x"]  # fixtures, imported so pytest finds them here

ALEX = StaffMember("alex", Role.MODERATOR)
CLAIM = "The MMR jab causes autism, they've known for years and are covering it up"  # held for a person
ABUSE = "You lot are useless f***ing idiots, the whole lot of you should be sacked"  # hidden

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
""" + ALWAYS_OPEN_TABLE

FACEBOOK_ACCOUNT = """
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


def x_service(tmp_path: Path, fake: FakeX) -> tuple[Service, Clock, Store]:
    secrets = {f"LEEDS_X_{name}": value for name, value in fake.secrets().items()}
    settings = write_settings(tmp_path, X_ACCOUNT.format(url=fake.url), secrets)
    clock = Clock(fake.now)
    return Service(settings, clock=clock, out=io.StringIO()), clock, Store(settings.state_path)


def facebook_service(tmp_path: Path, fake: FakeFacebook) -> tuple[Service, Clock, Store]:
    secrets = {"LEEDS_FACEBOOK_PAGE_ACCESS_TOKEN": fake.token, "LEEDS_FACEBOOK_PAGE_ID": fake.page.id}
    settings = write_settings(tmp_path, FACEBOOK_ACCOUNT.format(url=fake.url), secrets)
    clock = Clock(fake.now)
    adapter = create_facebook(settings.account_config(settings.accounts[0]), clock=clock)
    service = Service(settings, clock=clock, adapters={"leeds-facebook": adapter}, out=io.StringIO())
    return service, clock, Store(settings.state_path)


def row_of(store: Store, native_id: str) -> int:
    [row] = store.read("SELECT id FROM inbound WHERE native_id=?", (native_id,))
    return int(row["id"])


def done_hide(store: Store, inbound_id: int) -> int:
    [hide] = [a.id for a in store.actions_for(inbound_id) if a.action.kind is ActionKind.HIDE and a.status == DONE]
    return hide


def test_on_x_an_approved_block_is_a_mute_and_undoing_it_unmutes_once(fake_x: FakeX, tmp_path: Path) -> None:
    ours = fake_x.own_post("Flu and COVID-19 vaccination clinics are open across Leeds this week.")
    claim = fake_x.reply_to(ours, "truthseeker99", CLAIM)
    service, clock, store = x_service(tmp_path, fake_x)
    try:
        service.tick()
        [review] = store.waiting_reviews("leeds_x")
        assert review.inbound_id == row_of(store, claim.id)
        with pytest.raises(NotAllowed, match="X deletes only the account.s own posts"):
            staff.take_down(store, ALEX, review.inbound_id, ActionKind.DELETE, "", clock.now)

        mute_id = staff.approve_block(store, ALEX, review.id, "repeated false claims", clock.advance(minutes=1))
        assert fake_x.mutes == set()
        service.tick()
        service.tick()
        author = fake_x.user("truthseeker99")
        assert fake_x.mutes == {author.id}
        assert len([r for r in fake_x.requests if r.method == "POST" and r.path.endswith("/muting")]) == 1
        mute = store.action(mute_id)
        assert (mute.action.kind, mute.status, mute.platform_ref, mute.requested_by) == (
            ActionKind.MUTE, DONE, author.id, "alex")

        unmute_id = staff.undo(store, ALEX, mute_id, "muted the wrong person", clock.advance(minutes=1))
        service.tick()
        service.tick()
        assert fake_x.mutes == set()
        unmutes = [r for r in fake_x.requests if r.method == "DELETE" and "/muting/" in r.path]
        assert [r.path.rsplit("/", 1)[-1] for r in unmutes] == [author.id]
        assert store.action(unmute_id).status == DONE and store.action(unmute_id).platform_ref == author.id
        assert [(e.who, e.what, e.action_id) for e in staff.audit_trail(store)] == [
            ("alex", "undo", unmute_id), ("alex", "approve_block", mute_id)]
    finally:
        store.close()
        service.stop()


def test_on_x_a_hide_is_undone_by_unhiding_and_a_refusal_keeps_xs_words(fake_x: FakeX, tmp_path: Path) -> None:
    ours = fake_x.own_post("Flu and COVID-19 vaccination clinics are open across Leeds this week.")
    abuse = fake_x.reply_to(ours, "mike_t", ABUSE)
    service, clock, store = x_service(tmp_path, fake_x)
    try:
        service.tick()
        assert fake_x.hidden_ids() == {abuse.id}
        hide_id = done_hide(store, row_of(store, abuse.id))

        fake_x.inject(Fault(rf"/2/tweets/{abuse.id}/hidden", problem(
            403, "Forbidden", "You can only hide or unhide replies to conversations you authored."), method="PUT"))
        refused = staff.undo(store, ALEX, hide_id, "", clock.advance(minutes=1))
        service.tick()
        failed = store.action(refused)
        assert failed.status == FAILED
        assert "You can only hide or unhide replies to conversations you authored." in (failed.error or "")
        assert fake_x.hidden_ids() == {abuse.id}

        unhide_id = staff.undo(store, ALEX, hide_id, "sarcasm, not abuse", clock.advance(minutes=1))
        service.tick()
        service.tick()
        assert fake_x.hidden_ids() == set()
        puts = [r for r in fake_x.requests if r.method == "PUT" and r.path.endswith(f"/{abuse.id}/hidden")]
        assert [r.json()["hidden"] for r in puts] == [True, False, False]  # hide, the refused try, the unhide
        assert store.action(unhide_id).status == DONE and store.action(unhide_id).platform_ref == abuse.id
    finally:
        store.close()
        service.stop()


def test_on_facebook_a_ban_and_a_hide_are_undone_once_each(fake_facebook: FakeFacebook, tmp_path: Path) -> None:
    troll, truther = Person("7101", "Angry Anon"), Person("7102", "Truth Seeker")
    post = fake_facebook.add_post("Flu clinics this week", fake_facebook.now - timedelta(minutes=30))
    abuse = fake_facebook.add_comment(post, troll, ABUSE, fake_facebook.now - timedelta(minutes=5))
    claim = fake_facebook.add_comment(post, truther, CLAIM, fake_facebook.now - timedelta(minutes=4))
    question = fake_facebook.add_comment(post, Person("7104", "Sarah"), "Is the clinic open late on Thursday?",
                                         fake_facebook.now - timedelta(minutes=3))
    fake_facebook.unhideable.add(question.id)
    service, clock, store = facebook_service(tmp_path, fake_facebook)
    try:
        service.tick()
        assert abuse.is_hidden
        with pytest.raises(NotAllowed, match="Facebook does not let the account hide this comment"):
            staff.take_down(store, ALEX, row_of(store, question.id), ActionKind.HIDE, "", clock.now)
        [review] = store.waiting_reviews("leeds-facebook")
        assert review.inbound_id == row_of(store, claim.id)

        ban_id = staff.approve_block(store, ALEX, review.id, "false claims again", clock.advance(minutes=1))
        unhide_id = staff.undo(store, ALEX, done_hide(store, row_of(store, abuse.id)), "fair comment", clock.now)
        service.tick()
        service.tick()
        assert fake_facebook.blocked == {truther.id} and not abuse.is_hidden
        assert len(fake_facebook.calls("POST", "/blocked")) == 1
        assert store.action(ban_id).status == DONE and store.action(ban_id).requested_by == "alex"
        assert store.action(unhide_id).status == DONE and store.action(unhide_id).platform_ref

        unban_id = staff.undo(store, ALEX, ban_id, "banned by mistake", clock.advance(minutes=1))
        service.tick()
        service.tick()
        assert fake_facebook.blocked == set()
        assert len(fake_facebook.calls("DELETE", "/blocked")) == 1
        assert store.action(unban_id).status == DONE
        assert [e.what for e in staff.audit_trail(store)] == ["undo", "undo", "approve_block"]
    finally:
        store.close()
        service.stop()


def test_on_facebook_messenger_is_answered_by_staff_only_within_24_hours(fake_facebook: FakeFacebook,
                                                                          tmp_path: Path) -> None:
    ben = Person("7103", "Ben Jones")
    fake_facebook.add_message(ben, "When can I get my flu jab this year?", fake_facebook.now - timedelta(minutes=5))
    service, clock, store = facebook_service(tmp_path, fake_facebook)
    try:
        service.tick()
        [row] = store.read("SELECT id FROM inbound WHERE channel='private'")
        text = "Hi Ben, your GP surgery will write to you in October. Thanks for asking."
        clock.advance(hours=2)
        reply_id = staff.send_reply(store, service.settings, ALEX, row["id"], text, clock.now,
                                    target=ReplyTarget.INBOUND)
        service.tick()
        assert [m.text for m in fake_facebook.messages_to(ben)][-1] == text
        assert store.action(reply_id).status == DONE
        clock.advance(hours=23)
        with pytest.raises(NotAllowed, match="only within 24 hours"):
            staff.send_reply(store, service.settings, ALEX, row["id"], text, clock.now, target=ReplyTarget.INBOUND)
    finally:
        store.close()
        service.stop()


def test_on_x_staff_follow_an_author_from_a_message_once_and_unfollow_them(fake_x: FakeX, tmp_path: Path) -> None:
    ours = fake_x.own_post("Flu and COVID-19 vaccination clinics are open across Leeds this week.")
    thanks = fake_x.reply_to(ours, "leeds_carers", "Thank you, sharing this with our members")
    service, clock, store = x_service(tmp_path, fake_x)
    try:
        service.tick()
        inbound_id = row_of(store, thanks.id)
        follow_id = staff.follow_author(store, ALEX, inbound_id, ActionKind.FOLLOW, "local carers' charity",
                                        clock.advance(minutes=1))
        service.tick()
        service.tick()
        author = fake_x.user("leeds_carers")
        assert author.id in fake_x.following
        assert len([r for r in fake_x.requests if r.method == "POST" and r.path.endswith("/following")]) == 1
        followed = store.action(follow_id)
        assert (followed.status, followed.platform_ref, followed.requested_by) == (DONE, author.id, "alex")

        unfollow_id = staff.follow_author(store, ALEX, inbound_id, ActionKind.UNFOLLOW, "", clock.advance(minutes=1))
        service.tick()
        assert author.id not in fake_x.following and store.action(unfollow_id).status == DONE
        assert [e.what for e in staff.audit_trail(store)] == ["unfollow", "follow"]
        with pytest.raises(NotAllowed, match="followed or unfollowed"):
            staff.follow_author(store, ALEX, inbound_id, ActionKind.HIDE, "", clock.now)
    finally:
        store.close()
        service.stop()
