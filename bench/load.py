"""A class at once: concurrent students asking through the real web app, speech on.

    python bench/load.py --library DIR [--students 20] [--questions 3] [--no-speech]
                         [--ingest FILE] [--port 7871]

Starts `lectern serve`'s app on DIR in a subprocess (the same ui.app.create
the CLI uses), then runs --students threads, each its own gradio_client
session, each asking --questions questions from ../shared/questions/dev.jsonl
one after another, as a student would. Meanwhile a poller times /healthz
every half second. Prints, per phase:
  errors, wall time for everything, per-answer total and first-token p50/p95
  (as the student sees them: from pressing Enter, queueing included), when
  each answer's speech was complete (all.wav served), /healthz worst and p95,
  and the server's RSS before and after.
With --ingest FILE, a second phase repeats the run while an instructor
ingest of FILE runs inside the server (actions.start_ingest, what the
instructor page's button calls), at the job priority ui/jobs.py gives it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEV = ROOT.parent / "shared" / "questions" / "dev.jsonl"
SPEECH_TURN = re.compile(r'data-turn="([0-9a-f]{32})"')


def serve(library: Path, port: int, ingest: str | None, delay_s: float) -> None:
    """The server role: the app as `lectern serve` builds it, plus an optional instructor job."""
    import uvicorn

    from lectern.library import Library
    from ui import actions
    from ui.app import create
    from ui.config import load_config

    lib = Library(library)
    logging.basicConfig(filename=str(_server_log(library, port)), level=logging.INFO,
                        format="%(asctime)s %(name)s: %(message)s")
    app, state = create(lib, load_config(lib, port=port))
    state.answers.warm()
    if ingest:
        def start() -> None:
            job, _ = actions.start_ingest(lib, state.runner, "", [Path(ingest)], [])
            print(f"instructor ingest of {ingest} started", file=sys.stderr, flush=True)
        threading.Timer(delay_s, start).start()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _server_log(library: Path, port: int) -> Path:
    return Path(tempfile.gettempdir()) / f"lectern-load-{port}.log"


# ui/chat.py logs each answer's own timings once its text is done (the time in the queue
# excluded): what the model took under load.
ANSWERED = re.compile(r"answered in ([0-9.]+) s \(first token ([0-9.]+) s\)")


@dataclass
class Asked:
    question: str
    total_s: float = 0.0
    first_token_s: float | None = None
    spoken_s: float | None = None
    turn: str = ""
    error: str = ""
    text: str = ""


@dataclass
class Phase:
    name: str
    answers: list[Asked] = field(default_factory=list)
    health_s: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    served: list[tuple[float, float]] = field(default_factory=list)   # (total, first token)
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0


def _content(history) -> str:
    if not history:
        return ""
    c = history[-1].get("content") if isinstance(history[-1], dict) else ""
    if isinstance(c, list):
        return " ".join(x.get("text", "") for x in c if isinstance(x, dict))
    return c or ""


def _student(url: str, questions: list[str], speak: bool, out: list[Asked], lock) -> None:
    from gradio_client import Client
    client = Client(url, verbose=False)
    for q in questions:
        a = Asked(q)
        t0 = time.perf_counter()
        try:
            job = client.submit(q, [], speak, api_name="/ask")
            for update in job:
                _, history, speech = update
                if a.first_token_s is None and _content(history).strip():
                    a.first_token_s = time.perf_counter() - t0
                if m := SPEECH_TURN.search(speech or ""):
                    a.turn = m.group(1)
                a.text = _content(history)
            job.result()
        except Exception as e:   # noqa: BLE001 - every failure is a figure of the bench
            a.error = f"{type(e).__name__}: {e}"
        a.total_s = time.perf_counter() - t0
        a.start = t0   # type: ignore[attr-defined]
        with lock:
            out.append(a)


def _health(url: str, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            urllib.request.urlopen(f"{url}healthz", timeout=30).read()
            out.append(time.perf_counter() - t0)
        except OSError:
            out.append(float("inf"))
        stop.wait(0.5)


def _spoken(url: str, answers: list[Asked], deadline: float) -> None:
    """When each answer's whole speech (all.wav) was there, from its question."""
    pending = [a for a in answers if a.turn]
    while pending and time.perf_counter() < deadline:
        for a in list(pending):
            try:
                urllib.request.urlopen(f"{url}speech/{a.turn}/all.wav", timeout=10).read(16)
                a.spoken_s = time.perf_counter() - a.start   # type: ignore[attr-defined]
                pending.remove(a)
            except OSError:
                pass
        time.sleep(0.5)


