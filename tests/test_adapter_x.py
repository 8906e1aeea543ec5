"""The X adapter through the real tweepy client over HTTP, against the fake X on 127.0.0.1.

Every assertion about an action is made on the fake's side: its state, and the requests tweepy
really sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pathlib import Path

from adapters.base import (
    AccountConfig,
    ActionRefused,
    AuthFailed,
    PlatformUnavailable,
    RateBudget,
    RateLimited,
)
from adapters.x import XAdapter, create
from bot.errors import ConfigError
from bot.model import ActionKind, Attachment, AttachmentKind, Author, Channel, Inbound, Platform
from tests.fakes.server import DROP, Fault, Reply
from tests.fakes.x import OWN_ID, FakeX, fake_x, too_many_requests  # noqa: F401

RESET_AT = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _state_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter keeps its notice id under the account's state folder ("." unless a test gives
    one): run each test in its own folder so nothing is written into the repository."""
    monkeypatch.chdir(tmp_path)


def account(fake: FakeX, *, oauth2: bool = False, secrets: dict[str, str] | None = None,
            state_dir: Path = Path("."), **options: object) -> AccountConfig:
    return AccountConfig(
        name="leeds_x", platform=Platform.X, handle="@NHSLeeds",
        options={"api_base_url": fake.url, "timeout_seconds": 2, **options},
        secrets=secrets if secrets is not None else fake.secrets(oauth2=oauth2),
        settings_file=Path("housebot.toml"), settings_key="accounts[0]", state_dir=state_dir,
    )


def adapter(fake: FakeX, **kwargs: object) -> XAdapter:
    return create(account(fake, **kwargs))  # type: ignore[arg-type]


def requests_to(fake: FakeX, path: str, method: str = "GET") -> list:
    return [r for r in fake.requests if r.path == path and r.method == method]


# -- building -----------------------------------------------------------------------------------

def test_the_client_never_sleeps_on_rate_limits_and_sends_through_the_fake(fake_x: FakeX) -> None:
    x = adapter(fake_x)
    assert x._client.wait_on_rate_limit is False
    assert x.own_ids() == frozenset({OWN_ID})
    assert [r.path for r in fake_x.requests] == ["/2/users/me"]
    assert fake_x.requests[0].headers["Authorization"].startswith("OAuth ")


def test_user_id_from_the_secrets_saves_the_profile_call(fake_x: FakeX) -> None:
    x = adapter(fake_x, secrets={**fake_x.secrets(), "USER_ID": OWN_ID})
    assert x.own_ids() == frozenset({OWN_ID})
    assert fake_x.requests == []


