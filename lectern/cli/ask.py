"""CLI commands for the index and the assistant: `lectern index`, `ask` and `eval`.

Each returns an exit status; library errors become one line on stderr
(exit 1). Configuration errors are left to cli.main, which prints them (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from lectern.artifacts import ArtifactError
from lectern.library import Library


def add_arguments(sub) -> None:
    """Registers index, ask and eval on the parser's subcommands (lectern/cli/__init__.py)."""
    ix = sub.add_parser("index", help="build or update the search index",
                        description="Embed new or changed videos into the index (Qdrant under "
                        "the data root, or the server at $QDRANT_URL); unchanged ones are skipped.")
    ix.add_argument("--force", action="store_true", help="re-embed every video")
    ix.add_argument("--json", action="store_true", help="print JSON")

    ask = sub.add_parser("ask", help="ask the course a question",
                         description="Answer from the lectures, with citations. Without a "
                         "question, read questions line by line from stdin as one conversation "
                         "(follow-ups may refer to earlier ones).")
    ask.add_argument("question", nargs="?", help="the question (omit to read stdin)")
    ask.add_argument("--video", action="append", default=[], metavar="ID",
                     help="only search this video (repeatable)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per answer")

    ev = sub.add_parser("eval", help="evaluate retrieval and answers on a questions file")
    ev.add_argument("questions", metavar="QUESTIONS.jsonl")
    ev.add_argument("--json", action="store_true", help="print JSON")


def _errors() -> tuple[type[Exception], ...]:
    from assistant.answer import AssistantError
    from assistant.evaluate import EvalError
    from index.embed import EmbeddingError
    from index.store import StoreError
    return (AssistantError, EvalError, EmbeddingError, StoreError, ArtifactError)


@contextmanager
def _one_line() -> Iterator[list[int]]:
    status = [0]
    try:
        yield status
    except _errors() as e:
        print(f"lectern: {e}", file=sys.stderr)
        status[0] = 1


def index(lib: Library, args: argparse.Namespace) -> int:
    from index.indexer import index_library
    with _one_line() as status:
        stats = index_library(lib, force=args.force)
        if args.json:
            print(json.dumps(stats.__dict__, indent=1))
        else:
            print(f"{len(stats.embedded)} embedded ({stats.chunks_embedded} chunks), "
                  f"{len(stats.unchanged)} unchanged, {len(stats.removed)} removed, "
                  f"{len(stats.skipped)} skipped; {stats.points} points in {stats.collection} "
                  f"({stats.seconds:.1f} s)")
            for vid, why in stats.skipped.items():
                print(f"skipped {vid}: {why}")
    return status[0]


def _open_assistant(lib: Library):
    from assistant.answer import NOTHING_INGESTED, Assistant, AssistantError
    from index.indexer import index_library, open_index
    if not lib.videos():
        raise AssistantError(NOTHING_INGESTED)
    idx = open_index(lib)
    if idx.store.total(idx.collection) == 0 and lib.videos():
        print("lectern: the index is empty; indexing the library first", file=sys.stderr)
        index_library(lib)
    return Assistant.open(lib)


