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

    gd = sub.add_parser("guide", help="a lecture's study guide as Markdown: summary, points, "
                                      "chapters, key terms with the moment each is first said")
    gd.add_argument("video", metavar="VIDEO", help="a video id (see `lectern status`)")
    gd.add_argument("-o", "--output", metavar="FILE", help="write it to FILE (default: print it)")

    ins = sub.add_parser("insights", help="what students asked in the web app: refused questions, "
                                          "answers marked wrong, the most cited minutes",
                         description="Every question asked in the web app is logged in "
                         "$LECTERN_HOME/asked.sqlite, with its answer, citations, whether it was "
                         "refused, and the student's thumbs up or down; never who asked.")
    ins.add_argument("--json", action="store_true", help="print JSON (with the whole timeline)")
    ins.add_argument("--csv", metavar="FILE", help="write every logged question to FILE as CSV")


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


def insights(lib: Library, args: argparse.Namespace) -> int:
    from study.asked import Log, insights, peaks, to_csv

    log = Log(lib.root)
    try:
        rows = log.all()
    finally:
        log.close()
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            f.write(to_csv(rows))
    if args.json:
        print(json.dumps(insights(rows), indent=1, ensure_ascii=False))
        return 0
    data = insights(rows)
    print(f"{data['questions']} questions asked; {len(data['refused'])} not covered by the "
          f"lectures; {len(data['marked_wrong'])} answers marked wrong, {data['marked_right']} right")
    for title, key in (("Not covered (refused)", "refused"), ("Marked wrong", "marked_wrong")):
        if data[key]:
            print(f"\n{title}:")
            for r in data[key][:20]:
                print(f"  - {r['question']}")
    top = peaks(rows, 5)
    if top:
        print("\nMost cited minutes (where students ask most):")
        for m in top:
            print(f"  {m.video_id} {m.minute}:00-{m.minute}:59  cited {m.count}x: "
                  + "; ".join(m.questions[:3]))
    if args.csv:
        print(f"\n{len(rows)} questions written to {args.csv}")
    return 0


def guide(lib: Library, args: argparse.Namespace) -> int:
    from study.guide import GuideError, for_video

    try:
        text, found = for_video(lib, args.video)
    except GuideError as e:
        print(f"lectern: {e}", file=sys.stderr)
        return 1
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
        print(f"study guide of {args.video} ({len(found)} key terms) written to {args.output}")
    else:
        print(text)
    return 0

