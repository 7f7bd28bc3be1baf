"""Ingest throughput on Ray against the in-process path, on the same clips.

    .venv/bin/python bench/ray_ingest.py [--clips FOLDER] [--model base]

Each run is the real CLI in a fresh process with a fresh library, so every
path pays its own model loading (and Ray its cluster start):
  full:     all four stages, in process vs `--ray` with the default plan;
  ASR only: no summaries and no repunctuation, in process vs `--ray` with
            1 speech worker × 2 CPUs and 2 speech workers × 1 CPU.
One line per run, for scripts:

    ingest mode=full path=ray workers=1 audio_s=<s> wall_s=<s> rtf=<x> vs_local=<ratio> same=<yes|no>

`vs_local` is the wall time over the in-process run's (the issue's overhead
target: <= 1.10); `same` says whether every transcript and summary matches the
in-process run's, word times included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "audio"
CLIPS = ("lecture/physicsworks_audio.webm", "wer/p002.mp3", "wer/p003.mp3", "wer/jfk.flac",
         "wer/sense_and_sensibility_01_austen_64kb-0870.wav")


def run(clips: Path, home: Path, config: dict, ray: bool, model: str, summaries: bool) -> float:
    home.mkdir(parents=True)
    (home / "config.json").write_text(json.dumps(config))
    args = [str(REPO / ".venv/bin/lectern"), "ingest", str(clips), "--model", model, "--no-index"]
    args += ["--ray"] if ray else []
    args += [] if summaries else ["--no-summary"]
    t0 = time.perf_counter()
    proc = subprocess.run(args, env={**os.environ, "LECTERN_HOME": str(home)},
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr[-2000:]}")
    return wall


def outputs(home: Path) -> dict[str, object]:
    out = {}
    for p in sorted((home / "videos").rglob("*.json")):
        if p.name in ("transcript.json", "summary.json"):
            doc = json.loads(p.read_text())
            doc.pop("created")
            doc["config"].pop("key")  # chains from the source path, which differs per run
            out[str(p.relative_to(home))] = doc
    return out


def audio_seconds(home: Path) -> float:
    return sum(json.loads(p.read_text())["duration"] for p in (home / "videos").rglob("transcript.json"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=Path, help="a folder of media (default: five real recordings "
                                                "from ../shared/audio, 6 minutes)")
    ap.add_argument("--model", default="base")
    ap.add_argument("--modes", default="full,asr")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lectern-ray-bench-"))
    clips = a.clips
    if clips is None:
        clips = work / "clips"
        clips.mkdir()
        for rel in CLIPS:
            shutil.copyfile(SHARED / rel, clips / Path(rel).name)
    print(f"{os.cpu_count()} cores; clips {clips}", flush=True)
    no_llm = {"transcribe": {"repunctuate_runs_s": 0}}
    runs = {"full": [("local", 0, {}), ("ray", 1, {})],
            "asr": [("local", 0, no_llm), ("ray", 1, {**no_llm, "ray": {"asr_workers": 1, "asr_cpus": 2}}),
                    ("ray", 2, {**no_llm, "ray": {"asr_workers": 2, "asr_cpus": 1}})]}
    try:
        for mode in a.modes.split(","):
            local_wall, ref = None, None
            for i, (path, workers, config) in enumerate(runs[mode]):
                home = work / f"{mode}-{i}"
                wall = run(clips, home, config, path == "ray", a.model, mode == "full")
                got, secs = outputs(home), audio_seconds(home)
                if local_wall is None:
                    local_wall, ref = wall, got
                print(f"ingest mode={mode} path={path} workers={workers} audio_s={secs:.0f} "
                      f"wall_s={wall:.1f} rtf={wall / secs:.3f} vs_local={wall / local_wall:.2f} "
                      f"same={'yes' if got == ref else 'no'}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
