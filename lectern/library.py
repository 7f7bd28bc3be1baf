"""The library on disk: one folder per video under the data root, and the catalog.

    $LECTERN_HOME/
      catalog.sqlite          videos, per-stage status, failures
      lectern.log             what happened, run after run
      config.json             optional per-stage settings
      videos/<id>/
        source.json  media.*  media.*.vtt  audio.wav
        transcript.json  transcript.md  summary.json  summary.md
"""

from __future__ import annotations

import fcntl
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .artifacts import cleanup_temp
from .catalog import Catalog, VideoRecord
from .config import home as default_home

SOURCE, AUDIO, TRANSCRIPT, TRANSCRIPT_MD, SUMMARY, SUMMARY_MD = (
    "source.json", "audio.wav", "transcript.json", "transcript.md", "summary.json", "summary.md")


log = logging.getLogger(__name__)


class LibraryError(RuntimeError):
    """The data root cannot be used (a file, not writable, ...)."""


class LibraryBusy(LibraryError):
    """Another process is ingesting into this library."""


@contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """The data root's writer lock (also taken before its catalog can be opened: rebuilding).

    An flock dies with its process, so a killed ingest never leaves the library
    locked, and "running" stages without a lock holder are known to be interrupted.
    """
    with open(Path(root) / "ingest.lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            raise LibraryBusy(f"another ingest is running on {root} "
                              f"(pid {f.read().strip() or '?'})") from None
        f.truncate(0)
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            f.truncate(0)
            fcntl.flock(f, fcntl.LOCK_UN)


class Library:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else default_home()
        if self.root.exists() and not self.root.is_dir():
            raise LibraryError(f"the data root {self.root} ($LECTERN_HOME) is a file, not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LibraryError(f"cannot create the data root {self.root} ($LECTERN_HOME): "
                               f"{e.strerror or e}") from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise LibraryError(f"the data root {self.root} ($LECTERN_HOME) is not writable")
        self.catalog = Catalog(self.root / "catalog.sqlite")

    def folder(self, video_id: str) -> Path:
        return self.root / "videos" / video_id

    def path(self, video_id: str, name: str) -> Path:
        return self.folder(video_id) / name

    @property
    def log_file(self) -> Path:
        return self.root / "lectern.log"

    @property
    def config_file(self) -> Path:
        return self.root / "config.json"

    def videos(self) -> list[VideoRecord]:
        return self.catalog.videos()

    def assign_id(self, source: str, suggested: str, content_hash: str | None = None) -> str:
        """The video id for a source: its existing one, else a fresh unique slug.

        A file seen before under another path (same content) keeps its id.
        """
        existing = self.catalog.video_by_source(source)
        if existing:
            return existing.id
        if content_hash:
            row = self.catalog.db.execute("SELECT id FROM videos WHERE content_hash = ?",
                                          (content_hash,)).fetchone()
            if row:
                return row[0]
        taken, vid, n = self.catalog.ids(), suggested, 2
        while vid in taken:
            vid, n = f"{suggested}-{n}", n + 1
        return vid

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the library's writer lock: one ingest at a time assigns ids and writes."""
        with writer_lock(self.root):
            # Only the lock holder writes into videos/: a temp file there now is one a killed
            # run left behind (artifacts.write_atomic), never one being written.
            left = sum(cleanup_temp(d) for d in (self.root / "videos").glob("*/"))
            if left:
                log.info("removed %d temp file(s) a killed run left in %s", left, self.root)
            yield

    def busy(self) -> bool:
        """Whether some process holds the writer lock now."""
        path = self.root / "ingest.lock"
        if not path.exists():
            return False
        with open(path) as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
            return False

    def close(self) -> None:
        self.catalog.close()
