"""Building a voice profile from enrollment clips: measure, fit, save.

Piper speaks the clips' own text, so the zero-shot statistics compare the two
voices on the same words, and the adaptation has its parallel pairs.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np

from lectern.config import to_dict

from . import adapt, convert, exemplar, profile as profiles, world
from .config import VoiceConfig
from .enroll import Clip
from .errors import EnrollmentError
from .piper_tts import RATE, PiperTTS

log = logging.getLogger(__name__)

ADAPT_MIN_S = 20.0   # less transcribed speech than this over-fits the mapping: zero-shot only
# Used for Piper's side of the statistics when no clip has text.
DEFAULT_TEXTS = (
    "The quick brown fox jumps over the lazy dog while the children watch from the garden.",
    "Today we will look at how energy moves through a system, and why some of it is always lost.",
    "Please read the second chapter before Thursday; we will discuss the examples in class.",
    "If you have questions about the homework, bring them to office hours on Monday afternoon.",
)


def _active_seconds(audio: np.ndarray) -> float:
    """Seconds of non-silent 20 ms frames: speaking time without pauses."""
    frame = RATE // 50
    n = len(audio) // frame
    if n == 0:
        return 0.0
    rms = np.sqrt((audio[:n * frame].reshape(n, frame) ** 2).mean(1) + 1e-12)
    return float((rms > rms.max() * 10 ** (-35 / 20)).sum()) * frame / RATE


def measure(clips: list[Clip], piper: PiperTTS):
    """WORLD features of the clips and of Piper speaking the same text (or default text)."""
    target = [world.analyze(c.audio, RATE, harvest=True) for c in clips]
    texts = [c.text for c in clips if c.text] or list(DEFAULT_TEXTS)
    source_audio = piper.synthesize_batch(texts)
    source = [world.analyze(a, RATE) for a in source_audio]
    return target, source, source_audio


def build(name: str, clips: list[Clip], cfg: VoiceConfig, piper: PiperTTS,
          root: Path | None = None, adapt_enabled: bool = True, tune_enabled: bool = True) -> profiles.Profile:
    if not clips:
        raise EnrollmentError("no usable reference clips (clean single-speaker speech of 5-15 s)")
    t0 = time.monotonic()
    target, source, source_audio = measure(clips, piper)
    zs = convert.estimate(convert.stats(source), convert.stats(target), RATE)
    pool = exemplar.build_pool(target, cfg.envelope_dims)
    texted = [i for i, c in enumerate(clips) if c.text]
    rate = 1.0
    if texted:
        rate = sum(_active_seconds(clips[i].audio) for i in texted) / max(
            sum(_active_seconds(a) for a in source_audio), 1e-6)
    report: dict = {"zero_shot_seconds": round(time.monotonic() - t0, 1)}
    mapper = None
    texted_s = sum(clips[i].seconds for i in texted)
    if adapt_enabled and len(texted) == len(clips) and texted_s >= ADAPT_MIN_S:
        dims = cfg.envelope_dims
        src_coded = [world.encode_envelope(np.exp(convert.zero_shot_log_envelope(f, zs, 1.0)), RATE, dims)
                     for f in source]
        tgt_coded = [world.encode_envelope(f.sp, RATE, dims) for f in target]
        mapper, tr = adapt.train(src_coded, tgt_coded, dims, cfg.adapt_context, cfg.adapt_hidden,
                                 cfg.adapt_epochs)
        report.update(adapt_frames=tr.frames, adapt_loss=round(tr.loss, 4), adapt_seconds=round(tr.seconds, 1))
        log.info("adapted on %.0f s of transcribed speech (%d frames) in %.0f s", texted_s, tr.frames, tr.seconds)
    elif adapt_enabled:
        report["adapt_skipped"] = (f"{texted_s:.0f} s of transcribed speech in {len(texted)}/{len(clips)} "
                                   f"clips; adaptation needs all clips transcribed and {ADAPT_MIN_S:.0f} s")
    if tune_enabled:
        from .tune import tune
        if mapper is not None:
            mapper.gv_weight = cfg.adapt_gv
        t1 = time.monotonic()
        tuned = tune(piper, zs, mapper, np.concatenate([c.audio for c in clips]), clamp_rate(rate),
                     frame_ms=cfg.frame_ms, exemplars=exemplar.Matcher(pool), k=cfg.exemplar_k)
        report.update(strengths=tuned.strengths, exemplar=tuned.exemplar, trials=tuned.trials,
                      auto=tuned.auto, tune_seconds=round(time.monotonic() - t1, 1))
    return _save(name, clips, cfg, piper, zs, rate, mapper, pool, report, root)


def clamp_rate(rate: float) -> float:
    # the instructor's measured pace, within reason: a bad measurement must not drawl
    return float(min(max(rate, 0.8), 1.3))


def _save(name, clips, cfg, piper, zs, rate, mapper, pool, report, root) -> profiles.Profile:
    from .audio import wav_bytes
    from lectern.artifacts import write_atomic

    folder = profiles.profile_dir(name, root)
    staging = folder.with_name(f".{name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    infos = []
    for i, c in enumerate(clips):
        rel = f"refs/{i:02d}.wav"
        write_atomic(staging / rel, wav_bytes(c.audio, RATE, label=f"reference clip of {name} ({c.source})"))
        infos.append(profiles.ClipInfo(rel, c.source, round(c.start, 3), round(c.end, 3), c.text,
                                       round(c.confidence, 4)))
    if mapper is not None:
        mapper.save(staging / "mapper.pt")
    prof = profiles.Profile(name, staging, tuple(infos), piper.name, zs, rate, mapper is not None, pool, report)
    profiles.save(prof, to_dict(cfg))
    # swap the finished folder in: a half-built profile is never visible under its name
    old = folder.with_name(f".{name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return profiles.load(name, root)


def enroll(name: str, cfg: VoiceConfig, files: list[Path] = (), transcripts: dict[str, str] | None = None,
           library: Path | None = None, video_ids: list[str] | None = None, root: Path | None = None,
           adapt_enabled: bool = True, asr_model: str = "base", tune_enabled: bool = True) -> profiles.Profile:
    """Enroll from the instructor's files, and/or (no files, or video ids given) the ingested lectures.

    Files are taken as the instructor's own word: every clean clip is kept.
    Lecture clips are candidates only: they must also agree on one voice.
    """
    from lectern.config import home

    from . import enroll as en
    clips: list[Clip] = []
    for f in map(Path, files):
        if not f.is_file():
            raise EnrollmentError(f"{f}: no such file")
        clips += en.from_file(f, cfg, (transcripts or {}).get(f.stem), asr_model)
    if not files or video_ids:
        lib_root = Path(library or root or home())
        candidates = en.from_library(lib_root, cfg, video_ids)
        if not candidates:
            raise EnrollmentError(f"no clean single-speaker clips of {cfg.clip_min_s:.0f}-{cfg.clip_max_s:.0f} s "
                                  f"in the lectures of {lib_root} (ingest lectures first, or give recordings)")
        # the speaker check costs an embedding per clip: run it on the most confident few
        best = sorted(candidates, key=lambda c: -c.confidence)[:2 * cfg.clips_max]
        clips += en.pick(en.single_speaker(best), cfg)
    return build(name, clips, cfg, PiperTTS(cfg.piper_model, threads=cfg.threads), root, adapt_enabled, tune_enabled)
