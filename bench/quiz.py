"""How many quiz items the model writes pass their checks, and why the others fail.

    .venv/bin/python bench/quiz.py --library DIR [--n 5] [--llm qwen2.5-0.5b]

Writes each lecture's quiz afresh (study/quiz.py, not the cache) and prints, per
lecture and in all: items written, shown (passed every check), the pass rate,
the reasons items were dropped, and three example items.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lectern.library import Library  # noqa: E402
from study.quiz import for_video  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--library", type=Path, required=True)
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--llm", default="qwen2.5-0.5b")
    a = ap.parse_args()
    lib = Library(a.library)
    shown = written = cloze = retried = model_ok = 0
    why: Counter[str] = Counter()
    examples = []
    for v in lib.videos():
        t0 = time.perf_counter()
        q = for_video(lib, v.id, a.llm, a.n, force=True)
        shown, written, cloze = shown + len(q.items), written + q.written, cloze + q.cloze
        retried += q.retried
        model_ok += sum(1 for i in q.items if not i.question.startswith("Fill in the blank"))
        why.update(d.why.split(" (")[0].split(" as ")[0] for d in q.dropped)
        examples += [(v.id, i) for i in q.items[:1]]
        print(f"{v.id}: written={q.written} shown={len(q.items)} of {a.n} asked "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"all: written={written} shown={shown} pass_rate={shown / max(written, 1):.2f}; "
          f"{model_ok} shown as the model wrote them, {shown - model_ok} as fill-in-the-blank; "
          f"{retried} model questions failed and were tried again as a blank")
    for reason, n in why.most_common():
        print(f"  dropped {n:3d}: {reason}")
    for vid, i in examples[:3]:
        print(f"example {vid}: {i.question} -> {i.answer} {list(i.choices)} "
              f"[{int(i.citation.start) // 60}:{int(i.citation.start) % 60:02d}]")


if __name__ == "__main__":
    main()
