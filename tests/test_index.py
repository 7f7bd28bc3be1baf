"""The index: chunking, keyword vectors, incremental indexing, collections, filters.

Real sentence-transformers embeddings and a real embedded Qdrant on disk;
transcripts come from the corpus' exact sentence times (see test_index_corpus).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from index import chunks as ch
from index import sparse, terms
from index.config import IndexConfig, load_config
from index.chunks import video_chunks
from index.indexer import index_library, open_index
from index.search import Retriever
from index.store import StoreError, open_store
from ingest.sources import Chapter
from ingest.summarize import Summary
from ingest.transcript import Segment, Transcript
from lectern import models
from lectern.config import ConfigError
from lectern.library import SUMMARY, TRANSCRIPT, Library

sys.path.insert(0, str(Path(__file__).parent))
from test_index_corpus import build_corpus_library, needs_corpus


def _segs(spec: list[tuple[float, str]]) -> list[ch.Sentence]:
    """Consecutive sentences of the given lengths, 0.3 s apart."""
    out, t = [], 0.0
    for length, text in spec:
        out.append(ch.Sentence(t, t + length, text))
        t += length + 0.3
    return out


def test_passages_are_30_to_60_s_on_sentence_ends_with_overlap():
    segs = _segs([(7.0, f"Sentence number {i} ends here.") for i in range(40)])
    spans = ch.passage_spans(segs, 30.0, 60.0, 8.0)
    assert spans[0][0] == 0 and spans[-1][1] == len(segs) - 1  # everything is covered
    for (a, b), (na, _nb) in zip(spans, spans[1:]):
        assert 30.0 <= segs[b].end - segs[a].start <= 60.0
        assert na <= b and na > a                 # overlap, and progress
        assert segs[b].end - segs[na].start <= 8.0  # the overlap is small
    t = Transcript("v", "en", segs[-1].end, "asr", "m",
                   tuple(Segment(s.start, s.end, s.text) for s in segs))
    ps = ch.passages(t, "Title", 30.0, 60.0, 8.0)
    assert [p.index for p in ps] == list(range(len(ps)))
    assert all(p.text.endswith(".") and p.title == "Title" and p.sentences for p in ps)


def test_asr_fragments_are_joined_into_sentences():
    frags = (Segment(0.0, 2.0, "So you will have access"), Segment(2.1, 4.0, " to 120 terabytes."),
             Segment(4.5, 5.0, "Right."), Segment(6.0, 40.0, "and on"), Segment(40.0, 41.0, "and on."))
    got = ch.sentences(frags)
    assert [(s.start, s.end, s.text) for s in got[:2]] == [
        (0.0, 4.0, "So you will have access to 120 terabytes."), (4.5, 5.0, "Right.")]
    assert got[2].end - got[2].start <= 40.0 and got[2].text == "and on"  # run-on speech is cut


def test_a_segment_holding_several_sentences_is_cut_by_its_word_times():
    from ingest.transcript import Word
    text = "run on small devices. ExecuTorch is handled by the compiler. Ask Dr. Smith later"
    words = tuple(Word(0.5 * i, 0.5 * i + 0.4, " " + w) for i, w in enumerate(text.split()))
    got = ch.sentences((Segment(10.0, 14.0, "So this is made to"),
                        Segment(0.0, words[-1].end, text, words)))
    assert [s.text for s in got] == ["So this is made to run on small devices.",
                                     "ExecuTorch is handled by the compiler.",
                                     "Ask Dr. Smith later"]
    assert (got[1].start, got[1].end) == (words[4].start, words[9].end)


def test_passages_prefer_sentence_ends_and_split_runaway_speech():
    # no punctuation at all for 100 s: cut at max length anyway
    segs = _segs([(10.0, "and then we") for _ in range(10)])
    spans = ch.passage_spans(segs, 30.0, 60.0, 0.0)
    assert all(segs[b].end - segs[a].start <= 60.0 for a, b in spans)
    # a sentence end before the limit is preferred to a mid-sentence cut
    segs = _segs([(20.0, "One."), (20.0, "Two, and"), (25.0, "three."), (5.0, "Four.")])
    assert ch.passage_spans(segs, 50.0, 60.0, 0.0)[0] == (0, 0)


def test_bm25_vectors():
    assert sparse.tokens("The GPUs were batching requests, weren't they?") == ["gpu", "batch", "request"]
    doc = sparse.document_vector("GPU GPU GPU batching", 1.2, 0.75, 100.0)
    gpu = sparse.token_id("gpu")
    weights = dict(zip(doc.indices, doc.values))
    assert weights[gpu] > weights[sparse.token_id("batch")] > 0
    assert weights[gpu] < 2.2  # term frequency saturates at k1 + 1
    q = sparse.query_vector("which GPU? the GPU")
    assert q.indices == (gpu,) and q.values == (1.0,)
    assert list(doc.indices) == sorted(doc.indices)


def test_config_is_strict(tmp_path):
    lib = Library(tmp_path / "lib")
    lib.config_file.write_text('{"index": {"chunk_seconds": 40}}')
    with pytest.raises(ConfigError, match="chunk_seconds"):
        load_config(lib)
    lib.config_file.write_text('{"index": {"chunk_min_s": 70}}')
    with pytest.raises(ConfigError):
        load_config(lib)


@needs_corpus
def test_indexing_is_incremental_and_idempotent(tmp_path):
    lib = build_corpus_library(tmp_path / "lib", ids=("L01", "L04"))
    first = index_library(lib)
    assert sorted(first.embedded) == ["L01", "L04"] and first.points > 10
    again = index_library(lib)
    assert again.embedded == [] and sorted(again.unchanged) == ["L01", "L04"]
    assert again.points == first.points

    build_corpus_library(lib.root, ids=("L02",))  # one more lecture
    added = index_library(lib)
    assert added.embedded == ["L02"] and sorted(added.unchanged) == ["L01", "L04"]
    l02 = len(video_chunks(lib, "L02", IndexConfig())[0])
    assert added.points == first.points + l02 and added.chunks_embedded == l02
    # the course-wide keyword counts (citations weigh words by them) follow the index
    passages = sum(1 for v in ("L01", "L02", "L04") for c in video_chunks(lib, v, IndexConfig())[0]
                   if c.kind == "passage")
    counted = terms.load(lib)
    assert counted.passages == passages and counted.df["tinygrad"] >= 1
    assert counted == terms.count(lib, IndexConfig())   # counted in the indexing pass itself
    assert counted.idf("unsaid") >= counted.idf("tinygrad") > counted.idf("speech") > 0

    # a changed transcript re-embeds that video only, and leaves no stale points behind
    t = Transcript.load(lib.path("L04", TRANSCRIPT))
    replace(t, segments=t.segments[:10]).save(lib.path("L04", TRANSCRIPT), {})
    changed = index_library(lib)
    assert changed.embedded == ["L04"]
    expected = sum(len(video_chunks(lib, v, IndexConfig())[0]) for v in ("L01", "L02", "L04"))
    assert changed.points == expected < added.points
    idx = open_index(lib)
    assert idx.store.video_ids(idx.collection) == {"L01", "L02", "L04"}

    lib.catalog.db.execute("DELETE FROM videos WHERE id = 'L01'")
    gone = index_library(lib)
    assert gone.removed == ["L01"] and idx.store.video_ids(idx.collection) == {"L02", "L04"}


@needs_corpus
def test_summaries_filters_and_model_collections(tmp_path):
    lib = build_corpus_library(tmp_path / "lib", ids=("L01", "L04"))
    Summary("L04", "Speech enhancement on a Jetson board in real time.", ("Frames took 16 ms.",),
            (Chapter("Eigenvectors on the GPU", 120.0, 174.0),), "test").save(lib.path("L04", SUMMARY), {})
    stats = index_library(lib)
    r = Retriever.open(lib)
    res = r.search("eigenvector decomposition", 5, kinds=(ch.CHAPTER,))
    assert [(h.chunk.kind, h.chunk.video_id, h.chunk.start) for h in res.hits] == [("chapter", "L04", 120.0)]
    only = r.search("GPU performance", 10, video_ids=["L04"])
    assert only.hits and {h.chunk.video_id for h in only.hits} == {"L04"}
    assert all(h.chunk.kind == ch.PASSAGE for h in only.hits)

    # another model (here: a copy of the default's folder) gets its own collection
    folder = tmp_path / "tuned-model"
    shutil.copytree(models.embedding_model("all-MiniLM-L6-v2"), folder)
    (folder / "README.md").write_text("fine-tuned\n")
    tuned = index_library(lib, IndexConfig(embedding_model=str(folder)))
    assert tuned.collection != stats.collection and sorted(tuned.embedded) == ["L01", "L04"]
    store = open_index(lib).store
    assert {stats.collection, tuned.collection} <= set(store.collections())
    assert store.total(stats.collection) == store.total(tuned.collection) == stats.points


def test_point_ids_are_deterministic():
    a = ch.Chunk("L01", ch.PASSAGE, 3, "t", 1.0, 2.0, "x")
    b = ch.Chunk("L01", ch.PASSAGE, 3, "other title", 5.0, 9.0, "y")
    assert a.point_id == b.point_id != ch.Chunk("L01", ch.CHAPTER, 3, "t", 1, 2, "x").point_id


def test_unreachable_server_is_a_typed_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open the vector store"):
        open_store("http://127.0.0.1:9", None)


def test_cached_embeddings_are_the_embeddings_and_the_cache_is_bounded(monkeypatch):
    import numpy as np

    from index import embed
    from index.config import DEFAULT_EMBEDDING
    emb = embed.embedder(DEFAULT_EMBEDDING, "cpu")
    texts = ["Energy is conserved.", "The bob swings back.", "Energy is conserved."]
    np.testing.assert_allclose(emb.encode_cached(texts), emb.encode(texts), atol=1e-5)
    assert emb.encode_cached(texts[:1]).shape == (1, emb.dim)   # from the cache now
    monkeypatch.setattr(embed, "CACHE_TEXTS", 2)
    emb.encode_cached([f"sentence {i}" for i in range(5)])
    assert len(emb._cache) == 2 and "sentence 4" in emb._cache
