"""The assistant: question -> (standalone query) -> retrieval -> streamed, cited answer.

`stream` yields Token events as the answer is shown, then one Answer with the
citations (each with the quote it rests on), whether it refused, and timings.

Before the model is asked, the question must be answerable: the best hit
similar enough, every rare term of the question somewhere in the course, and
one excerpt sentence close enough to the question (a 0.5B model given
excerpts that do not answer tends to answer anyway, from its own memory).
While it writes, each sentence is shown only once grounding accepts it
(assistant/gate.py). When nothing it wrote can be shown, or it says the
excerpts do not answer, the answer is "not covered" with the closest moments.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from index.chunks import Sentence, sentences
from index.config import IndexConfig
from index import terms
from index.search import Hit, Retriever, SearchResult
from lectern import figures, grounding
from ingest.transcript import Transcript
from lectern.library import TRANSCRIPT, Library
from lectern.llm import LLM, LLMError
from lectern.llm import load as load_llm

from . import prompt
from .citations import Citation, Excerpt, LinkResolver, MarkerFilter
from .gate import AnswerGate, SentenceCheck
from .config import AssistantConfig, llm_config, load_config

log = logging.getLogger(__name__)

_REFUSAL = re.compile(r"does not cover|doesn't cover|not covered|no information|"
                      r"do not (?:answer|contain|mention)|don't (?:answer|contain|mention)", re.IGNORECASE)


class AssistantError(RuntimeError):
    """The assistant could not answer (model or index unavailable)."""


class QuestionError(AssistantError):
    """The question itself cannot be asked (empty, too long): the asker's to fix."""


# A question is a sentence or three. A longer text is a pasted document (or an attack on the
# context window): refused up front, before it costs retrieval or the model a thing.
MAX_QUESTION_CHARS = 1000
NOTHING_INGESTED = "nothing is ingested yet: add lectures with `lectern ingest FOLDER_OR_URL`"


def check_question(question: str) -> str:
    """The question, stripped; QuestionError when it is empty or too long."""
    q = question.strip()
    if not q:
        raise QuestionError("the question is empty")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(q):,} characters long; the limit is "
                            f"{MAX_QUESTION_CHARS:,} (ask about one thing at a time)")
    return q


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Timings:
    rewrite_s: float = 0.0
    retrieve_s: float = 0.0
    first_token_s: float = 0.0   # from the question to the model's first token
    total_s: float = 0.0
    llm_used: bool = False       # False when refused before asking the model
    first_shown_s: float = 0.0   # to the first sentence shown (it waits for its check)


@dataclass(frozen=True)
class Hint:
    """Why an answer is a hint: the question is an assignment's task (study/hints.py)."""

    assignment: str                  # its title
    task: str                        # the task the question matched
    similarity: float                # of question and task
    concepts: tuple[str, ...]        # what the task needs, each cited where a lecture teaches it


@dataclass(frozen=True)
class Answer:
    question: str
    query: str                   # the standalone query retrieval used
    text: str
    citations: tuple[Citation, ...]
    refused: bool
    timings: Timings
    hits: tuple[Hit, ...] = ()
    similarity: float = 0.0      # of the best hit
    # The model hit max_tokens: the text ends at its last whole sentence (ungated, the
    # streamed tokens went on into the cut one; a reader of `text` never sees it).
    truncated: bool = False
    # Refused: the closest moments of the lectures, each with its best sentence as quote.
    related: tuple[Citation, ...] = ()
    checks: tuple[SentenceCheck, ...] = ()   # what grounding did with each sentence written
    hint: Hint | None = None         # an assignment's task: concepts and moments, no solution
    quoted: bool = False             # the model's first sentence failed: the lecture's own words


@dataclass(frozen=True)
class Answerability:
    """What decides, before the model is asked, whether the lectures can answer."""

    result: SearchResult
    excerpts: list[Excerpt]          # empty: nothing similar enough to the question at all
    similarity: float                # of the best hit
    score: float = 0.0               # of the best excerpt sentence (with its neighbours)
    missing: tuple[str, ...] = ()    # rare question terms the course never uses


@dataclass
class Conversation:
    """Earlier turns, for rewriting follow-ups: (standalone question, answer text)."""

    turns: list[tuple[str, str]] = field(default_factory=list)

    def add(self, answer: Answer) -> None:
        self.turns.append((answer.query, answer.text))


