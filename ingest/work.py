"""The heavy part of each ingest stage, as plain functions that can run anywhere.

ingest/pipeline.py decides what must run (keys, the catalog) and yields these
as `Work`; whoever drives it runs them: in the same process, or on a Ray
cluster (ingest/cluster.py), where each pool has its own workers. So both
paths call exactly the same code, and their artifacts are the same.

Everything crossing over is a path or a small dataclass, never audio: on a
cluster the data root is shared storage and workers read and write it there.
Functions in the "asr" and "llm" pools take `threads`, the CPUs their worker
was given (0: the library's default, all cores); models are loaded once per
process (the lru caches in transcribe.load_model and lectern.llm.load).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from lectern.llm import LLMConfig, load

from . import captions, media, punctuate, sources
from .summarize import SummarizeConfig, Summary, summarize
from .transcribe import TranscribeConfig, transcribe
from .transcript import Transcript, paragraphs

Tick = Callable[[float], None] | None
POOLS = ("fetch", "asr", "llm")  # network; speech (audio decoding goes with it); language model


@dataclass(frozen=True)
class Work:
    video_id: str
    pool: str                  # one of POOLS: which workers run it on a cluster
    fn: Callable[..., object]  # a function of this module
    args: tuple
    label: str                 # the progress bar's name for it
    total: float | None = None # the progress bar's length (seconds of audio, words), if known


def fetch(cand: sources.Candidate, video_id: str, folder: Path, langs: tuple[str, ...], fmt: str,
          out: Path, config: dict, tick: Tick = None) -> sources.SourceInfo:
    info = sources.fetch(cand, video_id, folder, langs, fmt)
    info.save(out, config)
    return info


def audio(media_path: Path, out: Path, tick: Tick = None, threads: int = 0) -> None:
    decoded = media.decode(media_path)
    media.check_audio(decoded)
    media.write_wav(out, decoded)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def asr(wav: Path, video_id: str, config: TranscribeConfig, tick: Tick = None,
        threads: int = 0) -> Transcript:
    # How many cores, not what is decoded. One caveat, measured: under OMP_NUM_THREADS=1 (a
    # 1-CPU Ray actor) CTranslate2's oneDNN kernels take their serial path, and word
    # probabilities differ in the 3rd-4th decimal and a word end by up to 20 ms; every count
    # from 2 up gives the same transcript as all cores.
    if threads:
        config = replace(config, cpu_threads=threads)
    return transcribe(media.read_wav(wav), video_id, config, tick)


def restore_runs(t: Transcript, min_s: float, llm: str, tick: Tick = None,
                 threads: int = 0) -> Transcript:
    """Punctuation from the LLM for long stretches Whisper left without any."""
    segs = punctuate.restore_runs(t.segments, min_s, lambda: load(LLMConfig(llm, threads=threads)), tick)
    if segs is t.segments:
        return t
    return replace(t, segments=segs, paragraphs=paragraphs(segs))


def from_captions(caption: Path, wav: Path, video_id: str, llm: str, tick: Tick = None,
                  threads: int = 0) -> Transcript:
    words = captions.words(caption)
    restored = punctuate.restore(words, load(LLMConfig(llm, threads=threads)), tick)
    segs = tuple(punctuate.sentences(restored))
    return Transcript(video_id, "en", wav_seconds(wav), "captions", llm, segs, paragraphs(segs))


def summary(t: Transcript, title: str, chapters: tuple, config: SummarizeConfig,
            tick: Tick = None, threads: int = 0) -> Summary:
    llm = load(LLMConfig(config.llm, threads=threads))
    return summarize(t, title, chapters, llm, config, (lambda i, n: tick(i)) if tick else None)
