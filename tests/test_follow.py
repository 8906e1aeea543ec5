"""Following back, without endorsement (issue 16 part 2).

The decision is pure (`bot.follow`) and is tested as a table. The rest runs through the real
libraries against the fakes on 127.0.0.1: the whole bot on the fake X (tweepy), where it follows
back, unfollows someone it has muted, keeps the daily cap, never follows twice and survives a
crash between planning and sending; X's 403 for an access tier without the followers endpoint;
instagrapi's follow, unfollow and followers on the fake Instagram; `housebot log --action
follow`; the policy's checks; and the words that say following is not endorsement.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from adapters import facebook
from adapters.base import AccountConfig, ActionRefused
from adapters.instagram import InstagramAdapter
from bot.cli import main
from bot.errors import ConfigError
from bot.follow import FollowMode, FollowPolicy, Standing, plan_follows, plan_unfollows, profile_findings, why_not_follow
from bot.model import ActionKind, Author, Capabilities, Channel, Finding, Follower, Category, Platform
from bot.moderation import ModerationData, load_moderation_data
from bot.policy import load_policy
from bot.replies import TEMPLATE_NAMES
from bot.replies_cli import check_replies_command, preview_command
from bot.service import Service
from bot.store import DONE, SENDING
from tests.fakes.instagram import FakeInstagram
from tests.fakes.x import OWN_ID, FakeX, fake_x  # noqa: F401
from tests.helpers import ALWAYS_OPEN_TABLE, LONDON, REPO, Clock, environment, run_until, sandbox_service, write_settings

TEAMS = ("comms", "safeguarding", "patient_experience", "immunisation", "security")
NOW = datetime(2026, 6, 3, 9, 0, tzinfo=LONDON)
CAN_FOLLOW = Capabilities(actions=frozenset({ActionKind.FOLLOW, ActionKind.UNFOLLOW}),
                          max_reply_length={Channel.PUBLIC: 280, Channel.PRIVATE: 1000}, can_read_followers=True)
CANNOT_FOLLOW = Capabilities(actions=frozenset({ActionKind.REPLY}),
                             max_reply_length={Channel.PUBLIC: 280, Channel.PRIVATE: 1000})
PARTNERS = frozenset({"@leedscc", "@nhsengland"})


def follower(handle: str, name: str = "", description: str = "", author_id: str = "") -> Follower:
    return Follower(Author(author_id or str(abs(hash(handle)) % 10**12), handle, name or handle.strip("@")), description)


# -- the pure decision ----------------------------------------------------------------------------
SPAM = (Finding(Category.SPAM, 0.9, "spam.pattern", "wording: 'earn'"),)
CLAIM = (Finding(Category.MISINFORMATION, 0.75, "misinformation.claim.vaccines-autism"),)


@pytest.mark.parametrize(("mode", "handle", "standing", "findings", "why"), [
    pytest.param(FollowMode.OFF, "@LeedsCC", Standing(), (), "following is off", id="off"),
    pytest.param(FollowMode.PARTNERS, "@LeedsCC", Standing(), (), "", id="partner-in-partners-mode"),
    pytest.param(FollowMode.PARTNERS, "LeedsCC", Standing(), (), "", id="partner-handle-without-at"),
    pytest.param(FollowMode.PARTNERS, "@sam_runs", Standing(), (), "not a partner account", id="person-in-partners-mode"),
    pytest.param(FollowMode.FOLLOWERS, "@sam_runs", Standing(), (), "", id="person-in-good-standing"),
    pytest.param(FollowMode.FOLLOWERS, "@sam_runs", Standing(strikes=1), (),
                 "1 strike for breaking the house rules", id="one-strike"),
    pytest.param(FollowMode.FOLLOWERS, "@sam_runs", Standing(restricted=True), (),
                 "blocked or muted by the account", id="muted"),
    pytest.param(FollowMode.FOLLOWERS, "@sam_runs", Standing(planned=True), (), "followed before", id="never-twice"),
    pytest.param(FollowMode.FOLLOWERS, "@crypto", Standing(), SPAM, "the profile looks like spam", id="spam-profile"),
    pytest.param(FollowMode.FOLLOWERS, "@vax_truth", Standing(), CLAIM, "the profile looks like misinformation",
                 id="false-claim-profile"),
    pytest.param(FollowMode.FOLLOWERS, "@LeedsCC", Standing(), SPAM, "", id="partner-profile-not-judged"),
    pytest.param(FollowMode.FOLLOWERS, "@LeedsCC", Standing(restricted=True), (),
                 "blocked or muted by the account", id="muted-partner"),
])
def test_who_is_followed_back(mode: FollowMode, handle: str, standing: Standing, findings: tuple[Finding, ...],
                              why: str) -> None:
    assert why_not_follow(follower(handle), standing, findings, FollowPolicy(mode, PARTNERS)) == why


def test_the_daily_cap_counts_what_was_planned_in_the_day_before() -> None:
    people = tuple(follower(f"@person{i}", author_id=str(i)) for i in range(5))
    policy = FollowPolicy(FollowMode.FOLLOWERS, PARTNERS, per_day=3)
    assert [s.author.id for s in plan_follows(people, {}, {}, policy, 0, CAN_FOLLOW)] == ["0", "1", "2"]
    assert [s.author.id for s in plan_follows(people, {}, {}, policy, 2, CAN_FOLLOW)] == ["0"]
    assert plan_follows(people, {}, {}, policy, 3, CAN_FOLLOW) == ()
    ruled_out = {"0": Standing(strikes=2), "1": Standing(planned=True)}
    assert [s.author.id for s in plan_follows(people, ruled_out, {}, policy, 0, CAN_FOLLOW)] == ["2", "3", "4"]


def test_nothing_is_planned_where_the_platform_cannot_follow() -> None:
    people = (follower("@LeedsCC", author_id="1"),)
    assert plan_follows(people, {}, {}, FollowPolicy(FollowMode.FOLLOWERS, PARTNERS), 0, CANNOT_FOLLOW) == ()
    assert plan_unfollows({"1": "@LeedsCC"}, frozenset({"1"}), CANNOT_FOLLOW) == ()


def test_the_steps_say_what_they_are_and_that_following_is_not_endorsement() -> None:
    [step] = plan_follows((follower("@LeedsCC", author_id="7"),), {}, {}, FollowPolicy(FollowMode.PARTNERS, PARTNERS),
                          0, CAN_FOLLOW)
    assert (step.author.id, step.action.kind, step.action.rule, step.action.text) == \
        ("7", ActionKind.FOLLOW, "follow.back", "@LeedsCC")
    assert step.action.reason == "a partner account; not an endorsement"
    [unfollow] = plan_unfollows({"7": "@LeedsCC", "8": "@sam"}, frozenset({"8", "9"}), CAN_FOLLOW)
    assert (unfollow.author, unfollow.action.kind) == (Author("8", "@sam"), ActionKind.UNFOLLOW)


@pytest.fixture(scope="module")
def moderation() -> ModerationData:
    return load_moderation_data(REPO / "config" / "moderation")


@pytest.mark.parametrize(("name", "description", "unfit"), [
    ("Sam Patel", "Nurse in Leeds. Views my own.", set()),
    ("Leeds Runners", "Running club for all abilities in Leeds", set()),
    ("Crypto King", "DM me to earn £5000 a week from home with bitcoin trading! Guaranteed returns", {"spam"}),
    ("Vax Truth", "Vaccines cause autism. Do your own research.", {"misinformation"}),
])
def test_the_message_checks_read_the_name_and_profile(moderation: ModerationData, name: str, description: str,
                                                     unfit: set[str]) -> None:
    findings = profile_findings(follower("@someone", name, description), moderation, NOW, Platform.X)
    assert {f.category.value for f in findings} & {"spam", "misinformation", "abuse", "threat"} == unfit


# -- the policy file ------------------------------------------------------------------------------
def policy_file(tmp_path: Path, mode: str = "followers", per_day: int = 20, *, mute_abuse: bool = False,
                dry_run: bool = False) -> Path:
    """The shipped policy with another follow mode and cap; `mute_abuse` mutes whoever is abusive."""
    text = (REPO / "config" / "policy.toml").read_text(encoding="utf-8")
    assert 'follow = "partners"\nfollow_per_day = 20\n' in text, "config/policy.toml changed: update this test"
    text = text.replace('follow = "partners"\nfollow_per_day = 20\n', f'follow = "{mode}"\nfollow_per_day = {per_day}\n')
    if mute_abuse:
        # the abuse rule's actions: hide, then the redirect (the swearing rule only redirects)
        abuse = ('  { kind = "hide", fallback = { kind = "review", team = "comms" } },\n'
                 '  { kind = "reply", template = "abuse_redirect", channel = "same" },\n')
        assert text.count(abuse) == 1
        text = text.replace(abuse, abuse + '  { kind = "mute" },\n')
    if dry_run:
        text = text.replace("dry_run = false", "dry_run = true")
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_policy_follows_back_partners() -> None:
    policy = load_policy(REPO / "config" / "policy.toml", teams=TEAMS, templates=TEMPLATE_NAMES)
    assert policy.follow == FollowPolicy(FollowMode.PARTNERS, frozenset({"@leedscc", "@nhsengland", "@leedshospitals"}), 20)


@pytest.mark.parametrize(("old", "new", "key"), [
    ('follow = "partners"', 'follow = "everyone"', "follow"),
    ('follow = "partners"', "follow = true", "follow"),
    ("follow_per_day = 20", "follow_per_day = 0", "follow_per_day"),
    ("follow_per_day = 20", "follow_per_day = 5000", "follow_per_day"),
    ("follow_per_day = 20", 'follow_per_day = "20"', "follow_per_day"),
    ('exempt_handles = ["@LeedsCC", "@NHSEngland", "@LeedsHospitals"]', "exempt_handles = []", "follow"),
    ('actions = [{ kind = "alert", team = "comms" }]', 'actions = [{ kind = "follow" }]', "ladder[0].actions[0].kind"),
])
def test_a_bad_follow_setting_names_the_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = (REPO / "config" / "policy.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_policy(path, teams=TEAMS, templates=TEMPLATE_NAMES)
    assert (str(caught.value.file), caught.value.key) == (str(path), key)


# -- the whole bot on the fake X ------------------------------------------------------------------
X_ACCOUNT = """
[[accounts]]
name = "leeds_x"
type = "x"
handle = "@NHSLeeds"
display_name = "NHS Leeds"
env_prefix = "LEEDS_X"
safety_screen = false
poll_seconds = 300
[accounts.options]
api_base_url = "{url}"
timeout_seconds = 2
""" + ALWAYS_OPEN_TABLE


def x_service(fake: FakeX, tmp_path: Path, policy: Path, clock: Clock, out: io.StringIO | None = None) -> Service:
    secrets = {f"LEEDS_X_{name}": value for name, value in fake.secrets().items()}
    settings = write_settings(tmp_path, X_ACCOUNT.format(url=fake.url), {**secrets, "HOUSEBOT_POLICY": str(policy)})
    return Service(settings, clock=clock, out=out if out is not None else io.StringIO())


def cli_env(fake: FakeX, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment and `.env` file the `housebot` command reads for `x_service`'s deployment."""
    env_file = tmp_path / "cli.env"
    env_file.write_text("".join(f"LEEDS_X_{key}={value}\n" for key, value in fake.secrets().items()), encoding="utf-8")
    for key, value in environment(tmp_path, tmp_path / "housebot.toml").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOUSEBOT_POLICY", str(tmp_path / "policy.toml"))
    return env_file


