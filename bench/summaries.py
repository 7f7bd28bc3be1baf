"""Summaries against their transcripts: how much of what the model writes is dropped.

    python bench/summaries.py [--library DIR] [--videos L01 L02 ...] [--llm NAME]

Summarises every lecture of the library again (nothing is saved) with the
summary stage's default config, and prints, per lecture, how many of the
model's titles, summary sentences and points the grounding rule checked and
how many it dropped (lectern/grounding.py against the lecture's transcript),
then each dropped text, then the kept points, so they can be read.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.summarize import SummarizeConfig, summarize
from ingest.transcript import Transcript
from lectern.library import TRANSCRIPT, Library
from lectern.llm import LLMConfig
from lectern.llm import load as load_llm


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--library")
    p.add_argument("--videos", nargs="*")
    p.add_argument("--llm", default=SummarizeConfig.llm)
    args = p.parse_args()
    lib = Library(Path(args.library) if args.library else None)
    cfg = replace(SummarizeConfig(), llm=args.llm)
    llm = load_llm(LLMConfig(cfg.llm))
    videos = [v for v in lib.videos() if not args.videos or v.id in args.videos]
    checked = dropped = 0
    for v in videos:
        path = lib.path(v.id, TRANSCRIPT)
        if not path.exists():
            continue
        t0 = time.perf_counter()
        s = summarize(Transcript.load(path), v.title, (), llm, cfg)
        checked, dropped = checked + s.checked, dropped + len(s.dropped)
        print(f"\n{v.id}: {len(s.dropped)} of {s.checked} model texts dropped "
              f"({time.perf_counter() - t0:.0f} s)")
        for d in s.dropped:
            print(f"  dropped  {d}")
        for point in s.points:
            print(f"  point    {point}")
        for c in s.chapters:
            print(f"  chapter  {c.start:6.0f}s {c.title}")
        print(f"  summary  {s.summary}")
    share = dropped / checked if checked else 0.0
    print(f"\nall: {dropped} of {checked} dropped ({share:.2f}), model {cfg.llm}, "
          f"{len(videos)} lectures")


if __name__ == "__main__":
    main()
