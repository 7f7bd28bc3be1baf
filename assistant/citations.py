"""Citations: excerpts the model may cite, deep links to them, and the marker filter.

The model writes [n] where n numbers an excerpt in its prompt. Small models
also write [7] when there are three excerpts, or "[1, 2]"; so markers are
checked against the excerpts actually given while the answer streams: valid
ones are renumbered in order of first use ([1] is the first source cited),
invalid ones are dropped before the user sees them. A citation can thus only
name a video and second that came out of the index, and the excerpts are
checked against the library (the video exists, the second is inside it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from index import sparse
from ingest.sources import SourceInfo
from lectern.library import Library

MARKER = re.compile(r"\[\s*(\d{1,2}(?:\s*,\s*\d{1,2})*)\s*\]")   # [3] or [1, 2]
_PARTIAL = re.compile(r"\[[\d,\s]{0,12}$")  # could still become a marker: hold it back


@dataclass(frozen=True)
class Span:
    """One sentence of a transcript, with its seconds."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Excerpt:
    """A piece of a passage put in the prompt as [number]."""

    number: int
    video_id: str
    title: str
    start: float
    end: float
    text: str
    spans: tuple[Span, ...] = ()   # its sentences (text is them joined)
    # The sentence that scored best against the question, with the neighbours it was
    # scored with (prompt.SCORED_WORDS): a quote that stands alone, and its score.
    lead: Span | None = None
    score: float = 0.0


@dataclass(frozen=True)
class Citation:
    number: int          # as it appears in the answer
    video_id: str
    title: str
    start: float
    end: float
    url: str
    text: str            # the excerpt cited
    quote: str           # the excerpt's words the answer rests on (what the student checks)
    quote_start: float   # where the quote begins in the video: chips play from there


def youtube_id(url: str) -> str | None:
    u = urlparse(url)
    host = (u.hostname or "").lower()
    if host.endswith("youtu.be"):
        return u.path.strip("/").split("/")[0] or None
    if host.endswith("youtube.com"):
        if u.path == "/watch":
            return (parse_qs(u.query).get("v") or [None])[0]
        parts = u.path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] in ("shorts", "live", "embed"):
            return parts[1]
    return None


def deep_link(info: SourceInfo, folder: Path, seconds: float) -> str:
    t = max(int(seconds), 0)
    if info.kind == "url":
        page = info.url or info.source
        yid = youtube_id(page)
        if yid:
            return f"https://www.youtube.com/watch?v={yid}&t={t}s"
        return f"{page}#t={t}"  # media fragment: honoured by browsers for direct media
    return f"{folder / info.media}#t={t}"


class LinkResolver:
    """Deep links and existence checks against the library, reading each source once."""

    def __init__(self, lib: Library):
        self.lib = lib
        self._info: dict[str, SourceInfo | None] = {}

    def source(self, video_id: str) -> SourceInfo | None:
        if video_id not in self._info:
            path = self.lib.path(video_id, "source.json")
            self._info[video_id] = SourceInfo.load(path) if path.exists() else None
        return self._info[video_id]

    def valid(self, e: Excerpt) -> bool:
        rec = self.lib.catalog.video(e.video_id)
        if rec is None or e.start < 0 or e.end < e.start:
            return False
        info = self.source(e.video_id)
        duration = rec.duration or (info.duration if info else None)
        return duration is None or e.start <= duration + 1.0

    def citation(self, number: int, e: Excerpt, quote: Sequence[Span] = ()) -> Citation:
        info = self.source(e.video_id)
        url = deep_link(info, self.lib.folder(e.video_id), e.start) if info else ""
        spans = sorted(quote, key=lambda s: s.start)
        text = " … ".join(s.text for s in spans) if spans else e.text
        return Citation(number, e.video_id, e.title, e.start, e.end, url, e.text, text,
                        spans[0].start if spans else e.start)


