"""Hint mode's threshold: how well task similarity and its margin over the course separate
students' wordings of an assignment's tasks from questions about the lectures.

    python bench/hints.py [--library DIR] [--assignment F.md] [--wordings F.jsonl]

For every question: its similarity to the closest task, to the course's closest passage, and
the margin between; then, for a grid of (min_similarity, min_margin), the share of task
wordings matched to their own task and of course questions (dev.jsonl, near_topic.jsonl,
physics.jsonl) wrongly taken for a task. `hints.min_similarity` and `hints.min_margin` were
set from this table. The library must hold the corpus (and the physics lecture).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer import Assistant
from assistant.config import load_config
from index.search import Retriever
from lectern.library import Library
from study.assignments import read_file
from study import hints as hintmod

DATA = ROOT / "tests" / "data"
COURSE = [ROOT.parent / "shared" / "questions" / "dev.jsonl", DATA / "near_topic.jsonl",
          DATA / "physics.jsonl"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--library")
    p.add_argument("--assignment", type=Path, default=DATA / "assignment.md")
    p.add_argument("--wordings", type=Path, default=DATA / "assignment_questions.jsonl")
    args = p.parse_args()
    lib = Library(Path(args.library) if args.library else None)
    a = Assistant(lib, Retriever.open(lib), None, load_config(lib))
    with tempfile.TemporaryDirectory() as tmp:   # the assignment lives outside the library
        h = hintmod.Hints(lib)
        h.store = hintmod.Assignments(Path(tmp))
        asg = h.store.add(*read_file(args.assignment))
        numbered = asg.tasks()[1:] if len(asg.tasks()) > 4 else asg.tasks()
        pos = [json.loads(x) for x in args.wordings.read_text().splitlines()]
        neg = [json.loads(x) for f in COURSE if f.exists() for x in f.read_text().splitlines()]
        print("kind    similarity  course  margin  right task  question")
        P, N = [], []
        for q in pos:
            m = h.closest(a, q["question"])
            P.append((m.similarity, m.similarity - m.course, m.task == numbered[q["task"] - 1],
                      bool(hintmod._ABOUT_LECTURE.search(q["question"]))))
            print(f"task    {m.similarity:10.3f}  {m.course:6.3f}  {P[-1][1]:+6.3f}  "
                  f"{'yes' if P[-1][2] else 'NO ':10}  {q['question'][:70]}")
        for q in neg:
            m = h.closest(a, q["question"])
            N.append((m.similarity, m.similarity - m.course, True,
                      bool(hintmod._ABOUT_LECTURE.search(q["question"]))))
        for (s, mg, _, about), q in sorted(zip(N, neg), key=lambda x: -x[0][0])[:8]:
            print(f"course  {s:10.3f}  {s - mg:6.3f}  {mg:+6.3f}  {'(about the lecture)' if about else '':10}  "
                  f"{q['id']} {q['question'][:60]}")
        print(f"\n{len(pos)} task wordings, {len(neg)} course questions")
        print("min_similarity  min_margin  tasks matched right  course questions taken for a task")
        for t in (0.5, 0.55, 0.6, 0.65, 0.7):
            for mg in (0.0, 0.1, 0.15, 0.2):
                ok = sum(s >= t and d >= mg and right and not about for s, d, right, about in P)
                bad = sum(s >= t and d >= mg and not about for s, d, _, about in N)
                print(f"{t:14.2f}  {mg:10.2f}  {ok / len(P):19.2f}  {bad / len(N):33.2f}")
        cfg = hintmod.load_config(lib)
        print(f"\nin use: min_similarity {cfg.min_similarity}, min_margin {cfg.min_margin}")


if __name__ == "__main__":
    main()
