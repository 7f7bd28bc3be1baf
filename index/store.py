"""The one adapter to qdrant-client: collections of chunks with dense and keyword vectors.

Embedded mode keeps an on-disk store under the data root and needs no
server; QDRANT_URL switches to a server with the same code. Embedded mode
allows one client per folder (it holds a file lock), so a process opens each
store once and shares it (`open_store`).

Each point carries its video id and the video's content key: a video is up
to date when the expected number of points with its current key exist, and
points of older keys are deleted after the new ones are written, so a crash
half-way leaves a video that simply re-indexes next time.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .chunks import Chunk, Sentence
from .sparse import SparseVector

log = logging.getLogger(__name__)

DENSE, SPARSE = "dense", "bm25"
_UPSERT_BATCH = 256


class StoreError(RuntimeError):
    """The vector store cannot be opened, read or written."""


@dataclass(frozen=True)
class StoredHit:
    chunk: Chunk
    score: float               # the fused (RRF) score: rank-based, not comparable across queries
    dense: np.ndarray | None   # the chunk's stored unit vector, for an absolute similarity


def _qdrant():
    from qdrant_client import QdrantClient, models
    return QdrantClient, models


def _payload(c: Chunk, doc_key: str) -> dict:
    return {"video_id": c.video_id, "kind": c.kind, "index": c.index, "title": c.title,
            "start": c.start, "end": c.end, "text": c.text, "doc_key": doc_key,
            "sentences": [[s.start, s.end, s.text] for s in c.sentences]}


def _chunk(p: dict) -> Chunk:
    return Chunk(p["video_id"], p["kind"], int(p["index"]), p.get("title", ""), float(p["start"]),
                 float(p["end"]), p["text"], tuple(Sentence(*s) for s in p.get("sentences", [])))


class Store:
    def __init__(self, url: str = "", path: Path | None = None):
        QdrantClient, self.m = _qdrant()
        self.embedded = not url
        try:
            if url:
                self.client = QdrantClient(url=url, timeout=30)
                self.client.get_collections()  # fail now, with a clear message, if unreachable
            else:
                Path(path).mkdir(parents=True, exist_ok=True)
                self.client = QdrantClient(path=str(path))
        except Exception as e:  # qdrant-client raises many types (RuntimeError, httpx, grpc)
            where = url or str(path)
            raise StoreError(f"cannot open the vector store at {where}: "
                             f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        self.where = url or str(path)

    def ensure_collection(self, name: str, dim: int) -> None:
        if self.client.collection_exists(name):
            return
        m = self.m
        self.client.create_collection(
            name,
            vectors_config={DENSE: m.VectorParams(size=dim, distance=m.Distance.COSINE)},
            sparse_vectors_config={SPARSE: m.SparseVectorParams(modifier=m.Modifier.IDF)},
        )
        if not self.embedded:  # payload indexes only exist on a server
            for field in ("video_id", "kind", "doc_key"):
                self.client.create_payload_index(name, field, m.PayloadSchemaType.KEYWORD)

    def collections(self) -> list[str]:
        return [c.name for c in self.client.get_collections().collections]

    def _match(self, key: str, value) -> object:
        if isinstance(value, (list, tuple, set, frozenset)):
            return self.m.FieldCondition(key=key, match=self.m.MatchAny(any=list(value)))
        return self.m.FieldCondition(key=key, match=self.m.MatchValue(value=value))

    def count(self, collection: str, video_id: str, doc_key: str) -> int:
        f = self.m.Filter(must=[self._match("video_id", video_id), self._match("doc_key", doc_key)])
        return self.client.count(collection, count_filter=f, exact=True).count

    def total(self, collection: str) -> int:
        return self.client.count(collection, exact=True).count

    def upsert(self, collection: str, chunks: Sequence[Chunk], dense: np.ndarray,
               sparse: Sequence[SparseVector], doc_key: str) -> None:
        m = self.m
        points = []
        for c, d, s in zip(chunks, dense, sparse, strict=True):
            vector: dict = {DENSE: d.tolist()}
            if s.indices:  # a text of stopwords only has no keyword vector
                vector[SPARSE] = m.SparseVector(indices=list(s.indices), values=list(s.values))
            points.append(m.PointStruct(id=c.point_id, vector=vector, payload=_payload(c, doc_key)))
        for i in range(0, len(points), _UPSERT_BATCH):
            self.client.upsert(collection, points=points[i:i + _UPSERT_BATCH], wait=True)

    def delete_stale(self, collection: str, video_id: str, keep_key: str) -> None:
        f = self.m.Filter(must=[self._match("video_id", video_id)],
                          must_not=[self._match("doc_key", keep_key)])
        self.client.delete(collection, points_selector=self.m.FilterSelector(filter=f), wait=True)

    def delete_videos(self, collection: str, video_ids: Iterable[str]) -> None:
        ids = sorted(set(video_ids))
        if ids:
            f = self.m.Filter(must=[self._match("video_id", ids)])
            self.client.delete(collection, points_selector=self.m.FilterSelector(filter=f), wait=True)

    def point_keys(self, collection: str) -> list[tuple[str, str, str]]:
        """(point id, video id, content key) of every point: what an index holds."""
        out, offset = [], None
        while True:
            points, offset = self.client.scroll(collection, limit=2048, offset=offset,
                                                with_payload=["video_id", "doc_key"], with_vectors=False)
            out += [(str(p.id), p.payload["video_id"], p.payload["doc_key"]) for p in points]
            if offset is None:
                return out

    def export(self, collection: str):
        """Every point as (id, dense vector, sparse (indices, values) or None, payload)."""
        offset = None
        while True:
            points, offset = self.client.scroll(collection, limit=512, offset=offset,
                                                with_payload=True, with_vectors=True)
            for p in points:
                sp = p.vector.get(SPARSE)
                yield (str(p.id), np.asarray(p.vector[DENSE], dtype=np.float32),
                       (list(sp.indices), list(sp.values)) if sp is not None else None, p.payload)
            if offset is None:
                return

    def video_ids(self, collection: str) -> set[str]:
        found, offset = set(), None
        while True:
            points, offset = self.client.scroll(collection, limit=2048, offset=offset,
                                                with_payload=["video_id"], with_vectors=False)
            found.update(p.payload["video_id"] for p in points)
            if offset is None:
                return found

    def _filter(self, video_ids: Sequence[str] | None, kinds: Sequence[str] | None):
        must = []
        if video_ids:
            must.append(self._match("video_id", list(video_ids)))
        if kinds:
            must.append(self._match("kind", list(kinds)))
        return self.m.Filter(must=must) if must else None

    def hybrid(self, collection: str, dense: np.ndarray, sparse: SparseVector, limit: int,
               prefetch: int, rrf_k: int, video_ids: Sequence[str] | None = None,
               kinds: Sequence[str] | None = None) -> list[StoredHit]:
        """Dense and keyword candidates fused by reciprocal rank, inside Qdrant."""
        m = self.m
        # Embedded Qdrant checks a filter point by point in Python (seconds at 100k points).
        # Passages are most points, so without a video filter the kinds are over-fetched
        # and filtered after fusion instead; a server has payload indexes and filters itself.
        post = self.embedded and not video_ids and bool(kinds)
        f = self._filter(video_ids, None if post else kinds)
        fetch = limit * 2 + 10 if post else limit
        pre = [m.Prefetch(query=dense.tolist(), using=DENSE, limit=max(prefetch, fetch), filter=f)]
        if sparse.indices:
            pre.append(m.Prefetch(query=m.SparseVector(indices=list(sparse.indices),
                                                       values=list(sparse.values)),
                                  using=SPARSE, limit=max(prefetch, fetch), filter=f))
        res = self.client.query_points(collection, prefetch=pre, query=m.RrfQuery(rrf=m.Rrf(k=rrf_k)),
                                       limit=fetch, with_payload=True, with_vectors=[DENSE])
        out = []
        for p in res.points:
            if post and p.payload.get("kind") not in kinds:
                continue
            vec = p.vector.get(DENSE) if isinstance(p.vector, dict) else None
            out.append(StoredHit(_chunk(p.payload), float(p.score),
                                 np.asarray(vec, dtype=np.float32) if vec is not None else None))
        return out[:limit]

    def commit(self, collection: str) -> None:
        """Writes land at once here: nothing to publish (index/edge_store.py has generations)."""

    def rollback(self, collection: str) -> None:
        """Nor anything to drop."""

    def close(self) -> None:
        self.client.close()


_open: dict[str, Store] = {}
_lock = threading.Lock()


def open_store(url: str = "", path: Path | None = None, engine: str = "qdrant-local",
               hnsw: tuple[int, int, int] | None = None):
    """One store per location and process (an embedded engine locks its folder): a Qdrant
    server at `url`, else qdrant-edge ("edge") or qdrant-client's local mode at `path`.
    `hnsw`: qdrant-edge's (m, ef_construct, ef), from the index config."""
    key = url or f"{engine}:{Path(path).resolve()}"
    with _lock:
        if key not in _open:
            if not url and engine == "edge":
                from .edge_store import EdgeStore
                m, efc, ef = hnsw or (None, None, None)
                _open[key] = EdgeStore(Path(path), **{k: v for k, v in (
                    ("hnsw_m", m), ("ef_construct", efc), ("hnsw_ef", ef)) if v})
            else:
                _open[key] = Store(url, path)
        return _open[key]


def close_store(url: str = "", path: Path | None = None, engine: str = "qdrant-local") -> None:
    key = url or f"{engine}:{Path(path).resolve()}"
    with _lock:
        store = _open.pop(key, None)
    if store is not None:
        store.close()


@atexit.register
def _close_all() -> None:
    # Close embedded stores before interpreter teardown, which otherwise breaks their __del__.
    with _lock:
        stores = list(_open.values())
        _open.clear()
    for store in stores:
        try:
            store.close()
        except Exception:  # closing at exit is best effort
            pass
