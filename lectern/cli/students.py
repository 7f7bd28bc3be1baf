"""CLI: `lectern students`: the accounts students sign in with, when `serve.sign_in` is on."""

from __future__ import annotations

import argparse
import getpass
import sys

from ..library import Library


def add_arguments(sub) -> None:
    st = sub.add_parser("students", help="student accounts for the web app's sign-in "
                                         "(serve.sign_in); their questions are then logged by name",
                        description="Without sign-in (the default) the web app asks no one who "
                        "they are and the question log stores no identity. With "
                        "\"serve\": {\"sign_in\": true} in config.json (or `lectern serve "
                        "--sign-in`), students sign in with these accounts and the log keeps "
                        "each question's student. Passwords are stored as scrypt hashes only.")
    acts = st.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = acts.add_parser("add", help="add a student, or give one a new password")
    add.add_argument("name", metavar="NAME", help="what the student signs in with (no spaces)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input (default: ask for it)")
    acts.add_parser("list", help="the accounts")
    rm = acts.add_parser("remove", help="remove an account (what the student asked stays logged)")
    rm.add_argument("name", metavar="NAME")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask for the password: give it on standard input "
                         "with --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def students(lib: Library, args: argparse.Namespace) -> int:
    from study.roster import Roster, RosterError

    roster = Roster(lib.root)
    try:
        if args.action == "add":
            s = roster.add(args.name, _password(args.password_stdin))
            print(f"{s.name}: can sign in (turn sign-in on with \"serve\": {{\"sign_in\": true}})")
        elif args.action == "list":
            rows = roster.all()
            for s in rows:
                print(s.name)
            print(f"{len(rows)} student account(s)", file=sys.stderr)
        elif not roster.remove(args.name):
            print(f"lectern students: no student {args.name!r}", file=sys.stderr)
            return 1
        else:
            print(f"{args.name}: removed")
    except (RosterError, ValueError, EOFError) as e:
        print(f"lectern students: {str(e) or 'no password given'}", file=sys.stderr)
        return 1
    finally:
        roster.close()
    return 0
