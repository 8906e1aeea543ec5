"""Retention and the rights of the people whose messages we keep (UK GDPR).

Three clocks, from the settings' `[retention]`: message text, handles and display names go first
(30 days by default), the decision itself (category, rule, actions, strikes) after a year, and the
record of what staff did (erasures among it) after six years. `purge` applies them; the service runs
it daily. `forget` erases one person from every table; `export` gives them what we hold.

Each room that keeps personal data in its own tables (`Store.extend_schema`) registers a
`PersonalData` with the store, so erasure, purges and exports reach its tables too. The core tables
are `CORE`, run after every room (rooms may look up a person's messages in `inbound` first). As a
last wall, `forget` scans every text column of every table for what identifies the person and
names any table still holding it, so a room that forgot to register is found, not trusted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from bot.errors import ConfigError
from bot.settings import Retention
from bot.store import Store

ERASED = "[erased]"

# The record of each erasure and export: when, on which platform, how many rows of each table. Never
# who: the record must not keep what was erased.
REQUESTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS data_requests (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, platform TEXT NOT NULL, at TEXT NOT NULL,
    rows TEXT NOT NULL, complete INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class PersonalData:
    """The statements that erase, export and purge the personal data a room keeps.

    Erase and export statements get the named parameters `:platform`, `:author_id` (the platform's
    id for the person), `:handle` (as stored, e.g. `@name`) and `:bare` (the handle without `@`);
    each export is a SELECT whose rows are given to the person. Purge statements get `:before`
    (an ISO UTC time): rows older than it lose their text (`purge_text`), go entirely
    (`purge_decisions`) or, for records of staff actions, go after the longest time (`purge_staff_audit`).
    """

    room: str
    erase: tuple[str, ...] = ()
    export: Mapping[str, str] = field(default_factory=dict)
    purge_text: tuple[str, ...] = ()
    purge_decisions: tuple[str, ...] = ()
    purge_staff_audit: tuple[str, ...] = ()


_PERSON_INBOUND = "SELECT id FROM inbound WHERE platform=:platform AND author_id=:author_id"

CORE = PersonalData(
    room="core",
    erase=(
        "DELETE FROM strikes WHERE platform=:platform AND author_id=:author_id",
        f"DELETE FROM actions WHERE inbound_id IN ({_PERSON_INBOUND})",
        "DELETE FROM inbound WHERE platform=:platform AND author_id=:author_id",
        # unreadable items are raw platform JSON: the person's id or name appears quoted in it
        """DELETE FROM unreadable WHERE instr(lower(raw), lower('"' || :author_id || '"')) > 0
           OR instr(lower(raw), lower('"' || :bare || '"')) > 0 OR instr(lower(raw), lower(:handle)) > 0""",
    ),
    export={
        "messages": """SELECT platform, account, stream, channel, native_id, author_id, author_handle, author_name,
                       COALESCE(text, text_redacted) AS text, created_at, category, rule, evidence, decided_at,
                       handled_at FROM inbound WHERE platform=:platform AND author_id=:author_id ORDER BY created_at""",
        "actions": f"""SELECT i.native_id AS message, a.kind, a.channel, a.text, a.status, a.rule, a.reason,
                       a.planned_at, a.finished_at FROM actions a JOIN inbound i ON i.id = a.inbound_id
                       WHERE a.inbound_id IN ({_PERSON_INBOUND}) ORDER BY a.id""",
        "strikes": """SELECT account, category, at FROM strikes WHERE platform=:platform AND author_id=:author_id
                      ORDER BY at""",
    },
    purge_text=(
        # a private conversation's id names the person on some platforms (the sandbox's dm-@name)
        """UPDATE inbound SET text=NULL, text_redacted='', author_handle='', author_name='', evidence='',
           extras='{}', attachments='[]', thread_id=CASE WHEN channel='private' THEN '' ELSE thread_id END
           WHERE status='handled' AND decided_at < :before
           AND (text_redacted<>'' OR author_handle<>'' OR author_name<>'' OR evidence<>'' OR extras<>'{}')""",
        # the words said to the person, and the fallback's words (needed only while the action is unfinished)
        """UPDATE actions SET text='', fallback='' WHERE inbound_id IS NOT NULL AND planned_at < :before
           AND (text<>'' OR fallback<>'') AND status NOT IN ('planned', 'sending', 'waiting')""",
        "DELETE FROM unreadable WHERE fetched_at < :before",
    ),
    purge_decisions=(
        "DELETE FROM strikes WHERE at < :before",
        """DELETE FROM actions WHERE inbound_id IN (SELECT id FROM inbound WHERE status='handled'
           AND decided_at < :before)""",
        """DELETE FROM actions WHERE inbound_id IS NULL AND planned_at < :before
           AND status NOT IN ('planned', 'sending')""",
        "DELETE FROM inbound WHERE status='handled' AND decided_at < :before",
    ),
    purge_staff_audit=("DELETE FROM data_requests WHERE at < :before",),
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _rooms(store: Store) -> list[PersonalData]:
    """Every registered room, then the core tables (rooms may look up the person in `inbound`)."""
    store.extend_schema(REQUESTS_SCHEMA)
    return [*store.personal_data.values(), CORE]


@dataclass(frozen=True, slots=True)
class Person:
    """Who a request is about: the platform's ids for them, and the handle as we stored it."""

    platform: str
    author_ids: tuple[str, ...]
    handle: str

    @property
    def bare(self) -> str:
        return self.handle.lstrip("@")

    def mention(self) -> re.Pattern[str]:
        """The handle as a word of its own, any case: `@sam` but not `@samantha`."""
        return re.compile(rf"(?<![\w@]){re.escape(self.handle)}(?!\w)", re.IGNORECASE)


