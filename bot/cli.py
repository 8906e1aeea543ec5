"""`housebot ...`: run the bot, check its set-up, and let staff see what it did and why.

A mistake a person can make (a bad setting, a missing file) is printed as one line naming the file
and the key, with exit code 2 and no traceback.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import logging
import os
import signal
import sqlite3
import sys
import tomllib
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence
from zoneinfo import ZoneInfo

from adapters import OPT_IN_WARNINGS
from bot.errors import AlreadyRunning, ConfigError
from bot.model import ActionKind, Category, Platform
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.ops.retention import Person
    from bot.service import Service
    from bot.web.server import ConsoleServer

EXIT_OK, EXIT_PROBLEM, EXIT_CONFIG = 0, 1, 2


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(os.environ, Path(args.env) if args.env else None)


OWN_LOGGER = "housebot"


def _own_or_warning(record: logging.LogRecord) -> bool:
    """Other libraries' DEBUG and INFO lines are dropped: tweepy, urllib3 and instagrapi log whole
    requests and answers there, with message bodies and tokens."""
    return record.levelno >= logging.WARNING or record.name == OWN_LOGGER or record.name.startswith(OWN_LOGGER + ".")


def _configure_logging(settings: Settings, scrubber: logging.Filter) -> None:
    """One line per event on standard error, with every secret and private detail scrubbed: text in
    local time with its offset, or JSON (`HOUSEBOT_LOG_FORMAT=json`) in UTC."""
    from bot.ops.logs import JsonLines

    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%d %H:%M:%S%z"))
    handler.addFilter(_own_or_warning)
    handler.addFilter(scrubber)
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))


@contextmanager
def _only_instance(state_path: Path, *, shared: bool = False) -> Iterator[None]:
    """Who may use a state file at once: an OS lock on a file beside it, which the OS releases
    when the process ends, even by kill -9. The holder's pid is written in it for the message.
    `shared`: workers that share the accounts by leases run side by side, but never beside a
    restore or a one-off `run --once` (which works without leases), which take it alone."""
    lock_path = state_path.with_name(state_path.name + ".lock")
    try:
        if not lock_path.parent.exists():  # the state folder is the bot user's alone, as the store makes it
            lock_path.parent.mkdir(parents=True, mode=0o700)
            lock_path.parent.chmod(0o700)
        lock = open(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "r+", encoding="utf-8")
    except OSError as problem:
        raise ConfigError(state_path, "(state file)", f"cannot be used: {problem}") from None
    with lock:
        try:
            fcntl.flock(lock, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise AlreadyRunning(f"another housebot (pid {holder}) is already running on {state_path}; "
                                 "stop it first, or give this one its own HOUSEBOT_STATE") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield


def cmd_run(args: argparse.Namespace) -> int:
    from bot.service import Service, stop_like_ctrl_c

    for stop_signal in (signal.SIGTERM, signal.SIGINT):  # from here on, a stop is never a traceback
        signal.signal(stop_signal, stop_like_ctrl_c)
    settings = _settings(args)
    with _only_instance(settings.state_path, shared=not args.once):
        service = Service(settings)
        _configure_logging(settings, service.log_scrubber)
        console = _start_console(settings, service) if args.console and not args.once else None
        try:
            if args.once:
                service.tick()
                service.stop()
            else:
                service.run()
        finally:
            if console is not None:
                console.stop()
    return EXIT_OK


def _start_console(settings: Settings, service: "Service") -> "ConsoleServer":
    """The staff web console in a thread beside the bot, with the URL (and, on a sandbox-only
    state with no staff yet, a demo sign-in) printed where the person running it looks."""
    from bot.web.server import ConsoleServer, live_accounts, sandbox_demo_user

    console = ConsoleServer(settings, service.engine, service.clock, live_accounts(service, service.clock))
    console.start()
    print(f"Staff console: {console.config.url}")
    password = sandbox_demo_user(settings, console.store, service.clock())
    if password:
        print(f"  sign in as demo with password {password} (new at each start while every account is a sandbox; "
              "add real staff with `housebot user add NAME --role admin`)")
    return console


def cmd_console(args: argparse.Namespace) -> int:
    """Serve the staff web console on its own (the bot may run in another process)."""
    import uvicorn

    from bot.service import utc_now
    from bot.store import open_store
    from bot.web.app import create_app
    from bot.web.server import console_engine, console_settings

    settings = _settings(args)
    config = console_settings(settings)
    store = open_store(settings.state_location)
    app = create_app(settings, store, clock=utc_now, engine=console_engine(settings))
    print(f"Staff console: {config.url} (Ctrl-C stops it)")
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", access_log=False, lifespan="off")
    store.close()
    return EXIT_OK


def cmd_user(args: argparse.Namespace) -> int:
    """`housebot user add NAME --role ROLE`: a staff account for the web console."""
    import getpass

    from bot.service import utc_now
    from bot.store import open_store
    from bot.web.users import Role, UserError, add_user

    settings = _settings(args)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            print("the two passwords differ: nothing was changed", file=sys.stderr)
            return EXIT_PROBLEM
    store = open_store(settings.state_location)
    try:
        user = add_user(store, args.name, Role(args.role), password, utc_now())
    except UserError as problem:
        print(f"housebot: {problem}", file=sys.stderr)
        return EXIT_PROBLEM
    finally:
        store.close()
    print(f"{user.name} can now sign in to the staff console as a {user.role.value}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Validate every file, then ask each platform who we are and what we may do."""
    from bot.service import Service

    settings = _settings(args)
    service = Service(settings)
    print(f"settings ok: {settings.config_file}, {settings.policy_file}, {settings.responses_dir}/, "
          f"{settings.moderation_dir}/")
    problems = 0
    for account in settings.accounts:
        warning = OPT_IN_WARNINGS.get((account.platform.value, account.api))
        if warning:
            print(f"{account.name}: warning: {warning}")
        adapter = service.adapters[account.name]
        try:
            result = adapter.check()
        except Exception as problem:  # one line per account, whatever the platform said
            print(f"{account.name}: cannot reach {account.platform.value}: {service.scrubber.scrub(str(problem))}")
            problems += 1
            continue
        cadence = ", ".join(f"{stream} every {service.stream_interval(account, stream).total_seconds():g}s"
                            for stream in adapter.streams)
        follow_line = ""
        if result.ok:  # an account that cannot work at all gets no extra line about following
            follows_work, follow_line = service.follow_status(account)
            if not follows_work:
                result = replace(result, ok=False, problems=(*result.problems, follow_line))
        if result.ok and not result.problems:
            if service.store.paused_reason(account.name):
                service.store.resume(account.name)
                print(f"{account.name}: was paused; check passed, so it is resumed")
            print(f"{account.name}: ok ({result.identity}); while open reads {cadence}; {follow_line}")
        else:
            problems += 1
            for line in result.problems or ("not ok",):
                print(f"{account.name}: {service.scrubber.scrub(line)}")
    problems += _check_alerts(settings, service, args.test_alerts)
    service.close()
    return EXIT_OK if problems == 0 else EXIT_PROBLEM


