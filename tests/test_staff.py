"""Staff actions over the sandbox: what a person asks for is planned with their name, carried out
once by the running service's executor, and audited; what they may not do is refused in a sentence.

Each test runs the real service on a sandbox network the test controls and moves the clock by
hand (`service.tick()` is what the scheduler does); the staff functions write to the same state
file through a second `Store`, as the web console's process does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest

from adapters.base import ActionRefused
from adapters.sandbox import SandboxNetwork
import bot.service as service_module
from bot import staff
from bot.model import ActionKind, Channel, Platform
from bot.pipeline import Engine, load_engine
from bot.service import Service
from bot.staff import NotAllowed, ReplyTarget, Role, StaffMember
from bot.store import DONE, FAILED, UNCONFIRMED, WAITING, Store, open_store
from tests.helpers import ALWAYS_OPEN, LONDON, Clock, message, sandbox_service, write_settings

ALEX = StaffMember("alex", Role.MODERATOR)
BEA = StaffMember("bea", Role.ADMIN)
VIC = StaffMember("vic", Role.VIEWER)
MISINFORMATION = "Vaccines cause autism, everyone knows it"  # the policy holds it for a person
ABUSE = "You lot are useless f***ing idiots, the whole lot of you should be sacked"  # hidden, a strike
QUESTION = "What time does the walk-in centre open on Saturday?"

ALERTS = """
[alerts]
console_url = "http://127.0.0.1:8080"
[alerts.email]
host = "127.0.0.1"
port = 8025
starttls = false
sender = "housebot@example.nhs.uk"
[alerts.teams.comms]
channels = ["email"]
"""


@dataclass
class Desk:
    """The running bot on the sandbox, and the staff's own connection to its state."""

    service: Service
    network: SandboxNetwork
    clock: Clock
    store: Store  # the console's connection
    review_id: int
    claim_id: int  # the message the review is about
    abuse_id: int
    question_id: int

    def inbound_id(self, native_suffix: str) -> int:
        [row] = self.store.read("SELECT id FROM inbound WHERE native_id LIKE ?", (f"%-{native_suffix}",))
        return int(row["id"])

    def action(self, action_id: int) -> tuple[str, str | None, str | None]:
        stored = self.store.action(action_id)
        assert stored is not None
        return stored.status, stored.platform_ref, stored.error

    def done_action(self, inbound_id: int, kind: ActionKind) -> int:
        [found] = [a.id for a in self.store.actions_for(inbound_id) if a.action.kind is kind and a.status == DONE]
        return found


_engines: dict[tuple[object, ...], Engine] = {}