@pytest.mark.parametrize(
    ("secrets", "key"),
    [
        ({}, "API_KEY"),
        ({"API_KEY": "k", "API_SECRET": "s", "ACCESS_TOKEN": "t"}, "ACCESS_TOKEN_SECRET"),
    ],
    ids=["nothing", "oauth1-incomplete"],
)
def test_missing_credentials_name_the_secret(fake_x: FakeX, secrets: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        create(account(fake_x, secrets=secrets))
    assert caught.value.key == key
    assert "USER_ACCESS_TOKEN" in caught.value.problem


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"timeout_seconds": 0}, "accounts[0].options.timeout_seconds"),
        ({"api_base_url": "ftp://nowhere"}, "accounts[0].options.api_base_url"),
        ({"streams": ["mentions", "timeline"]}, "accounts[0].options.streams"),
        ({"requests_per_15_minutes": {"mentions": 0}}, "accounts[0].options.requests_per_15_minutes.mentions"),
        ({"requests_per_15_minutes": {"likes": 5}}, "accounts[0].options.requests_per_15_minutes.likes"),
        ({"first_fetch_max_results": 3}, "accounts[0].options.first_fetch_max_results"),
        ({"timeout": 5}, "accounts[0].options.timeout"),
    ],
    ids=["timeout", "base-url", "stream", "budget-zero", "budget-unknown-stream", "first-fetch", "unknown"],
)
def test_bad_options_name_the_key(fake_x: FakeX, options: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        create(account(fake_x, **options))
    assert caught.value.key == key and caught.value.file == "housebot.toml"


def test_capabilities_and_rate_budgets_are_declared(fake_x: FakeX) -> None:
    x = adapter(fake_x)
    caps = x.capabilities
    assert caps.actions == {ActionKind.REPLY, ActionKind.HIDE, ActionKind.UNHIDE, ActionKind.MUTE,
                            ActionKind.UNMUTE, ActionKind.POST_NOTICE, ActionKind.FOLLOW, ActionKind.UNFOLLOW}
    assert not caps.supports(ActionKind.BLOCK) and not caps.supports(ActionKind.DELETE)
    assert caps.max_reply_length == {Channel.PUBLIC: 280, Channel.PRIVATE: 10_000}
    assert caps.hide_own_threads_only and caps.url_length == 23 and caps.can_find_own_reply
    assert x.streams == ("mentions", "direct_messages")
    assert x.rate_budgets == {"mentions": RateBudget(180, timedelta(minutes=15)),
                              "direct_messages": RateBudget(300, timedelta(minutes=15))}
    lower = adapter(fake_x, requests_per_15_minutes={"mentions": 10})
    assert lower.rate_budgets["mentions"] == RateBudget(10, timedelta(minutes=15))
    older = adapter(fake_x, streams=["dms"], requests_per_15_minutes={"dms": 15})  # the stream's name before 2026-11
    assert older.streams == ("direct_messages",)
    assert older.rate_budgets["direct_messages"] == RateBudget(15, timedelta(minutes=15))


# -- reading mentions ---------------------------------------------------------------------------

def test_first_fetch_reads_only_the_newest_page_oldest_first(fake_x: FakeX) -> None:
    posts = [fake_x.mention("amy", f"question {n}") for n in range(15)]
    result = adapter(fake_x).fetch("mentions", None)
    assert [i.native_id for i in result.items] == [p.id for p in posts[-10:]]
    assert result.cursor == posts[-1].id
    [sent] = requests_to(fake_x, f"/2/users/{OWN_ID}/mentions")
    assert sent.query["max_results"] == "10" and "since_id" not in sent.query
    assert set(sent.query["expansions"].split(",")) == {"author_id", "referenced_tweets.id", "attachments.media_keys"}
    assert {"created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets"} <= set(
        sent.query["tweet.fields"].split(","))
    assert sent.query["user.fields"] == "username,name"


def test_later_fetches_follow_every_page_after_the_cursor(fake_x: FakeX) -> None:
    seen = fake_x.mention("amy", "old")
    newer = [fake_x.mention(f"user{n % 7}", f"hello {n}") for n in range(250)]
    x = adapter(fake_x)
    result = x.fetch("mentions", seen.id)
    assert [i.native_id for i in result.items] == [p.id for p in newer]
    assert result.cursor == newer[-1].id
    pages = requests_to(fake_x, f"/2/users/{OWN_ID}/mentions")
    assert len(pages) == 3
    assert all(p.query["since_id"] == seen.id and p.query["max_results"] == "100" for p in pages)
    assert "pagination_token" not in pages[0].query and pages[1].query["pagination_token"]


def test_fetching_again_with_the_same_cursor_is_safe(fake_x: FakeX) -> None:
    seen = fake_x.mention("amy", "old")
    new = fake_x.mention("bob", "new")
    x = adapter(fake_x)
    first = x.fetch("mentions", seen.id)
    again = x.fetch("mentions", seen.id)
    assert first == again and [i.native_id for i in first.items] == [new.id]
    nothing = x.fetch("mentions", first.cursor)
    assert nothing.items == () and nothing.cursor == new.id


def test_a_failure_mid_pagination_returns_nothing_and_the_same_cursor_recovers_all(fake_x: FakeX) -> None:
    seen = fake_x.mention("amy", "old")
    newer = [fake_x.mention("bob", f"n{n}") for n in range(150)]
    x = adapter(fake_x)
    fake_x.next_page_faults.append(Reply(503, {"title": "Service Unavailable", "status": 503}))
    with pytest.raises(PlatformUnavailable):
        x.fetch("mentions", seen.id)
    assert len(requests_to(fake_x, f"/2/users/{OWN_ID}/mentions")) == 2
    result = x.fetch("mentions", seen.id)
    assert [i.native_id for i in result.items] == [p.id for p in newer]


def test_a_mention_becomes_an_inbound_with_every_field(fake_x: FakeX) -> None:
    fake_x.user("amy", "Amy Patient")
    post = fake_x.mention("amy", "when is the flu clinic open?")
    [inbound] = adapter(fake_x).fetch("mentions", None).items
    assert inbound == Inbound(
        platform=Platform.X, account="leeds_x", stream="mentions", channel=Channel.PUBLIC,
        native_id=post.id, author=Author(post.author_id, "@amy", "Amy Patient"),
        text="@NHSLeeds when is the flu clinic open?", created_at=post.created_at,
        thread_id=post.id, parent_id="", in_reply_to_own=False, extras=inbound.extras,
    )
    assert inbound.created_at.tzinfo is not None and inbound.created_at.utcoffset() == timedelta(0)
    assert inbound.extras["url"] == f"https://x.com/amy/status/{post.id}"


def test_replies_know_whether_they_are_in_the_accounts_own_conversation(fake_x: FakeX) -> None:
    ours = fake_x.own_post("Flu clinics open this week")
    direct = fake_x.reply_to(ours, "amy", "great news")
    theirs = fake_x.mention("bob", "what about Saturdays?")
    in_theirs = fake_x.reply_to(theirs, "cat", "@bob @NHSLeeds same question")
    first = adapter(fake_x).fetch("mentions", None)
    items = {i.native_id: i for i in first.items}
    assert items[direct.id].in_reply_to_own and items[direct.id].parent_id == ours.id
    assert items[direct.id].thread_id == ours.id
    assert not items[theirs.id].in_reply_to_own
    assert not items[in_theirs.id].in_reply_to_own and items[in_theirs.id].thread_id == theirs.id
    assert requests_to(fake_x, "/2/tweets") == []  # every conversation starter came in `includes`
    # A restarted bot sees a reply to a reply: neither the root nor its author is in the answer,
    # so the root is looked up (GET /2/tweets) to learn who started the conversation.
    deep = fake_x.reply_to(direct, "dan", "@amy @NHSLeeds agreed")
    [inbound] = adapter(fake_x).fetch("mentions", first.cursor).items
    assert inbound.native_id == deep.id and inbound.in_reply_to_own and inbound.parent_id == direct.id
    [lookup] = requests_to(fake_x, "/2/tweets")
    assert lookup.query["ids"] == ours.id and "author_id" in lookup.query["tweet.fields"]
    assert inbound.extras["conversation_started_by"] == OWN_ID


def test_when_x_cannot_say_who_started_a_conversation_the_mention_still_arrives(fake_x: FakeX) -> None:
    ours = fake_x.own_post("Flu clinics open this week")
    direct = fake_x.reply_to(ours, "amy", "great news")
    first = adapter(fake_x).fetch("mentions", None)
    deep = fake_x.reply_to(direct, "dan", "@amy @NHSLeeds agreed")
    fake_x.inject(Fault(r"^/2/tweets$", Reply(503, {"title": "Service Unavailable"}), method="GET"))
    [inbound] = adapter(fake_x).fetch("mentions", first.cursor).items
    assert inbound.native_id == deep.id
    assert not inbound.in_reply_to_own and inbound.extras["conversation_started_by"] == ""


def test_unknown_stream_is_a_programming_error(fake_x: FakeX) -> None:
    with pytest.raises(ValueError):
        adapter(fake_x).fetch("timeline", None)


# -- reading direct messages --------------------------------------------------------------------

def test_dms_first_fetch_reads_one_page_and_drops_the_accounts_own(fake_x: FakeX) -> None:
    fake_x.user("amy", "Amy Patient")
    first = fake_x.dm("amy", "can I change my appointment?")
    x = adapter(fake_x)
    x.reply(x.fetch("direct_messages", None).items[0], "Please call 0113 206 6261.", Channel.PRIVATE)
    second = fake_x.dm("amy", "thanks")
    result = x.fetch("direct_messages", None)
    assert [i.native_id for i in result.items] == [first.id, second.id]
    assert result.cursor == second.id
    inbound = result.items[0]
    assert inbound.channel is Channel.PRIVATE and inbound.stream == "direct_messages"
    assert inbound.author == Author(first.sender_id, "@amy", "Amy Patient")
    assert inbound.thread_id == first.dm_conversation_id and inbound.created_at == first.created_at
    sent = requests_to(fake_x, "/2/dm_events")[-1]
    assert sent.query["event_types"] == "MessageCreate" and sent.query["max_results"] == "10"
    assert "sender_id" in sent.query["dm_event.fields"] and sent.query["expansions"] == "sender_id,attachments.media_keys"


def test_dms_after_a_cursor_follow_pages_and_stop_at_the_cursor(fake_x: FakeX) -> None:
    old = [fake_x.dm("amy", f"old {n}") for n in range(130)]
    new = [fake_x.dm(f"user{n % 5}", f"new {n}") for n in range(120)]
    x = adapter(fake_x)
    result = x.fetch("direct_messages", old[-1].id)
    assert [i.native_id for i in result.items] == [e.id for e in new]
    assert result.cursor == new[-1].id
    assert len(requests_to(fake_x, "/2/dm_events")) == 2  # 100 + 20 new, then the cursor is met
    assert x.fetch("direct_messages", result.cursor) == type(result)((), new[-1].id)


def test_our_own_dm_advances_the_cursor_but_is_not_inbound(fake_x: FakeX) -> None:
    incoming = fake_x.dm("amy", "hello")
    x = adapter(fake_x)
    x.reply(x.fetch("direct_messages", None).items[0], "Hello Amy", Channel.PRIVATE)
    result = x.fetch("direct_messages", incoming.id)
    assert result.items == () and result.cursor == fake_x.dms_from()[-1].id


# -- acting -------------------------------------------------------------------------------------

def _inbound(fake: FakeX, x: XAdapter, native_id: str) -> Inbound:
    return next(i for i in x.fetch("mentions", None).items + x.fetch("direct_messages", None).items if i.native_id == native_id)


def test_public_reply_posts_under_the_mention(fake_x: FakeX) -> None:
    post = fake_x.mention("amy", "is the walk-in centre open?")
    x = adapter(fake_x)
    reply_id = x.reply(_inbound(fake_x, x, post.id), "Yes, until 8pm.", Channel.PUBLIC)
    [made] = fake_x.replies_to(post.id)
    assert made.id == reply_id and made.text == "Yes, until 8pm."
    body = requests_to(fake_x, "/2/tweets", "POST")[-1].json()
    assert body == {"reply": {"in_reply_to_tweet_id": post.id}, "text": "Yes, until 8pm."}


def test_private_reply_sends_a_dm_to_the_author(fake_x: FakeX) -> None:
    event = fake_x.dm("amy", "my letter has my neighbour's name on it")
    x = adapter(fake_x)
    event_id = x.reply(_inbound(fake_x, x, event.id), "We're sorry, please email us.", Channel.PRIVATE)
    [sent] = fake_x.dms_from()
    assert sent.id == event_id and sent.text == "We're sorry, please email us."
    assert sent.participant_ids == (OWN_ID, event.sender_id)
    assert requests_to(fake_x, f"/2/dm_conversations/with/{event.sender_id}/messages", "POST")


def test_private_reply_to_someone_who_does_not_accept_dms_is_refused(fake_x: FakeX) -> None:
    post = fake_x.mention("amy", "here is my NHS number 943 476 5919")
    x = adapter(fake_x)
    with pytest.raises(ActionRefused, match="cannot send messages to this user"):
        x.reply(_inbound(fake_x, x, post.id), "Please remove it.", Channel.PRIVATE)
    assert fake_x.dms_from() == []


def test_a_dm_cannot_be_answered_in_public(fake_x: FakeX) -> None:
    event = fake_x.dm("amy", "hello")
    x = adapter(fake_x)
    inbound = _inbound(fake_x, x, event.id)
    before = len(fake_x.requests)
    with pytest.raises(ActionRefused):
        x.reply(inbound, "hello", Channel.PUBLIC)
    assert len(fake_x.requests) == before


def test_duplicate_text_is_refused_with_xs_reason(fake_x: FakeX) -> None:
    a = fake_x.mention("amy", "one")
    b = fake_x.mention("bob", "two")
    x = adapter(fake_x)
    x.reply(_inbound(fake_x, x, a.id), "Please see our website.", Channel.PUBLIC)
    with pytest.raises(ActionRefused, match="duplicate content"):
        x.reply(_inbound(fake_x, x, b.id), "Please see our website.", Channel.PUBLIC)


def test_hide_and_unhide_a_reply_in_our_own_conversation(fake_x: FakeX) -> None:
    ours = fake_x.own_post("Vaccination update")
    rude = fake_x.reply_to(ours, "troll", "you are all useless idiots")
    x = adapter(fake_x)
    inbound = _inbound(fake_x, x, rude.id)
    assert x.hide(inbound) == rude.id and fake_x.hidden_ids() == {rude.id}
    assert requests_to(fake_x, f"/2/tweets/{rude.id}/hidden", "PUT")[-1].json() == {"hidden": True}
    assert x.unhide(inbound) == rude.id and fake_x.hidden_ids() == set()


def test_hide_outside_our_conversations_is_refused_before_calling_x(fake_x: FakeX) -> None:
    theirs = fake_x.mention("bob", "question")
    rude = fake_x.reply_to(theirs, "troll", "@bob @NHSLeeds rubbish")
    x = adapter(fake_x)
    inbound = _inbound(fake_x, x, rude.id)
    before = len(fake_x.requests)
    with pytest.raises(ActionRefused, match="conversations it started"):
        x.hide(inbound)
    assert len(fake_x.requests) == before and fake_x.hidden_ids() == set()


def test_x_itself_refuses_a_hide_in_someone_elses_conversation(fake_x: FakeX) -> None:
    theirs = fake_x.mention("bob", "question")
    rude = fake_x.reply_to(theirs, "troll", "@bob @NHSLeeds rubbish")
    x = adapter(fake_x)
    wrongly_marked = _inbound(fake_x, x, rude.id)
    object.__setattr__(wrongly_marked, "in_reply_to_own", True)
    with pytest.raises(ActionRefused, match="conversations you authored"):
        x.hide(wrongly_marked)
    assert fake_x.hidden_ids() == set()


def test_a_dm_cannot_be_hidden(fake_x: FakeX) -> None:
    event = fake_x.dm("amy", "hello")
    x = adapter(fake_x)
    with pytest.raises(ActionRefused):
        x.hide(_inbound(fake_x, x, event.id))


def test_delete_removes_only_our_own_posts(fake_x: FakeX) -> None:
    other = fake_x.mention("amy", "hello")
    x = adapter(fake_x)
    notice_id = x.post_notice("We're offline until 8am.")
    mine = Inbound(Platform.X, "leeds_x", "mentions", Channel.PUBLIC, notice_id,
                   Author(OWN_ID, "@NHSLeeds"), "We're offline until 8am.", fake_x.now)
    assert x.delete(mine) == notice_id and fake_x.posts_by() == []
    before = len(fake_x.requests)
    with pytest.raises(ActionRefused, match="only the account's own posts"):
        x.delete(_inbound(fake_x, x, other.id))
    assert not fake_x.posts[other.id].deleted
    assert len(requests_to(fake_x, f"/2/tweets/{other.id}", "DELETE")) == 0 and len(fake_x.requests) > before


def test_block_is_refused_and_mute_is_offered(fake_x: FakeX) -> None:
    troll = fake_x.user("troll")
    x = adapter(fake_x)
    author = Author(troll.id, "@troll")
    before = len(fake_x.requests)
    with pytest.raises(ActionRefused, match="cannot block"):
        x.block(author)
    with pytest.raises(ActionRefused):
        x.unblock(author)
    assert len(fake_x.requests) == before
    assert x.mute(author) == troll.id and fake_x.mutes == {troll.id}
    assert requests_to(fake_x, f"/2/users/{OWN_ID}/muting", "POST")[-1].json() == {"target_user_id": troll.id}
    assert x.unmute(author) == troll.id and fake_x.mutes == set()
    assert len(requests_to(fake_x, f"/2/users/{OWN_ID}/muting/{troll.id}", "DELETE")) == 1


def test_post_notice_publishes_a_post_and_clear_notice_takes_it_down(fake_x: FakeX, tmp_path: Path) -> None:
    x = adapter(fake_x, state_dir=tmp_path)
    assert x.clear_notice() is None  # nothing posted yet: nothing to undo, nothing asked of X
    notice_id = x.post_notice("This account is not monitored until 8am. In an emergency call 999.")
    [post] = fake_x.posts_by()
    assert post.id == notice_id and post.replied_to == ""
    restarted = adapter(fake_x, state_dir=tmp_path)  # the notice's id survives a restart
    assert restarted.clear_notice() == notice_id
    assert fake_x.posts_by() == [] and requests_to(fake_x, f"/2/tweets/{notice_id}", "DELETE")
    assert restarted.clear_notice() is None


def test_find_own_reply_after_a_crash(fake_x: FakeX) -> None:
    post = fake_x.mention("amy", "question")
    event = fake_x.dm("bob", "question")
    x = adapter(fake_x)
    mention, dm = _inbound(fake_x, x, post.id), _inbound(fake_x, x, event.id)
    assert x.find_own_reply(mention, Channel.PUBLIC) is None and x.find_own_reply(dm, Channel.PRIVATE) is None
    reply_id = x.reply(mention, "Answer", Channel.PUBLIC)
    dm_id = x.reply(dm, "Answer", Channel.PRIVATE)
    assert x.find_own_reply(mention, Channel.PUBLIC) == reply_id
    assert x.find_own_reply(dm, Channel.PRIVATE) == dm_id
    timeline = requests_to(fake_x, f"/2/users/{OWN_ID}/tweets")[-1]
    assert timeline.query["since_id"] == post.id


def test_find_own_reply_sees_a_private_answer_to_a_public_mention(fake_x: FakeX) -> None:
    fake_x.user("amy", accepts_dms_from_anyone=True)
    post = fake_x.mention("amy", "my date of birth is 01/02/1960")
    x = adapter(fake_x)
    mention = _inbound(fake_x, x, post.id)
    assert x.find_own_reply(mention, Channel.PRIVATE) is None
    dm_id = x.reply(mention, "Please don't share personal details in public.", Channel.PRIVATE)
    assert x.find_own_reply(mention, Channel.PRIVATE) == dm_id
    assert x.find_own_reply(mention, Channel.PUBLIC) is None


# -- faults -------------------------------------------------------------------------------------

def test_429_reports_the_reset_time_without_sleeping(fake_x: FakeX) -> None:
    x = adapter(fake_x)
    x.own_ids()
    fake_x.inject(Fault(r"/mentions$", too_many_requests(RESET_AT)))
    started = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        x.fetch("mentions", None)
    assert caught.value.reset_at == RESET_AT and caught.value.reset_at.tzinfo is not None
    assert datetime.now(UTC) - started < timedelta(seconds=2)


def test_429_without_the_reset_header_waits_one_window_from_xs_date(fake_x: FakeX) -> None:
    x = adapter(fake_x)
    x.own_ids()
    fake_x.inject(Fault(r"/muting$", Reply(429, {"title": "Too Many Requests", "status": 429})))
    before = datetime.now(UTC).replace(microsecond=0)
    with pytest.raises(RateLimited) as caught:
        x.mute(Author(fake_x.user("troll").id, "@troll"))
    after = datetime.now(UTC)
    # the fake's HTTP server stamps every answer with `Date`; X's window is 15 minutes
    assert before + timedelta(minutes=15) <= caught.value.reset_at <= after + timedelta(minutes=15)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_unavailable(fake_x: FakeX, status: int) -> None:
    x = adapter(fake_x)
    x.own_ids()
    fake_x.inject(Fault(r"/dm_events$", Reply(status, {"title": "Service Unavailable", "status": status})))
    with pytest.raises(PlatformUnavailable):
        x.fetch("direct_messages", None)


def test_a_timeout_is_unavailable(fake_x: FakeX) -> None:
    x = adapter(fake_x, timeout_seconds=0.3)
    x.own_ids()
    fake_x.inject(Fault(r"/mentions$", delay_seconds=0.6))
    with pytest.raises(PlatformUnavailable, match="could not reach X"):
        x.fetch("mentions", None)


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]"], ids=["broken", "empty", "list"])
def test_an_unreadable_answer_is_unavailable(fake_x: FakeX, body: bytes) -> None:
    x = adapter(fake_x)
    x.own_ids()
    fake_x.inject(Fault(r"/mentions$", Reply(200, body)))
    with pytest.raises(PlatformUnavailable):
        x.fetch("mentions", None)