def _check_alerts(settings: Settings, service: "Service", test_alerts: bool) -> int:
    """One line per team's alert channels, the SMTP login tried (nothing sent unless `test_alerts`),
    and every channel whose last delivery failed; returns how many problems were found."""
    from bot.alerts.channels import DeliveryError, EmailTransport

    config = settings.alerts
    if config is None:
        print(f"alerts: no [alerts] table in {settings.config_file}: alerts are printed and logged only")
        return 0
    problems = 0
    if config.email is not None:
        try:
            EmailTransport(config.email).verify()
            print(f"alerts: email server {config.email.host}:{config.email.port} ok (login checked, nothing sent)")
        except DeliveryError as problem:
            print(f"alerts: email: {problem}")
            problems += 1
    for key in settings.teams:
        team = config.teams.get(key)
        if team is None or not team.channels:
            print(f"alerts: {key}: no channels: its routine alerts are printed and logged only, "
                  f"its urgent ones go to {config.system_team}")
            continue
        escalation = f"; unacknowledged urgent alerts go to {team.escalate_to}" if team.escalate_to else ""
        print(f"alerts: {key}: {', '.join(team.channels)}{escalation}")
    for failing in service.alerts.channel_problems():
        print(f"alerts: {failing.team} {failing.channel} is failing ({failing.failures} in a row since "
              f"{failing.since}): {failing.error}")
        problems += 1
    if test_alerts:
        for key in config.teams:
            for channel, outcome in service.alerts.test_alert(key, datetime.now(timezone.utc)):
                print(f"alerts: test alert to {key} {channel}: {outcome}")
                problems += outcome != "sent"
    return problems


