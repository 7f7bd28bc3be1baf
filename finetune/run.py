"""`lectern finetune` end to end: mine -> train -> evaluate before/after -> promote if better.

The new model is promoted only if it beats the model in use on the held-out
split (MRR@10 by more than min_gain) and, when a questions file is given, does
not do worse on it. Promoting re-indexes the library into the new model's own
collection; the old collection stays, so rolling back is immediate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.config import load_config as load_index_config
from index.embed import embedder
from index.indexer import index_library
from lectern import artifacts
from lectern.library import Library

from . import registry
from . import triplets as tr
from .anchors import QUESTION
from .config import FinetuneConfig, load_config
from .evaluate import Metrics, evaluate, heldout_queries, question_queries, table
from .train import Trained, train

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
METRICS_KIND, METRICS_VERSION = "embedding-evaluation", 1


@dataclass
class Outcome:
    triplets_path: Path
    triplets: tr.TripletSet
    trained: Trained | None = None
    current: str = ""                                       # the model in use before
    before: dict[str, Metrics] = field(default_factory=dict)  # query set -> metrics
    after: dict[str, Metrics] = field(default_factory=dict)
    promoted: bool = False
    reason: str = ""
    collection: str = ""                                    # the index collection in use after

    def table(self) -> str:
        if not self.after:
            return ""
        return table({f"before: {Path(self.current).name if '/' in self.current else self.current}": self.before,
                      f"after: {self.trained.version}": self.after})


def triplets_path(lib: Library) -> Path:
    return lib.root / "finetune" / "triplets.jsonl"


def _decide(cfg: FinetuneConfig, before: dict[str, Metrics], after: dict[str, Metrics]) -> tuple[bool, str]:
    gain = after["held-out"].mrr10 - before["held-out"].mrr10
    if gain <= cfg.min_gain:
        return False, (f"not promoted: held-out MRR@10 {after['held-out'].mrr10:.3f} does not beat "
                       f"the current model's {before['held-out'].mrr10:.3f} by more than {cfg.min_gain}")
    for name, m in after.items():
        if not name.startswith("held-out") and m.mrr10 < before[name].mrr10:
            return False, (f"not promoted: MRR@10 on {name} drops from {before[name].mrr10:.3f} "
                           f"to {m.mrr10:.3f}")
    return True, (f"promoted: held-out MRR@10 {before['held-out'].mrr10:.3f} -> "
                  f"{after['held-out'].mrr10:.3f} (+{gain:.3f})")


def compare(lib: Library, ts: tr.TripletSet, current: str, new: str,
            questions: Path | None) -> tuple[dict[str, Metrics], dict[str, Metrics]]:
    passages, _ = tr.course_passages(lib, load_index_config(lib))
    sets = [heldout_queries(ts, passages)]
    # the LLM's questions alone: the anchors most like what students ask (shown, not gated on)
    questions_only = heldout_queries(ts, passages, (QUESTION,), "held-out questions")
    if questions_only.texts:
        sets.append(questions_only)
    if questions is not None:
        sets.append(question_queries(questions, passages))
    old, fresh = embedder(current), embedder(new)
    return ({q.name: evaluate(old, passages, q) for q in sets},
            {q.name: evaluate(fresh, passages, q) for q in sets})


def run(lib: Library, cfg: FinetuneConfig | None = None, *, triplets_only: bool = False,
        train_only: bool = False, questions: Path | None = None, promote: bool = True,
        progress: Progress = lambda *a: None) -> Outcome:
    cfg = cfg or load_config(lib)
    path = triplets_path(lib)
    if train_only:
        ts = tr.load(path)
    else:
        ts = tr.save(tr.mine(lib, cfg, progress), path, cfg)
        log.info("mined %d triplets into %s", len(ts.triplets), path)
    out = Outcome(path, ts)
    if triplets_only:
        return out
    out.trained = train(ts, cfg, registry.models_root(lib), progress)
    out.current = load_index_config(lib).embedding_model
    progress("evaluating", 0, 1)
    out.before, out.after = compare(lib, ts, out.current, str(out.trained.model_path), questions)
    progress("evaluating", 1, 1)
    ok, out.reason = _decide(cfg, out.before, out.after)
    artifacts.save(out.trained.folder / "metrics.json", METRICS_KIND, METRICS_VERSION, {
        "compared_with": out.current, "before": {k: m.as_dict() for k, m in out.before.items()},
        "after": {k: m.as_dict() for k, m in out.after.items()}, "decision": out.reason,
        "table": out.table()})
    if ok and promote:
        out.collection = promote_version(lib, out.trained.version, out.reason)
        out.promoted = True
    elif ok:
        out.reason = out.reason.replace("promoted:", "would be promoted (--no-promote):")
    log.info("%s", out.reason)
    return out


def promote_version(lib: Library, version: str, reason: str) -> str:
    """Make a trained model the one in use and index the library into its collection."""
    with lib.writing():
        registry.promote(lib, version, reason)
        return index_library(lib).collection


def rollback(lib: Library) -> tuple[registry.Promotion, str, str]:
    """Undo the newest promotion; returns it, the model now in use and its collection."""
    with lib.writing():
        gone, now = registry.rollback(lib)
        return gone, now, index_library(lib).collection
