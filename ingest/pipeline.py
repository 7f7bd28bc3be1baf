"""Ingestion: sources -> source.json -> audio.wav -> transcript.json -> summary.json.

Each stage is a plain function of its inputs (see sources, media, transcribe,
punctuate, summarize); this module only decides which stages to run and
records what happened. A stage is skipped when the catalog says it is done
with the same input key and its outputs exist. Keys chain like a Merkle list:
a stage's key hashes the previous stage's key with its own config, so a
changed file or setting redoes exactly the stages downstream of the change.

A failure stops that video only; it is recorded with a one-line reason and
the other sources go on.
"""

from __future__ import annotations

import hashlib
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generator, Iterable, Iterator

from lectern import config as cfgmod
from lectern.artifacts import ArtifactError, write_atomic
from lectern.catalog import VideoRecord
from lectern.library import AUDIO, SOURCE, SUMMARY, SUMMARY_MD, TRANSCRIPT, TRANSCRIPT_MD, Library
from lectern.llm import LLMConfig

from . import captions, media, sources, work, ytdlp
from .summarize import SummarizeConfig, Summary
from .summarize import to_markdown as summary_markdown
from .transcribe import TranscribeConfig
from .transcript import Transcript, to_markdown
from .work import Work

log = logging.getLogger(__name__)

STAGES = ("fetch", "audio", "transcript", "summary")
AUDIO_VERSION = 2  # bump when audio extraction changes (2: bit-exact 16-bit WAV)
_YOUTUBE = ("youtube.com", "youtu.be")


@dataclass(frozen=True)
class IngestConfig:
    captions: str = "ignore"            # "ignore": always ASR; "prefer": captions when present
    caption_langs: tuple[str, ...] = ("en", "en-orig")
    url_format: str = "best[height<=720]/best"   # media kept for the web player
    youtube_format: str = "bestaudio/best"       # YouTube plays in its own embed: audio suffices
    summaries: bool = True
    executor: str = "local"     # "local": in this process; "ray": on a Ray cluster (ingest/cluster.py)
    ray_address: str = ""       # with "ray": the cluster's address ("auto", "ray://host:10001");
                                # "": start a local cluster for this run

    def fetch_config(self) -> dict:
        """What a fetch depends on, as source.json records it: not where it ran."""
        d = cfgmod.to_dict(self)
        del d["executor"], d["ray_address"]
        return d


@dataclass(frozen=True)
class Settings:
    """Everything one ingest run is configured with."""

    ingest: IngestConfig = IngestConfig()
    transcribe: TranscribeConfig = TranscribeConfig()
    summarize: SummarizeConfig = SummarizeConfig()

    @property
    def uses_llm(self) -> bool:
        """Whether ingesting with these settings can call the language model."""
        return (self.ingest.summaries or self.ingest.captions == "prefer"
                or self.transcribe.repunctuate_runs_s > 0)

    @classmethod
    def from_file(cls, path: Path, **overrides: dict) -> "Settings":
        data = cfgmod.load_file(path)
        unknown = sorted(set(data) - {"ingest", "transcribe", "summarize", "index", "assistant", "voice",
                                       "serve", "finetune", "ray"})
        if unknown:
            raise cfgmod.ConfigError(f"{path}: unknown section(s): {', '.join(unknown)}")
        sections = {}
        for name, klass in (("ingest", IngestConfig), ("transcribe", TranscribeConfig),
                            ("summarize", SummarizeConfig)):
            merged = {**data.get(name, {}), **overrides.get(name, {})}
            sections[name] = cfgmod.from_dict(klass, merged)
        if sections["ingest"].captions not in ("ignore", "prefer"):
            raise cfgmod.ConfigError("ingest.captions must be 'ignore' or 'prefer'")
        if sections["ingest"].executor not in ("local", "ray"):
            raise cfgmod.ConfigError("ingest.executor must be 'local' or 'ray'")
        return cls(**sections)


@dataclass
class Result:
    source: str
    video_id: str | None = None
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Progress:
    """What the pipeline reports; the CLI draws bars from it, tests may ignore it."""

    def stage(self, video_id: str, stage: str, total: float | None) -> Callable[[float], None]:
        return lambda done: None

    def done(self, video_id: str, stage: str) -> None:
        pass

    def counts(self, label: str, done: int, total: int) -> None:
        """On a cluster: how many of a kind of work are done, of those started so far."""


class StageError(RuntimeError):
    pass


def _key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:24]


def fetch_key(source: str, content_hash: str | None) -> str:
    """The fetch stage's input key (ingest/rebuild.py derives the same from source.json)."""
    return _key("fetch", source, content_hash)


def fetched_key(fetch: str, info: sources.SourceInfo) -> str:
    """What the stages after fetch chain from: the fetch key and what was fetched."""
    return _key(fetch, info.content_hash or info.source)


