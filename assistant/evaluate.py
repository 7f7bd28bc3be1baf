"""Evaluation over a questions file (dev.jsonl's format): retrieval, answers, latency.

Definitions (all over answerable questions unless said otherwise):
- recall@k: some passage among the first k hits is from a gold lecture and
  overlaps a gold window; mrr@10: mean of 1/rank of the first such hit.
- citation_hit_rate: the answer cites at least one gold-overlapping passage.
- keyword_hit_rate: the answer contains one of the keywords, as whole words, after
  normalising both (case, punctuation, "2,000" = "2000", "two" = "2", "hard way" =
  "Hardway"), so "Ray" is not found in "array" and "2 times" is "two times".
- refusal_rate: over unanswerable questions, the share answered "not covered";
  false_refusal_rate: the same over answerable ones.
- invalid_citations: citations to a video not in the library or a second
  outside it (must be 0).
- faithful_rate: over the sentences of answers shown to students, the share
  that rest on the excerpts they cite by lectern/grounding.py's rule (every
  number and rare term in the cited excerpts, and enough of the rest);
  model_faithful_rate: the same over every sentence the model wrote, before
  the gate held back the unsupported ones (cut or replaced by a quote).
- latencies: over questions the model was asked (a threshold refusal costs no
  generation and would flatter the numbers); first_shown: to the first
  sentence shown, which waits for its check.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.chunks import Chunk
from lectern import grounding
from lectern.library import Library

from . import gate
from .answer import Answer, Assistant
from .citations import Citation


class EvalError(ValueError):
    """A questions file is missing or malformed."""


@dataclass(frozen=True)
class Gold:
    lecture: str
    start: float
    end: float


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: tuple[Gold, ...]
    keywords: tuple[str, ...]
    answerable: bool


@dataclass(frozen=True)
class Outcome:
    question: Question
    answer: Answer
    rank: int | None           # of the first gold-overlapping hit within the first 10
    citation_hit: bool
    keyword_hit: bool
    invalid_citations: int
    unfaithful: tuple[tuple[str, str], ...] = ()   # (shown sentence, the excerpts it cites)
    sentences: int = 0                              # shown sentences


def unfaithful(answer: Answer, lectures=None) -> tuple[int, tuple[tuple[str, str], ...]]:
    """The answer's shown sentences, and those its cited excerpts do not support;
    `lectures(video_ids)`: what those lectures say in full (Assistant.lecture_words)."""
    if answer.refused:
        return 0, ()
    by_number = {c.number: f"{c.title}. {c.text}" for c in answer.citations}
    parts = gate.sentences(answer.text)
    bad = []
    for text, nums in parts:
        evidence = [by_number[n] for n in nums if n in by_number]
        vids = tuple(sorted({c.video_id for c in answer.citations if c.number in nums}))
        lecture = lectures(vids) if lectures and vids else None
        if not evidence or not grounding.check(text, evidence, answer.query, lecture).supported:
            bad.append((text, " | ".join(evidence) or "(no citation)"))
    return len(parts), tuple(bad)


@dataclass(frozen=True)
class Report:
    n: int
    answerable: int
    recall: dict[int, float]
    mrr10: float
    citation_hit_rate: float
    keyword_hit_rate: float
    refusal_rate: float
    false_refusal_rate: float
    invalid_citations: int
    faithful_rate: float
    model_faithful_rate: float
    first_token_p50: float
    first_token_p95: float
    first_shown_p50: float
    first_shown_p95: float
    total_p50: float
    total_p95: float
    outcomes: tuple[Outcome, ...]


def load_questions(path: Path) -> list[Question]:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as e:
        raise EvalError(f"{path}: cannot read ({e.strerror})") from None
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(Question(str(d["id"]), d["question"],
                                tuple(Gold(g["lecture"], float(g["start"]), float(g["end"]))
                                      for g in d.get("gold", [])),
                                tuple(d.get("keywords", [])), bool(d.get("answerable", True))))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise EvalError(f"{path}:{n}: not a question ({type(e).__name__}: {e})") from None
    return out


def overlaps(video_id: str, start: float, end: float, gold: Sequence[Gold]) -> bool:
    return any(g.lecture == video_id and start < g.end and end > g.start for g in gold)


_NUMBER_WORDS = grounding.SMALL_NUMBERS


def _words(text: str) -> list[str]:
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower())   # 2,000 -> 2000
    return [_NUMBER_WORDS.get(w, w) for w in re.findall(r"[a-z0-9]+", text)]


def keyword_in(keyword: str, text: str) -> bool:
    """The keyword's words appear in order in the text, or spelt as one word ("hardway")."""
    kw, words = _words(keyword), _words(text)
    if not kw:
        return False
    joined = "".join(kw)
    for i in range(len(words)):
        if words[i:i + len(kw)] == kw:
            return True
        for j in range(i + 1, min(len(words), i + len(kw) + 2) + 1):
            if "".join(words[i:j]) == joined:
                return True
    return False


