"""Speech to word-timed text with faster-whisper (the one adapter to it).

int8 on CPU, float16 on CUDA; VAD skips silence (and with it Whisper's
hallucinations on silence); BatchedInferencePipeline when batch_size > 1,
which pays off on GPUs. Segments stream out as they are decoded so a progress
bar can follow an hour-long lecture.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from lectern import models

from .media import SAMPLE_RATE, MediaError
from .transcript import Segment, Transcript, Word, paragraphs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TranscribeConfig:
    model: str = "base"          # "tiny.en", "base" (offline wheels), a CTranslate2 folder, or a hub name
    device: str = "auto"         # "auto", "cpu" or "cuda"
    compute_type: str = "auto"   # "auto": int8 on CPU, float16 on CUDA
    language: str | None = None  # None: detect
    beam_size: int = 5
    batch_size: int = 1          # > 1: BatchedInferencePipeline
    vad: bool = True
    # Whisper conditions each 30-s window on the text before it. Once a window comes out
    # unpunctuated, the next ones copy that style: on the corpus, Whisper base wrote 240 s
    # (L01), 354 s (L02) and 1169 s (L05) without a full stop. Off, no lecture has more than
    # 44 s, and dev citation hit on the ingested corpus rises 0.62 -> 0.85; but WER rises too
    # (corpus 0.052 -> 0.059; the human-read clips 0.068 -> 0.077, sonnet001 0.093 -> 0.111,
    # over the 0.10 bar), so faster-whisper's default stays, and long unpunctuated runs get
    # their punctuation from the LLM instead (below).
    condition_on_previous_text: bool = True
    # A stretch this long (seconds) without a sentence end is repunctuated by the LLM
    # (summarize.llm), as captions are: only punctuation and case change (ingest/punctuate.py).
    # 0: never.
    repunctuate_runs_s: float = 30.0
    cpu_threads: int = 0         # 0: CTranslate2's default (all cores)


def resolve_device(config: TranscribeConfig) -> tuple[str, str]:
    device = config.device
    if device == "auto":
        import ctranslate2
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    compute = config.compute_type
    if compute == "auto":
        compute = "float16" if device == "cuda" else "int8"
    return device, compute


@functools.lru_cache(maxsize=2)
def load_model(name: str, device: str, compute_type: str, cpu_threads: int):
    from faster_whisper import WhisperModel

    path = models.asr_model(name)
    log.info("loading Whisper %s (%s) on %s/%s", name, path, device, compute_type)
    return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=cpu_threads)


def stream(audio: np.ndarray, config: TranscribeConfig):
    """(segment iterator, faster-whisper's TranscriptionInfo) for 16 kHz mono audio."""
    device, compute = resolve_device(config)
    model = load_model(config.model, device, compute, config.cpu_threads)
    kwargs = dict(language=config.language, beam_size=config.beam_size, word_timestamps=True,
                  vad_filter=config.vad, condition_on_previous_text=config.condition_on_previous_text)
    if config.batch_size > 1:
        from faster_whisper import BatchedInferencePipeline
        return BatchedInferencePipeline(model).transcribe(audio, batch_size=config.batch_size, **kwargs)
    return model.transcribe(audio, **kwargs)


def segments(audio: np.ndarray, config: TranscribeConfig) -> tuple[Iterator[Segment], str, float]:
    """Our Segments as a generator, with the language and its probability."""
    raw, info = stream(audio, config)

    def gen() -> Iterator[Segment]:
        for s in raw:
            words = tuple(Word(w.start, w.end, w.word, w.probability) for w in (s.words or ()))
            yield Segment(s.start, s.end, s.text.strip(), words)

    return gen(), info.language, info.language_probability


def transcribe(audio: np.ndarray, video_id: str, config: TranscribeConfig,
               on_progress: Callable[[float], None] | None = None) -> Transcript:
    """Transcribe audio; on_progress gets the seconds of audio done so far."""
    duration = len(audio) / SAMPLE_RATE
    gen, language, language_p = segments(audio, config)
    out: list[Segment] = []
    for seg in gen:
        if seg.words:
            out.append(seg)
        if on_progress:
            on_progress(min(seg.end, duration))
    if not out:
        raise MediaError("no speech found in the audio")
    return Transcript(video_id, language, duration, "asr", config.model, tuple(out),
                      paragraphs(out), language_p)