class Assistant:
    def __init__(self, lib: Library, retriever: Retriever, llm: LLM, cfg: AssistantConfig):
        self.lib, self.retriever, self.llm, self.cfg = lib, retriever, llm, cfg
        self.links = LinkResolver(lib)
        self._terms, self._terms_mtime = terms.TermStats(), None
        self._lectures: dict[tuple, grounding.Evidence] = {}
        self._transcripts: dict[str, tuple[float, str, tuple[Sentence, ...]]] = {}

    def term_stats(self) -> terms.TermStats:
        """The course's keyword counts, re-read when indexing has rewritten them."""
        try:
            mtime = terms.path(self.lib).stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime != self._terms_mtime:
            self._terms, self._terms_mtime = terms.load(self.lib), mtime
        return self._terms

    def _transcript(self, video_id: str) -> tuple[float | None, str, tuple[Sentence, ...]]:
        """A lecture's transcript as (modification time, text, sentences as the index cut
        them), read once until it changes; (None, "", ()) without one. One read serves both
        the excerpts (lecture_sentences) and rule 4 (lecture_words)."""
        path = self.lib.path(video_id, TRANSCRIPT)
        try:
            stamp = path.stat().st_mtime
        except FileNotFoundError:
            return None, "", ()
        cached = self._transcripts.get(video_id)
        if cached is None or cached[0] != stamp:
            if len(self._transcripts) > 64:
                self._transcripts.clear()
            t = Transcript.load(path)
            cached = (stamp, t.text, tuple(sentences(t.segments)))
            self._transcripts[video_id] = cached
        return cached

    def lecture_sentences(self, video_id: str) -> tuple[Sentence, ...]:
        """A lecture's sentences (an excerpt may reach past its passage: prompt.excerpts)."""
        return self._transcript(video_id)[2]

    def lecture_words(self, video_ids: tuple[str, ...]) -> grounding.Evidence:
        """What these lectures say in full (titles and transcripts, stemmed): a term a sentence
        takes from the question must be one of them (lectern/grounding.py, rule 4). Kept per
        set of lectures until their transcripts change."""
        read = [self._transcript(vid) for vid in video_ids]
        key = (video_ids, tuple(stamp for stamp, _, _ in read))
        if key not in self._lectures:
            texts = []
            for vid, (_, text, _) in zip(video_ids, read):
                rec = self.lib.catalog.video(vid)
                texts += [rec.title if rec else vid, text]
            if len(self._lectures) > 64:
                self._lectures.clear()
            self._lectures[key] = grounding.Evidence(texts)
        return self._lectures[key]

    @classmethod
    def open(cls, lib: Library, cfg: AssistantConfig | None = None,
             index_cfg: IndexConfig | None = None) -> Assistant:
        cfg = cfg or load_config(lib)
        try:
            llm = load_llm(llm_config(cfg))
        except (LLMError, OSError, ValueError) as e:
            raise AssistantError(f"cannot load the language model {cfg.llm!r}: {e}") from None
        return cls(lib, Retriever.open(lib, index_cfg), llm, cfg)

    def warm(self) -> None:
        """Read the fixed system prefix into llama.cpp's cache before the first question."""
        self.llm.complete(prompt.answer_messages("hello", []), max_tokens=1)
        grounding.warm()

    def ask(self, question: str, conversation: Conversation | None = None,
            video_ids: Sequence[str] | None = None) -> Answer:
        for ev in self.stream(question, conversation, video_ids):
            if isinstance(ev, Answer):
                return ev
        raise AssistantError("no answer was produced")  # pragma: no cover - stream always ends so

    def standalone(self, question: str, conversation: Conversation | None) -> str:
        """A follow-up rewritten with the conversation into a question that stands alone."""
        if not (conversation and conversation.turns and self.cfg.rewrite_followups):
            return question
        history = conversation.turns[-self.cfg.history_turns:]
        reply = self.llm.complete(prompt.rewrite_messages(question, history), max_tokens=48)
        query = prompt.parse_rewrite(reply, question)
        log.info("follow-up %r rewritten as %r", question, query)
        return query

    def answerability(self, query: str, video_ids: Sequence[str] | None = None) -> Answerability:
        """Retrieval, the excerpts for the prompt, and the signals that decide whether to ask."""
        res = self.retriever.search(query, self.cfg.retrieve_k, video_ids)
        hits = [h for h in res.hits if self.links.valid(_as_excerpt(h))]
        best = max((h.similarity for h in hits), default=0.0)
        if not hits or best < self.cfg.min_similarity:
            return Answerability(res, [], best)
        ex = prompt.excerpts(hits[:self.cfg.pool], res.vector, self.retriever.index.embedder,
                             self.cfg.excerpts, self.cfg.excerpt_words, self.lecture_sentences)
        missing = grounding.missing_key_terms(
            query, grounding.Evidence(h.chunk.text for h in hits), self.term_stats())
        return Answerability(res, ex, best, max((e.score for e in ex), default=0.0), missing)

    def stream(self, question: str, conversation: Conversation | None = None,
               video_ids: Sequence[str] | None = None) -> Iterator[Token | Answer]:
        question = check_question(question)
        if not self.lib.videos():
            raise AssistantError(NOTHING_INGESTED)
        t0 = time.perf_counter()
        query = self.standalone(question, conversation)
        t_rewrite = time.perf_counter() - t0
        can = self.answerability(query, video_ids)
        t_retrieve = time.perf_counter() - t0 - t_rewrite
        done = _Done(self, question, query, can.result, can.similarity, t0, t_rewrite, t_retrieve)
        if not can.excerpts:
            yield from done.refuse(prompt.NOT_COVERED, [])
            return
        ex = can.excerpts
        # A rare term of the question the course never uses, or no sentence close enough
        # to the question: the model is not asked.
        if self.cfg.grounding and (can.missing or can.score < self.cfg.min_answer_score):
            yield from done.refuse(prompt.not_covered(can.missing), ex)
            return
        state = _Generation(t0)
        gate = yield from self._generate(query, ex, state)
        quoted = self._quotable(state, gate, can)
        if quoted is not None:
            yield from state.emit([_quote(quoted)])
            state.refused = False
            state.citations = (self.links.citation(1, quoted, [quoted.lead]),)
        if state.refused:
            yield from done.refuse(prompt.NOT_COVERED, ex, state, gate)
            return
        timings = Timings(t_rewrite, t_retrieve, state.first_token or 0.0,
                          time.perf_counter() - t0, True, state.first or 0.0)
        yield Answer(question, query, state.text.strip(), state.citations, False, timings,
                     tuple(can.result.hits), can.similarity, state.truncated,
                     checks=tuple(gate.checks) if gate else (), quoted=quoted is not None)

    def _quotable(self, state: "_Generation", gate: AnswerGate | None,
                  can: Answerability) -> Excerpt | None:
        """The excerpt whose words replace a first sentence the gate cut, when the question
        scores high enough that the course very likely answers it (quote_score), and the
        sentence fits the question's form (grounding.wrong_form); else None. A model that
        said itself that the excerpts do not answer is believed."""
        if not (state.refused and gate is not None and gate.unsupported) or \
                _REFUSAL.search(state.raw) or can.score < self.cfg.quote_score:
            return None
        best = max(can.excerpts, key=lambda e: e.score)
        if best.lead is None or grounding.wrong_form(best.lead.text, gate.question):
            return None   # n13: "a frame in 8 MS" quoted for a sampling rate
        if figures.figure_elsewhere(gate.question, [best.text],
                                    [e.text for e in can.excerpts if e is not best]):
            return None   # the figure the question names is in another excerpt: as in the gate
        return best

    def related(self, ex: Sequence[Excerpt]) -> tuple[Citation, ...]:
        """The closest moments, when the course does not answer: each with its best sentence."""
        return tuple(self.links.citation(i + 1, e, [e.lead] if e.lead else ())
                     for i, e in enumerate(ex[:self.cfg.related]))

    def _generate(self, query: str, ex: list[Excerpt], state: _Generation):
        """Streams the checked answer (Tokens) into `state`; returns the gate (None if off)."""
        markers = MarkerFilter(ex, query, self.term_stats().idf)
        gate = AnswerGate(ex, query, markers, self.lecture_words) if self.cfg.grounding else None
        deltas = self.llm.stream(prompt.answer_messages(query, ex), self.cfg.max_tokens,
                                 stop=list(prompt.STOP))
        try:
            while not (gate and gate.stopped):
                try:
                    delta = next(deltas)
                except StopIteration as end:
                    state.truncated = end.value == "length"
                    break
                state.model_token()
                state.raw += delta
                yield from state.emit(gate.feed(delta) if gate else markers.feed(delta))
        except (LLMError, RuntimeError, ValueError) as e:
            raise AssistantError(f"the language model failed: {e}") from None
        finally:
            deltas.close()   # an answer cut by the gate frees the model at once
        yield from state.emit(gate.flush(state.truncated) if gate else markers.flush())
        state.refused = bool(_REFUSAL.search(state.raw)) or not state.text.strip() or \
            bool(gate and gate.unsupported)
        if state.refused:
            return gate
        if gate is None:
            self._ungated_citations(markers, state)
            return gate
        state.truncated = state.truncated and not gate.stopped
        state.citations = tuple(self.links.citation(n, markers.by_number[k], gate.quotes.get(k, ()))
                                for n, k in ((i + 1, k) for i, k in enumerate(markers.order)))
        return gate

    def _ungated_citations(self, markers: MarkerFilter, state: _Generation) -> None:
        """Citations as before grounding existed (assistant.grounding false: for comparisons)."""
        if not markers.order:
            # Uncited answers still come from the excerpts: credit the best-supporting one.
            state.text += " " + markers.cite_best()
        cited = markers.cited()
        if state.truncated:
            state.text = whole_sentences(state.text)
            kept = [(n, e) for n, e in cited if f"[{n}]" in state.text]
            if cited and not kept:   # the cut sentence held every marker: keep the first
                kept = cited[:1]
                state.text += f" [{kept[0][0]}]"
            cited = kept
        state.citations = tuple(self.links.citation(n, e) for n, e in cited)


