"""Durable state in SQLite or PostgreSQL: cursors, every inbound message, every action, strikes, account health.

SQLite (a path, the default): one connection, WAL, a busy timeout, and one short explicit transaction per step. Each account
has its own worker thread, so the connection serialises its use: a statement, and a transaction as
a whole, runs under one lock, and one worker's statements never land inside another's transaction. An action is
written as `planned` with its decision, becomes `sending` just before the platform call and
`done` (with the platform's id) just after, so after a crash a `sending` row means "may have been
sent": the service checks with the platform before it would ever send again.

PostgreSQL (a `postgresql://` URL, for several workers sharing the accounts): a pool of
connections, one per transaction or read, READ COMMITTED. The SQL is written once, for both:
`?` placeholders and portable statements (`ON CONFLICT`, `RETURNING id`); `SELECT ... FOR UPDATE`
takes a row lock on PostgreSQL and is dropped on SQLite, whose `BEGIN IMMEDIATE` locks the whole
file. Every transition that must happen once is a conditional update whose row count is checked.

Message text is kept in full only while a message waits to be handled; once handled, only the
redacted text stays, so the audit log never holds NHS numbers, phone numbers or emails. Display
names are kept redacted from the start: people put phone numbers in them too.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterator, Mapping, Sequence

from adapters.base import Unreadable
from bot.errors import ConfigError
from bot.model import (Action, ActionKind, Attachment, AttachmentKind, Author, AuthorHistory, Channel, Decision, Inbound,
                       Platform, Urgency)

if TYPE_CHECKING:
    from bot.ops.retention import PersonalData

# Version 1's schema; every later version is reached by MIGRATIONS, so a new state file and an
# upgraded old one go through the same steps and end up the same.
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS cursors (
    account TEXT NOT NULL, stream TEXT NOT NULL, cursor TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (account, stream)
);
CREATE TABLE IF NOT EXISTS inbound (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL, account TEXT NOT NULL, stream TEXT NOT NULL, native_id TEXT NOT NULL,
    channel TEXT NOT NULL, author_id TEXT NOT NULL, author_handle TEXT NOT NULL, author_name TEXT NOT NULL,
    text TEXT, text_redacted TEXT NOT NULL, created_at TEXT NOT NULL, fetched_at TEXT NOT NULL,
    thread_id TEXT NOT NULL, parent_id TEXT NOT NULL, in_reply_to_own INTEGER NOT NULL, extras TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', category TEXT, rule TEXT, evidence TEXT, dry_run INTEGER,
    decided_at TEXT, handled_at TEXT,
    UNIQUE (platform, account, native_id)
);
CREATE INDEX IF NOT EXISTS inbound_pending ON inbound (account, status, created_at);
CREATE INDEX IF NOT EXISTS inbound_author ON inbound (platform, account, author_id, created_at);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY,
    inbound_id INTEGER REFERENCES inbound (id), account TEXT NOT NULL, author_id TEXT,
    position INTEGER NOT NULL, kind TEXT NOT NULL, channel TEXT, template TEXT NOT NULL, text TEXT NOT NULL,
    team TEXT NOT NULL, urgency TEXT NOT NULL, rule TEXT NOT NULL, reason TEXT NOT NULL,
    status TEXT NOT NULL, platform_ref TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    notice_key TEXT UNIQUE, planned_at TEXT NOT NULL, finished_at TEXT
);
CREATE INDEX IF NOT EXISTS actions_inbound ON actions (inbound_id, position);
CREATE INDEX IF NOT EXISTS actions_author ON actions (account, author_id, kind, planned_at);
CREATE TABLE IF NOT EXISTS strikes (
    platform TEXT NOT NULL, account TEXT NOT NULL, author_id TEXT NOT NULL, category TEXT NOT NULL,
    inbound_id INTEGER NOT NULL UNIQUE, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY, paused_reason TEXT, paused_at TEXT
);
"""
# version -> the statements that upgrade a file of that version to the next one.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        # attachments of a message, as JSON [[kind, caption], ...]
        "ALTER TABLE inbound ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]'",
        # items a platform sent that could not be read: kept raw for staff, never retried
        """CREATE TABLE unreadable (
               id INTEGER PRIMARY KEY, account TEXT NOT NULL, stream TEXT NOT NULL, native_id TEXT NOT NULL,
               raw TEXT NOT NULL, reason TEXT NOT NULL, fetched_at TEXT NOT NULL, UNIQUE (account, stream, raw))""",
        # the hot queries: open notices, strikes of an author, `housebot log`, reviews waiting for a person
        "CREATE INDEX actions_notices ON actions (account, status) WHERE inbound_id IS NULL",
        "CREATE INDEX actions_waiting ON actions (account, status) WHERE status = 'waiting'",
        "CREATE INDEX strikes_author ON strikes (platform, account, author_id)",
        "CREATE INDEX inbound_decided ON inbound (decided_at)",
        "CREATE INDEX inbound_account_decided ON inbound (account, decided_at)",
        # each action keeps the fallback chain the decision fitted to the platform, as JSON
        "ALTER TABLE actions ADD COLUMN fallback TEXT NOT NULL DEFAULT ''",
        # one name for the private-message stream on every platform
        "UPDATE inbound SET stream='direct_messages' WHERE stream IN ('dms','messages','direct')",
        "UPDATE cursors SET stream='direct_messages' WHERE stream IN ('dms','messages','direct')",
    ),
    2: (
        # staff actions: who asked for it (NULL for the bot's own), and the action an undo reverses
        "ALTER TABLE actions ADD COLUMN requested_by TEXT",
        "ALTER TABLE actions ADD COLUMN undoes INTEGER REFERENCES actions (id)",
        "CREATE INDEX actions_staff ON actions (status, id) WHERE requested_by IS NOT NULL",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS) + 1

