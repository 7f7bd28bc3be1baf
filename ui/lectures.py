"""The lecture browser's data: what the library knows about each video.

Artifacts are read through their typed loaders; a video whose summary or
transcript is missing or damaged is still listed, with a note, because a
half-ingested lecture is normal while the instructor is adding videos.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from itertools import zip_longest

from ingest.summarize import Summary
from ingest.transcript import Transcript
from lectern.artifacts import ArtifactError, write_atomic
from lectern.library import SUMMARY, TRANSCRIPT, Library
from lectern.timefmt import clock

from . import render
from .media import playable, source_info

MAX_LINES = 300   # transcript lines shown at once: the page stays light


@dataclass(frozen=True)
class Lecture:
    video_id: str
    title: str
    duration: float | None

    @property
    def label(self) -> str:
        return f"{self.title or self.video_id} ({clock(self.duration)})"


def lectures(lib: Library) -> list[Lecture]:
    return [Lecture(v.id, v.title or v.id, v.duration) for v in lib.videos()]


def _load(loader, path):
    if not path.exists():
        return None, ""
    try:
        return loader(path), ""
    except (ArtifactError, OSError, ValueError, KeyError) as e:
        return None, f"{path.name} could not be read: {e}"


def details(lib: Library, video_id: str) -> str:
    """Title, duration, summary, key points and chapters (chips that seek the player)."""
    if not video_id or lib.catalog.video(video_id) is None:
        return ""
    p = playable(lib, video_id)
    rec = lib.catalog.video(video_id)
    summary, note = _load(Summary.load, lib.path(video_id, SUMMARY))
    info = source_info(lib, video_id)
    chapters = [(c.title, c.start) for c in (summary.chapters if summary else ())]
    if not chapters and info is not None:
        chapters = [(c.title, c.start) for c in info.chapters]
    if summary is None and not note:
        note = "No summary yet."
    transcript, _ = _load(Transcript.load, lib.path(video_id, TRANSCRIPT))
    from study.guide import key_terms
    found = [(k.text, k.first) for k in key_terms(transcript)] if transcript else []
    return render.lecture(p, rec.duration, summary.summary if summary else "",
                          list(summary.points) if summary else [], chapters, note, found)


def guide_file(lib: Library, video_id: str) -> tuple[str | None, str | None]:
    """The lecture's study guide to download, as (Markdown file, PDF file); (None, None) with
    no lecture picked. The PDF is made again only when the guide's text changed."""
    from study.guide import GuideError, for_video
    from study.pdf import markdown_to_pdf

    if not video_id or lib.catalog.video(video_id) is None:
        return None, None
    try:
        text, _ = for_video(lib, video_id)
    except GuideError:
        return None, None
    md = lib.root / "ui" / "guides" / f"{video_id}.md"
    pdf = md.with_suffix(".pdf")
    if not (pdf.is_file() and md.is_file() and md.read_text() == text):
        write_atomic(md, text)
        markdown_to_pdf(text, pdf, title=video_id)
    return str(md), str(pdf)


def search(lib: Library, video_id: str, query: str) -> str:
    """Transcript lines containing the query (all lines when it is empty), each a seek chip."""
    if not video_id or lib.catalog.video(video_id) is None:
        return ""
    transcript, note = _load(Transcript.load, lib.path(video_id, TRANSCRIPT))
    if transcript is None:
        return f'<div class="lectern-note">{html.escape(note or "No transcript yet.")}</div>'
    q = (query or "").strip().lower()
    rows = [(s.start, s.text.strip()) for s in transcript.segments if not q or q in s.text.lower()]
    return render.transcript_hits(playable(lib, video_id), rows[:MAX_LINES], query.strip() if q else "",
                                  max(len(rows) - MAX_LINES, 0))


def quiz(lib: Library, video_id: str, llm, n: int = 5) -> str:
    """The lecture's quiz as HTML (made and checked on the first ask, then cached)."""
    from study.quiz import QuizError, for_video

    if not video_id or lib.catalog.video(video_id) is None:
        return '<div class="lectern-note">Pick a lecture first.</div>'
    try:
        q = for_video(lib, video_id, llm, n)
    except QuizError as e:
        return f'<div class="lectern-note">{html.escape(str(e))}</div>'
    p = playable(lib, video_id)
    return render.quiz([(p, item) for item in q.items],
                       f"{len(q.items)} questions; each answer is a moment of the lecture.")


PER_LECTURE = 3   # questions from each lecture in a quiz over several


def quiz_many(lib: Library, video_ids, llm, per: int = PER_LECTURE) -> str:
    """A quiz over several lectures: `per` questions of each one's checked quiz, taken in turn
    (made on the first ask, then cached, like a single lecture's)."""
    from study.quiz import QuizError, for_video

    chosen = [v for v in dict.fromkeys(video_ids or []) if lib.catalog.video(v) is not None]
    if not chosen:
        return '<div class="lectern-note">Pick the lectures to be quizzed on first.</div>'
    per_lecture, notes = [], []
    for vid in chosen:
        try:
            q = for_video(lib, vid, llm)
        except QuizError as e:
            notes.append(str(e))
            continue
        p = playable(lib, vid)
        per_lecture.append([(p, item) for item in q.items[:per]])
    # in turn: the first question of each lecture, then the second of each, ...
    items = [x for row in zip_longest(*per_lecture) for x in row if x]
    note = (f"{len(items)} questions over {len(per_lecture)} lectures; each answer is a moment of "
            "its lecture." + (" " + " ".join(notes) if notes else ""))
    return render.quiz(items, note, titled=True)

