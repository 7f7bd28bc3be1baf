"""`lectern finetune`: mine triplets, train, evaluate, promote if better; rollback and promote.

Library errors become one line on stderr (exit 1); configuration errors are
left to cli.main (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from lectern.artifacts import ArtifactError
from lectern.library import Library, LibraryBusy


def add_arguments(sub) -> None:
    ft = sub.add_parser(
        "finetune", help="fine-tune the search model on triplets mined from the course",
        description="Mine (question, passage, hard negative) triplets from the ingested lectures, "
        "fine-tune the embedding model on them, compare it with the model in use on held-out "
        "passages (and on --questions), and promote it only if it is better: the index is then "
        "rebuilt into a new collection. --rollback goes back to the previous model.")
    mode = ft.add_mutually_exclusive_group()
    mode.add_argument("--triplets-only", action="store_true", help="only mine the triplets")
    mode.add_argument("--train-only", action="store_true",
                      help="train on the triplets already mined (then evaluate and promote)")
    mode.add_argument("--rollback", action="store_true",
                      help="undo the last promotion: the model before it is used again")
    mode.add_argument("--promote", metavar="VERSION",
                      help="make a trained model (ft-...) the one in use, without the comparison")
    mode.add_argument("--list", action="store_true", help="list trained models and promotions")
    ft.add_argument("--questions", metavar="FILE", type=Path,
                    help="also evaluate on a questions file (dev.jsonl format); a drop blocks promotion")
    ft.add_argument("--loss", choices=("mnrl", "triplet"), help="training loss (default: mnrl)")
    ft.add_argument("--epochs", type=int, help="passes over the triplets (default: 1)")
    ft.add_argument("--no-llm", action="store_true",
                    help="mine without the LLM (no question or rewording anchors)")
    ft.add_argument("--no-promote", action="store_true", help="evaluate but never promote")
    ft.add_argument("--json", action="store_true", help="print the metrics as JSON")


def _errors() -> tuple[type[Exception], ...]:
    from assistant.evaluate import EvalError
    from finetune.registry import RegistryError
    from finetune.train import TrainingError
    from finetune.triplets import MiningError
    from index.embed import EmbeddingError
    from index.store import StoreError
    from lectern.llm import LLMError
    return (MiningError, TrainingError, RegistryError, EvalError, EmbeddingError, StoreError,
            LLMError, ArtifactError, LibraryBusy)


@contextmanager
def _bars(enabled: bool):
    """A progress callback drawing one rich bar per stage (on stderr, when it is a terminal)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )
    tasks: dict[str, int] = {}
    with Progress(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), disable=not (enabled and sys.stderr.isatty()),
                  transient=False) as bars:
        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)
        yield report


def finetune(lib: Library, args: argparse.Namespace) -> int:
    import finetune as ft
    from finetune.config import load_config
    try:
        if args.rollback:
            gone, now, collection = ft.rollback(lib)
            print(f"rolled back {gone.version}; now using {now} (collection {collection})")
            return 0
        if args.promote:
            collection = ft.promote_version(lib, args.promote, "promoted by hand (--promote)")
            print(f"promoted {args.promote}; index collection {collection}")
            return 0
        if args.list:
            return _list(lib, args.json)
        overrides = {"loss": args.loss, "epochs": args.epochs, "llm": "" if args.no_llm else None}
        cfg = load_config(lib, **overrides)
        with _bars(not args.json) as report:
            out = ft.run(lib, cfg, triplets_only=args.triplets_only, train_only=args.train_only,
                         questions=args.questions, promote=not args.no_promote, progress=report)
    except _errors() as e:
        print(f"lectern: {e}", file=sys.stderr)
        return 1
    _print(out, args.json)
    return 0


def _summary(out) -> dict:
    counts = {k: v for k, v in out.triplets.counts.items() if isinstance(v, dict) and "train" in v}
    return {"triplets": len(out.triplets.triplets), "triplets_file": str(out.triplets_path),
            "triplets_sha256": out.triplets.sha256, "by_kind": counts}


def _print(out, as_json: bool) -> None:
    info = _summary(out)
    if out.trained is not None:
        t = out.trained
        info.update({
            "model": t.version, "model_path": str(t.model_path), "loss": t.loss, "steps": t.steps,
            "train_seconds": round(t.seconds, 1), "device": t.device, "compared_with": out.current,
            "before": {k: m.as_dict() for k, m in out.before.items()},
            "after": {k: m.as_dict() for k, m in out.after.items()},
            "promoted": out.promoted, "reason": out.reason, "collection": out.collection})
    if as_json:
        print(json.dumps(info, indent=1))
        return
    n_train = sum(v["train"] for v in info["by_kind"].values())
    print(f"{info['triplets']} triplets ({n_train} train, {info['triplets'] - n_train} held out) "
          f"in {out.triplets_path}")
    print("  " + ", ".join(f"{k} {v['train']}+{v['heldout']}" for k, v in info["by_kind"].items()))
    if out.trained is not None:
        print(f"trained {t.version} ({t.loss}, {t.steps} steps, {t.seconds:.0f} s on {t.device})")
        print(out.table())
        print(out.reason)
        if out.promoted:
            print(f"index collection now {out.collection}; undo with `lectern finetune --rollback`")


def _list(lib: Library, as_json: bool) -> int:
    from finetune import registry
    from index.config import load_config
    hist = registry.history(lib)
    info = {"in_use": load_config(lib).embedding_model, "trained": registry.trained_versions(lib),
            "promotions": [h.__dict__ for h in hist]}
    if as_json:
        print(json.dumps(info, indent=1))
        return 0
    print(f"in use: {info['in_use']}")
    for v in info["trained"]:
        mark = " (promoted)" if any(h.version == v for h in hist) else ""
        print(f"  {v}{mark}")
    return 0
