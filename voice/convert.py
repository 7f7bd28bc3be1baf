"""Zero-shot conversion of Piper's voice toward the instructor's, on WORLD features.

Three measured differences between the base voice and the instructor, each
undone separately because each needs only a few seconds of reference speech:
  - pitch: log-F0 mean and spread mapped (speaking pitch and liveliness);
  - vocal-tract length: a linear frequency warp of the envelope (formants
    scale together when the tract is shorter or longer);
  - voice quality and channel: long-term spectral equalisation, the smoothed
    difference of average voiced envelopes after the warp.
Then, when a trained envelope mapping exists (adapt.py), it refines the result,
and the instructor's own nearest frames (exemplar.py) replace part of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import world

EQ_LIFTER = 30          # cepstral bins kept in the EQ curve: broad shape only, no harmonics
EQ_LIMIT_DB = 12.0      # an EQ step larger than this is a measurement artefact, not a voice
WARP_RANGE = (0.85, 1.25)
# Vocal-tract length scales with F0 across speakers only loosely; the exponent
# maps Joe (~150 Hz) to a typical female voice (~225 Hz) as a 1.2 warp, the
# value that maximised likeness on LJSpeech. Matching long-term spectra
# directly was tried and is unreliable: it always ran to the edge of the range.
WARP_F0_EXPONENT = 0.45
_BAND = (100.0, 5000.0)  # Hz where the EQ is measured (speech energy, above hum)


@dataclass(frozen=True)
class SpeakerStats:
    """What zero-shot conversion needs to know about a voice."""

    lf0_mean: float
    lf0_std: float
    ltas: np.ndarray        # mean log envelope of voiced frames, per FFT bin
    frames: int

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}_lf0": np.array([self.lf0_mean, self.lf0_std, self.frames]),
                f"{prefix}_ltas": self.ltas}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> "SpeakerStats":
        m, s, n = arrays[f"{prefix}_lf0"]
        return cls(float(m), float(s), np.asarray(arrays[f"{prefix}_ltas"]), int(n))


@dataclass(frozen=True)
class ZeroShotMap:
    source: SpeakerStats
    target: SpeakerStats
    alpha: float            # frequency warp: target formant = alpha x source formant
    eq: np.ndarray          # log-domain EQ curve per FFT bin, applied after the warp


def stats(features: list[world.Features]) -> SpeakerStats:
    voiced = [f for f in features if f.voiced.any()]
    if not voiced:
        raise ValueError("no voiced speech in the reference audio")
    lf0 = np.concatenate([np.log(f.f0[f.voiced]) for f in voiced])
    lsp = np.concatenate([np.log(f.sp[f.voiced] + 1e-12) for f in voiced])
    return SpeakerStats(float(lf0.mean()), float(lf0.std()), lsp.mean(0), int(len(lf0)))


def _freqs(bins: int, rate: int) -> np.ndarray:
    return np.arange(bins) * rate / (2 * (bins - 1))


def warp_log(logsp: np.ndarray, alpha: float, rate: int) -> np.ndarray:
    """new(f) = old(f / alpha) for each frame: alpha > 1 raises every formant."""
    if abs(alpha - 1.0) < 1e-4:
        return logsp
    rows = np.atleast_2d(logsp)
    freqs = _freqs(rows.shape[1], rate)
    src = freqs / alpha
    # linear interpolation, vectorised over frames
    pos = np.clip(src / freqs[1], 0, rows.shape[1] - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, rows.shape[1] - 1)
    frac = pos - lo
    out = rows[:, lo] * (1 - frac) + rows[:, hi] * frac
    return out.reshape(logsp.shape)


def _smooth(curve: np.ndarray, keep: int) -> np.ndarray:
    c = np.fft.irfft(curve)
    c[keep:-keep] = 0
    return np.fft.rfft(c).real[:len(curve)]


def estimate(source: SpeakerStats, target: SpeakerStats, rate: int) -> ZeroShotMap:
    ratio = float(np.exp(target.lf0_mean - source.lf0_mean))
    alpha = float(np.clip(ratio ** WARP_F0_EXPONENT, *WARP_RANGE))
    freqs = _freqs(len(target.ltas), rate)
    band = (freqs > _BAND[0]) & (freqs < _BAND[1])
    diff = target.ltas - warp_log(source.ltas, alpha, rate)
    diff = diff - diff[band].mean()     # level is the loudness's business, not the EQ's
    limit = EQ_LIMIT_DB / 20 * np.log(10) * 2   # dB of amplitude to natural log of power
    eq = np.clip(_smooth(diff, EQ_LIFTER), -limit, limit)
    return ZeroShotMap(source, target, alpha, eq)


def map_f0(f0: np.ndarray, zs: ZeroShotMap) -> np.ndarray:
    voiced = f0 > 0
    lf0 = np.log(np.where(voiced, f0, 1.0))
    z = (lf0 - zs.source.lf0_mean) / max(zs.source.lf0_std, 1e-3)
    return np.where(voiced, np.exp(z * zs.target.lf0_std + zs.target.lf0_mean), 0.0)


def zero_shot_log_envelope(f: world.Features, zs: ZeroShotMap, strength: float) -> np.ndarray:
    alpha = 1.0 + (zs.alpha - 1.0) * strength
    return warp_log(np.log(f.sp + 1e-12), alpha, f.rate) + strength * zs.eq


def convert(f: world.Features, zs: ZeroShotMap, strength: float, mapper=None,
            exemplars=None, weight: float = 0.0, k: int = 8) -> world.Features:
    """Pitch mapped, envelope warped + equalised, then refined by the trained mapper if any.

    With a mapper, the zero-shot stage runs at full strength (the mapper was
    trained on its output) and `strength` blends the mapper's envelope in.
    With an exemplar matcher (exemplar.Matcher) and weight > 0, the result is
    then moved `weight` of the way to the mean of its k nearest instructor frames.
    """
    f0 = map_f0(f.f0, zs)
    use_pool = exemplars is not None and weight > 0
    if mapper is None and not use_pool:
        sp = np.exp(zero_shot_log_envelope(f, zs, strength))
        return world.Features(f0, sp, f.ap, f.rate, f.frame_ms)
    if mapper is None:
        coded = world.encode_envelope(np.exp(zero_shot_log_envelope(f, zs, strength)), f.rate, exemplars.pool.dims)
    else:
        coded = mapper.convert_coded(zero_shot_log_envelope(f, zs, 1.0), f.rate, strength, f.voiced)
    if use_pool:
        # the neighbours' energy only after the mapper: zero-shot queries find
        # the wrong sounds often enough that their loudness costs words (exemplar.py)
        coded = exemplars.apply(coded, f.voiced, k, weight, energy=mapper is not None)
    return world.Features(f0, world.decode_envelope(coded, f.rate, f.fft_size), f.ap, f.rate, f.frame_ms)
