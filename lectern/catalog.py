"""The library's SQLite catalog: videos, per-stage status, and failures.

The JSON artifacts in each video's folder are the data; the catalog is the
index over them (what exists, which stage is done with which inputs and config,
what failed and why). Schema changes are numbered migrations applied in order,
tracked with SQLite's user_version, as in simonw/llm.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

MIGRATIONS: list[str] = [
    # 1: videos, stages, and failures of sources that never became a video
    """
    CREATE TABLE videos (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        duration REAL,
        content_hash TEXT,
        added_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE stages (
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        stage TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        input_key TEXT,
        config_hash TEXT,
        error TEXT,
        started_at TEXT,
        finished_at TEXT,
        seconds REAL,
        PRIMARY KEY (video_id, stage)
    );
    CREATE TABLE failures (
        source TEXT PRIMARY KEY,
        error TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class VideoRecord:
    id: str
    source: str
    kind: str  # "file" or "url"
    title: str = ""
    duration: float | None = None
    content_hash: str | None = None
    added_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class StageRecord:
    video_id: str
    stage: str
    status: str
    input_key: str | None = None
    config_hash: str | None = None
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None


class CatalogError(RuntimeError):
    """The catalog cannot be opened: damaged (not SQLite, malformed), or unavailable
    (locked, read-only, a disk error), which rebuilding would not mend."""

    def __init__(self, path: Path, reason: str):
        self.path = path
        self.damaged = any(w in reason.lower() for w in ("not a database", "malformed", "corrupt"))
        if self.damaged:
            super().__init__(f"{path} is damaged ({reason}); the lectures' files under videos/ "
                             "are intact: `lectern status --rebuild-catalog` sets it aside and "
                             "rebuilds the catalog from them")
        else:
            super().__init__(f"cannot use the catalog {path}: {reason}")


class Catalog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit; each statement is its own transaction,
        # so a killed process never leaves a half-applied status change.
        self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                  check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            self.db.execute("SELECT count(*) FROM videos").fetchone()
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise CatalogError(self.path, str(e)) from None

    @staticmethod
    def set_aside(path: Path) -> Path:
        """Rename a damaged catalog (and its WAL files) out of the way; returns the new name."""
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{path}{suffix}")
            if old.exists():
                old.rename(f"{aside}{suffix}")
        return aside

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for i, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, sql.split(";")):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={i}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.db.close()

    # videos
    def upsert_video(self, v: VideoRecord) -> VideoRecord:
        now = _now()
        self.db.execute(
            """INSERT INTO videos (id, source, kind, title, duration, content_hash, added_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET source=excluded.source, kind=excluded.kind,
                 title=excluded.title, duration=excluded.duration,
                 content_hash=excluded.content_hash, updated_at=excluded.updated_at""",
            (v.id, v.source, v.kind, v.title, v.duration, v.content_hash, now, now),
        )
        self.db.execute("DELETE FROM failures WHERE source = ?", (v.source,))
        return self.video(v.id)  # type: ignore[return-value]

    def video(self, video_id: str) -> VideoRecord | None:
        row = self.db.execute("SELECT * FROM videos WHERE id = ?", (video_id,)).fetchone()
        return VideoRecord(**dict(row)) if row else None

    def video_by_source(self, source: str) -> VideoRecord | None:
        row = self.db.execute("SELECT * FROM videos WHERE source = ?", (source,)).fetchone()
        return VideoRecord(**dict(row)) if row else None

    def videos(self) -> list[VideoRecord]:
        rows = self.db.execute("SELECT * FROM videos ORDER BY id").fetchall()
        return [VideoRecord(**dict(r)) for r in rows]

    def ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM videos")}

    # stages
    def stage(self, video_id: str, stage: str) -> StageRecord | None:
        row = self.db.execute("SELECT * FROM stages WHERE video_id = ? AND stage = ?",
                              (video_id, stage)).fetchone()
        return StageRecord(**dict(row)) if row else None

    def stages(self, video_id: str) -> list[StageRecord]:
        rows = self.db.execute("SELECT * FROM stages WHERE video_id = ?", (video_id,)).fetchall()
        return [StageRecord(**dict(r)) for r in rows]

    def start_stage(self, video_id: str, stage: str) -> None:
        self.db.execute(
            """INSERT INTO stages (video_id, stage, status, started_at) VALUES (?, ?, 'running', ?)
               ON CONFLICT(video_id, stage) DO UPDATE SET status='running', error=NULL,
                 started_at=excluded.started_at, finished_at=NULL""",
            (video_id, stage, _now()),
        )

    def finish_stage(self, video_id: str, stage: str, input_key: str, config_hash: str,
                     seconds: float) -> None:
        self.db.execute(
            """UPDATE stages SET status='done', input_key=?, config_hash=?, error=NULL,
                 finished_at=?, seconds=? WHERE video_id=? AND stage=?""",
            (input_key, config_hash, _now(), seconds, video_id, stage),
        )

    def fail_stage(self, video_id: str, stage: str, error: str) -> None:
        self.db.execute(
            """INSERT INTO stages (video_id, stage, status, error, finished_at)
               VALUES (?, ?, 'failed', ?, ?)
               ON CONFLICT(video_id, stage) DO UPDATE SET status='failed', error=excluded.error,
                 finished_at=excluded.finished_at""",
            (video_id, stage, error, _now()),
        )

    # sources that failed before they could be given a video id
    def record_failure(self, source: str, error: str) -> None:
        self.db.execute(
            """INSERT INTO failures (source, error, at) VALUES (?, ?, ?)
               ON CONFLICT(source) DO UPDATE SET error=excluded.error, at=excluded.at""",
            (source, error, _now()),
        )

    def clear_failure(self, source: str) -> None:
        self.db.execute("DELETE FROM failures WHERE source = ?", (source,))

    def failures(self) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in self.db.execute("SELECT source, error, at FROM failures ORDER BY at")]
