"""Chunks: what gets indexed, cut from a video's transcript and summary.

Passages are 30-60 s of speech cut on sentence ends: long enough to hold an
answer with its context, short enough that a citation points close to it and
that the embedding model (256 word pieces) sees all of it. Each passage
starts with the last few seconds of the previous one, so an answer spanning a
cut is whole in at least one passage. The summary, each salient point and
each chapter title are entries of their own kinds, for "what is this lecture
about" questions.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.sources import SourceInfo
from ingest.summarize import Summary
from ingest.transcript import Segment, Transcript
from lectern.artifacts import ArtifactError
from lectern import library as files   # artifact file names (SUMMARY there is a file)
from lectern.library import Library

from . import sparse
from .config import IndexConfig

PASSAGE, SUMMARY, POINT, CHAPTER = "passage", "summary", "point", "chapter"
KINDS = (PASSAGE, SUMMARY, POINT, CHAPTER)
CHUNK_VERSION = 3  # bump when the cutting rules change: every video is re-indexed
_NAMESPACE = uuid.UUID("6f1c2a8e-4b7d-4c1e-9a53-0d2f7e9b1c44")
_SENTENCE_END = (".", "?", "!", "…", '"', "'")
_TITLES = {"mr", "mrs", "ms", "dr", "prof", "st", "vs"}   # "Dr. Smith" ends no sentence
MAX_SENTENCE_S = 25.0  # a run-on "sentence" is cut here, so excerpts stay short


@dataclass(frozen=True)
class Sentence:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Chunk:
    video_id: str
    kind: str                 # one of KINDS
    index: int                # position among the video's chunks of this kind
    title: str                # the video's title
    start: float              # seconds into the media
    end: float
    text: str
    sentences: tuple[Sentence, ...] = ()  # passages only: the sentences it is made of

    @property
    def point_id(self) -> str:
        """Deterministic: re-indexing a video overwrites its points instead of adding."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.video_id}/{self.kind}/{self.index}"))


def _ends_sentence(seg: Segment | Sentence) -> bool:
    return seg.text.rstrip().endswith(_SENTENCE_END)


def _split(seg: Segment) -> list[Segment]:
    """A segment cut after each word that ends a sentence before a capitalised word, by its
    words' times. Whisper (or repunctuation) can put three sentences in one segment ("...
    constraint devices. Executive torch follows a build ... compiler. In your desktop ...",
    L02); whole, it filled an excerpt and its best sentence was never scored alone."""
    ws = seg.words
    cuts = [k + 1 for k in range(len(ws) - 1)
            if ws[k].text.rstrip().endswith((".", "?", "!")) and ws[k + 1].text.strip()[:1].isupper()
            and ws[k].text.strip(" .").lower() not in _TITLES]
    if not cuts:
        return [seg]
    return [Segment(part[0].start, part[-1].end, "".join(w.text for w in part).strip(), part)
            for a, b in zip([0, *cuts], [*cuts, len(ws)]) if (part := ws[a:b])]


def sentences(segs: tuple[Segment, ...] | list[Segment]) -> list[Sentence]:
    """Segments joined into sentences. Whisper's segments are often fragments
    ("So you will have access to 120 terabytes of disk space" / "as an NFS mount
    ..."); a passage or an excerpt that starts mid-sentence reads badly to
    people and to the model."""
    out: list[Sentence] = []
    cur: list[Segment] = []
    for seg in (piece for whole in segs for piece in _split(whole)):
        if not seg.text.strip():
            continue
        cur.append(seg)
        if _ends_sentence(seg) or cur[-1].end - cur[0].start >= MAX_SENTENCE_S:
            out.append(Sentence(cur[0].start, cur[-1].end, " ".join(x.text.strip() for x in cur)))
            cur = []
    if cur:
        out.append(Sentence(cur[0].start, cur[-1].end, " ".join(x.text.strip() for x in cur)))
    return out