@pytest.fixture(autouse=True)
def _one_engine_per_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here has the same policy, word lists, replies and settings (only the folder of
    the settings file differs), so the engine, seconds to load, is loaded once; it is immutable."""
    def load_once(*args: object, **kwargs: object) -> Engine:
        key = args  # the policy, moderation and responses paths
        if key not in _engines:
            _engines[key] = load_engine(*args, **kwargs)  # type: ignore[arg-type]
        return _engines[key]

    monkeypatch.setattr(service_module, "load_engine", load_once)


@pytest.fixture
def desk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Desk]:
    settings = write_settings(tmp_path, ALWAYS_OPEN + ALERTS, {"HOUSEBOT_ALERT_SIGNING_KEY": "s" * 40})
    if getattr(request, "param", "sqlite") == "postgresql":
        settings = replace(settings, state_url=request.getfixturevalue("postgres_url"))
    clock = Clock(datetime(2026, 6, 3, 10, 0, tzinfo=LONDON))
    service, network, _ = sandbox_service(settings, clock)
    network.post("demo", message("claim", MISINFORMATION, handle="@truthseeker"))
    network.post("demo", message("abuse", ABUSE, handle="@mike_t"))
    network.post("demo", message("question", QUESTION, handle="@sarah"))
    service.tick()
    store = open_store(settings.state_location)
    [review] = store.waiting_reviews("demo")
    desk = Desk(service, network, clock, store, review.id, 0, 0, 0)
    desk.claim_id, desk.abuse_id, desk.question_id = (desk.inbound_id(s) for s in ("claim", "abuse", "question"))
    assert review.inbound_id == desk.claim_id
    yield desk
    store.close()
    service.stop()


# The staff actions' store parts on either backend: `desk` then runs over SQLite and PostgreSQL.
on_both_backends = pytest.mark.parametrize("desk", ["sqlite", "postgresql"], indirect=True)


def later(desk: Desk, minutes: int = 1) -> datetime:
    return desk.clock.advance(minutes=minutes)


@on_both_backends
def test_a_viewer_reads_but_every_action_is_refused_and_nothing_is_planned_or_audited(desk: Desk) -> None:
    now = later(desk)
    settings = desk.service.settings
    attempts = [
        lambda: staff.approve_block(desk.store, VIC, desk.review_id, "third strike", now),
        lambda: staff.send_reply(desk.store, settings, VIC, desk.review_id, "Thanks for asking.", now),
        lambda: staff.take_down(desk.store, VIC, desk.question_id, ActionKind.HIDE, "", now),
        lambda: staff.settle(desk.store, VIC, desk.review_id, "dismissed", "not a claim", now),
        lambda: staff.assign(desk.store, VIC, desk.review_id, "alex", now),
        lambda: staff.undo(desk.store, VIC, desk.done_action(desk.abuse_id, ActionKind.HIDE), "fair", now),
        lambda: staff.restore_strike(desk.store, VIC, desk.abuse_id, "fair", now),
        lambda: staff.record_appeal(desk.store, VIC, desk.abuse_id, "by email on 24 Nov", "it was a joke", now),
        lambda: staff.acknowledge_alert(desk.store, VIC, 1, now),
        lambda: staff.note_alert(desk.store, VIC, 1, "rang them", now),
    ]
    before = len(desk.store.read("SELECT id FROM actions"))
    for attempt in attempts:
        with pytest.raises(NotAllowed, match="Viewers can read but not act"):
            attempt()
    assert len(desk.store.read("SELECT id FROM actions")) == before
    assert staff.audit_trail(desk.store) == []
    assert [r.id for r in desk.store.waiting_reviews()] == [desk.review_id]  # still waiting


@on_both_backends
def test_approving_a_block_settles_the_review_and_the_network_records_exactly_one_block(desk: Desk) -> None:
    now = later(desk)
    block_id = staff.approve_block(desk.store, ALEX, desk.review_id, "third strike for false claims", now)
    status, _, _ = desk.action(block_id)
    assert status == "planned"  # the console never calls the platform itself
    assert desk.store.action(block_id).requested_by == "alex"
    assert desk.store.action(desk.review_id).status == DONE
    assert desk.network.blocked == set()

    later(desk)
    desk.service.tick()
    desk.service.tick()  # a second pass sends nothing again
    assert desk.network.blocked == {"truthseeker"}
    assert [a.kind for a in desk.network.activity_for("truthseeker")] == ["block"]
    status, ref, _ = desk.action(block_id)
    assert status == DONE and ref and ref.startswith("sbx-")
    [entry] = staff.audit_trail(desk.store)
    assert (entry.who, entry.role, entry.what, entry.target, entry.reason, entry.action_id) == (
        "alex", Role.MODERATOR, "approve_block", f"review {desk.review_id}", "third strike for false claims", block_id)
    assert MISINFORMATION not in repr(entry)  # the audit never holds the message's words


@on_both_backends
def test_a_settled_review_cannot_be_settled_twice_and_the_second_person_is_told_who_came_first(desk: Desk) -> None:
    now = later(desk)
    staff.settle(desk.store, ALEX, desk.review_id, "dismissed", "a question, not a claim", now)
    for again in (lambda: staff.settle(desk.store, BEA, desk.review_id, "left", "", now),
                  lambda: staff.approve_block(desk.store, BEA, desk.review_id, "", now),
                  lambda: staff.send_reply(desk.store, desk.service.settings, BEA, desk.review_id, "Hello.", now),
                  lambda: staff.assign(desk.store, BEA, desk.review_id, "bea", now)):
        with pytest.raises(NotAllowed, match=r"settled already \(dismissed by alex\)"):
            again()
    assert [(e.who, e.what) for e in staff.audit_trail(desk.store)] == [("alex", "dismissed")]
    assert desk.store.waiting_reviews() == []


@on_both_backends
def test_two_moderators_racing_on_one_review_one_wins_and_only_one_block_is_planned(desk: Desk) -> None:
    """Two console processes, each with its own connection to the state file, press at the same moment."""
    now = later(desk)
    location = desk.service.settings.state_location
    results = _at_once(location, lambda store, who: staff.approve_block(store, who, desk.review_id, "", now))
    won = [name for name, result in results.items() if isinstance(result, int)]
    lost = [result for result in results.values() if isinstance(result, NotAllowed)]
    assert len(won) == 1 and len(lost) == 1
    assert f"approved block by {won[0]}" in str(lost[0])
    blocks = desk.store.read("SELECT requested_by FROM actions WHERE kind='block'")
    assert [row["requested_by"] for row in blocks] == won


def test_a_dismissal_needs_a_reason_and_only_left_or_dismissed_settle_without_a_platform_step(desk: Desk) -> None:
    now = later(desk)
    with pytest.raises(NotAllowed, match="Say why"):
        staff.settle(desk.store, ALEX, desk.review_id, "dismissed", "  ", now)
    with pytest.raises(NotAllowed, match="left or dismissed"):
        staff.settle(desk.store, ALEX, desk.review_id, "approved", "", now)
    assert desk.store.action(desk.review_id).status == WAITING
    staff.settle(desk.store, BEA, desk.review_id, "left", "", now)
    assert desk.store.action(desk.review_id).platform_ref == "settled: left by bea"


def test_assigning_a_review_keeps_it_waiting_and_names_the_colleague(desk: Desk) -> None:
    staff.assign(desk.store, ALEX, desk.review_id, "bea", later(desk))
    assert staff.assignments(desk.store) == {desk.review_id: "bea"}
    staff.assign(desk.store, BEA, desk.review_id, "alex", later(desk))
    assert staff.assignments(desk.store) == {desk.review_id: "alex"}
    assert desk.store.action(desk.review_id).status == WAITING
    assert [(e.who, e.reason) for e in staff.audit_trail(desk.store)] == [("bea", "to alex"), ("alex", "to bea")]


@on_both_backends
def test_undoing_the_bots_hide_unhides_once_and_cannot_be_undone_twice(desk: Desk) -> None:
    hide_id = desk.done_action(desk.abuse_id, ActionKind.HIDE)
    [native] = [n for n in desk.network.hidden]
    undo_id = staff.undo(desk.store, BEA, hide_id, "sarcasm, not abuse", later(desk))
    with pytest.raises(NotAllowed, match="undone already by bea"):
        staff.undo(desk.store, ALEX, hide_id, "", later(desk))
    desk.service.tick()
    desk.service.tick()
    assert desk.network.hidden == set()
    assert [a.kind for a in desk.network.activity_for(native)] == ["hide", "reply", "unhide"]
    status, ref, _ = desk.action(undo_id)
    assert status == DONE and ref and ref.startswith("sbx-")
    assert desk.store.action(undo_id).requested_by == "bea"


@on_both_backends
def test_two_moderators_undoing_one_hide_at_once_plan_one_unhide(desk: Desk) -> None:
    """Undo reads whether the hide was undone, then plans the unhide: the hide's row is locked first
    (PostgreSQL; SQLite locks the whole file), so the second sees the first's undo and is refused."""
    hide_id = desk.done_action(desk.abuse_id, ActionKind.HIDE)
    location, now = desk.service.settings.state_location, later(desk)
    results = _at_once(location, lambda store, who: staff.undo(store, who, hide_id, "sarcasm", now))
    assert sorted(type(result).__name__ for result in results.values()) == ["NotAllowed", "int"], results
    assert len(desk.store.read("SELECT id FROM actions WHERE undoes=?", (hide_id,))) == 1


