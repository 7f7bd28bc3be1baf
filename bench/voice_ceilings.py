"""What each part of the voice conversion can be worth: ceilings from the instructor's own speech.

bench/voice.py measures the conversion that ships. This script measures what a
perfect version of each part would give, so that work goes where the gap is.
Piper speaks the enrollment clips' text (the 5-15 s clips enrollment cuts); its frames are
aligned to the instructor's recording of the same words (DTW, as adaptation aligns them);
then parts of Piper's WORLD features are swapped for the instructor's aligned
ones and the result is compared with the held-out real speech, like the bench:

  round trip          the instructor's enrollment speech through WORLD alone
  envelopes           the instructor's spectral envelopes on Piper's timing, with
                      Piper's loudness contour, mapped F0 and excitation (what a
                      perfect envelope mapping can reach: the mapper keeps Piper's loudness)
  + loudness          ... and the instructor's loudness contour (c0)
  + F0                ... and the instructor's F0 where both voices are voiced
  + voicing, aperiod. ... and the instructor's voicing and aperiodicity: all but timing
  adapted (mapper)    the trained mapping at the bench's default strength, on these
                      same (training) sentences: how far the mapper gets toward row 2
  adapted + ... stats what the instructor's statistics (not aligned frames) add to the
                      mapper for each of the three: the mean voiced log-aperiodicity per
                      frequency; the spread of voiced loudness and its course over the
                      utterance (8 steps); the course of log-F0 over the utterance

The ceilings are frame by frame: the instructor's loudness, F0 and excitation of each sound
of these very sentences. Measured 2026-11-30: the statistics rows stay within 0.007 of the
mapper's resemblyzer similarity (LJSpeech 0.776 -> 0.775-0.777, sonnet reader 0.618 ->
0.618-0.625, physics lecturer 0.700 -> 0.698-0.701; d-vector within 0.015), against
+0.05 to +0.16 for the aligned frames, so what the ceilings hold is the prosody of each
sound in context, which only a model that knows what is being said could predict (the
same held on the bench's held-out sentences, and for aperiodicity taken from the k
nearest enrolled frames instead of a mean).
Last, whether this much speech could train such a model: the instructor's loudness and F0
of each frame predicted from Piper's frames around it, on clips left out (predictability()).
Measured: loudness error 0.87 (LJSpeech), 0.99 (sonnet reader) and 0.98 (physics lecturer)
of a constant's from Piper's own loudness, 0.96 / 1.08 / 1.00 from a ridge regression on
Piper's frames; F0 1.00 / 0.99 / 1.01 and 1.11 / 1.03 / 1.07. Piper's intonation says
nothing about the instructor's on the same words, and 0.5-2 minutes of speech do not
teach it: that needs a model trained on far more of the instructor (or a neural cloning
model, the XTTS backend).

--curve: the adapted voice (mapper at --strength) on the held-out speech's own text against
a quarter, half, three quarters and all of the enrollment clips. Measured 2026-11-30
(resemblyzer): LJSpeech 10 s 0.748, 34 s 0.776; sonnet reader 23 s 0.598, 101 s 0.595;
physics lecturer 28 s 0.681, 120 s 0.700. The envelope mapping has what it can learn from
tens of seconds; more of the same speech does not lift it toward 0.80.

sim-R / sim-D as in bench/voice.py; WER: faster-whisper base on each sentence
against its text (the ceilings must stay intelligible to mean anything).

    .venv/bin/python bench/voice_ceilings.py [--instructors lj sonnet lewin] [--strength 0.6] [--curve]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import voice as vb  # noqa: E402  (instructors, similarity and WER as the bench has them)

RATE = 16000
DIMS = 40   # VoiceConfig.envelope_dims, as enrollment codes envelopes


def _aligned(src, tgt, zs) -> np.ndarray:
    """For each Piper frame, the instructor's frame DTW pairs it with (median of the path's)."""
    from voice import adapt, convert, world
    cs = world.encode_envelope(np.exp(convert.zero_shot_log_envelope(src, zs, 1.0)), RATE, DIMS)
    ct = world.encode_envelope(tgt.sp, RATE, DIMS)
    path = adapt.align(cs, ct)
    idx = np.zeros(len(src.f0), int)
    for i in range(len(src.f0)):
        idx[i] = int(np.median(path[path[:, 0] == i, 1]))
    return idx


def _with_loudness(sp: np.ndarray, like: np.ndarray, fft_size: int) -> np.ndarray:
    """sp's envelope shapes at the frame energies (c0) of `like`."""
    from voice import world
    coded = world.encode_envelope(sp, RATE, DIMS)
    coded[:, 0] = world.encode_envelope(like, RATE, DIMS)[:, 0]
    return world.decode_envelope(coded, RATE, fft_size)


