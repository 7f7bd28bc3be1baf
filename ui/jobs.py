"""Instructor jobs (ingest, index, voice) run one at a time in a background thread.

A job writes what it does into its log; the instructor page polls the log
every second, so a long ingest shows live progress and survives the browser
tab being closed. One job at a time, because ingest holds the library's
writer lock and the machine has few cores anyway.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MAX_LINES = 400


class JobBusy(RuntimeError):
    """A job is already running."""


@dataclass
class Job:
    name: str
    started: float = field(default_factory=time.time)
    finished: float | None = None
    error: str | None = None
    lines: list[str] = field(default_factory=list)
    progress: dict[str, str] = field(default_factory=dict)   # "video stage" -> "45%"

    def say(self, line: str) -> None:
        log.info("%s: %s", self.name, line)
        self.lines.append(f"{time.strftime('%H:%M:%S')} {line}")
        del self.lines[:-MAX_LINES]

    @property
    def state(self) -> str:
        if self.finished is None:
            return "running"
        return "failed" if self.error else "done"

    def text(self) -> str:
        took = (self.finished or time.time()) - self.started
        head = f"{self.name}: {self.state} ({took:.0f} s)"
        if self.error:
            head += f"\nerror: {self.error}"
        bars = [f"  {k}: {v}" for k, v in self.progress.items()]
        return "\n".join([head, *bars, *self.lines[-40:]])


# An ingest or fine-tune started from the instructor page runs at this nice value, so the
# students' answers (nice 0) get the cores first: on Linux the nice value is per thread, and
# the threads the job's libraries start (CTranslate2, torch, llama.cpp) inherit it.
JOB_NICE = 15


def _lower_priority() -> None:
    if not sys.platform.startswith("linux"):   # elsewhere the nice value is per process
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), JOB_NICE)
    except (OSError, AttributeError) as e:   # not Linux, or not allowed: run as is
        log.info("instructor job keeps normal priority (%s)", e)


class JobRunner:
    def __init__(self):
        self.current: Job | None = None
        self.history: list[Job] = []
        self._lock = threading.Lock()

    def busy(self) -> bool:
        return self.current is not None and self.current.finished is None

    def start(self, name: str, work: Callable[[Job], None]) -> Job:
        with self._lock:
            if self.busy():
                raise JobBusy(f"{self.current.name} is still running")
            job = Job(name)
            self.current = job
            self.history = (self.history + [job])[-20:]
        threading.Thread(target=self._run, args=(job, work), name=f"job-{name}", daemon=True).start()
        return job

    @staticmethod
    def _run(job: Job, work: Callable[[Job], None]) -> None:
        _lower_priority()
        try:
            work(job)
        except Exception as e:  # noqa: BLE001 - a failed job reports; the server goes on
            log.warning("job %s failed: %s\n%s", job.name, e, traceback.format_exc())
            job.error = f"{type(e).__name__}: {e}"
        finally:
            job.finished = time.time()

    def text(self) -> str:
        return self.current.text() if self.current else "No job has run since the server started."


class JobProgress:
    """ingest.pipeline.Progress that writes into a job (percentages per video and stage)."""

    def __init__(self, job: Job):
        self.job = job

    def stage(self, video_id: str, stage: str, total: float | None):
        key = f"{video_id} {stage}"
        self.job.progress[key] = "started"
        self.job.say(f"{key}: started")

        def tick(done: float) -> None:
            self.job.progress[key] = f"{100 * done / total:.0f}%" if total else f"{done:.0f}"
        return tick

    def done(self, video_id: str, stage: str) -> None:
        for key in [k for k in self.job.progress if k.startswith(f"{video_id} ")]:
            self.job.progress.pop(key, None)
