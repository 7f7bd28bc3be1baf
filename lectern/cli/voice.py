"""CLI commands of the instructor's voice: `voice enroll`, `say`, and the `speak` hook.

Thin wrappers: they build the VoiceConfig from LECTERN_HOME/config.json's
"voice" section plus the command line, call voice/, and print one line per
result. Errors from voice/ are typed (VoiceError and subclasses); they are
turned into one line here, exit status 1 (2 for configuration errors, which
the CLI package already handles).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Iterator

from ..config import load_file
from ..library import Library

log = logging.getLogger("lectern")


def voice_config(lib_root: Path, **overrides):
    """The "voice" section of config.json, with non-empty overrides on top."""
    from voice.config import VoiceConfig
    from ..config import ConfigError
    section = dict(load_file(lib_root / "config.json").get("voice", {}))
    section.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return VoiceConfig.from_dict(section)
    except TypeError as e:  # pragma: no cover - from_dict reports unknown keys itself
        raise ConfigError(str(e)) from None


def voice_enroll(lib: Library, args: argparse.Namespace) -> int:
    """lectern voice enroll [SOURCE...] [--video ID] [--transcripts FILE] [--name N] [--no-adapt] [--no-tune]"""
    from voice import build
    from voice.enroll import read_transcripts
    from voice.errors import VoiceError
    from voice.profile import LABEL

    cfg = voice_config(lib.root, profile=args.name)
    try:
        transcripts = read_transcripts(Path(args.transcripts)) if args.transcripts else None
        prof = build.enroll(cfg.profile, cfg, [Path(s) for s in args.sources], transcripts,
                            library=lib.root, video_ids=args.video or None, root=lib.root,
                            adapt_enabled=not args.no_adapt, tune_enabled=not args.no_tune)
    except VoiceError as e:
        print(f"lectern: voice enroll: {e}", file=sys.stderr)
        return 1
    sources = sorted({c.source for c in prof.clips})
    print(f"enrolled voice {prof.name!r}: {len(prof.clips)} clips, {prof.seconds:.0f} s from "
          f"{len(sources)} source(s); {prof.modes}; base voice {prof.base_voice}")
    if prof.report.get("adapt_skipped"):
        print(f"note: no adaptation: {prof.report['adapt_skipped']}")
    print(f"profile: {prof.folder}  ({LABEL})")
    return 0


def say(lib: Library, args: argparse.Namespace) -> int:
    """lectern say TEXT [-o FILE] [--mode M] [--backend B] [--name N] [--no-cache]"""
    from voice.errors import VoiceError
    from voice.profile import LABEL
    from voice.synth import Voice

    text = sys.stdin.read() if args.text == "-" else args.text
    cfg = voice_config(lib.root, profile=args.name, mode=args.mode, backend=args.backend,
                       cache=False if args.no_cache else None)
    out = Path(args.output)
    try:
        voice = Voice(cfg, lib.root)
        try:
            chunks = voice.say(text, out)
        finally:
            voice.close()
    except VoiceError as e:
        print(f"lectern: say: {e}", file=sys.stderr)
        return 1
    seconds = sum(c.seconds for c in chunks)
    cached = sum(c.cached for c in chunks)
    print(f"wrote {out}: {seconds:.1f} s, {len(chunks)} sentence(s) ({cached} from cache), "
          f"voice {cfg.profile!r} via {voice.backend.mode} -- {LABEL}")
    return 0


def speak(text: str, lib_root: Path | None = None, **overrides) -> Iterator:
    """The hook for `ask --speak`: yields voice.audio.AudioChunk per sentence as each is ready.

    The voice (and its models) is loaded on the first call and kept for the
    process, so a session of questions pays the load once. Raises
    voice.errors.VoiceError (the caller prints it as one line).
    """
    from lectern.config import home
    root = Path(lib_root) if lib_root else home()
    voice = _voice(str(root), tuple(sorted(overrides.items())))
    yield from voice.speak(text)


_VOICES: dict = {}


def _voice(root: str, overrides: tuple):
    from voice.synth import Voice
    key = (root, overrides)
    if key not in _VOICES:
        _VOICES[key] = Voice(voice_config(Path(root), **dict(overrides)), Path(root))
    return _VOICES[key]