def test_a_closed_port_is_unavailable(fake_x: FakeX) -> None:
    x = adapter(fake_x, secrets={**fake_x.secrets(), "USER_ID": OWN_ID})
    fake_x.stop()
    with pytest.raises(PlatformUnavailable):
        x.fetch("mentions", None)


def test_expired_tokens_are_auth_failures_on_reads_and_actions(fake_x: FakeX) -> None:
    post = fake_x.mention("amy", "hello")
    x = adapter(fake_x)
    inbound = _inbound(fake_x, x, post.id)
    fake_x.tokens_valid = False
    with pytest.raises(AuthFailed, match="refused the credentials"):
        x.fetch("mentions", None)
    with pytest.raises(AuthFailed):
        x.reply(inbound, "hello", Channel.PUBLIC)


def test_a_tier_that_cannot_read_mentions_is_an_auth_failure(fake_x: FakeX) -> None:
    x = adapter(fake_x)
    x.own_ids()
    fake_x.can_read_mentions = False
    with pytest.raises(AuthFailed, match="does not allow reading mentions"):
        x.fetch("mentions", None)


def test_a_write_refused_by_token_permissions_is_refused_not_auth(fake_x: FakeX) -> None:
    x = adapter(fake_x)
    fake_x.access_level = "read"
    with pytest.raises(ActionRefused, match="oauth1 app permissions"):
        x.post_notice("offline")


