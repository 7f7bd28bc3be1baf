"""The XTTS backend's real loading and inference code, on a tiny random XTTS built here.

No XTTS-v2 checkpoint ships in a wheel (and it would be 1.8 GB), so the test
builds a randomly initialised XTTS of the same architecture, a few layers
wide, saves it the way Coqui's checkpoints are laid out (config.json,
model.pth, vocab.json), and runs the backend on it: checkpoint loading,
conditioning on the profile's reference clips, inference and streaming.
The audio is noise (random weights); its shape, rate and streaming are what
is checked.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest

from conftest import shared


def make_tiny_xtts(folder: Path, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, models

    from voice import xtts_shim
    xtts_shim.install()
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.models.xtts import Xtts, XttsArgs

    folder.mkdir(parents=True, exist_ok=True)
    specials = ["[STOP]", "[UNK]", "[SPACE]", "[START]", "[en]"]
    vocab = {t: i for i, t in enumerate(specials + list(string.ascii_lowercase + string.digits + ".,;:!?'-\""))}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens(specials)
    tokenizer.save(str(folder / "vocab.json"))
    args = XttsArgs(gpt_layers=1, gpt_n_model_channels=32, gpt_n_heads=2, gpt_max_audio_tokens=60,
                    gpt_max_text_tokens=200, gpt_max_prompt_tokens=40, gpt_num_audio_tokens=34,
                    gpt_start_audio_token=32, gpt_stop_audio_token=33, decoder_input_dim=32,
                    gpt_use_perceiver_resampler=True, tokenizer_file=str(folder / "vocab.json"),
                    gpt_number_text_tokens=len(vocab), gpt_start_text_token=vocab["[START]"],
                    gpt_stop_text_token=vocab["[STOP]"])
    config = XttsConfig(model_args=args)
    torch.manual_seed(seed)
    model = Xtts(config)
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from voice import xtts_shim
    xtts_shim.install()          # what the backend does before importing coqui-tts
    pytest.importorskip("TTS", exc_type=ImportError)
    from voice import build, profile as profiles
    from voice.config import VoiceConfig
    from voice.enroll import read_transcripts

    root = tmp_path_factory.mktemp("xtts-home")
    lj = shared("audio/speakers/ljspeech")
    build.enroll("inst", VoiceConfig(profile="inst"), [lj / "LJ001-0004.wav"],
                 read_transcripts(lj / "metadata_wav.csv"), root=root, adapt_enabled=False,
                 tune_enabled=False)
    return make_tiny_xtts(root / "xtts-tiny"), root, profiles.load("inst", root)


def test_xtts_backend_loads_a_checkpoint_and_streams_cloned_speech(tiny):
    from voice.config import VoiceConfig
    from voice.synth import Voice

    folder, root, prof = tiny
    cfg = VoiceConfig(backend="xtts", profile="inst", xtts_checkpoint=str(folder), xtts_stream_chunk=4,
                      device="cpu")
    voice = Voice(cfg, root)
    try:
        backend = voice.backend
        assert backend.rate == 24000
        assert tuple(backend.speaker.shape) == (1, 512, 1)       # speaker embedding from the clips
        assert backend.latent.shape[0] == 1 and backend.latent.shape[1] == 32
        pieces = list(voice.speak("Hello class. Read chapter 2 [1]."))
        whole = backend.synthesize_batch(["hello class."])[0]
    finally:
        voice.close()
    assert {p.text for p in pieces} == {"Hello class.", "Read chapter two."}
    assert all(p.sample_rate == 24000 and np.isfinite(p.samples).all() for p in pieces)
    assert [p.final for p in pieces].count(True) == 2
    assert len(pieces) > 2, "inference_stream should yield several pieces per sentence"
    assert whole.ndim == 1 and len(whole) > 0


def test_xtts_checkpoint_errors_are_typed(tmp_path):
    from voice.errors import VoiceError
    from voice.xtts import checkpoint_folder

    with pytest.raises(VoiceError, match="config.json and model.pth"):
        checkpoint_folder(str(tmp_path))
