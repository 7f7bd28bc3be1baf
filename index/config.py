"""IndexConfig: how transcripts become chunks, vectors and a Qdrant collection.

Read from the "index" section of $LECTERN_HOME/config.json (unknown keys are
errors), with per-call overrides on top.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lectern import artifacts
from lectern import config as cfgmod
from lectern.library import Library

QDRANT_URL_ENV = "QDRANT_URL"
ENGINES = ("edge", "qdrant-local")
DEFAULT_EMBEDDING = "all-MiniLM-L6-v2"
# Written by `lectern finetune` (finetune/registry.py): the promoted embedding
# models, newest last. Read here so the index never depends on finetune/.
PROMOTION_KIND, PROMOTION_VERSION = "embedding-promotions", 1


@dataclass(frozen=True)
class IndexConfig:
    # embeddings: an offline alias ("all-MiniLM-L6-v2"), a model folder, or a hub name.
    # A promoted fine-tuned model is just another folder named here.
    embedding_model: str = DEFAULT_EMBEDDING
    batch_size: int = 32
    device: str = "auto"              # "auto" (CUDA when torch sees a GPU), "cpu" or "cuda"
    # chunking: passages of chunk_min_s..chunk_max_s of speech, cut on sentence ends,
    # each starting with the last overlap_s seconds (whole sentences) of the previous one
    chunk_min_s: float = 30.0
    chunk_max_s: float = 60.0
    overlap_s: float = 8.0
    index_summaries: bool = True      # summary, salient points and chapters as their own entries
    # keyword vectors: BM25 term weights; IDF is applied by Qdrant (modifier=IDF)
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    bm25_avgdl: float = 100.0         # fixed, so adding a video never changes old vectors
    # storage: a Qdrant server when a URL is given ($QDRANT_URL wins over this); else an
    # embedded engine under the data root: "edge" (qdrant-edge, Qdrant's engine in process:
    # HNSW, fast at 100k+ passages; <data root>/edge) or "qdrant-local" (qdrant-client's
    # local mode, which scans every point in Python; <data root>/qdrant). qdrant_path
    # overrides the folder.
    engine: str = "edge"
    qdrant_url: str = ""
    qdrant_path: str = ""
    collection_prefix: str = "lectern"
    # HNSW graph of qdrant-edge: links per node and candidates while building (fixed when a
    # collection is made: delete <data root>/edge to rebuild with new ones), and candidates per
    # search. bench/scale.py, 2 cores: these give recall@10 0.99 at 30k passages and 0.97 at
    # 100k, but 0.77 at 1M; for 1M, m 32, ef_construct 200, ef 512 give 0.96 at p95 43 ms.
    hnsw_m: int = 16
    hnsw_ef_construct: int = 100
    hnsw_ef: int = 256
    # retrieval
    prefetch: int = 40                # candidates from each retriever before RRF
    rrf_k: int = 60
    rerank_model: str = ""            # a cross-encoder folder or name; "" = no rerank
    rerank_candidates: int = 20


def promotion_file(lib: Library) -> Path:
    return lib.root / "models" / "embedding" / "promotions.json"


def promoted_model(lib: Library) -> str | None:
    """The model folder `lectern finetune` promoted last, if any (and not rolled back)."""
    try:
        doc = artifacts.load(promotion_file(lib), PROMOTION_KIND, PROMOTION_VERSION)
    except artifacts.ArtifactError:
        return None
    history = doc.get("history", [])
    return history[-1]["model"] if history else None


def load_config(lib: Library, **overrides: Any) -> IndexConfig:
    data = {**cfgmod.load_file(lib.config_file).get("index", {}), **overrides}
    if "embedding_model" not in data:
        # precedence: an override, then config.json's index.embedding_model, then the
        # promoted fine-tuned model, then the offline default
        data["embedding_model"] = promoted_model(lib) or DEFAULT_EMBEDDING
    cfg = cfgmod.from_dict(IndexConfig, data)
    if not 0 < cfg.chunk_min_s <= cfg.chunk_max_s:
        raise cfgmod.ConfigError("index.chunk_min_s must be > 0 and <= chunk_max_s")
    if not 0 <= cfg.overlap_s < cfg.chunk_min_s:
        raise cfgmod.ConfigError("index.overlap_s must be >= 0 and < chunk_min_s")
    if cfg.engine not in ENGINES:
        raise cfgmod.ConfigError(f"index.engine must be one of {', '.join(ENGINES)}")
    if cfg.device not in ("auto", "cpu", "cuda"):
        raise cfgmod.ConfigError("index.device must be auto, cpu or cuda")
    if cfg.batch_size < 1 or cfg.prefetch < 1:
        raise cfgmod.ConfigError("index.batch_size and index.prefetch must be >= 1")
    if min(cfg.hnsw_m, cfg.hnsw_ef_construct, cfg.hnsw_ef) < 4:
        raise cfgmod.ConfigError("index.hnsw_m, hnsw_ef_construct and hnsw_ef must be >= 4")
    return cfg


def qdrant_url(cfg: IndexConfig) -> str:
    return os.environ.get(QDRANT_URL_ENV) or cfg.qdrant_url
