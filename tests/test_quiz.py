"""Quizzes over the corpus with the real 0.5B model: every item shown is checked against the
lecture, and a quiz is made again only when its lecture changed."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).parent))
from test_index_corpus import corpus_lib, needs_corpus  # noqa: E402,F401

from ingest.sources import SourceInfo  # noqa: E402
from ingest.transcript import Transcript  # noqa: E402
from lectern import grounding  # noqa: E402
from lectern.library import SOURCE, TRANSCRIPT  # noqa: E402
from lectern.timefmt import clock  # noqa: E402
from study import quiz  # noqa: E402
from tests.conftest import lectern  # noqa: E402

LLM = "qwen2.5-0.5b"


def _said(t: Transcript, start: float, end: float) -> str:
    return " ".join(s.text for s in t.segments if s.end > start and s.start < end)


@needs_corpus
def test_every_item_of_every_corpus_lecture_is_answered_by_its_cited_moment(corpus_lib):
    shown = written = 0
    for v in corpus_lib.videos():
        q = quiz.for_video(corpus_lib, v.id, LLM, n=5)
        t = Transcript.load(corpus_lib.path(v.id, TRANSCRIPT))
        assert q.items, (v.id, q.dropped)
        for item in q.items:
            c = item.citation
            said = grounding.Evidence([_said(t, c.start, c.end)])
            assert c.video_id == v.id and 0 <= c.start < c.end <= t.duration + 1
            assert all(said.holds(w) for w in grounding.normalized_words(item.answer)), item
            if item.question.startswith(quiz.CLOZE):   # the lecturer's sentence, term blanked
                assert item.question.count("___") == 1 and item.question.replace(
                    "___", item.answer) == f'{quiz.CLOZE} "{_said(t, c.start, c.end)}"'
            else:
                assert item.question.endswith("?") and "___" not in item.question
            assert not {grounding.stem(w) for w in grounding.normalized_words(item.answer)} & {
                grounding.stem(w) for w in grounding.normalized_words(item.question)}, item
            assert c.url.endswith(f"#t={int(c.start)}")
            if item.kind == "choice":
                assert len(item.choices) == 4 and item.choices.count(item.answer) == 1
                for wrong in set(item.choices) - {item.answer}:   # not what the moment says
                    assert not all(said.holds(w) for w in grounding.normalized_words(wrong)), item
        answers = [i.answer.lower() for i in q.items]
        assert len(set(answers)) == len(answers) and len({i.question for i in q.items}) == len(q.items)
        assert all(d.why for d in q.dropped)
        shown, written = shown + len(q.items), written + q.written
    print(f"quiz items shown {shown} of {written} written")
    assert shown >= 10


@needs_corpus
def test_a_quiz_is_cached_until_its_lecture_changes(corpus_lib, tmp_path):
    first = quiz.for_video(corpus_lib, "L02", LLM, n=5)   # made by the test above, or now
    t0 = time.perf_counter()
    again = quiz.for_video(corpus_lib, "L02", LLM, n=5)
    assert time.perf_counter() - t0 < 1.0 and again.to_json() == first.to_json()
    t = Transcript.load(corpus_lib.path("L02", TRANSCRIPT))
    info = SourceInfo.load(corpus_lib.path("L02", SOURCE))
    seg = t.segments[0]
    edited = replace(t, segments=(replace(seg, text=seg.text + " Edited."), *t.segments[1:]))
    assert quiz.quiz_key(edited, info, LLM, 5) != first.key   # a new transcript: a new quiz
    assert quiz.quiz_key(t, info, LLM, 4) != first.key


@needs_corpus
def test_cli_prints_the_quiz_as_json_and_refuses_an_unknown_video(corpus_lib):
    proc = lectern("quiz", "L02", "--n", "5", "--json", home=corpus_lib.root, check=True)
    doc = json.loads(proc.stdout)
    assert doc["video_id"] == "L02" and doc["items"]
    for item in doc["items"]:
        assert set(item) == {"kind", "question", "choices", "answer", "explanation", "citation"}
        assert set(item["citation"]) == {"video_id", "start", "end", "title", "url"}
    bad = lectern("quiz", "L99", home=corpus_lib.root)
    assert bad.returncode == 1 and bad.stderr.strip() == \
        f"lectern: no video 'L99' in {corpus_lib.root} (see `lectern status`)"


@needs_corpus
def test_the_study_guide_names_key_terms_at_the_moment_the_lecture_first_says_them(corpus_lib, tmp_path):
    from study.guide import key_terms

    t = Transcript.load(corpus_lib.path("L02", TRANSCRIPT))
    found = key_terms(t)
    assert 5 <= len(found) <= 12 and [k.first for k in found] == sorted(k.first for k in found)
    for k in found:
        first = next(s for s in t.segments if k.text in s.text)   # said there, and not before
        assert first.start == k.first and k.mentions >= 2, k
    out = tmp_path / "guide.md"
    proc = lectern("guide", "L02", "-o", str(out), home=corpus_lib.root, check=True)
    text = out.read_text()
    assert text.startswith("# Bringing PyTorch models to microcontrollers") and "## Key terms" in text
    assert f"**{found[0].text}**: first at [" in text and "written to" in proc.stdout
    # printable: the same guide as a PDF, its text (key terms, moments) in the file's pages
    pdf = tmp_path / "guide.pdf"
    lectern("guide", "L02", "-o", str(pdf), home=corpus_lib.root, check=True)
    assert pdf.read_bytes().startswith(b"%PDF-")
    pages = PdfReader(str(pdf)).pages
    printed = " ".join(" ".join(p.extract_text().split()) for p in pages)
    assert "Bringing PyTorch models to microcontrollers" in printed
    assert f"{found[0].text}: first at {clock(found[0].first)}" in printed
