"""CLI commands: thin wrappers that configure, draw progress and print results."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from ..library import Library

log = logging.getLogger("lectern")


class RichProgress:
    """Progress bars per video and stage, drawn by rich on stderr."""

    def __init__(self, progress):
        self.bars = progress
        self.tasks: dict[tuple[str, str], int] = {}

    def stage(self, video_id: str, stage: str, total: float | None):
        key = (video_id, stage)
        if key not in self.tasks:
            self.tasks[key] = self.bars.add_task(f"{video_id} {stage}", total=total)
        task = self.tasks[key]
        return lambda done: self.bars.update(task, completed=done)

    def done(self, video_id: str, stage: str) -> None:
        for key in [k for k in self.tasks if k[0] == video_id]:
            self.bars.remove_task(self.tasks.pop(key))

    def counts(self, label: str, done: int, total: int) -> None:
        key = ("", label)  # one bar per kind of work for the whole cluster run
        if key not in self.tasks:
            self.tasks[key] = self.bars.add_task(label, total=total)
        self.bars.update(self.tasks[key], completed=done, total=total,
                         description=f"{label:<11} {done}/{total}")


def _overrides(args: argparse.Namespace) -> dict:
    t = {k: v for k, v in (("model", args.model), ("device", args.device),
                           ("batch_size", args.batch_size), ("language", args.language)) if v}
    i = {"captions": args.captions} if args.captions else {}
    if args.no_summary:
        i["summaries"] = False
    s = {"llm": args.llm} if args.llm else {}
    return {"transcribe": t, "ingest": i, "summarize": s}


def ingest(lib: Library, args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.pipeline import Ingestor, Settings

    settings = Settings.from_file(lib.config_file, **_overrides(args))
    log.info("ingest %s with %s", args.sources, settings)
    results = []
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn())
    with lib.writing(), Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bars, \
            _executor(lib, settings, args, RichProgress(bars)) as executor:
        ingestor = Ingestor(lib, settings, tuple(args.force), RichProgress(bars))
        for r in ingestor.run(args.sources, executor):
            results.append(r)
            where = f"{r.video_id} ({r.source})" if r.video_id else r.source
            if r.ok:
                did = f"ran {', '.join(r.ran)}" if r.ran else "already done"
                print(f"ok      {where}: {did}")
            else:
                print(f"FAILED  {where}: {r.error}")
            sys.stdout.flush()
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} ingested, {len(failed)} failed; library: {lib.root}")
    if not args.no_index and len(failed) < len(results):
        _index(lib)
    return 1 if failed else 0


def _executor(lib: Library, settings, args: argparse.Namespace, progress):
    """None (in this process), or a Ray executor: --ray wins over the config, --local over both."""
    from contextlib import nullcontext

    s = settings.ingest
    if args.local or (args.ray is None and s.executor != "ray"):
        return nullcontext()
    from ingest.cluster import RayConfig, RayExecutor

    address = s.ray_address if args.ray is None else args.ray
    print(f"ingesting on Ray ({address or 'a local cluster'})", file=sys.stderr, flush=True)
    return RayExecutor(RayConfig.from_file(lib.config_file), address, progress, settings.uses_llm)


def _index(lib: Library) -> None:
    """Bring the search index up to date: only new or changed videos are embedded."""
    from index.indexer import index_library

    stats = index_library(lib)
    print(f"index {stats.collection}: {len(stats.embedded)} embedded ({stats.chunks_embedded} "
          f"chunks), {len(stats.unchanged)} unchanged, {len(stats.removed)} removed; "
          f"{stats.points} points in {stats.seconds:.1f} s")


def status(lib: Library, as_json: bool) -> int:
    from ingest.pipeline import STAGES

    rows = []
    live = lib.busy()  # "running" with nobody running it means an interrupted run
    for v in lib.videos():
        stages = {s.stage: s for s in lib.catalog.stages(v.id)}
        rows.append({
            "id": v.id, "title": v.title, "source": v.source, "duration": v.duration,
            "stages": {name: {"status": _shown(stages[name].status, live), "error": stages[name].error,
                              "seconds": stages[name].seconds, "config_hash": stages[name].config_hash}
                       for name in STAGES if name in stages},
        })
    failures = [{"source": s, "error": e, "at": at} for s, e, at in lib.catalog.failures()]
    if as_json:
        print(json.dumps({"library": str(lib.root), "videos": rows, "failures": failures}, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Library {lib.root}")
    for col in ("id", "title", "length", *STAGES, "error"):
        table.add_column(col)
    for r in rows:
        errors = [f"{n}: {s['error']}" for n, s in r["stages"].items() if s["error"]]
        length = f"{r['duration'] / 60:.1f} min" if r["duration"] else ""
        table.add_row(r["id"], r["title"][:40], length,
                      *[r["stages"].get(n, {}).get("status", "-") for n in STAGES],
                      "; ".join(errors))
    # piped or redirected: whole values, not a table cut at 80 columns ("interru…")
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 1000)
    if not sys.stdout.isatty():
        table.box = None
    console.print(table)
    for f in failures:
        console.print(f"failed source {f['source']}: {f['error']}")
    return 0


def _shown(status: str, live: bool) -> str:
    return "interrupted" if status == "running" and not live else status
