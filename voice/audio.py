"""Audio results and WAV files, labelled as synthesized speech."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .profile import LABEL


@dataclass(frozen=True)
class AudioChunk:
    """One spoken sentence: what Voice.speak yields."""

    samples: np.ndarray      # float32 mono in [-1, 1]
    sample_rate: int
    text: str                # the sentence as spoken (normalised)
    index: int = 0           # position of the sentence in the answer
    cached: bool = False
    final: bool = True       # False: more audio of this sentence follows (XTTS streams within a sentence)

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def wav_bytes(samples: np.ndarray, rate: int, label: str = LABEL) -> bytes:
    """16-bit WAV whose INFO chunk says it is synthesized (players show title/comment)."""
    import soundfile as sf
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=rate, channels=1, subtype="PCM_16", format="WAV") as f:
        f.title = "Synthesized voice"
        f.comment = label
        f.software = "Lectern"
        f.write(np.clip(np.asarray(samples, np.float32), -1.0, 1.0))
    return buf.getvalue()


def write_wav(path: Path, samples: np.ndarray, rate: int, label: str = LABEL) -> None:
    from lectern.artifacts import write_atomic
    write_atomic(Path(path), wav_bytes(samples, rate, label))


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf
    data, rate = sf.read(str(path), dtype="float32", always_2d=False)
    if data.ndim > 1:
        data = data.mean(1)
    return data, int(rate)


def join(chunks: list[AudioChunk], pause_s: float = 0.25) -> tuple[np.ndarray, int]:
    """Concatenate sentence chunks with a short pause between them."""
    if not chunks:
        return np.zeros(0, np.float32), 16000
    rate = chunks[0].sample_rate
    gap = np.zeros(int(pause_s * rate), np.float32)
    parts = []
    for i, c in enumerate(chunks):
        if i:
            parts.append(gap)
        parts.append(c.samples.astype(np.float32))
    return np.concatenate(parts), rate
