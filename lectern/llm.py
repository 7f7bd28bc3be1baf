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
from typing import Generator

from . import models

log = logging.getLogger(__name__)


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
        path = models.llm_model(config.model)
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


@functools.lru_cache(maxsize=2)
def load(config: LLMConfig) -> LLM:
    return LLM(config)
