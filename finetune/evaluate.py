"""Before/after retrieval evaluation of embedding models, on held-out triplets and on a questions file.

Dense retrieval only, exact (numpy over every passage): the embedder is what
fine-tuning changes, so keyword search and fusion would only blur the
comparison. Metrics with binary relevance:
- recall@k: a relevant passage is among the first k;
- MRR@10: mean of 1/rank of the first relevant passage (0 past 10);
- NDCG@10: DCG of the first 10 over the DCG of a perfect ranking.
Held-out: the query-like anchors of held-out blocks; the one relevant passage
is the anchor's own. Questions: dev.jsonl's format; relevant passages are those
of a gold lecture overlapping a gold window (as in `lectern eval`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.evaluate import load_questions, overlaps
from index.chunks import Chunk
from index.embed import Embedder

from . import anchors as an
from .triplets import HELDOUT, TripletSet

KS = (1, 5, 10)


@dataclass(frozen=True)
class Queries:
    name: str
    texts: tuple[str, ...]
    relevant: tuple[frozenset[int], ...]   # passage indices


@dataclass(frozen=True)
class Metrics:
    n: int
    recall1: float
    recall5: float
    recall10: float
    mrr10: float
    ndcg10: float

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def heldout_queries(ts: TripletSet, passages: Sequence[Chunk], kinds: Sequence[str] = an.EVAL_KINDS,
                    name: str = "held-out") -> Queries:
    where = {(p.video_id, round(p.start, 2)): i for i, p in enumerate(passages)}
    texts, rel, seen = [], [], set()
    for t in ts.split(HELDOUT):
        i = where.get((t.video_id, round(t.start, 2)))
        if t.kind in kinds and i is not None and t.anchor not in seen:
            seen.add(t.anchor)
            texts.append(t.anchor)
            rel.append(frozenset([i]))
    return Queries(name, tuple(texts), tuple(rel))


def question_queries(path: Path, passages: Sequence[Chunk]) -> Queries:
    texts, rel = [], []
    for q in load_questions(path):
        good = frozenset(i for i, p in enumerate(passages) if overlaps(p.video_id, p.start, p.end, q.gold))
        if q.answerable and good:
            texts.append(q.question)
            rel.append(good)
    return Queries(Path(path).name, tuple(texts), tuple(rel))


def metrics(ranked: np.ndarray, relevant: Sequence[frozenset[int]]) -> Metrics:
    """ranked: (queries, >=10) passage indices, best first."""
    n = len(relevant)
    if n == 0:
        return Metrics(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    recall = {k: 0.0 for k in KS}
    mrr = ndcg = 0.0
    for row, rel in zip(ranked, relevant):
        hits = [int(r) in rel for r in row[:10]]
        first = next((i for i, h in enumerate(hits) if h), None)
        for k in KS:
            recall[k] += first is not None and first < k
        mrr += 1 / (first + 1) if first is not None else 0.0
        dcg = sum(1 / math.log2(i + 2) for i, h in enumerate(hits) if h)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(rel), 10)))
        ndcg += dcg / ideal
    return Metrics(n, recall[1] / n, recall[5] / n, recall[10] / n, mrr / n, ndcg / n)


def evaluate(emb: Embedder, passages: Sequence[Chunk], queries: Queries) -> Metrics:
    if not queries.texts:
        return metrics(np.zeros((0, 10), int), [])
    P = emb.encode([p.text for p in passages], 64)
    Q = emb.encode(list(queries.texts), 64)
    ranked = np.argsort(-(Q @ P.T), axis=1, kind="stable")[:, :10]
    return metrics(ranked, queries.relevant)


def table(rows: dict[str, dict[str, Metrics]]) -> str:
    """rows: model label -> {query set name -> Metrics}; a plain-text table."""
    first = next(iter(rows.values()))
    cols = " R@1   R@5   R@10  MRR@10 NDCG@10"
    head1 = f"{'':<36}" + "".join(f" | {f'{name} (n={m.n})':<{len(cols)}}" for name, m in first.items())
    head2 = f"{'model':<36}" + "".join(f" | {cols}" for _ in first)
    lines = [head1, head2]
    for label, by in rows.items():
        lines.append(f"{label[:36]:<36}" + "".join(
            f" | {m.recall1:.3f} {m.recall5:.3f} {m.recall10:.3f} {m.mrr10:.3f}  {m.ndcg10:.3f}  "
            for m in by.values()))
    return "\n".join(lines)
