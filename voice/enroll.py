"""Enrollment: reference clips of the instructor in, a voice profile out.

Clips come from the instructor's own recordings (files, with an optional
transcript beside them) or are picked from the ingested lectures. A lecture
clip must look like clean single-speaker speech: 5-15 s cut at pauses, high
ASR confidence (Whisper's word probabilities, which drop on music, noise and
overlapping talk), quiet gaps between words (music fills them), and a voice
that matches the other clips and stays the same within the clip (resemblyzer).
"""

from __future__ import annotations

import csv
import difflib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import VoiceConfig
from .errors import EnrollmentError

log = logging.getLogger(__name__)

RATE = 16000
PAUSE_S = 0.25            # a gap this long between words is a place to cut
MIN_COVERAGE = 0.55       # share of a clip covered by words: less is mostly silence or music
MIN_RANGE_DB = 20.0       # loud frames vs quiet frames: music or noise under speech fills the quiet ones
MIN_SPEAKER_SIM = 0.72    # resemblyzer cosine to the clips' centroid (same speaker ~0.85+)
MIN_HALVES_SIM = 0.65     # first half vs second half of one clip: a speaker change drops this


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Clip:
    audio: np.ndarray
    text: str             # "" when unknown
    source: str
    start: float
    end: float
    confidence: float

    @property
    def seconds(self) -> float:
        return len(self.audio) / RATE


def read_transcripts(path: Path) -> dict[str, str]:
    """'file|text[|...]' lines (LJSpeech's metadata format) to {file stem: text}."""
    out: dict[str, str] = {}
    try:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE):
                if len(row) >= 2 and row[0] != "audio_file":
                    out[Path(row[0]).stem] = row[1].strip()
    except OSError as e:
        raise EnrollmentError(f"{path}: cannot read transcripts ({e})") from None
    return out


def dynamic_range_db(audio: np.ndarray) -> float:
    """90th vs 10th percentile of 20 ms frame levels, in dB.

    Speech alone drops to near silence between words and in stop closures;
    music or noise under it keeps the quiet frames loud. (Measuring the gaps
    between ASR words was tried first: Whisper's word ends are too loose on
    real recordings, so clean LibriVox readings looked noisy.)
    """
    frame = RATE // 50
    n = len(audio) // frame
    if n < 10:
        return 0.0
    rms = np.sqrt(np.mean(np.square(audio[:n * frame].reshape(n, frame), dtype=np.float64), 1) + 1e-12)
    db = 20 * np.log10(rms)
    return float(np.percentile(db, 90) - np.percentile(db, 10))


def cut(audio: np.ndarray, words: list[Word], source: str, cfg: VoiceConfig,
        strict: bool = True) -> list[Clip]:
    """Cut word-timed audio at pauses into clean clips of clip_min_s..clip_max_s.

    strict (lecture audio): confident words, mostly speech, no music or noise.
    Not strict (the instructor's own recordings): only the length rules.
    """
    clips: list[Clip] = []
    i = 0
    while i < len(words):
        j, best = i, None
        while j < len(words) and words[j].end - words[i].start <= cfg.clip_max_s:
            pause = words[j + 1].start - words[j].end if j + 1 < len(words) else 1.0
            if words[j].end - words[i].start >= cfg.clip_min_s and pause >= PAUSE_S:
                best = j          # the longest in-range span that ends at a pause
            j += 1
        if best is None:
            i += 1
            continue
        span = words[i:best + 1]
        start, end = max(span[0].start - 0.1, 0.0), span[-1].end + 0.1
        piece = audio[int(start * RATE):int(end * RATE)]
        conf = float(np.mean([w.probability for w in span]))
        coverage = sum(w.end - w.start for w in span) / max(end - start, 1e-6)
        clean = not strict or (conf >= cfg.clip_min_prob and min(w.probability for w in span) >= 0.2
                               and coverage >= MIN_COVERAGE and dynamic_range_db(piece) >= MIN_RANGE_DB)
        if clean:
            text = re.sub(r"\s+", " ", "".join(w.text for w in span)).strip()
            clips.append(Clip(piece, text, source, start, end, conf))
        i = best + 1
    return clips