def test_what_cannot_be_undone_is_refused_in_a_sentence(desk: Desk) -> None:
    now = later(desk)
    reply_id = desk.done_action(desk.abuse_id, ActionKind.REPLY)
    with pytest.raises(NotAllowed, match="A reply cannot be undone"):
        staff.undo(desk.store, ALEX, reply_id, "", now)
    hide_id = staff.take_down(desk.store, ALEX, desk.question_id, ActionKind.HIDE, "spam after all", now)
    with pytest.raises(NotAllowed, match=r"The hide has not been carried out \(planned\)"):
        staff.undo(desk.store, ALEX, hide_id, "", now)
    delete_id = staff.take_down(desk.store, ALEX, desk.question_id, ActionKind.DELETE, "spam after all", now)
    desk.service.tick()
    with pytest.raises(NotAllowed, match="A deleted message cannot be brought back"):
        staff.undo(desk.store, ALEX, delete_id, "", now)
    with pytest.raises(NotAllowed, match="There is no action 9999"):
        staff.undo(desk.store, ALEX, 9999, "", now)


def test_taking_down_a_message_settles_the_review_waiting_on_it(desk: Desk) -> None:
    now = later(desk)
    with pytest.raises(NotAllowed, match="hidden or deleted, not block"):
        staff.take_down(desk.store, ALEX, desk.claim_id, ActionKind.BLOCK, "", now)
    hide_id = staff.take_down(desk.store, ALEX, desk.claim_id, ActionKind.HIDE, "false claim", now)
    assert desk.store.action(desk.review_id).platform_ref == "settled: hide by alex"
    desk.service.tick()
    assert desk.action(hide_id)[0] == DONE
    assert any(a.kind == "hide" for a in desk.network.activity if a.target.endswith("-claim"))


