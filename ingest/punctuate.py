"""Repunctuate and recase caption words with the LLM, without changing a word.

The model sees a window of words and writes them back punctuated. Its output
is never trusted as text: it is aligned to the input word by word (after
lowercasing and stripping punctuation on both sides), and an input word takes
the model's spelling only where the two match. Anything the model added,
dropped or changed is ignored, so the words and their times are the
captions' own whatever the model does. A small model that punctuates poorly
costs readability, never correctness.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import Callable

from lectern.llm import LLM, Message

from .transcript import Segment, Word

WINDOW_WORDS = 80          # words shown to the model at once
MIN_COMMIT = 0.5           # commit at least this share of a window (up to a sentence end)
MAX_SENTENCE_WORDS = 40    # force a segment break in unpunctuated runs
MAX_RUN_WORDS = 25         # a longer run without a sentence end is split at its longest pause
MIN_PAUSE_S = 0.35         # ... if that pause is at least this long
SECONDS_PER_CHAR = 0.07    # rough speaking time of a word, to tell pauses from long words
_END = (".", "?", "!")

SYSTEM = "You add punctuation and capital letters to speech transcripts."
PROMPT = ("Add punctuation (periods, commas, question marks) and capital letters to this "
          "transcript. Keep every word exactly as it is and in the same order. Do not add, "
          "remove or change any word. Reply with the corrected text only.\n\n{text}")


def norm(word: str) -> str:
    """The comparison form of a word: lowercase, no punctuation."""
    return re.sub(r"[^\w']+", "", word.lower().replace("’", "'")).strip("'")


def align(original: list[str], restored: str) -> list[str]:
    """The original words, each spelled as the model wrote it where the words match."""
    out_tokens = [t for t in restored.split() if norm(t)]
    a = [norm(w) for w in original]
    b = [norm(t) for t in out_tokens]
    result = list(original)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            result[block.a + k] = out_tokens[block.b + k]
    return result


def _fix_case(tokens: list[str]) -> list[str]:
    """Sentence-initial capitals and the pronoun I, whatever the model did."""
    out, start = [], True
    for tok in tokens:
        if re.fullmatch(r"i('[a-z]+)?[,.?!]?", tok):
            tok = "I" + tok[1:]
        if start:
            m = re.search(r"[A-Za-z]", tok)
            if m:
                tok = tok[:m.start()] + tok[m.start()].upper() + tok[m.start() + 1:]
        start = tok.endswith(_END)
        out.append(tok)
    return out


def _pauses(words: list[Word]) -> list[float]:
    """Silence after each word, estimated from start times (caption word ends are unreliable)."""
    out = []
    for i, w in enumerate(words):
        nxt = words[i + 1].start if i + 1 < len(words) else w.end
        out.append(nxt - w.start - SECONDS_PER_CHAR * len(w.text.strip()))
    return out


# Words that begin a clause and hardly ever end a sentence. Whisper stamps the first word
# of its next segment right after the last one, so the silence it measures falls *after*
# "and" in "...the stuff and | then how I tried": a split there read "the stuff and. Then
# how", 33 times in L01 (session 23). The pause belongs before such a word.
STARTS_CLAUSE = frozenset("and but so or because then i we the a an".split())
# Nor does a sentence end on these; a pause after one is not a sentence end.
NEVER_ENDS = STARTS_CLAUSE | frozenset("of to with for from as my your our their its".split())


def _split_points(spelled: list[str], pauses: list[float], inner: range) -> dict[int, float]:
    """Where a run-on may end a sentence (the index of the sentence's last word), with the
    pause there: never after a word of NEVER_ENDS, and before a clause's first word."""
    out: dict[int, float] = {}
    for k in inner:
        word = norm(spelled[k])
        if word in STARTS_CLAUSE and k - 1 in inner and norm(spelled[k - 1]) not in NEVER_ENDS:
            out[k - 1] = max(out.get(k - 1, 0.0), pauses[k])
        elif word not in NEVER_ENDS:
            out[k] = max(out.get(k, 0.0), pauses[k])
    return out


def _split_long_runs(words: list[Word], spelled: list[str]) -> list[str]:
    """End sentences at long pauses where the model left a run-on.

    Small models copy long stretches unpunctuated; the speaker's pauses still
    say where sentences end. Only punctuation changes, never a word.
    """
    spelled, pauses = list(spelled), _pauses(words)
    start = 0
    while start < len(spelled):
        end = next((k for k in range(start, len(spelled)) if spelled[k].endswith(_END)), len(spelled) - 1)
        if end - start + 1 <= MAX_RUN_WORDS:
            start = end + 1
            continue
        points = _split_points(spelled, pauses, range(start + 4, end - 3))  # not at the edges
        best = max(points, key=lambda k: points[k], default=None)
        if best is None or points[best] < MIN_PAUSE_S:
            start = end + 1
            continue
        spelled[best] = spelled[best].rstrip(",;:") + "."
    return spelled


def restore(words: list[Word], llm: LLM,
            on_progress: Callable[[int], None] | None = None) -> list[Word]:
    """Words with punctuation and case restored; times and word identity unchanged."""
    raw = [w.text.strip() for w in words]
    spelled: list[str] = []
    i = 0
    while i < len(raw):
        window = raw[i:i + WINDOW_WORDS]
        reply = llm.complete([Message("system", SYSTEM),
                              Message("user", PROMPT.format(text=" ".join(window)))],
                             max_tokens=int(len(window) * 2.5) + 32)
        result = align(window, reply)
        cut = len(window)
        if i + len(window) < len(raw):  # not the last window: end it on a sentence end
            ends = [k + 1 for k, t in enumerate(result) if t.endswith(_END)
                    and k + 1 >= MIN_COMMIT * len(window)]
            cut = ends[-1] if ends else len(window)
            if not ends:  # no sentence end: the model's window-final period is not real
                result[-1] = result[-1].rstrip(".?!")
        if spelled and not spelled[-1].endswith(_END) and window[0].islower() \
                and result[0][:1].isupper() and norm(result[0]) != "i":
            # the model capitalises whatever starts its window; mid-sentence it is wrong
            result[0] = result[0][0].lower() + result[0][1:]
        spelled += result[:cut]
        i += cut
        if on_progress:
            on_progress(i)
    if spelled and not spelled[-1].endswith(_END):
        spelled[-1] = spelled[-1].rstrip(",;:") + "."
    spelled = _fix_case(_split_long_runs(words, spelled))
    return [replace(w, text=" " + s) for w, s in zip(words, spelled)]


def _has_end(seg: Segment) -> bool:
    return bool(re.search(r"[.?!](\s|$)", seg.text))


def unpunctuated_runs(segs: tuple[Segment, ...], min_s: float) -> list[tuple[int, int]]:
    """[a, b) spans of segments with no sentence end for at least min_s seconds.

    A span takes in the segment that finally ends the sentence, so the restored
    text ends where the speaker's sentence does, not mid-way.
    """
    runs, a = [], None
    for i, seg in enumerate(segs):
        if a is None and not _has_end(seg):
            a = i
        if a is not None and _has_end(seg):
            if seg.start - segs[a].start >= min_s:
                runs.append((a, i + 1))
            a = None
    if a is not None and segs[-1].end - segs[a].start >= min_s:
        runs.append((a, len(segs)))
    return runs


def restore_runs(segs: tuple[Segment, ...], min_s: float, load_llm: Callable[[], LLM],
                 on_progress: Callable[[int], None] | None = None) -> tuple[Segment, ...]:
    """Speech recognition's long unpunctuated stretches, punctuated by the LLM.

    Whisper, once it writes a window without punctuation, tends to continue so
    for minutes (it conditions on its own previous text); such a stretch reads
    badly and gives the index one run-on "sentence". Only those stretches are
    sent to the model, and as with captions only punctuation and case can
    change: the words and their times stay Whisper's.
    """
    runs = unpunctuated_runs(segs, min_s)
    if not runs:
        return segs
    llm, out, done, last = load_llm(), [], 0, 0
    for a, b in runs:
        words = [w for seg in segs[a:b] for w in seg.words]
        out += segs[last:a]
        out += sentences(restore(words, llm)) if words else segs[a:b]
        last, done = b, done + len(words)
        if on_progress:
            on_progress(done)
    return tuple(out + list(segs[last:]))


def sentences(words: list[Word]) -> list[Segment]:
    """Split punctuated words into sentence segments."""
    out: list[Segment] = []
    current: list[Word] = []
    for w in words:
        current.append(w)
        if w.text.rstrip().endswith(_END) or len(current) >= MAX_SENTENCE_WORDS:
            out.append(_segment(current))
            current = []
    if current:
        out.append(_segment(current))
    return out


def _segment(ws: list[Word]) -> Segment:
    return Segment(ws[0].start, ws[-1].end, "".join(w.text for w in ws).strip(), tuple(ws))
