"""The Facebook adapter through the real python-facebook-api, over HTTP, against the fake Graph API.

Every assertion about what the bot did is made on the fake's side: its state (comments, hidden
flags, bans, messages sent, notices) and the requests the library really sent.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pathlib import Path

import adapters
from adapters.base import AccountConfig, ActionRefused, AuthFailed, PlatformUnavailable, RateLimited
from adapters.facebook import (
    COMMENTS,
    MESSAGES,
    FacebookAdapter,
    Watermark,
    create,
    rate_limit_reset,
    translate_failure,
)
from bot.errors import ConfigError
from bot.model import ActionKind, Attachment, AttachmentKind, Author, Channel, Inbound, Platform
from tests.fakes.facebook import (
    FakeFacebook,
    Person,
    expired_token_reply,
    facebook_server,
    fake_facebook,
    rate_limit_reply,
)
from tests.fakes.server import DROP, Fault, Reply

__all__ = ["facebook_server", "fake_facebook"]  # fixtures, imported so pytest finds them here

AMY = Person("5001", "Amy Patient")
BEN = Person("5002", "Ben Neighbour")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def config_for(fake: FakeFacebook, **options: Any) -> AccountConfig:
    secrets = {"PAGE_ACCESS_TOKEN": fake.token, "PAGE_ID": fake.page.id,
               "APP_ID": fake.app_id, "APP_SECRET": fake.app_secret}
    return AccountConfig("leeds-facebook", Platform.FACEBOOK, "Leeds Health",
                         {"api_base_url": fake.url, "timeout_seconds": 2, **options}, secrets)


@pytest.fixture
def adapter(fake_facebook: FakeFacebook) -> FacebookAdapter:
    return create(config_for(fake_facebook), clock=lambda: fake_facebook.now)


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def only(fake: FakeFacebook, method: str, suffix: str) -> dict[str, str]:
    """The arguments (query and form) of the one request matching method and path suffix."""
    calls = fake.calls(method, suffix)
    assert len(calls) == 1, [c.path for c in calls]
    return {**calls[0].query, **(calls[0].form() if method == "POST" else {})}


# -- module contract and declarations ---------------------------------------------------------------
def test_the_registry_finds_the_module_and_its_secret_names() -> None:
    module = adapters.adapter_module("facebook")
    assert module.REQUIRED_ENV == ("PAGE_ACCESS_TOKEN", "PAGE_ID")
    assert module.OPTIONAL_ENV == ("APP_ID", "APP_SECRET")
    assert module.create is create


def test_capabilities_and_budgets_are_declared_from_facebooks_limits(adapter: FacebookAdapter) -> None:
    caps = adapter.capabilities
    assert caps.supports(ActionKind.HIDE) and caps.supports(ActionKind.BLOCK) and caps.supports(ActionKind.POST_NOTICE)
    assert not caps.supports(ActionKind.MUTE)
    assert caps.max_reply_length == {Channel.PUBLIC: 8000, Channel.PRIVATE: 2000}
    assert caps.private_reply_window == timedelta(hours=24)
    assert caps.can_find_own_reply and not caps.hide_own_threads_only
    assert adapter.streams == (COMMENTS, MESSAGES)
    assert adapter.rate_budgets[COMMENTS].requests == 4800 and adapter.rate_budgets[COMMENTS].per == timedelta(hours=24)
    assert adapter.rate_budgets[MESSAGES].requests == 200
    assert adapter.own_ids() == frozenset({"1122334455"})


def test_budgets_scale_with_the_pages_engaged_users(fake_facebook: FakeFacebook) -> None:
    adapter = create(config_for(fake_facebook, engaged_users=50))
    assert adapter.rate_budgets[COMMENTS].requests == 240_000
    assert adapter.rate_budgets[MESSAGES].requests == 10_000


@pytest.mark.parametrize(
    ("secrets", "options", "key"),
    [
        ({"PAGE_ACCESS_TOKEN": "t"}, {}, "PAGE_ID"),
        ({"PAGE_ID": "1"}, {}, "PAGE_ACCESS_TOKEN"),
        ({"PAGE_ACCESS_TOKEN": "t", "PAGE_ID": "1"}, {"timeout_seconds": 0}, "accounts[0].options.timeout_seconds"),
        ({"PAGE_ACCESS_TOKEN": "t", "PAGE_ID": "1"}, {"timeout_seconds": "ten"}, "accounts[0].options.timeout_seconds"),
        ({"PAGE_ACCESS_TOKEN": "t", "PAGE_ID": "1"}, {"engaged_users": 2.5}, "accounts[0].options.engaged_users"),
        ({"PAGE_ACCESS_TOKEN": "t", "PAGE_ID": "1"}, {"api_base_url": ""}, "accounts[0].options.api_base_url"),
        ({"PAGE_ACCESS_TOKEN": "t", "PAGE_ID": "1"}, {"timeout_second": 5}, "accounts[0].options.timeout_second"),
    ],
    ids=["no page id", "no token", "zero timeout", "timeout not a number", "fractional users", "empty base url",
         "misspelt option"],
)
def test_bad_settings_name_the_account_and_key(secrets: dict[str, str], options: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        create(AccountConfig("leeds-facebook", Platform.FACEBOOK, "Leeds Health", options, secrets,
                             settings_file=Path("housebot.toml"), settings_key="accounts[0]"))
    assert caught.value.key == key
    assert caught.value.file == ("housebot.toml" if key.startswith("accounts") else "account 'leeds-facebook'")


def test_the_library_is_told_not_to_sleep_and_to_time_out(adapter: FacebookAdapter) -> None:
    api = adapter._api
    assert api.sleep_on_rate_limit is False
    assert api._GraphAPI__timeout == 2  # the library keeps its timeout name-mangled


# -- reading comments -------------------------------------------------------------------------------
def test_comments_arrive_oldest_first_with_replies_parents_and_per_comment_capabilities(
        fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    post = fake_facebook.add_post("Flu jabs are open at Seacroft this week", minutes_ago(50))
    question = fake_facebook.add_comment(post, AMY, "Do I need to book?", minutes_ago(20))
    answer = fake_facebook.add_comment(post, BEN, "I just walked in", minutes_ago(10), parent=question)

    result = adapter.fetch(COMMENTS, None)

    assert [i.native_id for i in result.items] == [question.id, answer.id]
    first, second = result.items
    assert first == Inbound(
        platform=Platform.FACEBOOK, account="leeds-facebook", stream=COMMENTS, channel=Channel.PUBLIC,
        native_id=question.id, author=Author("5001", "Amy Patient", "Amy Patient"), text="Do I need to book?",
        created_at=minutes_ago(20), thread_id=post.id, parent_id=post.id, in_reply_to_own=True,
        extras=first.extras)
    assert first.created_at.tzinfo is not None
    assert dict(first.extras) | {} == {
        "can_hide": True, "can_remove": True, "can_reply_privately": True, "is_hidden": False,
        "permalink_url": f"https://www.facebook.com/{post.id}?comment_id={question.id}",
        "post_message": "Flu jabs are open at Seacroft this week"}
    assert second.parent_id == question.id and second.thread_id == post.id
    sent = only(fake_facebook, "GET", f"/{post.id}/comments")
    assert sent["filter"] == "stream" and sent["order"] == "chronological"
    assert {"can_hide", "can_remove", "can_reply_privately", "is_hidden", "parent"} <= set(sent["fields"].split(","))
    assert sent["access_token"] == "PAGE-TOKEN" and sent["appsecret_proof"]


def test_a_repeated_fetch_with_the_same_cursor_returns_the_same_items(
        fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    post = fake_facebook.add_post("Clinic times", minutes_ago(30))
    fake_facebook.add_comment(post, AMY, "thanks", minutes_ago(5))
    first = adapter.fetch(COMMENTS, None)
    again = adapter.fetch(COMMENTS, None)
    assert first == again
    later = adapter.fetch(COMMENTS, first.cursor)
    assert later.items == () and adapter.fetch(COMMENTS, first.cursor) == later


def test_the_cursor_moves_on_only_past_what_was_returned(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    post = fake_facebook.add_post("Clinic times", minutes_ago(30))
    fake_facebook.add_comment(post, AMY, "first", minutes_ago(5))
    cursor = adapter.fetch(COMMENTS, None).cursor
    fake_facebook.now = NOW + timedelta(minutes=3)
    same_second = NOW + timedelta(minutes=2)
    second = fake_facebook.add_comment(post, BEN, "second", same_second)
    third = fake_facebook.add_comment(post, AMY, "third, same second", same_second)

    result = adapter.fetch(COMMENTS, cursor)

    assert [i.native_id for i in result.items] == [second.id, third.id]
    assert adapter.fetch(COMMENTS, result.cursor).items == ()


def test_a_comment_that_shows_up_late_is_still_read_once(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    post = fake_facebook.add_post("Clinic times", minutes_ago(30))
    fake_facebook.add_comment(post, AMY, "newest", minutes_ago(1))
    cursor = adapter.fetch(COMMENTS, None).cursor
    late = fake_facebook.add_comment(post, BEN, "written earlier, visible now", minutes_ago(3))

    result = adapter.fetch(COMMENTS, cursor)

    assert [i.native_id for i in result.items] == [late.id]
    assert adapter.fetch(COMMENTS, result.cursor).items == ()


def test_the_first_fetch_reads_only_the_last_hour(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    post = fake_facebook.add_post("Clinic times", minutes_ago(600))
    fake_facebook.add_comment(post, AMY, "from this morning", minutes_ago(300))
    recent = fake_facebook.add_comment(post, BEN, "just now", minutes_ago(2))
    assert [i.native_id for i in adapter.fetch(COMMENTS, None).items] == [recent.id]


def test_quiet_posts_cost_no_comment_call(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    quiet = fake_facebook.add_post("Old news", minutes_ago(3000))
    fake_facebook.add_comment(quiet, AMY, "old comment", minutes_ago(2900))
    busy = fake_facebook.add_post("Today", minutes_ago(30))
    fake_facebook.add_comment(busy, BEN, "hi", minutes_ago(5))
    adapter.fetch(COMMENTS, None)
    assert fake_facebook.calls("GET", f"/{quiet.id}/comments") == []
    assert len(fake_facebook.calls("GET", f"/{busy.id}/comments")) == 1


def test_comment_pages_are_followed_so_nothing_is_skipped(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    post = fake_facebook.add_post("Busy post", minutes_ago(59))
    seeded = [fake_facebook.add_comment(post, AMY, f"comment {n}", minutes_ago(50) + timedelta(seconds=n))
              for n in range(230)]
    result = adapter.fetch(COMMENTS, None)
    assert [i.native_id for i in result.items] == [c.id for c in seeded]
    pages = fake_facebook.calls("GET", f"/{post.id}/comments")
    assert len(pages) == 3 and "after" not in pages[0].query and all("after" in p.query for p in pages[1:])


def test_post_pages_are_followed_within_the_watched_days(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    posts = [fake_facebook.add_post(f"post {n}", minutes_ago(200 - n)) for n in range(120)]
    fake_facebook.add_comment(posts[0], AMY, "on the oldest watched post", minutes_ago(1))
    adapter = create(config_for(fake_facebook, max_posts=150), clock=lambda: fake_facebook.now)
    assert [i.text for i in adapter.fetch(COMMENTS, None).items] == ["on the oldest watched post"]
    assert len(fake_facebook.calls("GET", "/published_posts")) == 2


def test_a_fetch_that_fails_halfway_returns_nothing_and_loses_nothing(fake_facebook: FakeFacebook,
                                                                       adapter: FacebookAdapter) -> None:
    first_post = fake_facebook.add_post("Morning post", minutes_ago(40))
    second_post = fake_facebook.add_post("Afternoon post", minutes_ago(30))
    seeded = [fake_facebook.add_comment(first_post, AMY, "on the first", minutes_ago(10)),
              fake_facebook.add_comment(second_post, BEN, "on the second", minutes_ago(5))]
    fake_facebook.inject(Fault(rf"/{first_post.id}/comments", Reply(503, "busy")))
    with pytest.raises(PlatformUnavailable):
        adapter.fetch(COMMENTS, None)
    assert [i.native_id for i in adapter.fetch(COMMENTS, None).items] == [c.id for c in seeded]


def test_deleted_comments_are_not_read(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    post = fake_facebook.add_post("Clinic times", minutes_ago(30))
    gone = fake_facebook.add_comment(post, AMY, "oops", minutes_ago(5))
    gone.deleted = True
    assert adapter.fetch(COMMENTS, None).items == ()


def test_an_unknown_stream_is_a_programming_error(adapter: FacebookAdapter) -> None:
    with pytest.raises(ValueError, match="unknown stream"):
        adapter.fetch("mentions", None)


# -- reading Messenger ------------------------------------------------------------------------------
def test_messenger_messages_arrive_oldest_first_as_private_inbounds(
        fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    first = fake_facebook.add_message(AMY, "Is the walk-in centre open today?", minutes_ago(30))
    other = fake_facebook.add_message(BEN, "How do I get my test results?", minutes_ago(20))
    second = fake_facebook.add_message(AMY, "Sorry, I meant Sunday", minutes_ago(10))

    result = adapter.fetch(MESSAGES, None)

    assert [i.native_id for i in result.items] == [first.id, other.id, second.id]
    amy_first = result.items[0]
    assert amy_first.channel is Channel.PRIVATE and amy_first.stream == MESSAGES
    assert amy_first.author == Author("5001", "Amy Patient", "Amy Patient")
    assert amy_first.thread_id.startswith("t_") and amy_first.in_reply_to_own
    assert amy_first.extras["person_last_wrote_at"] == minutes_ago(10).isoformat()
    sent = only(fake_facebook, "GET", "/conversations")
    assert sent["platform"] == "messenger"
    assert sent["fields"] == ("participants,updated_time,can_reply,"
                              "messages{id,from,message,created_time,attachments,sticker}")
    assert adapter.fetch(MESSAGES, result.cursor).items == ()


def test_long_conversations_are_read_page_by_page(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    fake_facebook.nested_messages_page_size = 2
    seeded = [fake_facebook.add_message(AMY, f"message {n}", minutes_ago(30 - n)) for n in range(5)]
    result = adapter.fetch(MESSAGES, None)
    assert [i.native_id for i in result.items] == [m.id for m in seeded]
    (older,) = fake_facebook.calls("GET", "/messages")
    assert "after" in older.query


def test_conversations_quiet_since_the_cursor_stop_the_scan(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    fake_facebook.add_message(BEN, "old question", minutes_ago(300))
    fresh = fake_facebook.add_message(AMY, "new question", minutes_ago(3))
    assert [i.native_id for i in adapter.fetch(MESSAGES, None).items] == [fresh.id]


# -- acting ---------------------------------------------------------------------------------------------
@pytest.fixture
def comment(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> Inbound:
    post = fake_facebook.add_post("Clinic times", minutes_ago(30))
    fake_facebook.add_comment(post, AMY, "This wait is bloody ridiculous", minutes_ago(5))
    (inbound,) = adapter.fetch(COMMENTS, None).items
    return inbound


@pytest.fixture
def message(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> Inbound:
    fake_facebook.add_message(AMY, "Can I change my appointment?", minutes_ago(5))
    (inbound,) = adapter.fetch(MESSAGES, None).items
    return inbound


def test_a_public_reply_lands_under_the_comment(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                 comment: Inbound) -> None:
    reply_id = adapter.reply(comment, "Sorry for the wait. Please contact us on 0113 206 6261.", Channel.PUBLIC)
    (reply,) = fake_facebook.replies_to(fake_facebook.comments[comment.native_id])
    assert reply.id == reply_id and reply.author.id == fake_facebook.page.id
    assert reply.message == "Sorry for the wait. Please contact us on 0113 206 6261."


def test_a_private_reply_to_a_comment_goes_through_the_send_api(fake_facebook: FakeFacebook,
                                                                 adapter: FacebookAdapter, comment: Inbound) -> None:
    message_id = adapter.reply(comment, "We have sent you the complaints link.", Channel.PRIVATE)
    (sent,) = fake_facebook.private_replies_to(fake_facebook.comments[comment.native_id])
    assert sent.id == message_id and sent.text == "We have sent you the complaints link."
    form = only(fake_facebook, "POST", "/messages")
    assert json.loads(form["recipient"]) == {"comment_id": comment.native_id}
    assert json.loads(form["message"]) == {"text": "We have sent you the complaints link."}


def test_a_second_private_reply_is_refused_by_facebook(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                       comment: Inbound) -> None:
    adapter.reply(comment, "first", Channel.PRIVATE)
    with pytest.raises(ActionRefused, match="Cannot reply privately"):
        adapter.reply(comment, "second", Channel.PRIVATE)
    assert len(fake_facebook.sent) == 1


def test_a_comment_that_cannot_be_answered_privately_is_refused_before_calling(
        fake_facebook: FakeFacebook, adapter: FacebookAdapter, comment: Inbound) -> None:
    adapter.reply(comment, "first", Channel.PRIVATE)
    (again,) = [i for i in adapter.fetch(COMMENTS, None).items if i.native_id == comment.native_id]
    assert again.extras["can_reply_privately"] is False
    before = len(fake_facebook.requests)
    with pytest.raises(ActionRefused, match="private reply"):
        adapter.reply(again, "second", Channel.PRIVATE)
    assert len(fake_facebook.requests) == before


def test_a_messenger_answer_inside_the_window_is_a_response(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                             message: Inbound) -> None:
    fake_facebook.now = NOW + timedelta(hours=23)
    message_id = adapter.reply(message, "Please call 0113 206 6261 to change it.", Channel.PRIVATE)
    (sent,) = fake_facebook.messages_to(AMY)
    assert sent.id == message_id and sent.messaging_type == "RESPONSE"
    assert sent.text == "Please call 0113 206 6261 to change it."


def test_a_messenger_answer_outside_the_window_is_refused_before_calling(
        fake_facebook: FakeFacebook, adapter: FacebookAdapter, message: Inbound) -> None:
    fake_facebook.now = NOW + timedelta(hours=25)
    before = len(fake_facebook.requests)
    with pytest.raises(ActionRefused, match="24-hour window"):
        adapter.reply(message, "too late", Channel.PRIVATE)
    assert len(fake_facebook.requests) == before and fake_facebook.sent == []


def test_facebooks_own_window_refusal_is_an_action_refused(fake_facebook: FakeFacebook, message: Inbound) -> None:
    slow_clock = create(config_for(fake_facebook), clock=lambda: NOW)  # believes it is still in time
    fake_facebook.now = NOW + timedelta(hours=30)
    with pytest.raises(ActionRefused, match="outside of allowed window") as caught:
        slow_clock.reply(message, "too late", Channel.PRIVATE)
    assert "code 10" in str(caught.value) and fake_facebook.sent == []


def test_a_messenger_message_cannot_be_answered_in_public(adapter: FacebookAdapter, message: Inbound) -> None:
    with pytest.raises(ActionRefused, match="in public"):
        adapter.reply(message, "hello", Channel.PUBLIC)


def test_a_reply_over_the_channels_limit_is_refused(adapter: FacebookAdapter, message: Inbound, comment: Inbound) -> None:
    with pytest.raises(ActionRefused, match="2000 characters"):
        adapter.reply(message, "x" * 2001, Channel.PRIVATE)
    with pytest.raises(ActionRefused, match="8000 characters"):
        adapter.reply(comment, "x" * 8001, Channel.PUBLIC)


def test_hide_and_unhide_change_the_comments_flag(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                  comment: Inbound) -> None:
    stored = fake_facebook.comments[comment.native_id]
    assert adapter.hide(comment) == comment.native_id and stored.is_hidden
    assert adapter.unhide(comment) == comment.native_id and not stored.is_hidden
    assert [c.form()["is_hidden"] for c in fake_facebook.calls("POST", f"/{comment.native_id}")] == ["true", "false"]


def test_hide_respects_can_hide_before_calling(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                               comment: Inbound) -> None:
    fake_facebook.unhideable.add(comment.native_id)
    [unhideable] = adapter.fetch(COMMENTS, None).items
    assert unhideable.extras["can_hide"] is False
    before = len(fake_facebook.requests)
    with pytest.raises(ActionRefused, match="does not allow"):
        adapter.hide(unhideable)
    assert len(fake_facebook.requests) == before


def test_a_hide_facebook_refuses_is_an_action_refused(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                      comment: Inbound) -> None:
    reply_id = adapter.reply(comment, "Our reply", Channel.PUBLIC)
    unknown_capability = Inbound(Platform.FACEBOOK, "leeds-facebook", COMMENTS, Channel.PUBLIC, reply_id,
                                 Author(fake_facebook.page.id, "Leeds Health"), "Our reply", NOW)
    with pytest.raises(ActionRefused, match="cannot be hidden"):
        adapter.hide(unknown_capability)


def test_messenger_messages_cannot_be_hidden_or_deleted(adapter: FacebookAdapter, message: Inbound) -> None:
    for act in (adapter.hide, adapter.unhide, adapter.delete):
        with pytest.raises(ActionRefused, match="Messenger"):
            act(message)


def test_delete_removes_the_comment(fake_facebook: FakeFacebook, adapter: FacebookAdapter, comment: Inbound) -> None:
    assert adapter.delete(comment) == comment.native_id
    assert fake_facebook.comments[comment.native_id].deleted
    assert len(fake_facebook.calls("DELETE", f"/{comment.native_id}")) == 1


def test_block_and_unblock_ban_the_person_from_the_page(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                        comment: Inbound) -> None:
    assert adapter.block(comment.author) == AMY.id
    assert fake_facebook.blocked == {AMY.id}
    assert json.loads(only(fake_facebook, "POST", "/blocked")["user"]) == [AMY.id]
    assert adapter.unblock(comment.author) == AMY.id
    assert fake_facebook.blocked == set()
    assert only(fake_facebook, "DELETE", "/blocked")["user"] == AMY.id


def test_an_anonymous_author_cannot_be_banned(adapter: FacebookAdapter) -> None:
    with pytest.raises(ActionRefused, match="did not say who"):
        adapter.block(Author("", ""))


def test_post_notice_publishes_on_the_page(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    notice_id = adapter.post_notice("We're offline until 8am. In an emergency call 999, or NHS 111.")
    (notice,) = fake_facebook.notices
    assert notice.id == notice_id and notice.message.startswith("We're offline until 8am.")


def test_a_notice_posted_before_a_crash_is_found_but_not_an_earlier_closings(
        fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    """Notices stay on the Page, so yesterday's identical words must not pass for today's."""
    text = "We're offline until 8am. In an emergency call 999, or NHS 111."
    assert adapter.capabilities.can_find_notice
    fake_facebook.now = NOW - timedelta(days=1)
    yesterday = adapter.post_notice(text)
    fake_facebook.now = NOW
    fake_facebook.add_post("Flu jabs this week.", NOW - timedelta(minutes=30))
    planned = NOW - timedelta(minutes=1)
    assert adapter.find_notice(text, since=planned) is None
    assert adapter.find_notice(text) == yesterday  # without a moment, any notice with the words counts
    notice_id = adapter.post_notice(text)  # the crash came after Facebook made it, before it was recorded
    fake_facebook.add_post("Our winter health advice.", NOW + timedelta(minutes=2))
    assert adapter.find_notice(text, since=planned) == notice_id
    assert adapter.find_notice(text.replace("8am", "9am"), since=planned) is None
    assert fake_facebook.calls("GET", "/published_posts")[-1].query["fields"] == "id,message,created_time"


# -- finding our own reply after a crash ----------------------------------------------------------------
def test_find_own_reply_sees_a_public_reply(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                            comment: Inbound) -> None:
    assert adapter.find_own_reply(comment, Channel.PUBLIC) is None
    reply_id = adapter.reply(comment, "Answered", Channel.PUBLIC)
    assert adapter.find_own_reply(comment, Channel.PUBLIC) == reply_id
    assert adapter.find_own_reply(comment, Channel.PRIVATE) is None


def test_find_own_reply_sees_a_private_reply(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                             comment: Inbound) -> None:
    adapter.reply(comment, "Answered privately", Channel.PRIVATE)
    conversation = fake_facebook.comments[comment.native_id].private_reply_conversation
    assert conversation and adapter.find_own_reply(comment, Channel.PRIVATE) == conversation


def test_find_own_reply_sees_a_later_messenger_answer(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                      message: Inbound) -> None:
    assert adapter.find_own_reply(message, Channel.PRIVATE) is None
    sent_id = adapter.reply(message, "Answered", Channel.PRIVATE)
    assert adapter.find_own_reply(message, Channel.PRIVATE) == sent_id


# -- faults -------------------------------------------------------------------------------------------
def test_a_page_throttle_is_rate_limited_until_facebooks_estimate(fake_facebook: FakeFacebook,
                                                                   adapter: FacebookAdapter) -> None:
    fake_facebook.inject(Fault(r"/published_posts", rate_limit_reply(fake_facebook.page.id, minutes=17)))
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        adapter.fetch(COMMENTS, None)
    assert time.monotonic() - started < 1.0  # the library did not sleep
    assert caught.value.reset_at == NOW + timedelta(minutes=17)
    assert len(fake_facebook.requests) == 1  # and did not retry


def test_a_throttled_action_is_rate_limited_too(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                comment: Inbound) -> None:
    fake_facebook.inject(Fault(r"/comments$", rate_limit_reply(fake_facebook.page.id, minutes=3, code=613),
                               method="POST"))
    with pytest.raises(RateLimited) as caught:
        adapter.reply(comment, "hello", Channel.PUBLIC)
    assert caught.value.reset_at == NOW + timedelta(minutes=3)
    assert fake_facebook.replies_to(fake_facebook.comments[comment.native_id]) == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, {"error": {"message": "An unknown error has occurred.", "type": "OAuthException", "code": 1,
                              "is_transient": True, "fbtrace_id": "x"}}),
        Reply(503, "<html>Service Unavailable</html>"),
        Reply(502, {}),
        Reply(200, b"{\"data\": [", {"Content-Type": "application/json; charset=UTF-8"}),
        Reply(200, "<html>captive portal</html>"),
        Reply(200, {"error": {"message": "Please retry your request later.", "code": 2, "type": "OAuthException"}}),
    ],
    ids=["500 graph error", "503 html", "502 empty json", "malformed json", "not json", "transient code in 200"],
)
def test_server_trouble_is_platform_unavailable(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                reply: Reply) -> None:
    fake_facebook.inject(Fault(r"/conversations", reply))
    with pytest.raises(PlatformUnavailable):
        adapter.fetch(MESSAGES, None)
    assert len(fake_facebook.requests) == 1  # no retry inside the library


def test_json_without_the_documented_fields_is_platform_unavailable(fake_facebook: FakeFacebook,
                                                                    adapter: FacebookAdapter) -> None:
    fake_facebook.inject(Fault(r"/published_posts", Reply(200, {"data": [{"id": "1_2"}]})))
    with pytest.raises(PlatformUnavailable, match="documented shape"):
        adapter.fetch(COMMENTS, None)


def test_a_slow_answer_times_out_as_platform_unavailable(fake_facebook: FakeFacebook) -> None:
    adapter = create(config_for(fake_facebook, timeout_seconds=0.3), clock=lambda: fake_facebook.now)
    fake_facebook.inject(Fault(r"/published_posts", delay_seconds=2.0))
    started = time.monotonic()
    with pytest.raises(PlatformUnavailable, match="within 0.3s"):
        adapter.fetch(COMMENTS, None)
    assert time.monotonic() - started < 1.5  # gave up at its own timeout, well before the answer


def test_a_refused_connection_is_platform_unavailable_and_certainly_not_sent() -> None:
    gone = FakeFacebook().start()
    adapter = create(config_for(gone))
    gone.stop()
    with pytest.raises(PlatformUnavailable) as caught:
        adapter.post_notice("offline")
    assert caught.value.maybe_sent is False


def test_an_action_without_an_answer_may_have_been_done(fake_facebook: FakeFacebook, comment: Inbound) -> None:
    adapter = create(config_for(fake_facebook, timeout_seconds=0.3), clock=lambda: fake_facebook.now)
    fake_facebook.inject(Fault(r"/comments$", delay_seconds=0.5, method="POST"))
    with pytest.raises(PlatformUnavailable) as caught:
        adapter.reply(comment, "hello", Channel.PUBLIC)
    assert caught.value.maybe_sent is True
    time.sleep(0.3)  # the fake finishes the slow request: Facebook did post it
    assert adapter.find_own_reply(comment, Channel.PUBLIC) is not None


@pytest.mark.parametrize(
    ("reply", "maybe_sent"),
    [(Reply(500, {"error": {"message": "unknown", "code": 1, "is_transient": True}}), True),
     (Reply(200, b"{\"id\": ", {"Content-Type": "application/json"}), True),
     (Reply(400, {"error": {"message": "Please retry", "code": 2, "is_transient": True}}), False)],
    ids=["5xx", "unreadable answer", "transient refusal"],
)
def test_a_failed_action_says_whether_facebook_may_have_done_it(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                                comment: Inbound, reply: Reply, maybe_sent: bool) -> None:
    fake_facebook.inject(Fault(r"/comments$", reply, method="POST"))
    with pytest.raises(PlatformUnavailable) as caught:
        adapter.reply(comment, "hello", Channel.PUBLIC)
    assert caught.value.maybe_sent is maybe_sent


def test_a_failed_read_is_never_maybe_sent(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    fake_facebook.inject(Fault(r"/conversations", Reply(500, {})))
    with pytest.raises(PlatformUnavailable) as caught:
        adapter.fetch(MESSAGES, None)
    assert caught.value.maybe_sent is False


def test_an_expired_token_pauses_the_account(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                             comment: Inbound) -> None:
    fake_facebook.token_valid = False
    with pytest.raises(AuthFailed, match="access token was refused"):
        adapter.fetch(COMMENTS, None)
    with pytest.raises(AuthFailed, match="Session has expired"):
        adapter.hide(comment)


def test_an_injected_401_is_auth_failed(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    fake_facebook.inject(Fault(r"/conversations", Reply(401, expired_token_reply().body)))
    with pytest.raises(AuthFailed):
        adapter.fetch(MESSAGES, None)


def test_a_missing_read_permission_pauses_the_account(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    fake_facebook.permissions.discard("pages_messaging")
    with pytest.raises(AuthFailed, match="pages_messaging"):
        adapter.fetch(MESSAGES, None)


def test_a_missing_action_permission_refuses_only_that_action(fake_facebook: FakeFacebook, adapter: FacebookAdapter,
                                                              comment: Inbound) -> None:
    fake_facebook.permissions.discard("pages_manage_engagement")
    with pytest.raises(ActionRefused, match="pages_manage_engagement"):
        adapter.hide(comment)
    assert not fake_facebook.comments[comment.native_id].is_hidden
    assert adapter.fetch(COMMENTS, None).items  # reading still works


# -- check ---------------------------------------------------------------------------------------------
def test_check_passes_with_a_full_page_token(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    result = adapter.check()
    assert result.ok and result.problems == ()
    assert result.identity == "Leeds Health (1122334455)"
    assert only(fake_facebook, "GET", "/me")["fields"] == "id,name"
    debug = only(fake_facebook, "GET", "/debug_token")
    assert debug["input_token"] == "PAGE-TOKEN" and debug["access_token"] == "998877|app-secret"


def test_check_without_app_credentials_asks_with_the_page_token(fake_facebook: FakeFacebook) -> None:
    config = config_for(fake_facebook)
    bare = AccountConfig(config.name, config.platform, config.handle, config.options,
                         {"PAGE_ACCESS_TOKEN": fake_facebook.token, "PAGE_ID": fake_facebook.page.id})
    assert create(bare).check().ok
    assert only(fake_facebook, "GET", "/debug_token")["access_token"] == "PAGE-TOKEN"


def test_check_names_each_missing_permission_and_what_will_not_work(fake_facebook: FakeFacebook,
                                                                    adapter: FacebookAdapter) -> None:
    fake_facebook.permissions -= {"pages_manage_engagement", "pages_messaging"}
    result = adapter.check()
    assert not result.ok
    assert result.problems == (
        "Facebook page Leeds Health: token lacks pages_manage_engagement; "
        "replies, hide, delete and bans on comments will not work",
        "Facebook page Leeds Health: token lacks pages_messaging; "
        "Messenger will not be read or answered and private replies will not work",
    )


def test_check_says_plainly_when_the_token_has_expired(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    fake_facebook.token_valid = False
    result = adapter.check()
    assert not result.ok and len(result.problems) == 1
    assert "access token was refused" in result.problems[0] and "make a new Page access token" in result.problems[0]


def test_check_warns_of_a_user_token_and_one_about_to_expire(fake_facebook: FakeFacebook,
                                                              adapter: FacebookAdapter) -> None:
    fake_facebook.token_type = "USER"
    fake_facebook.token_expires_at = NOW + timedelta(days=2)
    result = adapter.check()
    assert not result.ok
    assert result.problems == (
        "Facebook page Leeds Health: this is a USER token, not a Page access token; "
        "replies would come from a person, not the Page",
        "Facebook page Leeds Health: the token expires on 2026-11-26 10:00 UTC; make a long-lived one",
    )


def test_check_notices_a_token_for_another_page(fake_facebook: FakeFacebook) -> None:
    config = config_for(fake_facebook)
    wrong = AccountConfig(config.name, config.platform, config.handle, config.options,
                          {**config.secrets, "PAGE_ID": "999"})
    result = create(wrong).check()
    assert not result.ok
    assert result.problems[0] == ("Facebook page Leeds Health: the token belongs to Leeds Health (1122334455), "
                                  "not to page 999; make a Page access token for that page")
    # its permissions were granted for the other Page only, so none of them count for page 999
    assert "token lacks pages_manage_engagement" in " ".join(result.problems[1:])


def test_check_reports_an_unreachable_facebook(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    fake_facebook.inject(Fault(r"/me", Reply(503, "down")))
    result = adapter.check()
    assert not result.ok
    assert result.problems == ("Facebook page Leeds Health: Facebook had a problem while the bot tried to "
                               "say who the token belongs to (HTTP 503)",)


# -- pure translation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"X-Business-Use-Case-Usage": json.dumps({"1": [{"type": "pages", "call_count": 100,
                                                          "estimated_time_to_regain_access": 25}]})}, 25),
        ({"x-app-usage": json.dumps({"call_count": 100, "estimated_time_to_regain_access": 4})}, 4),
        ({"X-Business-Use-Case-Usage": json.dumps({"1": [{"type": "pages", "estimated_time_to_regain_access": 0}]})}, 1),
        ({"Retry-After": "120"}, 2),
        ({"X-Business-Use-Case-Usage": "not json"}, 10),
        ({}, 10),
    ],
    ids=["page buc minutes", "app usage", "zero means a minute", "retry-after", "unreadable", "nothing named"],
)
def test_rate_limit_reset_reads_metas_headers(headers: dict[str, str], wait: int) -> None:
    assert rate_limit_reset(headers, NOW) == NOW + timedelta(minutes=wait)


@pytest.mark.parametrize(
    ("status", "error", "reading", "expected"),
    [
        (400, {"code": 190, "error_subcode": 463, "message": "expired"}, False, AuthFailed),
        (400, {"code": 32, "message": "page limit"}, True, RateLimited),
        (400, {"code": 4, "message": "app limit"}, False, RateLimited),
        (403, {"code": 10, "message": "needs pages_messaging"}, True, AuthFailed),
        (403, {"code": 200, "message": "(#200) Permissions error"}, False, ActionRefused),
        (400, {"code": 10, "error_subcode": 2018278, "message": "outside of allowed window"}, False, ActionRefused),
        (500, {"code": 1, "message": "unknown"}, True, PlatformUnavailable),
        (503, {}, False, PlatformUnavailable),
        (429, {}, True, RateLimited),
    ],
    ids=["expired token", "page throttle", "app throttle", "read permission", "act permission", "window",
         "5xx", "5xx no body", "gateway 429"],
)
def test_graph_errors_map_to_the_services_exceptions(status: int, error: dict[str, Any], reading: bool,
                                                     expected: type) -> None:
    found = translate_failure(status, error, {}, reading=reading, what="do it", label="Facebook page X", now=NOW)
    assert type(found) is expected
    assert str(found).startswith("Facebook page X")


# -- malformed items, the Page's own words, attachments ---------------------------------------------------
@pytest.mark.parametrize("served", [
    {"created_time": DROP}, {"id": DROP}, {"message": None}, {"message": 42}, {"created_time": "last Tuesday"},
], ids=["no-created_time", "no-id", "null-message", "number-message", "garbage-created_time"])
def test_one_malformed_comment_is_set_aside_and_the_rest_are_read(
        fake_facebook: FakeFacebook, adapter: FacebookAdapter, served: dict[str, Any]) -> None:
    post = fake_facebook.add_post("Clinic times", minutes_ago(30))
    first = fake_facebook.add_comment(post, AMY, "first", minutes_ago(10))
    bad = fake_facebook.add_comment(post, AMY, "broken", minutes_ago(8))
    bad.served.update(served)
    last = fake_facebook.add_comment(post, AMY, "last", minutes_ago(6))
    result = adapter.fetch(COMMENTS, None)
    assert [i.native_id for i in result.items] == [first.id, last.id]
    [unreadable] = result.unreadable
    assert unreadable.native_id == ("" if "id" in served else bad.id) and AMY.id in unreadable.raw
    assert Watermark.decode(result.cursor or "").since == last.created_time  # the cursor moved on


def test_one_malformed_messenger_message_is_set_aside(fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    first = fake_facebook.add_message(AMY, "hello", minutes_ago(10))
    bad = fake_facebook.add_message(AMY, "broken", minutes_ago(8))
    bad.served.update({"created_time": DROP, "message": None})
    last = fake_facebook.add_message(AMY, "still there?", minutes_ago(6))
    result = adapter.fetch(MESSAGES, None)
    assert [i.native_id for i in result.items] == [first.id, last.id]
    assert [u.native_id for u in result.unreadable] == [bad.id]


def test_the_pages_own_replies_and_answers_are_never_read_as_inbound(
        fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    post = fake_facebook.add_post("Clinic times", minutes_ago(30))
    fake_facebook.add_comment(post, AMY, "Do I need to book?", minutes_ago(10))
    fake_facebook.add_message(AMY, "hello", minutes_ago(10))
    [comment] = adapter.fetch(COMMENTS, None).items
    [message] = adapter.fetch(MESSAGES, None).items
    adapter.reply(comment, "No need to book.", Channel.PUBLIC)
    adapter.reply(message, "Hello, how can we help?", Channel.PRIVATE)
    assert [i.native_id for i in adapter.fetch(COMMENTS, None).items] == [comment.native_id]
    assert [i.native_id for i in adapter.fetch(MESSAGES, None).items] == [message.native_id]


def test_a_photo_comment_and_a_video_or_sticker_message_carry_their_attachments(
        fake_facebook: FakeFacebook, adapter: FacebookAdapter) -> None:
    post = fake_facebook.add_post("Clinic times", minutes_ago(30))
    photo = fake_facebook.add_comment(post, AMY, "", minutes_ago(10))
    photo.attachment = {"type": "photo", "description": "my arm after the jab",
                        "media": {"image": {"height": 720, "width": 720, "src": "https://scontent.example/p.jpg"}},
                        "target": {"id": "10160", "url": "https://www.facebook.com/photo.php?fbid=10160"},
                        "url": "https://www.facebook.com/photo.php?fbid=10160"}
    video = fake_facebook.add_message(AMY, "", minutes_ago(9))
    video.served["message"] = DROP  # Graph leaves `message` out when there are no words
    video.attachments.append({"id": "1795", "mime_type": "video/mp4", "name": "video-1795.mp4", "size": 1048576,
                              "video_data": {"width": 640, "height": 360, "length": 9,
                                             "url": "https://video.example/v.mp4",
                                             "preview_url": "https://scontent.example/v.jpg"}})
    sticker = fake_facebook.add_message(AMY, "", minutes_ago(8))
    sticker.sticker = "https://scontent.example/sticker.png"
    [comment] = adapter.fetch(COMMENTS, None).items
    video_item, sticker_item = adapter.fetch(MESSAGES, None).items
    assert comment.text == "" and comment.attachments == (Attachment(AttachmentKind.PHOTO, "my arm after the jab"),)
    assert video_item.text == "" and video_item.attachments == (Attachment(AttachmentKind.VIDEO),)
    assert sticker_item.attachments == (Attachment(AttachmentKind.STICKER),)
    asked = fake_facebook.calls("GET", "/comments")[-1].query["fields"]
    assert "attachment" in asked.split(",")