STEPS = 8   # the utterance cut into this many equal stretches of its voiced span
MIN_VOICED = 21   # frames: an utterance with fewer voiced frames has no statistics worth taking


def _log_ap(f) -> np.ndarray:
    return np.log(np.clip(f.ap, 1e-4, 1.0))


def _position(voiced: np.ndarray) -> np.ndarray:
    """Each frame's place in the utterance's voiced span, in STEPS (0 at its first voiced frame)."""
    vi = np.flatnonzero(voiced)
    return (np.arange(len(voiced)) - vi[0]) * STEPS / max(vi[-1] - vi[0] + 1, 1)


def _course(f, values: np.ndarray) -> np.ndarray:
    """Mean of values (one per voiced frame, utterance mean removed) in each STEPS-th of the voiced span."""
    step = np.floor(_position(f.voiced)[f.voiced]).astype(int).clip(0, STEPS - 1)
    return np.array([values[step == b].mean() if (step == b).any() else 0.0 for b in range(STEPS)])


def statistics(feats) -> dict:
    """A voice's per-utterance statistics: voiced log-aperiodicity, loudness spread and course, F0 course."""
    from voice import world
    ap, spread, c0, f0 = [], [], [], []
    for f in (f for f in feats if f.voiced.sum() >= MIN_VOICED):
        e = world.encode_envelope(f.sp, RATE, DIMS)[f.voiced, 0]
        lf = np.log(f.f0[f.voiced])
        ap.append(_log_ap(f)[f.voiced])
        spread.append(e - np.median(e))
        c0.append(_course(f, e - np.median(e)))
        f0.append(_course(f, lf - lf.mean()))
    return {"ap": np.concatenate(ap).mean(0), "spread": float(np.concatenate(spread).std()),
            "c0": np.mean(c0, 0), "f0": np.mean(f0, 0)}


def with_statistics(g, src, s: dict, t: dict, part: str):
    """g (a conversion of src) given the instructor's statistic `part` in place of Piper's."""
    from voice import world
    if src.voiced.sum() < MIN_VOICED:
        return g
    pos = _position(src.voiced) - 0.5   # each step's value sits at its middle
    course = lambda key: np.interp(pos, np.arange(STEPS), t[key] - s[key])  # noqa: E731
    if part == "ap":
        ap = np.exp(_log_ap(src) + np.where(src.voiced[:, None], t["ap"] - s["ap"], 0.0))
        return world.Features(g.f0, g.sp, np.clip(ap, 1e-4, 1.0), RATE, g.frame_ms)
    if part == "F0":
        return world.Features(g.f0 * np.exp(course("f0")), g.sp, g.ap, RATE, g.frame_ms)
    coded = world.encode_envelope(g.sp, RATE, DIMS)
    level = np.median(coded[src.voiced, 0])
    scaled = level + (coded[:, 0] - level) * t["spread"] / s["spread"]
    coded[:, 0] = np.where(src.voiced, scaled, coded[:, 0]) + course("c0")
    return world.Features(g.f0, world.decode_envelope(coded, RATE, g.fft_size), g.ap, RATE, g.frame_ms)