def _rank(chunks: Sequence[Chunk], gold: Sequence[Gold], k: int = 10) -> int | None:
    for i, c in enumerate(chunks[:k], start=1):
        if overlaps(c.video_id, c.start, c.end, gold):
            return i
    return None


def _invalid(lib: Library, citations: Sequence[Citation]) -> int:
    bad = 0
    for c in citations:
        rec = lib.catalog.video(c.video_id)
        if rec is None or c.start < 0 or (rec.duration is not None and c.start > rec.duration + 1):
            bad += 1
    return bad


def iter_eval(assistant: Assistant, questions: Sequence[Question]) -> Iterator[Outcome]:
    for q in questions:
        a = assistant.ask(q.question)
        shown, bad = unfaithful(a, assistant.lecture_words)
        yield Outcome(
            q, a, _rank([h.chunk for h in a.hits], q.gold),
            any(overlaps(c.video_id, c.start, c.end, q.gold) for c in a.citations),
            any(keyword_in(k, a.text) for k in q.keywords) and not a.refused,
            _invalid(assistant.lib, a.citations), bad, shown)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def _rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def report(outcomes: Sequence[Outcome]) -> Report:
    ans = [o for o in outcomes if o.question.answerable]
    unans = [o for o in outcomes if not o.question.answerable]
    asked = [o.answer.timings for o in outcomes if o.answer.timings.llm_used]
    first, total = [t.first_token_s for t in asked], [t.total_s for t in asked]
    shown = [t.first_shown_s for t in asked]
    checks = [c for o in outcomes for c in o.answer.checks]
    sentences = sum(o.sentences for o in outcomes)
    return Report(
        n=len(outcomes), answerable=len(ans),
        recall={k: _rate([o.rank is not None and o.rank <= k for o in ans]) for k in (1, 5, 10)},
        mrr10=sum(1 / o.rank for o in ans if o.rank) / len(ans) if ans else 0.0,
        citation_hit_rate=_rate([o.citation_hit for o in ans]),
        keyword_hit_rate=_rate([o.keyword_hit for o in ans]),
        refusal_rate=_rate([o.answer.refused for o in unans]),
        false_refusal_rate=_rate([o.answer.refused for o in ans]),
        invalid_citations=sum(o.invalid_citations for o in outcomes),
        faithful_rate=1 - sum(len(o.unfaithful) for o in outcomes) / sentences if sentences else 1.0,
        # as the model wrote them: a trimmed sentence counts once, as the unsupported whole
        model_faithful_rate=_rate([c.verdict.supported for c in checks if not c.trimmed_from])
        if checks else 1.0,
        first_token_p50=_pct(first, 50), first_token_p95=_pct(first, 95),
        first_shown_p50=_pct(shown, 50), first_shown_p95=_pct(shown, 95),
        total_p50=_pct(total, 50), total_p95=_pct(total, 95), outcomes=tuple(outcomes))


def as_json(r: Report) -> dict:
    return {
        "n": r.n, "answerable": r.answerable,
        "recall@1": r.recall[1], "recall@5": r.recall[5], "recall@10": r.recall[10],
        "mrr@10": r.mrr10, "citation_hit_rate": r.citation_hit_rate,
        "keyword_hit_rate": r.keyword_hit_rate, "refusal_rate": r.refusal_rate,
        "false_refusal_rate": r.false_refusal_rate, "invalid_citations": r.invalid_citations,
        "faithful_rate": r.faithful_rate, "model_faithful_rate": r.model_faithful_rate,
        "first_token_p50": r.first_token_p50, "first_token_p95": r.first_token_p95,
        "first_shown_p50": r.first_shown_p50, "first_shown_p95": r.first_shown_p95,
        "total_p50": r.total_p50, "total_p95": r.total_p95,
        "questions": [{"id": o.question.id, "rank": o.rank, "citation_hit": o.citation_hit,
                       "keyword_hit": o.keyword_hit, "refused": o.answer.refused,
                       "answer": o.answer.text,
                       "unfaithful": [{"sentence": t, "excerpt": e} for t, e in o.unfaithful],
                       "held_back": [{"sentence": c.text, "action": c.action, "why": c.verdict.why,
                                      "missing": list(c.verdict.missing), "excerpt": c.evidence}
                                     for c in o.answer.checks if not c.verdict.supported],
                       "first_token_s": o.answer.timings.first_token_s,
                       "total_s": o.answer.timings.total_s} for o in r.outcomes],
    }
