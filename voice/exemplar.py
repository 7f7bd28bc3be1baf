"""Exemplar selection: the instructor's own analysed frames replace the converted ones.

The zero-shot map and the trained mapper move Piper's envelopes *toward* the
instructor, but a regression predicts averages: formant detail, spectral tilt
and the recording's channel stay partly Piper's, and speaker encoders hear
that. kNN-VC's idea, done on WORLD's coded envelopes: keep the instructor's
real frames from enrollment (the pool), and for each converted frame take the
mean of its k nearest pool frames (voiced with voiced, unvoiced with
unvoiced). The selected envelopes are the instructor's own; the converted
frame only says which of them to use.

Energy (c0) can come from the neighbours too, relative to their clip's speech
level: how loud a nasal is next to a vowel is part of a voice (measured on
LJSpeech with the real held-out speech's aligned energy put under the adapted
output: resemblyzer 0.727 -> 0.769). The utterance's own level is kept. It
only pays where the neighbours are the right sounds: after the trained
mapper (adapted 0.6, weight 0.6, k 8: resemblyzer 0.757, WER 0.067), not
after the zero-shot map alone (weight 0.6: 0.737 but WER 0.135, against 0.710
and 0.096 with the converted frame's own energy).

k trades likeness against smearing (one neighbour jitters from frame to frame,
many average toward a mumble); `weight` blends the selection with the
converted frame, and enrollment tunes it against Whisper (tune.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import world

POOL_MAX = 20000          # frames kept (~100 s of speech at 5 ms): 1.6 MB as float16 x 40 dims
SILENCE_DB = 35.0         # frames this far below a clip's loudest (by c0) are pauses and noise, not voice
SEARCH_CHUNK = 256        # query frames per distance matrix (x 20k pool frames x 4 bytes = 20 MB)
_DB_TO_C0 = np.log(10) / 10   # c0 of WORLD's coded envelope is natural-log power


@dataclass(frozen=True)
class FramePool:
    """The instructor's coded envelopes (frames x dims, c0 relative to each clip's level)."""

    coded: np.ndarray        # float16: on disk and in memory; searched as float32
    voiced: np.ndarray       # bool per frame (Harvest's decision on the enrollment clip)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"coded": self.coded.astype(np.float16), "voiced": self.voiced.astype(bool)}

    @classmethod
    def from_arrays(cls, arrays) -> "FramePool":
        return cls(np.asarray(arrays["coded"], np.float16), np.asarray(arrays["voiced"], bool))

    @property
    def dims(self) -> int:
        return int(self.coded.shape[1])

    def __len__(self) -> int:
        return len(self.coded)


def _speech_level(c0: np.ndarray) -> float:
    """A clip's (or utterance's) speech level: the median c0 of its non-silent frames."""
    loud = c0[c0 > np.percentile(c0, 99) - SILENCE_DB * _DB_TO_C0]
    return float(np.median(loud)) if len(loud) else float(np.median(c0))


def build_pool(features: list[world.Features], dims: int, limit: int = POOL_MAX) -> FramePool:
    """Speech frames of the enrollment clips (pauses dropped), evenly thinned to `limit`."""
    coded, voiced = [], []
    for f in features:
        c = world.encode_envelope(f.sp, f.rate, dims)
        keep = c[:, 0] > np.percentile(c[:, 0], 99) - SILENCE_DB * _DB_TO_C0
        c = c[keep]
        c[:, 0] -= _speech_level(c[:, 0])   # clips recorded at different gains share one energy scale
        coded.append(c)
        voiced.append(f.voiced[keep])
    all_coded, all_voiced = np.concatenate(coded), np.concatenate(voiced)
    if len(all_coded) > limit:
        idx = np.linspace(0, len(all_coded) - 1, limit).round().astype(int)
        all_coded, all_voiced = all_coded[idx], all_voiced[idx]
    return FramePool(all_coded.astype(np.float16), all_voiced)


class Matcher:
    """Nearest-neighbour search over one pool (float32 copy and norms made once)."""

    def __init__(self, pool: FramePool):
        self.pool = pool
        self.full = pool.coded.astype(np.float32)
        # Match on shape, not level: c0 left out. Plain Euclidean distance on the
        # mel-cepstrum (a log-spectral distance): scaling each dimension to unit
        # spread was tried and lets the noisy high orders decide (held-out
        # LJSpeech rebuilt from its speaker's pool: resemblyzer 0.81 scaled vs
        # 0.89 plain, against 0.93 for WORLD's own round trip).
        self.groups = {}
        for flag in (True, False):
            idx = np.flatnonzero(pool.voiced == flag)
            if len(idx) == 0:
                idx = np.arange(len(self.full))   # no frame of this kind: search all
            keys = self.full[idx, 1:]
            self.groups[flag] = (idx, keys, (keys ** 2).sum(1))

    def select(self, coded: np.ndarray, voiced: np.ndarray, k: int) -> np.ndarray:
        """Mean of the k nearest pool frames for each query frame, at the query's speech level."""
        out = np.empty_like(coded, dtype=np.float64)
        for flag in (True, False):
            rows = np.flatnonzero(voiced == flag)
            if len(rows) == 0:
                continue
            idx, keys, norms = self.groups[flag]
            kk = min(k, len(idx))
            for lo in range(0, len(rows), SEARCH_CHUNK):
                part = rows[lo:lo + SEARCH_CHUNK]
                q = coded[part, 1:].astype(np.float32)
                dist = norms[None, :] - 2.0 * (q @ keys.T)   # |q|^2 is the same for every candidate
                near = np.argpartition(dist, kk - 1, axis=1)[:, :kk]
                out[part] = self.full[idx[near]].mean(1)
        out[:, 0] += _speech_level(coded[:, 0])
        return out

    def apply(self, coded: np.ndarray, voiced: np.ndarray, k: int, weight: float,
              energy: bool = True) -> np.ndarray:
        """coded moved `weight` of the way to its selection (0: unchanged, 1: the instructor's frames).

        energy=False keeps the query's c0: the neighbours' shapes only.
        """
        if weight <= 0 or len(coded) == 0:
            return coded
        chosen = self.select(coded, voiced, k)
        if not energy:
            chosen[:, 0] = coded[:, 0]
        return coded + weight * (chosen - coded)