def audio_key(fetched: str) -> str:
    return _key(fetched, "audio", AUDIO_VERSION)


class Ingestor:
    def __init__(self, library: Library, settings: Settings, force: tuple[str, ...] = (),
                 progress: Progress | None = None):
        unknown = sorted(set(force) - set(STAGES))
        if unknown:
            raise cfgmod.ConfigError(f"unknown stage(s) to force: {', '.join(unknown)}; "
                                     f"stages are {', '.join(STAGES)}")
        self.lib, self.settings, self.force = library, settings, set(force)
        self.progress = progress or Progress()

    # --- orchestration -----------------------------------------------------------------
    def run(self, source_args: list[str], executor: "Executor | None" = None) -> Iterator[Result]:
        """Ingest every source; yields one Result per video or rejected source.

        The executor runs each stage's Work: here, one video after another, by default;
        on a Ray cluster with ingest/cluster.py. Only this process touches the catalog."""
        executor = executor or Local(self.progress)
        yield from executor.run(self._videos(source_args))

    def _videos(self, source_args: list[str]) -> Iterator[Steps | Result]:
        seen: set[str] = set()
        for found in sources.discover(source_args, skip=self.lib.root):
            if found.source in seen:  # named twice (a file and its folder): once is enough
                continue
            seen.add(found.source)
            if isinstance(found, sources.Rejected):
                log.warning("%s: %s", found.source, found.error)
                self.lib.catalog.record_failure(found.source, found.error)
                yield Result(found.source, error=found.error)
                continue
            yield self.steps(found)

    def ingest(self, cand: sources.Candidate) -> Result:
        return Local(self.progress).drive(self.steps(cand))

    def steps(self, cand: sources.Candidate) -> Steps:
        """One video's stages: yields the Work to run, is sent its result, returns the Result."""
        content_hash = sources.file_hash(Path(cand.source)) if cand.kind == "file" else None
        vid = self.lib.assign_id(cand.source, cand.suggested_id, content_hash)
        result = Result(cand.source, vid)
        known = self.lib.catalog.video(vid)
        if known is None or known.source != cand.source:
            self.lib.catalog.upsert_video(_record(vid, cand, content_hash))
        try:
            info, key = yield from self._fetch(cand, vid, content_hash, result)
            key = yield from self._audio(info, key, result)
            transcript, key = yield from self._transcript(info, key, result)
            if self.settings.ingest.summaries:
                yield from self._summary(info, transcript, key, result)
        except StageError as e:
            result.error = str(e)
        except ArtifactError as e:  # edited or damaged by hand: say which, redo with --force
            result.error = f"{e}; re-run with --force to rebuild it"
            log.warning("%s: %s", vid, result.error)
        return result

    @contextmanager
    def _stage(self, vid: str, stage: str, key: str, cfg_hash: str, outputs: list[Path],
               result: Result) -> Iterator[bool]:
        """Yields True when the stage must run; records its outcome in the catalog."""
        rec = self.lib.catalog.stage(vid, stage)
        if (stage not in self.force and rec and rec.status == "done" and rec.input_key == key
                and all(p.exists() for p in outputs)):
            result.skipped.append(stage)
            yield False
            return
        self.lib.catalog.start_stage(vid, stage)
        t0 = time.perf_counter()
        try:
            yield True
        except (media.MediaError, ytdlp.SourceError, captions.CaptionError, OSError,
                cfgmod.ConfigError, RuntimeError, ValueError) as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            log.warning("%s: %s failed: %s", vid, stage, msg)
            self.lib.catalog.fail_stage(vid, stage, msg)
            raise StageError(f"{stage}: {msg}") from None
        except Exception as e:  # a bug, not the input: one line here, the traceback in the log
            msg = f"internal error ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
            log.warning("%s: %s failed: %s", vid, stage, msg, exc_info=True)
            self.lib.catalog.fail_stage(vid, stage, msg)
            raise StageError(f"{stage}: {msg}; see {self.lib.log_file}") from None
        seconds = time.perf_counter() - t0
        self.lib.catalog.finish_stage(vid, stage, key, cfg_hash, seconds)
        self.progress.done(vid, stage)
        log.info("%s: %s done in %.1f s", vid, stage, seconds)
        result.ran.append(stage)

    # --- stages: each a generator of the Work it needs ----------------------------------
    def _fetch(self, cand, vid, content_hash, result):
        s = self.settings.ingest
        key = fetch_key(cand.source, content_hash)
        out = self.lib.path(vid, SOURCE)
        with self._stage(vid, "fetch", key, cfgmod.dict_hash(s.fetch_config()), [out], result) as run:
            if run:
                fmt = s.youtube_format if any(h in cand.source for h in _YOUTUBE) else s.url_format
                args = (cand, vid, self.lib.folder(vid), s.caption_langs, fmt, out, s.fetch_config())
                info = yield Work(vid, "fetch", work.fetch, args, "fetch")
                self.lib.catalog.upsert_video(_record(vid, cand, info.content_hash, info))
        info = sources.SourceInfo.load(out)
        return info, fetched_key(key, info)

    def _audio(self, info: sources.SourceInfo, key: str, result: Result):
        key = audio_key(key)
        out = self.lib.path(info.video_id, AUDIO)
        with self._stage(info.video_id, "audio", key, str(AUDIO_VERSION), [out], result) as run:
            if run:
                yield Work(info.video_id, "asr", work.audio, (self.lib.path(info.video_id, info.media), out), "audio")
        return key

    def _transcript(self, info: sources.SourceInfo, key: str, result: Result):
        s, tcfg = self.settings.ingest, self.settings.transcribe
        vid, folder = info.video_id, self.lib.folder(info.video_id)
        llm = self.settings.summarize.llm
        caption = captions.find(folder, info.captions) if s.captions == "prefer" else None
        if caption:
            cfg = {"captions": caption.name, "llm": llm}
            key = _key(key, "captions", sources.file_hash(caption), cfgmod.config_hash(LLMConfig(llm)))
        else:
            cfg = cfgmod.to_dict(tcfg)
            key = _key(key, "asr", cfgmod.config_hash(tcfg))
            if tcfg.repunctuate_runs_s > 0:  # the LLM may punctuate part of it
                cfg["llm"] = llm
                key = _key(key, cfgmod.config_hash(LLMConfig(llm)))
        out, md = self.lib.path(vid, TRANSCRIPT), self.lib.path(vid, TRANSCRIPT_MD)
        wav = self.lib.path(vid, AUDIO)
        with self._stage(vid, "transcript", key, _key(cfg), [out, md], result) as run:
            if run:
                if caption:
                    t = yield Work(vid, "llm", work.from_captions, (caption, wav, vid, llm), "repunctuate")
                else:
                    t = yield Work(vid, "asr", work.asr, (wav, vid, tcfg), "transcribe", work.wav_seconds(wav))
                    if tcfg.repunctuate_runs_s > 0:
                        before = len(t.segments)
                        t = yield Work(vid, "llm", work.restore_runs, (t, tcfg.repunctuate_runs_s, llm),
                                       "repunctuate")
                        if len(t.segments) != before:
                            log.info("%s: long unpunctuated stretches repunctuated with %s "
                                     "(%d -> %d segments)", vid, llm, before, len(t.segments))
                t.save(out, {**cfg, "key": key})
                write_atomic(md, to_markdown(t, info.title))
        return Transcript.load(out), key

    def _summary(self, info: sources.SourceInfo, t: Transcript, key: str, result: Result):
        cfg = self.settings.summarize
        key = _key(key, "summary", cfgmod.config_hash(cfg))
        out, md = self.lib.path(info.video_id, SUMMARY), self.lib.path(info.video_id, SUMMARY_MD)
        with self._stage(info.video_id, "summary", key, cfgmod.config_hash(cfg), [out, md], result) as run:
            if run:
                s = yield Work(info.video_id, "llm", work.summary, (t, info.title, info.chapters, cfg), "summary")
                if s.dropped:
                    log.info("%s: %d summary texts dropped, the transcript does not support them "
                             "(listed in %s)", info.video_id, len(s.dropped), out.name)
                s.save(out, {**cfgmod.to_dict(cfg), "key": key})
                write_atomic(md, summary_markdown(s, info.title))
        Summary.load(out)


