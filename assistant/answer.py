"""The assistant: question -> (standalone query) -> retrieval -> streamed, cited answer.

`stream` yields Token events as the model writes, then one Answer with the
citations, whether it refused, and timings. When the best hit is less
similar to the question than the calibrated threshold, the model is not
asked at all: the answer is that the course does not cover it (fast, and a
0.5B model given irrelevant excerpts tends to answer anyway).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from index.config import IndexConfig
from index import terms
from index.search import Hit, Retriever
from lectern.library import Library
from lectern.llm import LLM, LLMError
from lectern.llm import load as load_llm

from . import prompt
from .citations import Citation, Excerpt, LinkResolver, MarkerFilter
from .config import AssistantConfig, llm_config, load_config

log = logging.getLogger(__name__)

_REFUSAL = re.compile(r"does not cover|doesn't cover|not covered|no information|"
                      r"do not (?:answer|contain|mention)|don't (?:answer|contain|mention)", re.IGNORECASE)


class AssistantError(RuntimeError):
    """The assistant could not answer (model or index unavailable)."""


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Timings:
    rewrite_s: float = 0.0
    retrieve_s: float = 0.0
    first_token_s: float = 0.0   # from the question to the first character of the answer
    total_s: float = 0.0
    llm_used: bool = False       # False when refused before asking the model


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
    # The model hit max_tokens: the text ends at its last whole sentence (the
    # streamed tokens went on into the cut one; a reader of `text` never sees it).
    truncated: bool = False


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

    def term_stats(self) -> terms.TermStats:
        """The course's keyword counts, re-read when indexing has rewritten them."""
        try:
            mtime = terms.path(self.lib).stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime != self._terms_mtime:
            self._terms, self._terms_mtime = terms.load(self.lib), mtime
        return self._terms

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

    def stream(self, question: str, conversation: Conversation | None = None,
               video_ids: Sequence[str] | None = None) -> Iterator[Token | Answer]:
        t0 = time.perf_counter()
        query = self.standalone(question, conversation)
        t_rewrite = time.perf_counter() - t0
        res = self.retriever.search(query, self.cfg.retrieve_k, video_ids)
        t_retrieve = time.perf_counter() - t0 - t_rewrite
        hits = [h for h in res.hits if self.links.valid(_as_excerpt(h))]
        best = max((h.similarity for h in hits), default=0.0)
        if not hits or best < self.cfg.min_similarity:
            yield Token(prompt.NOT_COVERED)
            took = time.perf_counter() - t0
            yield Answer(question, query, prompt.NOT_COVERED, (), True,
                         Timings(t_rewrite, t_retrieve, took, took), tuple(res.hits), best)
            return
        ex = prompt.excerpts(hits[:self.cfg.pool], res.vector, self.retriever.index.embedder,
                             self.cfg.excerpts, self.cfg.excerpt_words)
        state = _Generation(t0)
        yield from self._generate(query, ex, state)
        timings = Timings(t_rewrite, t_retrieve, state.first or time.perf_counter() - t0,
                          time.perf_counter() - t0, True)
        yield Answer(question, query, state.text.strip(), state.citations, state.refused, timings,
                     tuple(res.hits), best, state.truncated)

    def _generate(self, query: str, ex: list[Excerpt], state: _Generation) -> Iterator[Token]:
        markers = MarkerFilter(ex, query, self.term_stats().idf)
        deltas = self.llm.stream(prompt.answer_messages(query, ex), self.cfg.max_tokens,
                                 stop=list(prompt.STOP))
        try:
            while True:
                try:
                    delta = next(deltas)
                except StopIteration as end:
                    state.truncated = end.value == "length"
                    break
                yield from state.emit(markers.feed(delta))
        except (LLMError, RuntimeError, ValueError) as e:
            raise AssistantError(f"the language model failed: {e}") from None
        yield from state.emit(markers.flush())
        state.refused = bool(_REFUSAL.search(state.text)) or not state.text.strip()
        if state.refused:
            return
        if not markers.order:
            # Uncited answers still come from the excerpts: credit the best-supporting one.
            yield from state.emit([" " + markers.cite_best()])
        cited = markers.cited()
        if state.truncated:
            state.text = whole_sentences(state.text)
            kept = [(n, e) for n, e in cited if f"[{n}]" in state.text]
            if cited and not kept:   # the cut sentence held every marker: keep the first
                kept = cited[:1]
                state.text += f" [{kept[0][0]}]"
            cited = kept
        state.citations = tuple(self.links.citation(n, e) for n, e in cited)


# A sentence ends at . ! or ? before a space or the end ("9.8" and "Hardway.com" go on),
# with its closing quotes and [n] markers.
_SENTENCE_END = re.compile(r"[.!?][\u201d\")]*(?:\s*\[\d+\])*(?=\s|$)")


def whole_sentences(text: str) -> str:
    """The text up to its last whole sentence; one unfinished sentence gets an ellipsis."""
    ends = list(_SENTENCE_END.finditer(text))
    return text[:ends[-1].end()] if ends else text.rstrip() + "…"


@dataclass
class _Generation:
    t0: float
    text: str = ""
    first: float | None = None
    refused: bool = False
    truncated: bool = False
    citations: tuple[Citation, ...] = ()

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
