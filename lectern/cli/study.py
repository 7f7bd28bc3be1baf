"""CLI: `lectern quiz`: a checked quiz per lecture, every answer a moment of it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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

    gd = sub.add_parser("guide", help="a lecture's study guide as Markdown or PDF: summary, points, "
                                      "chapters, key terms with the moment each is first said")
    gd.add_argument("video", metavar="VIDEO", help="a video id (see `lectern status`)")
    gd.add_argument("-o", "--output", metavar="FILE",
                    help="write it to FILE, as a printable PDF when FILE ends in .pdf "
                         "(default: print the Markdown)")

    ins = sub.add_parser("insights", help="what students asked in the web app: refused questions, "
                                          "answers marked wrong, the most cited minutes",
                         description="Every question asked in the web app is logged in "
                         "$LECTERN_HOME/asked.sqlite, with its answer, citations, whether it was "
                         "refused, and the student's thumbs up or down; who asked only when sign-in is on "
                         "(lectern students).")
    ins.add_argument("--json", action="store_true", help="print JSON (with the whole timeline)")
    ins.add_argument("--csv", metavar="FILE", help="write every logged question to FILE as CSV")

    asg = sub.add_parser("assignment", help="assignments for hint mode: a student asking one of "
                                            "their tasks gets concepts and lecture moments, not "
                                            "a solution",
                         description="Registered assignments are matched against every question "
                         "(lectern ask and the web app). A question that is one of their tasks is "
                         "answered with the concepts it needs, each cited at the lecture moment "
                         "that teaches it; the language model does not write it.")
    acts = asg.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = acts.add_parser("add", help="register an assignment (hints on); the same title again "
                                      "replaces its text")
    add.add_argument("file", nargs="?", metavar="FILE", help="a .txt or .md file (its first "
                     "heading is the title)")
    add.add_argument("--title", help="the title (default: the file's first heading)")
    add.add_argument("--text", help="the assignment's text, instead of a file")
    acts.add_parser("list", help="the assignments, their ids and whether hints are on")
    sw = acts.add_parser("hints", help="turn hint mode on or off for one assignment")
    sw.add_argument("id", metavar="ID", help="an id from `lectern assignment list`")
    sw.add_argument("state", choices=["on", "off"])
    rm = acts.add_parser("remove", help="remove an assignment")
    rm.add_argument("id", metavar="ID")


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
        print(f"{vid}: {len(q.items)} questions ({q.written} written, {q.failed} failed "
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
    from study.asked import Log, counts, insights, peaks, to_csv

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
    print(f"{counts(rows)}, {data['marked_right']} right")
    for title, key in (("Not covered (refused)", "refused"), ("Marked wrong", "marked_wrong")):
        if data[key]:
            print(f"\n{title}:")
            for r in data[key][:20]:
                print(f"  - {r['question']}" + (f"  ({r['student']})" if r['student'] else ""))
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
        out = Path(args.output)
        try:
            if out.suffix.lower() == ".pdf":
                from study.pdf import markdown_to_pdf
                markdown_to_pdf(text, out, title=args.video)
            else:
                out.write_text(text)
        except OSError as e:
            print(f"lectern: cannot write {out}: {e.strerror or e}", file=sys.stderr)
            return 1
        print(f"study guide of {args.video} ({len(found)} key terms) written to {out}")
    else:
        print(text)
    return 0


def assignment(lib: Library, args: argparse.Namespace) -> int:
    from study.assignments import AssignmentError, Assignments, read_file

    store = Assignments(lib.root)
    try:
        if args.action == "add":
            if bool(args.file) == (args.text is not None):
                print("lectern assignment add: give a FILE or --text (one of them)", file=sys.stderr)
                return 2
            title, text = read_file(args.file) if args.file else (args.title, args.text)
            a = store.add(args.title or title, text)
            print(f"{a.id}: {a.title!r}, {len(a.tasks())} task(s), hints {'on' if a.hints else 'off'}")
        elif args.action == "list":
            for a in store.all():
                print(f"{a.id}  hints {'on ' if a.hints else 'off'}  {len(a.tasks())} task(s)  {a.title}")
        elif args.action == "hints":
            store.set_hints(args.id, args.state == "on")
            print(f"{args.id}: hints {args.state}")
        else:
            store.remove(args.id)
            print(f"{args.id}: removed")
    except AssignmentError as e:
        print(f"lectern assignment: {e}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0