# Action states. `sending` survives only a crash between the platform call and its record;
# `waiting` is a review shown to staff that a person has not settled yet.
PLANNED, SENDING, DONE, FAILED, SKIPPED, UNCONFIRMED = "planned", "sending", "done", "failed", "skipped", "unconfirmed"
WAITING = "waiting"
# Inbound states: `pending` waits to be handled; `held` was screened while the account was closed,
# is not danger, and waits for opening without being screened again; `handled` is finished.
PENDING, HELD, HANDLED = "pending", "held", "handled"
ANSWERED_BEFORE_RULE = "state.answered_before"


def _make_private(path: Path) -> None:
    """Create the state folder 0700 and the file (and any -wal/-shm left from before) 0600."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)  # two workers may start at once
        path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)  # SQLite gives -wal and -shm the main file's permissions


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


class _Fetched:
    """A statement's whole result, read while the lock was held (a cursor read later could see
    another worker's transaction half done)."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows: list[sqlite3.Row] = rows
        self.rowcount = rowcount

    def fetchone(self) -> sqlite3.Row | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[sqlite3.Row]:
        return self.rows

    def __iter__(self) -> Iterator[sqlite3.Row]:
        return iter(self.rows)


class _SerialisedConnection(sqlite3.Connection):
    """A connection the accounts' workers share: every statement runs under `lock`, which
    `Store._transaction` also holds from BEGIN to COMMIT (it is re-entrant for that)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lock = threading.RLock()

    def execute(self, sql: str, parameters: object = (), /) -> _Fetched:  # type: ignore[override]
        if "FOR UPDATE" in sql:
            sql = _FOR_UPDATE.sub("", sql)  # BEGIN IMMEDIATE holds the whole file already
        with self.lock:
            cursor = super().execute(sql, parameters)  # type: ignore[arg-type]
            return _Fetched(cursor.fetchall(), cursor.rowcount)

    def executemany(self, sql: str, parameters: object, /) -> _Fetched:  # type: ignore[override]
        with self.lock:
            cursor = super().executemany(sql, parameters)  # type: ignore[arg-type]
            return _Fetched(cursor.fetchall(), cursor.rowcount)

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        with self.lock:
            return super().executescript(script)

    def close(self) -> None:
        with self.lock:
            super().close()

    @contextmanager
    def transaction(self) -> Iterator[_SerialisedConnection]:
        with self.lock:
            self.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.execute("ROLLBACK")
                raise
            else:
                self.execute("COMMIT")

    def has_table(self, name: str) -> bool:
        return bool(self.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).rows)

    def table_columns(self) -> dict[str, list[tuple[str, str]]]:
        """Every table's columns with their declared types, tables and columns in order."""
        tables = [row[0] for row in self.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {table: [(row[1], row[2]) for row in self.execute(f'PRAGMA table_info("{table}")')] for table in tables}


WAL_ATTEMPTS = 40  # about 40 s in all, four times the busy timeout, before a locked file is reported
_FOR_UPDATE = re.compile(r"\s+FOR UPDATE\b")
# PostgreSQL's transaction-scoped advisory lock under which migrations and rooms' schemas are made:
# two workers starting at once make them once.
_SCHEMA_LOCK = 0x686F757365626F74  # "housebot"
# SQLite's functions the shared SQL uses, made on PostgreSQL (under the schema lock, at every start).
_POSTGRES_FUNCTIONS = (
    "CREATE OR REPLACE FUNCTION instr(haystack text, needle text) RETURNS integer LANGUAGE sql IMMUTABLE "
    "AS 'SELECT strpos(haystack, needle)'",
    "CREATE OR REPLACE FUNCTION housebot_concat(joined text, item text, separator text) RETURNS text "
    "LANGUAGE sql IMMUTABLE AS 'SELECT CASE WHEN item IS NULL THEN joined WHEN joined IS NULL THEN item "
    "ELSE joined || separator || item END'",
    "CREATE OR REPLACE AGGREGATE group_concat(text, text) (SFUNC = housebot_concat, STYPE = text)",
)


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL (it stays so). Switching takes the file's exclusive lock, for which
    SQLite does not wait: two workers opening a new file at once saw "database is locked". The
    loser waits a moment and finds the file switched by the winner (at most the busy timeout)."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as problem:
            if "locked" not in str(problem) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def is_postgres_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def _without_password(url: str, text: str) -> str:
    """`text` (an error, the URL itself) with the URL's password blanked, however malformed the URL."""
    found = re.match(r"[a-z]+://[^:/@]*:([^@]*)@", url)
    return text.replace(found.group(1), "***") if found and found.group(1) else text


@functools.lru_cache(maxsize=2048)
def _postgres_sql(sql: str, named: bool) -> str:
    """The shared SQL for psycopg: `?` (or `:name`) to `%s` (`%(name)s`) outside string literals, `%`
    doubled, SQLite's integer key to an identity column, every integer 64-bit, LIKE as SQLite's
    (case-blind)."""
    out: list[str] = []
    quoted = False
    index = 0
    while index < len(sql):
        char = sql[index]
        if char == "'":
            quoted = not quoted
        elif char == "%":
            char = "%%"
        elif not quoted and char == "?":
            char = "%s"
        elif not quoted and named and char == ":" and sql[index - 1:index] != ":":
            name = re.match(r"[A-Za-z_]\w*", sql[index + 1:])
            if name:
                out.append(f"%({name.group()})s")
                index += 1 + len(name.group())
                continue
        out.append(char)
        index += 1
    text = "".join(out)
    text = re.sub(r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", text)
    text = re.sub(r"\bINTEGER\b", "BIGINT", text)
    return re.sub(r"\bLIKE\b", "ILIKE", text)


class _Row:
    """A PostgreSQL row read like `sqlite3.Row`: by position, by (case-blind) column name, `keys()`."""

    __slots__ = ("_values", "_names")

    def __init__(self, values: Sequence[Any], names: dict[str, int]) -> None:
        self._values = values
        self._names = names

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            return self._values[key]
        position = self._names.get(key)
        return self._values[position if position is not None else self._names[key.lower()]]

    def keys(self) -> list[str]:
        return list(self._names)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class _PostgresDatabase:
    """The PostgreSQL side of `Store`: the same `execute`, `transaction`, `has_table` and
    `table_columns` as `_SerialisedConnection`, over a pool. A thread inside a transaction keeps its
    connection, so its reads (`store.read`, `store.action`) see its own uncommitted writes, as on SQLite."""

    def __init__(self, url: str, *, read_only: bool, pool_size: int) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self._local = threading.local()
        options = {"autocommit": True}
        if read_only:
            options["options"] = "-c default_transaction_read_only=on"  # type: ignore[assignment]
        with psycopg.connect(url, connect_timeout=10, **options):  # a clear error now, not a pool timeout later
            pass
        self.pool = ConnectionPool(url, min_size=1, max_size=pool_size, kwargs=options, configure=_configure,
                                   open=True, timeout=30, name="housebot")

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        current = getattr(self._local, "connection", None)
        if current is not None:
            yield current
        else:
            with self.pool.connection() as connection:
                yield connection

    def execute(self, sql: str, parameters: Sequence[object] | Mapping[str, object] = (), /) -> _Fetched:
        named = isinstance(parameters, Mapping)
        with self._connection() as connection:
            cursor = connection.execute(_postgres_sql(sql, named), parameters if named else tuple(parameters))
            rows = cursor.fetchall() if cursor.description is not None else []
            return _Fetched(rows, cursor.rowcount)

    def executemany(self, sql: str, parameters: Sequence[Sequence[object]], /) -> _Fetched:
        with self._connection() as connection, connection.cursor() as cursor:
            cursor.executemany(_postgres_sql(sql, False), [tuple(p) for p in parameters])
            return _Fetched([], cursor.rowcount)

    def executescript(self, script: str, /) -> None:
        with self.transaction() as db:
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[_PostgresDatabase]:
        current = getattr(self._local, "connection", None)
        if current is not None:  # nested: a savepoint on the thread's connection
            with current.transaction():
                yield self
            return
        with self.pool.connection() as connection:
            self._local.connection = connection
            try:
                with connection.transaction():
                    yield self
            finally:
                self._local.connection = None

    def has_table(self, name: str) -> bool:
        return bool(self.execute("SELECT 1 FROM information_schema.tables WHERE table_schema=current_schema() "
                                 "AND table_name=?", (name,)).rows)

    def table_columns(self) -> dict[str, list[tuple[str, str]]]:
        columns: dict[str, list[tuple[str, str]]] = {}
        for row in self.execute("""SELECT table_name, column_name, data_type FROM information_schema.columns
                                   WHERE table_schema=current_schema() ORDER BY table_name, ordinal_position"""):
            columns.setdefault(row[0], []).append((row[1], row[2]))
        return columns

    def close(self) -> None:
        self.pool.close()


def _configure(connection: Any) -> None:
    """Rows read like SQLite's; a Python bool is stored as the 0 or 1 SQLite would keep."""
    from psycopg.adapt import Dumper
    from psycopg.postgres import types

    class BoolAsInteger(Dumper):
        oid = types["int8"].oid

        def dump(self, obj: bool) -> bytes:
            return b"1" if obj else b"0"

    connection.adapters.register_dumper(bool, BoolAsInteger)
    connection.row_factory = _row_factory


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], _Row]:
    names = {column.name: position for position, column in enumerate(cursor.description or ())}
    return lambda values: _Row(values, names)


