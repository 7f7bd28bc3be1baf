"""The Transcript artifact: segments of word-timed text, grouped into paragraphs.

Times are seconds from the start of the media. Words are stored compactly as
[start, end, text, probability] lists because an hour of speech has ~9,000 of
them; everything else is plain objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lectern import artifacts

KIND, VERSION = "transcript", 1

PARAGRAPH_PAUSE_S = 1.5   # a silence this long between segments starts a new paragraph
PARAGRAPH_MAX_S = 60.0    # ... and so does a paragraph growing past this many seconds


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str          # as spoken, with its leading space and punctuation
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    video_id: str
    language: str
    duration: float                 # seconds of audio
    source: str                     # "asr" or "captions"
    model: str                      # ASR model, or the LLM that repunctuated captions
    segments: tuple[Segment, ...]
    paragraphs: tuple[tuple[int, int], ...] = field(default=())  # [first, last] segment index
    language_probability: float = 1.0

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def paragraph_texts(self) -> list[tuple[float, float, str]]:
        out = []
        for a, b in self.paragraphs:
            segs = self.segments[a:b + 1]
            out.append((segs[0].start, segs[-1].end, " ".join(s.text.strip() for s in segs)))
        return out

    def to_payload(self) -> dict:
        return {
            "video_id": self.video_id, "language": self.language,
            "language_probability": round(self.language_probability, 4),
            "duration": round(self.duration, 3), "source": self.source, "model": self.model,
            "paragraphs": [list(p) for p in self.paragraphs],
            "segments": [
                {"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text,
                 "words": [[round(w.start, 3), round(w.end, 3), w.text, round(w.probability, 4)]
                           for w in s.words]}
                for s in self.segments
            ],
        }

    @classmethod
    def from_payload(cls, d: dict) -> "Transcript":
        segments = tuple(
            Segment(s["start"], s["end"], s["text"], tuple(Word(*w) for w in s["words"]))
            for s in d["segments"]
        )
        return cls(d["video_id"], d["language"], d["duration"], d["source"], d["model"],
                   segments, tuple(tuple(p) for p in d["paragraphs"]),
                   d.get("language_probability", 1.0))

    def save(self, path: Path, config: dict) -> None:
        artifacts.save(path, KIND, VERSION, self.to_payload(), config)

    @classmethod
    def load(cls, path: Path) -> "Transcript":
        return cls.from_payload(artifacts.load(path, KIND, VERSION))


def paragraphs(segments: tuple[Segment, ...] | list[Segment]) -> tuple[tuple[int, int], ...]:
    """Group segments into paragraphs at long pauses, or when one grows too long.

    A new paragraph only starts after a segment that ends a sentence, so a
    paragraph never splits a sentence in two.
    """
    out: list[tuple[int, int]] = []
    first = 0
    for i in range(1, len(segments)):
        prev, cur = segments[i - 1], segments[i]
        ends_sentence = prev.text.rstrip().endswith((".", "?", "!", "…", '"'))
        long_pause = cur.start - prev.end >= PARAGRAPH_PAUSE_S
        too_long = cur.start - segments[first].start >= PARAGRAPH_MAX_S
        if ends_sentence and (long_pause or too_long):
            out.append((first, i - 1))
            first = i
    if segments:
        out.append((first, len(segments) - 1))
    return tuple(out)


def timestamp(seconds: float) -> str:
    """h:mm:ss or m:ss."""
    s = int(seconds)
    h, m, s = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def to_markdown(t: Transcript, title: str) -> str:
    lines = [f"# {title or t.video_id}", "",
             f"*{t.source} transcript ({t.model}), language {t.language}, {timestamp(t.duration)}*", ""]
    for start, _end, text in t.paragraph_texts():
        lines += [f"**[{timestamp(start)}]** {text}", ""]
    return "\n".join(lines)