def _support(claim: set[str], text: str, weight: Callable[[str], float]) -> float:
    """Share of the claim's words, weighted by rarity, that the excerpt holds."""
    total = sum(weight(t) for t in claim)
    if total <= 0:
        return 0.0
    held = claim & set(sparse.tokens(text))
    return sum(weight(t) for t in held) / total


# An uncited answer is credited to the excerpt holding most of its (weighted) words, but
# only when that excerpt holds at least this share of them. Below it the overlap is a
# common word or two ("two", "sessions"): the first excerpt, the best sentence of the
# top search hit, is then the better bet than a chance match.
WEAK_SUPPORT = 0.25


class MarkerFilter:
    """Rewrites [n] markers in streamed text; remembers which excerpts were cited.

    A 0.5B model tends to write [1] after whatever it says. So each marker is
    checked against the claim it closes (the text since the previous marker):
    the words the claim adds to the question ("16", "distillation") should be
    in the excerpt; when the cited excerpt holds none of them, the excerpt
    holding the most is cited instead. `weight` says how much a word counts
    (its rarity in the course, index/terms.py); every word counts 1 without it.
    """

    def __init__(self, excerpts: list[Excerpt], question: str = "",
                 weight: Callable[[str], float] | None = None):
        self.by_number = {e.number: e for e in excerpts}
        self.question = set(sparse.tokens(question))
        self.weight = weight or (lambda _token: 1.0)
        self.order: list[int] = []   # excerpt numbers in order of first citation
        self.emitted = ""            # text released so far, markers rewritten
        self._claim_from = 0         # where the claim of the next marker starts in it
        self._buf = ""

    def _scores(self, claim_text: str) -> dict[int, float]:
        claim = set(sparse.tokens(claim_text)) - self.question
        return {n: _support(claim, e.text, self.weight) for n, e in self.by_number.items()}

    def best_support(self, claim_text: str, cited: int | None = None) -> int | None:
        scores = self._scores(claim_text)
        if not scores:
            return cited
        if cited is not None and scores.get(cited, 0.0) > 0:
            # The model's choice holds some of the claim's words: keep it. Counting
            # words to overrule it would favour common ones ("speech", "models") over
            # the one that matters ("TinyGrad"), and cost more citations than it fixed.
            return cited
        best = max(scores, key=lambda n: (scores[n], n == cited))
        return best if scores[best] > 0 or cited is None else cited

    def cite(self, n: int) -> str:
        if n not in self.order:
            self.order.append(n)
        return f"[{self.order.index(n) + 1}]"

    def _rewrite(self, text: str) -> str:
        out, pos = [], 0
        for m in MARKER.finditer(text):
            out.append(text[pos:m.start()])
            claim = (self.emitted + "".join(out))[self._claim_from:]
            marks = [self.cite(self.best_support(claim, n))
                     for n in (int(x) for x in m.group(1).split(",")) if n in self.by_number]
            out.append("".join(dict.fromkeys(marks)))  # invalid numbers are dropped
            pos = m.end()
            self._claim_from = len(self.emitted + "".join(out))
        out.append(text[pos:])
        rewritten = "".join(out)
        self.emitted += rewritten
        return rewritten

    def feed(self, text: str) -> Iterator[str]:
        self._buf += text
        held = _PARTIAL.search(self._buf)
        ready, self._buf = (self._buf[:held.start()], self._buf[held.start():]) if held else (self._buf, "")
        if ready:
            yield self._rewrite(ready)

    def flush(self) -> Iterator[str]:
        rest, self._buf = self._buf, ""
        if rest:
            yield self._rewrite(rest)

    def cite_best(self) -> str:
        """A marker for the excerpt best supporting the whole answer (when it cited none)."""
        scores = self._scores(self.emitted)
        if not scores:
            return ""
        best = max(scores, key=lambda n: (scores[n], -n))
        return self.cite(best if scores[best] >= WEAK_SUPPORT else min(scores))

    def cited(self) -> list[tuple[int, Excerpt]]:
        return [(i + 1, self.by_number[n]) for i, n in enumerate(self.order)]