# -- OAuth 2.0 ----------------------------------------------------------------------------------

def test_oauth2_user_token_is_sent_as_bearer_and_works(fake_x: FakeX) -> None:
    post = fake_x.mention("amy", "hello")
    x = adapter(fake_x, oauth2=True)
    [inbound] = x.fetch("mentions", None).items
    x.reply(inbound, "Hello Amy", Channel.PUBLIC)
    x.mute(inbound.author)
    assert fake_x.replies_to(post.id) and fake_x.mutes == {inbound.author.id}
    assert all(r.headers["Authorization"] == "Bearer fake-oauth2-user-token" for r in fake_x.requests)


# -- check --------------------------------------------------------------------------------------

def test_check_ok_names_the_identity(fake_x: FakeX) -> None:
    result = adapter(fake_x).check()
    assert result.ok and result.problems == ()
    assert result.identity == f"@NHSLeeds (NHS Leeds, id {OWN_ID})"
    assert [r.path for r in fake_x.requests] == ["/2/users/me", f"/2/users/{OWN_ID}/mentions", "/2/dm_events"]


def test_check_says_the_free_tier_cannot_read_mentions(fake_x: FakeX) -> None:
    fake_x.can_read_mentions = False
    result = adapter(fake_x).check()
    assert not result.ok
    assert result.problems == ("X account @NHSLeeds: the API access tier cannot read mentions (the free tier only "
                               "posts); replies and moderation will not work",)


