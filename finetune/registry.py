"""Which fine-tuned embedding model is in use: promotion and rollback.

A history of promotions, newest last, in <data root>/models/embedding/
promotions.json (index/config.py reads it). Promoting appends, rolling back
removes the newest entry, so the one before (or the offline default, when
none is left) is in use again. Models and their collections are never
deleted here: rolling back is instant, since the old collection is still
there and indexing finds it up to date.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from index.config import (
    DEFAULT_EMBEDDING,
    PROMOTION_KIND,
    PROMOTION_VERSION,
    promotion_file,
)
from lectern import artifacts
from lectern.library import Library


class RegistryError(RuntimeError):
    """Nothing to roll back, or not a model folder."""


@dataclass(frozen=True)
class Promotion:
    model: str        # the folder sentence-transformers loads
    version: str
    promoted: str     # UTC time
    reason: str


def models_root(lib: Library) -> Path:
    return lib.root / "models" / "embedding"


def history(lib: Library) -> list[Promotion]:
    try:
        doc = artifacts.load(promotion_file(lib), PROMOTION_KIND, PROMOTION_VERSION)
    except artifacts.ArtifactError:
        return []
    return [Promotion(**h) for h in doc.get("history", [])]


def _save(lib: Library, items: list[Promotion], rolled_back: list[dict]) -> None:
    artifacts.save(promotion_file(lib), PROMOTION_KIND, PROMOTION_VERSION, {
        "history": [p.__dict__ for p in items], "rolled_back": rolled_back})


def _rolled_back(lib: Library) -> list[dict]:
    try:
        return artifacts.load(promotion_file(lib), PROMOTION_KIND, PROMOTION_VERSION).get("rolled_back", [])
    except artifacts.ArtifactError:
        return []


def version_folder(lib: Library, version: str) -> Path:
    folder = models_root(lib) / version
    if not (folder / "model").is_dir():
        raise RegistryError(f"no trained model {version!r} under {models_root(lib)}")
    return folder


def promote(lib: Library, version: str, reason: str) -> Promotion:
    folder = version_folder(lib, version)
    p = Promotion(str(folder / "model"), version,
                  time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), reason)
    _save(lib, [*history(lib), p], _rolled_back(lib))
    return p


def rollback(lib: Library) -> tuple[Promotion, str]:
    """Undo the newest promotion; returns it and the model now in use."""
    items = history(lib)
    if not items:
        raise RegistryError("no promoted model to roll back: the default "
                            f"({DEFAULT_EMBEDDING}) is in use")
    gone = items.pop()
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _save(lib, items, [*_rolled_back(lib), {**gone.__dict__, "rolled_back": when}])
    return gone, items[-1].version if items else DEFAULT_EMBEDDING


def trained_versions(lib: Library) -> list[str]:
    root = models_root(lib)
    return sorted(p.name for p in root.glob("ft-*") if (p / "model").is_dir()) if root.is_dir() else []
