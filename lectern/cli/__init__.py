"""The `lectern` command. The library raises; this package translates errors to one line.

One module per group of commands (ingest, ask, finetune, serve, voice); the core
(lectern/*.py outside this package) never imports them, nor anything above it.

Exit status: 0 when everything worked, 1 when any source or question failed,
2 for usage and configuration errors.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .. import __version__
from ..config import ConfigError, home
from ..catalog import CatalogError
from ..library import Library, LibraryError, writer_lock

log = logging.getLogger("lectern")


def _setup_logging(verbose: bool, log_file) -> None:
    from rich.logging import RichHandler

    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    console = RichHandler(level=logging.INFO if verbose else logging.ERROR, show_path=False,
                          show_time=False, markup=False, console=_console(stderr=True))
    root.addHandler(console)
    if log_file is not None:
        fh = logging.FileHandler(log_file)
        fh.setLevel(logging.INFO)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(fh)
    for noisy in ("httpx", "urllib3", "faster_whisper", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _console(stderr: bool = False):
    from rich.console import Console
    return Console(stderr=stderr, highlight=False)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lectern", description="A teaching assistant built from a course's lecture videos. "
        f"The library lives in $LECTERN_HOME (now {home()}).")
    p.add_argument("--version", action="version", version=f"lectern {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens in detail")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ing = sub.add_parser("ingest", help="download, transcribe and summarise lectures",
                         description="Ingest media files, folders (searched recursively; media "
                         "recognised by content) and URLs (videos, playlists, channels: anything "
                         "yt-dlp knows). Work already done with the same input and settings is "
                         "skipped.")
    ing.add_argument("sources", nargs="+", metavar="SOURCE", help="a file, folder or URL")
    ing.add_argument("--captions", choices=("ignore", "prefer"),
                     help="'prefer': use a video's captions (repunctuated by the LLM) instead "
                          "of speech recognition when it has them (default: ignore)")
    ing.add_argument("--model", help="Whisper model: tiny.en, base (default; both offline), "
                                     "a CTranslate2 folder or a hub name")
    ing.add_argument("--device", choices=("auto", "cpu", "cuda"), help="where Whisper runs")
    ing.add_argument("--batch-size", type=int, help="> 1: batched Whisper inference (GPUs)")
    ing.add_argument("--language", help="spoken language code (default: detect)")
    ing.add_argument("--llm", help="LLM for summaries and repunctuation: qwen2.5-0.5b "
                                   "(default, offline), qwen2.5-1.5b (pip install -e "
                                   "'.[bigger-llm]') or a GGUF file")
    ing.add_argument("--no-summary", action="store_true", help="skip summaries")
    ing.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                     help="run the stages on a Ray cluster: ADDRESS ('auto', 'ray://host:10001'), "
                          "or none to start a local one (config: ingest.executor, "
                          "ingest.ray_address; resources in the \"ray\" section)")
    ing.add_argument("--local", action="store_true",
                     help="run in this process even when the config says ingest.executor: ray")
    ing.add_argument("--no-index", action="store_true",
                     help="do not update the search index afterwards")
    ing.add_argument("--force", action="append", default=[], metavar="STAGE",
                     help="redo a stage even if done: fetch, audio, transcript or summary "
                          "(repeatable)")

    st = sub.add_parser("status", help="list videos, their stages and errors")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.add_argument("--rebuild-catalog", action="store_true",
                    help="set the catalog aside and rebuild it from the lectures' files "
                         "(when it is damaged: the files under videos/ are the truth)")

    sub.add_parser("models", help="assemble the offline models into the cache and check them")

    from . import ask, finetune, serve, students, study
    ask.add_arguments(sub)
    study.add_arguments(sub)
    finetune.add_arguments(sub)
    _voice_arguments(sub)
    serve.add_arguments(sub)
    students.add_arguments(sub)
    return p


def _voice_arguments(sub) -> None:
    vo = sub.add_parser("voice", help="the instructor's synthesized voice")
    vsub = vo.add_subparsers(dest="voice_command", required=True, metavar="ACTION")
    en = vsub.add_parser("enroll", help="make a voice profile from recordings or from the "
                                        "ingested lectures")
    en.add_argument("sources", nargs="*", metavar="SOURCE",
                    help="recordings of the instructor; none: pick clips from ingested lectures")
    en.add_argument("--video", action="append", default=[], metavar="ID",
                    help="pick clips from this ingested video (repeatable)")
    en.add_argument("--transcripts", metavar="FILE",
                    help="'file|text' lines (LJSpeech metadata format); else a .txt beside the "
                         "file, else Whisper")
    en.add_argument("--name", help="profile name (default: config voice.profile = 'instructor')")
    en.add_argument("--no-adapt", action="store_true", help="zero-shot only")
    en.add_argument("--no-tune", action="store_true",
                    help="skip choosing the conversion strength against Whisper's WER")
    sy = sub.add_parser("say", help="speak text in the instructor's synthesized voice into a WAV")
    sy.add_argument("text", help="text to say ('-': stdin)")
    sy.add_argument("-o", "--output", required=True, metavar="FILE")
    sy.add_argument("--name", help="voice profile name")
    sy.add_argument("--mode", choices=("auto", "plain", "zero-shot", "adapted"))
    sy.add_argument("--backend", choices=("piper-world", "xtts"))
    sy.add_argument("--no-cache", action="store_true", help="do not use or fill the audio cache")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return one_line(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    if args.command == "models":
        _setup_logging(args.verbose, None)
        return _models()
    if args.command == "status" and args.rebuild_catalog:
        return _rebuild_catalog(args.verbose)
    lib = Library()
    _setup_logging(args.verbose, lib.log_file)
    return _dispatch(lib, args)


def one_line(run) -> int:
    """`run()`'s exit status, with the errors every command shares as one line on stderr
    (also `python -m lectern.cli.serve`'s entry point)."""
    try:
        return run()
    except ConfigError as e:
        print(f"lectern: configuration error: {e}", file=sys.stderr)
        return 2
    except (LibraryError, CatalogError) as e:
        print(f"lectern: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `lectern status --json | head`: the reader has what it wanted. Point stdout at
        # /dev/null so the interpreter's final flush does not fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("lectern: interrupted; what was finished is kept, run again to resume", file=sys.stderr)
        return 130


def _rebuild_catalog(verbose: bool) -> int:
    from ingest.rebuild import rebuild, set_aside
    try:
        lib = Library()
        print(f"the catalog of {lib.root} is readable; nothing to rebuild")
        return 0
    except CatalogError as e:
        if not e.damaged:
            raise
        root = e.path.parent
    with writer_lock(root):   # nobody else writes while the catalog is swapped
        aside = set_aside(root)
        lib = Library(root)
        _setup_logging(verbose, lib.log_file)
        done = rebuild(lib, aside)
    print(f"catalog rebuilt from {len(done.videos)} video folder(s), {done.stages} stages done; "
          f"the damaged one is kept as {aside}")
    for vid in done.skipped:
        print(f"skipped {vid}: no readable source.json (ingest its source again)")
    return 0


def _dispatch(lib: Library, args: argparse.Namespace) -> int:
    from . import ask, finetune, ingest, serve, students, study, voice
    if args.command == "voice":
        return voice.voice_enroll(lib, args)
    handlers = {"ingest": ingest.ingest, "status": lambda lib, a: ingest.status(lib, a.json),
                "index": ask.index, "ask": ask.ask, "eval": ask.evaluate,
                "say": voice.say, "serve": serve.serve, "finetune": finetune.finetune,
                "quiz": study.quiz, "insights": study.insights, "guide": study.guide,
                "assignment": study.assignment, "students": students.students}
    return handlers[args.command](lib, args)


def _models() -> int:
    from .. import models
    for kind, name, fn in (("asr", "tiny.en", models.asr_model), ("asr", "base", models.asr_model),
                           ("llm", "qwen2.5-0.5b", models.llm_model),
                           ("llm", "qwen2.5-0.5b-q4_0", models.llm_model),
                           ("embedding", "all-MiniLM-L6-v2", models.embedding_model)):
        try:
            print(f"{kind:10} {name:18} {fn(name)}")
        except models.ModelError as e:
            print(f"lectern: {kind} model {name}: {e}", file=sys.stderr)
            return 1
    try:  # the optional, better LLM: listed (and re-quantized) when its wheels are installed
        print(f"{'llm':10} {'qwen2.5-1.5b':18} {models.llm_model('qwen2.5-1.5b')}")
        print(f"{'llm':10} {'qwen2.5-1.5b-q4_0':18} {models.llm_model('qwen2.5-1.5b-q4_0')}")
    except models.ModelError:
        print(f"{'llm':10} {'qwen2.5-1.5b':18} not installed (optional: pip install -e '.[bigger-llm]')")
    return 0


def entry() -> None:
    sys.exit(main())