def cmd_test_alert(args: argparse.Namespace) -> int:
    """Send one test alert through every channel of a team, now, and say what each channel did."""
    from bot.service import Service

    settings = _settings(args)
    if args.team not in settings.teams:
        raise ConfigError("(command line)", "TEAM", f"unknown team {args.team!r}; teams: {', '.join(settings.teams)}")
    if settings.alerts is None or args.team not in settings.alerts.teams:
        print(f"{args.team}: no alert channels in {settings.config_file} ([alerts.teams.{args.team}])")
        return EXIT_PROBLEM
    service = Service(settings)
    outcomes = service.alerts.test_alert(args.team, datetime.now(timezone.utc))
    service.close()
    for channel, outcome in outcomes:
        print(f"{args.team} {channel}: {outcome}")
    return EXIT_OK if all(outcome == "sent" for _, outcome in outcomes) else EXIT_PROBLEM


def cmd_hours(args: argparse.Namespace) -> int:
    from bot.hours import describe

    settings = _settings(args)
    now = datetime.now(timezone.utc)
    for account in settings.accounts:
        print(f"{account.name} ({account.handle} on {account.platform.value})")
        for line in describe(account.hours, now).splitlines():
            print(f"  {line}")
        screen = "on: messages from someone in danger are answered while closed" if account.safety_screen else "off"
        print(f"  Safety screen: {screen}.")
        print()
    return EXIT_OK


def cmd_log(args: argparse.Namespace) -> int:
    from bot.store import open_store

    settings = _settings(args)
    if args.account and args.account not in {a.name for a in settings.accounts}:
        raise ConfigError("(command line)", "--account", f"no account {args.account!r}; accounts: "
                          f"{', '.join(a.name for a in settings.accounts)}")
    if not settings.state_url and not settings.state_path.exists():
        print(f"no decisions yet: {settings.state_path} does not exist")
        return EXIT_OK
    since = None
    if args.since:
        try:
            since = _parse_since(args.since, settings.organisation.timezone)
        except ValueError:
            raise ConfigError("(command line)", "--since", f"{args.since!r} is not like 2h, 3d or 2026-05-01") from None
    store = open_store(settings.state_location, read_only=True)  # looking never creates, migrates or writes the state
    if store.is_empty:
        store.close()
        print("no decisions yet: the state is empty")
        return EXIT_OK
    following = args.action in (ActionKind.FOLLOW.value, ActionKind.UNFOLLOW.value)
    if following:  # account actions that answer no message: both kinds, newest first
        rows = store.follow_log(account=args.account, since=since, limit=args.limit)
    else:
        rows = store.audit(account=args.account, category=args.category, action=args.action, since=since,
                           waiting=args.waiting, limit=args.limit)
    store.close()
    zone = settings.organisation.timezone
    columns = ["time", "account", "channel", "author", "category", "rule", "actions", "text", "reply", "evidence", "outcome"]
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({**{c: _csv_cell(row[c]) for c in columns},
                          "time": _local(row["time"], zone).isoformat(timespec="seconds")} for row in rows)
        return EXIT_OK
    if not rows:
        print("no decisions match")
        return EXIT_OK
    shown = ["time", "account", "author", "category", "actions", "text"]
    if following:
        shown = ["time", "account", "author", "actions", "outcome", "evidence"]
    widths = {"time": 20, "account": 10, "author": 16, "category": 14, "actions": 34, "text": 60, "outcome": 24,
              "evidence": 60}
    print("  ".join(c.upper().ljust(widths[c]) for c in shown))
    for row in rows:
        row = {**row, "time": _local(row["time"], zone).strftime("%Y-%m-%d %H:%M %Z")}
        print("  ".join(_cell(row[c], widths[c]) for c in shown))
    return EXIT_OK


def _local(stored: object, zone: ZoneInfo) -> datetime:
    """The organisation's local time: one rule for every time a person reads."""
    return datetime.fromisoformat(str(stored)).astimezone(zone)


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...) from a message).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: a leading ' stops a formula, as OWASP advises."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(value: object, width: int) -> str:
    text = " ".join(str(value or "").split())
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def _parse_since(text: str, zone: ZoneInfo) -> datetime:
    """2h, 3d, or a date or time in the organisation's local time (unless it names its own offset)."""
    now = datetime.now(timezone.utc)
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text[-1:] in units and text[:-1].isdigit():
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def cmd_check_replies(args: argparse.Namespace) -> int:
    from bot.replies_cli import check_replies_command
    from bot.service import settings_values

    settings = _settings(args)
    return check_replies_command(settings.responses_dir, sys.stdout, values=settings_values(settings),
                                 values_file=str(settings.config_file))


