"""Hint mode over the corpus: a question that is a task of a registered assignment gets the
concepts it needs and the lecture moments that teach them, never a written solution; course
questions are answered as before. Real embeddings and index; the assignment is
tests/data/assignment.md, the students' wordings of its tasks tests/data/assignment_questions.jsonl."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_index_corpus import corpus_lib, dev_questions, needs_corpus  # noqa: E402,F401

from assistant.answer import Assistant  # noqa: E402
from assistant.config import load_config  # noqa: E402
from index.search import Retriever  # noqa: E402
from lectern import grounding  # noqa: E402
from study.assignments import AssignmentError, Assignments, read_file, tasks  # noqa: E402
from study.hints import Hints  # noqa: E402
from tests.conftest import lectern  # noqa: E402

DATA = Path(__file__).parent / "data"
ASSIGNMENT = DATA / "assignment.md"


class NoModel:
    """Stands in for the language model, which a hint must never use: any call fails the test."""

    class Called(AssertionError):
        pass

    def __getattr__(self, name):
        raise NoModel.Called(f"the language model was used ({name})")


def _wordings():
    return [json.loads(line) for line in (DATA / "assignment_questions.jsonl").read_text().splitlines()]


@pytest.fixture
def hinted(corpus_lib):  # noqa: F811
    """The corpus with the assignment registered; removed afterwards (other tests share the library)."""
    store = Assignments(corpus_lib.root)
    a = store.add(*read_file(ASSIGNMENT))
    hints = Hints(corpus_lib)
    assistant = Assistant(corpus_lib, Retriever.open(corpus_lib), NoModel(), load_config(corpus_lib))
    try:
        yield a, hints, assistant, store
    finally:
        store.remove(a.id)
        store.close()


def test_tasks_are_the_paragraphs_and_numbered_items():
    t = tasks(read_file(ASSIGNMENT)[1])
    assert len(t) == 5 and t[0].startswith("Hand in") and t[3].startswith("Your keyword-spotting")
    assert read_file(ASSIGNMENT)[0] == "Assignment 3: Serving speech models on a budget"


@needs_corpus
def test_task_wordings_get_hints_and_course_questions_do_not(hinted):
    a, hints, assistant, _ = hinted
    task_of = {i + 1: t for i, t in enumerate(a.tasks()[1:])}   # the sheet's numbered tasks
    matched = [hints.match(assistant, w["question"]) for w in _wordings()]
    right = sum(1 for m, w in zip(matched, _wordings()) if m and m.task == task_of[w["task"]])
    assert right >= 11 and all(m is None or m.task == task_of[w["task"]]
                               for m, w in zip(matched, _wordings())), matched
    others = [q["question"] for q in dev_questions()] + [
        json.loads(x)["question"] for x in (DATA / "near_topic.jsonl").read_text().splitlines()]
    wrongly = [q for q in others if hints.match(assistant, q)]
    assert not wrongly, wrongly


@needs_corpus
def test_a_hint_names_the_concepts_at_their_moments_and_gives_no_solution(hinted):
    a, hints, assistant, _ = hinted
    q = "How can quantization and double buffering help my keyword spotting model meet its latency " \
        "budget on the RISC-V microcontroller?"
    answer = hints.ask(assistant, q)   # NoModel: a hint that used the model would fail here
    assert answer.hint and answer.hint.assignment == a.title and not answer.refused
    assert {"quantization", "double buffering"} <= set(answer.hint.concepts), answer.hint
    assert "instead of a solution" in answer.text
    for concept in answer.hint.concepts:   # each concept cites a quote that says it
        n = int(re.search(re.escape(concept) + r" \[(\d+)\]", answer.text).group(1))
        c = next(c for c in answer.citations if c.number == n)
        quoted = grounding.Evidence([c.quote])
        assert all(quoted.holds(w) for w in grounding.normalized_words(concept)), (concept, c.quote)
        assert c.start <= c.quote_start <= c.end and c.url.endswith(f"#t={int(c.start)}")
    # no solution: nothing the task does not already say, beyond the concepts' names
    said = grounding.Evidence([a.text, *answer.hint.concepts])
    new = [w for w in grounding.content_words(answer.text)
           if not said.holds(w) and grounding.zipf(w) < grounding.RARE_ZIPF]
    assert not new, new
    assert not re.search(r"\d", re.sub(r"\[\d+\]|Assignment 3|RISC-V", "", answer.text)), answer.text


@needs_corpus
def test_hint_mode_off_answers_like_any_question(hinted):
    a, hints, assistant, store = hinted
    q = _wordings()[0]["question"]
    assert hints.match(assistant, q)
    store.set_hints(a.id, False)        # the instructor's switch, read on the next question
    assert hints.match(assistant, q) is None
    with pytest.raises(NoModel.Called):  # the question goes to the assistant, which asks the model
        hints.ask(assistant, q)


def test_bad_assignments_are_refused_in_one_line(tmp_path):
    store = Assignments(tmp_path)
    for title, text, why in (("", "Explain double buffering in four sentences.", "needs a title"),
                             ("A1", "  ", "no text"), ("A1", "x" * 20_001, "the limit is 20,000"),
                             ("A1", "Too short.", "no task")):
        with pytest.raises(AssignmentError, match=why):
            store.add(title, text)
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(AssignmentError, match=r"must be \.txt, \.md"):
        read_file(pdf)
    with pytest.raises(AssignmentError, match="no assignment"):
        store.set_hints("nope", True)
    assert store.all() == []


@needs_corpus
def test_cli_registers_switches_and_ask_prints_the_hint(corpus_lib):  # noqa: F811
    home = corpus_lib.root
    out = lectern("assignment", "add", str(ASSIGNMENT), home=home, check=True).stdout
    aid = out.split(":")[0]
    try:
        assert "5 task(s), hints on" in out
        assert "hints on" in lectern("assignment", "list", home=home, check=True).stdout
        q = "Which should I try first to run a 600 million parameter speech recognizer on a CPU, " \
            "knowledge distillation or quantization?"
        got = json.loads(lectern("ask", "--json", q, home=home, check=True).stdout)
        assert got["hint"]["concepts"][:2] == ["knowledge distillation", "quantization"], got
        assert got["citations"] and all(c["quote"] for c in got["citations"])
        assert not got["timings"]["llm_used"]
        lectern("assignment", "hints", aid, "off", home=home, check=True)
        got = json.loads(lectern("ask", "--json", q, home=home, check=True).stdout)
        assert got["hint"] is None and got["timings"]["llm_used"] | got["refused"]
        bad = lectern("assignment", "add", "--text", "Explain double buffering to a friend.", home=home)
        assert bad.returncode == 1 and bad.stderr.strip() == \
            "lectern assignment: an assignment needs a title"
    finally:
        lectern("assignment", "remove", aid, home=home, check=True)