def test_a_staff_reply_is_sent_once_and_settles_its_review(desk: Desk) -> None:
    settings = desk.service.settings
    text = "Hi, the MMR vaccine does not cause autism. You can read more at https://www.nhs.uk/vaccinations/"
    reply_id = staff.send_reply(desk.store, settings, ALEX, desk.review_id, text, later(desk))
    assert desk.store.action(desk.review_id).platform_ref == "settled: replied by alex"
    desk.service.tick()
    desk.service.tick()
    [native] = [i.native_id for i in desk.network.items if i.native_id.endswith("-claim")]
    assert [a.text for a in desk.network.activity_for(native) if a.kind == "reply"] == [text]
    assert desk.action(reply_id)[0] == DONE
    [entry] = staff.audit_trail(desk.store)
    assert entry.what == "reply" and entry.reason == "" and text not in repr(entry)


@pytest.mark.parametrize("text, problem", [
    ("Please call us about your mum, her NHS number is 943 476 5919.", "private detail (nhs number)"),
    ("Ring Dave back on 07700 900123.", "private detail (phone)"),
    ("More at http://www.nhs.uk/conditions", "must start with https://"),
    ("A" * 1001, "1001 characters long"),
    ("   ", "the reply is empty"),
], ids=["nhs-number", "someone-elses-phone", "plain-http-link", "too-long", "empty"])
def test_a_staff_reply_meets_the_checks_of_check_replies(desk: Desk, text: str, problem: str) -> None:
    with pytest.raises(NotAllowed, match="The reply cannot be sent: .*" + problem.replace("(", r"\(").replace(")", r"\)")):
        staff.send_reply(desk.store, desk.service.settings, ALEX, desk.question_id, text, later(desk),
                         target=ReplyTarget.INBOUND)
    assert desk.store.read("SELECT id FROM actions WHERE requested_by IS NOT NULL") == []


def test_the_organisations_own_phone_number_may_be_given(desk: Desk) -> None:
    text = "Hi, the walk-in centre opens at 8am on Saturdays. Call us on 0113 000 0000 if you need more."
    reply_id = staff.send_reply(desk.store, desk.service.settings, ALEX, desk.question_id, text, later(desk),
                                target=ReplyTarget.INBOUND)
    desk.service.tick()
    assert desk.action(reply_id)[0] == DONE


def test_a_refused_staff_action_is_failed_with_the_platforms_words(desk: Desk) -> None:
    hide_id = desk.done_action(desk.abuse_id, ActionKind.HIDE)
    desk.network.fail_next("unhide", ActionRefused("the comment no longer exists"))
    undo_id = staff.undo(desk.store, ALEX, hide_id, "", later(desk))
    desk.service.tick()
    status, _, error = desk.action(undo_id)
    assert status == FAILED and error == "refused: the comment no longer exists"
    # A failed undo may be asked for again.
    again = staff.undo(desk.store, ALEX, hide_id, "", later(desk))
    desk.service.tick()
    assert desk.action(again)[0] == DONE