def cmd_preview(args: argparse.Namespace) -> int:
    from bot.replies_cli import preview_command
    from bot.service import settings_values

    settings = _settings(args)
    return preview_command(args.situation, args.platform, args.channel, settings.responses_dir, sys.stdout,
                           values=settings_values(settings), bot_marker=settings.bot.bot_marker)


def cmd_explain(args: argparse.Namespace) -> int:
    """Show how one text would be classified and what each configured platform would do."""
    from bot.explain import explain

    settings = _settings(args)
    print(explain(settings, args.text, now=datetime.now(timezone.utc), channel=args.channel))
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    """Score the decisions on labelled CSV files (`text,label`); files are never copied anywhere."""
    from adapters import reply_limits
    from bot.evaluate import eval_command
    from bot.pipeline import Engine, load_engine
    from bot.settings import env_path, read_environment

    env, _ = read_environment(os.environ, Path(args.env) if args.env else None)  # no account is needed to score

    def engine() -> Engine:
        config = env_path(env, "HOUSEBOT_CONFIG")
        try:
            teams = tomllib.loads(config.read_text(encoding="utf-8")).get("teams", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
            raise ConfigError(config, "(file)", f"cannot be read: {problem}") from None
        return load_engine(env_path(env, "HOUSEBOT_POLICY"), env_path(env, "HOUSEBOT_MODERATION"),
                           env_path(env, "HOUSEBOT_RESPONSES"), teams=teams, limits=reply_limits())

    return eval_command([Path(p) for p in args.files], args.show, args.json, sys.stdout, engine)


def cmd_staff(args: argparse.Namespace) -> int:
    """`review`, `undo` and `appeal`: the staff actions of the console, from a terminal."""
    from bot.staff_cli import run

    return run(args, _settings(args), sys.stdout, sys.stderr)
def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the state to a new file, safely while the bot runs."""
    from bot.ops.backup import backup

    settings = _settings(args)
    _sqlite_only(settings)
    version = backup(settings.state_path, Path(args.file))
    print(f"backed up {settings.state_path} to {args.file} (schema {version})")
    return EXIT_OK


def _sqlite_only(settings: Settings) -> None:
    """`backup` and `restore` copy a SQLite file; PostgreSQL has its own tools for that."""
    if settings.state_url:
        raise ConfigError(settings.env_file or ".env", "HOUSEBOT_STATE", "is a PostgreSQL database: back it up with "
                          "pg_dump -Fc and restore it with pg_restore (see the README), not housebot backup/restore")


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the state with a backup; refused while `housebot run` holds the state."""
    from bot.ops.backup import restore

    settings = _settings(args)
    _sqlite_only(settings)
    replaced = settings.state_path.with_name(
        f"{settings.state_path.name}.before-restore-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
    with _only_instance(settings.state_path):
        version = restore(Path(args.file), settings.state_path, replaced)
    kept = f"; the state it replaced is in {replaced}" if replaced.exists() else ""
    print(f"restored {settings.state_path} from {args.file} (schema {version}){kept}")
    return EXIT_OK


def _person(args: argparse.Namespace) -> tuple["Service", "Person"]:
    """The service (so every room registers its personal data) and the person the request names."""
    from bot.ops.retention import find_person
    from bot.service import Service

    service = Service(_settings(args))
    return service, find_person(service.store, args.platform, args.author)


def cmd_forget(args: argparse.Namespace) -> int:
    """Erase a person's data from every table, and record that it was done (not who)."""
    from bot.ops.retention import forget

    service, person = _person(args)
    erasure = forget(service.store, person, datetime.now(timezone.utc))
    service.close()
    counts = ", ".join(f"{room} {rows}" for room, rows in sorted(erasure.rows.items()))
    if not erasure.complete:
        print(f"erased rows ({counts}), but the person is still found in: {', '.join(erasure.remaining)}; "
              "that room must register its tables (Store.register_personal_data)")
        return EXIT_PROBLEM
    print(f"erased: {counts} rows; the erasure is recorded without the person's details")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Everything held about a person, as JSON on standard output (a subject access request)."""
    import json

    from bot.ops.retention import export

    service, person = _person(args)
    data = export(service.store, person, datetime.now(timezone.utc))
    service.close()
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    print()
    return EXIT_OK


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "run": ("run the bot until Ctrl-C (the sandbox when no accounts are configured)", cmd_run),
    "check": ("validate settings, policy, replies and word lists, then check each account with its platform", cmd_check),
    "hours": ("print every account's published monitoring hours in plain English", cmd_hours),
    "log": ("show the latest decisions for staff", cmd_log),
    "explain": ("show the category, every match with its evidence, and the actions on each platform", cmd_explain),
    "eval": ("precision, recall, F1 and a confusion table of the classifier on labelled CSV files", cmd_eval),
    "check-replies": ("validate every reply template in responses/ and report the hardest to read", cmd_check_replies),
    "preview": ("print each wording of a situation filled with example values", cmd_preview),
    "test-alert": ("send a test alert through every alert channel of one team", cmd_test_alert),
    "console": ("serve the staff web console (default http://127.0.0.1:8080)", cmd_console),
    "user": ("manage staff accounts of the web console: user add NAME --role viewer|moderator|admin", cmd_user),
    "review": ("list the reviews waiting for a person, or approve, reply to or dismiss one (acts as an admin "
               "named by --as)", cmd_staff),
    "undo": ("undo a hide, block or mute: the running bot unhides, unblocks or unmutes (acts as an admin named "
             "by --as)", cmd_staff),
    "appeal": ("record an appeal against a take-down, or decide one (acts as an admin named by --as)", cmd_staff),
    "backup": ("copy the state to a new file (safe while the bot runs)", cmd_backup),
    "restore": ("replace the state with a backup (refused while the bot runs)", cmd_restore),
    "forget": ("erase a person's data from every table (UK GDPR erasure), recording that it was done", cmd_forget),
    "export": ("everything held about a person, as JSON (a subject access request)", cmd_export),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="housebot", description="Looks after official social media accounts "
                                     "and enforces the house rules.")
    parser.add_argument("--env", help="the .env file to read (default: .env in this folder, if there is one)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, _) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name == "run":
            command.add_argument("--once", action="store_true", help="one pass over every account, then stop")
            command.add_argument("--console", action="store_true", help="also serve the staff web console")
        if name == "log":
            command.add_argument("--account")
            command.add_argument("--category", choices=[c.value for c in Category])
            command.add_argument("--action", choices=[k.value for k in ActionKind])
            command.add_argument("--since", help="2h, 3d, or a date like 2026-05-01")
            command.add_argument("--waiting", action="store_true",
                                 help="only messages with a review no person has settled yet")
            command.add_argument("--limit", type=int, default=50)
            command.add_argument("--csv", action="store_true", help="every column, as CSV")
        if name == "explain":
            command.add_argument("text", help="the message to explain, in quotes")
            command.add_argument("--channel", choices=["public", "private"], default="public")
        if name == "eval":
            command.add_argument("files", nargs="+", help="CSV files with columns text,label")
            command.add_argument("--show", type=int, default=0, help="print up to N misclassified examples")
            command.add_argument("--json", action="store_true", help="machine-readable output")
        if name == "preview":
            command.add_argument("situation", help="a category (abuse, complaint, ...) or a template name")
            command.add_argument("--platform", choices=["sandbox", "x", "facebook", "instagram"])
            command.add_argument("--channel", choices=["public", "private"])
        if name == "check":
            command.add_argument("--test-alerts", action="store_true",
                                 help="also send a test alert through every alert channel of every team")
        if name == "user":
            command.add_argument("action", choices=["add"])
            command.add_argument("name", help="the staff member's sign-in name, e.g. jane.smith")
            command.add_argument("--role", choices=["viewer", "moderator", "admin"], required=True)
            command.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        if name == "test-alert":
            command.add_argument("team", help="a team key from the settings file, e.g. safeguarding")
        if name in ("review", "undo", "appeal"):
            from bot.staff_cli import add_arguments

            add_arguments(name, command)
        if name in ("backup", "restore"):
            command.add_argument("file", help="the backup file" + (" to write (must not exist)" if name == "backup" else ""))
        if name in ("forget", "export"):
            command.add_argument("--platform", required=True, choices=[p.value for p in Platform])
            command.add_argument("--author", required=True,
                                 help="the person's handle (@name; a Facebook name) or the platform's id for them")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command][1](args)
    except (ConfigError, AlreadyRunning) as problem:
        print(f"housebot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except BrokenPipeError:  # `housebot log | head`: the reader has gone, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (OSError, sqlite3.Error) as problem:  # e.g. the state folder cannot be written
        print(f"housebot: cannot start: {problem}", file=sys.stderr)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        return EXIT_OK
