"""The one adapter to llama-cpp-python: a chat model that completes or streams.

Loaded once per process and shared (a 0.5B GGUF takes ~1 s to map, a 1.5B a
few). Greedy decoding by default: summaries and punctuation should not change
between runs of the same input.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Generator

from . import models

log = logging.getLogger(__name__)


AUTO = "auto"
# "auto" takes the 1.5B model where it answers within the first-token budget (2.5 s p50): on
# a GPU, or on a CPU with at least this many cores. Measured on a 2-core CPU (README "Models"):
# the 1.5B's first token takes ~3x the 0.5B's, and prompt reading (most of it) scales with cores.
BIG_MODEL_CORES = 8
# Below that, the 0.5B as Q4_0 on a CPU (its prompts read ~1.6x faster than Q4_K_M's on
# AVX2: lectern/models.py), as Q4_K_M on a GPU (speed is not the limit there). A CPU whose
# llama.cpp build runs AVX-512 VNNI kernels reads fast enough for the 1.5B as Q4_0 even on 2
# cores: with 3 excerpts its first token took 1.71 s p50 there, and it met every quality
# target the 0.5B missed (session 24, README "Models"); an AVX2-only 2-core EPYC took 1.92 s
# for the 0.5B alone (session 21), so without VNNI the 1.5B would be far over the budget.
SMALL, SMALL_CPU, BIG, BIG_CPU = "qwen2.5-0.5b", "qwen2.5-0.5b-q4_0", "qwen2.5-1.5b", "qwen2.5-1.5b-q4_0"


def choose(cores: int, gpu: bool, big_installed: bool, vnni: bool = False) -> str:
    """The answer model for this hardware (what "auto" means); `vnni`: llama.cpp runs
    AVX-512 VNNI kernels on this CPU."""
    if big_installed and (gpu or cores >= BIG_MODEL_CORES):
        return BIG
    if big_installed and vnni and cores >= 2:
        return BIG_CPU
    return SMALL if gpu else SMALL_CPU


def _hardware() -> tuple[bool, bool]:
    """(GPU offload, AVX-512 VNNI kernels) as this llama.cpp build reports them."""
    try:
        import llama_cpp
        gpu = bool(llama_cpp.llama_supports_gpu_offload())
        info = llama_cpp.llama_print_system_info().decode(errors="replace")
    except Exception:   # noqa: BLE001 - not installed, or its library fails to load: neither
        return False, False
    return gpu, "AVX512_VNNI = 1" in info


def resolve(name: str) -> str:
    """"auto" -> a model name by hardware; any other name as given."""
    if name != AUTO:
        return name
    gpu, vnni = _hardware()
    chosen = choose(os.cpu_count() or 1, gpu, models.installed(models.QWEN_15B), vnni)
    log.info("answer model %s (auto: %d cores, %s%s)", chosen, os.cpu_count() or 1,
             "GPU offload" if gpu else "no GPU", ", AVX-512 VNNI" if vnni else "")
    return chosen


class LLMError(RuntimeError):
    """The language model could not be loaded or run."""


@dataclass(frozen=True)
class LLMConfig:
    model: str = "qwen2.5-0.5b"  # "qwen2.5-0.5b" (offline wheels) or a GGUF file
    n_ctx: int = 4096            # tokens of context
    threads: int = 0             # 0: all cores
    gpu_layers: int = -1         # layers offloaded when llama.cpp was built with CUDA
    seed: int = 0


@dataclass(frozen=True)
class Message:
    role: str      # "system", "user" or "assistant"
    content: str


class LLM:
    def __init__(self, config: LLMConfig):
        self.config = config
        self._lock = threading.Lock()  # a llama.cpp context serves one request at a time
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise LLMError(f"llama-cpp-python is not installed ({e}); run `make setup`") from None
        path = models.llm_model(resolve(config.model))
        log.info("loading LLM %s (%s)", config.model, path)
        self.llama = Llama(model_path=path, n_ctx=config.n_ctx,
                           n_threads=config.threads or os.cpu_count(),
                           n_gpu_layers=config.gpu_layers, seed=config.seed, verbose=False)

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode(), add_bos=False))

    def stream(self, messages: list[Message], max_tokens: int = 256, temperature: float = 0.0,
               stop: list[str] | None = None) -> Generator[str, None, str]:
        """Yields the reply's text as it is generated; returns why it ended ("stop", "length")."""
        finish = "stop"
        with self._lock:
            chunks = self.llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=max_tokens, temperature=temperature, stop=stop or [], stream=True,
                repeat_penalty=1.1,
            )
            for chunk in chunks:
                choice = chunk["choices"][0]
                delta = choice["delta"].get("content")
                if delta:
                    yield delta
                finish = choice.get("finish_reason") or finish
        return finish

    def complete(self, messages: list[Message], max_tokens: int = 256, temperature: float = 0.0,
                 stop: list[str] | None = None) -> str:
        return "".join(self.stream(messages, max_tokens, temperature, stop)).strip()


def quantize(source: Path, target: Path, ftype: int) -> bool:
    """llama.cpp's own quantizer: `source` GGUF into `target` as LLAMA_FTYPE `ftype` (also
    from an already quantized file). Its per-tensor log is held back. Whether it worked."""
    import ctypes

    import llama_cpp
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype, params.allow_requantize = ftype, True
    quiet = logging.getLogger("llama-cpp-python")   # what llama-cpp-python's log callback obeys
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        return llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(),
                                              ctypes.byref(params)) == 0
    finally:
        quiet.setLevel(level)


@functools.lru_cache(maxsize=2)
def load(config: LLMConfig) -> LLM:
    return LLM(config)
