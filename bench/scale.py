"""The index at course scale: 30k passages (~400 lectures), 100k, 1M.

    python bench/scale.py [--sizes 30000,100000] [--queries 200] [--baseline]

A synthetic course made from the corpus's real speech: the five lectures'
sentences (../shared/corpus/*.sentences.tsv) are cut into clauses, embedded
once with the real model (all-MiniLM-L6-v2), and recombined into passages of
3-9 consecutive clauses, so passages have the corpus's lengths and
vocabulary. A passage's vector is the normalised mean of its clauses'
vectors plus a little noise (embedding 1M passages would take a day on 2
cores; this keeps the geometry of real sentence embeddings). Keyword vectors
are the real ones (index/sparse.py).

Per size, into a fresh qdrant-edge shard (index/edge_store.py, the default
engine): build time (upserts, HNSW optimisation, publishing the generation), disk, process RAM growth;
hybrid query latency p50/p95 over --queries queries (dense + BM25, RRF, as the
retriever calls it); recall@10 of the HNSW dense search against exact search
on the same data. One line per size, for scripts:

    N=100000 ... build_s=<s> p50_ms=<ms> p95_ms=<ms> recall@10=<r> recall_eps@10=<r> ram_mb=<mb> disk_mb=<mb>

recall@10 counts the exact top 10's ids found; recall_eps@10 counts found neighbours at least
as similar as the exact 10th, less 1e-3 (ann-benchmarks' epsilon recall): recombined clauses
make many near-ties, and which of two equally near passages comes back is no loss.

--baseline also measures qdrant-client's local mode (the engine before) at the
smallest size, for a ratio on the same data in the same run. --ingest first runs
bench/ray_ingest.py: ingest on Ray with 1 and 2 workers against in process
(`--sizes ""` for that alone).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"

from index import sparse
from index.chunks import Chunk
from index.config import DEFAULT_EMBEDDING, IndexConfig
from index.edge_store import HNSW_EF, HNSW_EF_CONSTRUCT, HNSW_M
from index.embed import embedder

EPS = 1e-3             # similarity within which two neighbours count as tied (recall_eps)
NOISE = 0.015          # per-dimension noise on a passage vector (unit vectors of 384 dims)
PER_LECTURE = 75       # passages per synthetic lecture (an hour in 45 s passages)
BATCH = 2048


def clauses() -> list[str]:
    out = []
    for tsv in sorted(CORPUS.glob("*.sentences.tsv")):
        with open(tsv, newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                parts = [p.strip() for p in re.split(r"(?<=[,;:.?!])\s+", row["text"])]
                buf = ""
                for p in parts:   # clauses of at least 6 words
                    buf = f"{buf} {p}".strip()
                    if len(buf.split()) >= 6:
                        out.append(buf)
                        buf = ""
                if buf:
                    out.append(buf)
    return out


class Course:
    """N passages drawn from the clauses; deterministic for a seed."""

    def __init__(self, texts: list[str], vectors: np.ndarray, seed: int = 0):
        self.texts, self.vectors, self.rng = texts, vectors, np.random.default_rng(seed)

    def passages(self, n: int):
        k = len(self.texts)
        for start in range(0, n, BATCH):
            m = min(BATCH, n - start)
            firsts = self.rng.integers(0, k, m)
            lengths = self.rng.integers(3, 10, m)
            chunks, dense, sp = [], np.empty((m, self.vectors.shape[1]), np.float32), []
            for j in range(m):
                idx = (firsts[j] + np.arange(lengths[j])) % k
                text = " ".join(self.texts[i] for i in idx)
                v = self.vectors[idx].mean(axis=0) + self.rng.normal(0, NOISE, self.vectors.shape[1])
                dense[j] = v / np.linalg.norm(v)
                i = start + j
                chunks.append(Chunk(f"S{i // PER_LECTURE:05d}", "passage", i % PER_LECTURE,
                                    "Synthetic lecture", 45.0 * (i % PER_LECTURE),
                                    45.0 * (i % PER_LECTURE + 1), text))
                sp.append(sparse.document_vector(text, 1.2, 0.75, 100.0))
            yield chunks, dense, sp

    def queries(self, n: int, model) -> list[tuple[np.ndarray, sparse.SparseVector]]:
        """Real questions from dev.jsonl (embedded by the model) and clauses as queries."""
        import json
        dev = ROOT.parent / "shared" / "questions" / "dev.jsonl"
        qs = [json.loads(x)["question"] for x in dev.read_text().splitlines() if x.strip()]
        picks = self.rng.integers(0, len(self.texts), max(0, n - len(qs)))
        texts = (qs + [self.texts[i] for i in picks])[:n]
        vecs = model.encode(texts)
        return [(v, sparse.query_vector(t)) for v, t in zip(vecs, texts)]


def _rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def _disk_mb(path: Path) -> float:
    """Bytes on disk once each: a reader's view is hard links to the generation's files."""
    files = {(st.st_dev, st.st_ino): st.st_blocks * 512   # allocated: a new WAL is sparse
             for st in (p.stat() for p in path.rglob("*") if p.is_file())}
    return sum(files.values()) / 2**20


def measure(course: Course, n: int, queries, engine: str, folder: Path, ef: int,
            m: int = HNSW_M, ef_construct: int = HNSW_EF_CONSTRUCT) -> dict:
    from index.edge_store import EdgeStore
    from index.store import Store
    cfg = IndexConfig()
    rss0 = _rss_mb()
    store = (EdgeStore(folder, hnsw_ef=ef, hnsw_m=m, ef_construct=ef_construct) if engine == "edge"
             else Store("", folder))
    store.ensure_collection("scale", course.vectors.shape[1])
    t0 = time.perf_counter()
    for chunks, dense, sp in course.passages(n):
        store.upsert("scale", chunks, dense, sp, "k")
    store.commit("scale")   # qdrant-edge: optimise and publish the generation readers open
    build_s = time.perf_counter() - t0
    times = []
    for dense, sp in queries:
        t = time.perf_counter()
        store.hybrid("scale", dense, sp, 10, cfg.prefetch, cfg.rrf_k, kinds=["passage"])
        times.append(time.perf_counter() - t)
    recall = recall_eps = float("nan")
    if engine == "edge":
        hits, ties = [], []
        for dense, _ in queries:
            approx = store.dense_search("scale", dense, 10)
            exact = store.dense_search("scale", dense, 10, exact=True)
            hits.append(len({i for i, _ in approx} & {i for i, _ in exact}) / 10)
            # ann-benchmarks' recall with a distance epsilon: a neighbour as near as the 10th
            # true one (within EPS) is as good an answer, whichever of the near-ties it is
            tenth = exact[-1][1]
            ties.append(sum(1 for _, score in approx if score >= tenth - EPS) / 10)
        recall, recall_eps = statistics.mean(hits), statistics.mean(ties)
    out = {"N": n, "engine": engine, "build_s": build_s,
           "p50_ms": 1000 * statistics.median(times),
           "p95_ms": 1000 * float(np.percentile(times, 95)), "recall@10": recall,
           "recall_eps": recall_eps,
           "ram_mb": _rss_mb() - rss0, "disk_mb": _disk_mb(folder)}
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="30000,100000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--baseline", action="store_true",
                    help="also qdrant-client's local mode at the smallest size")
    ap.add_argument("--ef", type=int, default=HNSW_EF, help="HNSW search ef (index/edge_store.py)")
    ap.add_argument("--m", type=int, default=HNSW_M, help="HNSW links per node")
    ap.add_argument("--ef-construct", type=int, default=HNSW_EF_CONSTRUCT,
                    help="HNSW candidates while building")
    ap.add_argument("--workdir", type=Path, help="where the shards go (default: a temp dir)")
    ap.add_argument("--ingest", action="store_true",
                    help="also ingest throughput on Ray against in process (bench/ray_ingest.py)")
    args = ap.parse_args()
    if args.ingest:
        import subprocess
        subprocess.run([sys.executable, str(ROOT / "bench/ray_ingest.py")], check=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if not sizes:
        return
    t0 = time.perf_counter()
    texts = clauses()
    model = embedder(DEFAULT_EMBEDDING, "cpu")
    course = Course(texts, model.encode(texts, 64))
    queries = course.queries(args.queries, model)
    print(f"{len(texts)} clauses embedded in {time.perf_counter() - t0:.0f} s; "
          f"{len(queries)} queries; {os.cpu_count()} cores", file=sys.stderr)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="lectern-scale-"))
    runs = [("edge", n) for n in sizes] + ([("qdrant-local", min(sizes))] if args.baseline else [])
    for engine, n in runs:
        folder = work / f"{engine}-{n}"
        shutil.rmtree(folder, ignore_errors=True)
        course.rng = np.random.default_rng(n)   # the same passages for both engines
        r = measure(course, n, queries, engine, folder, args.ef, args.m, args.ef_construct)
        print(f"N={r['N']} engine={engine} m={args.m} ef_construct={args.ef_construct} ef={args.ef} build_s={r['build_s']:.1f} p50_ms={r['p50_ms']:.1f} "
              f"p95_ms={r['p95_ms']:.1f} recall@10={r['recall@10']:.3f} "
              f"recall_eps@10={r['recall_eps']:.3f} ram_mb={r['ram_mb']:.0f} "
              f"disk_mb={r['disk_mb']:.0f}", flush=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