@on_both_backends
def test_a_crash_between_sending_and_recording_a_staff_reply_never_sends_it_twice(desk: Desk) -> None:
    settings = desk.service.settings
    # The claim had no reply from the bot: the platform is asked whether the reply is there.
    first = staff.send_reply(desk.store, settings, ALEX, desk.review_id, "Thanks, we have looked at this.", later(desk))
    desk.store.mark_sending(first)
    adapter = desk.service.adapters["demo"]
    adapter.reply(desk.store.inbound_item(desk.claim_id).inbound, "Thanks, we have looked at this.", Channel.PUBLIC)
    desk.service.tick()
    assert desk.action(first)[0] == DONE
    assert len([a for a in desk.network.activity if a.kind == "reply" and a.target.endswith("-claim")]) == 1
    # The abuse had the bot's reply already: it cannot tell the two apart, so it sends nothing.
    second = staff.send_reply(desk.store, settings, ALEX, desk.abuse_id, "Please keep it civil.", later(desk),
                              target=ReplyTarget.INBOUND)
    desk.store.mark_sending(second)
    desk.service.tick()
    assert desk.action(second)[0] == UNCONFIRMED
    assert "Please keep it civil." not in [a.text for a in desk.network.activity]


def test_restoring_a_strike_removes_it_once(desk: Desk) -> None:
    assert len(desk.store.read("SELECT 1 FROM strikes WHERE inbound_id=?", (desk.abuse_id,))) == 1
    staff.restore_strike(desk.store, ALEX, desk.abuse_id, "context was a joke", later(desk))
    assert desk.store.read("SELECT 1 FROM strikes WHERE inbound_id=?", (desk.abuse_id,)) == []
    with pytest.raises(NotAllowed, match="no strike to restore"):
        staff.restore_strike(desk.store, ALEX, desk.abuse_id, "", later(desk))


@on_both_backends
def test_an_upheld_appeal_unhides_restores_the_strike_and_replies_and_is_decided_once(desk: Desk) -> None:
    settings = desk.service.settings
    appeal_id = staff.record_appeal(desk.store, ALEX, desk.abuse_id, "by email on 24 Nov", "I was quoting a film",
                                    later(desk))
    [open_appeal] = staff.appeals(desk.store, undecided=True)
    assert (open_appeal.inbound_id, open_appeal.received, open_appeal.recorded_by) == (desk.abuse_id,
                                                                                        "by email on 24 Nov", "alex")
    with pytest.raises(ValueError):
        staff.decide_appeal(desk.store, BEA, appeal_id, True, "quoting a film", later(desk), reply_text="Sorry.")
    staff.decide_appeal(desk.store, BEA, appeal_id, True, "quoting a film", later(desk),
                        reply_text="Sorry, we have put your comment back.", settings=settings)
    with pytest.raises(NotAllowed, match="decided already by bea"):
        staff.decide_appeal(desk.store, ALEX, appeal_id, False, "changed my mind", later(desk))
    desk.service.tick()
    [native] = [i.native_id for i in desk.network.items if i.native_id.endswith("-abuse")]
    assert [a.kind for a in desk.network.activity_for(native)] == ["hide", "reply", "unhide", "reply"]
    assert desk.network.hidden == set()
    assert desk.store.read("SELECT 1 FROM strikes WHERE inbound_id=?", (desk.abuse_id,)) == []
    [decided] = staff.appeals(desk.store, inbound_id=desk.abuse_id)
    assert decided.upheld is True and decided.decided_by == "bea"
    assert [e.what for e in staff.audit_trail(desk.store)][::-1] == [
        "record_appeal", "uphold_appeal", "undo", "restore_strike", "reply"]


