"""Keyword vectors: BM25 term-frequency weights over hashed tokens.

Qdrant multiplies each query term by its IDF (the collection's sparse vector
is configured with modifier=IDF), so documents only carry BM25's saturated
term frequency and queries carry 1 per distinct term; the dot product is then
BM25. Token ids are a stable hash (CRC32), so no vocabulary has to be stored
or kept in sync between indexing and querying. The average document length
is a fixed setting rather than measured: passages are length-bounded, and a
measured value would change every stored vector whenever a video is added.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass

SPARSE_VERSION = 1  # bump when tokenising or weighting changes

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
# Function words carry no topic; dropping them keeps vectors short and scores clean.
STOPWORDS = frozenset(["a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "let", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "okay", "yeah", "um", "uh", "like", "kind", "sort", "really", "actually", "basically", "know", "think", "mean", "going", "get", "got", "thing", "things", "lot", "isn", "aren", "wasn", "weren", "don", "doesn", "didn", "won", "couldn", "shouldn", "wouldn", "haven", "hasn", "hadn"])


@dataclass(frozen=True)
class SparseVector:
    indices: tuple[int, ...]
    values: tuple[float, ...]


def _stem(token: str) -> str:
    """A deliberately tiny stemmer: plurals and a few suffixes, so "GPUs" finds "GPU"."""
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("s", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: len(token) - len(suffix)] + repl
    return token


def tokens(text: str) -> list[str]:
    out = []
    for tok in _TOKEN.findall(text.lower().replace("’", "'")):
        tok = tok.split("'")[0]  # "model's" -> "model"
        if tok and tok not in STOPWORDS and (len(tok) > 1 or tok.isdigit()):
            out.append(_stem(tok))
    return out


def token_id(token: str) -> int:
    return zlib.crc32(token.encode())


def _vector(weights: dict[int, float]) -> SparseVector:
    items = sorted(weights.items())
    return SparseVector(tuple(i for i, _ in items), tuple(float(w) for _, w in items))


def document_vector(text: str, k1: float, b: float, avgdl: float) -> SparseVector:
    toks = tokens(text)
    norm = k1 * (1 - b + b * len(toks) / avgdl)
    weights: dict[int, float] = {}
    for tok, tf in Counter(toks).items():
        tid = token_id(tok)  # a hash collision merges two terms: add, do not overwrite
        weights[tid] = weights.get(tid, 0.0) + tf * (k1 + 1) / (tf + norm)
    return _vector(weights)


def query_vector(text: str) -> SparseVector:
    return _vector({token_id(t): 1.0 for t in set(tokens(text))})
