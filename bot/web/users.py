"""Staff accounts of the web console: who may sign in, with which role, and their password hashes.

Passwords are hashed with argon2id at the parameters OWASP's Password Storage Cheat Sheet gives
(19 MiB, 2 passes, 1 lane: strong, and quick enough on a small server) and are never stored or
logged in any other form; a hash made with other parameters is redone at the next sign-in. The
table lives in the state database, created by this room itself (`Store.extend_schema`), so the
bot's own schema does not change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.staff import Role, StaffMember
from bot.store import Store

USERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS console_users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
"""
MIN_PASSWORD = 12  # ASVS 2.1.1: at least 12 characters, no composition rules
MAX_PASSWORD = 128
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("housebot: no such staff member")


@dataclass(frozen=True, slots=True)
class StaffUser:
    """A signed-in person: viewers read; moderators also act on messages; admins also manage staff."""

    name: str
    role: Role
    disabled: bool = False

    @property
    def member(self) -> StaffMember:
        """Who `bot.staff` records as doing what this person asks."""
        return StaffMember(self.name, self.role)

    @property
    def can_act(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def can_manage(self) -> bool:
        return self.role is Role.ADMIN


class UserError(ValueError):
    """A staff account that cannot be made as asked; the message says why, for a person."""


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must be at least {MIN_PASSWORD} characters long")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password must be at most {MAX_PASSWORD} characters long")


def add_user(store: Store, name: str, role: Role, password: str, now: datetime) -> StaffUser:
    """Create a staff account; a name in use or a weak password is a UserError."""
    if not _NAME.match(name):
        raise UserError(f"{name!r}: a name is lower-case letters, digits, '.', '_' or '-' (at most 40)")
    check_password(password)
    store.extend_schema(USERS_SCHEMA)
    with store.transaction() as db:  # the name is the key: of two adding it at once, one is refused
        if not db.execute("INSERT INTO console_users (name, role, password_hash, created_at) VALUES (?,?,?,?) "
                          "ON CONFLICT DO NOTHING",
                          (name, role.value, _HASHER.hash(password), now.astimezone(timezone.utc).isoformat())).rowcount:
            raise UserError(f"{name!r} exists already")
    return StaffUser(name, role)


def find_user(store: Store, name: str) -> StaffUser | None:
    """An enabled staff account by name (the session and the SSO header name one)."""
    store.extend_schema(USERS_SCHEMA)
    rows = store.read("SELECT name, role, disabled FROM console_users WHERE name=?", (name,))
    if not rows or rows[0]["disabled"]:
        return None
    return StaffUser(rows[0]["name"], Role(rows[0]["role"]))


def verify_login(store: Store, name: str, password: str) -> StaffUser | None:
    """The staff member if the password is theirs and the account is enabled, else None."""
    store.extend_schema(USERS_SCHEMA)
    rows = store.read("SELECT * FROM console_users WHERE name=?", (name.strip().lower(),))
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if not rows or rows[0]["disabled"]:
        return None
    if _HASHER.check_needs_rehash(stored):
        with store.transaction() as db:
            db.execute("UPDATE console_users SET password_hash=? WHERE name=?", (_HASHER.hash(password), rows[0]["name"]))
    return StaffUser(rows[0]["name"], Role(rows[0]["role"]))


def set_password(store: Store, name: str, password: str) -> bool:
    """A new password for an existing account; False if there is no such account."""
    check_password(password)
    store.extend_schema(USERS_SCHEMA)
    with store.transaction() as db:
        return db.execute("UPDATE console_users SET password_hash=? WHERE name=?",
                          (_HASHER.hash(password), name)).rowcount == 1


def list_users(store: Store) -> list[StaffUser]:
    store.extend_schema(USERS_SCHEMA)
    return [StaffUser(r["name"], Role(r["role"]), bool(r["disabled"]))
            for r in store.read("SELECT name, role, disabled FROM console_users ORDER BY name")]


def set_role(store: Store, name: str, role: Role, disabled: bool) -> bool:
    """Change a staff member's role or switch the account off; False if there is no such account."""
    store.extend_schema(USERS_SCHEMA)
    with store.transaction() as db:
        return db.execute("UPDATE console_users SET role=?, disabled=? WHERE name=?",
                          (role.value, int(disabled), name)).rowcount == 1