def variants(src, tgt, idx, zs, mapper, strength, stats) -> dict:
    from voice import convert, world
    F = world.Features
    f0p, tf0 = convert.map_f0(src.f0, zs), tgt.f0[idx]
    both = np.where((src.f0 > 0) & (tf0 > 0), tf0, f0p)
    env = tgt.sp[idx]
    mapped = convert.convert(src, zs, strength, mapper)
    return {
        "round trip": tgt,
        "envelopes": F(f0p, _with_loudness(env, src.sp, src.fft_size), src.ap, RATE),
        "+ loudness": F(f0p, env, src.ap, RATE),
        "+ F0": F(both, env, src.ap, RATE),
        "+ voicing, aperiod.": F(tf0, env, tgt.ap[idx], RATE),
        f"adapted {strength:.2f} (mapper)": mapped,
        **{f"adapted + {part} stats": with_statistics(mapped, src, *stats, part)
           for part in ("ap", "loudness", "F0")},
    }


class Series(NamedTuple):
    """One prosodic value per Piper frame: Piper's own, the instructor's aligned, where both count."""

    piper: np.ndarray
    instructor: np.ndarray
    mask: np.ndarray


class Frames(NamedTuple):
    inputs: np.ndarray            # Piper's frames with context (frames x ~700)
    series: dict[str, Series]     # "loudness", "F0"


def _frames(src, tgt, idx, zs) -> Frames:
    """Per Piper frame: its coded envelope with context, and (Piper, instructor) loudness and F0 z-score.

    Context: 8 frames either side, every 4th (+-160 ms), as a prosody model would see the sounds around.
    """
    from voice import world
    def rel(f, st):   # loudness relative to the clip's voiced median, F0 as the voice's z-score
        c = world.encode_envelope(f.sp, RATE, DIMS)
        c[:, 0] -= np.median(c[f.voiced, 0])
        z = np.where(f.voiced, (np.log(np.where(f.voiced, f.f0, 1.0)) - st.lf0_mean) / st.lf0_std, 0.0)
        return c, z
    (c, z), (ct, zt) = rel(src, zs.source), rel(tgt, zs.target)
    ctx = np.clip(np.arange(len(c))[:, None] + 4 * np.arange(-8, 9)[None], 0, len(c) - 1)
    x = np.concatenate([c[ctx].reshape(len(c), -1), src.voiced[ctx], z[ctx]], 1)
    both = src.voiced & tgt.voiced[idx]
    return Frames(x, {"loudness": Series(c[:, 0], ct[idx, 0], src.voiced), "F0": Series(z, zt[idx], both)})


def predictability(frames: list[Frames]) -> None:
    """Can the instructor's loudness and F0 per sound be predicted from Piper's frames?

    Leave one clip out: a ridge regression (strongly regularised: it has ~700 inputs) on
    Piper's frames with context, and Piper's own value linearly rescaled, each as the
    error on the left-out clip over the error of a constant (the instructor's mean).
    Below 1.0 is what a prosody model trained on this much speech could learn.
    """
    for part in ("loudness", "F0"):
        err = np.zeros(3)
        for k in range(len(frames)):
            rest = [f for i, f in enumerate(frames) if i != k]
            mask = np.concatenate([f.series[part].mask for f in rest])
            x = np.concatenate([f.inputs for f in rest])[mask]
            own = np.concatenate([f.series[part].piper for f in rest])[mask]
            y = np.concatenate([f.series[part].instructor for f in rest])[mask]
            mu, sd = x.mean(0), x.std(0) + 1e-6
            xn = (x - mu) / sd
            w = np.linalg.solve(xn.T @ xn + 1e4 * np.eye(x.shape[1]), xn.T @ (y - y.mean()))
            xk, (ownk, yk, mk) = frames[k].inputs, frames[k].series[part]
            line = np.polyfit(own, y, 1)
            err += [((yk[mk] - y.mean()) ** 2).sum(), ((yk[mk] - np.polyval(line, ownk[mk])) ** 2).sum(),
                    ((yk[mk] - ((xk[mk] - mu) / sd @ w + y.mean())) ** 2).sum()]
        print(f"instructor's {part:8} per frame, left-out clips, error / a constant's: "
              f"Piper's own value {err[1] / err[0]:.2f}, ridge on Piper's frames {err[2] / err[0]:.2f}", flush=True)


