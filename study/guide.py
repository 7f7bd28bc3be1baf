"""A study guide per lecture: its summary, points and chapters, and its key terms, each with
the moment the lecture first says it, as Markdown a student can print or keep.

Key terms are the lecture's own words (study/quiz.terms: numbers and rare words), those it
says most often, so a term in the guide is one the lecture dwells on, and its moment is in
the transcript by construction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ingest.summarize import Summary
from ingest.transcript import Transcript
from lectern import grounding
from lectern.timefmt import clock

from .quiz import terms

MAX_TERMS = 12
MIN_MENTIONS = 2     # a term said once is a passing word, not a key term


@dataclass(frozen=True)
class Term:
    text: str            # as first spoken
    first: float         # seconds: where the lecture first says it
    mentions: int


def key_terms(t: Transcript, n: int = MAX_TERMS) -> list[Term]:
    """The lecture's most repeated key terms, in the order it introduces them."""
    first: dict[str, tuple[str, float]] = {}
    counts: Counter[str] = Counter()
    for seg in t.segments:
        # one word at a time: "Pietro Ferroa" then "Pietro" are one name said twice
        for word in (w for run in terms(seg.text) for w in run.split()):
            if any(grounding.is_number(w) for w in grounding.normalized_words(word)):
                continue   # a number is a fact, not a term to study
            key = " ".join(grounding.stem(w) for w in grounding.normalized_words(word))
            counts[key] += 1
            first.setdefault(key, (word, seg.start))
    top = [k for k, c in counts.most_common() if c >= MIN_MENTIONS][:n]
    return sorted((Term(first[k][0], first[k][1], counts[k]) for k in top), key=lambda x: x.first)


def to_markdown(title: str, url_at, summary: Summary | None, found: list[Term]) -> str:
    """The guide as Markdown; `url_at(seconds)` links a moment."""
    out = [f"# {title}", ""]
    if summary is not None:
        if summary.summary:
            out += [summary.summary, ""]
        if summary.points:
            out += ["## Key points", *[f"- {p}" for p in summary.points], ""]
        if summary.chapters:
            out += ["## Chapters", *[f"{i}. [{clock(c.start)}]({url_at(c.start)}) {c.title}"
                                     for i, c in enumerate(summary.chapters, 1)], ""]
    if found:
        out += ["## Key terms", *[f"- **{k.text}**: first at [{clock(k.first)}]({url_at(k.first)}), "
                                  f"said {k.mentions} times" for k in found], ""]
    return "\n".join(out)


def for_video(lib, video_id: str) -> tuple[str, list[Term]]:
    """(the guide as Markdown, its key terms) for an ingested lecture; GuideError without one."""
    from assistant.citations import deep_link
    from ingest.sources import SourceInfo
    from lectern.artifacts import ArtifactError
    from lectern.library import SOURCE, SUMMARY, TRANSCRIPT

    if lib.catalog.video(video_id) is None:
        raise GuideError(f"no video {video_id!r} in {lib.root} (see `lectern status`)")
    try:
        t = Transcript.load(lib.path(video_id, TRANSCRIPT))
        info = SourceInfo.load(lib.path(video_id, SOURCE))
    except ArtifactError as e:
        raise GuideError(f"{video_id} has no transcript yet ({e})") from None
    try:
        summary = Summary.load(lib.path(video_id, SUMMARY))
    except ArtifactError:
        summary = None   # not summarised (yet): the guide has the terms alone
    found = key_terms(t)
    folder = lib.folder(video_id)
    return to_markdown(info.title or video_id, lambda s: deep_link(info, folder, s), summary, found), found


class GuideError(RuntimeError):
    """A lecture has no guide (not ingested, no transcript)."""

