"""`lectern serve`: the web app for students (/) and the instructor (/instructor).

Library errors become one line on stderr (exit 1); ConfigError is left to lectern.cli.main (exit 2).
"""

from __future__ import annotations

import argparse
import sys

from lectern.library import Library


def add_arguments(sub) -> None:
    sv = sub.add_parser("serve", help="run the web app (students: /, instructor: /instructor)",
                        description="Serve the chat, the lecture browser and the instructor page. "
                        "The instructor password comes from --password, "
                        "$LECTERN_INSTRUCTOR_PASSWORD or the 'serve' section of config.json; "
                        "without one the instructor page refuses every login.")
    sv.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    sv.add_argument("--port", type=int, help="port (default 7860)")
    sv.add_argument("--password", "--token", dest="password",
                    help="instructor password or token (prefer $LECTERN_INSTRUCTOR_PASSWORD: "
                         "command lines are visible to other users)")
    sv.add_argument("--no-voice", action="store_true", help="do not speak answers")
    sv.add_argument("--concurrency", type=int, help="answers generated at once (default 1)")
    sv.add_argument("--sign-in", action="store_true", default=None,
                    help="students sign in with the accounts of `lectern students add`, and the "
                         "question log keeps who asked (config: serve.sign_in; default off: no "
                         "sign-in, no identity stored)")


def serve(lib: Library, args: argparse.Namespace) -> int:
    from assistant.answer import AssistantError
    from ui.answers import AnswerUnavailable
    from ui.app import roster_for
    from ui.app import serve as run
    from ui.config import load_config

    cfg = load_config(lib, host=args.host, port=args.port, password=args.password,
                      concurrency=args.concurrency, voice=False if args.no_voice else None,
                      sign_in=args.sign_in)
    roster = roster_for(lib, cfg)   # sign-in without accounts: a configuration error, before serving
    if roster is not None:
        print(f"lectern: sign-in is on: {len(roster.all())} student account(s); questions are "
              "logged with who asked", file=sys.stderr)
        roster.close()
    if not cfg.password:
        print("lectern: no instructor password set ($LECTERN_INSTRUCTOR_PASSWORD or --password): "
              "the instructor page will refuse every login", file=sys.stderr)
    print(f"lectern: serving http://{cfg.host}:{cfg.port}/  (instructor: /instructor)",
          file=sys.stderr, flush=True)
    try:
        run(lib, cfg)
    except (AnswerUnavailable, AssistantError, OSError) as e:
        print(f"lectern: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m lectern.cli.serve [--host ...]`: the same command without the rest of the CLI."""
    import logging

    from . import one_line
    parser = argparse.ArgumentParser(prog="lectern")
    add_arguments(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve", *(argv or [])])
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return one_line(lambda: serve(Library(), args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