def test_check_reports_a_read_only_token_and_missing_dm_permission(fake_x: FakeX) -> None:
    fake_x.access_level = "read"
    result = adapter(fake_x).check()
    assert not result.ok and len(result.problems) == 2
    assert "read-only" in result.problems[0] and "replies, hides, mutes and notices" in result.problems[0]
    assert "cannot read direct messages" in result.problems[1]


def test_check_reports_refused_credentials_in_one_sentence(fake_x: FakeX) -> None:
    fake_x.tokens_valid = False
    result = adapter(fake_x).check()
    assert not result.ok and result.identity == ""
    [problem] = result.problems
    assert problem.startswith("X account @NHSLeeds: X refused the credentials") and "new access tokens" in problem


def test_check_notices_tokens_of_another_account(fake_x: FakeX) -> None:
    config = account(fake_x, secrets={**fake_x.secrets(), "USER_ID": "42"}, streams=["mentions"])
    config = AccountConfig(config.name, config.platform, "@SomeoneElse", config.options, config.secrets)
    result = create(config).check()
    assert not result.ok
    assert any("USER_ID is 42" in p for p in result.problems)
    assert any("not @SomeoneElse" in p for p in result.problems)


def test_check_when_x_is_down(fake_x: FakeX) -> None:
    fake_x.inject(Fault(r"/2/users/me$", Reply(503, {"title": "Service Unavailable"})))
    result = adapter(fake_x).check()
    assert not result.ok and "X failed" in result.problems[0]


