"""VoiceConfig: every setting of the voice stage, frozen, strict about unknown keys.

Build it with `VoiceConfig.from_dict(...)` (lectern.config.from_dict underneath),
usually from the "voice" section of LECTERN_HOME/config.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lectern import devices
from lectern.config import ConfigError, from_dict

BACKENDS = ("piper-world", "xtts")
MODES = ("auto", "plain", "zero-shot", "adapted")


@dataclass(frozen=True)
class VoiceConfig:
    backend: str = "piper-world"   # offline default; "xtts": Coqui XTTS-v2 from a checkpoint folder
    profile: str = "instructor"    # the enrolled voice profile's name (LECTERN_HOME/voice/<profile>)
    mode: str = "auto"             # auto: adapted when the profile has a trained mapping, unless
                                   # enrollment's tuning found zero-shot more alike; else zero-shot
    # Conversion strength: 1.0 moves the spectral envelope all the way to the
    # mapped one. None: the strength chosen at enrollment (voice/tune.py: the
    # most alike whose Whisper WER stays within 0.10), else 1.0 / 0.6, the
    # values measured best on LJSpeech (bench/voice.py).
    zero_shot_strength: float | None = None
    adapted_strength: float | None = None
    # Exemplar selection (voice/exemplar.py): how far each converted frame moves
    # to the mean of its exemplar_k nearest real frames of the instructor.
    # None: the weight chosen at enrollment against Whisper WER (voice/tune.py).
    zero_shot_exemplar: float | None = None
    adapted_exemplar: float | None = None
    exemplar_k: int = 8            # 1 jitters frame to frame, 16+ averages toward a mumble
    piper_model: str = ""          # "": the bundled en_US-joe-medium; or a .onnx path
    length_scale: float = 0.0      # 0: the profile's measured speaking rate (1.0 when unknown)
    # WORLD hop (ms) when converting: 5 ms (WORLD's default) smears Piper's
    # bursts and fast transitions. Measured on LJSpeech (bench/voice.py's
    # sentences): Whisper WER zero-shot 0.125 -> 0.096, adapted 0.096 -> 0.067
    # at 3 ms, for 0.01-0.025 less likeness and ~1.7x the conversion time.
    frame_ms: float = 3.0
    device: str = "auto"           # auto: CUDA when present (XTTS, Piper via onnxruntime-gpu)
    batch_size: int = 0            # sentences per backend call; 0: 1 on CPU, 8 on GPU
    threads: int = 0               # Piper's onnxruntime threads; 0: $ORT_NUM_THREADS, else one per core
    cache: bool = True             # reuse audio cached by (voice, text)
    # XTTS
    xtts_checkpoint: str = ""      # local folder with config.json + model.pth (+ vocab.json)
    xtts_language: str = "en"
    xtts_stream_chunk: int = 20    # GPT tokens per streamed chunk: smaller = earlier first audio
    # adaptation
    adapt_epochs: int = 30
    adapt_hidden: int = 256
    adapt_context: int = 0         # frames of context either side (more over-fits two minutes of speech)
    adapt_gv: float = 0.5          # global-variance restoration: 0 none (muffled), 1 full (harsh)
    envelope_dims: int = 40        # coded envelope (mel-cepstrum) size
    # enrollment from lectures
    clip_min_s: float = 5.0
    clip_max_s: float = 15.0
    clip_min_prob: float = 0.75    # mean word probability a reference clip needs
    clips_max: int = 16
    enroll_seconds: float = 120.0  # stop picking clips after this much speech

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"voice backend {self.backend!r}: expected one of {', '.join(BACKENDS)}")
        if self.mode not in MODES:
            raise ConfigError(f"voice mode {self.mode!r}: expected one of {', '.join(MODES)}")
        for name in ("zero_shot_strength", "adapted_strength"):
            if getattr(self, name) is not None and not 0.0 <= getattr(self, name) <= 1.5:
                raise ConfigError(f"voice {name} {getattr(self, name)}: expected 0..1.5")
        for name in ("zero_shot_exemplar", "adapted_exemplar"):
            if getattr(self, name) is not None and not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"voice {name} {getattr(self, name)}: expected 0..1")
        if not 1 <= self.exemplar_k <= 64:
            raise ConfigError(f"voice exemplar_k {self.exemplar_k}: expected 1..64")
        if not 0 < self.clip_min_s < self.clip_max_s:
            raise ConfigError("voice clip_min_s must be > 0 and < clip_max_s")
        if not 1.0 <= self.frame_ms <= 10.0:
            raise ConfigError(f"voice frame_ms {self.frame_ms}: expected 1..10")
        if self.threads < 0:
            raise ConfigError(f"voice threads {self.threads}: expected 0 (automatic) or more")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"voice device {self.device!r}: expected auto, cpu or cuda")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "VoiceConfig":
        return from_dict(cls, data)


def resolve_device(config: VoiceConfig) -> str:
    return devices.resolve(config.device)


def resolve_batch(config: VoiceConfig) -> int:
    if config.batch_size > 0:
        return config.batch_size
    # On a CPU a padded batch is slower than one sentence at a time (measured:
    # 2.7 s vs 1.4 s for three sentences), so batching only pays on a GPU.
    return 8 if resolve_device(config) == "cuda" else 1
