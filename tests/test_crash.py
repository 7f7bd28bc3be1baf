"""Killed at a random moment, then run again: the library is what a clean run makes.

`kill -9` gives a process no chance to clean up, so what survives is only what
was already atomic: artifacts renamed into place, catalog rows in committed
transactions, index points upserted with their content key. Each trial kills
`lectern ingest` (or `lectern index`) at a random point of a clean run's
duration, runs it again to the end, and compares with the clean run: the same
catalog (videos, stages done, input keys), the same transcripts word for
word, the same index points, and no temporary file left anywhere.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, TEST_MODEL, lectern, shared

FAST = ("--model", TEST_MODEL, "--no-summary", "--no-index")
TRIALS = 4          # ingest kills (the index adds two); seeded, so a failure replays
SEED = 20261201


def _clips(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copyfile(shared("audio/wer/jfk.flac"), folder / "a_jfk.flac")
    shutil.copyfile(shared("audio/wer/p002.mp3"), folder / "b_p002.mp3")
    return folder


def _state(home: Path) -> dict:
    """Everything a run leaves that must not depend on whether it was interrupted."""
    db = sqlite3.connect(home / "catalog.sqlite")
    try:
        videos = sorted(db.execute("SELECT id, source, kind, duration, content_hash FROM videos"))
        stages = sorted(db.execute("SELECT video_id, stage, status, input_key FROM stages"))
    finally:
        db.close()
    files = sorted(str(p.relative_to(home)) for p in (home / "videos").rglob("*") if p.is_file())
    texts = {p.parent.name: p.read_text() for p in (home / "videos").glob("*/transcript.md")}
    return {"videos": videos, "stages": stages, "files": files, "transcripts": texts}


def _points(home: Path) -> list[tuple]:
    from index.config import load_config
    from index.indexer import store_path
    from index.store import close_store, open_store
    from lectern.library import Library
    cfg = load_config(Library(home))
    path = store_path(Library(home), cfg)
    store = open_store("", path, cfg.engine)
    try:
        return sorted((name, *key) for name in store.collections() for key in store.point_keys(name))
    finally:
        close_store("", path, cfg.engine)


def _leftovers(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if p.name.endswith((".tmp", ".partial"))]


def _kill_after(args: list[str], home: Path, seconds: float) -> bool:
    """Run `lectern ARGS` and SIGKILL it after `seconds`; True if it was still running."""
    env = {**os.environ, "LECTERN_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "lectern", *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(seconds)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The clean runs: ingest, then index; with how long each took."""
    root = tmp_path_factory.mktemp("crash")
    src = _clips(root / "clips")
    home = root / "clean"
    t0 = time.perf_counter()
    lectern("ingest", str(src), *FAST, home=home, check=True)
    ingest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    lectern("index", home=home, check=True)
    index_s = time.perf_counter() - t0
    return {"src": src, "home": home, "state": _state(home), "points": _points(home),
            "ingest_s": ingest_s, "index_s": index_s}


def test_ingest_killed_at_random_points_ends_as_a_clean_run(clean, tmp_path):
    rng = random.Random(SEED)
    killed = 0
    for trial in range(TRIALS):
        home = tmp_path / f"trial{trial}"
        at = rng.uniform(0.5, clean["ingest_s"])
        killed += _kill_after(["ingest", str(clean["src"]), *FAST], home, at)
        lectern("ingest", str(clean["src"]), *FAST, home=home, check=True)
        assert _state(home) == clean["state"], f"trial {trial}: killed after {at:.1f} s"
        assert not _leftovers(home), _leftovers(home)
    assert killed >= TRIALS // 2   # most trials really were cut short


def test_indexing_killed_at_random_points_ends_as_a_clean_run(clean, tmp_path):
    rng = random.Random(SEED + 1)
    for trial in range(2):
        home = tmp_path / f"trial{trial}"
        shutil.copytree(clean["home"], home, ignore=shutil.ignore_patterns("qdrant", "edge", "index"))
        at = rng.uniform(clean["index_s"] * 0.3, clean["index_s"] * 0.9)
        _kill_after(["index"], home, at)
        lectern("index", home=home, check=True)
        assert _points(home) == clean["points"], f"trial {trial}: killed after {at:.1f} s"
        assert not _leftovers(home), _leftovers(home)
