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

sim-R / sim-D as in bench/voice.py; WER: faster-whisper base on each sentence
against its text (the ceilings must stay intelligible to mean anything).

    .venv/bin/python bench/voice_ceilings.py [--instructors lj sonnet] [--strength 0.6]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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


def variants(src, tgt, idx, zs, mapper, strength) -> dict:
    from voice import convert, world
    F = world.Features
    f0p, tf0 = convert.map_f0(src.f0, zs), tgt.f0[idx]
    both = np.where((src.f0 > 0) & (tf0 > 0), tf0, f0p)
    env = tgt.sp[idx]
    return {
        "round trip": tgt,
        "envelopes": F(f0p, _with_loudness(env, src.sp, src.fft_size), src.ap, RATE),
        "+ loudness": F(f0p, env, src.ap, RATE),
        "+ F0": F(both, env, src.ap, RATE),
        "+ voicing, aperiod.": F(tf0, env, tgt.ap[idx], RATE),
        f"adapted {strength:.2f} (mapper)": convert.convert(src, zs, strength, mapper),
    }


def ceilings(ins: vb.Instructor, strength: float) -> None:
    from ingest.media import decode
    from voice import adapt, build, convert, world
    from voice.piper_tts import PiperTTS
    from voice import enroll as en
    from voice.config import VoiceConfig
    cfg = VoiceConfig()
    # the clips enrollment cuts (5-15 s, each with its words), as the mapper trains on them
    clips = [c for f, t in ins.enroll for c in en.from_file(f, cfg, text=t)]
    texts = [c.text for c in clips]
    tgt, src, _ = build.measure(clips, PiperTTS())   # analysed as enrollment analyses them
    zs = convert.estimate(convert.stats(src), convert.stats(tgt), RATE)
    coded = [world.encode_envelope(np.exp(convert.zero_shot_log_envelope(f, zs, 1.0)), RATE, DIMS) for f in src]
    mapper, _ = adapt.train(coded, [world.encode_envelope(f.sp, RATE, DIMS) for f in tgt], DIMS,
                            cfg.adapt_context, cfg.adapt_hidden, cfg.adapt_epochs)
    mapper.gv_weight = cfg.adapt_gv   # as enrollment sets it (build.py)
    held = np.concatenate([decode(p) for p, _ in ins.held])
    audio: dict[str, list[np.ndarray]] = {}
    for s, t in zip(src, tgt):
        for name, f in variants(s, t, _aligned(s, t, zs), zs, mapper, strength).items():
            y = world.synthesize(f)
            audio.setdefault(name, []).append(y * (0.9 / max(float(np.abs(y).max()), 1e-6)))
    print(f"\n## {ins.name}: {len(texts)} enrollment clips ({sum(c.seconds for c in clips):.0f} s), compared with the held-out speech\n"
          f"{'':26} {'sim-R':>6} {'sim-D':>6} {'WER':>6}", flush=True)
    for name, parts in audio.items():
        r, d = vb.sims(np.concatenate(parts), held)
        print(f"{name:26} {r:6.3f} {d:6.3f} {vb.wer(parts, texts):6.3f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instructors", nargs="+", default=["lj", "sonnet"], choices=["lj", "sonnet"])
    ap.add_argument("--strength", type=float, default=0.6, help="the mapper row's strength")
    args = ap.parse_args()
    import ctranslate2
    ctranslate2.set_random_seed(0)
    for name in args.instructors:
        ceilings(vb.instructors()[name], args.strength)


if __name__ == "__main__":
    main()
