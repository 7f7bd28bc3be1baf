"""Every bad input a user or a hostile one can give, through the real CLI, one row each.

Each row runs `lectern` in a subprocess on a fresh copy of a library that
already holds one good lecture (jfk), and checks what a user sees: the
exit status, a one-line message that names the problem, no traceback. For
sources, the good file is named beside the bad one and must come out "ok";
for every row, what was already ingested is unchanged and no stage is left
"running".
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_MODEL, lectern, shared

FAST = ("--model", TEST_MODEL, "--no-summary", "--no-index")


class _Liar(http.server.BaseHTTPRequestHandler):
    """Promises 2 GB of video and closes the connection after 10 kB."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(2 << 30))
        self.end_headers()
        self.wfile.write(b"\0" * 10_000)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(handler) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def world(tmp_path_factory, ffmpeg):
    """A library with jfk ingested, bad files, and two local web servers."""
    root = tmp_path_factory.mktemp("bad-inputs")
    good = root / "good" / "jfk.flac"
    good.parent.mkdir()
    shutil.copyfile(shared("audio/wer/jfk.flac"), good)
    lib = root / "library"
    lectern("ingest", str(good), *FAST, home=lib, check=True)
    bad = root / "bad"
    bad.mkdir()
    (bad / "notes.mp4").write_text("not a video at all\n" * 50)
    (bad / "zero.wav").write_bytes(b"")
    (bad / "header.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    (bad / "truncated.flac").write_bytes(good.read_bytes()[:len(good.read_bytes()) // 3])
    (bad / "trunc.m4a").write_bytes(shared("corpus/L04.m4a").read_bytes()[:4000])
    for name, src, secs in (("noaudio.mp4", "testsrc=size=160x120:rate=5", 2),
                            ("silence.wav", "anullsrc=r=16000:cl=mono", 3),
                            ("blip.wav", "sine=frequency=440:sample_rate=16000", 0.4)):
        subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", src, "-t", str(secs),
                        *(["-pix_fmt", "yuv420p"] if name.endswith(".mp4") else []), str(bad / name)],
                       check=True)
    for d in ("empty", "only-notes", "fifo-folder"):
        (root / d).mkdir()
    (root / "only-notes" / "readme.txt").write_text("slides are on the website\n")
    os.mkfifo(root / "fifo-folder" / "lecture.wav")
    os.mkfifo(bad / "lecture.wav")
    www = root / "www"
    www.mkdir()
    (www / "page.html").write_text("<html><body><p>No media here.</p></body></html>")
    files, files_url = _serve(lambda *a, **k: _Files(*a, directory=str(www), **k))
    liar, liar_url = _serve(_Liar)
    yield {"root": root, "lib": lib, "good": good, "bad": bad, "www": files_url, "liar": liar_url}
    files.shutdown()
    liar.shutdown()


@dataclass(frozen=True)
class Case:
    id: str
    args: Callable[[dict], list[str]]    # the command line after `lectern`, from the world
    rc: int
    says: str                            # in the one line that names the problem (lowercase)
    good_beside: bool = False            # the good file is named too and must be ingested
    setup: Callable[[Path], None] | None = None   # on the library copy, before the run


def _source(id_: str, source: Callable[[dict], str], says: str) -> Case:
    return Case(id_, lambda w: ["ingest", source(w), str(w["good"]), *FAST], 1, says, True)


def _config(id_: str, config: str, says: str, rc: int = 2) -> Case:
    return Case(id_, lambda w: ["ingest", str(w["good"]), *FAST], rc, says,
                setup=lambda lib: (lib / "config.json").write_text(config))


def _corrupt_catalog(lib: Path) -> None:
    for p in lib.glob("catalog.sqlite*"):
        p.unlink()
    (lib / "catalog.sqlite").write_bytes(b"this is not a database" * 100)


def _empty_library(lib: Path) -> None:
    shutil.rmtree(lib)
    lib.mkdir()


