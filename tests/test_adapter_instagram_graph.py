"""The official-API Instagram adapter through the real python-facebook-api, over HTTP, against the fake.

Every assertion about what the bot did is made on the fake's side: its state (comments, hidden
flags, replies, messages sent, notices) and the requests the library really sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import adapters
from adapters.base import AccountConfig, ActionRefused, AuthFailed, PlatformUnavailable, RateLimited
from adapters.instagram_graph import (
    COMMENTS,
    MENTIONS,
    MESSAGES,
    GraphInstagramAdapter,
    create,
)
from bot.errors import ConfigError
from bot.model import ActionKind, Author, Channel, Inbound, Platform
from tests.fakes.facebook import expired_token_reply
from tests.fakes.instagram_graph import (
    FakeInstagramGraph,
    IGPerson,
    app_usage_429,
    fake_instagram_graph,
    instagram_graph_server,
    rate_limit_reply,
)
from tests.fakes.server import DROP, Fault, Reply

__all__ = ["fake_instagram_graph", "instagram_graph_server"]  # fixtures, imported so pytest finds them here

AMY = IGPerson("5001", "amy.patient")
BEN = IGPerson("5002", "ben_neighbour")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
IMAGE = "https://www.example.nhs.uk/social/offline.jpg"


def config_for(fake: FakeInstagramGraph, state_dir: Path | None = None, **options: Any) -> AccountConfig:
    secrets = {"ACCESS_TOKEN": fake.token, "IG_USER_ID": fake.account.id, "PAGE_ID": fake.page_id,
               "APP_ID": fake.app_id, "APP_SECRET": fake.app_secret}
    return AccountConfig("leeds-ig", Platform.INSTAGRAM, "@nhsleeds",
                         {"api_base_url": fake.url, "timeout_seconds": 2, **options}, secrets,
                         state_dir or Path("."), settings_file=Path("housebot.toml"), settings_key="accounts[0]")


@pytest.fixture
def adapter(fake_instagram_graph: FakeInstagramGraph, tmp_path: Path) -> GraphInstagramAdapter:
    return create(config_for(fake_instagram_graph, tmp_path, notice_image_url=IMAGE),
                  clock=lambda: fake_instagram_graph.now)


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


@pytest.fixture
def comment(fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter) -> Inbound:
    media = fake_instagram_graph.add_media("Flu jabs this week", minutes_ago(120))
    fake_instagram_graph.add_comment(media, AMY, "Where is the nearest clinic?", minutes_ago(5))
    (inbound,) = adapter.fetch(COMMENTS, None).items
    return inbound


@pytest.fixture
def message(fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter) -> Inbound:
    fake_instagram_graph.add_message(AMY, "When can I get my flu jab?", minutes_ago(5))
    (inbound,) = adapter.fetch(MESSAGES, None).items
    return inbound


# -- registry, settings and declarations -------------------------------------------------------------
def test_the_official_api_is_instagrams_default_and_instagrapi_an_opt_in() -> None:
    assert adapters.adapter_module("instagram").create is create
    assert adapters.adapter_module("instagram", "graph").create is create
    assert adapters.adapter_module("instagram", "instagrapi").REQUIRED_ENV == ("USERNAME", "PASSWORD")
    assert ("instagram", "instagrapi") in adapters.OPT_IN_WARNINGS


def test_block_is_not_offered_and_the_notice_needs_a_picture(fake_instagram_graph: FakeInstagramGraph,
                                                              adapter: GraphInstagramAdapter) -> None:
    caps = adapter.capabilities
    assert not caps.supports(ActionKind.BLOCK) and not caps.supports(ActionKind.MUTE)
    assert caps.supports(ActionKind.HIDE) and caps.supports(ActionKind.DELETE) and caps.supports(ActionKind.POST_NOTICE)
    assert caps.private_reply_window == timedelta(hours=24)
    with pytest.raises(ActionRefused, match="cannot block"):
        adapter.block(Author(AMY.id, AMY.username))
    without_picture = create(config_for(fake_instagram_graph), clock=lambda: NOW)
    assert not without_picture.capabilities.supports(ActionKind.POST_NOTICE)
    with pytest.raises(ActionRefused, match="post the notice by hand"):
        without_picture.post_notice("We're offline until 9am")
    assert fake_instagram_graph.calls("POST", "/media") == []


@pytest.mark.parametrize("impressions", [1, 250])
def test_polling_fits_the_documented_daily_call_budget(fake_instagram_graph: FakeInstagramGraph,
                                                       impressions: int) -> None:
    adapter = create(config_for(fake_instagram_graph, daily_impressions=impressions))
    budgets = adapter.rate_budgets
    calls_per_day = (budgets[COMMENTS].requests * (1 + adapter.options.watched_media)
                     + budgets[MESSAGES].requests + budgets[MENTIONS].requests)
    assert 4500 * impressions <= calls_per_day <= 4800 * impressions
    assert all(b.per == timedelta(hours=24) for b in budgets.values())


@pytest.mark.parametrize(("secrets", "options", "key"), [
    ({"ACCESS_TOKEN": "t"}, {}, "IG_USER_ID"),
    ({"ACCESS_TOKEN": "t", "IG_USER_ID": "1"}, {}, "PAGE_ID"),
    ({"ACCESS_TOKEN": "t", "IG_USER_ID": "1"}, {"login": "phone"}, "accounts[0].options.login"),
    ({"ACCESS_TOKEN": "t", "IG_USER_ID": "1"}, {"login": "instagram", "colour": "blue"}, "accounts[0].options.colour"),
    ({"ACCESS_TOKEN": "t", "IG_USER_ID": "1"}, {"login": "instagram", "notice_image_url": "http://x/a.jpg"},
     "accounts[0].options.notice_image_url"),
    ({"ACCESS_TOKEN": "t", "IG_USER_ID": "1"}, {"login": "instagram", "watched_media": 2.5},
     "accounts[0].options.watched_media"),
])
def test_bad_settings_name_the_account_and_key(secrets: dict[str, str], options: dict[str, Any], key: str) -> None:
    config = AccountConfig("leeds-ig", Platform.INSTAGRAM, "@nhsleeds", options, secrets,
                           settings_file=Path("housebot.toml"), settings_key="accounts[0]")
    with pytest.raises(ConfigError) as raised:
        create(config)
    assert raised.value.key == key


# -- reading --------------------------------------------------------------------------------------------
def test_comments_and_replies_arrive_oldest_first_and_the_cursor_moves_on(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter) -> None:
    fake = fake_instagram_graph
    media = fake.add_media("Flu jabs this week", minutes_ago(120))
    first = fake.add_comment(media, AMY, "Where is the nearest clinic?", minutes_ago(9))
    reply = fake.add_comment(media, BEN, "Seacroft has one", minutes_ago(7), parent=first)
    fake.add_comment(media, fake.account, "Thanks Ben!", minutes_ago(6), parent=first)  # the account's own
    result = adapter.fetch(COMMENTS, None)
    assert [(i.native_id, i.author.handle, i.text) for i in result.items] == [
        (first.id, AMY.username, "Where is the nearest clinic?"), (reply.id, BEN.username, "Seacroft has one")]
    top, under = result.items
    assert top.parent_id == top.thread_id == media.id and under.parent_id == first.id
    assert top.channel is Channel.PUBLIC and top.in_reply_to_own and top.author.id == AMY.id

    assert adapter.fetch(COMMENTS, result.cursor).items == ()  # nothing new: nothing returned again
    fake.now = NOW + timedelta(minutes=3)
    later = fake.add_comment(media, BEN, "Open till 8", NOW + timedelta(minutes=2))
    assert [i.native_id for i in adapter.fetch(COMMENTS, result.cursor).items] == [later.id]


def test_long_comment_lists_and_reply_threads_are_read_page_by_page(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter) -> None:
    fake = fake_instagram_graph
    fake.nested_replies_page_size = 3
    media = fake.add_media("Winter health", minutes_ago(120))
    tops = [fake.add_comment(media, AMY, f"question {n}", minutes_ago(50 - n / 10)) for n in range(60)]
    replies = [fake.add_comment(media, BEN, f"answer {n}", minutes_ago(40 - n), parent=tops[0]) for n in range(7)]
    ids = {i.native_id for i in adapter.fetch(COMMENTS, None).items}
    assert ids == {c.id for c in (*tops, *replies)}
    assert len(fake.calls("GET", f"/{media.id}/comments")) == 2  # 60 comments, 50 to a page
    assert len(fake.calls("GET", f"/{tops[0].id}/replies")) == 1  # 7 replies: 3 nested, the other 4 in one page


def test_only_the_watched_media_are_read_and_quiet_ones_cost_nothing(
        fake_instagram_graph: FakeInstagramGraph, tmp_path: Path) -> None:
    fake = fake_instagram_graph
    adapter = create(config_for(fake, tmp_path, watched_media=2), clock=lambda: fake.now)
    old, quiet, busy = (fake.add_media(f"post {n}", minutes_ago(300 - n)) for n in range(3))
    fake.add_comment(old, AMY, "on an old post", minutes_ago(5))
    fake.add_comment(busy, AMY, "on the newest post", minutes_ago(4))
    assert [i.text for i in adapter.fetch(COMMENTS, None).items] == ["on the newest post"]
    assert fake.calls("GET", f"/{quiet.id}/comments") == [] and fake.calls("GET", f"/{old.id}/comments") == []


def test_mentions_are_the_posts_the_account_is_tagged_in(fake_instagram_graph: FakeInstagramGraph,
                                                         adapter: GraphInstagramAdapter) -> None:
    fake = fake_instagram_graph
    fake.add_tag(BEN, "Old news @nhsleeds", minutes_ago(600))
    tagged = fake.add_tag(AMY, "Thanks @nhsleeds for the quick jab!", minutes_ago(10))
    (mention,) = adapter.fetch(MENTIONS, None).items
    assert (mention.native_id, mention.author.handle, mention.text) == (tagged.id, AMY.username, tagged.caption)
    assert not mention.in_reply_to_own
    assert adapter.reply(mention, "Glad it went well!", Channel.PUBLIC)
    assert fake.mention_replies == [(tagged.id, "Glad it went well!")]
    with pytest.raises(ActionRefused):
        adapter.hide(mention)
    with pytest.raises(ActionRefused):
        adapter.delete(mention)


def test_direct_messages_arrive_as_private_inbounds_and_own_answers_are_skipped(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter) -> None:
    fake = fake_instagram_graph
    first = fake.add_message(AMY, "Hello", minutes_ago(8))
    fake.add_message(fake.account, "Hi Amy, how can we help?", minutes_ago(7))
    second = fake.add_message(AMY, "Is the walk-in open?", minutes_ago(6))
    result = adapter.fetch(MESSAGES, None)
    assert [(i.native_id, i.text) for i in result.items] == [(first.id, "Hello"), (second.id, "Is the walk-in open?")]
    assert all(i.channel is Channel.PRIVATE and i.author.id == AMY.id for i in result.items)
    assert {r.path.split("/")[2] for r in fake.calls("GET", "/conversations")} == {fake.page_id}  # Facebook Login
    assert adapter.fetch(MESSAGES, result.cursor).items == ()


def test_one_malformed_comment_is_set_aside_and_the_rest_are_read(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter) -> None:
    fake = fake_instagram_graph
    media = fake.add_media("Flu jabs", minutes_ago(120))
    broken = fake.add_comment(media, AMY, "garbled", minutes_ago(6))
    broken.served = {"timestamp": DROP}
    fine = fake.add_comment(media, BEN, "fine", minutes_ago(5))
    result = adapter.fetch(COMMENTS, None)
    assert [i.native_id for i in result.items] == [fine.id]
    (unreadable,) = result.unreadable
    assert unreadable.native_id == broken.id and "timestamp" in unreadable.reason


# -- acting ---------------------------------------------------------------------------------------------
def test_a_public_reply_goes_under_the_top_comment(fake_instagram_graph: FakeInstagramGraph,
                                                   adapter: GraphInstagramAdapter, comment: Inbound) -> None:
    reply_id = adapter.reply(comment, "Seacroft, open 8 till 8.", Channel.PUBLIC)
    (top,) = [c for c in fake_instagram_graph.comments.values() if c.id == comment.native_id]
    assert [r.id for r in fake_instagram_graph.replies_to(top)] == [reply_id]
    assert adapter.find_own_reply(comment, Channel.PUBLIC) == reply_id


def test_a_private_reply_is_sent_once_and_found_again(fake_instagram_graph: FakeInstagramGraph,
                                                      adapter: GraphInstagramAdapter, comment: Inbound) -> None:
    sent = adapter.reply(comment, "We've sent you the details.", Channel.PRIVATE)
    assert [s.recipient for s in fake_instagram_graph.sent] == [{"comment_id": comment.native_id}]
    assert adapter.find_own_reply(comment, Channel.PRIVATE) == sent
    with pytest.raises(ActionRefused, match="already has a private reply"):
        adapter.reply(comment, "Again?", Channel.PRIVATE)


def test_a_private_reply_after_seven_days_is_refused_before_calling(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter, comment: Inbound) -> None:
    fake_instagram_graph.now = comment.created_at + timedelta(days=7, minutes=1)
    with pytest.raises(ActionRefused, match="within 7 days"):
        adapter.reply(comment, "Late", Channel.PRIVATE)
    assert fake_instagram_graph.calls("POST", "/messages") == []


def test_a_direct_answer_inside_the_window_is_a_response(fake_instagram_graph: FakeInstagramGraph,
                                                         adapter: GraphInstagramAdapter, message: Inbound) -> None:
    adapter.reply(message, "From October, at your GP or pharmacy.", Channel.PRIVATE)
    (sent,) = fake_instagram_graph.messages_to(AMY)
    assert sent.messaging_type == "RESPONSE" and sent.text.startswith("From October")


def test_a_direct_answer_outside_the_window_is_refused_before_calling(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter, message: Inbound) -> None:
    fake_instagram_graph.now = message.created_at + timedelta(hours=24, minutes=1)
    with pytest.raises(ActionRefused, match="24-hour messaging window"):
        adapter.reply(message, "Sorry for the wait", Channel.PRIVATE)
    assert fake_instagram_graph.calls("POST", "/messages") == []


def test_instagrams_own_window_refusal_is_an_action_refused(fake_instagram_graph: FakeInstagramGraph,
                                                            adapter: GraphInstagramAdapter, message: Inbound) -> None:
    fake_instagram_graph.threads.clear()  # Instagram no longer knows the person wrote
    with pytest.raises(ActionRefused, match="outside of allowed window"):
        adapter.reply(message, "Hello", Channel.PRIVATE)


def test_a_direct_message_cannot_be_answered_in_public_hidden_or_deleted(adapter: GraphInstagramAdapter,
                                                                         message: Inbound) -> None:
    for act in (lambda: adapter.reply(message, "x", Channel.PUBLIC), lambda: adapter.hide(message),
                lambda: adapter.delete(message)):
        with pytest.raises(ActionRefused):
            act()


def test_a_reply_over_the_channels_limit_is_refused(adapter: GraphInstagramAdapter, message: Inbound) -> None:
    with pytest.raises(ActionRefused, match="limited to 1000"):
        adapter.reply(message, "x" * 1001, Channel.PRIVATE)


def test_hide_unhide_and_delete_change_the_comment(fake_instagram_graph: FakeInstagramGraph,
                                                   adapter: GraphInstagramAdapter, comment: Inbound) -> None:
    stored = fake_instagram_graph.comments[comment.native_id]
    adapter.hide(comment)
    assert stored.hidden
    adapter.unhide(comment)
    assert not stored.hidden
    adapter.delete(comment)
    assert stored.deleted
    assert fake_instagram_graph.calls("POST", f"/{comment.native_id}")[0].form()["hide"] == "true"


# -- the offline notice ------------------------------------------------------------------------------------
def test_the_notice_is_the_configured_picture_and_is_deleted_at_reopening_even_after_a_restart(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter, tmp_path: Path) -> None:
    fake = fake_instagram_graph
    media_id = adapter.post_notice("We're offline until 9am. In an emergency call 999.")
    (notice,) = fake.live_notices()
    assert (notice.id, notice.image_url, notice.caption) == (media_id, IMAGE, notice.alt_text)
    restarted = create(config_for(fake, tmp_path, notice_image_url=IMAGE), clock=lambda: fake.now)
    assert restarted.clear_notice() == f"deleted:{media_id}"
    assert fake.live_notices() == [] and restarted.clear_notice() is None


def test_a_notice_posted_before_a_crash_is_found_by_its_caption(fake_instagram_graph: FakeInstagramGraph,
                                                                 tmp_path: Path) -> None:
    fake = fake_instagram_graph
    fake.inject(Fault(r"/media_publish$", delay_seconds=0.6))
    slow = create(config_for(fake, tmp_path, notice_image_url=IMAGE, timeout_seconds=0.3), clock=lambda: fake.now)
    with pytest.raises(PlatformUnavailable) as raised:
        slow.post_notice("Offline until 9am")
    assert raised.value.maybe_sent
    fake.server.clear()
    fake.add_media("Offline until 9am")  # it did go up
    restarted = create(config_for(fake, tmp_path, notice_image_url=IMAGE), clock=lambda: fake.now)
    found = restarted.find_notice("Offline until 9am")
    assert found and restarted.clear_notice() == f"deleted:{found}"
    assert fake.media[found].deleted


def test_a_notice_deleted_by_hand_counts_as_taken_down(fake_instagram_graph: FakeInstagramGraph,
                                                       adapter: GraphInstagramAdapter) -> None:
    media_id = adapter.post_notice("Offline")
    fake_instagram_graph.media[media_id].deleted = True
    assert adapter.clear_notice() == f"deleted:{media_id}"


# -- faults ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("reply", "minutes"), [
    (rate_limit_reply("17841400000000001", 12), 12),
    (app_usage_429(7), 7),
])
def test_throttles_wait_until_the_usage_headers_say(fake_instagram_graph: FakeInstagramGraph,
                                                    adapter: GraphInstagramAdapter, reply: Reply, minutes: int) -> None:
    fake_instagram_graph.inject(Fault(r"/media$", reply))
    with pytest.raises(RateLimited) as raised:
        adapter.fetch(COMMENTS, None)
    assert raised.value.reset_at == NOW + timedelta(minutes=minutes)


@pytest.mark.parametrize("reply", [Reply(500, {"error": {"message": "Internal", "code": 1}}),
                                   Reply(503, "<html>busy</html>"), Reply(200, "not json at all"),
                                   Reply(200, {"nothing": "here"})])
def test_server_trouble_and_unreadable_answers_are_platform_unavailable(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter, reply: Reply) -> None:
    fake_instagram_graph.inject(Fault(r"/conversations$", reply))
    with pytest.raises(PlatformUnavailable) as raised:
        adapter.fetch(MESSAGES, None)
    assert not raised.value.maybe_sent


def test_an_action_without_an_answer_may_have_been_done(fake_instagram_graph: FakeInstagramGraph,
                                                        comment: Inbound, tmp_path: Path) -> None:
    slow = create(config_for(fake_instagram_graph, tmp_path, timeout_seconds=0.3), clock=lambda: NOW)
    fake_instagram_graph.inject(Fault(r"/replies$", delay_seconds=0.6, method="POST"))
    with pytest.raises(PlatformUnavailable) as raised:
        slow.reply(comment, "Hello", Channel.PUBLIC)
    assert raised.value.maybe_sent


def test_an_expired_token_pauses_the_account(fake_instagram_graph: FakeInstagramGraph,
                                             adapter: GraphInstagramAdapter) -> None:
    fake_instagram_graph.inject(Fault(r"/media$", expired_token_reply()))
    with pytest.raises(AuthFailed, match="access token was refused"):
        adapter.fetch(COMMENTS, None)


def test_a_missing_permission_pauses_reading_but_refuses_only_an_action(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter, comment: Inbound) -> None:
    fake_instagram_graph.permissions.discard("instagram_manage_comments")
    with pytest.raises(ActionRefused, match="code 10"):
        adapter.hide(comment)
    with pytest.raises(AuthFailed):
        adapter.fetch(COMMENTS, None)


# -- checking ---------------------------------------------------------------------------------------------
def test_check_passes_with_a_full_page_token(adapter: GraphInstagramAdapter) -> None:
    result = adapter.check()
    assert result.ok and result.identity == "@nhsleeds (17841400000000001)" and result.problems == ()


def test_check_names_each_missing_permission_and_what_will_not_work(
        fake_instagram_graph: FakeInstagramGraph, adapter: GraphInstagramAdapter) -> None:
    fake_instagram_graph.permissions -= {"instagram_manage_messages", "instagram_content_publish"}
    result = adapter.check()
    assert not result.ok
    assert result.problems == (
        "Instagram account @nhsleeds: token lacks instagram_manage_messages; direct messages will not be read or "
        "answered and private replies will not work",
        "Instagram account @nhsleeds: token lacks instagram_content_publish; the offline notice cannot be posted")


def test_check_notices_a_page_linked_to_another_account(fake_instagram_graph: FakeInstagramGraph,
                                                        adapter: GraphInstagramAdapter) -> None:
    fake_instagram_graph.linked_ig_user_id = "17841499999999999"
    (problem,) = adapter.check().problems
    assert "is linked to Instagram account 17841499999999999, not 17841400000000001" in problem


def test_check_without_a_notice_picture_says_staff_post_it(fake_instagram_graph: FakeInstagramGraph) -> None:
    result = create(config_for(fake_instagram_graph), clock=lambda: NOW).check()
    assert result.ok and "offline notice: a task for staff" in result.identity


def test_check_says_plainly_when_the_token_has_expired(fake_instagram_graph: FakeInstagramGraph,
                                                       adapter: GraphInstagramAdapter) -> None:
    fake_instagram_graph.token_valid = False
    result = adapter.check()
    assert not result.ok and "access token was refused" in result.problems[0]


# -- Instagram Login ------------------------------------------------------------------------------------
@pytest.fixture
def instagram_login(fake_instagram_graph: FakeInstagramGraph, tmp_path: Path) -> GraphInstagramAdapter:
    fake_instagram_graph.reset(login="instagram")
    config = config_for(fake_instagram_graph, tmp_path, login="instagram", notice_image_url=IMAGE)
    return create(AccountConfig(config.name, config.platform, config.handle, config.options,
                                {"ACCESS_TOKEN": fake_instagram_graph.token, "IG_USER_ID": fake_instagram_graph.account.id},
                                config.state_dir), clock=lambda: fake_instagram_graph.now)


def test_instagram_login_reads_and_answers_through_the_account_itself(
        fake_instagram_graph: FakeInstagramGraph, instagram_login: GraphInstagramAdapter) -> None:
    fake = fake_instagram_graph
    fake.add_message(AMY, "Hello", minutes_ago(5))
    (message,) = instagram_login.fetch(MESSAGES, None).items
    instagram_login.reply(message, "Hi Amy", Channel.PRIVATE)
    assert [s.text for s in fake.messages_to(AMY)] == ["Hi Amy"]
    assert {r.path.split("/")[2] for r in fake.calls("GET", "/conversations")} == {fake.account.id}
    assert all("appsecret_proof" not in r.query for r in fake.requests)  # Instagram Login has no proof
    assert instagram_login.check().ok


def test_instagram_login_check_probes_each_permission(fake_instagram_graph: FakeInstagramGraph,
                                                      instagram_login: GraphInstagramAdapter) -> None:
    fake_instagram_graph.permissions.discard("instagram_business_manage_messages")
    (problem,) = instagram_login.check().problems
    assert problem == ("Instagram account @nhsleeds: token lacks instagram_business_manage_messages; direct messages "
                       "will not be read or answered and private replies will not work")
    assert fake_instagram_graph.calls("GET", "/debug_token") == []


def test_instagram_login_check_tries_the_comments_of_the_newest_post(fake_instagram_graph: FakeInstagramGraph,
                                                                     instagram_login: GraphInstagramAdapter) -> None:
    fake_instagram_graph.add_media("Flu jabs", minutes_ago(60))
    fake_instagram_graph.permissions.discard("instagram_business_manage_comments")
    (problem,) = instagram_login.check().problems
    assert problem == ("Instagram account @nhsleeds: token lacks instagram_business_manage_comments; comments will "
                       "not be read, and replies, hide and delete on comments will not work")