def test_a_rejected_appeal_changes_nothing_on_the_platform(desk: Desk) -> None:
    appeal_id = staff.record_appeal(desk.store, ALEX, desk.abuse_id, "by phone", "", later(desk))
    staff.decide_appeal(desk.store, BEA, appeal_id, False, "abuse of staff", later(desk))
    desk.service.tick()
    assert len(desk.network.hidden) == 1
    assert len(desk.store.read("SELECT 1 FROM strikes WHERE inbound_id=?", (desk.abuse_id,))) == 1


@on_both_backends
def test_acknowledging_an_alert_once_with_a_note_and_noting_it_later(desk: Desk) -> None:
    [alert] = desk.store.read("SELECT id FROM alerts WHERE inbound_id=?", (desk.claim_id,))
    staff.acknowledge_alert(desk.store, ALEX, alert["id"], later(desk), note="looking at it")
    [row] = desk.store.read("SELECT acknowledged_by FROM alerts WHERE id=?", (alert["id"],))
    assert row["acknowledged_by"] == "alex"
    with pytest.raises(NotAllowed, match="acknowledged already by alex"):
        staff.acknowledge_alert(desk.store, BEA, alert["id"], later(desk))
    staff.note_alert(desk.store, BEA, alert["id"], "replied with the NHS page", later(desk))
    assert [(n.who, n.note) for n in staff.alert_notes(desk.store, alert["id"])] == [
        ("alex", "looking at it"), ("bea", "replied with the NHS page")]
    with pytest.raises(NotAllowed, match="no alert 999"):
        staff.note_alert(desk.store, BEA, 999, "x", later(desk))


def test_the_audit_trail_filters_by_person_and_time(desk: Desk) -> None:
    first = later(desk)
    staff.assign(desk.store, ALEX, desk.review_id, "bea", first)
    second = later(desk, 10)
    staff.settle(desk.store, BEA, desk.review_id, "left", "", second)
    assert [e.who for e in staff.audit_trail(desk.store)] == ["bea", "alex"]
    assert [e.who for e in staff.audit_trail(desk.store, staff="alex")] == ["alex"]
    assert [e.who for e in staff.audit_trail(desk.store, since=second)] == ["bea"]
    assert [e.who for e in staff.audit_trail(desk.store, limit=1)] == ["bea"]
    assert staff.audit_trail(desk.store)[0].at == second
    staff.restore_strike(desk.store, ALEX, desk.abuse_id, "a joke", later(desk))
    assert [e.what for e in staff.audit_trail(desk.store, inbound_id=desk.abuse_id)] == ["restore_strike"]
    assert [e.what for e in staff.audit_trail(desk.store, inbound_id=desk.claim_id)] == ["left", "assign"]


@pytest.mark.parametrize("platform, kind, words", [
    (Platform.X, ActionKind.BLOCK, "X has no block endpoint: mute instead, or block in the X app"),
    (Platform.X, ActionKind.DELETE, "X deletes only the account's own posts"),
    (Platform.INSTAGRAM, ActionKind.HIDE, None),  # the official API, Instagram's default, hides comments
    (Platform.INSTAGRAM, ActionKind.BLOCK, "Instagram's official API has no block"),
    (Platform.FACEBOOK, ActionKind.MUTE, "Facebook has no mute"),
    (Platform.FACEBOOK, ActionKind.UNBLOCK, None),
    (Platform.X, ActionKind.UNMUTE, None),
    (Platform.SANDBOX, ActionKind.UNMUTE, None),
])
def test_what_each_platform_cannot_do_is_said_for_the_page(platform: Platform, kind: ActionKind,
                                                           words: str | None) -> None:
    assert staff.capabilities_for(platform).supports(kind) is (words is None)
    said = staff.cannot(platform, kind)
    assert (said is None) if words is None else (said is not None and said.startswith(words))


def test_a_staff_action_waits_while_its_account_is_paused(desk: Desk) -> None:
    hide_id = desk.done_action(desk.abuse_id, ActionKind.HIDE)
    undo_id = staff.undo(desk.store, ALEX, hide_id, "", later(desk))
    desk.service.store.pause("demo", "credentials refused", desk.clock.now)
    desk.service.tick()
    assert desk.action(undo_id)[0] == "planned"
    desk.service.store.resume("demo")
    desk.service.tick()
    assert desk.action(undo_id)[0] == DONE