CASES = [
    # sources: each fails alone, with the good lecture beside it ingested
    _source("missing-file", lambda w: str(w["root"] / "missing.mp4"), "no such file"),
    _source("text-as-mp4", lambda w: str(w["bad"] / "notes.mp4"), "not a media file"),
    _source("zero-bytes", lambda w: str(w["bad"] / "zero.wav"), "not a media file"),
    _source("wav-header-only", lambda w: str(w["bad"] / "header.wav"), "not a media file"),
    _source("truncated-m4a", lambda w: str(w["bad"] / "trunc.m4a"), "not a media file"),
    _source("truncated-flac", lambda w: str(w["bad"] / "truncated.flac"), "damaged or truncated"),
    _source("video-no-audio", lambda w: str(w["bad"] / "noaudio.mp4"), "no audio track"),
    _source("silence", lambda w: str(w["bad"] / "silence.wav"), "silent audio"),
    _source("too-short", lambda w: str(w["bad"] / "blip.wav"), "too short"),
    _source("empty-folder", lambda w: str(w["root"] / "empty"), "no media files in this folder"),
    _source("folder-without-media", lambda w: str(w["root"] / "only-notes"),
            "no media files in this folder"),
    _source("fifo", lambda w: str(w["bad"] / "lecture.wav"), "not a regular file (a fifo)"),
    _source("fifo-in-folder", lambda w: str(w["root"] / "fifo-folder"),
            "not a regular file (a fifo)"),
    _source("char-device", lambda w: "/dev/null", "not a regular file (a character device)"),
    _source("file-url-not-media", lambda w: f"file://{w['bad'] / 'notes.mp4'}", "not a media file"),
    _source("refused-connection", lambda w: "http://127.0.0.1:9/lecture.mp4", "connection refused"),
    _source("html-page", lambda w: f"{w['www']}/page.html", "unsupported url"),
    _source("http-404", lambda w: f"{w['www']}/removed-video.mp4", "404"),
    _source("closed-early", lambda w: f"{w['liar']}/lecture.mp4", "the download ended early"),
    _source("url-without-host", lambda w: "http://", "names no host"),
    _source("url-bad-port", lambda w: "http://127.0.0.1:99999/x.mp4", "port is not a number"),
    # configuration: said before anything runs (exit 2), nothing left "running"
    _config("config-wrong-type", '{"transcribe": {"beam_size": "five"}}',
            "transcribeconfig.beam_size must be a whole number"),
    _config("config-bool-type", '{"summarize": {"grounding": "yes"}}', "must be true or false"),
    _config("config-list-type", '{"ingest": {"caption_langs": "en"}}', "must be a list of strings"),
    _config("config-unknown-key", '{"transcribe": {"beam": 5}}', "unknown transcribeconfig key"),
    _config("config-unknown-section", '{"transcribbe": {}}', "unknown section"),
    _config("config-not-json", '{"transcribe": {beam_size: 5}}', "not valid json"),
    _config("config-not-sections", '[1, 2, 3]', "expected an object of stage sections"),
    _config("config-bad-choice", '{"ingest": {"captions": "always"}}', "'ignore' or 'prefer'"),
    Case("force-unknown-stage", lambda w: ["ingest", str(w["good"]), *FAST, "--force", "embed"],
         2, "unknown stage"),
    # the library itself
    Case("catalog-corrupted", lambda w: ["status"], 1, "--rebuild-catalog", setup=_corrupt_catalog),
    Case("home-is-a-file", lambda w: ["status"], 1, "is a file, not a folder",
         setup=lambda lib: (shutil.rmtree(lib), lib.write_text("oops"))),
    # questions
    Case("ask-empty-library", lambda w: ["ask", "What is a pendulum?"], 1, "nothing is ingested yet",
         setup=_empty_library),
    Case("ask-empty-question", lambda w: ["ask", ""], 2, "the question is empty"),
    Case("ask-blank-question", lambda w: ["ask", "   "], 2, "the question is empty"),
    Case("ask-20000-chars", lambda w: ["ask", "why " * 5000], 2, "the limit is 1,000"),
    Case("eval-missing-file", lambda w: ["eval", str(w["root"] / "nope.jsonl")], 1, "cannot read"),
]


