"""A CPU stand-in for the parts of torchaudio that Coqui XTTS inference calls.

coqui-tts imports torchaudio (and, from torch 2.9, checks for torchcodec) at
package import. The torchaudio/torchcodec wheels that match torch==2.13.0 here
are CUDA builds that cannot load on this machine, and installing another
torchaudio would replace the pinned torch. XTTS inference needs only three
things from it -- load(), functional.resample() and transforms.MelSpectrogram
-- so those are provided with soundfile, soxr and torch.stft, bit-compatible
in what XTTS uses (HTK mel scale, Slaney norm, reflect-padded centred STFT).

install() registers the stand-ins only when the real modules cannot be
imported, so a machine with a working torchaudio uses the real one.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types

import numpy as np


def _load(path, *args, **kwargs):
    import soundfile as sf
    import torch
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return torch.from_numpy(np.ascontiguousarray(data.T)), int(rate)


def _resample(waveform, orig_freq: int, new_freq: int, *args, **kwargs):
    import soxr
    import torch
    if int(orig_freq) == int(new_freq):
        return waveform
    x = waveform.detach().cpu().numpy().astype(np.float32)
    flat = x.reshape(-1, x.shape[-1])
    out = np.stack([soxr.resample(row, int(orig_freq), int(new_freq)) for row in flat])
    return torch.from_numpy(out.reshape(*x.shape[:-1], -1)).to(waveform.device)


def _mel_module():
    import torch

    class MelSpectrogram(torch.nn.Module):
        """torchaudio.transforms.MelSpectrogram for the arguments XTTS passes."""

        def __init__(self, sample_rate=16000, n_fft=400, win_length=None, hop_length=None, f_min=0.0,
                     f_max=None, n_mels=128, power=2.0, normalized=False, norm=None, mel_scale="htk",
                     center=True, pad_mode="reflect", **_):
            super().__init__()
            import librosa
            self.n_fft, self.power, self.normalized = n_fft, power, normalized
            self.win_length = win_length or n_fft
            self.hop_length = hop_length or self.win_length // 2
            self.center, self.pad_mode = center, pad_mode
            fb = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=f_min,
                                     fmax=f_max or sample_rate / 2, htk=mel_scale == "htk", norm=norm)
            self.register_buffer("fb", torch.tensor(fb, dtype=torch.float32))
            self.register_buffer("window", torch.hann_window(self.win_length))

        def forward(self, wav):
            shape = wav.shape
            spec = torch.stft(wav.reshape(-1, shape[-1]), self.n_fft, self.hop_length, self.win_length,
                              self.window, center=self.center, pad_mode=self.pad_mode,
                              normalized=self.normalized, return_complex=True).abs()
            if self.power != 1.0:
                spec = spec.pow(self.power)
            mel = torch.matmul(self.fb, spec)
            return mel.reshape(*shape[:-1], mel.shape[-2], mel.shape[-1])

    return MelSpectrogram


def _module(name: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__spec__ = importlib.machinery.ModuleSpec(name, None)  # find_spec() must see it
    mod.__version__ = "0.0+lectern-shim"
    return mod


def _importable(name: str) -> bool:
    if name in sys.modules:
        return True
    try:
        if importlib.util.find_spec(name) is None:
            return False
        importlib.import_module(name)
        return True
    except Exception:  # a CUDA-only build fails at import with OSError/ImportError
        sys.modules.pop(name, None)
        return False


def install() -> bool:
    """Register the stand-ins where the real packages are unusable; True if any was."""
    used = False
    if not _importable("torchaudio"):
        ta, fn, tr = _module("torchaudio"), _module("torchaudio.functional"), _module("torchaudio.transforms")
        ta.load = _load
        fn.resample = _resample
        tr.MelSpectrogram = _mel_module()
        ta.functional, ta.transforms = fn, tr
        sys.modules.update({"torchaudio": ta, "torchaudio.functional": fn, "torchaudio.transforms": tr})
        used = True
    if not _importable("torchcodec"):
        # coqui only checks that it exists; XTTS inference never decodes through it
        sys.modules["torchcodec"] = _module("torchcodec")
        used = True
    return used