def test_undoing_an_approved_block_unblocks_and_the_sandbox_records_unblock_and_unmute(desk: Desk) -> None:
    approve = staff.approve_block(desk.store, ALEX, desk.review_id, "", later(desk))
    desk.service.tick()
    assert desk.action(approve)[0] == DONE
    undo_id = staff.undo(desk.store, ALEX, approve, "blocked the wrong person", later(desk))
    desk.service.tick()
    assert desk.action(undo_id)[0] == DONE
    assert [a.kind for a in desk.network.activity_for("truthseeker")] == ["block", "unblock"]
    assert desk.network.blocked == set()
    adapter = desk.service.adapters["demo"]
    author = desk.store.inbound_item(desk.claim_id).inbound.author
    adapter.mute(author)
    adapter.unmute(author)
    assert [a.kind for a in desk.network.activity_for("truthseeker")][-2:] == ["mute", "unmute"]
    assert desk.network.muted == set()


def test_a_second_take_down_and_hiding_a_private_message_are_refused(desk: Desk) -> None:
    with pytest.raises(NotAllowed, match="This message is hidden already"):
        staff.take_down(desk.store, ALEX, desk.abuse_id, ActionKind.HIDE, "", later(desk))
    staff.take_down(desk.store, ALEX, desk.question_id, ActionKind.DELETE, "", later(desk))
    with pytest.raises(NotAllowed, match="This message is deleted already"):
        staff.take_down(desk.store, BEA, desk.question_id, ActionKind.DELETE, "", later(desk))
    desk.network.post("demo", message("dm", "When can I get my flu jab?", stream="direct_messages"))
    desk.service.tick()
    with pytest.raises(NotAllowed, match="A private message cannot be hidden by the account"):
        staff.take_down(desk.store, ALEX, desk.inbound_id("dm"), ActionKind.HIDE, "", later(desk))


@on_both_backends
def test_forgetting_a_person_reaches_the_staff_tables_and_keeps_what_staff_did(desk: Desk) -> None:
    """UK GDPR erasure: the appeal, the assignment and the notes go; the audit keeps that something
    was done and when, but no longer to whom or why (a reason may name the person)."""
    from bot.ops.retention import find_person, forget

    staff.record_appeal(desk.store, ALEX, desk.claim_id, "by email on 24 Nov", "I am @truthseeker, put it back",
                        later(desk))
    staff.assign(desk.store, ALEX, desk.review_id, "bea", later(desk))
    [alert] = desk.store.read("SELECT id FROM alerts WHERE inbound_id=?", (desk.claim_id,))
    staff.note_alert(desk.store, BEA, alert["id"], "@truthseeker again", later(desk))
    staff.settle(desk.store, BEA, desk.review_id, "dismissed", "@truthseeker is quoting the NHS page", later(desk))
    service_store = desk.service.store
    erasure = forget(service_store, find_person(service_store, "sandbox", "@truthseeker"), later(desk))
    assert erasure.complete, erasure.remaining
    assert service_store.read("SELECT 1 FROM appeals") == []
    assert service_store.read("SELECT 1 FROM review_assignments") == []
    assert service_store.read("SELECT 1 FROM alert_notes") == []
    audit = [(row["what"], row["target"], row["reason"]) for row in service_store.read(
        "SELECT what, target, reason FROM staff_audit ORDER BY id")]
    assert [what for what, _, _ in audit] == ["record_appeal", "assign", "note_alert", "dismissed"]
    assert all(target == "(erased)" and reason == "(erased)" for what, target, reason in audit if what != "note_alert")
    assert not any("truthseeker" in f"{target} {reason}" for _, target, reason in audit)


def _at_once(location: str, press: Callable[[Store, StaffMember], int]) -> dict[str, object]:
    """Alex and Bea press at the same moment from two processes' worth of connections to the state:
    each one's planned action id, or the refusal it got."""
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def one(who: StaffMember) -> None:
        store = open_store(location)
        try:
            start.wait()
            results[who.name] = press(store, who)
        except NotAllowed as refusal:
            results[who.name] = refusal
        finally:
            store.close()

    threads = [threading.Thread(target=one, args=(who,)) for who in (ALEX, BEA)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
