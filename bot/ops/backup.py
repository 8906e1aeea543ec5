"""`housebot backup` and `housebot restore`, through SQLite's online backup API.

A backup reads a consistent snapshot while the bot keeps writing (WAL: the reader does not block
the writer). A restore first checks the file is a housebot state file this version can read, keeps
the state it replaces beside it, and copies through the same API (which handles the -wal file);
an older schema is brought up to date by the store's migrations when the bot next opens it. The
command line refuses a restore while the bot runs (its lock file).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.errors import ConfigError
from bot.store import SCHEMA_VERSION, Store


def _private_file(path: Path) -> None:
    """Backups hold the same personal data as the state: the bot user's alone (0600), new only."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise ConfigError("(command line)", "FILE", f"{path} exists already; give a new file name") from None


def backup(state_path: Path, target: Path) -> int:
    """Copy the state file to a new file, safely while the bot runs; returns its schema version."""
    if not state_path.exists():
        raise ConfigError(state_path, "(state file)", "does not exist: nothing to back up")
    _private_file(target)
    try:
        with closing(sqlite3.connect(state_path.resolve().as_uri() + "?mode=ro", uri=True, timeout=10)) as source, \
                closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            version = int(copy.execute("PRAGMA user_version").fetchone()[0])
            if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise ConfigError(target, "(backup)", "the copy failed its integrity check")
    except sqlite3.Error as problem:
        target.unlink(missing_ok=True)
        raise ConfigError(state_path, "(state file)", f"cannot be backed up: {problem}") from None
    return version


def check_backup(path: Path) -> int:
    """The schema version of a file fit to restore; a ConfigError naming it otherwise."""
    if not path.is_file():
        raise ConfigError(path, "(backup)", "not found")
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as db:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise ConfigError(path, "(backup)", "fails SQLite's integrity check")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            has_inbound = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='inbound'").fetchone()
    except sqlite3.Error as problem:
        raise ConfigError(path, "(backup)", f"is not a housebot state file: {problem}") from None
    if not has_inbound or version < 1:
        raise ConfigError(path, "(backup)", "is not a housebot state file")
    if version > SCHEMA_VERSION:
        raise ConfigError(path, "(backup)", f"was written by a newer housebot (schema {version}; this one knows "
                          f"{SCHEMA_VERSION})")
    return version


def restore(backup_file: Path, state_path: Path, replaced: Path) -> int:
    """Replace the state with the backup (the caller holds the run lock); the state it replaces is
    first copied to `replaced`. Returns the backup's schema version, before migrations."""
    version = check_backup(backup_file)
    if state_path.exists():
        backup(state_path, replaced)
    Store(state_path).close()  # creates the folder and file private, as the bot would
    try:
        with closing(sqlite3.connect(backup_file.resolve().as_uri() + "?mode=ro", uri=True)) as source, \
                closing(sqlite3.connect(state_path)) as state:
            source.backup(state)
    except sqlite3.Error as problem:
        raise ConfigError(state_path, "(state file)", f"cannot be restored: {problem}") from None
    Store(state_path).close()  # brings an older schema up to date now, not at the next start
    return version