Steps = Generator[Work, object, Result]


class Executor:
    """Runs the Work of many videos' Steps; yields each video's Result (rejected
    sources come as a Result already)."""

    def run(self, videos: Iterable[Steps | Result]) -> Iterator[Result]:
        raise NotImplementedError


class Local(Executor):
    """In this process, one video and one stage after another."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def run(self, videos: Iterable[Steps | Result]) -> Iterator[Result]:
        for v in videos:
            yield v if isinstance(v, Result) else self.drive(v)

    def drive(self, steps: Steps) -> Result:
        try:
            w = next(steps)
            while True:
                tick = self.progress.stage(w.video_id, w.label, w.total)
                try:
                    value = w.fn(*w.args, tick=tick)
                except Exception as e:  # the stage records it, exactly as if it ran inline
                    w = steps.throw(e)
                    continue
                w = steps.send(value)
        except StopIteration as stop:
            return stop.value


def _record(vid: str, cand: sources.Candidate, content_hash: str | None,
            info: sources.SourceInfo | None = None) -> VideoRecord:
    if info:
        return VideoRecord(vid, cand.source, cand.kind, info.title, info.duration, content_hash)
    probed = cand.info
    return VideoRecord(vid, cand.source, cand.kind, (probed.title or "") if probed else "",
                       probed.duration if probed else None, content_hash)