def _rss_mb(pid: int) -> float:
    import psutil
    p = psutil.Process(pid)
    return (p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))) / 2**20


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def run_phase(name: str, args, ingest: str | None) -> Phase:
    port, url = args.port, f"http://127.0.0.1:{args.port}/"
    cmd = [sys.executable, __file__, "--serve", "--library", str(args.library), "--port", str(port)]
    if ingest:
        cmd += ["--ingest", ingest, "--ingest-delay", "5"]
    log = _server_log(args.library, port)
    log.unlink(missing_ok=True)
    server = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "LECTERN_HOME": str(args.library)})
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{url}healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        phase = Phase(name, rss_before_mb=_rss_mb(server.pid))
        dev = [json.loads(line)["question"] for line in DEV.read_text().splitlines() if line.strip()]
        stop, lock = threading.Event(), threading.Lock()
        poller = threading.Thread(target=_health, args=(url, stop, phase.health_s), daemon=True)
        poller.start()
        t0 = time.perf_counter()
        students = [threading.Thread(target=_student, args=(
            url, [dev[(s * args.questions + k) % len(dev)] for k in range(args.questions)],
            not args.no_speech, phase.answers, lock)) for s in range(args.students)]
        for s in students:
            s.start()
        for s in students:
            s.join()
        _spoken(url, phase.answers, time.perf_counter() + 600)
        phase.wall_s = time.perf_counter() - t0
        stop.set()
        poller.join()
        phase.rss_after_mb = _rss_mb(server.pid)
        phase.served = [(float(a), float(b)) for a, b in ANSWERED.findall(log.read_text())]
        return phase
    finally:
        server.terminate()
        server.wait(30)


def report(p: Phase) -> None:
    ok = [a for a in p.answers if not a.error]
    totals = [a.total_s for a in ok]
    firsts = [a.first_token_s for a in ok if a.first_token_s is not None]
    spoken = [a.spoken_s for a in ok if a.spoken_s is not None]
    print(f"\n{p.name}: {len(p.answers)} answers, {len(p.answers) - len(ok)} errors, "
          f"all done (speech included) in {p.wall_s:.0f} s")
    print(f"  answer total      p50 {_pct(totals, .5):6.1f} s  p95 {_pct(totals, .95):6.1f} s  "
          f"max {max(totals, default=float('nan')):6.1f} s")
    print(f"  first shown text  p50 {_pct(firsts, .5):6.1f} s  p95 {_pct(firsts, .95):6.1f} s  "
          f"(as the student sees it, the queue included)")
    own = [t for t, _ in p.served]
    first = [f for _, f in p.served]
    print(f"  in the slot       total p50 {_pct(own, .5):5.1f} s  p95 {_pct(own, .95):5.1f} s;  "
          f"first token p50 {_pct(first, .5):5.1f} s  p95 {_pct(first, .95):5.1f} s  "
          f"(the server's own timings, {len(own)} answers)")
    print(f"  speech complete   p50 {_pct(spoken, .5):6.1f} s  p95 {_pct(spoken, .95):6.1f} s  "
          f"({len(spoken)} of {len(ok)} answers spoken)")
    print(f"  /healthz          p95 {_pct(p.health_s, .95) * 1000:6.0f} ms  "
          f"max {max(p.health_s, default=float('nan')) * 1000:6.0f} ms  ({len(p.health_s)} polls)")
    print(f"  server RSS        {p.rss_before_mb:.0f} MB before, {p.rss_after_mb:.0f} MB after")
    for a in p.answers:
        if a.error:
            print(f"  error: {a.question!r}: {a.error}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--library", type=Path, required=True)
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--questions", type=int, default=3)
    ap.add_argument("--no-speech", action="store_true")
    ap.add_argument("--ingest", help="a media file for the instructor ingest of the second phase")
    ap.add_argument("--port", type=int, default=7871)
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--ingest-delay", type=float, default=5.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.library, args.port, args.ingest, args.ingest_delay)
        return
    print(f"{args.students} students x {args.questions} questions, speech "
          f"{'off' if args.no_speech else 'on'}, library {args.library}, {os.cpu_count()} cores")
    report(run_phase("students only", args, None))
    if args.ingest:
        report(run_phase("students with an instructor ingest running", args, args.ingest))


if __name__ == "__main__":
    main()