def find_person(store: Store, platform: str, author: str) -> Person:
    """`author` is a handle (`@name`, or a page's display name) or the platform's id for the person.

    Handles are kept only as long as message text (the retention's first clock); after that the
    platform id, which `housebot export` shows, still finds the decisions and strikes.
    """
    given = author.strip()
    if len(given.lstrip("@")) < 2:
        raise ConfigError("(command line)", "--author", f"{author!r} is not a handle or an id")
    handles = {given.lower(), "@" + given.lstrip("@").lower()}
    rows = store.read(
        f"""SELECT DISTINCT author_id, author_handle FROM inbound WHERE platform=?
            AND (author_id=? OR lower(author_handle) IN ({','.join('?' * len(handles))}))""",
        (platform, given, *sorted(handles)))
    ids = tuple(sorted({row["author_id"] for row in rows})) or (given.lstrip("@"),)
    stored = next((row["author_handle"] for row in rows if row["author_handle"]), given)
    return Person(platform=platform, author_ids=ids, handle=stored)


def _text_columns(db: Any) -> dict[str, list[str]]:
    """Every table's columns that can hold text, the way SQLite decides it (declared TEXT or untyped);
    PostgreSQL says `text` or `character varying`."""
    columns = {}
    for table, declared in db.table_columns().items():
        names = [name for name, kind in declared
                 if "CHAR" in kind.upper() or "TEXT" in kind.upper() or "CLOB" in kind.upper() or not kind]
        if names:
            columns[table] = names
    return columns


def _sweep_mentions(db: Any, person: Person) -> int:
    """Other people's messages, alerts and digests that name the person: the name becomes [erased]."""
    mention, changed = person.mention(), 0
    for table, columns in _text_columns(db).items():
        for column in columns:
            rows = db.execute(f'SELECT DISTINCT "{column}" FROM "{table}" WHERE instr(lower("{column}"), ?) > 0',
                              (person.handle.lower(),)).fetchall()
            for (value,) in rows:  # each distinct value once: the cleaned text depends on the value alone
                cleaned = mention.sub(ERASED, value)
                if cleaned != value:
                    changed += db.execute(f'UPDATE "{table}" SET "{column}"=? WHERE "{column}"=?',
                                          (cleaned, value)).rowcount
    return changed


