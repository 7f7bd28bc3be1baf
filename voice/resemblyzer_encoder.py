"""The one adapter to resemblyzer: a GE2E speaker encoder (weights ship in the wheel).

Used to measure likeness (bench) and to keep enrollment clips single-speaker.
resemblyzer imports webrtcvad, which imports pkg_resources: that is why the
environment pins setuptools<81.
"""

from __future__ import annotations

import functools

import numpy as np

RATE = 16000


@functools.lru_cache(maxsize=1)
def _encoder():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pkg_resources deprecation noise from webrtcvad
        from resemblyzer import VoiceEncoder
    return VoiceEncoder("cpu", verbose=False)


def embed(audio: np.ndarray) -> np.ndarray:
    """L2-normalised 256-d embedding of 16 kHz mono speech (silences trimmed by its VAD)."""
    encoder = _encoder()  # first: its import silences webrtcvad's warning
    from resemblyzer import preprocess_wav
    wav = preprocess_wav(np.asarray(audio, np.float32), source_sr=RATE)
    if len(wav) < RATE // 2:  # the VAD kept almost nothing: embed what there is
        wav = np.asarray(audio, np.float32)
    return encoder.embed_utterance(wav)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(embed(a) @ embed(b))
