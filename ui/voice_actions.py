"""The instructor's voice controls: find reference clips, choose some, build, preview.

Candidates come from the instructor's own recordings (uploads, probed like
any upload, with an optional transcript) or from ingested lectures (their
audio.wav and word timings). The instructor ticks the clips to keep; the
profile is built from exactly those, in a background job, and the page's
Speaker is reloaded so students hear the new voice at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from lectern import config as cfgmod
from lectern.library import Library

from .actions import ActionError, check_uploads
from .jobs import Job, JobRunner


def voice_config(lib: Library):
    from voice.config import VoiceConfig
    return VoiceConfig.from_dict(cfgmod.load_file(lib.config_file).get("voice", {}))


class VoiceClips:
    """Candidate clips found for the instructor to choose from (one instructor at a time)."""

    def __init__(self, lib: Library):
        self.lib = lib
        self.candidates: list = []          # voice.enroll.Clip
        self._lock = threading.Lock()

    @staticmethod
    def label(i: int, c) -> str:
        text = (c.text[:70] + "…") if len(c.text) > 70 else c.text
        return (f"#{i} {c.source} {c.start:.1f}-{c.end:.1f} s, confidence {c.confidence:.2f}: "
                f"{text or '(no text)'}")

    def find(self, video_ids: list[str], uploads: list[Path], text: str) -> list[str]:
        """Look for clean clips; returns their labels (all of them are offered, none chosen)."""
        from voice import enroll
        from voice.errors import EnrollmentError
        cfg = voice_config(self.lib)
        media, refused = check_uploads(uploads)
        if refused:
            raise ActionError("; ".join(refused))
        try:
            found = []
            for p in media:
                found += enroll.from_file(Path(p), cfg, text.strip() or None)
            if video_ids:
                found += enroll.from_library(self.lib.root, cfg, video_ids)
        except EnrollmentError as e:
            raise ActionError(str(e)) from None
        if not found:
            raise ActionError("no clean single-speaker clips of 5-15 s were found")
        with self._lock:
            self.candidates = enroll.pick(found, cfgmod.replace(cfg, clips_max=64,
                                                                 enroll_seconds=10_000.0))
            return [self.label(i, c) for i, c in enumerate(self.candidates)]

    def chosen(self, labels: list[str]) -> list:
        with self._lock:
            by_label = {self.label(i, c): c for i, c in enumerate(self.candidates)}
        clips = [by_label[x] for x in labels if x in by_label]
        if not clips:
            raise ActionError("choose at least one reference clip")
        return clips


def start_build(lib: Library, runner: JobRunner, clips: list,
                on_done: Callable[[], None]) -> Job:
    def work(job: Job) -> None:
        from voice.build import build
        from voice.config import resolve_device
        from voice.piper_tts import PiperTTS
        cfg = voice_config(lib)
        job.say(f"building voice profile {cfg.profile!r} from {len(clips)} clip(s), "
                f"{sum(c.seconds for c in clips):.0f} s")
        prof = build(cfg.profile, clips, cfg, PiperTTS(cfg.piper_model, resolve_device(cfg)), lib.root)
        job.say(f"profile built: {prof.modes}, "
                f"{prof.seconds:.0f} s of reference speech")
        on_done()
        job.say("students now hear the new voice")
    return runner.start("voice", work)


def preview(speaker, text: str, folder: Path) -> Path:
    """The text in the current voice, as one WAV file (labelled as synthesized)."""
    from voice.errors import VoiceError
    if speaker is None:
        raise ActionError("the voice is turned off or could not be loaded")
    text = (text or "").strip() or "Hello, this is a preview of the synthesized voice."
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "preview.wav"
    try:
        speaker.voice.say(text[:600], path)
    except VoiceError as e:
        raise ActionError(str(e)) from None
    return path
