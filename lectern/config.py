"""Configuration: one frozen dataclass per stage, strict about unknown keys.

Every stage artifact stores the resolved config it was made with, and the
catalog stores its hash, so "same content and same config" is checkable and a
changed setting re-runs exactly the stages it affects.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any, TypeVar

HOME_ENV = "LECTERN_HOME"
DEFAULT_HOME = "lectern-data"
CACHE_ENV = "LECTERN_CACHE"  # assembled offline models live here, shared by all libraries

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration key or value is not valid."""


def home() -> Path:
    """The data root: $LECTERN_HOME, or ./lectern-data."""
    return Path(os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().resolve()


def cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lectern"
    )
    return Path(base).expanduser().resolve()


def from_dict(cls: type[T], data: dict[str, Any] | None) -> T:
    """Build a config dataclass from a dict; unknown keys are errors."""
    data = dict(data or {})
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} key(s): {', '.join(unknown)}")
    try:
        return cls(**data)
    except TypeError as e:  # pragma: no cover - dataclass signature errors
        raise ConfigError(f"{cls.__name__}: {e}") from None


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_hash(config: Any) -> str:
    """A short stable hash of a config dataclass (key order does not matter)."""
    blob = json.dumps(to_dict(config), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def replace(config: T, **changes: Any) -> T:
    """dataclasses.replace that rejects unknown keys with a ConfigError."""
    names = {f.name for f in dataclasses.fields(config)}  # type: ignore[arg-type]
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ConfigError(f"unknown {type(config).__name__} key(s): {', '.join(unknown)}")
    return dataclasses.replace(config, **changes)  # type: ignore[type-var]


def load_file(path: Path) -> dict[str, dict[str, Any]]:
    """Read LECTERN_HOME/config.json: {"transcribe": {...}, "summarize": {...}, ...}."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError(f"{path}: expected an object of stage sections")
    return data
