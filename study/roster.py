"""Student accounts, for the sign-in an instructor may turn on (`serve.sign_in`).

Off by default: the web app then has no sign-in and the question log stores no
identity. On, students sign in with an account the instructor made (`lectern
students add NAME`), and the log keeps each question's student, so the
instructor can see who is stuck, not only where.

Passwords are never stored: a row holds a random salt and the scrypt hash of
the password (hashlib, the standard library's memory-hard KDF).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import sqlite

FILE = "students.sqlite"
MIGRATIONS = (
    """CREATE TABLE students (
        name TEXT PRIMARY KEY COLLATE NOCASE,  -- what the student types to sign in
        salt BLOB NOT NULL,
        hash BLOB NOT NULL,                    -- scrypt(password, salt)
        added REAL NOT NULL                    -- unix time
    )""",
)
NAME = re.compile(r"[\w.@+-]{1,64}")   # an e-mail address or a login: no spaces, no markup
MIN_PASSWORD = 8                        # characters
RESERVED = {"instructor"}               # the instructor page's own user name
# scrypt's cost: 16 MiB and ~50 ms a check on this 2-core machine; a guess costs the same
SCRYPT = dict(n=2**14, r=8, p=1, maxmem=64 * 2**20, dklen=32)


class RosterError(ValueError):
    """A name or password that cannot be used; the message says why, in one line."""


@dataclass(frozen=True)
class Student:
    name: str
    added: float


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)


class Roster:
    def __init__(self, root: Path):
        self.path = Path(root) / FILE
        self._lock = threading.Lock()
        self.db = sqlite.connect(self.path, MIGRATIONS)

    def add(self, name: str, password: str) -> Student:
        """A new account, or a new password for an existing one."""
        name = (name or "").strip()
        if not NAME.fullmatch(name):
            raise RosterError(f"student name {name[:70]!r}: use 1-64 letters, digits or . @ + - _")
        if name.lower() in RESERVED:
            raise RosterError(f"student name {name!r} is the instructor's; choose another")
        if len(password) < MIN_PASSWORD:
            raise RosterError(f"the password must have at least {MIN_PASSWORD} characters")
        salt = secrets.token_bytes(16)
        now = time.time()
        with self._lock, self.db:
            self.db.execute("INSERT INTO students VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE "
                            "SET salt = excluded.salt, hash = excluded.hash",
                            (name, salt, _hash(password, salt), now))
        return Student(name, now)

    def remove(self, name: str) -> bool:
        """False when there was no such student."""
        with self._lock, self.db:
            return self.db.execute("DELETE FROM students WHERE name = ?", (name,)).rowcount == 1

    def all(self) -> list[Student]:
        with self._lock:
            rows = self.db.execute("SELECT name, added FROM students ORDER BY name").fetchall()
        return [Student(n, a) for n, a in rows]

    def check(self, name: str, password: str) -> bool:
        """gradio's login callback: True for a known student with the right password.

        An unknown name costs a hash as well, so the time taken does not tell which names
        exist."""
        with self._lock:
            row = self.db.execute("SELECT salt, hash FROM students WHERE name = ?",
                                  ((name or "").strip(),)).fetchone()
        salt, stored = row if row else (b"\0" * 16, b"")
        return secrets.compare_digest(_hash(password or "", salt), stored) and row is not None

    def signed_in_name(self, name: str) -> str:
        """The account's own spelling of a name a student signed in with (names ignore case)."""
        with self._lock:
            row = self.db.execute("SELECT name FROM students WHERE name = ?", (name,)).fetchone()
        return row[0] if row else name

    def close(self) -> None:
        self.db.close()
