"""Per-video summary, salient points and chapters, map-reduce with a small LLM.

Map: the transcript is cut into windows of a few minutes on segment
boundaries; the model titles each window (a chapter), summarises it and lists
its key points. Reduce: the window summaries become the video's summary and
its 5-10 salient points. An hour of speech (~9,000 words) thus never has to
fit one context, and a 0.5B model only ever does short, simple tasks.

Small models drift from formats, so every answer is parsed leniently,
validated, and repaired from the transcript itself where it falls short:
chapter starts are always real segment starts, never model output.

Small models also invent ("The pendulum is a device used to demolish
buildings"), so every title, summary sentence and point passes the answers'
grounding rule (lectern/grounding.py) against the transcript it came from, and
a point must rest on one moment of it (MOMENT_WORDS): what the lecture does
not support is dropped and kept in `Summary.dropped`
for the instructor to see; a title that fails is rebuilt from the window's
own key terms, a summary with nothing left from the transcript's sentences.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lectern import artifacts, grounding
from lectern.llm import LLM, Message

from .sources import Chapter
from .transcript import Segment, Transcript, timestamp

KIND, VERSION = "summary", 1
MAX_TITLE_WORDS = 10
REDUCE_GROUP = 20  # window summaries reduced at once; more are reduced in rounds


@dataclass(frozen=True)
class SummarizeConfig:
    llm: str = "qwen2.5-0.5b"   # LLM name or GGUF path
    window_words: int = 600      # words of transcript per map call (~4 minutes of speech)
    min_points: int = 5
    max_points: int = 10
    grounding: bool = True       # drop what the transcript does not support (lectern/grounding.py)


@dataclass(frozen=True)
class Summary:
    video_id: str
    summary: str
    points: tuple[str, ...]
    chapters: tuple[Chapter, ...]
    model: str
    dropped: tuple[str, ...] = ()   # model output the transcript did not support ("point: ...")
    checked: int = 0                # model texts checked (titles, summary sentences, points)

    def save(self, path: Path, config: dict) -> None:
        artifacts.save(path, KIND, VERSION, {
            "video_id": self.video_id, "summary": self.summary, "points": list(self.points),
            "chapters": [{"title": c.title, "start": c.start, "end": c.end} for c in self.chapters],
            "model": self.model, "dropped": list(self.dropped),
            "checked": self.checked}, config)

    @classmethod
    def load(cls, path: Path) -> "Summary":
        d = artifacts.load(path, KIND, VERSION)
        # "dropped" came later; summaries written before it have none recorded
        return cls(d["video_id"], d["summary"], tuple(d["points"]),
                   tuple(Chapter(**c) for c in d["chapters"]), d["model"],
                   tuple(d.get("dropped", ())), d.get("checked", 0))


@dataclass(frozen=True)
class _Part:
    start: float
    end: float
    title: str
    summary: str
    points: tuple[str, ...]


SYSTEM = "You summarise university lectures accurately and concisely, using only the text given."
# The transcript comes first and the question last: consecutive calls then share
# their prefix, and llama.cpp reuses its KV cache instead of re-reading the window.
CONTEXT = "Read this part of a lecture transcript.\n\n{text}\n\n"
ASK_TITLE = "Give this part of the lecture a short title of at most 6 words. Reply with the title only."
ASK_SUMMARY = ("In two sentences, what is this part of the lecture about? "
               "Write in your own words, do not copy sentences.")
ASK_WHOLE = ("This is the whole lecture. In three sentences, what is this lecture about? "
             "Write in your own words, do not copy sentences.")
ASK_POINTS = ('List the three most important facts from it, as short bullet points starting '
              'with "- ". Each point at most 20 words.')
REDUCE_SUMMARY = ("Here are summaries of consecutive parts of a lecture{title}.\n\n{parts}\n\n"
                  "In three sentences, what is the whole lecture about?")
REDUCE_POINTS = ("Here are key points from a lecture{title}.\n\n{parts}\n\n"
                 "Copy the {n} most important of these points, one per line, each starting with \"- \".")
MAX_POINT_WORDS = 30
SUMMARY_SENTENCES = 3


# A salient point states one thing the lecture says, so it must rest on one moment of it:
# some run of consecutive segments of at most this many words (an answer's excerpt is as
# long: assistant.excerpt_words). Against the whole window, "The pendulum is a device used to
# demolish buildings" passed: "I have here a pendulum" and "They use these devices ... to
# demolish buildings" are 100 words apart (the sample lecture, session 25).
MOMENT_WORDS = 80
MOMENTS_CHECKED = 3   # the moments holding most of a point's words get the full check


def moments(window: list[Segment]) -> list[grounding.Evidence]:
    """Each segment with those after it, up to MOMENT_WORDS words (one segment at least)."""
    sizes = [len(s.text.split()) for s in window]
    out = []
    for i in range(len(window)):
        j, words = i, sizes[i]
        while j + 1 < len(window) and words + sizes[j + 1] <= MOMENT_WORDS:
            j += 1
            words += sizes[j]
        out.append(grounding.Evidence([" ".join(s.text for s in window[i:j + 1])]))
    return out


class _Grounding:
    """Keeps the model's texts the transcript supports, and records the others."""

    def __init__(self, on: bool):
        self.on = on
        self.checked = 0
        self.dropped: list[str] = []

    def keep(self, kind: str, text: str, evidence: grounding.Evidence,
             at: list[grounding.Evidence] | None = None) -> bool:
        """`at`: the window's moments, one of which must support the text on its own."""
        self.checked += 1
        if not self.on or (grounding.check_against(text, evidence).supported and
                           (at is None or rests_on_one_moment(text, at))):
            return True
        self.dropped.append(f"{kind}: {text}")
        return False

    def sentences(self, kind: str, text: str, evidence: grounding.Evidence) -> str:
        return " ".join(x for x in _SENTENCE_END.split(text) if x and self.keep(kind, x, evidence))


