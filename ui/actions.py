"""What the instructor can do, without any web framework: the instructor page calls these.

Uploads are probed (ingest.media.probe) before anything else touches them:
a file that is not audio or video is refused with its name, and never
reaches the library. Accepted uploads are moved into LECTERN_HOME/uploads/
(gradio's temporary files are deleted when it likes), then ingested like
any other file, then the index is brought up to date.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from lectern.library import Library

from .jobs import Job, JobProgress, JobRunner

_URL = re.compile(r"^https?://\S+$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ActionError(ValueError):
    """An instructor action was refused (bad input, nothing to do)."""


@dataclass(frozen=True)
class Row:
    video_id: str
    title: str
    duration: str
    stages: str
    error: str


def status_rows(lib: Library) -> list[Row]:
    from lectern.timefmt import clock
    rows = []
    for v in lib.videos():
        stages = lib.catalog.stages(v.id)
        errors = "; ".join(f"{s.stage}: {s.error}" for s in stages if s.error)
        rows.append(Row(v.id, v.title, clock(v.duration),
                        ", ".join(f"{s.stage} {s.status}" for s in stages) or "-", errors))
    return rows


def check_uploads(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """(media files, refusals): each upload is probed; what is not media is refused."""
    from ingest.media import probe
    ok, refused = [], []
    for p in paths:
        info = probe(p)
        if info is None or not info.has_audio:
            refused.append(f"{Path(p).name}: not an audio or video file (refused)")
        else:
            ok.append(p)
    return ok, refused


def parse_urls(text: str) -> list[str]:
    urls, bad = [], []
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            (urls if _URL.match(line) else bad).append(line)
    if bad:
        raise ActionError(f"not a URL (http or https): {', '.join(bad[:3])}")
    return urls


def keep_uploads(lib: Library, paths: list[Path]) -> list[Path]:
    """Move accepted uploads into the library's uploads/ folder under safe names."""
    folder = lib.root / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for p in paths:
        name = _SAFE.sub("_", Path(p).name).lstrip(".") or "upload"
        dest, n = folder / name, 2
        while dest.exists():
            dest, n = folder / f"{Path(name).stem}-{n}{Path(name).suffix}", n + 1
        shutil.copyfile(p, dest)
        kept.append(dest)
    return kept


def start_ingest(lib: Library, runner: JobRunner, urls_text: str, uploads: list[Path],
                 force: list[str], rerun_all: bool = False) -> tuple[Job, list[str]]:
    """Start ingesting URLs and uploads (or re-running every known video). Returns refusals."""
    urls = parse_urls(urls_text)
    media, refused = check_uploads(uploads)
    if rerun_all:
        sources = [v.source for v in lib.videos()]
    else:
        sources = urls + [str(p) for p in keep_uploads(lib, media)]
    if not sources:
        raise ActionError("nothing to ingest" + (f": {'; '.join(refused)}" if refused else ""))

    def work(job: Job) -> None:
        from ingest.pipeline import Ingestor, Settings
        for r in refused:
            job.say(r)
        settings = Settings.from_file(lib.config_file)
        with lib.writing():
            for r in Ingestor(lib, settings, tuple(force), JobProgress(job)).run(sources):
                did = f"ran {', '.join(r.ran)}" if r.ran else "already done"
                job.say(f"{r.video_id or r.source}: {did}" if r.ok else
                        f"{r.video_id or r.source}: FAILED {r.error}")
        _index(lib, job)

    return runner.start("ingest", work), refused


def _index(lib: Library, job: Job) -> None:
    from index.indexer import index_library
    job.say("indexing")
    s = index_library(lib)
    job.say(f"index: {len(s.embedded)} embedded, {len(s.unchanged)} unchanged, "
            f"{len(s.removed)} removed, {len(s.skipped)} skipped ({s.points} points)")


def start_index(lib: Library, runner: JobRunner) -> Job:
    return runner.start("index", lambda job: _index(lib, job))


def start_finetune(lib: Library, runner: JobRunner) -> Job:
    """Mine triplets, fine-tune, compare, promote if better: `lectern finetune` as a job."""
    import finetune

    def work(job: Job) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            job.progress[stage] = f"{done}/{total}"
        out = finetune.run(lib, progress=progress)
        job.say(f"{len(out.triplets.triplets)} triplets mined")
        if out.trained is not None:
            job.say(f"trained {out.trained.version} in {out.trained.seconds:.0f} s")
            for line in out.table().splitlines():
                job.say(line)
        job.say(out.reason)
    return runner.start("fine-tune", work)