def mmss(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"


def _citation_json(c) -> dict:
    return {"number": c.number, "video_id": c.video_id, "title": c.title, "start": c.start,
            "end": c.end, "url": c.url, "quote": c.quote, "quote_start": c.quote_start}


def _answer_json(a) -> dict:
    return {"answer": a.text, "refused": a.refused, "truncated": a.truncated,
            "citations": [_citation_json(c) for c in a.citations],
            "related": [_citation_json(c) for c in a.related],
            "timings": {k: v for k, v in a.timings.__dict__.items()},
            "hint": None if a.hint is None else {
                "assignment": a.hint.assignment, "task": a.hint.task,
                "similarity": round(a.hint.similarity, 3), "concepts": list(a.hint.concepts)}}


def _print_citation(c, label: str) -> None:
    print(f"  {label} {c.title or c.video_id} ({c.video_id}) at {mmss(c.start)}  {c.url}")
    if c.quote:
        print(f"      \u201c{c.quote}\u201d")


def _one_question(assistant, hints, question: str, conversation, videos, as_json: bool):
    from assistant.answer import Answer, Token
    answer = None
    for ev in hints.stream(assistant, question, conversation, videos or None):
        if isinstance(ev, Token):
            if not as_json:
                print(ev.text, end="", flush=True)
        elif isinstance(ev, Answer):
            answer = ev
    if as_json:
        out = {**_answer_json(answer), "collection": assistant.retriever.index.collection}
        print(json.dumps(out, ensure_ascii=False), flush=True)
        return answer
    print("…" if answer.truncated else "")   # cut at assistant.max_tokens
    for c in answer.citations:
        _print_citation(c, f"[{c.number}]")
    if answer.related:
        print("  The closest moments in the lectures:")
        for c in answer.related:
            _print_citation(c, "-")
    sys.stdout.flush()
    return answer


def ask(lib: Library, args: argparse.Namespace) -> int:
    from assistant.answer import Conversation, QuestionError, check_question
    from study.hints import Hints
    if args.question is not None:
        try:   # before the models load: a usage error costs nothing
            check_question(args.question)
        except QuestionError as e:
            print(f"lectern ask: {e}", file=sys.stderr)
            return 2
    with _one_line() as status:
        assistant = _open_assistant(lib)
        hints = Hints(lib)   # a question that is an assignment's task gets a hint
        if args.question is not None:
            _one_question(assistant, hints, args.question, None, args.video, args.json)
            return 0
        conversation = Conversation()
        interactive = sys.stdin.isatty()
        while True:
            if interactive:
                print("> ", end="", file=sys.stderr, flush=True)
            line = sys.stdin.readline()
            if not line:
                break
            if not line.strip():
                continue
            try:
                conversation.add(_one_question(assistant, hints, line.strip(), conversation,
                                               args.video, args.json))
            except QuestionError as e:   # one bad line of many: say so, go on
                print(f"lectern ask: {e}", file=sys.stderr)
                status[0] = 1
    return status[0]


def evaluate(lib: Library, args: argparse.Namespace) -> int:
    from assistant.evaluate import as_json, iter_eval, load_questions, report
    with _one_line() as status:
        questions = load_questions(args.questions)
        assistant = _open_assistant(lib)
        assistant.warm()
        outcomes = []
        for o in iter_eval(assistant, questions):
            outcomes.append(o)
            if not args.json:
                print(f"{o.question.id}: rank {o.rank or '-'}, cited {'yes' if o.citation_hit else 'no'}, "
                      f"keyword {'yes' if o.keyword_hit else 'no'}, "
                      f"{'refused' if o.answer.refused else 'answered'}, "
                      f"first token {o.answer.timings.first_token_s:.2f} s, "
                      f"total {o.answer.timings.total_s:.2f} s", file=sys.stderr, flush=True)
        r = report(outcomes)
        if args.json:
            print(json.dumps({**as_json(r), "collection": assistant.retriever.index.collection,
                              "embedding_model": assistant.retriever.index.config.embedding_model},
                             indent=1))
        else:
            _print_report(r)
    return status[0]


def _print_report(r) -> None:
    print(f"{r.n} questions ({r.answerable} answerable)")
    print(f"retrieval   recall@1 {r.recall[1]:.2f}  recall@5 {r.recall[5]:.2f}  "
          f"recall@10 {r.recall[10]:.2f}  MRR@10 {r.mrr10:.2f}")
    print(f"answers     citation hit {r.citation_hit_rate:.2f}  keyword hit {r.keyword_hit_rate:.2f}  "
          f"refused unanswerable {r.refusal_rate:.2f}  refused answerable {r.false_refusal_rate:.2f}  "
          f"invalid citations {r.invalid_citations}")
    print(f"grounding   faithful sentences {r.faithful_rate:.2f} (shown)  "
          f"{r.model_faithful_rate:.2f} (as the model wrote them, before the check)")
    print(f"latency     first token p50 {r.first_token_p50:.2f} s  p95 {r.first_token_p95:.2f} s  "
          f"first shown sentence p50 {r.first_shown_p50:.2f} s  p95 {r.first_shown_p95:.2f} s  "
          f"total p50 {r.total_p50:.2f} s  p95 {r.total_p95:.2f} s")
    held = [(o.question.id, c) for o in r.outcomes for c in o.answer.checks if not c.verdict.supported]
    for qid, c in held:
        print(f"held back   {qid} ({c.action}, {c.verdict.why}"
              f"{': ' + ', '.join(c.verdict.missing) if c.verdict.missing else ''}): {c.text!r}\n"
              f"            excerpt: {c.evidence!r}")
    for o in r.outcomes:
        for text, excerpt in o.unfaithful:
            print(f"unfaithful  {o.question.id}: {text!r}\n            excerpt: {excerpt!r}")