def rests_on_one_moment(text: str, at: list[grounding.Evidence]) -> bool:
    words = grounding.content_words(text)
    best = sorted(at, key=lambda m: -sum(m.holds(w) for w in words))[:MOMENTS_CHECKED]
    return any(grounding.check_against(text, m).supported for m in best)


_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
TITLE_TERMS = 2  # key phrases in a title rebuilt from the transcript


def _terms_title(text: str) -> str:
    """A title from the window's own most repeated two-word terms with a rare word in them
    ("Potential energy and kinetic energy"), else its most repeated rare words."""
    clauses = [grounding.normalized_words(c) for c in re.split(r"[.,;:?!]", text)]
    words = [w for c in clauses for w in c]

    def term(w: str) -> bool:
        return len(w) > 2 and not w[0].isdigit() and w not in grounding.STOPWORDS

    def rare(w: str) -> bool:
        return grounding.zipf(w) < grounding.RARE_ZIPF

    pairs = Counter(f"{a} {b}" for c in clauses for a, b in zip(c, c[1:])
                    if term(a) and term(b) and (rare(a) or rare(b)))
    singles = Counter(w for w in words if term(w) and rare(w))
    counts = singles + Counter({p: n for p, n in pairs.items() if n >= 2})   # a pair said twice
    # a pair said twice beats a single word said three times: it names the idea
    ranked = sorted(counts, key=lambda x: -counts[x] * (1.5 if " " in x else 1.0))
    top: list[str] = []
    for t in ranked:
        if len(top) < TITLE_TERMS and not any(t in u or u in t for u in top):
            top.append(t)
    if not top:
        return " ".join(text.split()[:6])
    phrase = " and ".join(top)
    return phrase[0].upper() + phrase[1:]


def windows(segments: tuple[Segment, ...], words: int) -> list[list[Segment]]:
    out: list[list[Segment]] = [[]]
    count = 0
    for s in segments:
        if count >= words:
            out.append([])
            count = 0
        out[-1].append(s)
        count += len(s.text.split())
    return [w for w in out if w]


def _bullets(reply: str) -> list[str]:
    items = re.findall(r"^\s*(?:[-*•]|\d+[.)])\s+(.+?)\s*$", reply, re.M)
    return [i for i in (_clean_point(x) for x in items) if i]


def _clean_point(text: str) -> str:
    text = re.sub(r"^\W*(key|important)? ?point\W*:?\s*", "", text, flags=re.I)
    text = text.strip(" *\"'<>")
    if len(text) < 8 or text.lower().startswith(("summary", "title")):
        return ""
    if len(text.split()) > MAX_POINT_WORDS:
        text = _complete_sentences(text, 1)
        if not text or len(text.split()) > MAX_POINT_WORDS:
            return ""
    return text[0].upper() + text[1:]


def _first_sentences(text: str, n: int) -> str:
    parts = _SENTENCE_END.split(text.strip())
    return " ".join(parts[:n])


def _title(raw: str, fallback_text: str) -> str:
    title = raw.strip().strip("\"'*#").rstrip(".")
    words = title.split()
    if not words or len(words) > MAX_TITLE_WORDS * 2:
        words = fallback_text.split()[:6]
    return " ".join(words[:MAX_TITLE_WORDS])


def _ask(llm: LLM, context: str, question: str, max_tokens: int) -> str:
    return llm.complete([Message("system", SYSTEM), Message("user", context + question)],
                        max_tokens=max_tokens)


