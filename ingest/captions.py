"""Caption files (WebVTT, SRT) to timed words.

YouTube's auto-captions come as "rolling" WebVTT: every cue repeats the line
before it, and the new line carries a time tag before each word
(`word<00:00:01.920><c> next</c>`). When such tags exist they give word times
directly and only the tagged lines are read, which removes the repeats. Plain
captions (hand-made VTT or SRT) give only cue times: rolling repeats are
dropped and each cue's time is shared among its words by their length.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from .transcript import Word

_TIME = r"(\d+:)?\d{1,2}:\d{2}[.,]\d{3}"
_CUE = re.compile(rf"^\s*({_TIME})\s*-->\s*({_TIME})")
_WORD_TAG = re.compile(r"<(\d+:\d{2}:\d{2}\.\d{3}|\d{2}:\d{2}\.\d{3})>")
_ANY_TAG = re.compile(r"</?[^>]*>")


class CaptionError(ValueError):
    """A caption file has no usable cues."""


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]


def seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    value = 0.0
    for p in parts:
        value = value * 60 + float(p)
    return value


def cues(text: str) -> list[Cue]:
    out: list[Cue] = []
    block: list[str] = []
    for line in text.splitlines() + [""]:
        # only a truly empty line ends a cue: YouTube pads cues with lines of one space
        if line.rstrip("\r") != "":
            block.append(line)
            continue
        for i, b in enumerate(block):
            m = _CUE.match(b)
            if m:
                lines = tuple(x for x in block[i + 1:])
                out.append(Cue(seconds(m.group(1)), seconds(m.group(3)), lines))
                break
        block = []
    return out


def words(path: Path) -> list[Word]:
    """Timed words of a .vtt or .srt file, in spoken order."""
    text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    found = cues(text)
    if not found:
        raise CaptionError(f"{Path(path).name}: no caption cues")
    tagged = any(_WORD_TAG.search(line) for c in found for line in c.lines)
    out = _tagged_words(found) if tagged else _plain_words(found)
    if not out:
        raise CaptionError(f"{Path(path).name}: captions hold no words")
    return out


def _clean(s: str) -> str:
    return html.unescape(_ANY_TAG.sub("", s)).strip()


def _tagged_words(found: list[Cue]) -> list[Word]:
    """Word times from inline tags; lines without tags are rolling repeats."""
    timed: list[tuple[float, float, str]] = []
    for cue in found:
        for line in cue.lines:
            if not _WORD_TAG.search(line):
                continue
            pieces = _WORD_TAG.split(line)  # [text, time, text, time, text ...]
            starts = [cue.start] + [seconds(t) for t in pieces[1::2]]
            for start, chunk in zip(starts, pieces[0::2]):
                for w in _clean(chunk).split():
                    timed.append((start, cue.end, w))
    # a word ends where the next begins (or at its cue's end, if sooner)
    out = []
    for i, (start, cue_end, w) in enumerate(timed):
        nxt = timed[i + 1][0] if i + 1 < len(timed) else cue_end
        end = min(cue_end, nxt) if nxt > start else cue_end
        out.append(Word(start, max(end, start), " " + w, 1.0))
    return out


def _plain_words(found: list[Cue]) -> list[Word]:
    out: list[Word] = []
    previous: list[str] = []
    for cue in found:
        lines = [_clean(x) for x in cue.lines if _clean(x)]
        # rolling captions repeat the previous cue's last line(s) first
        while lines and previous and lines[0] == previous[-1]:
            lines.pop(0)
        if not lines:
            continue
        previous = lines
        tokens = " ".join(lines).split()
        total = sum(len(t) for t in tokens) or 1
        t, span = cue.start, max(cue.end - cue.start, 0.0)
        for tok in tokens:
            dur = span * len(tok) / total
            out.append(Word(t, t + dur, " " + tok, 1.0))
            t += dur
    return out


def find(folder: Path, names: tuple[str, ...], prefer_lang: str = "en") -> Path | None:
    """Pick the caption file to use: the preferred language first, then any."""
    paths = [folder / n for n in names if (folder / n).exists()]
    if not paths:
        return None
    def rank(p: Path) -> tuple[int, str]:
        parts = p.name.split(".")
        lang = parts[1] if len(parts) > 2 else ""
        return (0 if lang.startswith(prefer_lang) or not lang else 1, p.name)
    return sorted(paths, key=rank)[0]
