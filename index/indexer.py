"""Indexing: the library's transcripts and summaries -> chunks -> vectors -> Qdrant.

Incremental and idempotent: a video's points are keyed by a hash of what
went into them (transcript, summary, title, chunking and weighting
settings), so a run embeds only new or changed videos, and running it twice
changes nothing. Videos gone from the library are removed from the index.
Each embedding model has its own collection (named after the model's
version), so switching models never mixes vectors; the old collection stays
until deleted and switching back is free.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lectern.artifacts import ArtifactError
from lectern.library import Library

from . import chunks as ch
from . import sparse, terms
from .config import IndexConfig, load_config, qdrant_url
from .embed import Embedder, embedder
from .store import Store, open_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Index:
    """An opened index: the store, the embedding model and its collection."""

    config: IndexConfig
    store: Store
    embedder: Embedder
    collection: str


@dataclass(frozen=True)
class VideoIndexed:
    video_id: str
    status: str          # "embedded", "unchanged", "removed" or "skipped"
    chunks: int = 0
    seconds: float = 0.0
    reason: str = ""     # why a video was skipped


@dataclass
class IndexStats:
    collection: str = ""
    embedded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    chunks_embedded: int = 0
    points: int = 0
    seconds: float = 0.0


LOCAL_FOLDER, EDGE_FOLDER = "qdrant", "edge"


def store_path(lib: Library, cfg: IndexConfig) -> Path:
    if cfg.qdrant_path:
        return Path(cfg.qdrant_path).expanduser()
    return lib.root / (EDGE_FOLDER if cfg.engine == "edge" else LOCAL_FOLDER)


def open_index(lib: Library, cfg: IndexConfig | None = None) -> Index:
    cfg = cfg or load_config(lib)
    url = qdrant_url(cfg)
    store = open_store(url, store_path(lib, cfg), cfg.engine,
                       (cfg.hnsw_m, cfg.hnsw_ef_construct, cfg.hnsw_ef))
    emb = embedder(cfg.embedding_model, cfg.device)
    collection = f"{cfg.collection_prefix}_{emb.version}"
    store.ensure_collection(collection, emb.dim)
    # an empty shard beside a filled local store: moved over (again, if a first move failed)
    if not url and cfg.engine == "edge" and store.total(collection) == 0:
        _move_from_local(lib, store, collection)
    return Index(cfg, store, emb, collection)


def _move_from_local(lib: Library, edge, collection: str) -> None:
    """A library indexed before qdrant-edge was the default: copy its points (vectors and
    all) from qdrant-client's local store, once, instead of embedding every video again."""
    old = lib.root / LOCAL_FOLDER
    if not (old / "collection" / collection).is_dir():
        return
    from .store import StoreError, close_store
    try:
        local = open_store("", old, "qdrant-local")
    except StoreError as e:   # locked by a running server, say: embed afresh instead
        log.warning("index: cannot read the old local store (%s); embedding again", e)
        return
    try:
        t0 = time.perf_counter()
        n = edge.import_points(collection, local.export(collection))
        edge.commit(collection)
        log.warning("index: moved %d points of %s from qdrant-client's local store to "
                    "qdrant-edge in %.1f s (once; %s can be deleted)", n, collection,
                    time.perf_counter() - t0, old)
    finally:
        close_store("", old)


def embedding_text(c: ch.Chunk) -> str:
    # Short entries say little alone; the lecture's title gives them their topic.
    return c.text if c.kind == ch.PASSAGE else f"{c.title}: {c.text}"


def _embed(idx: Index, video_id: str, chunks: list[ch.Chunk], key: str) -> None:
    cfg = idx.config
    texts = [embedding_text(c) for c in chunks]
    dense = idx.embedder.encode(texts, cfg.batch_size)
    sp = [sparse.document_vector(t, cfg.bm25_k1, cfg.bm25_b, cfg.bm25_avgdl) for t in texts]
    idx.store.upsert(idx.collection, chunks, dense, sp, key)
    idx.store.delete_stale(idx.collection, video_id, key)  # after: a crash keeps the old ones


# A long run publishes what it has every so often: a crash then loses at most this much work,
# and students search the new lectures before the whole course is done (each publish copies
# the shard: ~150 MB at 30k passages).
PUBLISH_EVERY_S = 300.0


def iter_index(lib: Library, idx: Index, force: bool = False,
               tally: terms.Tally | None = None) -> Iterator[VideoIndexed]:
    """Brings the index up to date, one video at a time (counting keywords into `tally`).
    What it writes is published for readers at the end (and every PUBLISH_EVERY_S); a
    failure or interruption drops what was not published yet."""
    try:
        yield from _update(lib, idx, force, tally)
    except BaseException:
        idx.store.rollback(idx.collection)
        raise
    idx.store.commit(idx.collection)   # what was written becomes what every reader sees


def _update(lib: Library, idx: Index, force: bool, tally: terms.Tally | None) -> Iterator[VideoIndexed]:
    known = set()
    published = time.monotonic()
    for v in lib.videos():
        known.add(v.id)
        t0 = time.perf_counter()
        try:
            chunks, key = ch.video_chunks(lib, v.id, idx.config)
        except ArtifactError as e:
            yield VideoIndexed(v.id, "skipped", reason=str(e))
            continue
        if tally is not None:
            tally.add(chunks)
        if not force and idx.store.count(idx.collection, v.id, key) == len(chunks):
            yield VideoIndexed(v.id, "unchanged", len(chunks))
            continue
        _embed(idx, v.id, chunks, key)
        seconds = time.perf_counter() - t0
        log.info("%s: indexed %d chunks in %.1f s", v.id, len(chunks), seconds)
        yield VideoIndexed(v.id, "embedded", len(chunks), seconds)
        if time.monotonic() - published > PUBLISH_EVERY_S:
            idx.store.commit(idx.collection)
            published = time.monotonic()
    gone = idx.store.video_ids(idx.collection) - known
    if gone:
        idx.store.delete_videos(idx.collection, gone)
        for vid in sorted(gone):
            yield VideoIndexed(vid, "removed")


def index_library(lib: Library, cfg: IndexConfig | None = None, force: bool = False) -> IndexStats:
    """Build or update the library's index; what ingest calls when it is done."""
    t0 = time.perf_counter()
    idx = open_index(lib, cfg)
    stats = IndexStats(collection=idx.collection)
    tally = terms.Tally()
    for ev in iter_index(lib, idx, force, tally):
        if ev.status == "skipped":
            stats.skipped[ev.video_id] = ev.reason
        else:
            getattr(stats, ev.status).append(ev.video_id)
        if ev.status == "embedded":
            stats.chunks_embedded += ev.chunks
    stats.points = idx.store.total(idx.collection)
    terms.refresh(lib, bool(stats.embedded or stats.removed), tally)
    stats.seconds = time.perf_counter() - t0
    return stats
