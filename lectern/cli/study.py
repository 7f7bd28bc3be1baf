"""CLI: `lectern quiz`: a checked quiz per lecture, every answer a moment of it."""

from __future__ import annotations

import argparse
import json
import sys

from ..library import Library


def add_arguments(sub) -> None:
    qz = sub.add_parser("quiz", help="a quiz over lectures: each answer cites the second that "
                                     "teaches it",
                        description="Questions written by the LLM from a lecture's passages and "
                        "checked before they are shown (the answer is in the cited sentence, no "
                        "wrong choice is in its passage, the model answers its own question with "
                        "the answer). Cached per lecture; made again when its transcript changes.")
    qz.add_argument("videos", nargs="+", metavar="VIDEO", help="a video id (see `lectern status`)")
    qz.add_argument("--n", type=int, default=5, help="questions per lecture (default 5)")
    qz.add_argument("--json", action="store_true",
                    help='print {"video_id", "items": [{"kind", "question", "choices", "answer", '
                         '"explanation", "citation"}]} (a list of them for several videos)')
    qz.add_argument("--force", action="store_true", help="write the quiz again even if cached")


def quiz(lib: Library, args: argparse.Namespace) -> int:
    from assistant.config import llm_config, load_config
    from study.quiz import QuizError, for_video

    if not 1 <= args.n <= 50:
        print("lectern: --n must be between 1 and 50", file=sys.stderr)
        return 2
    llm = llm_config(load_config(lib))
    out, status = [], 0
    for vid in args.videos:
        try:
            q = for_video(lib, vid, llm, args.n, args.force)
        except QuizError as e:
            print(f"lectern: {e}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            out.append(q.to_json())
            continue
        print(f"{vid}: {len(q.items)} questions ({q.written} written, {len(q.dropped)} failed "
              f"their checks)")
        for n, item in enumerate(q.items, 1):
            print(f"{n}. {item.question}")
            if item.choices:
                print("   " + "   ".join(f"{'abcd'[k]}) {c}" for k, c in enumerate(item.choices)))
            c = item.citation
            print(f"   answer: {item.answer}   [{int(c.start) // 60}:{int(c.start) % 60:02d}] {c.url}")
            print(f"   {item.explanation}")
    if args.json:
        print(json.dumps(out[0] if len(out) == 1 and len(args.videos) == 1 else out, indent=1,
                         ensure_ascii=False))
    return status
