"""The study files' SQLite: one connection, shared by the web app's threads, in WAL mode (many
writers, one reader, a restart loses nothing), brought up to date by numbered migrations kept
in SQLite's user_version, as in simonw/llm."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path


def connect(path: Path, migrations: Sequence[str]) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for n, sql in enumerate(migrations[version:], start=version + 1):
        with db:
            db.execute(sql)
            db.execute(f"PRAGMA user_version = {n}")
    return db
