"""The one adapter to pyworld (the WORLD vocoder): analysis, synthesis, coded envelopes.

WORLD splits speech into F0, a smooth spectral envelope and aperiodicity, which
is exactly the split voice conversion needs: pitch and timbre can be changed
independently and re-synthesised without a neural vocoder. DIO + StoneMask is
used instead of Harvest because it is ~10x faster and Piper's clean synthetic
speech does not need Harvest's robustness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME_MS = 5.0          # WORLD's default hop: enough for statistics and the trained mapping
# Synthesis hop: see VoiceConfig.frame_ms (finer hops keep Piper's bursts and
# fast transitions, which Whisper needs, at the cost of more frames to convert).
F0_FLOOR, F0_CEIL = 60.0, 500.0


@dataclass(frozen=True)
class Features:
    """WORLD parameters of one utterance (frames x bins)."""

    f0: np.ndarray          # Hz per frame, 0 where unvoiced
    sp: np.ndarray          # power spectral envelope, frames x (fft/2 + 1)
    ap: np.ndarray          # aperiodicity in [0, 1], same shape
    rate: int
    frame_ms: float = FRAME_MS  # hop between frames

    @property
    def voiced(self) -> np.ndarray:
        return self.f0 > 0

    @property
    def fft_size(self) -> int:
        return (self.sp.shape[1] - 1) * 2


def analyze(audio: np.ndarray, rate: int, harvest: bool = False, frame_ms: float = FRAME_MS) -> Features:
    import pyworld as pw

    x = np.ascontiguousarray(audio, dtype=np.float64)
    if harvest:  # slower, but robust on noisy real recordings (the enrollment side)
        f0, t = pw.harvest(x, rate, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=frame_ms)
    else:
        f0, t = pw.dio(x, rate, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=frame_ms)
        f0 = pw.stonemask(x, f0, t, rate)
    sp = pw.cheaptrick(x, f0, t, rate, f0_floor=F0_FLOOR)
    ap = pw.d4c(x, f0, t, rate)
    return Features(f0, sp, ap, rate, frame_ms)


def synthesize(f: Features) -> np.ndarray:
    import pyworld as pw

    y = pw.synthesize(np.ascontiguousarray(f.f0, dtype=np.float64),
                      np.ascontiguousarray(f.sp, dtype=np.float64),
                      np.ascontiguousarray(f.ap, dtype=np.float64), f.rate, f.frame_ms)
    return y.astype(np.float32)


def encode_envelope(sp: np.ndarray, rate: int, dims: int) -> np.ndarray:
    """Mel-cepstrum-like coding of the envelope (WORLD's own), frames x dims."""
    import pyworld as pw
    return pw.code_spectral_envelope(np.ascontiguousarray(sp, dtype=np.float64), rate, dims)


def decode_envelope(coded: np.ndarray, rate: int, fft_size: int) -> np.ndarray:
    import pyworld as pw
    return pw.decode_spectral_envelope(np.ascontiguousarray(coded, dtype=np.float64), rate, fft_size)