@dataclass(frozen=True, slots=True)
class PendingItem:
    row_id: int
    inbound: Inbound
    decided: bool


@dataclass(frozen=True, slots=True)
class StoredAction:
    """An action as recorded; `requested_by` names the person who asked for a staff action."""

    id: int
    action: Action
    status: str
    attempts: int
    requested_by: str | None = None
    platform_ref: str | None = None
    error: str | None = None
    inbound_id: int | None = None
    planned_at: datetime | None = None  # a notice found after a crash was posted after this


class Store:
    """The one owner of the state: a SQLite file (or `:memory:` in tests) or a PostgreSQL database.

    The state holds messages and the people who wrote them, so a SQLite file's folder is the bot
    user's alone (0700) and the file with its -wal and -shm companions 0600, whatever the umask. A
    state that cannot be used (newer schema, corrupt, truncated, unwritable, a server not reached) is
    a `ConfigError` naming it (a URL without its password). `read_only` is for commands that only
    look: they never create, migrate or write it.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False, pool_size: int = 8) -> None:
        self.read_only = read_only
        self.personal_data: dict[str, PersonalData] = {}  # room -> how erasure and purges reach its tables
        self.is_postgres = is_postgres_url(path)
        self._schemas_made: set[str] = set()
        if self.is_postgres:
            self._open_postgres(str(path), pool_size)
            return
        try:
            if str(path) != ":memory:" and not read_only:
                _make_private(Path(path))
            target = Path(path).resolve().as_uri() + "?mode=ro" if read_only else str(path)
            self._db: _SerialisedConnection | _PostgresDatabase = sqlite3.connect(
                target, isolation_level=None, timeout=10, check_same_thread=False, uri=read_only,
                factory=_SerialisedConnection)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA busy_timeout=10000")
            if not read_only:
                _use_wal(self._db)
            self._db.execute("PRAGMA foreign_keys=ON")
            self.version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if self.version > SCHEMA_VERSION:
                raise ConfigError(path, "(state file)", f"was written by a newer housebot (schema {self.version}; "
                                  f"this one knows {SCHEMA_VERSION}): upgrade housebot or use another state file")
            if not read_only:
                self._migrate()
                self.version = SCHEMA_VERSION
            self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # reads the whole schema: a bad file fails here
        except (sqlite3.Error, OSError) as problem:
            raise ConfigError(path, "(state file)", f"cannot be used: {problem}") from None

    def _open_postgres(self, url: str, pool_size: int) -> None:
        """Reach the server, then bring its schema up to date under the schema lock (not when read-only)."""
        import psycopg

        shown = _without_password(url, url)
        try:
            psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.Error as problem:
            raise ConfigError(".env", "HOUSEBOT_STATE", f"is not a usable PostgreSQL URL ({shown}): "
                              f"{_without_password(url, str(problem)).splitlines()[0]}") from None
        try:
            self._db = _PostgresDatabase(url, read_only=self.read_only, pool_size=pool_size)
        except psycopg.Error as problem:
            reason = " ".join(_without_password(url, str(problem)).split())
            raise ConfigError(".env", "HOUSEBOT_STATE", f"cannot reach PostgreSQL at {shown}: {reason}") from None
        try:
            if self.read_only:
                self.version = self._postgres_version()
            else:
                self._migrate_postgres()
        except BaseException:
            self._db.close()
            raise

    def _postgres_version(self) -> int:
        if not self._db.has_table("schema_version"):
            return 0
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise ConfigError(".env", "HOUSEBOT_STATE", f"holds a schema written by a newer housebot (schema {version}; "
                              f"this one knows {SCHEMA_VERSION}): upgrade housebot or use another database")
        return version

    def _migrate_postgres(self) -> None:
        """One version per transaction, each under the schema lock and reading the version afresh, so
        two workers starting at once migrate once; the version lives in a one-row table."""
        while True:
            with self._transaction() as db:
                db.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
                db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                for function in _POSTGRES_FUNCTIONS:
                    db.execute(function)
                self.version = self._postgres_version()
                if self.version == SCHEMA_VERSION:
                    return
                statements = [s for s in SCHEMA_V1.split(";") if s.strip()] if self.version == 0 \
                    else MIGRATIONS[self.version]
                for statement in statements:
                    db.execute(statement)
                if self.version == 0:
                    db.execute("INSERT INTO schema_version (version) VALUES (1)")
                else:
                    db.execute("UPDATE schema_version SET version=?", (self.version + 1,))

    @property
    def is_empty(self) -> bool:
        """True for a state file no housebot has written a schema into (only seen read-only)."""
        return self.version == 0

    @property
    def schema_version(self) -> int:
        """The schema version the state holds now, read afresh (SQLite's user_version, PostgreSQL's
        one-row schema_version table): another process may have migrated it since this store opened."""
        if self.is_postgres:
            return self._postgres_version()
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def has_table(self, name: str) -> bool:
        return self._db.has_table(name)

    def table_columns(self) -> dict[str, list[tuple[str, str]]]:
        """Every table with its columns and their declared types (retention looks for text in them)."""
        return self._db.table_columns()

    def _migrate(self) -> None:
        """Bring the file to SCHEMA_VERSION, one version per transaction, each reading the version
        afresh under SQLite's write lock: workers starting at once on a new file migrate it once."""
        while True:
            with self._transaction() as db:
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
                if version >= SCHEMA_VERSION:
                    return
                for statement in MIGRATIONS[version] if version else [s for s in SCHEMA_V1.split(";") if s.strip()]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={version + 1}")

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> ContextManager[Any]:
        return self._db.transaction()

    # -- cursors and inbound ----------------------------------------------------------------------
    def cursor(self, account: str, stream: str) -> str | None:
        row = self._db.execute("SELECT cursor FROM cursors WHERE account=? AND stream=?", (account, stream)).fetchone()
        return row["cursor"] if row else None

    def record_fetch(self, account: str, stream: str, items: Sequence[Inbound], cursor: str | None,
                     now: datetime, redact: Callable[[str], str], answered: Mapping[str, str] | None = None) -> int:
        """Keep new items and move the cursor past them in one transaction; returns how many were new.

        `answered` (native id -> the account's reply) names items the account had answered before
        this state existed: they are kept as handled, never answered again.
        """
        new = 0
        answered = answered or {}
        with self._transaction() as db:
            for inbound in items:
                inserted = db.execute(
                    """INSERT INTO inbound (platform, account, stream, native_id, channel, author_id,
                       author_handle, author_name, text, text_redacted, created_at, fetched_at, thread_id, parent_id,
                       in_reply_to_own, extras, attachments) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                       ON CONFLICT DO NOTHING""",
                    (inbound.platform.value, inbound.account, inbound.stream, inbound.native_id, inbound.channel.value,
                     inbound.author.id, inbound.author.handle, redact(inbound.author.display_name), inbound.text, redact(inbound.text),
                     _iso(inbound.created_at), _iso(now), inbound.thread_id, inbound.parent_id, int(inbound.in_reply_to_own),
                     json.dumps(dict(inbound.extras), default=str),
                     json.dumps([[a.kind.value, redact(a.caption)] for a in inbound.attachments])),
                ).rowcount
                new += inserted
                if inserted and inbound.native_id in answered:
                    db.execute(
                        """UPDATE inbound SET status=?, text=NULL, category='ordinary', rule=?, evidence=?, dry_run=0,
                           decided_at=?, handled_at=? WHERE platform=? AND account=? AND native_id=?""",
                        (HANDLED, ANSWERED_BEFORE_RULE, f"already answered by the account ({answered[inbound.native_id]})",
                         _iso(now), _iso(now), *inbound.key),
                    )
            if cursor is not None:
                db.execute(
                    """INSERT INTO cursors (account, stream, cursor, updated_at) VALUES (?,?,?,?)
                       ON CONFLICT (account, stream) DO UPDATE SET cursor=excluded.cursor, updated_at=excluded.updated_at""",
                    (account, stream, cursor, _iso(now)),
                )
        return new

    def pending(self, account: str, *, with_held: bool = True) -> list[PendingItem]:
        """Messages waiting to be handled, oldest first; `with_held=False` leaves out those already
        screened while closed, so a closed account does not screen the same messages every poll."""
        statuses = (PENDING, HELD) if with_held else (PENDING,)
        rows = self._db.execute(
            f"SELECT * FROM inbound WHERE account=? AND status IN ({','.join('?' * len(statuses))}) "
            "ORDER BY created_at, id", (account, *statuses)
        ).fetchall()
        return [PendingItem(row["id"], _inbound(row), row["decided_at"] is not None) for row in rows]

    def hold_until_open(self, row_id: int) -> None:
        """Screened while closed and not danger: wait for opening without being screened again."""
        with self._transaction() as db:
            db.execute("UPDATE inbound SET status=? WHERE id=? AND status=?", (HELD, row_id, PENDING))

    def unreadable_items(self, account: str | None = None) -> list[dict[str, str]]:
        """Items kept raw because they could not be read, newest first, for staff to look at."""
        query = "SELECT * FROM unreadable" + (" WHERE account=?" if account else "") + " ORDER BY id DESC"
        return [dict(row) for row in self._db.execute(query, (account,) if account else ()).fetchall()]

    def keep_unreadable(self, account: str, stream: str, items: Sequence[Unreadable], now: datetime) -> list[Unreadable]:
        """Keep items that could not be read, raw, once each; returns those not kept before (to tell staff once)."""
        kept = []
        with self._transaction() as db:
            for bad in items:
                if db.execute("""INSERT INTO unreadable (account, stream, native_id, raw, reason, fetched_at)
                                 VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING""",
                              (account, stream, bad.native_id, bad.raw, bad.reason, _iso(now))).rowcount:
                    kept.append(bad)
        return kept

    def author_history(self, inbound: Inbound, row_id: int, now: datetime, window: timedelta) -> AuthorHistory:
        since = _iso(now - window)
        texts = self._db.execute(
            """SELECT text_redacted FROM inbound WHERE platform=? AND account=? AND author_id=? AND created_at>=?
               AND (created_at<? OR (created_at=? AND id<?)) ORDER BY created_at, id""",
            (inbound.platform.value, inbound.account, inbound.author.id, since, _iso(inbound.created_at), _iso(inbound.created_at),
             row_id),
        ).fetchall()
        strikes = self._db.execute(
            "SELECT COUNT(*) FROM strikes WHERE platform=? AND account=? AND author_id=? AND inbound_id<>?",
            (inbound.platform.value, inbound.account, inbound.author.id, row_id),
        ).fetchone()[0]
        replied = """FROM actions WHERE account=? AND author_id=? AND kind='reply'
                     AND status IN ('planned','sending','done') AND inbound_id<>?"""
        author = (inbound.account, inbound.author.id, row_id)
        last = self._db.execute(f"SELECT text {replied} ORDER BY id DESC LIMIT 1", author).fetchone()
        recent = self._db.execute(f"SELECT COUNT(*) {replied} AND planned_at>=?",
                                  (*author, _iso(now - timedelta(hours=1)))).fetchone()[0]
        return AuthorHistory(
            recent_texts=tuple(r["text_redacted"] for r in texts),
            strikes=strikes,
            replies_last_hour=recent,
            last_reply_text=last["text"] if last else None,
        )

    # -- decisions and actions --------------------------------------------------------------------
    def save_decision(self, row_id: int, inbound: Inbound, decision: Decision, now: datetime) -> bool:
        """Write the decision and plan every action, all or nothing, once: False (and nothing written)
        if the message was decided already, by another worker that read it at the same time."""
        status = SKIPPED if decision.dry_run else PLANNED
        with self._transaction() as db:
            if not db.execute(
                "UPDATE inbound SET category=?, rule=?, evidence=?, dry_run=?, decided_at=? WHERE id=? AND decided_at IS NULL",
                (decision.category.value, decision.rule, decision.evidence, int(decision.dry_run), _iso(now), row_id),
            ).rowcount:
                return False
            for position, action in enumerate(decision.actions):
                self._insert_action(db, action, inbound.account, inbound.author.id, row_id, position, status, now, None)
        return True

    def fail_with_fallback(self, action_id: int, error: str, row_id: int, inbound: Inbound, fallback: Action | None,
                           now: datetime) -> None:
        """Mark a refused action failed and plan its fallback, all or nothing: a crash between the two
        left the message handled with neither its reply nor its review."""
        with self._transaction() as db:
            self._update_action(db, action_id, FAILED, error=error, finished_at=now)
            if fallback is None:
                return
            self._insert_action(db, fallback, inbound.account, inbound.author.id, row_id, _next_position(db, row_id),
                                PLANNED, now, None)

    def plan_notice(self, account: str, action: Action, notice_key: str, now: datetime) -> int | None:
        """Plan an account-wide notice once per key; None if that notice was planned already (the key
        is unique, so of two workers planning it at once exactly one gets an id)."""
        with self._transaction() as db:
            return self._insert_action(db, action, account, None, None, 0, PLANNED, now, notice_key)

    @staticmethod
    def _insert_action(db: sqlite3.Connection, action: Action, account: str, author_id: str | None,
                       row_id: int | None, position: int, status: str, now: datetime, notice_key: str | None,
                       requested_by: str | None = None, undoes: int | None = None) -> int | None:
        """The new action's id; None only when `notice_key` was planned before."""
        row = db.execute(
            """INSERT INTO actions (inbound_id, account, author_id, position, kind, channel, template, text, team,
               urgency, rule, reason, status, notice_key, planned_at, fallback, requested_by, undoes)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (notice_key) DO NOTHING RETURNING id""",
            (row_id, account, author_id, position, action.kind.value, action.channel.value if action.channel else None,
             action.template, action.text, action.team, action.urgency.value, action.rule, action.reason, status,
             notice_key, _iso(now), json.dumps(_action_fields(action.fallback)) if action.fallback else "",
             requested_by, undoes),
        ).fetchone()
        return int(row[0]) if row else None

    # -- staff actions (bot/staff.py plans them; the service carries them out) ----------------------
    def plan_staff_action(self, db: sqlite3.Connection, row_id: int, action: Action, requested_by: str, now: datetime,
                          undoes: int | None = None) -> int:
        """Plan a person's action on a message, inside the caller's transaction (with its audit row)."""
        row = db.execute("SELECT account, author_id FROM inbound WHERE id=?", (row_id,)).fetchone()
        action_id = self._insert_action(db, action, row["account"], row["author_id"], row_id, _next_position(db, row_id),
                                        PLANNED, now, None, requested_by, undoes)
        assert action_id is not None  # no notice key: the insert cannot conflict
        return action_id

    def staff_actions_due(self, account: str | None = None) -> list[StoredAction]:
        """Staff actions not yet carried out (planned, or sending when a crash came), oldest first."""
        rows = self._db.execute("SELECT * FROM actions WHERE requested_by IS NOT NULL AND status IN ('planned','sending')"
                                + (" AND account=?" if account else "") + " ORDER BY id",
                                (account,) if account else ()).fetchall()
        return [_stored_action(row) for row in rows]

    def action(self, action_id: int) -> StoredAction | None:
        row = self._db.execute("SELECT * FROM actions WHERE id=?", (action_id,)).fetchone()
        return _stored_action(row) if row else None

    def inbound_item(self, row_id: int) -> PendingItem | None:
        """One stored message (its full text only while it is kept), as the executor needs it."""
        row = self._db.execute("SELECT * FROM inbound WHERE id=?", (row_id,)).fetchone()
        return PendingItem(row["id"], _inbound(row), row["decided_at"] is not None) if row else None

    def actions_for(self, row_id: int) -> list[StoredAction]:
        rows = self._db.execute("SELECT * FROM actions WHERE inbound_id=? ORDER BY position", (row_id,)).fetchall()
        return [_stored_action(row) for row in rows]

    def waiting_reviews(self, account: str | None = None) -> list[StoredAction]:
        """Reviews shown to staff that no person has settled yet, oldest first."""
        query = "SELECT * FROM actions WHERE status='waiting'" + (" AND account=?" if account else "") + " ORDER BY id"
        return [_stored_action(row) for row in self._db.execute(query, (account,) if account else ()).fetchall()]

    def settle_review(self, action_id: int, outcome: str, now: datetime) -> bool:
        """A person has decided about a waiting review; False if it was not waiting (settled already)."""
        with self._transaction() as db:
            return self.settle_review_in(db, action_id, outcome, now)

    @staticmethod
    def settle_review_in(db: sqlite3.Connection, action_id: int, outcome: str, now: datetime) -> bool:
        """`settle_review` inside the caller's transaction, so a person's decision and what it plans
        are kept together; of two people settling at once, exactly one gets True."""
        return db.execute(
            "UPDATE actions SET status=?, platform_ref=?, finished_at=? WHERE id=? AND status=?",
            (DONE, f"settled: {outcome}", _iso(now), action_id, WAITING),
        ).rowcount == 1

    def open_notices(self, account: str) -> list[StoredAction]:
        rows = self._db.execute(
            "SELECT * FROM actions WHERE account=? AND inbound_id IS NULL AND kind='post_notice' "
            "AND status IN ('planned','sending') ORDER BY id",
            (account,),
        ).fetchall()
        return [_stored_action(row) for row in rows]

    def mark_sending(self, action_id: int, attempts: int | None = None) -> bool:
        """Planned (or left sending by a crash) -> sending, just before the platform call. Given the
        `attempts` the caller read, only if no one has moved the action since: of two workers that read
        the same action, exactly one gets True and may call the platform."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE actions SET status=?, attempts=attempts+1 WHERE id=? AND status IN (?,?)"
                + (" AND attempts=?" if attempts is not None else ""),
                (SENDING, action_id, PLANNED, SENDING, *((attempts,) if attempts is not None else ())),
            ).rowcount == 1

    def mark_done(self, action_id: int, platform_ref: str, now: datetime) -> None:
        self._set_action(action_id, DONE, platform_ref=platform_ref, finished_at=now)

    def mark_waiting(self, action_id: int, ref: str) -> None:
        """A review has been shown to staff; it stays waiting until a person settles it."""
        self._set_action(action_id, WAITING, platform_ref=ref)

    def mark_retry(self, action_id: int, error: str) -> None:
        self._set_action(action_id, PLANNED, error=error)

    def mark_failed(self, action_id: int, error: str, now: datetime) -> None:
        self._set_action(action_id, FAILED, error=error, finished_at=now)

    def mark_unconfirmed(self, action_id: int, error: str, now: datetime) -> None:
        self._set_action(action_id, UNCONFIRMED, error=error, finished_at=now)

    def _set_action(self, action_id: int, status: str, *, platform_ref: str | None = None, error: str | None = None,
                    finished_at: datetime | None = None, attempts_increment: int = 0) -> None:
        with self._transaction() as db:
            self._update_action(db, action_id, status, platform_ref=platform_ref, error=error, finished_at=finished_at,
                                attempts_increment=attempts_increment)

    @staticmethod
    def _update_action(db: sqlite3.Connection, action_id: int, status: str, *, platform_ref: str | None = None,
                       error: str | None = None, finished_at: datetime | None = None, attempts_increment: int = 0) -> None:
        db.execute(
            """UPDATE actions SET status=?, platform_ref=COALESCE(?, platform_ref), error=COALESCE(?, error),
               finished_at=COALESCE(?, finished_at), attempts=attempts+? WHERE id=?""",
            (status, platform_ref, error, _iso(finished_at) if finished_at else None, attempts_increment, action_id),
        )

    def complete_inbound(self, row_id: int, now: datetime) -> None:
        """The message is handled: forget its full text, keep the redacted one."""
        with self._transaction() as db:
            db.execute("UPDATE inbound SET status=?, text=NULL, handled_at=? WHERE id=?", (HANDLED, _iso(now), row_id))

    def add_strike(self, row_id: int, inbound: Inbound, category: str, now: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO strikes (platform, account, author_id, category, inbound_id, at) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT DO NOTHING",
                (inbound.platform.value, inbound.account, inbound.author.id, category, row_id, _iso(now)),
            )

    # -- account health ---------------------------------------------------------------------------
    def pause(self, account: str, reason: str, now: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                """INSERT INTO accounts (account, paused_reason, paused_at) VALUES (?,?,?)
                   ON CONFLICT (account) DO UPDATE SET paused_reason=excluded.paused_reason, paused_at=excluded.paused_at""",
                (account, reason, _iso(now)),
            )

    def resume(self, account: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE accounts SET paused_reason=NULL, paused_at=NULL WHERE account=?", (account,))

    def paused_reason(self, account: str) -> str | None:
        row = self._db.execute("SELECT paused_reason FROM accounts WHERE account=?", (account,)).fetchone()
        return row["paused_reason"] if row else None

    # -- rooms with their own tables (the alerts outbox) ------------------------------------------
    def extend_schema(self, schema: str) -> None:
        """Create a room's own tables (`CREATE TABLE IF NOT EXISTS`). On PostgreSQL once per store, under
        the schema lock (two workers creating one table at once would collide)."""
        if not self.is_postgres:
            self._db.executescript(schema)
            return
        if schema in self._schemas_made or self.read_only:
            return
        with self._transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
            db.executescript(schema)
        self._schemas_made.add(schema)

    def register_personal_data(self, data: PersonalData) -> None:
        """A room with its own tables names how `housebot forget`, `export` and the daily purge reach them."""
        self.personal_data[data.room] = data

    def transaction(self) -> ContextManager[Any]:
        """One short write transaction, for rooms that keep their own tables."""
        return self._transaction()

    def read(self, sql: str, params: Sequence[object] | Mapping[str, object] = ()) -> list[sqlite3.Row]:
        return self._db.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def acknowledge_alert(self, alert_id: int, by: str, now: datetime) -> bool:
        """Someone has the alert (from the console or the email's signed link): its repeats and
        escalation stop. False if there is no such alert or it was acknowledged already."""
        from bot.alerts.outbox import acknowledge_alert  # the outbox owns its tables

        return acknowledge_alert(self, alert_id, by, now)

    # -- audit ------------------------------------------------------------------------------------
    def audit(self, *, account: str | None = None, category: str | None = None, action: str | None = None,
              since: datetime | None = None, waiting: bool = False, limit: int = 50) -> list[dict[str, object]]:
        """The latest decisions, newest first, one row per message with its actions summarised;
        `waiting` keeps only messages with a review no person has settled yet."""
        clauses, params = ["i.decided_at IS NOT NULL"], []
        if account:
            clauses.append("i.account=?")
            params.append(account)
        if category:
            clauses.append("i.category=?")
            params.append(category)
        if since:
            clauses.append("i.decided_at>=?")
            params.append(_iso(since))
        if action:
            clauses.append("EXISTS (SELECT 1 FROM actions a WHERE a.inbound_id=i.id AND a.kind=?)")
            params.append(action)
        if waiting:
            clauses.append("EXISTS (SELECT 1 FROM actions a WHERE a.inbound_id=i.id AND a.status='waiting')")
        rows = self._db.execute(
            f"SELECT * FROM inbound i WHERE {' AND '.join(clauses)} ORDER BY i.decided_at DESC, i.id DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        result = []
        for row in rows:
            actions = self.actions_for(row["id"])
            result.append(
                {
                    "time": row["decided_at"],
                    "account": row["account"],
                    "channel": row["channel"],
                    "author": row["author_handle"],
                    "text": row["text_redacted"],
                    "category": row["category"],
                    "rule": row["rule"],
                    "evidence": row["evidence"],
                    "actions": "; ".join(
                        f"{a.action.kind.value}{'(' + a.action.team + ')' if a.action.team else ''}:{a.status}"
                        f"{' by ' + a.requested_by if a.requested_by else ''}" for a in actions
                    ),
                    "reply": " | ".join(a.action.text for a in actions if a.action.kind is ActionKind.REPLY),
                    "outcome": "dry run" if row["dry_run"] else row["status"],
                }
            )
        return result

    def notices(self, account: str | None = None) -> list[StoredAction]:
        query = ("SELECT * FROM actions WHERE inbound_id IS NULL AND kind='post_notice'"
                 + (" AND account=?" if account else "") + " ORDER BY id")
        return [_stored_action(row) for row in self._db.execute(query, (account,) if account else ()).fetchall()]

    # -- following (account actions with no message: planned once per person and kind) ------------
    def plan_follow_step(self, account: str, author_id: str, action: Action, now: datetime, *,
                         dry_run: bool = False) -> int | None:
        """Plan one follow or unfollow of one person, once ever (its key is unique); None if planned before."""
        key = f"{account}:{action.kind.value}:{author_id}"
        with self._transaction() as db:
            return self._insert_action(db, action, account, author_id, None, 0, SKIPPED if dry_run else PLANNED, now,
                                       key)

    def open_follow_steps(self, account: str) -> list[tuple[StoredAction, str]]:
        """Follows and unfollows not yet carried out, oldest first, each with the person's id."""
        rows = self._db.execute(
            "SELECT * FROM actions WHERE account=? AND inbound_id IS NULL AND kind IN ('follow','unfollow') "
            "AND status IN ('planned','sending') ORDER BY id", (account,)).fetchall()
        return [(_stored_action(row), row["author_id"]) for row in rows]

    def follows_planned_since(self, account: str, since: datetime) -> int:
        """Follows planned since `since` (the daily cap counts what was asked, refused ones too)."""
        return int(self._db.execute(
            "SELECT COUNT(*) FROM actions WHERE account=? AND kind='follow' AND inbound_id IS NULL AND planned_at>=?",
            (account, _iso(since))).fetchone()[0])

    def follow_planned_ids(self, account: str, author_ids: Sequence[str]) -> frozenset[str]:
        """Which of these people a follow was ever planned for (done, refused or in a dry run)."""
        return frozenset(row[0] for row in self._each_chunk(
            "SELECT author_id FROM actions WHERE account=? AND kind='follow' AND inbound_id IS NULL AND author_id IN ({})",
            (account,), author_ids))

    def followed_by_bot(self, account: str) -> dict[str, str]:
        """People the bot followed (done) and has not unfollowed since: id -> handle."""
        rows = self._db.execute(
            """SELECT author_id, text FROM actions f WHERE account=? AND kind='follow' AND inbound_id IS NULL
               AND status='done' AND NOT EXISTS (SELECT 1 FROM actions u WHERE u.account=f.account
               AND u.kind='unfollow' AND u.author_id=f.author_id AND u.inbound_id IS NULL)""", (account,)).fetchall()
        return {row["author_id"]: row["text"] for row in rows}

    def restricted_ids(self, account: str, author_ids: Sequence[str]) -> frozenset[str]:
        """Which of these people the account has blocked or muted (done), and not unblocked since."""
        return frozenset(row[0] for row in self._each_chunk(
            """SELECT DISTINCT author_id FROM actions r WHERE account=? AND kind IN ('block','mute') AND status='done'
               AND author_id IN ({}) AND NOT EXISTS (SELECT 1 FROM actions u WHERE u.account=r.account
               AND u.author_id=r.author_id AND u.kind='unblock' AND u.status='done' AND u.id>r.id)""",
            (account,), author_ids))

    def strike_counts(self, platform: str, account: str, author_ids: Sequence[str]) -> dict[str, int]:
        """Strikes of each of these people (those with none are left out)."""
        rows = self._each_chunk(
            "SELECT author_id, COUNT(*) FROM strikes WHERE platform=? AND account=? AND author_id IN ({}) "
            "GROUP BY author_id", (platform, account), author_ids)
        return {row[0]: int(row[1]) for row in rows}

    def _each_chunk(self, sql: str, params: tuple[str, ...], author_ids: Sequence[str]) -> list[sqlite3.Row]:
        """`sql` (`params`, then `{}` for the id list) over the ids in chunks below SQLite's variable limit."""
        rows: list[sqlite3.Row] = []
        ids = list(author_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows += self._db.execute(sql.format(",".join("?" * len(chunk))), (*params, *chunk)).fetchall()
        return rows

    def follow_log(self, *, account: str | None = None, since: datetime | None = None,
                   limit: int = 50) -> list[dict[str, object]]:
        """Follows and unfollows for `housebot log --action follow`, newest first, in the audit's row shape."""
        clauses, params = ["inbound_id IS NULL", "kind IN ('follow','unfollow')"], []
        if account:
            clauses.append("account=?")
            params.append(account)
        if since:
            clauses.append("planned_at>=?")
            params.append(_iso(since))
        rows = self._db.execute(f"SELECT * FROM actions WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?",
                                (*params, limit)).fetchall()
        return [{"time": row["finished_at"] or row["planned_at"], "account": row["account"], "channel": "",
                 "author": row["text"], "text": "", "category": "", "rule": row["rule"], "evidence": row["reason"],
                 "actions": f"{row['kind']}:{row['status']}", "reply": "",
                 "outcome": "dry run" if row["status"] == SKIPPED else (row["error"] or row["status"])}
                for row in rows]


def _next_position(db: Any, row_id: int) -> int:
    """The next action position of a message, its row locked first so two planners never share one."""
    db.execute("SELECT id FROM inbound WHERE id=? FOR UPDATE", (row_id,))
    return int(db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM actions WHERE inbound_id=?",
                          (row_id,)).fetchone()[0])


def _inbound(row: sqlite3.Row) -> Inbound:
    return Inbound(
        platform=Platform(row["platform"]),
        account=row["account"],
        stream=row["stream"],
        channel=Channel(row["channel"]),
        native_id=row["native_id"],
        author=Author(id=row["author_id"], handle=row["author_handle"], display_name=row["author_name"]),
        text=row["text"] if row["text"] is not None else row["text_redacted"],
        created_at=_when(row["created_at"]),
        thread_id=row["thread_id"],
        parent_id=row["parent_id"],
        in_reply_to_own=bool(row["in_reply_to_own"]),
        extras=json.loads(row["extras"]),
        attachments=tuple(Attachment(AttachmentKind(kind), caption) for kind, caption in json.loads(row["attachments"])),
    )


def _action_fields(action: Action) -> dict[str, object]:
    """An action (with its fallback chain) as plain JSON values, to keep beside the planned action."""
    return {
        "kind": action.kind.value, "rule": action.rule, "reason": action.reason,
        "channel": action.channel.value if action.channel else None, "template": action.template, "text": action.text,
        "team": action.team, "urgency": action.urgency.value,
        "fallback": _action_fields(action.fallback) if action.fallback else None,
    }


def _action_from(fields: dict[str, object]) -> Action:
    fallback = fields["fallback"]
    return Action(
        kind=ActionKind(fields["kind"]), rule=str(fields["rule"]), reason=str(fields["reason"]),
        channel=Channel(fields["channel"]) if fields["channel"] else None, template=str(fields["template"]),
        text=str(fields["text"]), team=str(fields["team"]), urgency=Urgency(fields["urgency"]),
        fallback=_action_from(fallback) if isinstance(fallback, dict) else None,
    )


def _stored_action(row: sqlite3.Row) -> StoredAction:
    action = Action(
        kind=ActionKind(row["kind"]),
        rule=row["rule"],
        reason=row["reason"],
        channel=Channel(row["channel"]) if row["channel"] else None,
        template=row["template"],
        text=row["text"],
        team=row["team"],
        urgency=Urgency(row["urgency"]),
        fallback=_action_from(json.loads(row["fallback"])) if row["fallback"] else None,
    )
    # A state file only looked at (read-only, so not migrated) may predate `requested_by`.
    requested_by = row["requested_by"] if "requested_by" in row.keys() else None
    return StoredAction(id=row["id"], action=action, status=row["status"], attempts=row["attempts"],
                        requested_by=requested_by, platform_ref=row["platform_ref"], error=row["error"],
                        inbound_id=row["inbound_id"], planned_at=_when(row["planned_at"]))


def open_store(location: str | Path, *, read_only: bool = False) -> Store:
    """The store `HOUSEBOT_STATE` names: a path is a SQLite file, a `postgresql://` URL a PostgreSQL database."""
    return Store(location, read_only=read_only)
