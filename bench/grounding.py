"""Trust: answerability signals, and answers with and without the grounding gate.

    python bench/grounding.py [--library DIR] [--questions F.jsonl ...] [--signals-only]
                              [--llm NAME] [--show] [--grounded-only]

1. Signals (no model): for every question, the best hit's similarity, the best
   excerpt sentence's score and the question's rare terms the course never
   uses; then the refusal / false-refusal rates a threshold on the score would
   give (what assistant.min_answer_score was set from).
2. Answers (the real model): `lectern eval`'s figures with the gate off (the
   answers as the model writes them, every sentence shown) and on, side by
   side: keyword and citation hit, refusals, faithful sentences, latency.
   --show prints every answer of the gated run, and every sentence held back;
   --grounded-only skips the run with the gate off (half the time, for tuning).

Questions default to ../shared/questions/dev.jsonl plus tests/data/near_topic.jsonl
and tests/data/physics.jsonl; the library to $LECTERN_HOME (it must hold the
corpus lectures, and the physics lecture as video "physicsworks_audio" for
the physics questions to count).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer import Assistant
from assistant.config import load_config
from assistant.evaluate import iter_eval, load_questions, report
from lectern.library import Library

QUESTIONS = [ROOT.parent / "shared" / "questions" / "dev.jsonl",
             ROOT / "tests" / "data" / "near_topic.jsonl", ROOT / "tests" / "data" / "physics.jsonl"]


def signals(a: Assistant, questions) -> None:
    print("id     answerable  similarity  score  missing terms")
    rows = []
    for q in questions:
        can = a.answerability(q.question)
        rows.append((q.answerable, can.score, bool(can.missing) or not can.excerpts))
        print(f"{q.id:6} {'yes' if q.answerable else 'no ':10}  {can.similarity:10.3f}  "
              f"{can.score:5.3f}  {', '.join(can.missing)}")
    print("\nmin_answer_score  refused-unanswerable  refused-answerable   (before the model)")
    for t in (0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55):
        un = [s < t or m for ans, s, m in rows if not ans]
        an = [s < t or m for ans, s, m in rows if ans]
        print(f"{t:16.2f}  {_share(un):20.2f}  {_share(an):18.2f}")


def _share(flags: list[bool]) -> float:
    """The share that is true; nan for none (a questions file of one kind only)."""
    return sum(flags) / len(flags) if flags else float("nan")


def answers(a: Assistant, questions, show: bool, grounded_only: bool = False) -> dict:
    out = {}
    for name, on in (("model alone", False), ("grounded", True))[grounded_only:]:
        b = Assistant(a.lib, a.retriever, a.llm, replace(a.cfg, grounding=on))
        r = report(list(iter_eval(b, questions)))
        out[name] = r
        if show and on:
            for o in r.outcomes:
                marks = (f" [keyword {'hit' if o.keyword_hit else 'MISS'}, citation "
                         f"{'hit' if o.citation_hit else 'MISS'}]" if o.question.answerable else "")
                print(f"\n{o.question.id} {'(unanswerable) ' if not o.question.answerable else ''}"
                      f"{o.question.question}{marks}\n  -> {o.answer.text}")
                for c in o.answer.citations:
                    print(f"     [{c.number}] {c.video_id} {c.start:.0f}s \u201c{c.quote}\u201d")
                for text, _ in o.unfaithful:
                    print(f"     shown but unfaithful by the eval's re-check: {text}")
                for c in o.answer.checks:
                    if not c.verdict.supported:
                        print(f"     held back ({c.action}, {c.verdict.why} "
                              f"{','.join(c.verdict.missing)}): {c.text}")
    print(f"\n{'':28}" + "".join(f"{n:>14}" for n in out))
    rows = [("keyword hit", "keyword_hit_rate"), ("citation hit", "citation_hit_rate"),
            ("refused unanswerable", "refusal_rate"), ("refused answerable", "false_refusal_rate"),
            ("faithful sentences (shown)", "faithful_rate"),
            ("first token p50 s", "first_token_p50"), ("first shown p50 s", "first_shown_p50"),
            ("total p50 s", "total_p50")]
    for label, attr in rows:
        print(f"{label:28}" + "".join(f"{getattr(r, attr):14.2f}" for r in out.values()))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--library")
    p.add_argument("--questions", nargs="+", type=Path, default=QUESTIONS)
    p.add_argument("--signals-only", action="store_true")
    p.add_argument("--llm", help="answer model (default: the library's assistant.llm)")
    p.add_argument("--show", action="store_true")
    p.add_argument("--grounded-only", action="store_true")
    args = p.parse_args()
    lib = Library(Path(args.library) if args.library else None)
    cfg = load_config(lib, **({"llm": args.llm} if args.llm else {}))
    a = Assistant.open(lib, cfg)
    a.warm()
    questions = [q for f in args.questions for q in load_questions(f)]
    ids = {v.id for v in lib.videos()}
    questions = [q for q in questions if all(g.lecture in ids for g in q.gold)]
    print(f"{len(questions)} questions ({sum(q.answerable for q in questions)} answerable), "
          f"library {lib.root}, answer model {cfg.llm}\n")
    signals(a, questions)
    if not args.signals_only:
        answers(a, questions, args.show, args.grounded_only)


if __name__ == "__main__":
    main()
