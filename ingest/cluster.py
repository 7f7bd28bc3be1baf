"""Ingest on a Ray cluster: the same stages, run by pools of Ray workers.

ingest/pipeline.py yields each video's Work; this executor sends it to
  - fetch: Ray tasks, at most `fetch_concurrency` at once (sites rate-limit);
  - asr: actors that load faster-whisper once each, decode audio and transcribe;
  - llm: actors that load the language model once each, for repunctuation and summaries;
and sends each result back into its video's steps. Every task and actor
declares the CPUs (and GPUs) it uses and sets its library's thread count to
match, so a run takes what it was given and no more (an unbounded job once took
a shared server's every CPU and GPU). Only this driver writes the catalog;
workers write media and audio into the data root, which on a real cluster is
shared storage (see the README). A lost worker is restarted and its task
retried; a killed driver loses nothing that is done, and a rerun skips it.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from lectern.config import ConfigError, from_dict, load_file

from .pipeline import Executor, Progress, Result, Steps
from .work import POOLS, Work

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RayConfig:
    """The "ray" section of config.json: what a cluster run may use."""

    cpus: int = 0                # a local cluster's CPUs (0: all cores); a running cluster has its own
    asr_workers: int = 0         # speech actors (0: as many as fit beside the LLM's)
    asr_cpus: int = 1            # cores per speech actor (faster-whisper's cpu_threads)
    asr_gpus: float = -1.0       # GPUs per speech actor (-1: 1 when the cluster has GPUs, else 0)
    llm_workers: int = 0         # language-model actors (0: one per 4 cores, at least one)
    llm_cpus: int = 1            # cores per LLM actor (llama.cpp's threads)
    llm_gpus: float = 0.0        # GPUs per LLM actor
    fetch_concurrency: int = 4   # downloads at once
    retries: int = 3             # restarts of a lost actor, retries of a lost task

    @classmethod
    def from_file(cls, path: Path) -> "RayConfig":
        return from_dict(cls, load_file(path).get("ray"))


@dataclass(frozen=True)
class Plan:
    asr_workers: int
    asr_cpus: int
    asr_gpus: float
    llm_workers: int
    llm_cpus: int
    llm_gpus: float

    def describe(self) -> str:
        def one(n, cpus, gpus, what):
            return f"{n} {what} worker(s) × {cpus} CPU" + (f" + {gpus:g} GPU" if gpus else "")
        return (f"{one(self.asr_workers, self.asr_cpus, self.asr_gpus, 'speech')}, "
                f"{one(self.llm_workers, self.llm_cpus, self.llm_gpus, 'language-model')}")


def plan(cfg: RayConfig, cpus: float, gpus: float, llm: bool = True) -> Plan:
    """How many actors of each pool, checked against what the cluster has (no deadlock:
    actors hold their CPUs for their lifetime, so all of them must fit at once). Without
    `llm` (no summaries, no repunctuation) no language-model actor is planned."""
    if min(cfg.asr_cpus, cfg.llm_cpus) < 1 or cfg.fetch_concurrency < 1:
        raise ConfigError("ray.asr_cpus, ray.llm_cpus and ray.fetch_concurrency must be at least 1")
    asr_gpus = (1.0 if gpus >= 1 else 0.0) if cfg.asr_gpus < 0 else cfg.asr_gpus
    llm = (cfg.llm_workers or max(1, int(cpus) // (4 * cfg.llm_cpus))) if llm else 0
    if cfg.asr_workers:
        asr = cfg.asr_workers
    elif asr_gpus:
        asr = max(1, int(gpus // asr_gpus))
    else:
        asr = max(1, (int(cpus) - llm * cfg.llm_cpus) // cfg.asr_cpus)
    p = Plan(asr, cfg.asr_cpus, asr_gpus, llm, cfg.llm_cpus, cfg.llm_gpus)
    need_cpu = asr * cfg.asr_cpus + llm * cfg.llm_cpus
    need_gpu = asr * asr_gpus + llm * cfg.llm_gpus
    if need_cpu > cpus or need_gpu > gpus:
        raise ConfigError(f"ray: {p.describe()} need {need_cpu} CPUs and {need_gpu:g} GPUs; "
                          f"the cluster has {cpus:g} and {gpus:g} (lower ray.asr_workers or "
                          f"ray.llm_workers, or give a local cluster more with ray.cpus)")
    return p


class Worker:
    """A Ray actor: one process that keeps its models loaded between calls."""

    def __init__(self, threads: int):
        self.threads = threads  # Ray sets OMP_NUM_THREADS to the actor's CPUs as well

    def pid(self) -> int:
        return os.getpid()

    def run(self, fn, args):
        return fn(*args, threads=self.threads)


def _call(fn, args):
    return fn(*args)


class RayExecutor(Executor):
    """Use as a context manager: starts (or joins) the cluster, stops what it started."""

    def __init__(self, cfg: RayConfig, address: str = "", progress: Progress | None = None,
                 llm: bool = True):
        self.cfg, self.address, self.llm = cfg, address, llm
        self.progress = progress or Progress()
        self.started = False
        self.actors: dict[str, list] = {p: [] for p in POOLS}
        self.pids: dict[str, list[int]] = {p: [] for p in POOLS}

    def __enter__(self) -> "RayExecutor":
        import ray

        if not ray.is_initialized():
            kwargs = {"address": self.address} if self.address else {
                "num_cpus": self.cfg.cpus or os.cpu_count()}
            ctx = ray.init(log_to_driver=False, logging_level=logging.WARNING, **kwargs)
            self.started = True
            if getattr(ctx, "dashboard_url", None):
                print(f"Ray dashboard: http://{ctx.dashboard_url}", flush=True)
        have = ray.cluster_resources()
        self.plan = plan(self.cfg, have.get("CPU", 0), have.get("GPU", 0), self.llm)
        log.info("ray cluster with %g CPUs, %g GPUs: %s", have.get("CPU", 0), have.get("GPU", 0),
                 self.plan.describe())
        self._remote_call = ray.remote(_call).options(num_cpus=0, max_retries=self.cfg.retries)
        return self

    def __exit__(self, *exc) -> None:
        import ray

        for pool in self.actors.values():
            for a in pool:
                ray.kill(a)
        self.actors = {p: [] for p in POOLS}
        if self.started:
            ray.shutdown()

    # --- the loop ---------------------------------------------------------------------
    def run(self, videos: Iterable[Steps | Result]) -> Iterator[Result]:
        import ray

        self.queue: dict[str, deque] = {p: deque() for p in POOLS}
        self.inflight: dict = {}   # ObjectRef -> (steps, work, actor or None)
        self.idle: dict[str, list] = {p: [] for p in POOLS}
        self.submitted, self.finished = Counter(), Counter()
        source = iter(videos)
        more = True
        while True:
            # take new videos while downloads can start: discovery and ids stay in step
            while more and len(self.queue["fetch"]) < self.cfg.fetch_concurrency:
                v = next(source, None)
                if v is None:
                    more = False
                elif isinstance(v, Result):
                    yield v
                else:
                    done = self._advance(v, lambda: next(v))
                    if done:
                        yield done
            self._dispatch()
            if not self.inflight:
                if more:
                    continue
                return
            [ref], _ = ray.wait(list(self.inflight), num_returns=1)
            steps, w, actor = self.inflight.pop(ref)
            if actor is not None:
                self.idle[w.pool].append(actor)
            self.finished[w.label] += 1
            self.progress.counts(w.label, self.finished[w.label], self.submitted[w.label])
            try:
                value = ray.get(ref)
            except Exception as e:
                error = _cause(e)
                done = self._advance(steps, lambda: steps.throw(error))
            else:
                done = self._advance(steps, lambda: steps.send(value))
            if done:
                yield done

    def _advance(self, steps: Steps, step) -> Result | None:
        """Run the video's steps to its next Work (queued) or to its end (returned)."""
        try:
            w: Work = step()
        except StopIteration as stop:
            return stop.value
        self.queue[w.pool].append((steps, w))
        return None

    def _dispatch(self) -> None:
        for pool, q in self.queue.items():
            while q:
                actor = self._free(pool)
                if actor is False:
                    break
                steps, w = q.popleft()
                if actor is None:
                    ref = self._remote_call.remote(w.fn, w.args)
                else:
                    ref = actor.run.remote(w.fn, w.args)
                self.inflight[ref] = (steps, w, actor)
                self.submitted[w.label] += 1
                self.progress.counts(w.label, self.finished[w.label], self.submitted[w.label])

    def _free(self, pool: str):
        """An idle actor of the pool, None for a task slot, False when all are busy."""
        if pool == "fetch":
            busy = sum(1 for _, w, _ in self.inflight.values() if w.pool == "fetch")
            return None if busy < self.cfg.fetch_concurrency else False
        if self.idle[pool]:
            return self.idle[pool].pop()
        wanted = self.plan.asr_workers if pool == "asr" else self.plan.llm_workers
        if len(self.actors[pool]) < wanted:
            return self._start(pool)
        return False

    def _start(self, pool: str):
        import ray

        p = self.plan
        cpus, gpus = (p.asr_cpus, p.asr_gpus) if pool == "asr" else (p.llm_cpus, p.llm_gpus)
        actor = ray.remote(Worker).options(
            num_cpus=cpus, num_gpus=gpus, max_restarts=self.cfg.retries,
            max_task_retries=self.cfg.retries).remote(cpus)
        self.actors[pool].append(actor)
        self.pids[pool].append(ray.get(actor.pid.remote()))
        log.info("ray: %s worker %d started (pid %d)", pool, len(self.actors[pool]), self.pids[pool][-1])
        return actor


def _cause(e: Exception) -> Exception:
    """The stage's own exception, as if it had been raised here; a lost worker as one line."""
    from ray.exceptions import RayTaskError

    if isinstance(e, RayTaskError) and isinstance(getattr(e, "cause", None), Exception):
        return e.cause
    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
    return RuntimeError(f"lost on the Ray cluster after {type(e).__name__}: {first}")
