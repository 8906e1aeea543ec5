"""`housebot review|undo|appeal`: the staff actions of `bot.staff` from a terminal, for ops and for
staff without the web console. Thin on purpose: each command calls one function of `bot.staff`.

The terminal has no login, so it acts as an admin named by `--as` (written in the audit trail);
only someone who can run housebot on the server can use it. As in the console, nothing is sent
from here: the running bot carries the planned action out on its next pass.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Callable, TextIO

from bot import staff
from bot.settings import Settings
from bot.staff import NotAllowed, ReplyTarget, Role, StaffMember
from bot.store import Store, open_store

EXIT_OK, EXIT_REFUSED = 0, 1
AS_HELP = "your name, for the audit trail (the terminal acts as an admin of that name)"
CARRIED_OUT = "the running bot carries it out on its next pass (see `housebot log`)"


def add_arguments(name: str, command: argparse.ArgumentParser) -> None:
    """The arguments of the staff commands, added to the main parser's subcommand `name`."""
    if name == "review":
        actions = command.add_subparsers(dest="review_command", required=True)
        actions.add_parser("list", help="the reviews waiting for a person, oldest first")
        approve = actions.add_parser("approve", help="approve blocking the author (a mute on X)")
        reply = actions.add_parser("reply", help="settle the review by replying to the author")
        reply.add_argument("--text", required=True, help="the reply, in quotes")
        dismiss = actions.add_parser("dismiss", help="settle the review with no action, saying why")
        for acting in (approve, reply, dismiss):
            acting.add_argument("review_id", type=int, help="the review's id, from `housebot review list`")
            acting.add_argument("--as", dest="as_name", required=True, help=AS_HELP)
            acting.add_argument("--reason", default="", required=acting is dismiss, help="why, for the audit trail")
    if name == "undo":
        command.add_argument("action_id", type=int, help="the hide, block or mute to undo")
        command.add_argument("--reason", required=True, help="why, for the audit trail")
        command.add_argument("--as", dest="as_name", required=True, help=AS_HELP)
    if name == "appeal":
        actions = command.add_subparsers(dest="appeal_command", required=True)
        record = actions.add_parser("record", help="write down an appeal against what was done to a message")
        record.add_argument("inbound_id", type=int, help="the message's id")
        record.add_argument("--received", required=True, help='how and when, e.g. "by email on 24 Nov"')
        record.add_argument("--text", default="", help="what the person said")
        decide = actions.add_parser("decide", help="uphold (undo the take-down, restore the strike) or reject")
        decide.add_argument("appeal_id", type=int)
        outcome = decide.add_mutually_exclusive_group(required=True)
        outcome.add_argument("--uphold", action="store_true")
        outcome.add_argument("--reject", action="store_true")
        decide.add_argument("--reason", required=True, help="why, for the audit trail")
        decide.add_argument("--reply", help="a reply to the author, where the platform allows")
        for acting in (record, decide):
            acting.add_argument("--as", dest="as_name", required=True, help=AS_HELP)


def run(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> int:
    """Run one staff command; a refusal is one sentence on standard error and exit code 1."""
    if args.command == "review" and args.review_command == "list":
        return _list_reviews(settings, out)
    who = StaffMember(args.as_name, Role.ADMIN)
    store = open_store(settings.state_location)
    try:
        print(_act(args, settings, store, who, now()), file=out)
        return EXIT_OK
    except NotAllowed as refusal:
        print(f"housebot: {refusal}", file=err)
        return EXIT_REFUSED
    finally:
        store.close()


def _act(args: argparse.Namespace, settings: Settings, store: Store, who: StaffMember, now: datetime) -> str:
    if args.command == "undo":
        return f"undo planned as action {staff.undo(store, who, args.action_id, args.reason, now)}: {CARRIED_OUT}"
    if args.command == "review":
        review_id = args.review_id
        if args.review_command == "approve":
            action_id = staff.approve_block(store, who, review_id, args.reason, now)
            kind = store.action(action_id).action.kind  # type: ignore[union-attr]
            return f"review {review_id} settled; {kind.value} planned as action {action_id}: {CARRIED_OUT}"
        if args.review_command == "reply":
            action_id = staff.send_reply(store, settings, who, review_id, args.text, now, target=ReplyTarget.REVIEW)
            return f"review {review_id} settled; reply planned as action {action_id}: {CARRIED_OUT}"
        staff.settle(store, who, review_id, "dismissed", args.reason, now)
        return f"review {review_id} dismissed"
    if args.appeal_command == "record":
        appeal_id = staff.record_appeal(store, who, args.inbound_id, args.received, args.text, now)
        return f"appeal {appeal_id} recorded; decide it with `housebot appeal decide {appeal_id}`"
    staff.decide_appeal(store, who, args.appeal_id, args.uphold, args.reason, now, reply_text=args.reply,
                        settings=settings)
    return f"appeal {args.appeal_id} {'upheld: the take-down is undone' if args.uphold else 'rejected'}; {CARRIED_OUT}"


def _list_reviews(settings: Settings, out: TextIO) -> int:
    if not settings.state_url and not settings.state_path.exists():
        print("no reviews: the bot has not run yet", file=out)
        return EXIT_OK
    store = open_store(settings.state_location, read_only=True)
    try:
        if store.is_empty:
            print("no reviews: the bot has not run yet", file=out)
            return EXIT_OK
        reviews = store.waiting_reviews()
        assigned = _assignments(store)
        if not reviews:
            print("no reviews are waiting", file=out)
        zone = settings.organisation.timezone
        for review in reviews:
            item = store.inbound_item(review.inbound_id) if review.inbound_id is not None else None
            if item is None:
                continue
            inbound = item.inbound
            said = " ".join(store.read("SELECT text_redacted FROM inbound WHERE id=?", (item.row_id,))[0][0].split())
            who = f" (assigned to {assigned[review.id]})" if review.id in assigned else ""
            print(f"review {review.id}{who}: {inbound.account} {inbound.author.handle} at "
                  f"{inbound.created_at.astimezone(zone):%Y-%m-%d %H:%M %Z}, message {item.row_id}: "
                  f"{review.action.reason}\n    {said[:200]}", file=out)
    finally:
        store.close()
    return EXIT_OK


def _assignments(store: Store) -> dict[int, str]:
    """Who each review is assigned to, on a state file opened only to look (no table is created)."""
    if not store.has_table("review_assignments"):
        return {}
    return {row["review_id"]: row["assignee"] for row in store.read("SELECT review_id, assignee FROM review_assignments")}
