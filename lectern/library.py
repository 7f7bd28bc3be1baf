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

from pathlib import Path

from .catalog import Catalog, VideoRecord
from .config import home as default_home

SOURCE, AUDIO, TRANSCRIPT, TRANSCRIPT_MD, SUMMARY, SUMMARY_MD = (
    "source.json", "audio.wav", "transcript.json", "transcript.md", "summary.json", "summary.md")


class Library:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else default_home()
        self.root.mkdir(parents=True, exist_ok=True)
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

    def close(self) -> None:
        self.catalog.close()
