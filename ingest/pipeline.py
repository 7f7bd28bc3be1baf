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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from lectern import config as cfgmod
from lectern.artifacts import ArtifactError, write_atomic
from lectern.catalog import VideoRecord
from lectern.library import AUDIO, SOURCE, SUMMARY, SUMMARY_MD, TRANSCRIPT, TRANSCRIPT_MD, Library
from lectern.llm import LLMConfig
from lectern.llm import load as load_llm

from . import captions, media, punctuate, sources, ytdlp
from .summarize import SummarizeConfig, Summary, summarize
from .summarize import to_markdown as summary_markdown
from .transcribe import TranscribeConfig, transcribe
from .transcript import Transcript, paragraphs, to_markdown

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


@dataclass(frozen=True)
class Settings:
    """Everything one ingest run is configured with."""

    ingest: IngestConfig = IngestConfig()
    transcribe: TranscribeConfig = TranscribeConfig()
    summarize: SummarizeConfig = SummarizeConfig()

    @classmethod
    def from_file(cls, path: Path, **overrides: dict) -> "Settings":
        data = cfgmod.load_file(path)
        unknown = sorted(set(data) - {"ingest", "transcribe", "summarize", "index", "assistant", "voice",
                                       "serve", "finetune"})
        if unknown:
            raise cfgmod.ConfigError(f"{path}: unknown section(s): {', '.join(unknown)}")
        sections = {}
        for name, klass in (("ingest", IngestConfig), ("transcribe", TranscribeConfig),
                            ("summarize", SummarizeConfig)):
            merged = {**data.get(name, {}), **overrides.get(name, {})}
            sections[name] = cfgmod.from_dict(klass, merged)
        if sections["ingest"].captions not in ("ignore", "prefer"):
            raise cfgmod.ConfigError("ingest.captions must be 'ignore' or 'prefer'")
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
    def run(self, source_args: list[str]) -> Iterator[Result]:
        """Ingest every source; yields one Result per video or rejected source."""
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
            yield self.ingest(found)

    def ingest(self, cand: sources.Candidate) -> Result:
        content_hash = sources.file_hash(Path(cand.source)) if cand.kind == "file" else None
        vid = self.lib.assign_id(cand.source, cand.suggested_id, content_hash)
        result = Result(cand.source, vid)
        known = self.lib.catalog.video(vid)
        if known is None or known.source != cand.source:
            self.lib.catalog.upsert_video(_record(vid, cand, content_hash))
        try:
            info, key = self._fetch(cand, vid, content_hash, result)
            key = self._audio(info, key, result)
            transcript, key = self._transcript(info, key, result)
            if self.settings.ingest.summaries:
                self._summary(info, transcript, key, result)
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

    # --- stages ------------------------------------------------------------------------
    def _fetch(self, cand, vid, content_hash, result) -> tuple[sources.SourceInfo, str]:
        s = self.settings.ingest
        key = fetch_key(cand.source, content_hash)
        out = self.lib.path(vid, SOURCE)
        with self._stage(vid, "fetch", key, cfgmod.config_hash(s), [out], result) as run:
            if run:
                self.progress.stage(vid, "fetch", None)
                fmt = s.youtube_format if any(h in cand.source for h in _YOUTUBE) else s.url_format
                info = sources.fetch(cand, vid, self.lib.folder(vid), s.caption_langs, fmt)
                info.save(out, cfgmod.to_dict(s))
                self.lib.catalog.upsert_video(_record(vid, cand, info.content_hash, info))
        info = sources.SourceInfo.load(out)
        return info, fetched_key(key, info)

    def _audio(self, info: sources.SourceInfo, key: str, result: Result) -> str:
        key = audio_key(key)
        out = self.lib.path(info.video_id, AUDIO)
        with self._stage(info.video_id, "audio", key, str(AUDIO_VERSION), [out], result) as run:
            if run:
                self.progress.stage(info.video_id, "audio", None)
                audio = media.decode(self.lib.path(info.video_id, info.media))
                media.check_audio(audio)
                media.write_wav(out, audio)
        return key

    def _transcript(self, info: sources.SourceInfo, key: str, result: Result) -> tuple[Transcript, str]:
        s, tcfg = self.settings.ingest, self.settings.transcribe
        folder = self.lib.folder(info.video_id)
        caption = captions.find(folder, info.captions) if s.captions == "prefer" else None
        if caption:
            cfg = {"captions": caption.name, "llm": self.settings.summarize.llm}
            key = _key(key, "captions", sources.file_hash(caption), cfgmod.config_hash(LLMConfig(cfg["llm"])))
        else:
            cfg = cfgmod.to_dict(tcfg)
            key = _key(key, "asr", cfgmod.config_hash(tcfg))
            if tcfg.repunctuate_runs_s > 0:  # the LLM may punctuate part of it
                cfg["llm"] = self.settings.summarize.llm
                key = _key(key, cfgmod.config_hash(LLMConfig(cfg["llm"])))
        out, md = self.lib.path(info.video_id, TRANSCRIPT), self.lib.path(info.video_id, TRANSCRIPT_MD)
        with self._stage(info.video_id, "transcript", key, _key(cfg), [out, md], result) as run:
            if run:
                audio = media.read_wav(self.lib.path(info.video_id, AUDIO))
                if caption:
                    t = self._from_captions(info, caption, len(audio) / media.SAMPLE_RATE)
                else:
                    tick = self.progress.stage(info.video_id, "transcribe", len(audio) / media.SAMPLE_RATE)
                    t = transcribe(audio, info.video_id, tcfg, tick)
                    if tcfg.repunctuate_runs_s > 0:
                        t = self._restore_runs(t)
                t.save(out, {**cfg, "key": key})
                write_atomic(md, to_markdown(t, info.title))
        return Transcript.load(out), key

    def _restore_runs(self, t: Transcript) -> Transcript:
        llm_name = self.settings.summarize.llm
        tick = self.progress.stage(t.video_id, "repunctuate", None)
        segs = punctuate.restore_runs(t.segments, self.settings.transcribe.repunctuate_runs_s,
                                      lambda: load_llm(LLMConfig(llm_name)), tick)
        if segs is t.segments:
            return t
        log.info("%s: long unpunctuated stretches repunctuated with %s (%d -> %d segments)",
                 t.video_id, llm_name, len(t.segments), len(segs))
        return replace(t, segments=segs, paragraphs=paragraphs(segs))

    def _from_captions(self, info: sources.SourceInfo, caption: Path, duration: float) -> Transcript:
        words = captions.words(caption)
        llm_name = self.settings.summarize.llm
        tick = self.progress.stage(info.video_id, "repunctuate", len(words))
        restored = punctuate.restore(words, load_llm(LLMConfig(llm_name)), tick)
        segs = tuple(punctuate.sentences(restored))
        return Transcript(info.video_id, "en", duration, "captions", llm_name, segs, paragraphs(segs))

    def _summary(self, info: sources.SourceInfo, t: Transcript, key: str, result: Result) -> None:
        cfg = self.settings.summarize
        key = _key(key, "summary", cfgmod.config_hash(cfg))
        out, md = self.lib.path(info.video_id, SUMMARY), self.lib.path(info.video_id, SUMMARY_MD)
        with self._stage(info.video_id, "summary", key, cfgmod.config_hash(cfg), [out, md], result) as run:
            if run:
                tick = self.progress.stage(info.video_id, "summary", None)
                llm = load_llm(LLMConfig(cfg.llm))
                s = summarize(t, info.title, info.chapters, llm, cfg, lambda i, n: tick(i))
                if s.dropped:
                    log.info("%s: %d summary texts dropped, the transcript does not support them "
                             "(listed in %s)", info.video_id, len(s.dropped), out.name)
                s.save(out, {**cfgmod.to_dict(cfg), "key": key})
                write_atomic(md, summary_markdown(s, info.title))
        Summary.load(out)


def _record(vid: str, cand: sources.Candidate, content_hash: str | None,
            info: sources.SourceInfo | None = None) -> VideoRecord:
    if info:
        return VideoRecord(vid, cand.source, cand.kind, info.title, info.duration, content_hash)
    probed = cand.info
    return VideoRecord(vid, cand.source, cand.kind, (probed.title or "") if probed else "",
                       probed.duration if probed else None, content_hash)
