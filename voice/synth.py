"""Voice.speak: text in, sentence-by-sentence audio out, streamed, batched, cached.

A worker thread owns the backend and drains one queue of sentences from all
concurrent speak() calls, taking up to batch_size at a time, so requests that
arrive together share model calls where the backend batches (Piper on a GPU,
say). Each speak() call yields its own sentences in order as soon as each is
ready: the first sentence plays while the next ones are synthesised.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Iterator

import numpy as np

from lectern.config import home

from . import convert, profile as profiles, world
from .audio import AudioChunk, read_wav, write_wav
from .config import VoiceConfig, resolve_batch, resolve_device
from .errors import ProfileError, VoiceError
from .build import clamp_rate
from .text import speakable

DEFAULT_STRENGTH = {"zero-shot": 1.0, "adapted": 0.6}  # when a profile was not tuned
# Exemplar weight when a profile was not tuned (measured on LJSpeech, bench/voice.py's
# text): zero-shot 0.6 resemblyzer 0.647 -> 0.710, Whisper WER 0.096 -> 0.096;
# adapted 0.6: 0.726 -> 0.757, WER 0.077 -> 0.067.
DEFAULT_EXEMPLAR = {"zero-shot": 0.6, "adapted": 0.6}

log = logging.getLogger(__name__)


class PiperWorld:
    """Piper base voice, converted toward the profile with WORLD (the offline default)."""

    rate = 16000

    def __init__(self, cfg: VoiceConfig, profile: profiles.Profile | None):
        from .piper_tts import PiperTTS
        self.cfg, self.profile = cfg, profile
        self.mode = self._mode(cfg, profile)
        self.piper = PiperTTS(cfg.piper_model, resolve_device(cfg), cfg.threads)
        self.mapper = profile.mapper() if self.mode == "adapted" else None
        if self.mapper is not None:
            self.mapper.gv_weight = cfg.adapt_gv
        zs = self.mode == "zero-shot"
        self.strength = self._tuned(profile, self.mode, cfg.zero_shot_strength if zs else cfg.adapted_strength,
                                    "strengths", DEFAULT_STRENGTH)
        self.exemplar = self._tuned(profile, self.mode, cfg.zero_shot_exemplar if zs else cfg.adapted_exemplar,
                                    "exemplar", DEFAULT_EXEMPLAR)
        self.matcher = None
        if self.exemplar > 0:
            from .exemplar import Matcher
            self.matcher = Matcher(profile.pool)
        rate = profile.speaking_rate if profile and self.mode != "plain" else 1.0
        self.length_scale = cfg.length_scale or clamp_rate(rate)
        self.done_at: list[float] = []   # completion time of each synthesised sentence (tests, bench)

    @staticmethod
    def _mode(cfg: VoiceConfig, profile) -> str:
        if cfg.mode == "plain":
            return "plain"
        if profile is None:
            raise ProfileError(f"voice mode {cfg.mode!r} needs an enrolled profile "
                               "(run `lectern voice enroll`), or use mode 'plain'")
        if cfg.mode == "adapted" and not profile.adapted:
            raise ProfileError(f"voice profile {profile.name!r} has no adaptation "
                               "(enroll with transcribed speech, at least 20 s)")
        if cfg.mode == "auto":
            return profile.auto_mode
        return cfg.mode

    @staticmethod
    def _tuned(profile, mode: str, given: float | None, report_key: str, default: dict) -> float:
        """A conversion setting: as configured, else as enrollment tuned it, else the default."""
        if mode == "plain":
            return 0.0
        if given is not None:
            return given
        tuned = (profile.report.get(report_key) or {}).get(mode)
        return float(tuned) if tuned is not None else default[mode]

    @property
    def key(self) -> str:
        who = self.profile.key if self.profile and self.mode != "plain" else "-"
        return (f"piper-world|{self.piper.name}|{self.mode}|{self.strength}|{self.cfg.adapt_gv}|"
                f"{self.exemplar}|{self.cfg.exemplar_k}|{self.length_scale}|{self.cfg.frame_ms}|{who}")

    def convert(self, audio: np.ndarray) -> np.ndarray:
        if self.mode == "plain" or len(audio) < self.rate // 20:
            return audio
        f = world.analyze(audio, self.rate, frame_ms=self.cfg.frame_ms)
        out = world.synthesize(convert.convert(f, self.profile.zero_shot, self.strength, self.mapper,
                                               self.matcher, self.exemplar, self.cfg.exemplar_k))
        peak = float(np.max(np.abs(out))) if len(out) else 0.0
        return out * (0.9 / peak) if peak > 1e-6 else out

    def synthesize_batch(self, sentences: list[str]) -> list[np.ndarray]:
        out = []
        for audio in self.piper.synthesize_batch(sentences, self.length_scale):
            out.append(self.convert(audio))
            self.done_at.append(time.monotonic())
        return out


def load_backend(cfg: VoiceConfig, root: Path | None = None):
    prof = None
    if cfg.mode != "plain":
        prof = profiles.load(cfg.profile, root)
    if cfg.backend == "xtts":
        from .xtts import XttsBackend
        if prof is None:
            raise ProfileError("the XTTS backend clones from reference clips: enroll a profile first")
        return XttsBackend(cfg, prof)
    return PiperWorld(cfg, prof)


class AudioCache:
    """WAVs keyed by (voice, text) under LECTERN_HOME/voice/cache/."""

    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, voice_key: str, text: str) -> Path:
        h = hashlib.sha256(f"{voice_key}\n{text}".encode()).hexdigest()[:32]
        return self.folder / h[:2] / f"{h}.wav"

    def get(self, voice_key: str, text: str) -> np.ndarray | None:
        p = self.path(voice_key, text)
        if not p.exists():
            return None
        try:
            return read_wav(p)[0]
        except Exception:  # a damaged cache file is a miss, not an error
            return None

    def put(self, voice_key: str, text: str, samples: np.ndarray, rate: int) -> None:
        write_wav(self.path(voice_key, text), samples, rate)


class _Job:
    __slots__ = ("text", "future")

    def __init__(self, text: str):
        self.text, self.future = text, Future()


class Voice:
    """The instructor's (synthesized) voice. speak() may be called from many threads."""

    def __init__(self, cfg: VoiceConfig | None = None, root: Path | None = None, backend=None):
        self.cfg = cfg or VoiceConfig()
        self.root = root or home()
        self.backend = backend or load_backend(self.cfg, self.root)
        self.batch = resolve_batch(self.cfg)
        self.cache = AudioCache(self.root / "voice" / "cache") if self.cfg.cache else None
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._stream_lock = threading.Lock()
        self._worker = threading.Thread(target=self._run, name="voice-synth", daemon=True)
        self._worker.start()
        self.batches: list[int] = []   # sizes of the backend calls made (for tests and the bench)

    @property
    def sample_rate(self) -> int:
        return self.backend.rate

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            jobs = [job]
            while len(jobs) < self.batch:
                try:
                    nxt = self._queue.get(timeout=0.01)  # a short wait lets concurrent requests join
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                jobs.append(nxt)
            self.batches.append(len(jobs))
            try:
                results = self.backend.synthesize_batch([j.text for j in jobs])
                for j, r in zip(jobs, results):
                    j.future.set_result(r)
            except Exception as e:  # hand the failure to every waiting speak() call
                for j in jobs:
                    j.future.set_exception(e)

    def speak(self, text: str) -> Iterator[AudioChunk]:
        """Yield one AudioChunk per sentence of the normalised text, in order, as each is ready."""
        sentences = speakable(text)
        if hasattr(self.backend, "stream") and self.batch == 1:
            yield from self._speak_streamed(sentences)
            return
        key = self.backend.key
        pending: list[tuple[str, np.ndarray | _Job]] = []
        for s in sentences:   # queue every uncached sentence now: synthesis runs ahead of playback
            hit = self.cache.get(key, s) if self.cache else None
            if hit is None:
                job = _Job(s)
                self._queue.put(job)
                pending.append((s, job))
            else:
                pending.append((s, hit))
        for i, (s, item) in enumerate(pending):
            if isinstance(item, _Job):
                try:
                    samples = item.future.result()
                except VoiceError:
                    raise
                except Exception as e:
                    raise VoiceError(f"synthesis failed on {s[:40]!r}: {e}") from e
                if self.cache and len(samples):
                    self.cache.put(key, s, samples, self.backend.rate)
                yield AudioChunk(samples, self.backend.rate, s, i)
            else:
                yield AudioChunk(item, self.backend.rate, s, i, cached=True)

    def _speak_streamed(self, sentences: list[str]) -> Iterator[AudioChunk]:
        """Backends that stream within a sentence (XTTS): pieces out as the model makes them."""
        key, rate = self.backend.key, self.backend.rate
        for i, s in enumerate(sentences):
            hit = self.cache.get(key, s) if self.cache else None
            if hit is not None:
                yield AudioChunk(hit, rate, s, i, cached=True)
                continue
            parts: list[np.ndarray] = []
            with self._stream_lock:   # one generation at a time: the model is not re-entrant
                prev = None
                for part in self.backend.stream(s):
                    if prev is not None:
                        yield AudioChunk(prev, rate, s, i, final=False)
                    parts.append(part)
                    prev = part
            if prev is not None:
                yield AudioChunk(prev, rate, s, i, final=True)
                if self.cache:
                    self.cache.put(key, s, np.concatenate(parts), rate)

    def say(self, text: str, path: Path) -> list[AudioChunk]:
        """Speak the whole text into one WAV file (atomically), labelled as synthesized."""
        from .audio import join
        pieces = list(self.speak(text))
        if not pieces:
            raise VoiceError("nothing to say: the text has no speakable words")
        chunks = _whole_sentences(pieces)
        samples, rate = join(chunks)
        write_wav(path, samples, rate)
        return chunks

    def close(self) -> None:
        self._queue.put(None)
        self._worker.join(timeout=30)


def _whole_sentences(pieces: list[AudioChunk]) -> list[AudioChunk]:
    """Merge streamed pieces back into one chunk per sentence."""
    out: list[AudioChunk] = []
    buf: list[np.ndarray] = []
    for p in pieces:
        buf.append(p.samples)
        if p.final:
            out.append(AudioChunk(np.concatenate(buf), p.sample_rate, p.text, p.index, p.cached))
            buf = []
    return out