def remaining(db: Any, person: Person) -> list[str]:
    """`table.column` for every text column still holding the person: their id or handle as a whole
    value, their handle as a word, or either quoted in JSON. Empty means they are gone."""
    mention, found = person.mention(), []
    needles = {person.handle.lower(), *(f'"{value.lower()}"' for value in (*person.author_ids, person.bare))}
    for table, columns in _text_columns(db).items():
        for column in columns:
            exact = " OR ".join(f'"{column}"=?' for _ in (*person.author_ids, person.handle))
            near = " OR ".join(f'instr(lower("{column}"), ?) > 0' for _ in needles)
            rows = db.execute(f'SELECT "{column}" FROM "{table}" WHERE {exact} OR {near}',
                              (*person.author_ids, person.handle, *needles)).fetchall()
            for (value,) in rows:
                text = str(value)
                if text in (*person.author_ids, person.handle) or mention.search(text) or any(
                        f'"{needle.lower()}"' in text.lower() for needle in (*person.author_ids, person.bare)):
                    found.append(f"{table}.{column}")
                    break
    return found


@dataclass(frozen=True, slots=True)
class Erasure:
    rows: Mapping[str, int]  # room -> rows erased by its statements; "mentions" -> other rows cleaned
    remaining: tuple[str, ...]  # table.column still holding the person (should be empty)

    @property
    def complete(self) -> bool:
        return not self.remaining


def forget(store: Store, person: Person, now: datetime) -> Erasure:
    """Erase the person from every table in one transaction, then record that it was done: when,
    the platform and how many rows, never who."""
    rooms = _rooms(store)
    rows: dict[str, int] = {}
    with store.transaction() as db:
        for author_id in person.author_ids:
            values = {"platform": person.platform, "author_id": author_id, "handle": person.handle, "bare": person.bare}
            for room in rooms:
                for statement in room.erase:
                    rows[room.room] = rows.get(room.room, 0) + db.execute(statement, values).rowcount
        rows["mentions"] = _sweep_mentions(db, person)
        left = tuple(remaining(db, person))
        db.execute("INSERT INTO data_requests (kind, platform, at, rows, complete) VALUES ('erasure', ?, ?, ?, ?)",
                   (person.platform, _iso(now), json.dumps(rows, sort_keys=True), int(not left)))
    return Erasure(rows=rows, remaining=left)


def export(store: Store, person: Person, now: datetime) -> dict[str, object]:
    """Everything we hold about the person (a subject access request), as plain JSON values; the
    request is recorded like an erasure, without who asked."""
    rooms = _rooms(store)
    tables: dict[str, list[dict[str, object]]] = {}
    for author_id in person.author_ids:
        values = {"platform": person.platform, "author_id": author_id, "handle": person.handle, "bare": person.bare}
        for room in rooms:
            for name, query in room.export.items():
                key = name if room is CORE else f"{room.room}.{name}"
                tables.setdefault(key, []).extend(dict(row) for row in store.read(query, values))
    with store.transaction() as db:
        db.execute("INSERT INTO data_requests (kind, platform, at, rows, complete) VALUES ('export', ?, ?, ?, 1)",
                   (person.platform, _iso(now), json.dumps({k: len(v) for k, v in tables.items()}, sort_keys=True)))
    return {"platform": person.platform, "author_ids": list(person.author_ids), "handle": person.handle,
            "exported_at": _iso(now), "tables": tables}


def purge(store: Store, retention: Retention, now: datetime) -> dict[str, int]:
    """Apply the three retention clocks; returns rows changed per clock. Each clock is its own short
    transaction, so the running bot waits at most for one."""
    rooms = _rooms(store)
    clocks = (("message_text", retention.message_text, "purge_text"),
              ("decisions", retention.decisions, "purge_decisions"),
              ("staff_audit", retention.staff_audit, "purge_staff_audit"))
    changed = {}
    for name, keep, statements in clocks:
        before = {"before": _iso(now - keep)}
        with store.transaction() as db:
            changed[name] = sum(db.execute(statement, before).rowcount
                                for room in rooms for statement in getattr(room, statements))
    return changed
