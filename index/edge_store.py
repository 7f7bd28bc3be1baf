"""The one adapter to qdrant-edge: Qdrant's own engine in process, one shard per collection.

qdrant-client's local mode (index/store.py without a URL) scans every point in
Python: ~1 s per hybrid query at 100k passages. qdrant-edge runs Qdrant's Rust
engine in this process: HNSW for the dense vectors, an inverted index with the
IDF modifier for the keyword vectors, prefetch + RRF fusion and payload
filters inside the engine, segments on disk behind a write-ahead log.

Same schema, point ids and payloads as index/store.py, so the two hold the
same index and a library moves to a Qdrant server (QDRANT_URL) by config.
Only one process may open a shard, so readers open views of published
generations and a writer publishes a new one (index/generations.py);
`open_store` shares one store per process.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from . import generations
from .chunks import Chunk
from .sparse import SparseVector
from .store import DENSE, SPARSE, StoredHit, StoreError, _chunk, _payload

log = logging.getLogger(__name__)

_UPSERT_BATCH = 512
_SCROLL = 2048
# HNSW graph: m links per node, ef_construct candidates while building. Qdrant's defaults
# (16, 100); the search-time ef below sets the recall (bench/scale.py measures it).
HNSW_M, HNSW_EF_CONSTRUCT, FULL_SCAN_THRESHOLD_KB = 16, 100, 10_000
# Candidates the HNSW search keeps (ef): more is slower and finds more of the true nearest.
# bench/scale.py, 100k passages, 2 cores: the engine's default gives recall@10 0.913 (p95 2.4 ms),
# ef 128 0.958 (3.0 ms), ef 256 0.970 (3.8 ms).
HNSW_EF = 256
KEYWORD_FIELDS = ("video_id", "kind", "doc_key")


def _edge():
    try:
        import qdrant_edge as qe
    except ImportError as e:
        raise StoreError(f"qdrant-edge-py is not installed ({e}); run `make setup`") from None
    return qe


class EdgeStore:
    """Collections as qdrant-edge shards in folders under `path` (one folder each)."""

    embedded = True

    def __init__(self, path: Path, search_threads: int | None = None, hnsw_ef: int = HNSW_EF,
                 hnsw_m: int = HNSW_M, ef_construct: int = HNSW_EF_CONSTRUCT):
        self.qe = _edge()
        self.hnsw_ef, self.hnsw_m, self.ef_construct = hnsw_ef, hnsw_m, ef_construct
        self.root = Path(path)
        self.where = str(self.root)
        self.search_threads = search_threads
        self._readers: dict[str, tuple[int, object, Path]] = {}   # name -> (generation, shard, view)
        self._retired: list[tuple[object, Path]] = []
        self._writers: dict[str, tuple[int, generations.Writer, object]] = {}  # name -> (thread, ..)
        self._lock = threading.Lock()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot open the vector store at {self.root}: {e.strerror}") from None

    # --- shards: readers see the newest published generation, a writer its own copy ------
    def _config(self, dim: int):
        qe = self.qe
        return qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            max_search_threads=self.search_threads,
            hnsw_config=qe.HnswIndexConfig(m=self.hnsw_m, ef_construct=self.ef_construct,
                                           full_scan_threshold=FULL_SCAN_THRESHOLD_KB))

    def _load(self, folder: Path):
        try:
            return self.qe.EdgeShard.load(str(folder))   # its own persisted config
        except Exception as e:  # the engine raises its own error type
            raise StoreError(f"cannot open the index shard {folder}: {e}") from None

    def _shard(self, name: str):
        with self._lock:
            w = self._writers.get(name)
            if w and w[0] == threading.get_ident():   # the writer reads what it wrote
                return w[2]
            for attempt in (1, 2):   # a generation pruned while we made its view: the next one
                current = generations.newest(self.root, name)
                if current is None:
                    raise StoreError(f"no collection {name!r} in {self.root}")
                r = self._readers.get(name)
                if r and r[0] == current[0]:
                    return r[1]
                try:
                    view = generations.make_view(self.root, name, *current)
                    shard = self._load(view)
                    break
                except (OSError, StoreError):
                    if attempt == 2:
                        raise
            if r:
                self._retire(r[1], r[2])
                log.info("index: %s now reads generation %d", name, current[0])
            self._readers[name] = (current[0], shard, view)
            return shard

    def _retire(self, shard, view: Path) -> None:
        """Close the views retired before (no query still runs on them); keep this one open
        until the next switch, for queries that started on it."""
        for old, folder in self._retired:
            old.close()
            shutil.rmtree(folder, ignore_errors=True)
        self._retired = [(shard, view)]

    def _writable(self, name: str):
        with self._lock:
            w = self._writers.get(name)
            if w:
                if w[0] != threading.get_ident():
                    raise StoreError(f"the index {name} is being updated by another job")
                return w[2]
            try:
                writer = generations.Writer(self.root, name)
            except generations.WriterBusy as e:
                raise StoreError(str(e)) from None
            try:
                shard = self._load(writer.folder)
            except StoreError:
                writer.abort()
                raise
            self._writers[name] = (threading.get_ident(), writer, shard)
            return shard

    def commit(self, name: str) -> None:
        """Publish what this thread wrote to `name` as its next generation (nothing to do when
        it wrote nothing). Readers here and in other processes switch at their next query."""
        with self._lock:
            w = self._writers.pop(name, None)
        if w is None:
            return
        _, writer, shard = w
        try:
            shard.flush()
            shard.optimize()   # published generations are final: no reader optimises them later
            shard.flush()
            shard.close()
            writer.publish()
        except Exception as e:
            writer.abort()
            raise StoreError(f"cannot publish the index {name}: {e}") from None

    def rollback(self, name: str) -> None:
        """Drop what this thread wrote to `name` and did not publish."""
        with self._lock:
            w = self._writers.pop(name, None)
        if w is not None:
            w[2].close()
            w[1].abort()

    def ensure_collection(self, name: str, dim: int) -> None:
        if generations.newest(self.root, name):
            return
        # made in a hidden folder and renamed into place: a kill half-way leaves no shard
        # that looks finished (the hidden one is simply made again)
        tmp = self.root / f".{name}.creating-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        shard = self.qe.EdgeShard.create(str(tmp), self._config(dim))
        for field in KEYWORD_FIELDS:  # filters on these use an index, not a scan
            shard.update(self.qe.UpdateOperation.create_field_index(
                field, self.qe.PayloadSchemaType.Keyword))
        shard.flush()
        shard.close()
        try:
            tmp.rename(generations.first(self.root, name))
        except OSError:   # another process made it first
            shutil.rmtree(tmp, ignore_errors=True)

    def collections(self) -> list[str]:
        return sorted(generations.published(self.root))

    # --- reading ---------------------------------------------------------------------
    def _match(self, key: str, value):
        qe = self.qe
        match = qe.MatchAny(any=list(value)) if isinstance(value, (list, tuple, set)) else qe.MatchValue(value)
        return qe.FieldCondition(key=key, match=match)

    def count(self, collection: str, video_id: str, doc_key: str) -> int:
        f = self.qe.Filter(must=[self._match("video_id", video_id), self._match("doc_key", doc_key)])
        return self._shard(collection).count(self.qe.CountRequest(exact=True, filter=f))

    def total(self, collection: str) -> int:
        return self._shard(collection).count(self.qe.CountRequest(exact=True))

    def point_keys(self, collection: str) -> list[tuple[str, str, str]]:
        """(point id, video id, content key) of every point: what an index holds."""
        out, offset = [], None
        shard = self._shard(collection)
        while True:
            points, offset = shard.scroll(self.qe.ScrollRequest(
                offset=offset, limit=_SCROLL, with_payload=["video_id", "doc_key"], with_vector=False))
            out += [(str(p.id), p.payload["video_id"], p.payload["doc_key"]) for p in points]
            if offset is None:
                return out

    def video_ids(self, collection: str) -> set[str]:
        return {v for _, v, _ in self.point_keys(collection)}

    def hybrid(self, collection: str, dense: np.ndarray, sparse: SparseVector, limit: int,
               prefetch: int, rrf_k: int, video_ids: Sequence[str] | None = None,
               kinds: Sequence[str] | None = None, exact: bool = False) -> list[StoredHit]:
        """Dense and keyword candidates fused by reciprocal rank, inside the engine
        (`exact`: brute-force dense search, what bench/scale.py measures recall against)."""
        qe = self.qe
        must = ([self._match("video_id", list(video_ids))] if video_ids else []) + (
            [self._match("kind", list(kinds))] if kinds else [])
        f = qe.Filter(must=must) if must else None
        params = qe.SearchParams(exact=exact, hnsw_ef=None if exact else self.hnsw_ef)
        pre = [qe.Prefetch(limit=max(prefetch, limit), filter=f, params=params,
                           query=qe.Query.Nearest(dense.astype(np.float32).tolist(), using=DENSE))]
        if sparse.indices:
            pre.append(qe.Prefetch(limit=max(prefetch, limit), filter=f, query=qe.Query.Nearest(
                qe.SparseVector(list(sparse.indices), list(sparse.values)), using=SPARSE)))
        res = self._shard(collection).query(qe.QueryRequest(
            limit=limit, prefetches=pre, query=qe.Fusion.Rrf(k=rrf_k), with_payload=True,
            with_vector=[DENSE]))
        out = []
        for p in res:
            vec = p.vector.get(DENSE) if isinstance(p.vector, dict) else None
            out.append(StoredHit(_chunk(p.payload), float(p.score),
                                 np.asarray(vec, dtype=np.float32) if vec is not None else None))
        return out

    def dense_search(self, collection: str, dense: np.ndarray, limit: int,
                     exact: bool = False) -> list[tuple[str, float]]:
        """(point id, cosine similarity) of the dense nearest neighbours alone (HNSW, or exact)."""
        qe = self.qe
        res = self._shard(collection).query(qe.QueryRequest(
            limit=limit, query=qe.Query.Nearest(dense.astype(np.float32).tolist(), using=DENSE),
            params=qe.SearchParams(exact=exact, hnsw_ef=None if exact else self.hnsw_ef),
            with_payload=False))
        return [(str(p.id), float(p.score)) for p in res]

    # --- writing ---------------------------------------------------------------------
    def upsert(self, collection: str, chunks: Sequence[Chunk], dense: np.ndarray,
               sparse: Sequence[SparseVector], doc_key: str) -> None:
        qe = self.qe
        points = []
        for c, d, s in zip(chunks, dense, sparse, strict=True):
            vector: dict = {DENSE: np.asarray(d, dtype=np.float32).tolist()}
            if s.indices:  # a text of stopwords only has no keyword vector
                vector[SPARSE] = qe.SparseVector(list(s.indices), list(s.values))
            points.append(qe.Point(c.point_id, vector, _payload(c, doc_key)))
        shard = self._writable(collection)
        for i in range(0, len(points), _UPSERT_BATCH):
            shard.update(qe.UpdateOperation.upsert_points(points[i:i + _UPSERT_BATCH]))
        shard.flush()

    def import_points(self, collection: str, points) -> int:
        """Points exported by another store (Store.export): a library's index moved over
        without embedding anything again. Returns how many."""
        qe, shard, n, batch = self.qe, self._writable(collection), 0, []
        for pid, dense, sp, payload in points:
            vector: dict = {DENSE: dense.tolist()}
            if sp is not None and sp[0]:
                vector[SPARSE] = qe.SparseVector(*sp)
            batch.append(qe.Point(pid, vector, payload))
            if len(batch) == _UPSERT_BATCH:
                shard.update(qe.UpdateOperation.upsert_points(batch))
                n, batch = n + len(batch), []
        if batch:
            shard.update(qe.UpdateOperation.upsert_points(batch))
            n += len(batch)
        shard.flush()
        return n

    def delete_stale(self, collection: str, video_id: str, keep_key: str) -> None:
        qe = self.qe
        f = qe.Filter(must=[self._match("video_id", video_id)],
                      must_not=[self._match("doc_key", keep_key)])
        shard = self._writable(collection)
        shard.update(qe.UpdateOperation.delete_points_by_filter(f))
        shard.flush()

    def delete_videos(self, collection: str, video_ids: Iterable[str]) -> None:
        ids = sorted(set(video_ids))
        if ids:
            shard = self._writable(collection)
            shard.update(self.qe.UpdateOperation.delete_points_by_filter(
                self.qe.Filter(must=[self._match("video_id", ids)])))
            shard.flush()

    def close(self) -> None:
        """Close every view (and delete it) and drop unpublished writes."""
        with self._lock:
            for shard, view in self._retired + [(s, v) for _, s, v in self._readers.values()]:
                shard.close()
                shutil.rmtree(view, ignore_errors=True)
            self._retired, self._readers = [], {}
            for _, writer, shard in self._writers.values():
                shard.close()
                writer.abort()
            self._writers.clear()
