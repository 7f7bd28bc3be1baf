"""Fine-tuning: triplets mined, training time, and retrieval before/after, for both losses.

    python bench/finetune.py --library DIR [--questions dev.jsonl] [--losses mnrl,triplet]
                             [--epochs 1] [--json]

DIR is an ingested library (e.g. ../shared/corpus ingested with the defaults).
Mining uses the library's LLM reply cache, so a second run pays only for what
it has not asked before. Each loss trains its own model from the same base and
triplets; nothing is promoted (the comparison is printed instead). Figures:
triplets by kind and split, training seconds (target: <= 15 min for 2000
triplets on 2 CPU cores), and recall@1/5/10, MRR@10, NDCG@10 of dense retrieval
on the held-out split and the questions, base model vs each fine-tuned one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from finetune import registry
from finetune import triplets as tr
from finetune.config import load_config
from finetune.evaluate import table
from finetune.run import compare, triplets_path
from finetune.train import train
from lectern import config as cfgmod
from lectern.library import Library


def _progress(stage: str, done: int, total: int) -> None:
    if done == total or done % 10 == 0:
        print(f"  {stage} {done}/{total}", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--library", type=Path, default=os.environ.get("LECTERN_HOME"), required=False)
    ap.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "questions" / "dev.jsonl")
    ap.add_argument("--losses", default="mnrl,triplet")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--samples", type=int, default=20, help="random triplets to print")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.library is None:
        ap.error("--library (or $LECTERN_HOME) is required: an ingested library")
    lib = Library(a.library)
    cfg = load_config(lib, **({"epochs": a.epochs} if a.epochs else {}))
    t0 = time.perf_counter()
    ts = tr.save(tr.mine(lib, cfg, _progress), triplets_path(lib), cfg)
    mine_s = time.perf_counter() - t0
    questions = a.questions if a.questions.exists() else None
    rows, runs = {}, {}
    for loss in a.losses.split(","):
        c = cfgmod.replace(cfg, loss=loss)
        trained = train(ts, c, registry.models_root(lib), _progress)
        before, after = compare(lib, ts, cfg.base_model, str(trained.model_path), questions)
        rows.setdefault(f"base ({cfg.base_model})", before)
        rows[f"{loss} ({trained.steps} steps, {trained.seconds:.0f} s)"] = after
        runs[loss] = {"version": trained.version, "train_seconds": round(trained.seconds, 1),
                      "steps": trained.steps, "triplets": trained.triplets,
                      "after": {k: m.as_dict() for k, m in after.items()},
                      "before": {k: m.as_dict() for k, m in before.items()}}
    counts = {k: v for k, v in ts.counts.items()}
    if a.json:
        print(json.dumps({"triplets": len(ts.triplets), "counts": counts, "mine_seconds": round(mine_s, 1),
                          "runs": runs}, indent=1))
        return
    print(f"triplets: {len(ts.triplets)} from {ts.passages} passages, mined in {mine_s:.0f} s")
    print("  by kind (train+held-out): " + ", ".join(
        f"{k} {v['train']}+{v['heldout']}" for k, v in counts.items() if isinstance(v, dict) and "train" in v))
    print(f"  dropped: {counts.get('dropped')}; LLM calls {counts.get('llm_calls')}, "
          f"cached {counts.get('llm_cached')}")
    print(table(rows))
    rng = random.Random(0)
    print(f"\n{a.samples} random triplets:")
    for t in rng.sample(list(ts.triplets), min(a.samples, len(ts.triplets))):
        print(f"- [{t.kind}, {t.video_id} {t.start:.0f}-{t.end:.0f} s] anchor: {t.anchor}\n"
              f"    positive: {t.positive[:160]}...\n"
              f"    negative ({t.negative_video_id} {t.negative_start:.0f} s): {t.negative[:120]}...")


if __name__ == "__main__":
    main()
