"""Course-wide keyword statistics: in how many passages each keyword occurs.

The assistant checks a citation by the words a claim shares with the excerpt
it cites (assistant/citations.py). Words are not equal evidence: in a course
on speech AI "speech" is in every other passage and "TinyGrad" in one, so a
claim about TinyGrad belongs with the excerpt that names it, not with the one
that says "speech recognition" twice. Inverse document frequency over the
whole course says which words are rare. Qdrant computes its own IDF for the
keyword vectors but cannot hand it back, so the counts are kept here, in one
small artifact beside the index, and recounted whenever indexing changed
what is indexed, in the same pass that chunks every video to see what changed.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lectern import artifacts
from lectern.library import Library

from . import sparse
from .chunks import PASSAGE, video_chunks
from .config import IndexConfig

log = logging.getLogger(__name__)

KIND, VERSION = "term-stats", 1
FILE = "terms.json"


@dataclass(frozen=True)
class TermStats:
    passages: int = 0
    df: dict[str, int] = field(default_factory=dict)   # stemmed keyword -> passages holding it

    def has(self, word: str) -> bool:
        """Whether some passage of the course holds the word (True when nothing is counted)."""
        toks = sparse.tokens(word)
        return self.passages == 0 or not toks or any(t in self.df for t in toks)

    def has_word(self, word: str) -> bool:
        """Whether the course holds this one word (a stopword or nothing counted: False)."""
        toks = sparse.tokens(word)
        return len(toks) == 1 and toks[0] in self.df

    def has_prefix(self, prefix: str) -> bool:
        """Whether some word of the course begins with `prefix` (lower case)."""
        return any(t.startswith(prefix) for t in self.df)

    def idf(self, token: str) -> float:
        """Smoothed IDF; 1.0 for every word when nothing is counted (all words equal)."""
        if self.passages == 0:
            return 1.0
        return math.log(1 + self.passages / (self.df.get(token, 0) + 1))


def path(lib: Library) -> Path:
    return lib.root / "index" / FILE


class Tally:
    """Counts passages' keywords as indexing walks the library (it chunks every video anyway)."""

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.passages = 0

    def add(self, chunks) -> None:
        for c in chunks:
            if c.kind == PASSAGE:
                self.passages += 1
                self.df.update(set(sparse.tokens(c.text)))

    def stats(self) -> TermStats:
        return TermStats(self.passages, dict(self.df))


def count(lib: Library, cfg: IndexConfig) -> TermStats:
    """Count every indexed video's passages (videos without a transcript are skipped)."""
    tally = Tally()
    for v in lib.videos():
        try:
            chunks, _ = video_chunks(lib, v.id, cfg)
        except artifacts.ArtifactError:
            continue
        tally.add(chunks)
    return tally.stats()


def save(lib: Library, stats: TermStats) -> None:
    artifacts.save(path(lib), KIND, VERSION, {"sparse_version": sparse.SPARSE_VERSION,
                                              "passages": stats.passages, "df": stats.df})


def load(lib: Library) -> TermStats:
    """The saved counts; empty (every word weighs the same) when missing or outdated."""
    try:
        doc = artifacts.load(path(lib), KIND, VERSION)
    except artifacts.ArtifactError as e:
        log.info("no keyword statistics (%s): citations weigh every word the same", e)
        return TermStats()
    if doc.get("sparse_version") != sparse.SPARSE_VERSION:
        return TermStats()
    return TermStats(int(doc["passages"]), {str(k): int(v) for k, v in doc["df"].items()})


def refresh(lib: Library, changed: bool, tally: Tally) -> TermStats:
    """Save the new counts when indexing changed something, or when the saved ones are
    missing or outdated.

    `tally`: the counts of the indexing pass, which chunks every video anyway;
    counting them in a pass of their own (`count`) costs ~0.2 s per lecture hour,
    90 s for a 400-lecture course, after every lecture added.
    """
    if not changed:
        current = load(lib)
        if current.passages:
            return current
    stats = tally.stats()
    save(lib, stats)
    log.info("keyword statistics: %d passages, %d distinct keywords", stats.passages, len(stats.df))
    return stats
