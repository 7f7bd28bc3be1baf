"""The instructor's assignments, for hint mode: a student asking one of them gets a hint.

One SQLite file beside the catalog (`assignments.sqlite`, WAL, migrations as
study/asked.py). An assignment is a title and its text (typed in the
instructor panel or read from a .txt/.md file); `hints` is the instructor's
per-assignment switch. Its *tasks* are what a student's question is matched
against (study/hints.py): the text split at blank lines and numbered or
bulleted items, since a student asks about one task, not the whole sheet.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import sqlite

FILE = "assignments.sqlite"
MIGRATIONS = (
    """CREATE TABLE assignment (
        id TEXT PRIMARY KEY,          -- from the title: stable across edits of the text
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        hints INTEGER NOT NULL,       -- 1: questions matching it get hints, not answers
        added REAL NOT NULL           -- unix time
    )""",
)
MAX_CHARS = 20_000          # an assignment sheet, not a book
MIN_TASK_WORDS = 6          # a shorter piece ("Hand in by Friday.") joins the next one
FILE_TYPES = (".txt", ".md", ".markdown")
_ITEM = re.compile(r"^\s*(?:\(?\d+[.)]|\(?[a-z][.)]|[-*\u2022])\s+", re.IGNORECASE)


class AssignmentError(ValueError):
    """An assignment that cannot be registered: the message says why, in one line."""


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    text: str
    hints: bool
    added: float

    def tasks(self) -> tuple[str, ...]:
        return tasks(self.text)


def tasks(text: str) -> tuple[str, ...]:
    """The text's tasks: paragraphs and list items, Markdown headings left out; a piece
    under MIN_TASK_WORDS words joins the one after it."""
    pieces, cur = [], []
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip() or _ITEM.match(line):
            if cur:
                pieces.append(" ".join(cur))
            cur = []
            if line.lstrip().startswith("#") or not line.strip():
                continue
            line = _ITEM.sub("", line, count=1)
        cur.append(line.strip())
    if cur:
        pieces.append(" ".join(cur))
    out, carry = [], ""
    for p in pieces:
        p = f"{carry} {p}".strip()
        if len(p.split()) < MIN_TASK_WORDS:
            carry = p
            continue
        out.append(p)
        carry = ""
    if carry and out:   # a short last piece belongs to the task before it
        out.append(f"{out.pop()} {carry}")
    return tuple(out)


def slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    base = "-".join(words)[:40].strip("-") or "assignment"
    return f"{base}-{hashlib.sha256(title.strip().lower().encode()).hexdigest()[:6]}"


def read_file(path: Path) -> tuple[str, str]:
    """(title, text) of an assignment file: its first Markdown heading or line is the title."""
    path = Path(path)
    if path.suffix.lower() not in FILE_TYPES:
        raise AssignmentError(f"{path.name}: an assignment file must be {', '.join(FILE_TYPES)} "
                              "(paste other formats as text)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise AssignmentError(f"{path.name}: not UTF-8 text") from None
    except OSError as e:
        raise AssignmentError(f"{path.name}: cannot read ({e.strerror})") from None
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    title = first.lstrip("#").strip() if first.lstrip().startswith("#") else path.stem
    return title, text


class Assignments:
    def __init__(self, root: Path):
        self.path = Path(root) / FILE
        self._lock = threading.Lock()
        self.db = sqlite.connect(self.path, MIGRATIONS)

    def add(self, title: str, text: str) -> Assignment:
        """Register an assignment (hints on); the same title again replaces its text."""
        title, text = (title or "").strip(), (text or "").strip()
        if not title:
            raise AssignmentError("an assignment needs a title")
        if len(title) > 200:
            raise AssignmentError("the title is over 200 characters")
        if not text:
            raise AssignmentError(f"assignment {title!r} has no text")
        if len(text) > MAX_CHARS:
            raise AssignmentError(f"assignment {title!r} is {len(text):,} characters long; "
                                  f"the limit is {MAX_CHARS:,}")
        if not tasks(text):
            raise AssignmentError(f"assignment {title!r} has no task of {MIN_TASK_WORDS}+ words")
        a = Assignment(slug(title), title, text, True, time.time())
        with self._lock, self.db:
            old = self.db.execute("SELECT hints, added FROM assignment WHERE id = ?", (a.id,)).fetchone()
            hints, added = (bool(old[0]), old[1]) if old else (True, a.added)
            self.db.execute("INSERT OR REPLACE INTO assignment VALUES (?, ?, ?, ?, ?)",
                            (a.id, title, text, int(hints), added))
        return Assignment(a.id, title, text, hints, added)

    def set_hints(self, assignment_id: str, on: bool) -> None:
        with self._lock, self.db:
            cur = self.db.execute("UPDATE assignment SET hints = ? WHERE id = ?",
                                  (int(on), assignment_id))
        if cur.rowcount != 1:
            raise AssignmentError(f"no assignment {assignment_id!r}")

    def remove(self, assignment_id: str) -> None:
        with self._lock, self.db:
            cur = self.db.execute("DELETE FROM assignment WHERE id = ?", (assignment_id,))
        if cur.rowcount != 1:
            raise AssignmentError(f"no assignment {assignment_id!r}")

    def all(self) -> list[Assignment]:
        with self._lock:
            rows = self.db.execute("SELECT * FROM assignment ORDER BY added, id").fetchall()
        return [Assignment(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows]

    def close(self) -> None:
        self.db.close()
