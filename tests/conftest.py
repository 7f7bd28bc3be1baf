"""Shared fixtures. Tests run real components: faster-whisper, llama.cpp, yt-dlp, PyAV.

Speech recognition in tests uses the tiny.en model (fast) except where the
default model is what is being measured (WER).
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEST_MODEL = "tiny.en"


def shared(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"needs ../shared/{rel}")
    return path


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty library as LECTERN_HOME."""
    h = tmp_path / "library"
    monkeypatch.setenv("LECTERN_HOME", str(h))
    return h


def lectern(*args: str, home: Path, check: bool = False, timeout: float = 900,
            env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess, as a user would (`env`: variables to add; `input`:
    its standard input)."""
    env = {**os.environ, **(env or {}), "LECTERN_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "lectern", *args], env=env, cwd=REPO, input=input,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"lectern {' '.join(args)} exited {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    import imageio_ffmpeg
    return imageio_ffmpeg.get_ffmpeg_exe()


def write_wav(path: Path, audio: np.ndarray, rate: int = 16000) -> Path:
    from ingest.media import write_wav as _write
    assert rate == 16000
    _write(path, audio.astype(np.float32))
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def http_root(tmp_path):
    """Serve a folder on 127.0.0.1; yields (folder, base_url)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
