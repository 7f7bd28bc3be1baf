"""Hybrid retrieval: dense and BM25 keyword candidates, fused by reciprocal rank.

Dense vectors find paraphrases ("squeezes a model" -> "distillation"); keywords
find rare exact terms the small embedding model blurs (names, numbers,
"TinyGrad"). RRF fuses them by rank, so neither score scale matters. Fused
scores are rank-based and say nothing about absolute relevance, so each hit
also carries its cosine similarity to the query: that is what the assistant's
"not covered" threshold is calibrated on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lectern.library import Library

from . import sparse
from .chunks import PASSAGE, Chunk
from .config import IndexConfig
from .embed import reranker
from .indexer import Index, open_index


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float        # fused RRF score, or the cross-encoder's when reranking
    similarity: float   # cosine similarity of query and chunk (comparable across queries)
    rank: int           # 1-based


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    seconds: float
    vector: np.ndarray  # the query's unit embedding, for scoring sentences inside hits

    @property
    def best_similarity(self) -> float:
        return max((h.similarity for h in self.hits), default=0.0)


class Retriever:
    def __init__(self, index: Index):
        self.index = index
        cfg = index.config
        self._rerank = reranker(cfg.rerank_model, cfg.device) if cfg.rerank_model else None

    @classmethod
    def open(cls, lib: Library, cfg: IndexConfig | None = None) -> Retriever:
        return cls(open_index(lib, cfg))

    def search(self, query: str, k: int = 10, video_ids: Sequence[str] | None = None,
               kinds: Sequence[str] | None = (PASSAGE,)) -> SearchResult:
        t0 = time.perf_counter()
        cfg, idx = self.index.config, self.index
        qvec = idx.embedder.encode([query])[0]
        limit = max(k, cfg.rerank_candidates) if self._rerank else k
        stored = idx.store.hybrid(idx.collection, qvec, sparse.query_vector(query), limit,
                                  max(cfg.prefetch, limit), cfg.rrf_k, video_ids, kinds)
        sims = [float(np.dot(qvec, s.dense)) if s.dense is not None else 0.0 for s in stored]
        scores = [s.score for s in stored]
        if self._rerank and stored:
            scores = self._rerank.scores(query, [s.chunk.text for s in stored])
        order = sorted(range(len(stored)), key=lambda i: -scores[i])[:k]
        hits = tuple(Hit(stored[i].chunk, scores[i], sims[i], r + 1) for r, i in enumerate(order))
        return SearchResult(query, hits, time.perf_counter() - t0, qvec)