def follow_requests(fake: FakeX, target: str) -> list[object]:
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith("/following")
            and r.json().get("target_user_id") == target]


def test_the_bot_follows_back_on_x_and_unfollows_whom_it_mutes(fake_x: FakeX, tmp_path: Path,  # noqa: F811
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock(NOW)
    fake_x.now = NOW
    council = fake_x.follows_us("LeedsCC", "Leeds City Council", "News and services from Leeds City Council")
    sam = fake_x.follows_us("sam_runs", "Sam Patel", "Nurse in Leeds. Views my own.")
    crypto = fake_x.follows_us("crypto_king", "Crypto King",
                               "DM me to earn £5000 a week from home with bitcoin trading! Guaranteed returns")
    vax = fake_x.follows_us("vax_truth", "Vax Truth", "Vaccines cause autism. Do your own research.")
    ours = fake_x.own_post("Flu and COVID-19 vaccination clinics are open across Leeds this week.")
    troll = fake_x.follows_us("mike_t", "Mike")
    fake_x.reply_to(ours, "mike_t", "You lot are useless f***ing idiots, the whole lot of you should be sacked")

    service = x_service(fake_x, tmp_path, policy_file(tmp_path, mute_abuse=True), clock)
    try:
        run_until(service, clock, NOW + timedelta(minutes=20))
        # Followed back: the partner and the nurse. Not the advert, the false claim, nor the troll
        # (muted and given a strike in the same pass, before followers were read).
        assert fake_x.following == {council.id, sam.id}
        assert troll.id in fake_x.mutes and not {crypto.id, vax.id, troll.id} & fake_x.following

        # Sam turns abusive: hidden, muted, and so unfollowed at the next pass.
        fake_x.now = clock.now
        fake_x.reply_to(ours, "sam_runs", "You lot are useless f***ing idiots, the whole lot of you should be sacked")
        run_until(service, clock, NOW + timedelta(hours=3, minutes=5))
    finally:
        service.stop()
    assert sam.id in fake_x.mutes and fake_x.following == {council.id}
    assert [r.path for r in fake_x.requests if r.method == "DELETE" and "/following/" in r.path] == \
        [f"/2/users/{OWN_ID}/following/{sam.id}"]
    # Followers were read once an hour, and nobody was followed twice however often they were seen.
    reads = [r for r in fake_x.requests if r.method == "GET" and r.path.endswith("/followers")]
    assert len(reads) == 4
    assert reads[0].query["user.fields"] == "username,name,description" and reads[0].query["max_results"] == "1000"
    assert len(follow_requests(fake_x, council.id)) == 1 and len(follow_requests(fake_x, sam.id)) == 1

    # `housebot log --action follow` lists what was done, newest first (the newest follower was followed first).
    assert main(["--env", str(cli_env(fake_x, tmp_path, monkeypatch)), "log", "--action", "follow"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines()[1:] if line.strip()]
    assert [(line.split()[5], line.split()[4]) for line in lines] == [
        ("unfollow:done", "@sam_runs"), ("follow:done", "@LeedsCC"), ("follow:done", "@sam_runs")]
    assert "the account blocked or muted them" in lines[0] and "follows us, in good standing; not an endorsement" in lines[2]


def test_the_daily_cap_holds_across_hours_and_lifts_after_a_day(fake_x: FakeX, tmp_path: Path) -> None:  # noqa: F811
    clock = Clock(NOW)
    people = [fake_x.follows_us(f"neighbour{i}", f"Neighbour {i}", "Proud of Leeds") for i in range(4)]
    service = x_service(fake_x, tmp_path, policy_file(tmp_path, per_day=2), clock)
    following = []
    try:
        for hours in (0, 1, 23, 24, 25):  # followers are read at each of these passes
            clock.now = NOW + timedelta(hours=hours)
            service.tick()
            following.append(set(fake_x.following))
    finally:
        service.stop()
    newest_two = {people[3].id, people[2].id}  # the newest followers first
    assert following == [newest_two, newest_two, newest_two, newest_two, {p.id for p in people}]
    assert len([r for r in fake_x.requests if r.method == "GET" and r.path.endswith("/followers")]) == 5


def test_a_follow_left_sending_by_a_crash_is_sent_once_after_restart(fake_x: FakeX, tmp_path: Path) -> None:  # noqa: F811
    clock = Clock(NOW)
    council = fake_x.follows_us("LeedsCC", "Leeds City Council")
    policy = policy_file(tmp_path, mode="partners")
    service = x_service(fake_x, tmp_path, policy, clock)
    # What a crash leaves: the follow planned and marked sending, the platform never asked.
    [step] = plan_follows((Follower(Author(council.id, "@LeedsCC")),), {}, {}, service.engine.policy.follow, 0,
                          service.adapters["leeds_x"].capabilities)
    action_id = service.store.plan_follow_step("leeds_x", council.id, step.action, clock.now)
    assert action_id is not None
    service.store.mark_sending(action_id)
    service.stop()

    restarted = x_service(fake_x, tmp_path, policy, clock)
    try:
        [(stored, _)] = restarted.store.open_follow_steps("leeds_x")
        assert stored.status == SENDING
        run_until(restarted, clock, NOW + timedelta(minutes=10))
        rows = restarted.store.read("SELECT status, platform_ref FROM actions WHERE kind='follow'")
    finally:
        restarted.stop()
    assert [tuple(row) for row in rows] == [(DONE, council.id)]
    assert fake_x.following == {council.id} and len(follow_requests(fake_x, council.id)) == 1


def test_a_dry_run_follows_nobody_and_says_so(fake_x: FakeX, tmp_path: Path) -> None:  # noqa: F811
    clock = Clock(NOW)
    fake_x.follows_us("LeedsCC", "Leeds City Council")
    service = x_service(fake_x, tmp_path, policy_file(tmp_path, dry_run=True), clock)
    try:
        run_until(service, clock, NOW + timedelta(minutes=5))
        rows = service.store.follow_log()
    finally:
        service.stop()
    assert fake_x.following == set() and not follow_requests(fake_x, fake_x.user("LeedsCC").id)
    assert [(row["author"], row["outcome"]) for row in rows] == [("@LeedsCC", "dry run")]


def test_an_access_tier_without_followers_is_one_clear_line_and_nothing_else_stops(
        fake_x: FakeX, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    fake_x.can_read_followers = False
    fake_x.follows_us("LeedsCC", "Leeds City Council")
    question = fake_x.mention("sarah_leeds", "Does the walk-in centre at St George's open on Saturday mornings?")
    clock, out = Clock(NOW), io.StringIO()
    service = x_service(fake_x, tmp_path, policy_file(tmp_path), clock, out)
    try:
        run_until(service, clock, NOW + timedelta(hours=1, minutes=5))
        paused = service.store.paused_reason("leeds_x")
    finally:
        service.stop()
    line = ("cannot follow back: X account @NHSLeeds: the API access tier cannot read followers "
            "(GET /2/users/:id/followers); following back needs a tier that includes it")
    assert out.getvalue().count(line) == 1  # said once, not every hour
    assert paused is None and len(fake_x.replies_to(question.id)) == 1 and fake_x.following == set()

    assert main(["--env", str(cli_env(fake_x, tmp_path, monkeypatch)), "check"]) == 1
    assert f"leeds_x: {line}" in capsys.readouterr().out.splitlines()


# -- Instagram through instagrapi, Facebook and the sandbox ---------------------------------------
@pytest.fixture
def instagram(tmp_path: Path) -> Iterator[tuple[FakeInstagram, InstagramAdapter]]:
    fake = FakeInstagram().start()
    fake.write_session(tmp_path / "instagram-leeds-ig-session.json")
    config = AccountConfig(name="leeds-ig", platform=Platform.INSTAGRAM, handle="@nhsleeds",
                           options={"api_base_url": fake.url, "timeout_seconds": 2},
                           secrets={"USERNAME": "nhsleeds", "PASSWORD": "correct horse"}, state_dir=tmp_path)
    adapter = InstagramAdapter(config, clock=lambda: NOW.astimezone(timezone.utc))
    try:
        yield fake, adapter
    finally:
        adapter.close()
        fake.stop()


def test_instagrapi_reads_followers_and_follows_and_unfollows(instagram: tuple[FakeInstagram, InstagramAdapter]) -> None:
    fake, adapter = instagram
    older = fake.follows_us("leedsrunners", "Leeds Runners")
    newer = fake.follows_us("leedscc", "Leeds City Council")
    assert adapter.capabilities.supports(ActionKind.FOLLOW) and adapter.capabilities.can_read_followers
    assert adapter.followers() == (Follower(Author(newer.pk, "@leedscc", "Leeds City Council")),
                                   Follower(Author(older.pk, "@leedsrunners", "Leeds Runners")))
    assert adapter.follow(Author(newer.pk, "@leedscc")) == newer.pk
    assert adapter.follow(Author(newer.pk, "@leedscc")) == newer.pk  # again after a restart: already done
    assert fake.following == {newer.pk}
    assert adapter.unfollow(Author(newer.pk, "@leedscc")) == newer.pk
    assert fake.following == set()
    with pytest.raises(ActionRefused):
        adapter.follow(Author("999", "@nobody"))  # Instagram refuses an account that does not exist


def test_facebook_pages_and_the_sandbox_cannot_follow_and_say_so(tmp_path: Path) -> None:
    assert not facebook.CAPABILITIES.supports(ActionKind.FOLLOW) and not facebook.CAPABILITIES.can_read_followers
    settings = write_settings(tmp_path, """
[[accounts]]
name = "demo"
type = "sandbox"
handle = "@NHSLeedsDemo"
""" + ALWAYS_OPEN_TABLE)
    service, _, _ = sandbox_service(settings, Clock(NOW))
    try:
        assert service.follow_status(settings.accounts[0]) == (
            True, "sandbox cannot follow anyone through its API: the follow policy does nothing here")
    finally:
        service.stop()


# -- the words ------------------------------------------------------------------------------------
@pytest.mark.parametrize("template", ["verification", "profile_text"])
def test_check_replies_insists_that_following_is_not_endorsement(tmp_path: Path, template: str) -> None:
    responses = tmp_path / "responses"
    shutil.copytree(REPO / "responses", responses)
    file = responses / f"{template}.toml"
    file.write_text(file.read_text(encoding="utf-8").replace("endorse", "support"), encoding="utf-8")
    out = io.StringIO()
    assert check_replies_command(responses, out) != 0
    assert "must include endorse in every wording" in out.getvalue()


def test_the_shipped_profile_text_fits_every_profile_and_names_nobody() -> None:
    out = io.StringIO()
    assert check_replies_command(REPO / "responses", out) == 0
    text = (REPO / "responses" / "profile_text.toml").read_text(encoding="utf-8")
    assert "[private]" not in text and "{author_name}" not in text


def test_the_profile_text_preview_shows_the_profile_limit_and_no_reply_marker() -> None:
    out = io.StringIO()
    assert preview_command("profile_text", "x", None, REPO / "responses", out, bot_marker="(automated reply)") == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "profile_text on x, public (limit 150):"
    assert all("/150) " in line and "automated reply" not in line for line in lines[1:4])