def _stages(lib: Path) -> dict:
    db = sqlite3.connect(lib / "catalog.sqlite")
    try:
        return {(v, s): st for v, s, st in db.execute("SELECT video_id, stage, status FROM stages")}
    finally:
        db.close()


def test_at_least_thirty_distinct_bad_inputs():
    assert len({c.id for c in CASES}) == len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_gets_one_clear_line(case: Case, world, tmp_path):
    lib = tmp_path / "library"
    shutil.copytree(world["lib"], lib)
    transcript = (lib / "videos/jfk/transcript.json").read_bytes()
    if case.setup:
        case.setup(lib)
    proc = lectern(*case.args(world), home=lib, timeout=300)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    assert proc.returncode == case.rc, out
    lines = [ln for ln in out.splitlines() if case.says in ln.lower()]
    assert lines, f"{case.says!r} not in:\n{out}"
    if case.good_beside:
        assert any(ln.startswith("ok") and "jfk" in ln for ln in proc.stdout.splitlines()), out
    if lib.is_dir() and (lib / "videos/jfk").exists():
        assert (lib / "videos/jfk/transcript.json").read_bytes() == transcript
        if case.id != "catalog-corrupted":
            assert "running" not in _stages(lib).values()


def test_a_corrupted_catalog_is_rebuilt_from_the_artifacts(world, tmp_path):
    lib = tmp_path / "library"
    shutil.copytree(world["lib"], lib)
    before = _stages(lib)
    _corrupt_catalog(lib)
    proc = lectern("status", "--rebuild-catalog", home=lib, check=True)
    assert "rebuilt from 1 video folder" in proc.stdout and list(lib.glob("catalog.sqlite.damaged-*"))
    assert _stages(lib) == before
    again = lectern("ingest", str(world["good"]), *FAST, home=lib, check=True)
    assert "jfk" in again.stdout and "already done" in again.stdout   # nothing redone


def test_status_survives_a_closed_pipe_and_prints_whole_values_when_piped(world, tmp_path):
    lib = tmp_path / "library"
    shutil.copytree(world["lib"], lib)
    env = {**os.environ, "LECTERN_HOME": str(lib)}
    cmd = "python -m lectern status --json | head -c 20; exit ${PIPESTATUS[0]}"
    proc = subprocess.run(["bash", "-c", cmd.replace("python", str(Path(os.sys.executable)))],
                          env=env, capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "Broken pipe" not in proc.stderr
    db = sqlite3.connect(lib / "catalog.sqlite")
    db.execute("UPDATE videos SET title = ? WHERE id = 'jfk'",
               ("John F. Kennedy's inaugural address, read in full by the course's own tutor",))
    db.execute("UPDATE stages SET status = 'running' WHERE video_id = 'jfk' AND stage = 'transcript'")
    db.commit()
    db.close()
    piped = lectern("status", home=lib, check=True).stdout   # stdout is a pipe here
    assert "interrupted" in piped and "\u2026" not in piped, piped


def test_temp_files_a_killed_write_left_are_removed_at_the_next_ingest(world, tmp_path):
    lib = tmp_path / "library"
    shutil.copytree(world["lib"], lib)
    left = lib / "videos/jfk/.transcript.json.x1y2z3.tmp"
    left.write_text("{half")
    lectern("ingest", str(world["good"]), *FAST, home=lib, check=True)
    assert not left.exists()
    assert json.loads((lib / "videos/jfk/transcript.json").read_text())["video_id"] == "jfk"
