"""AssistantConfig: the answering model, the prompt budget and the refusal threshold.

Read from the "assistant" section of $LECTERN_HOME/config.json (unknown keys
are errors), with per-call overrides on top.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from lectern import config as cfgmod
from lectern.library import Library
from lectern.llm import LLMConfig
from lectern.llm import resolve as resolve_llm


@dataclass(frozen=True)
class AssistantConfig:
    llm: str = "auto"             # "auto" (by hardware: lectern/llm.py), an offline alias or a GGUF file
    n_ctx: int = 2048             # the prompt stays well under 1k tokens
    threads: int = 0              # 0: all cores
    retrieve_k: int = 10          # hits retrieved (and reported)
    pool: int = 5                 # best hits whose sentences compete for the excerpts
    # Excerpts given to the model: a best sentence each, with its neighbours up to
    # excerpt_words. bench/grounding.py, 0.5B Q4_0, 48 questions (session 24): 4 x 60 words
    # gave keyword hit 0.76, citation 0.81, 0.10 answerable refused; 3 x 80: 0.81, 0.86,
    # 0.05, and the first token 0.07 s sooner. Fewer, longer excerpts: the small model
    # wrote from a neighbouring excerpt less often (p07), and answers kept their context.
    excerpts: int = 3
    excerpt_words: int = 80
    # Below this cosine similarity of the best hit the course is taken not to cover
    # the question and the model is not asked. Calibrated on dev.jsonl for the base
    # model and the fine-tuned one (`lectern finetune` compresses similarities):
    # answerable questions score 0.33-0.72 (base, ASR transcripts) and 0.19-0.64
    # (fine-tuned); the off-topic one 0.05 and 0.08. Off-topic questions that pass
    # are still refused by the model when the excerpts do not answer them.
    min_similarity: float = 0.15
    # Answerability (calibrated by bench/grounding.py on dev.jsonl and tests/data): the
    # best excerpt sentence's similarity to the question (with its neighbours) below
    # min_answer_score, and the course is taken not to answer.
    min_answer_score: float = 0.35
    grounding: bool = True        # check each sentence against its excerpts (lectern/grounding.py)
    # When the gate cuts the model's first sentence, the answer is "not covered"; but where
    # the best excerpt sentence scores at least this, it is the lecture's own words instead
    # (quoted, cited). bench/grounding.py on the 48 questions (base embedder, ASR library):
    # of the questions scoring >= 0.66, 8 of 9 are answerable; of those below, 13 of 39.
    # Quoting at every score read as an answer to 7 of 27 near-topic questions the course
    # does not answer. A fine-tuned embedder scores lower: it then quotes less, never more.
    quote_score: float = 0.66
    related: int = 3              # closest moments shown with "not covered"
    max_tokens: int = 80          # one or two sentences; caps the worst-case total time
    rewrite_followups: bool = True
    history_turns: int = 2        # earlier turns shown when rewriting a follow-up


def load_config(lib: Library, **overrides: Any) -> AssistantConfig:
    data = {**cfgmod.load_file(lib.config_file).get("assistant", {}), **overrides}
    cfg = cfgmod.from_dict(AssistantConfig, data)
    if cfg.excerpts < 1 or not 1 <= cfg.pool <= cfg.retrieve_k:
        raise cfgmod.ConfigError("assistant.excerpts must be >= 1 and pool in 1..retrieve_k")
    if cfg.excerpt_words < 10 or cfg.max_tokens < 8:
        raise cfgmod.ConfigError("assistant.excerpt_words must be >= 10 and max_tokens >= 8")
    return replace(cfg, llm=resolve_llm(cfg.llm))


def llm_config(cfg: AssistantConfig) -> LLMConfig:
    return LLMConfig(model=cfg.llm, n_ctx=cfg.n_ctx, threads=cfg.threads)