def test_an_action_answered_without_a_result_is_refused_with_xs_reason(fake_x: FakeX) -> None:
    x = adapter(fake_x)
    fake_x.inject(Fault(r"^/2/tweets$", Reply(200, {"errors": [{"title": "Forbidden", "detail": "Posting is paused"}]}),
                        method="POST"))
    with pytest.raises(ActionRefused, match="Posting is paused"):
        x.post_notice("offline")


def test_a_server_error_on_an_action_is_unavailable_not_refused(fake_x: FakeX) -> None:
    post = fake_x.mention("amy", "hello")
    x = adapter(fake_x)
    inbound = _inbound(fake_x, x, post.id)
    fake_x.inject(Fault(r"^/2/tweets$", Reply(503, {"title": "Service Unavailable"}), method="POST"))
    with pytest.raises(PlatformUnavailable):
        x.reply(inbound, "hello", Channel.PUBLIC)
    assert fake_x.replies_to(post.id) == []


def test_an_action_that_may_have_reached_x_says_so(fake_x: FakeX) -> None:
    """A read timeout or 5xx after sending may have posted: the service must look before resending."""
    post = fake_x.mention("amy", "hello")
    x = adapter(fake_x, timeout_seconds=0.3)
    inbound = _inbound(fake_x, x, post.id)
    fake_x.inject(Fault(r"^/2/tweets$", delay_seconds=0.6, method="POST"))
    with pytest.raises(PlatformUnavailable) as timed_out:
        x.reply(inbound, "hello", Channel.PUBLIC)
    assert timed_out.value.maybe_sent
    fake_x.inject(Fault(r"^/2/tweets$", Reply(503, {"title": "Service Unavailable"}), method="POST"))
    with pytest.raises(PlatformUnavailable) as failed:
        x.reply(inbound, "hello again", Channel.PUBLIC)
    assert failed.value.maybe_sent
    fake_x.inject(Fault(r"^/2/tweets$", Reply(201, b"{broken"), method="POST"))
    with pytest.raises(PlatformUnavailable) as unreadable:
        x.reply(inbound, "hello once more", Channel.PUBLIC)
    assert unreadable.value.maybe_sent


