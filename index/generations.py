"""Shard generations: how several processes share one qdrant-edge index.

A qdrant-edge shard can be open in one process only (it locks its write-ahead
log), yet the web app must keep answering while `lectern ingest`, `index` or
`finetune` update the index. So a published shard is never written again:

  <root>/<name>@<n>/                 generation n, complete and read-only
  <root>/.<name>@<n+1>.building/     a writer's copy of generation n, being updated
  <root>/.<name>@<n>.view-<pid>-<k>/ a reader's view of generation n

A writer (one at a time: `.<name>.writer` is flock-ed) copies the newest
generation, updates the copy, optimises it and renames it into place:
publishing is one rename. A reader opens a view of the newest generation, made
of hard links to its files (no data copied; reading modifies no file, or
replaces it whole, which leaves the original: tests/test_index_generations.py
checks it) and an empty write-ahead log of its own, the part the engine locks.
Before each query a reader looks for a newer generation and switches to it. Generations older than the previous one
are deleted when a new one is published; views left by dead processes are
deleted by whoever finds them. A killed writer leaves only a hidden folder,
removed by the next writer. `<root>/<name>/` (before generations) counts as
generation 0.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import os
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

_GEN = re.compile(r"^(?P<name>[^.@][^@]*?)(?:@(?P<n>\d+))?$")
_VIEW = re.compile(r"^\.(?P<name>.+)@(?P<n>\d+)\.view-(?P<pid>\d+)-\d+$")
_views = itertools.count()


class WriterBusy(RuntimeError):
    """Another process is updating this index."""


def published(root: Path) -> dict[str, tuple[int, Path]]:
    """Each collection's newest published generation: name -> (n, folder)."""
    out: dict[str, tuple[int, Path]] = {}
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return out
    for e in entries:
        m = _GEN.match(e.name)
        if m and e.is_dir():
            n = int(m["n"] or 0)
            if n >= out.get(m["name"], (-1, None))[0]:
                out[m["name"]] = (n, Path(e.path))
    return out


def newest(root: Path, name: str) -> tuple[int, Path] | None:
    return published(root).get(name)


def first(root: Path, name: str) -> Path:
    return root / f"{name}@1"


def make_view(root: Path, name: str, n: int, folder: Path) -> Path:
    """A private, openable view of a published generation: hard links to its segments, and
    no write-ahead log: the engine starts an empty one, and the flushed segments hold every
    point. Only a reader may go without the log: its operation numbers are what later writes
    are numbered after, and an update numbered below a point's version is ignored (tried: a
    writer without it kept the points it deleted)."""
    view = root / f".{name}@{n}.view-{os.getpid()}-{next(_views)}"
    shutil.rmtree(view, ignore_errors=True)
    try:
        shutil.copytree(folder, view, copy_function=os.link, ignore=shutil.ignore_patterns("wal"))
    except OSError:   # a file system without hard links: a full copy is slower, still right
        shutil.rmtree(view, ignore_errors=True)
        shutil.copytree(folder, view, ignore=shutil.ignore_patterns("wal"))
    return view


class Writer:
    """Holds a collection's writer lock and its building folder until publish() or abort()."""

    def __init__(self, root: Path, name: str):
        self.root, self.name = root, name
        self._lock = open(root / f".{name}.writer", "a+")  # noqa: SIM115 - held until released
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.seek(0)
            pid = self._lock.read().strip() or "?"
            self._lock.close()
            raise WriterBusy(f"another process (pid {pid}) is updating the index {name} in {root}") \
                from None
        self._lock.truncate(0)
        self._lock.write(str(os.getpid()))
        self._lock.flush()
        for stale in root.glob(f".{name}@*.building"):  # a killed writer's; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        current = newest(root, name)
        self.n = (current[0] if current else 0) + 1
        self.folder = root / f".{name}@{self.n}.building"
        if current:   # a real copy, log included, as the writer changes files
            shutil.copytree(current[1], self.folder)

    def publish(self) -> Path:
        """Call with the shard flushed and closed."""
        final = self.root / f"{self.name}@{self.n}"
        self.folder.rename(final)
        log.info("index: published generation %d of %s", self.n, self.name)
        self._release()
        prune(self.root, self.name, keep_from=self.n - 1)
        return final

    def abort(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        if not self._lock.closed:
            self._lock.truncate(0)
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()


def prune(root: Path, name: str, keep_from: int) -> None:
    """Delete generations older than `keep_from` and views whose process is gone. A reader
    still holding an older view keeps reading it: unlinked files live while open."""
    for p in root.iterdir():
        m = _GEN.match(p.name)
        if m and m["name"] == name and int(m["n"] or 0) < keep_from and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        v = _VIEW.match(p.name)
        if v and v["name"] == name and not _alive(int(v["pid"])):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
