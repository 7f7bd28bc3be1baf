"""Query latency: answers (first token, total) and retrieval at 1k/10k/100k chunks.

    python bench/query.py [--library DIR] [--questions dev.jsonl] [--sizes 1000,10000,100000]
                          [--skip-answers] [--skip-retrieval] [--json]

Answers: every question of the questions file is asked once after a warm-up
(the system prefix then sits in llama.cpp's cache, as in a running server);
first-token and total latency p50/p95 over the questions the model answered.
Without --library (or $LECTERN_HOME with an index) the corpus library is
built from the exact sentence transcripts (no ASR) in a temporary folder.

Retrieval: embedded Qdrant collections of N synthetic chunks. Embedding
100k texts would take most of an hour on 2 cores, so dense vectors are
random mixtures of real corpus sentence embeddings (normalised, so they
look like real ones to the index), and keyword vectors come from random
triples of real corpus sentences. Queries are the dev questions, embedded
for real; the time is query embedding + hybrid search + fusion.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from assistant.answer import Assistant
from assistant.evaluate import load_questions
from index import sparse
from index.chunks import PASSAGE, Chunk
from index.config import IndexConfig
from index.embed import embedder
from index.indexer import Index, index_library
from index.search import Retriever
from index.store import Store
from lectern.library import Library

DEV = Path("/work/shared/questions/dev.jsonl")


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def library(arg: str | None) -> Library:
    if arg or os.environ.get("LECTERN_HOME"):
        return Library(Path(arg) if arg else None)
    from test_index_corpus import build_corpus_library
    lib = build_corpus_library(Path(tempfile.mkdtemp(prefix="lectern-bench-")) / "lib")
    print(f"built the corpus library (sentence transcripts) in {lib.root}", file=sys.stderr)
    return lib


def bench_answers(lib: Library, questions_file: Path) -> dict:
    stats = index_library(lib)
    print(f"index: {stats.points} points ({len(stats.embedded)} videos embedded now)", file=sys.stderr)
    a = Assistant.open(lib)
    t0 = time.perf_counter()
    a.warm()
    warm = time.perf_counter() - t0
    first, total, retrieve = [], [], []
    for q in load_questions(questions_file):
        ans = a.ask(q.question)
        retrieve.append(ans.timings.retrieve_s)
        if ans.timings.llm_used:
            first.append(ans.timings.first_token_s)
            total.append(ans.timings.total_s)
        print(f"  {q.id}: first token {ans.timings.first_token_s:.2f} s, total {ans.timings.total_s:.2f} s"
              f"{' (refused before the model)' if not ans.timings.llm_used else ''}", file=sys.stderr)
    return {"warm_up_s": warm, "answered": len(first),
            "first_token_p50": pct(first, 50), "first_token_p95": pct(first, 95),
            "total_p50": pct(total, 50), "total_p95": pct(total, 95),
            "retrieve_p50": pct(retrieve, 50), "retrieve_p95": pct(retrieve, 95)}


def corpus_sentences() -> list[str]:
    from test_index_corpus import CORPUS, sentences_tsv
    return [s.text for p in sorted(CORPUS.glob("*.sentences.tsv")) for s in sentences_tsv(p)]


def synthetic_points(n: int, sents: list[str], base: np.ndarray, cfg: IndexConfig, rng):
    """n chunks: texts from 3 random sentences, vectors mixed from 3 real embeddings."""
    for start in range(0, n, 2000):
        m = min(2000, n - start)
        picks = rng.integers(0, len(sents), size=(m, 3))
        w = rng.random((m, 3, 1)).astype(np.float32)
        dense = (base[picks] * w).sum(axis=1) + rng.normal(0, 0.02, (m, base.shape[1])).astype(np.float32)
        dense /= np.linalg.norm(dense, axis=1, keepdims=True)
        chunks, sp = [], []
        for k in range(m):
            text = " ".join(sents[i] for i in picks[k])
            i = start + k
            chunks.append(Chunk(f"syn{i // 100:05d}", PASSAGE, i % 100, "synthetic", 0.0, 45.0, text))
            sp.append(sparse.document_vector(text, cfg.bm25_k1, cfg.bm25_b, cfg.bm25_avgdl))
        yield chunks, dense, sp


def bench_retrieval(sizes: list[int], questions: list[str], budget_s: float = 60.0) -> list[dict]:
    cfg = IndexConfig()
    emb = embedder(cfg.embedding_model, cfg.device)
    sents = corpus_sentences()
    base = emb.encode(sents, 64)
    rows = []
    for n in sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"lectern-bench-{n}-"))
        store = Store(path=folder)
        name = f"bench_{n}"
        store.ensure_collection(name, emb.dim)
        t0 = time.perf_counter()
        for chunks, dense, sp in synthetic_points(n, sents, base, cfg, np.random.default_rng(n)):
            store.upsert(name, chunks, dense, sp, "bench")
        build = time.perf_counter() - t0
        r = Retriever(Index(cfg, store, emb, name))
        r.search(questions[0], 10)  # first query pays one-off costs
        times: list[float] = []
        store_times: list[float] = []
        t_end = time.perf_counter() + budget_s  # large sizes are slow embedded: cap the time
        for q in (questions * 3)[:30]:
            if len(times) >= 3 and time.perf_counter() > t_end:
                break
            t = time.perf_counter()
            res = r.search(q, 10)
            times.append(time.perf_counter() - t)
            t = time.perf_counter()  # the store alone, without embedding the query
            store.hybrid(name, res.vector, sparse.query_vector(q), 10, cfg.prefetch, cfg.rrf_k,
                         kinds=(PASSAGE,))
            store_times.append(time.perf_counter() - t)
        store.close()
        rows.append({"chunks": n, "build_s": build, "queries": len(times),
                     "p50_ms": 1000 * pct(times, 50), "p95_ms": 1000 * pct(times, 95),
                     "store_p50_ms": 1000 * pct(store_times, 50),
                     "store_p95_ms": 1000 * pct(store_times, 95)})
        print(f"  {n} chunks: built in {build:.0f} s, query p50 {rows[-1]['p50_ms']:.0f} ms, "
              f"p95 {rows[-1]['p95_ms']:.0f} ms", file=sys.stderr)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--library", help="an ingested library (default: $LECTERN_HOME, else the corpus)")
    p.add_argument("--questions", type=Path, default=DEV)
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--skip-answers", action="store_true")
    p.add_argument("--skip-retrieval", action="store_true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    random.seed(0)
    out: dict = {"cpu_count": os.cpu_count()}
    if not args.skip_answers:
        out["answers"] = bench_answers(library(args.library), args.questions)
    if not args.skip_retrieval:
        qs = [q.question for q in load_questions(args.questions)]
        out["retrieval"] = bench_retrieval([int(s) for s in args.sizes.split(",") if s], qs)
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    if "answers" in out:
        a = out["answers"]
        print(f"answers ({a['answered']} by the model): first token p50 {a['first_token_p50']:.2f} s, "
              f"p95 {a['first_token_p95']:.2f} s; total p50 {a['total_p50']:.2f} s, "
              f"p95 {a['total_p95']:.2f} s; retrieval p50 {1000 * a['retrieve_p50']:.0f} ms")
    for r in out.get("retrieval", []):
        print(f"retrieval, embedded Qdrant, {r['chunks']:>6} chunks: p50 {r['p50_ms']:.0f} ms, "
              f"p95 {r['p95_ms']:.0f} ms (Qdrant alone p50 {r['store_p50_ms']:.0f} ms, "
              f"p95 {r['store_p95_ms']:.0f} ms; built in {r['build_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