def _mapper(src, tgt, zs, cfg):
    """The envelope mapping trained as enrollment trains it (build.py)."""
    from voice import adapt, convert, world
    coded = [world.encode_envelope(np.exp(convert.zero_shot_log_envelope(f, zs, 1.0)), RATE, DIMS) for f in src]
    mapper, _ = adapt.train(coded, [world.encode_envelope(f.sp, RATE, DIMS) for f in tgt], DIMS,
                            cfg.adapt_context, cfg.adapt_hidden, cfg.adapt_epochs)
    mapper.gv_weight = cfg.adapt_gv
    return mapper


def curve(ins: vb.Instructor, held: np.ndarray, clips, src, tgt, piper, cfg, strength: float) -> None:
    """Adapted likeness to the held-out speech (`held`, its text in ins) against seconds of enrollment."""
    from voice import convert, world
    feats = [world.analyze(a, RATE, frame_ms=cfg.frame_ms) for a in piper.synthesize_batch([t for _, t in ins.held])]
    order = np.random.default_rng(0).permutation(len(clips))
    print(f"{'enrollment':26} {'sim-R':>6} {'sim-D':>6}   (adapted {strength:.2f}, held-out text)")
    for share in (0.25, 0.5, 0.75, 1.0):
        pick = order[:max(1, round(len(clips) * share))]
        s, t = [src[i] for i in pick], [tgt[i] for i in pick]
        zs = convert.estimate(convert.stats(s), convert.stats(t), RATE)
        mapper = _mapper(s, t, zs, cfg)
        out = [world.synthesize(convert.convert(f, zs, strength, mapper)) for f in feats]
        r, d = vb.sims(np.concatenate(out), held)
        label = f"{len(pick)} clips, {sum(clips[i].seconds for i in pick):.0f} s"
        print(f"{label:26} {r:6.3f} {d:6.3f}", flush=True)


def ceilings(ins: vb.Instructor, strength: float, with_curve: bool = False) -> None:
    from ingest.media import decode
    from voice import build, convert, world
    from voice.piper_tts import PiperTTS
    from voice import enroll as en
    from voice.config import VoiceConfig
    cfg = VoiceConfig()
    # the clips enrollment cuts (5-15 s, each with its words), as the mapper trains on them
    clips = [c for f, t in ins.enroll for c in en.from_file(f, cfg, text=t)]
    texts = [c.text for c in clips]
    piper = PiperTTS()
    tgt, src, _ = build.measure(clips, piper)   # analysed as enrollment analyses them
    zs = convert.estimate(convert.stats(src), convert.stats(tgt), RATE)
    mapper = _mapper(src, tgt, zs, cfg)
    held = np.concatenate([decode(p) for p, _ in ins.held])
    stats = (statistics(src), statistics(tgt))
    audio: dict[str, list[np.ndarray]] = {}
    frames = []
    for s, t in zip(src, tgt):
        idx = _aligned(s, t, zs)
        frames.append(_frames(s, t, idx, zs))
        for name, f in variants(s, t, idx, zs, mapper, strength, stats).items():
            y = world.synthesize(f)
            audio.setdefault(name, []).append(y * (0.9 / max(float(np.abs(y).max()), 1e-6)))
    print(f"\n## {ins.name}: {len(texts)} enrollment clips ({sum(c.seconds for c in clips):.0f} s), compared with the held-out speech\n"
          f"{'':26} {'sim-R':>6} {'sim-D':>6} {'WER':>6}", flush=True)
    for name, parts in audio.items():
        r, d = vb.sims(np.concatenate(parts), held)
        print(f"{name:26} {r:6.3f} {d:6.3f} {vb.wer(parts, texts):6.3f}", flush=True)
    predictability(frames)
    if with_curve:
        curve(ins, held, clips, src, tgt, piper, cfg, strength)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instructors", nargs="+", default=["lj", "sonnet"], choices=["lj", "sonnet", "lewin"])
    ap.add_argument("--strength", type=float, default=0.6, help="the mapper row's strength")
    ap.add_argument("--curve", action="store_true", help="also: adapted likeness against seconds of enrollment")
    args = ap.parse_args()
    import tempfile

    import ctranslate2
    ctranslate2.set_random_seed(0)
    for name in args.instructors:
        ceilings(vb.instructor(name, Path(tempfile.mkdtemp(prefix="lectern-ceilings-"))), args.strength, args.curve)


if __name__ == "__main__":
    main()