class _Done:
    """Ends a question with a refusal: what the student is told, and the closest moments."""

    def __init__(self, assistant: Assistant, question, query, res, best, t0, t_rewrite, t_retrieve):
        self.a, self.question, self.query, self.res, self.best = assistant, question, query, res, best
        self.t0, self.t_rewrite, self.t_retrieve = t0, t_rewrite, t_retrieve

    def refuse(self, text: str, ex: Sequence[Excerpt], state: _Generation | None = None,
               gate: AnswerGate | None = None) -> Iterator[Token | Answer]:
        took = time.perf_counter() - self.t0
        if state is None or not state.text:
            yield Token(text)
        elif state.text.strip() != text:  # the gate showed nothing the student keeps
            yield Token("\n" + text)
        timings = Timings(self.t_rewrite, self.t_retrieve,
                          (state.first_token or took) if state else took, took,
                          state is not None, took)
        yield Answer(self.question, self.query, text, (), True, timings, tuple(self.res.hits),
                     self.best, related=self.a.related(ex),
                     checks=tuple(gate.checks) if gate else ())


# A sentence ends at . ! or ? before a space or the end ("9.8" and "Hardway.com" go on),
# with its closing quotes and [n] markers.
_SENTENCE_END = re.compile(r"[.!?][\u201d\")]*(?:\s*\[\d+\])*(?=\s|$)")


def _quote(e: Excerpt) -> str:
    return f"In the lecture's words: \u201c{e.lead.text.strip()}\u201d [1]"


def whole_sentences(text: str) -> str:
    """The text up to its last whole sentence; one unfinished sentence gets an ellipsis."""
    ends = list(_SENTENCE_END.finditer(text))
    return text[:ends[-1].end()] if ends else text.rstrip() + "…"


@dataclass
class _Generation:
    t0: float
    text: str = ""
    raw: str = ""                 # what the model wrote, unchecked
    first: float | None = None    # when the first piece was shown
    first_token: float | None = None
    refused: bool = False
    truncated: bool = False
    citations: tuple[Citation, ...] = ()

    def model_token(self) -> None:
        if self.first_token is None:
            self.first_token = time.perf_counter() - self.t0

    def emit(self, pieces) -> Iterator[Token]:
        for piece in pieces:
            if not self.text.strip() and not piece.strip():
                continue  # leading whitespace is not the first token
            if self.first is None:
                self.first = time.perf_counter() - self.t0
            self.text += piece
            yield Token(piece)


def _as_excerpt(h: Hit) -> Excerpt:
    c = h.chunk
    return Excerpt(0, c.video_id, c.title, c.start, c.end, c.text)
