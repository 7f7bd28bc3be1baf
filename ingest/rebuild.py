"""Rebuild a damaged catalog from the artifacts on disk, which are the truth.

The catalog only indexes what each video's folder holds (lectern/catalog.py).
When it is lost or damaged, every video with a readable source.json is
recorded again, and every stage whose artifact is present and readable is
marked done with the same input key the pipeline would compute, so the next
`lectern ingest` of the same sources skips them instead of redoing hours of
speech recognition.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from lectern import artifacts
from lectern.catalog import Catalog, VideoRecord
from lectern.library import AUDIO, SOURCE, SUMMARY, TRANSCRIPT, Library

from . import sources, summarize, transcript
from .pipeline import AUDIO_VERSION, audio_key, fetch_key, fetched_key

log = logging.getLogger(__name__)


@dataclass
class Rebuilt:
    aside: Path | None                              # where the damaged catalog went
    videos: list[str] = field(default_factory=list)
    stages: int = 0
    skipped: list[str] = field(default_factory=list)  # folders without a readable source.json


def set_aside(root: Path) -> Path | None:
    """Move a damaged catalog out of the way (kept, not deleted); None when there was none."""
    path = root / "catalog.sqlite"
    return Catalog.set_aside(path) if path.exists() else None


def rebuild(lib: Library, aside: Path | None = None) -> Rebuilt:
    """Fill `lib`'s (fresh) catalog from its video folders."""
    out = Rebuilt(aside)
    for folder in sorted(p for p in (lib.root / "videos").glob("*/") if p.is_dir()):
        vid = folder.name
        try:
            info = sources.SourceInfo.load(folder / SOURCE)
            doc = artifacts.load(folder / SOURCE, sources.KIND, sources.VERSION)
        except artifacts.ArtifactError as e:
            log.warning("rebuild: %s skipped: %s", vid, e)
            out.skipped.append(vid)
            continue
        lib.catalog.upsert_video(VideoRecord(vid, info.source, info.kind, info.title,
                                             info.duration, info.content_hash))
        key = fetch_key(info.source, info.content_hash)
        out.stages += _done(lib, vid, "fetch", key, _hash(doc.get("config")))
        if (folder / AUDIO).exists():
            out.stages += _done(lib, vid, "audio", audio_key(fetched_key(key, info)),
                                str(AUDIO_VERSION))
        for stage, name, kind, version in (
                ("transcript", TRANSCRIPT, transcript.KIND, transcript.VERSION),
                ("summary", SUMMARY, summarize.KIND, summarize.VERSION)):
            try:
                cfg = artifacts.load(folder / name, kind, version).get("config") or {}
            except artifacts.ArtifactError:
                continue
            if cfg.get("key"):  # the input key the stage ran with
                out.stages += _done(lib, vid, stage, cfg["key"], _hash(cfg))
        out.videos.append(vid)
    return out


def _done(lib: Library, vid: str, stage: str, key: str, cfg_hash: str) -> int:
    lib.catalog.start_stage(vid, stage)
    lib.catalog.finish_stage(vid, stage, key, cfg_hash, 0.0)
    return 1


def _hash(cfg: dict | None) -> str:
    blob = json.dumps({k: v for k, v in (cfg or {}).items() if k != "key"}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