def test_a_read_or_an_unreachable_x_is_never_maybe_sent(fake_x: FakeX) -> None:
    post = fake_x.mention("amy", "hello")
    x = adapter(fake_x)
    inbound = _inbound(fake_x, x, post.id)
    fake_x.inject(Fault(r"/mentions$", Reply(503, {"title": "Service Unavailable"})))
    with pytest.raises(PlatformUnavailable) as read_failed:
        x.fetch("mentions", None)
    assert not read_failed.value.maybe_sent
    fake_x.stop()
    x.close()  # drop the kept-alive connection, which the stopped server would still answer
    with pytest.raises(PlatformUnavailable) as refused:
        x.reply(inbound, "hello", Channel.PUBLIC)
    assert not refused.value.maybe_sent


# -- malformed items and attachments -------------------------------------------------------------------
@pytest.mark.parametrize("served", [
    {"created_at": DROP},
    {"created_at": "yesterday at noon"},
    {"id": "not-a-number"},
    {"referenced_tweets": "replied_to:1"},
    {"referenced_tweets": [["replied_to", "1"]]},
    {"text": None},
], ids=["no-created_at", "garbage-created_at", "non-numeric-id", "referenced-string", "referenced-lists", "null-text"])
def test_one_malformed_mention_is_set_aside_and_the_rest_of_the_page_is_read(fake_x: FakeX, served: dict) -> None:
    before = fake_x.mention("amy", "first question")
    bad = fake_x.mention("bob", "this one arrives broken")
    bad.served.update(served)
    after = fake_x.mention("cat", "second question")
    x = adapter(fake_x)
    result = x.fetch("mentions", before.id)
    assert [i.native_id for i in result.items] == [after.id]
    [unreadable] = result.unreadable
    assert unreadable.native_id == str(served.get("id", bad.id)) and unreadable.reason
    assert bad.author_id in unreadable.raw  # kept as X sent it
    assert result.cursor == after.id  # the cursor moves past the bad item too
    assert x.fetch("mentions", result.cursor).items == ()