def asr_words(audio: np.ndarray, model: str = "base") -> list[Word]:
    from ingest.transcribe import TranscribeConfig, segments
    gen, _lang, _p = segments(audio, TranscribeConfig(model=model, language="en"))
    return [Word(w.start, w.end, w.text, w.probability) for s in gen for w in s.words]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def with_reference_text(clips: list[Clip], words: list[Word], reference: str) -> list[Clip]:
    """Replace each clip's ASR text by the matching span of a human transcript.

    Whisper's words give the times; the human transcript gives the words.
    Clips whose span does not match the transcript closely keep the ASR text.
    """
    ref = reference.split()
    asr = [_tokens(w.text)[0] if _tokens(w.text) else "" for w in words]
    matcher = difflib.SequenceMatcher(a=asr, b=[(_tokens(r) or [""])[0] for r in ref], autojunk=False)
    to_ref = {}
    for a, b, n in matcher.get_matching_blocks():
        for k in range(n):
            to_ref[a + k] = b + k
    out = []
    for c in clips:
        idx = [k for k, w in enumerate(words) if w.start >= c.start - 1e-3 and w.end <= c.end + 1e-3]
        mapped = [to_ref[k] for k in idx if k in to_ref]
        if idx and len(mapped) >= 0.8 * len(idx):
            lo = mapped[0] if idx[0] in to_ref else max(mapped[0] - 1, 0)
            hi = mapped[-1] if idx[-1] in to_ref else min(mapped[-1] + 1, len(ref) - 1)
            c = Clip(c.audio, " ".join(ref[lo:hi + 1]), c.source, c.start, c.end, 1.0)
        out.append(c)
    return out


def from_file(path: Path, cfg: VoiceConfig, text: str | None = None, asr_model: str = "base") -> list[Clip]:
    """A recording of the instructor: kept whole when short, else cut at pauses.

    Text: the given one, else a .txt beside the file, else Whisper's.
    """
    from ingest.media import MediaError, check_audio, decode
    try:
        audio = decode(path)
        check_audio(audio)
    except MediaError as e:
        raise EnrollmentError(f"{path}: {e}") from None
    txt = path.with_suffix(".txt")
    if text is None and txt.exists():
        text = txt.read_text(encoding="utf-8").strip()
    seconds = len(audio) / RATE
    if seconds <= cfg.clip_max_s:
        if not text:
            text = re.sub(r"\s+", " ", "".join(w.text for w in asr_words(audio, asr_model))).strip()
        return [Clip(audio, text or "", str(path), 0.0, seconds, 1.0)]
    words = asr_words(audio, asr_model)
    clips = cut(audio, words, str(path), cfg, strict=False)
    return with_reference_text(clips, words, text) if text else clips


def from_library(root: Path, cfg: VoiceConfig, video_ids: list[str] | None = None) -> list[Clip]:
    """Candidate clips from every ingested lecture's audio.wav + transcript.json."""
    from ingest.media import read_wav
    from ingest.transcript import Transcript
    from lectern import artifacts

    folders = sorted((root / "videos").glob("*")) if not video_ids else [root / "videos" / v for v in video_ids]
    clips: list[Clip] = []
    for folder in folders:
        if not (folder / "audio.wav").exists() or not (folder / "transcript.json").exists():
            if video_ids:
                raise EnrollmentError(f"video {folder.name}: no audio.wav + transcript.json (ingest it first)")
            continue
        try:
            t = Transcript.load(folder / "transcript.json")
        except artifacts.ArtifactError as e:
            raise EnrollmentError(str(e)) from None
        audio = read_wav(folder / "audio.wav")
        words = [Word(w.start, w.end, w.text, w.probability) for w in t.words]
        found = cut(audio, words, f"video:{folder.name}", cfg)
        log.info("video %s: %d clean candidate clips", folder.name, len(found))
        clips += found
    return clips


def single_speaker(clips: list[Clip]) -> list[Clip]:
    """Keep clips whose voice matches the majority voice and does not change mid-clip."""
    from . import resemblyzer_encoder as enc
    if not clips:
        return clips
    embs = np.stack([enc.embed(c.audio) for c in clips])
    centroid = embs.mean(0)
    for _ in range(2):  # re-centre on the clips that agree: outliers pull the mean
        sims = embs @ (centroid / np.linalg.norm(centroid))
        keep = sims >= np.median(sims) - 0.05
        centroid = embs[keep].mean(0)
    sims = embs @ (centroid / np.linalg.norm(centroid))
    out = []
    for c, s in zip(clips, sims):
        half = len(c.audio) // 2
        halves = float(enc.embed(c.audio[:half]) @ enc.embed(c.audio[half:]))
        if s >= MIN_SPEAKER_SIM and halves >= MIN_HALVES_SIM:
            out.append(c)
        else:
            log.info("dropped clip %s %.1f-%.1f: speaker sim %.2f, halves %.2f", c.source, c.start, c.end, s, halves)
    return out


def pick(clips: list[Clip], cfg: VoiceConfig) -> list[Clip]:
    """The most confident clips, up to clips_max and enroll_seconds of speech."""
    chosen, total = [], 0.0
    for c in sorted(clips, key=lambda c: -c.confidence):
        if len(chosen) >= cfg.clips_max or total >= cfg.enroll_seconds:
            break
        chosen.append(c)
        total += c.seconds
    return chosen
