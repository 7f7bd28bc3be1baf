"""Contrastive training of the sentence-transformers embedder on mined triplets.

A plain PyTorch loop around sentence-transformers' own losses: the library's
Trainer would pull in `datasets` and `accelerate` for what is, here, forty
lines. Two losses, chosen in FinetuneConfig.loss:
- "mnrl", MultipleNegativesRankingLoss: each anchor must pick its positive
  among all positives and hard negatives of the batch (32 triplets -> 63
  wrong candidates per anchor), a ranking objective like the search it serves;
- "triplet", TripletLoss (cosine distance): each anchor only has to be
  closer to its positive than to its own negative by a margin.
bench/finetune.py measures both on the corpus; the default is the winner.

Batches never hold the same passage twice: with MNRL every other passage in
the batch counts as wrong, so a repeated one would be wrong and right at once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embed import _offline_env
from lectern import artifacts, devices, models
from lectern import config as cfgmod

from .config import FinetuneConfig
from .triplets import Triplet, TripletSet

log = logging.getLogger(__name__)
KIND, VERSION = "embedding-training", 1
Progress = Callable[[str, int, int], None]


class TrainingError(RuntimeError):
    """Training could not start or failed."""


@dataclass(frozen=True)
class Trained:
    version: str          # the folder's name: "ft-<utc time>-<triplets hash>"
    folder: Path          # <data root>/models/embedding/<version>
    model_path: Path      # folder/model: what sentence-transformers loads
    loss: str
    steps: int
    triplets: int
    seconds: float
    final_loss: float
    device: str


def device(cfg: FinetuneConfig) -> str:
    return devices.resolve(cfg.device)


def _passage(t: Triplet, negative: bool = False) -> tuple:
    return (t.negative_video_id, t.negative_start) if negative else (t.video_id, t.start)


def batches(triplets: Sequence[Triplet], size: int, seed: int) -> list[list[Triplet]]:
    """Shuffled batches in which no passage is a positive twice, or both a positive and a negative."""
    pending = list(np.random.default_rng(seed).permutation(len(triplets)))
    out: list[list[Triplet]] = []
    while pending:
        batch, positives, negatives, later = [], set(), set(), []
        for i in pending:
            t = triplets[i]
            p, n = _passage(t), _passage(t, negative=True)
            if len(batch) < size and p not in positives | negatives and n not in positives:
                batch.append(t)
                positives.add(p)
                negatives.add(n)
            else:
                later.append(i)
        if len(batch) < 2:
            break  # what is left cannot form a batch without repeating a passage
        out.append(batch)
        pending = later
    return out


def _loss(model, cfg: FinetuneConfig):
    from sentence_transformers.sentence_transformer import losses
    if cfg.loss == "mnrl":
        return losses.MultipleNegativesRankingLoss(model)
    return losses.TripletLoss(model, distance_metric=losses.TripletDistanceMetric.COSINE,
                              triplet_margin=cfg.triplet_margin)


def _features(model, texts: list[str], dev: str) -> dict:
    feats = model.preprocess(texts)
    return {k: v.to(dev) if hasattr(v, "to") else v for k, v in feats.items()}


def train(ts: TripletSet, cfg: FinetuneConfig, out_root: Path,
          progress: Progress = lambda *a: None) -> Trained:
    """Fine-tunes cfg.base_model on the set's training triplets into a new versioned folder."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import get_linear_schedule_with_warmup

    data = ts.split("train")
    if len(data) < cfg.batch_size:
        raise TrainingError(f"{len(data)} training triplets is too few (batch size {cfg.batch_size})")
    _offline_env()
    torch.manual_seed(cfg.seed)
    dev = device(cfg)
    try:
        model = SentenceTransformer(models.embedding_model(cfg.base_model), device=dev)
    except (OSError, ValueError, models.ModelError) as e:
        raise TrainingError(f"base model {cfg.base_model!r}: {e}") from None
    serve_len = model.max_seq_length
    model.max_seq_length = cfg.max_seq_length  # shorter while training only: memory and time
    loss_fn = _loss(model, cfg)
    plan = [b for e in range(cfg.epochs) for b in batches(data, cfg.batch_size, cfg.seed + e)]
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, math.ceil(cfg.warmup_fraction * len(plan)), len(plan))
    t0, curve = time.perf_counter(), []
    model.train()
    for step, batch in enumerate(plan, 1):
        feats = [_features(model, [getattr(t, col) for t in batch], dev)
                 for col in ("anchor", "positive", "negative")]
        loss = loss_fn(feats, None)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        curve.append(float(loss.detach()))
        progress("training", step, len(plan))
    model.eval()
    model.max_seq_length = serve_len  # the index embeds whole passages, as before
    seconds = time.perf_counter() - t0
    version = f"ft-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{ts.sha256[:8]}"
    folder = out_root / version
    model.save(str(folder / "model"))
    final = float(np.mean(curve[-10:]))
    artifacts.save(folder / "training.json", KIND, VERSION, {
        "version": version, "base_model": cfg.base_model, "loss": cfg.loss, "steps": len(plan),
        "triplets": len(data), "triplets_sha256": ts.sha256, "seconds": round(seconds, 1),
        "device": dev, "loss_curve": [round(x, 4) for x in curve], "final_loss": round(final, 4)},
        cfgmod.to_dict(cfg))
    log.info("trained %s: %d steps, %s loss %.3f, %.0f s on %s", version, len(plan), cfg.loss,
             final, seconds, dev)
    return Trained(version, folder, folder / "model", cfg.loss, len(plan), len(data), seconds, final, dev)
