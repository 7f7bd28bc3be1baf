"""What students ask: every question asked in the web app, its answer, and what they thought.

One SQLite file beside the catalog (`asked.sqlite`), in WAL mode so that many
students' answers are logged while the instructor reads the insights, and a
server restart loses nothing. No student identity is stored unless the
instructor turned sign-in on (`serve.sign_in`, study/roster.py): a row holds
the question, the answer, its citations, whether it was refused, a thumbs up
or down, and, only with sign-in, the student's account name.

The insights an instructor needs from it: the questions the course could not
answer (refused), the answers students marked wrong, and, per lecture, how
often each minute is cited by answers: where students keep asking is where
they are confused.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from . import sqlite

FILE = "asked.sqlite"
MIGRATIONS = (
    """CREATE TABLE asked (
        id TEXT PRIMARY KEY,          -- the answer's turn id, as the page knows it
        at REAL NOT NULL,             -- unix time
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        refused INTEGER NOT NULL,
        citations TEXT NOT NULL,      -- JSON [[video_id, start, end], ...]
        rating INTEGER                -- 1 thumbs up, -1 thumbs down, NULL none
    )""",
    "CREATE INDEX asked_at ON asked(at)",
    "ALTER TABLE asked ADD COLUMN student TEXT",   # NULL unless sign-in is on
)


@dataclass(frozen=True)
class Asked:
    id: str
    at: float
    question: str
    answer: str
    refused: bool
    citations: tuple[tuple[str, float, float], ...]
    rating: int | None
    student: str | None = None   # only when sign-in is on


@dataclass(frozen=True)
class Minute:
    video_id: str
    minute: int
    count: int
    questions: tuple[str, ...]


class Log:
    def __init__(self, root: Path):
        self.path = Path(root) / FILE
        self._lock = threading.Lock()
        self.db = sqlite.connect(self.path, MIGRATIONS)

    def record(self, turn: str, question: str, answer: str, refused: bool,
               citations: list[tuple[str, float, float]], student: str | None = None) -> None:
        """`student`: the signed-in account, passed only when the instructor turned sign-in on."""
        with self._lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO asked (id, at, question, answer, refused, "
                            "citations, rating, student) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                            (turn, time.time(), question, answer, int(refused),
                             json.dumps([list(c) for c in citations]), student))

    def rate(self, turn: str, good: bool | None) -> bool:
        """Thumbs up (True), down (False) or withdrawn (None); False when the turn is unknown."""
        with self._lock, self.db:
            cur = self.db.execute("UPDATE asked SET rating = ? WHERE id = ?",
                                  (None if good is None else (1 if good else -1), turn))
        return cur.rowcount == 1

    def all(self) -> list[Asked]:
        with self._lock:
            rows = self.db.execute("SELECT id, at, question, answer, refused, citations, rating, "
                                   "student FROM asked ORDER BY at DESC").fetchall()
        return [Asked(r[0], r[1], r[2], r[3], bool(r[4]),
                      tuple((c[0], float(c[1]), float(c[2])) for c in json.loads(r[5])), r[6], r[7])
                for r in rows]

    def close(self) -> None:
        self.db.close()


def timeline(rows: list[Asked]) -> dict[str, list[Minute]]:
    """Per lecture, each cited minute: how many answers cited it, and the questions behind."""
    counts: dict[tuple[str, int], Counter] = defaultdict(Counter)
    for r in rows:
        if r.refused:
            continue
        for vid, start, _ in set(r.citations):   # one answer citing a moment twice counts once
            counts[(vid, int(start // 60))][r.question] += 1
    out: dict[str, list[Minute]] = defaultdict(list)
    for (vid, minute), qs in sorted(counts.items()):
        out[vid].append(Minute(vid, minute, sum(qs.values()), tuple(q for q, _ in qs.most_common())))
    return dict(out)


def peaks(rows: list[Asked], k: int = 3) -> list[Minute]:
    """The k most cited minutes of the whole course."""
    every = [m for ms in timeline(rows).values() for m in ms]
    return sorted(every, key=lambda m: (-m.count, m.video_id, m.minute))[:k]


def counts(rows: list[Asked]) -> str:
    """One line: "12 questions asked; 3 not covered by the lectures; 1 answer marked wrong"."""
    def n(k: int, one: str, many: str) -> str:
        return f"{k} {one if k == 1 else many}"
    return (f"{n(len(rows), 'question', 'questions')} asked; "
            f"{sum(r.refused for r in rows)} not covered by the lectures; "
            f"{n(sum(r.rating == -1 for r in rows), 'answer', 'answers')} marked wrong")


def to_csv(rows: list[Asked]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    named = any(r.student for r in rows)   # a student column only where sign-in was on
    w.writerow(["at", "question", "answer", "refused", "citations", "rating"] + ["student"] * named)
    for r in rows:
        w.writerow([time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r.at)), r.question, r.answer,
                    int(r.refused), " ".join(f"{v}@{s:.0f}" for v, s, _ in r.citations),
                    "" if r.rating is None else r.rating] + [r.student or ""] * named)
    return buf.getvalue()


def insights(rows: list[Asked]) -> dict:
    """What `lectern insights --json` prints."""
    def one(r: Asked) -> dict:
        return {"at": r.at, "question": r.question, "answer": r.answer, "student": r.student,
                "citations": [{"video_id": v, "start": s, "end": e} for v, s, e in r.citations]}
    return {
        "questions": len(rows),
        "refused": [one(r) for r in rows if r.refused],
        "marked_wrong": [one(r) for r in rows if r.rating == -1],
        "marked_right": sum(1 for r in rows if r.rating == 1),
        "timeline": {vid: [{"minute": m.minute, "count": m.count, "questions": list(m.questions)}
                           for m in ms] for vid, ms in timeline(rows).items()},
    }
