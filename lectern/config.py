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
import types
import typing
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
    """Build a config dataclass from a dict; unknown keys and mistyped values are errors."""
    data = dict(data or {})
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} key(s): {', '.join(unknown)}")
    hints = typing.get_type_hints(cls)
    for key, value in data.items():
        data[key] = _typed(f"{cls.__name__}.{key}", value, hints[key])
    try:
        return cls(**data)
    except TypeError as e:  # pragma: no cover - dataclass signature errors
        raise ConfigError(f"{cls.__name__}: {e}") from None


_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "a string",
          type(None): "null"}


def _typed(name: str, value: Any, hint: Any) -> Any:
    """`value` checked against the field's type (JSON gives lists where configs hold tuples).
    A wrong type would otherwise surface deep inside a library, as a traceback."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for t in options:
        if typing.get_origin(t) is tuple:
            item = typing.get_args(t)[0]
            if isinstance(value, (list, tuple)) and all(_is(v, item) for v in value):
                return tuple(value)
        elif _is(value, t):
            return float(value) if t is float else value
    wanted = " or ".join("a list of strings" if typing.get_origin(t) is tuple
                         else _NAMES.get(t, getattr(t, "__name__", str(t))) for t in options)
    raise ConfigError(f"{name} must be {wanted}, not {json.dumps(value)}")


def _is(value: Any, t: Any) -> bool:
    if t is float:   # 1 is a fine float; True is not a number
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, t) if isinstance(t, type) else True


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_hash(config: Any) -> str:
    """A short stable hash of a config dataclass (key order does not matter)."""
    return dict_hash(to_dict(config))


def dict_hash(data: dict[str, Any]) -> str:
    blob = json.dumps(data, sort_keys=True, default=str).encode()
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