def _chunk_end(sents: list[Sentence], i: int, min_s: float, max_s: float) -> int:
    """Index of the last sentence of the passage starting at sentence i."""
    last_sentence_end = None
    for j in range(i, len(sents)):
        span = sents[j].end - sents[i].start
        if span > max_s and j > i:
            # too long: cut at the last sentence end that fit, else mid-sentence
            return last_sentence_end if last_sentence_end is not None else j - 1
        if _ends_sentence(sents[j]):
            last_sentence_end = j
            if span >= min_s:
                return j
    return len(sents) - 1


def passage_spans(sents: list[Sentence], min_s: float, max_s: float,
                  overlap_s: float) -> list[tuple[int, int]]:
    """[first, last] sentence index of each passage, overlapping by whole sentences."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(sents):
        end = _chunk_end(sents, i, min_s, max_s)
        spans.append((i, end))
        if end == len(sents) - 1:
            break
        k = end + 1  # step back over whole sentences that fit in the overlap
        while k - 1 > i and sents[end].end - sents[k - 1].start <= overlap_s:
            k -= 1
        i = k
    return spans


def passages(t: Transcript, title: str, min_s: float, max_s: float,
             overlap_s: float) -> list[Chunk]:
    sents = sentences(t.segments)
    out = []
    for n, (a, b) in enumerate(passage_spans(sents, min_s, max_s, overlap_s)):
        part = tuple(sents[a:b + 1])
        out.append(Chunk(t.video_id, PASSAGE, n, title, part[0].start, part[-1].end,
                         " ".join(s.text for s in part), part))
    return out


def summary_entries(s: Summary, title: str, duration: float) -> Iterator[Chunk]:
    """The summary and points cover the whole video; chapters their own span."""
    if s.summary.strip():
        yield Chunk(s.video_id, SUMMARY, 0, title, 0.0, duration, s.summary.strip())
    for n, point in enumerate(p for p in s.points if p.strip()):
        yield Chunk(s.video_id, POINT, n, title, 0.0, duration, point.strip())
    for n, ch in enumerate(c for c in s.chapters if c.title.strip()):
        end = ch.end if ch.end is not None else duration
        yield Chunk(s.video_id, CHAPTER, n, title, min(ch.start, duration), min(end, duration),
                    ch.title.strip())


def content_key(t: Transcript, s: Summary | None, title: str, settings: tuple) -> str:
    """Changes when anything that goes into a video's points changes."""
    h = hashlib.sha256()
    h.update(json.dumps(t.to_payload(), sort_keys=True).encode())
    if s is not None:
        h.update(json.dumps([s.summary, list(s.points),
                             [(c.title, c.start, c.end) for c in s.chapters]]).encode())
    h.update(json.dumps([title, CHUNK_VERSION, *settings], default=str).encode())
    return h.hexdigest()[:24]


def _settings(cfg: IndexConfig) -> tuple:
    return (cfg.chunk_min_s, cfg.chunk_max_s, cfg.overlap_s, cfg.index_summaries,
            sparse.SPARSE_VERSION, cfg.bm25_k1, cfg.bm25_b, cfg.bm25_avgdl)


def video_chunks(lib: Library, video_id: str, cfg: IndexConfig) -> tuple[list[Chunk], str]:
    """A video's chunks (from its saved artifacts) and content key; ArtifactError when it
    has no transcript yet. Here, not in indexer.py, so that terms.py can count a library's
    passages without importing the indexer, which imports terms.py."""
    t = Transcript.load(lib.path(video_id, files.TRANSCRIPT))
    try:
        title = SourceInfo.load(lib.path(video_id, files.SOURCE)).title
    except ArtifactError:
        rec = lib.catalog.video(video_id)
        title = rec.title if rec else video_id
    summary = None
    if cfg.index_summaries and lib.path(video_id, files.SUMMARY).exists():
        summary = Summary.load(lib.path(video_id, files.SUMMARY))
    out = passages(t, title, cfg.chunk_min_s, cfg.chunk_max_s, cfg.overlap_s)
    if summary is not None:
        out += list(summary_entries(summary, title, t.duration))
    return out, content_key(t, summary, title, _settings(cfg))
