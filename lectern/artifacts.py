"""Versioned JSON artifacts, written atomically.

A crash while writing must never leave a half-written artifact behind, because
"the file exists" is how a re-run decides a stage is done. So every write goes
to a temporary file in the same folder, is fsync'ed, and is renamed over the
target (rename is atomic on POSIX within one filesystem).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any


class ArtifactError(RuntimeError):
    """An artifact is missing, unreadable or of an unexpected kind/version."""


def write_atomic(path: Path, data: bytes | str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save(path: Path, kind: str, version: int, payload: dict[str, Any],
         config: dict[str, Any] | None = None) -> None:
    """Write {"artifact", "schema", "created", "config", ...payload} atomically."""
    clash = {"artifact", "schema", "created", "config"} & set(payload)
    if clash:
        raise ValueError(f"payload keys {sorted(clash)} are reserved for the envelope")
    doc = {"artifact": kind, "schema": version, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if config is not None:
        doc["config"] = config
    doc.update(payload)
    write_atomic(path, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")


def load(path: Path, kind: str, version: int) -> dict[str, Any]:
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing") from None
    except (OSError, json.JSONDecodeError) as e:
        raise ArtifactError(f"{path}: unreadable ({e})") from None
    if doc.get("artifact") != kind:
        raise ArtifactError(f"{path}: expected a {kind!r} artifact, found {doc.get('artifact')!r}")
    if doc.get("schema") != version:
        raise ArtifactError(f"{path}: {kind} schema {doc.get('schema')} is not the supported {version}")
    return doc


def cleanup_temp(folder: Path) -> int:
    """Remove temp files a killed process left behind; returns how many."""
    n = 0
    for p in Path(folder).glob(".*.tmp"):
        p.unlink(missing_ok=True)
        n += 1
    return n
