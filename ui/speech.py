"""The instructor's voice for the web app: the adapter over voice.synth.Voice.

An answer streams in as tokens; as soon as a whole sentence has arrived it is
handed to the voice, so the first sentence is being synthesized (and then
played) while the model is still writing the rest. Each synthesized sentence
becomes a WAV file under LECTERN_HOME/ui/speech/<turn>/<n>.wav that the page
queues up in its audio player; when the answer is complete, all.wav holds
the whole answer for replaying.
"""

from __future__ import annotations

import logging
import queue
import re
import shutil
import threading
import time
from pathlib import Path

from lectern import config as cfgmod
from lectern.library import Library

from .media import speech_root

log = logging.getLogger(__name__)

_MARKERS = re.compile(r"\s*\[\d+(?:,\s*\d+)*\]")
# A sentence is complete at . ! or ? followed by white space (and any citation
# markers right after the stop). "3.5" has no space after the point.
_BOUNDARY = re.compile(r"[.!?](?:\s*\[\d+\])*\s+")
# The first piece of an answer may end at a clause (a comma after some words):
# synthesis time grows with length, and the first sound is what the student waits for.
_FIRST_CLAUSE = re.compile(r"^(?:\S+\s+){%d,}?\S+[,;:](?:\s*\[\d+\])*\s+")
FIRST_CLAUSE_WORDS = 6
KEEP_TURNS = 200           # speech folders kept on disk; older ones are deleted
FORGET_S = 600.0           # a finished answer's speech job is looked up this long after


class SpeechUnavailable(RuntimeError):
    """The voice could not be loaded (no Piper model, broken profile...)."""


class Speaker:
    """One loaded Voice shared by every student; says what kind of voice it is."""

    def __init__(self, lib: Library):
        from voice.config import VoiceConfig
        from voice.errors import ProfileError, VoiceError
        from voice.synth import Voice
        data = cfgmod.load_file(lib.config_file).get("voice", {})
        cfg = VoiceConfig.from_dict(data)
        self.lib = lib
        self._jobs: dict[str, SpeechJob] = {}   # answers still being spoken, by turn
        self._lock = threading.Lock()
        try:
            self.voice = Voice(cfg, lib.root)
            self.label = "Synthesized voice of the instructor (an AI imitation, not a recording)"
        except ProfileError as e:
            # No enrolled profile yet: still speak, in the plain base voice, and say so.
            log.warning("voice: %s; answering in the plain synthetic voice", e)
            try:
                self.voice = Voice(cfgmod.replace(cfg, mode="plain"), lib.root)
            except VoiceError as e2:
                raise SpeechUnavailable(str(e2)) from None
            self.label = "Synthesized voice (the instructor's voice is not enrolled yet)"
        except VoiceError as e:
            raise SpeechUnavailable(str(e)) from None

    def job(self, turn: str) -> SpeechJob:
        _prune(speech_root(self.lib))
        job = SpeechJob(self, speech_root(self.lib) / turn, turn)
        with self._lock:   # forgotten a while after they are done: follow_speech may come late
            now = time.monotonic()
            self._jobs = {t: j for t, j in self._jobs.items()
                          if j.finished_at is None or now - j.finished_at < FORGET_S}
            self._jobs[turn] = job
        return job

    def running(self, turn: str) -> SpeechJob | None:
        """The job of an answer still being spoken (None once it is done and forgotten)."""
        with self._lock:
            return self._jobs.get(turn)

    def close(self) -> None:
        self.voice.close()


class SpeechJob:
    """Speech for one answer: fed text as it streams, writes one WAV per sentence."""

    def __init__(self, speaker: Speaker, folder: Path, turn: str):
        self.speaker, self.folder, self.turn = speaker, folder, turn
        self.folder.mkdir(parents=True, exist_ok=True)
        self.parts: list[str] = []       # URLs of finished sentence WAVs, in order
        self.all_url: str | None = None  # the whole answer, once done
        self.error: str | None = None
        self.first_audio_s: float | None = None
        self.finished_at: float | None = None   # time.monotonic() when the last WAV was written
        self._t0 = time.perf_counter()
        self._buf = ""
        self._sent_any = False
        self._chunks: list = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"speech-{turn[:8]}", daemon=True)
        self._thread.start()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def feed(self, text: str) -> None:
        self._buf += text
        if not self._sent_any:
            m = re.match(_FIRST_CLAUSE.pattern % (FIRST_CLAUSE_WORDS - 1), self._buf)
            if m and not _BOUNDARY.search(self._buf[:m.end()]):
                self._send(self._buf[:m.end()])
                self._buf = self._buf[m.end():]
        last = None
        for last in _BOUNDARY.finditer(self._buf):
            pass
        if last is not None:
            self._send(self._buf[:last.end()])
            self._buf = self._buf[last.end():]

    def finish(self, final_text: str | None = None) -> None:
        """No more text. final_text, when given, replaces what was not yet spoken."""
        rest = self._buf if final_text is None else final_text
        self._buf = ""
        self._send(rest)
        self._queue.put(None)

    def cancel(self) -> None:
        self._queue.put(None)

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return self.done

    def _send(self, text: str) -> None:
        text = _MARKERS.sub("", text).strip()
        if re.search(r"[A-Za-z0-9]", text):
            self._sent_any = True
            self._queue.put(text)

    def _run(self) -> None:
        from voice.audio import join, write_wav
        from voice.errors import VoiceError
        try:
            while (text := self._queue.get()) is not None:
                for chunk in self.speaker.voice.speak(text):
                    n = len(self._chunks)
                    write_wav(self.folder / f"{n}.wav", chunk.samples, chunk.sample_rate)
                    self._chunks.append(chunk)
                    if self.first_audio_s is None:
                        self.first_audio_s = time.perf_counter() - self._t0
                    self.parts.append(f"/speech/{self.turn}/{n}.wav")
            if self._chunks:
                samples, rate = join(self._chunks)
                write_wav(self.folder / "all.wav", samples, rate)
                self.all_url = f"/speech/{self.turn}/all.wav"
            log.info("spoke %d sentence(s); first audio %.1f s after the question, all in %.1f s",
                     len(self._chunks), self.first_audio_s or 0.0, time.perf_counter() - self._t0)
        except (VoiceError, OSError, ValueError, RuntimeError) as e:
            log.warning("speech for turn %s failed: %s", self.turn, e)
            self.error = str(e)
        finally:
            self.finished_at = time.monotonic()


def _prune(root: Path) -> None:
    """Keep the newest KEEP_TURNS answers' speech: the folder must not grow forever."""
    if not root.exists():
        return
    turns = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in turns[:-KEEP_TURNS]:
        shutil.rmtree(old, ignore_errors=True)