def _map(llm: LLM, window: list[Segment], whole: bool, check: _Grounding) -> _Part:
    """Title, summary and points of one window (of the whole lecture when whole),
    each kept only where the window's transcript supports it."""
    text = " ".join(s.text for s in window)
    evidence = grounding.Evidence([text])
    context = CONTEXT.format(text=text)
    title = _title(_ask(llm, context, ASK_TITLE, 24), text)
    if not check.keep("title", title, evidence):
        title = _terms_title(text)
    n = SUMMARY_SENTENCES if whole else 2
    reply = _ask(llm, context, ASK_WHOLE if whole else ASK_SUMMARY, 40 * n + 40)
    summary = (check.sentences("summary", _complete_sentences(reply, n), evidence)
               or _first_sentences(text, n))
    at = moments(window) if check.on else None   # unchecked, nothing needs them
    points = [p for p in _bullets(_ask(llm, context, ASK_POINTS, 120))
              if check.keep("point", p, evidence, at)]
    return _Part(window[0].start, window[-1].end, title, summary, tuple(points[:5]))


def _reduce_summary(llm: LLM, summaries: list[str], title: str) -> str:
    if len(summaries) > REDUCE_GROUP:  # too many for one context: reduce in rounds
        groups = [summaries[i:i + REDUCE_GROUP] for i in range(0, len(summaries), REDUCE_GROUP)]
        summaries = [_reduce_summary(llm, g, title) for g in groups]
    parts = "\n".join(f"{i + 1}. {s}" for i, s in enumerate(summaries))
    named = f' titled "{title}"' if title else ""
    reply = _ask(llm, "", REDUCE_SUMMARY.format(parts=parts, title=named), 160)
    return _complete_sentences(reply, SUMMARY_SENTENCES)


def _select_points(llm: LLM, candidates: list[str], title: str, n: int) -> list[str]:
    """Pick n points; the model may only choose among the candidates, never invent."""
    if len(candidates) <= n:
        return candidates
    named = f' titled "{title}"' if title else ""
    parts = "\n".join(f"- {c}" for c in candidates)
    chosen = _bullets(_ask(llm, "", REDUCE_POINTS.format(parts=parts, title=named, n=n), 60 * n))
    keys = {_key(c): c for c in candidates}
    picked = _dedupe([keys[_key(c)] for c in chosen if _key(c) in keys])
    # fill up round-robin across the lecture, so late chapters are not starved
    for c in candidates:
        if len(picked) >= n:
            break
        if c not in picked:
            picked.append(c)
    return picked[:n]


def _fill(points: list[str], text: str, n: int) -> list[str]:
    """Add the transcript's own complete sentences until there are n points (or none left)."""
    out = list(points)
    for sentence in _SENTENCE_END.split(text):
        if len(out) >= n:
            break
        k = _key(sentence)
        if 6 <= len(sentence.split()) <= MAX_POINT_WORDS and not any(
                k in _key(p) or _key(p) in k for p in out):
            out.append(sentence.strip())
    return out


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _complete_sentences(text: str, n: int) -> str:
    """At most n sentences, dropping one the model left unfinished."""
    text = re.sub(r"^\W*summary\W*:\s*", "", text.strip(), flags=re.I)
    parts = [p for p in _SENTENCE_END.split(text) if p]
    if parts and not parts[-1].rstrip().endswith((".", "?", "!")):
        parts.pop()
    return " ".join(parts[:n])


def _dedupe(items: list[str]) -> list[str]:
    seen, out = set(), []
    for item in items:
        key = _key(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def summarize(t: Transcript, title: str, platform_chapters: tuple[Chapter, ...], llm: LLM,
              cfg: SummarizeConfig, on_progress: Callable[[int, int], None] | None = None) -> Summary:
    wins = windows(t.segments, cfg.window_words)
    check = _Grounding(cfg.grounding)
    parts: list[_Part] = []
    for i, w in enumerate(wins):
        parts.append(_map(llm, w, len(wins) == 1, check))
        if on_progress:
            on_progress(i + 1, len(wins) + 1)
    summary = parts[0].summary if len(parts) == 1 else (
        check.sentences("summary", _reduce_summary(llm, [p.summary for p in parts], title),
                        grounding.Evidence([t.text]))
        or " ".join(p.summary for p in parts[:2]))
    # round-robin over windows so every part of the lecture is represented
    candidates = _dedupe([p for k in range(5) for part in parts if k < len(part.points)
                          for p in [part.points[k]]])
    points = _select_points(llm, candidates, title, cfg.max_points)
    if on_progress:
        on_progress(len(wins) + 1, len(wins) + 1)
    # repair: a short lecture may give too few points; fill from its own sentences
    if len(points) < cfg.min_points:
        points = _fill(points, t.text, cfg.min_points)
    chapters = platform_chapters or tuple(
        Chapter(p.title, round(p.start, 2), round(p.end, 2)) for p in parts)
    return Summary(t.video_id, summary, tuple(points[:cfg.max_points]), chapters, cfg.llm,
                   tuple(check.dropped), check.checked)


def to_markdown(s: Summary, title: str) -> str:
    lines = [f"# {title or s.video_id}", "", "## Summary", "", s.summary, "", "## Salient points", ""]
    lines += [f"- {p}" for p in s.points]
    lines += ["", "## Chapters", ""]
    lines += [f"- [{timestamp(c.start)}] {c.title}" for c in s.chapters]
    return "\n".join(lines) + "\n"
