"""The console's forms for staff actions: each POST calls one `bot.staff` function, then redirects
back with a flash saying what happens next, or what `NotAllowed` said.

Nothing here touches a platform: `bot.staff` plans the step in the store (who asked, and why) and
the running service carries it out through the same executor as the bot's own actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import staff
from bot.model import ActionKind
from bot.settings import Settings
from bot.store import Store
from bot.web.users import StaffUser

Form = Mapping[str, str]
# (store, settings, the person, the id in the path, the form, now) -> the flash on success
Handler = Callable[[Store, Settings, staff.StaffMember, int, Form, datetime], str]
CARRIED_OUT = "the running bot carries it out within a few seconds"


@dataclass(frozen=True, slots=True)
class FormTools:
    """What the app gives these routes: the checked form (CSRF), the person (moderators and admins
    only), the flash, and the clock."""

    checked_form: Callable[[Request], Awaitable[Form]]
    acting: Callable[[Request], StaffUser]
    flash: Callable[[Request, str, str], None]
    clock: Callable[[], datetime]


def _back(form: Form, default: str) -> str:
    """Where to go after the form: a path on this site only (never an open redirect)."""
    back = form.get("back", "")
    return back if back.startswith("/") and not back.startswith("//") else default


def _approve_block(store: Store, settings: Settings, who: staff.StaffMember, review_id: int, form: Form,
                   now: datetime) -> str:
    staff.approve_block(store, who, review_id, form.get("reason", ""), now)
    return f"Block approved: {CARRIED_OUT}."


def _reply_to_review(store: Store, settings: Settings, who: staff.StaffMember, review_id: int, form: Form,
                     now: datetime) -> str:
    staff.send_reply(store, settings, who, review_id, form.get("text", ""), now)
    return f"Reply planned and the review settled: {CARRIED_OUT}."


def _settle(store: Store, settings: Settings, who: staff.StaffMember, review_id: int, form: Form, now: datetime) -> str:
    outcome = form.get("outcome", "")
    staff.settle(store, who, review_id, outcome, form.get("reason", ""), now)
    return f"Review {review_id} {outcome}."


def _assign(store: Store, settings: Settings, who: staff.StaffMember, review_id: int, form: Form, now: datetime) -> str:
    staff.assign(store, who, review_id, form.get("to", ""), now)
    return f"Review {review_id} assigned to {form.get('to', '').strip()}."


def _chosen_kind(form: Form, refusal: str) -> ActionKind:
    """The action kind a form's buttons name; anything else is refused with the page's own sentence."""
    try:
        return ActionKind(form.get("kind", ""))
    except ValueError:
        raise staff.NotAllowed(refusal) from None


def _take_down(store: Store, settings: Settings, who: staff.StaffMember, inbound_id: int, form: Form,
               now: datetime) -> str:
    kind = _chosen_kind(form, "Choose hide or delete.")
    staff.take_down(store, who, inbound_id, kind, form.get("reason", ""), now)
    return f"{kind.value.capitalize()} planned: {CARRIED_OUT}."


def _follow(store: Store, settings: Settings, who: staff.StaffMember, inbound_id: int, form: Form, now: datetime) -> str:
    kind = _chosen_kind(form, "Choose follow or unfollow.")
    staff.follow_author(store, who, inbound_id, kind, form.get("reason", ""), now)
    return f"{kind.value.capitalize()} planned: {CARRIED_OUT}."


def _reply_to_message(store: Store, settings: Settings, who: staff.StaffMember, inbound_id: int, form: Form,
                      now: datetime) -> str:
    staff.send_reply(store, settings, who, inbound_id, form.get("text", ""), now, target=staff.ReplyTarget.INBOUND)
    return f"Reply planned: {CARRIED_OUT}."


def _undo(store: Store, settings: Settings, who: staff.StaffMember, action_id: int, form: Form, now: datetime) -> str:
    staff.undo(store, who, action_id, form.get("reason", ""), now)
    return f"Undo planned: {CARRIED_OUT}."


def _restore_strike(store: Store, settings: Settings, who: staff.StaffMember, inbound_id: int, form: Form,
                    now: datetime) -> str:
    staff.restore_strike(store, who, inbound_id, form.get("reason", ""), now)
    return "Strike restored: it no longer counts towards the author's next step."


def _record_appeal(store: Store, settings: Settings, who: staff.StaffMember, inbound_id: int, form: Form,
                   now: datetime) -> str:
    appeal_id = staff.record_appeal(store, who, inbound_id, form.get("received", ""), form.get("text", ""), now)
    return f"Appeal {appeal_id} recorded: decide it on the Undo and appeals page."


def _decide_appeal(store: Store, settings: Settings, who: staff.StaffMember, appeal_id: int, form: Form,
                   now: datetime) -> str:
    upheld = form.get("decision") == "upheld"
    if form.get("decision") not in ("upheld", "rejected"):
        raise staff.NotAllowed("Choose whether the appeal is upheld or not.")
    reply = form.get("reply", "").strip() or None
    staff.decide_appeal(store, who, appeal_id, upheld, form.get("reason", ""), now, reply, settings=settings)
    return (f"Appeal {appeal_id} upheld: every hide, block and mute of the message is undone and its strike restored."
            if upheld else f"Appeal {appeal_id} not upheld.")


def _acknowledge(store: Store, settings: Settings, who: staff.StaffMember, alert_id: int, form: Form,
                 now: datetime) -> str:
    staff.acknowledge_alert(store, who, alert_id, now, form.get("note", ""))
    return f"Alert {alert_id} acknowledged: it will not repeat or escalate."


def _note(store: Store, settings: Settings, who: staff.StaffMember, alert_id: int, form: Form, now: datetime) -> str:
    staff.note_alert(store, who, alert_id, form.get("note", ""), now)
    return f"Note added to alert {alert_id}."


# path, handler, where to go back to by default
FORMS: tuple[tuple[str, Handler, str], ...] = (
    ("/reviews/{id:int}/approve-block", _approve_block, "/queue"),
    ("/reviews/{id:int}/reply", _reply_to_review, "/queue"),
    ("/reviews/{id:int}/settle", _settle, "/queue"),
    ("/reviews/{id:int}/assign", _assign, "/queue"),
    ("/messages/{id:int}/take-down", _take_down, "/inbox"),
    ("/messages/{id:int}/reply", _reply_to_message, "/inbox"),
    ("/messages/{id:int}/follow", _follow, "/inbox"),
    ("/messages/{id:int}/restore-strike", _restore_strike, "/undo"),
    ("/messages/{id:int}/appeals", _record_appeal, "/undo"),
    ("/actions/{id:int}/undo", _undo, "/undo"),
    ("/appeals/{id:int}/decide", _decide_appeal, "/undo"),
    ("/alerts/{id:int}/ack", _acknowledge, "/alerts"),
    ("/alerts/{id:int}/note", _note, "/alerts"),
)


def staff_routes(store: Store, settings: Settings, tools: FormTools) -> list[Route]:
    """One POST route per staff form."""

    def route(path: str, handler: Handler, default: str) -> Route:
        async def endpoint(request: Request) -> Response:
            form = await tools.checked_form(request)
            user = tools.acting(request)
            try:
                said = handler(store, settings, user.member, int(request.path_params["id"]), form, tools.clock())
            except staff.NotAllowed as refusal:
                tools.flash(request, str(refusal), "error")
            else:
                tools.flash(request, said, "success")
            return RedirectResponse(_back(form, default), 303)

        return Route(path, endpoint, methods=["POST"])

    return [route(path, handler, default) for path, handler, default in FORMS]