def test_a_lone_surrogate_in_text_is_read_as_a_replacement_character(fake_x: FakeX) -> None:
    post = fake_x.mention("amy", "heart \ud83d broken")
    [item] = adapter(fake_x).fetch("mentions", None).items
    assert item.native_id == post.id and item.text.endswith("heart \ufffd broken")
    item.text.encode("utf-8")  # storable and printable


def test_one_malformed_direct_message_is_set_aside(fake_x: FakeX) -> None:
    first = fake_x.dm("amy", "hello")
    bad = fake_x.dm("bob", "broken")
    bad.served.update({"id": "dm-x", "created_at": DROP})
    last = fake_x.dm("cat", "hello again")
    result = adapter(fake_x).fetch("direct_messages", first.id)
    assert [i.native_id for i in result.items] == [last.id]
    assert [u.native_id for u in result.unreadable] == ["dm-x"]
    assert result.cursor == last.id


def test_photos_and_videos_are_carried_with_their_alt_text(fake_x: FakeX) -> None:
    post = fake_x.mention("amy", "https://t.co/abc")
    post.media.extend([{"media_key": "3_1", "type": "photo", "alt_text": "a swollen ankle"},
                       {"media_key": "7_2", "type": "video"}])
    event = fake_x.dm("bob", "")
    event.media.append({"media_key": "16_3", "type": "animated_gif"})
    x = adapter(fake_x)
    [mention] = x.fetch("mentions", None).items
    [dm] = x.fetch("direct_messages", None).items
    assert mention.native_id == post.id and mention.attachments == (
        Attachment(AttachmentKind.PHOTO, "a swollen ankle"), Attachment(AttachmentKind.VIDEO, ""))
    assert dm.native_id == event.id and dm.attachments == (Attachment(AttachmentKind.VIDEO, ""),)
    mentions_call = requests_to(fake_x, f"/2/users/{OWN_ID}/mentions")[-1]
    assert "attachments.media_keys" in mentions_call.query["expansions"]


def test_a_notice_posted_before_a_crash_is_found_and_then_taken_down(fake_x: FakeX, tmp_path: Path) -> None:
    text = "This account is not monitored until 8am. In an emergency call 999."
    x = adapter(fake_x, state_dir=tmp_path)
    assert x.find_notice(text) is None
    notice_id = x.post_notice(text)
    x._notice_file.unlink()  # the crash: X has the post, nothing of it was kept
    restarted = adapter(fake_x, state_dir=tmp_path)
    assert restarted.clear_notice() is None  # without the id the post would stay up
    assert restarted.find_notice(text) == notice_id
    assert restarted.clear_notice() == notice_id and fake_x.posts_by() == []
