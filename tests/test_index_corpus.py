"""Retrieval on the 5-lecture corpus, and the helper that builds its library fast.

Ingesting the corpus with speech recognition takes ~20 minutes on 2 cores,
and ASR is not under test here. So `build_corpus_library` writes the
Transcript artifacts straight from /work/shared/corpus/Lxx.sentences.tsv:
one segment per spoken sentence with its exact time, words spread evenly
over it. That stands in for ASR; everything after it (chunking, embeddings,
Qdrant, retrieval, the assistant) is the real thing.
"""

from __future__ import annotations

import csv
import functools
import json
import os
from pathlib import Path

import pytest

from ingest.sources import SourceInfo
from ingest.transcript import Segment, Transcript, Word, paragraphs
from lectern.catalog import VideoRecord
from lectern.library import SOURCE, TRANSCRIPT, Library

SHARED = Path(os.environ.get("LECTERN_SHARED", "/work/shared"))
CORPUS = SHARED / "corpus"
DEV = SHARED / "questions" / "dev.jsonl"


def _segment(start: float, end: float, text: str) -> Segment:
    toks = text.split()
    step = (end - start) / max(len(toks), 1)
    words = tuple(Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), " " + w)
                  for i, w in enumerate(toks))
    return Segment(start, end, text, words)


def sentences_tsv(path: Path) -> list[Segment]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [_segment(float(r["start"]), float(r["end"]), r["text"].strip()) for r in rows]


def add_video(lib: Library, video_id: str, title: str, segments: list[Segment],
              duration: float, media: Path | None = None) -> None:
    """Write source.json and transcript.json for a video, and catalog it, as ingest would."""
    folder = lib.folder(video_id)
    folder.mkdir(parents=True, exist_ok=True)
    media_name = ""
    if media is not None:
        media_name = f"media{media.suffix}"
        link = folder / media_name
        if not link.exists():
            link.symlink_to(media)
    src = str(media or folder / "none")
    SourceInfo(video_id, "file", src, media_name, title, duration).save(lib.path(video_id, SOURCE), {})
    segs = tuple(segments)
    Transcript(video_id, "en", duration, "asr", "sentences.tsv", segs, paragraphs(segs)).save(
        lib.path(video_id, TRANSCRIPT), {"stand_in_for_asr": True})
    lib.catalog.upsert_video(VideoRecord(video_id, src, "file", title, duration))


def corpus_meta() -> list[dict]:
    return json.loads((CORPUS / "corpus.json").read_text())


def build_corpus_library(root: Path, ids: tuple[str, ...] | None = None) -> Library:
    lib = Library(root)
    for lec in corpus_meta():
        if ids is None or lec["id"] in ids:
            add_video(lib, lec["id"], lec["title"], sentences_tsv(CORPUS / f"{lec['id']}.sentences.tsv"),
                      lec["seconds"], CORPUS / lec["file"])
    return lib


def dev_questions() -> list[dict]:
    return [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]


@functools.lru_cache(maxsize=1)
def indexed_corpus(root: str) -> Library:
    """The whole corpus, indexed once per process (shared by test modules)."""
    from index.indexer import index_library
    lib = build_corpus_library(Path(root))
    index_library(lib)
    return lib


needs_corpus = pytest.mark.skipif(not (CORPUS / "corpus.json").exists(), reason="no shared corpus")


@pytest.fixture(scope="session")
def corpus_lib(tmp_path_factory) -> Library:
    return indexed_corpus(str(tmp_path_factory.getbasetemp() / "corpus-lib"))


def gold_rank(hits, gold: list[dict]) -> int | None:
    for h in hits:
        c = h.chunk
        if any(g["lecture"] == c.video_id and c.start < g["end"] and c.end > g["start"] for g in gold):
            return h.rank
    return None


@needs_corpus
def test_dev_retrieval_recall(corpus_lib):
    """Hybrid retrieval finds the gold sentence's passage in the top 5 for >= 90% of dev."""
    from index.search import Retriever
    r = Retriever.open(corpus_lib)
    ranks = {}
    for q in dev_questions():
        res = r.search(q["question"], 10)
        durations = {v.id: v.duration for v in corpus_lib.videos()}
        assert all(0 <= h.chunk.start < h.chunk.end <= durations[h.chunk.video_id] + 1 for h in res.hits)
        if q["answerable"]:
            ranks[q["id"]] = gold_rank(res.hits, q["gold"])
    at5 = sum(1 for r_ in ranks.values() if r_ and r_ <= 5) / len(ranks)
    assert at5 >= 0.9, ranks
