"""Hint mode: a question that is an assignment's task gets a hint, not a solution.

The instructor registers assignments (study/assignments.py). Before the
assistant answers, the question is compared with every task of every
assignment in hint mode (cosine similarity of the course's embeddings, the
same model retrieval uses). Above `hints.min_similarity` the question is
taken to be that task, and the reply is built by code, never by the language
model, so it cannot hand out a solution: the concepts the task needs (its
rare words that the course uses, as the lectures say them) each cited at the
lecture moment that says it, quote under the chip, like any answer's
citation. The threshold was set by bench/hints.py: students' wordings of the
tasks in tests/data/assignment_questions.jsonl against the course questions
of dev.jsonl and tests/data/near_topic.jsonl, which must not match.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answer import Answer, Assistant, Conversation, Hint, Timings, Token, check_question
from assistant.citations import Citation, Excerpt, Span
from index.chunks import Sentence
from index.search import Hit
from lectern import config as cfgmod
from lectern import grounding
from ingest.transcript import Transcript
from lectern.library import TRANSCRIPT, Library

from .assignments import Assignment, Assignments
from .quiz import terms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HintConfig:
    # A question is a task when it is this similar to the task (cosine, the course's
    # embedding model) and closer to the task than to any passage of the course by
    # min_margin. Course questions on a task's topic ("how much faster did it get on the
    # 16 GB GPU?") are as similar to the task as its wordings are, but closer to the
    # passage that answers them. bench/hints.py (all-MiniLM-L6-v2, the corpus): at 0.6 and
    # 0.15, 11 of 12 task wordings match their task and none of 48 course questions does
    # (one, d01, only because it asks what "the speaker" did); margin 0.2 loses 5 wordings.
    min_similarity: float = 0.6
    min_margin: float = 0.15
    concepts: int = 4            # concepts named in a hint, at most
    quote_words: int = 8         # a quoted sentence shorter than this takes the next one too


def load_config(lib: Library, **overrides) -> HintConfig:
    data = {**cfgmod.load_file(lib.config_file).get("hints", {}), **overrides}
    cfg = cfgmod.from_dict(HintConfig, data)
    if not 0.0 < cfg.min_similarity <= 1.0 or cfg.concepts < 1 or not -1 <= cfg.min_margin <= 1:
        raise cfgmod.ConfigError("hints.min_similarity must be in (0, 1], min_margin in [-1, 1] "
                                 "and concepts >= 1")
    return cfg


@dataclass(frozen=True)
class Match:
    assignment: Assignment
    task: str
    similarity: float            # of question and task
    course: float                # of question and the course's closest passage


# A question about what the lectures say is answered, even on a task's topic: asking what
# the speaker did is not asking for the task's solution.
_ABOUT_LECTURE = re.compile(r"\b(?:speaker|lecturer|professor|instructor|lectures?|talk|video)s?\b",
                            re.IGNORECASE)


class Hints:
    """Answers through the assistant, except a question that is a task in hint mode."""

    def __init__(self, lib: Library, cfg: HintConfig | None = None):
        self.lib, self.cfg = lib, cfg or load_config(lib)
        self.store = Assignments(lib.root)
        self._words: dict[str, list] = {}   # video id -> its transcript's timed words

    def match(self, assistant: Assistant, question: str,
              video_ids: Sequence[str] | None = None) -> Match | None:
        """The task in hint mode the question asks, if any (looked up on every question: the
        instructor's switches take effect at once)."""
        if _ABOUT_LECTURE.search(question):
            return None
        best = self.closest(assistant, question, video_ids, self.cfg.min_similarity)
        if best is None or best.similarity < self.cfg.min_similarity or \
                best.similarity - best.course < self.cfg.min_margin:
            return None
        log.info("question matches %r (similarity %.2f, course %.2f): hint mode",
                 best.assignment.title, best.similarity, best.course)
        return best

    def closest(self, assistant: Assistant, question: str,
                video_ids: Sequence[str] | None = None, search_from: float = -1.0) -> Match | None:
        """The task in hint mode most similar to the question, with the signals `match` uses;
        the course is searched only for a task at least `search_from` similar (course 1.0
        when not searched: such a question is no task)."""
        pairs = [(a, t) for a in self.store.all() if a.hints for t in a.tasks()]
        if not pairs:
            return None
        embedder = assistant.retriever.index.embedder
        sims = embedder.encode_cached([t for _, t in pairs]) @ embedder.encode_cached([question])[0]
        i = int(np.argmax(sims))
        course = 1.0
        if sims[i] >= search_from:
            course = assistant.retriever.search(question, assistant.cfg.retrieve_k, video_ids).best_similarity
        return Match(pairs[i][0], pairs[i][1], float(sims[i]), course)

    def stream(self, assistant: Assistant, question: str, conversation: Conversation | None = None,
               video_ids: Sequence[str] | None = None) -> Iterator[Token | Answer]:
        q = check_question(question)
        m = self.match(assistant, q, video_ids)
        if m is None:
            yield from assistant.stream(q, conversation, video_ids)
            return
        answer = self.hint(assistant, q, m, video_ids)
        yield Token(answer.text)
        yield answer

    def ask(self, assistant: Assistant, question: str, conversation: Conversation | None = None,
            video_ids: Sequence[str] | None = None) -> Answer:
        for ev in self.stream(assistant, question, conversation, video_ids):
            if isinstance(ev, Answer):
                return ev
        raise RuntimeError("no answer was produced")  # pragma: no cover - stream always ends so

    def hint(self, a: Assistant, question: str, m: Match,
             video_ids: Sequence[str] | None = None) -> Answer:
        t0 = time.perf_counter()
        res = a.retriever.search(m.task, a.cfg.retrieve_k, video_ids)
        hits = [h for h in res.hits if a.links.valid(_excerpt(0, h, ()))]
        course = a.term_stats()
        found: list[tuple[str, Hit, list[Sentence]]] = []
        taught = _Teacher(a, m.task, res.vector, hits, video_ids)
        for concept in concepts(m.task, course):
            found += [f for f in [taught(concept)] if f]
            if len(found) == self.cfg.concepts:
                break
        numbers: dict[tuple[str, float], int] = {}
        cites: list[Citation] = []
        named = []
        for concept, hit, sents in found:
            key = (hit.chunk.video_id, sents[0].start)
            if key not in numbers:
                numbers[key] = len(cites) + 1
                quote = self._quote(hit, sents, concept)
                cites.append(a.links.citation(numbers[key], _excerpt(numbers[key], hit, quote), quote))
            named.append(f"{concept} [{numbers[key]}]")
        if not cites:   # nothing the task names is said: where the lectures are closest to it
            embedder = a.retriever.index.embedder
            for i, h in enumerate(hits[:a.cfg.related]):
                sents = list(h.chunk.sentences) or [Sentence(h.chunk.start, h.chunk.end, h.chunk.text)]
                best = int(np.argmax(embedder.encode_cached([x.text for x in sents]) @ res.vector))
                quote = self._quote(h, [sents[best]])
                cites.append(a.links.citation(i + 1, _excerpt(i + 1, h, quote), quote))
        text = hint_text(m.assignment.title, named, len(cites))
        took = time.perf_counter() - t0
        return Answer(question, question, text, tuple(cites), False,
                      Timings(0.0, took, took, took, False, took), tuple(res.hits),
                      res.best_similarity,
                      hint=Hint(m.assignment.title, m.task, m.similarity,
                                tuple(c for c, _, _ in found)))

    def _quote(self, hit: Hit, sents: list[Sentence], concept: str = "") -> list[Span]:
        """The sentence that says the concept, and the next while under quote_words words. A
        long one (ASR runs on without full stops) is cut to the words around the concept, timed
        by the transcript's word times, so the chip plays the second it is said."""
        all_s = list(hit.chunk.sentences)
        i = all_s.index(sents[0]) if sents and sents[0] in all_s else 0
        out = all_s[i:i + 1] or [Sentence(hit.chunk.start, hit.chunk.end, hit.chunk.text)]
        if concept and len(out[0].text.split()) > QUOTE_MAX_WORDS:
            cut = self._around(hit.chunk.video_id, out[0], concept)
            if cut:
                return [cut]
        while sum(len(s.text.split()) for s in out) < self.cfg.quote_words and i + len(out) < len(all_s):
            out.append(all_s[i + len(out)])
        return [Span(s.start, s.end, s.text) for s in out]

    def _around(self, video_id: str, sent: Sentence, concept: str) -> Span | None:
        """The words of `sent` around where it says `concept`, with their own times."""
        if video_id not in self._words:
            path = self.lib.path(video_id, TRANSCRIPT)
            self._words[video_id] = Transcript.load(path).words if path.exists() else []
        words = [w for w in self._words[video_id] if sent.start - 0.01 <= w.start <= sent.end + 0.01]
        want = _stems(concept)
        stems = [(_stems(w.text) or [""])[0] for w in words]
        at = next((j for j in range(len(stems) - len(want) + 1) if stems[j:j + len(want)] == want), None)
        if at is None:
            return None
        a, b = max(at - QUOTE_BEFORE_WORDS, 0), min(at + QUOTE_MAX_WORDS - QUOTE_BEFORE_WORDS, len(words))
        text = "".join(w.text for w in words[a:b]).strip()
        return Span(words[a].start, words[b - 1].end, ("… " if a else "") + text + (" …" if b < len(words) else ""))


# A quoted sentence longer than this is cut to the words around the concept, this many before it.
QUOTE_MAX_WORDS = 30
QUOTE_BEFORE_WORDS = 10


def hint_text(title: str, named: list[str], moments: int) -> str:
    head = (f"This is part of \u201c{title}\u201d, which is in hint mode, so here is where to "
            "start instead of a solution.")
    if not named:
        marks = " ".join(f"[{i + 1}]" for i in range(moments))
        return f"{head} These lecture moments are about its topic {marks}." if moments else head
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    if len(named) == 1:
        return (f"{head} It needs {listed}; the lecture explains it at the moment cited. "
                "Watch that, then try the task yourself.")
    return (f"{head} It needs {listed}; the lectures explain each at the moment cited. "
            "Watch those, then try the task yourself.")


# A concept is rarer in English than this (Zipf): "quantization", "latency"; not "waits".
CONCEPT_ZIPF = 3.5


def concepts(task: str, course) -> list[str]:
    """The task's key words (rare in English) that the course says, in the task's order;
    numbers are the task's data, not concepts."""
    out: dict[tuple[str, ...], str] = {}
    for run in terms(task):
        words = [w for w in run.split() if course.has(w) and all(
            not grounding.is_number(x) and grounding.zipf(x) < CONCEPT_ZIPF
            for x in grounding.normalized_words(w))]
        if words:
            out.setdefault(tuple(_stems(" ".join(words))), " ".join(words))
    return list(out.values())


def _stems(text: str) -> list[str]:
    return [grounding.stem(w) for w in grounding.normalized_words(text)]


class _Teacher:
    """Where the lectures teach a concept: of the sentences that say it (in the task's hits
    and in a search for it), the one closest in meaning to the concept and the task together."""

    def __init__(self, a: Assistant, task: str, task_vec, hits: Sequence[Hit], video_ids):
        self.a, self.task, self.task_vec, self.hits, self.video_ids = a, task, task_vec, hits, video_ids

    def __call__(self, concept: str) -> tuple[str, Hit, list[Sentence]] | None:
        """(name, hit, [sentence]); the name as the task says it with the word before when the
        lectures say the two together ("double buffering": "double" alone is too common)."""
        toks = re.findall(r"[A-Za-z0-9][A-Za-z0-9'-]*", self.task)
        first = concept.split()[0]
        names = [f"{toks[i - 1]} {concept}" for i in range(1, len(toks))
                 if toks[i] == first and toks[i - 1].lower() not in grounding.STOPWORDS]
        for name in [*dict.fromkeys(names), concept]:
            pool = list(self.hits) + list(self.a.retriever.search(name, 5, self.video_ids).hits)
            said = [(h, x) for h in pool for x in h.chunk.sentences if _says(x.text, name)]
            if said:
                emb = self.a.retriever.index.embedder
                vecs = emb.encode_cached([x.text for _, x in said])
                score = vecs @ self.task_vec + vecs @ emb.encode_cached([name])[0]
                h, x = said[int(np.argmax(score))]
                return name, h, [x]
        return None


def _says(text: str, phrase: str) -> bool:
    """Whether the text says the phrase: its words in a row, stemmed."""
    want, said = _stems(phrase), _stems(text)
    return any(said[j:j + len(want)] == want for j in range(len(said) - len(want) + 1))


def _excerpt(number: int, h: Hit, quote: Sequence[Span]) -> Excerpt:
    c = h.chunk
    spans = tuple(Span(s.start, s.end, s.text) for s in c.sentences)
    return Excerpt(number, c.video_id, c.title, c.start, c.end, c.text, spans,
                   quote[0] if quote else None)
