"""FinetuneConfig: how triplets are mined, how the embedder is trained and when it is promoted.

Read from the "finetune" section of $LECTERN_HOME/config.json (unknown keys
are errors), with per-call overrides (the CLI's options) on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lectern import config as cfgmod
from lectern.library import Library

LOSSES = ("mnrl", "triplet")


@dataclass(frozen=True)
class FinetuneConfig:
    # --- mining ---
    llm: str = "qwen2.5-0.5b"          # writes questions and rewordings; "" = no LLM anchors
    questions_per_passage: int = 3
    # Measured on the corpus, the 0.5B model "rewords" by copying: median word overlap
    # with the original 1.0, and a few-shot prompt does not help. Worth it with a
    # bigger --llm only; questions are the LLM's rewordings meanwhile.
    rewordings_per_passage: int = 0
    # An hour of lecture is ~80 passages and each LLM call ~3 s on 2 CPU cores, so a
    # 400-hour course would take days: past this many passages (spread evenly over
    # the course) the cheap anchors alone are used.
    max_llm_passages: int = 1000
    min_sentence_words: int = 8        # shorter sentences say too little to find a passage by
    roundtrip_k: int = 20              # an LLM anchor is kept only if the base model ranks its
                                       # passage in the top k (drops hallucinated questions)
    negative_gap_s: float = 120.0      # a same-lecture negative starts this far from the positive
    negative_margin: float = 0.05      # ... and scores under (1 - margin) x the positive's score,
                                       # so a passage that also answers is not used as a negative
    # two hard negatives per anchor, i.e. two triplets: a second near miss teaches as much
    # as the first, and the batch sampler never puts both in one batch
    negatives_per_anchor: int = 2
    heldout_fraction: float = 0.2      # of the course's 5-minute blocks, held out for evaluation
    block_s: float = 300.0
    seed: int = 0
    # --- training ---
    base_model: str = "all-MiniLM-L6-v2"  # fine-tuned from this (an alias, folder or hub name)
    loss: str = "mnrl"                 # "mnrl" (MultipleNegativesRankingLoss) or "triplet"
    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup_fraction: float = 0.1
    max_seq_length: int = 256          # word pieces; passages of 30-60 s are ~150-220
    triplet_margin: float = 0.3        # TripletLoss, cosine distance
    device: str = "auto"               # "auto": CUDA when torch sees a GPU, else CPU
    # --- promotion ---
    min_gain: float = 0.0              # held-out MRR@10 must beat the current model by more


def load_config(lib: Library, **overrides: Any) -> FinetuneConfig:
    data = {**cfgmod.load_file(lib.config_file).get("finetune", {}),
            **{k: v for k, v in overrides.items() if v is not None}}
    cfg = cfgmod.from_dict(FinetuneConfig, data)
    if cfg.loss not in LOSSES:
        raise cfgmod.ConfigError(f"finetune.loss must be one of {', '.join(LOSSES)}")
    if not 0 < cfg.heldout_fraction < 1:
        raise cfgmod.ConfigError("finetune.heldout_fraction must be between 0 and 1")
    if cfg.batch_size < 2 or cfg.epochs < 1 or cfg.negatives_per_anchor < 1:
        raise cfgmod.ConfigError("finetune.batch_size must be >= 2, epochs and "
                                 "negatives_per_anchor >= 1")
    if cfg.device not in ("auto", "cpu", "cuda"):
        raise cfgmod.ConfigError("finetune.device must be auto, cpu or cuda")
    return cfg
