"""The one adapter to coqui-tts: Coqui XTTS-v2, zero-shot cloning from the reference clips.

XTTS is a GPT over audio codes plus a HiFi-GAN decoder, conditioned on a
speaker latent computed from the profile's reference clips. On this CPU it is
far slower than real time, so it is the GPU path: `inference_stream` yields
audio every `xtts_stream_chunk` GPT tokens, which is what keeps first audio
low. It loads from a local checkpoint folder (config.json, model.pth,
vocab.json: what Coqui's model manager downloads), or through Coqui's model
manager when the machine is online and no folder is given.
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from .config import VoiceConfig, resolve_device
from .errors import VoiceError
from .profile import Profile

log = logging.getLogger(__name__)

HUB_NAME = "tts_models/multilingual/multi-dataset/xtts_v2"


def _import():
    from . import xtts_shim
    if xtts_shim.install():
        log.info("XTTS: using Lectern's CPU stand-ins for torchaudio/torchcodec")
    try:
        from TTS.tts.configs.xtts_config import XttsConfig
        from TTS.tts.models.xtts import Xtts
    except ImportError as e:
        raise VoiceError(f"the XTTS backend needs coqui-tts ({e}); pip install coqui-tts") from None
    return XttsConfig, Xtts


def checkpoint_folder(name: str) -> Path:
    """A local checkpoint folder, or one fetched by Coqui's model manager (online only)."""
    if name:
        folder = Path(name).expanduser()
        if not (folder / "config.json").is_file() or not (folder / "model.pth").is_file():
            raise VoiceError(f"XTTS checkpoint {folder}: needs config.json and model.pth")
        return folder
    _import()
    try:
        from TTS.utils.manage import ModelManager
        path, _, _ = ModelManager(progress_bar=False).download_model(HUB_NAME)
    except Exception as e:  # offline, or the hub refused: say what to do instead
        raise VoiceError(f"XTTS-v2 could not be fetched ({type(e).__name__}: {e}); "
                         "set voice.xtts_checkpoint to a local checkpoint folder") from None
    return Path(path)


@functools.lru_cache(maxsize=2)
def load_model(folder: str, device: str):
    XttsConfig, Xtts = _import()
    config = XttsConfig()
    config.load_json(str(Path(folder) / "config.json"))
    model = Xtts(config)
    t0 = time.monotonic()
    try:
        model.load_checkpoint(config, checkpoint_dir=folder, eval=True)
    except (FileNotFoundError, RuntimeError, KeyError) as e:
        raise VoiceError(f"XTTS checkpoint {folder}: cannot load ({e})") from None
    model.to(device)
    log.info("XTTS loaded from %s on %s in %.1f s", folder, device, time.monotonic() - t0)
    return model


def _tensor(samples: np.ndarray):
    import torch
    return torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))


class XttsBackend:
    """Same interface as PiperWorld: synthesize_batch(), plus stream() for lower latency."""

    mode = "xtts"
    strength = 1.0

    def __init__(self, cfg: VoiceConfig, profile: Profile):
        self.cfg, self.profile = cfg, profile
        self.device = resolve_device(cfg)
        self.folder = checkpoint_folder(cfg.xtts_checkpoint)
        self.model = load_model(str(self.folder), self.device)
        self.rate = int(self.model.config.audio.output_sample_rate)
        self.latent, self.speaker = self._conditioning(profile.ref_paths())
        self.done_at: list[float] = []

    def _conditioning(self, paths: list[Path]):
        """Speaker latents from the reference clips (read with soundfile, not torchaudio)."""
        from .audio import read_wav
        if not paths:
            raise VoiceError("the voice profile has no reference clips")
        import torch
        audios = []
        for p in paths:
            samples, rate = read_wav(p)
            audios.append((samples, rate))
        with torch.inference_mode():
            speakers, parts = [], []
            for samples, rate in audios:
                wav = _tensor(samples)[None].to(self.device)
                wav22 = _resample(wav, rate, 22050)
                speakers.append(self.model.get_speaker_embedding(wav22, 22050))
                parts.append(wav22)
            latent = self.model.get_gpt_cond_latents(torch.cat(parts, -1), 22050, length=30, chunk_length=6)
            speaker = torch.stack(speakers).mean(0)
        return latent, speaker

    @property
    def key(self) -> str:
        return f"xtts|{self.folder.resolve()}|{self.cfg.xtts_language}|{self.profile.key}"

    def _generate(self, text: str) -> np.ndarray:
        out = self.model.inference(text, self.cfg.xtts_language, self.latent, self.speaker,
                                   enable_text_splitting=False)
        return np.asarray(out["wav"], np.float32)

    def synthesize_batch(self, sentences: list[str]) -> list[np.ndarray]:
        # coqui's XTTS generates one text at a time: the batch is a loop here
        out = []
        for s in sentences:
            out.append(self._generate(s))
            self.done_at.append(time.monotonic())
        return out

    def stream(self, sentence: str) -> Iterator[np.ndarray]:
        """Audio of one sentence in pieces, every xtts_stream_chunk GPT tokens."""
        import torch
        with torch.inference_mode():
            for part in self.model.inference_stream(sentence, self.cfg.xtts_language, self.latent,
                                                    self.speaker, stream_chunk_size=self.cfg.xtts_stream_chunk,
                                                    enable_text_splitting=False):
                yield part.detach().cpu().numpy().astype(np.float32).reshape(-1)
        self.done_at.append(time.monotonic())


def _resample(wav, rate: int, target: int):
    if rate == target:
        return wav
    import torchaudio  # the real one, or the stand-in _import() registered
    return torchaudio.functional.resample(wav, rate, target)
