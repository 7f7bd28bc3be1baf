"""One index, several processes: the web app answers while another process updates the index.

A qdrant-edge shard opens in one process only, so readers open views of a
published generation and a writer publishes a new one (index/generations.py).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from index import generations
from index.chunks import PASSAGE, Chunk
from index.edge_store import EdgeStore
from index.sparse import SparseVector
from tests.conftest import REPO, TEST_MODEL, lectern, shared

DIM = 8


def _points(n: int, video: str, seed: int):
    rng = np.random.default_rng(seed)
    chunks = [Chunk(video, PASSAGE, i, video, float(i), i + 1.0, f"{video} passage {i}") for i in range(n)]
    dense = rng.normal(size=(n, DIM)).astype(np.float32)
    return chunks, dense / np.linalg.norm(dense, axis=1, keepdims=True), [SparseVector((i % 5,), (1.0,)) for i in range(n)]


def _sums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


WRITER = """
import sys
sys.path.insert(0, {repo!r})
from tests.test_index_generations import _points
from index.edge_store import EdgeStore
store = EdgeStore({root!r})
chunks, dense, sparse = _points(300, "v2", 2)
store.upsert("c", chunks, dense, sparse, "k2")
store.commit("c")
print(store.total("c"))
store.close()
"""


def test_a_reader_keeps_reading_while_another_process_publishes_and_then_sees_it(tmp_path):
    root = tmp_path / "edge"
    store = EdgeStore(root)
    store.ensure_collection("c", DIM)
    store.upsert("c", *_points(500, "v1", 1), "k1")
    store.commit("c")
    assert store.total("c") == 500                        # this process reads generation 1
    n, gen1 = generations.newest(root, "c")
    before = _sums(gen1)
    proc = subprocess.run([sys.executable, "-c", WRITER.format(repo=str(REPO), root=str(root))],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]      # not "failed to open WAL"
    assert proc.stdout.split() == ["800"]
    assert generations.newest(root, "c")[0] == n + 1
    assert _sums(gen1) == before                          # reading changed no file it links to
    assert store.total("c") == 800                        # the next query reads generation 2
    hits = store.hybrid("c", _points(1, "q", 9)[1][0], SparseVector((1,), (1.0,)), 5, 20, 60)
    assert len(hits) == 5
    store.close()
    left = sorted(p.name for p in root.iterdir())
    assert left == [".c.writer", f"c@{n}", f"c@{n + 1}"], left   # the two newest; no view left


def test_a_second_writer_is_refused_and_a_dropped_write_leaves_the_index_as_it_was(tmp_path):
    root = tmp_path / "edge"
    a = EdgeStore(root)
    a.ensure_collection("c", DIM)
    a.upsert("c", *_points(50, "v1", 1), "k1")            # a's write is open, not published
    proc = subprocess.run([sys.executable, "-c", WRITER.format(repo=str(REPO), root=str(root))],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "is updating the index c" in proc.stderr
    a.rollback("c")
    assert a.total("c") == 0 and not list(root.glob(".*building"))


def test_students_are_answered_while_lectern_ingest_indexes_beside_the_server(tmp_path):
    """`lectern serve` holds the index open; `lectern ingest` of a new lecture in another process
    still indexes it, questions asked meanwhile are answered, and afterwards the server finds
    the new lecture without a restart."""
    from gradio_client import Client

    sys.path.insert(0, str(Path(__file__).parent))
    from test_ui_browser import Server

    home = tmp_path / "library"
    shutil.copyfile(shared("audio/wer/jfk.flac"), tmp_path / "kennedy.flac")
    lectern("ingest", str(tmp_path / "kennedy.flac"), "--model", TEST_MODEL, "--no-summary",
            home=home, check=True)
    server = Server(home, tmp_path / "serve.log", videos=1)
    try:
        server.wait()
        client = Client(server.url + "/", verbose=False)

        def ask(q: str) -> str:
            _, history, _ = client.predict(q, [], False, api_name="/ask")
            content = history[-1]["content"]
            return " ".join(c.get("text", "") for c in content) if isinstance(content, list) else content

        assert "kennedy" in ask("What should you ask, according to the speech?").lower()
        shutil.copyfile(shared("audio/wer/p002.mp3"), tmp_path / "sonnet.mp3")
        ingest = subprocess.Popen(
            [sys.executable, "-m", "lectern", "ingest", str(tmp_path / "sonnet.mp3"), "--model",
             TEST_MODEL, "--no-summary"], cwd=REPO, env={**__import__("os").environ, "LECTERN_HOME": str(home)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        during = []
        while ingest.poll() is None:
            t0 = time.monotonic()
            during.append((ask("What does the speaker ask his fellow citizens?"), time.monotonic() - t0))
        out, err = ingest.communicate()
        assert ingest.returncode == 0, err[-2000:]
        assert re.search(r"index \S+: 1 embedded", out), out
        assert during and all(len(a) > 20 for a, _ in during), during
        answer = ask("What happens when forty winters besiege thy brow?")
        assert "sonnet" in answer.lower(), answer         # the new lecture, cited by its title
        assert "now reads generation" in (home / "lectern.log").read_text()   # switched, no restart
    finally:
        server.stop()
