"""Anchors: the queries triplets start from, each tied to the passage that answers it.

Kinds, from the most to the least like a student's question:
- question: a question the passage answers, written by the LLM;
- reworded: a sentence of the passage reworded by the LLM ("a similar sentence
  reworded", as the course puts it);
- chapter: a chapter title, pointing at the passage where the chapter starts;
- keywords: a sentence's rarest words, the way people type into a search box;
- sentence: a sentence of the passage, with the sentence removed from the
  positive (the inverse cloze task of Lee et al. 2019): the model has to learn
  what a passage is about from its surroundings, not match copied words.

LLM replies are cached by (model, prompt) in the data root, so an interrupted
or repeated run never pays twice for the same call.
"""

from __future__ import annotations

import hashlib
import math
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index import sparse
from index.chunks import Chunk
from ingest.sources import Chapter
from lectern.llm import LLM, Message

QUESTION, REWORDED, CHAPTER, KEYWORDS, SENTENCE = "question", "reworded", "chapter", "keywords", "sentence"
KINDS = (QUESTION, REWORDED, CHAPTER, KEYWORDS, SENTENCE)
LLM_KINDS = (QUESTION, REWORDED)
# Held-out evaluation uses the query-like kinds; a held-out "sentence" anchor
# would find its own words in the full passage and say nothing about the model.
EVAL_KINDS = (QUESTION, REWORDED, CHAPTER, KEYWORDS)
KEYWORDS_PER_QUERY = 4
MAX_WORDS = 100  # Whisper's run-on "sentences" are cut at 25 s (~70 words)
MIN_CONTENT_WORDS = 5  # distinct non-function words a sentence needs to be an anchor

# One system prompt and the excerpt first: every call about a passage shares that
# prefix, and llama.cpp reuses its KV cache instead of reading the excerpt again.
_SYSTEM = ("You help students study a lecture course. Do exactly the task asked about the "
           "lecture excerpt and reply with nothing else.")
_ASK = ("Task: write {n} different questions that a student could ask and that this excerpt "
        "answers. Use your own words. One question per line.")
_REWORD = ('Task: reword this sentence from the excerpt so it keeps its meaning but uses '
           'different words: "{sentence}"')
_BULLET = re.compile(r"^\s*(?:\d+\s*[.):-]|[-*•]|q\d*\s*[:.)]|question\s*\d*\s*:)\s*", re.IGNORECASE)
_PREAMBLE = re.compile(r"^(sure|here|certainly|of course|reworded|rewritten|answer)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Anchor:
    text: str
    kind: str
    passage: int        # index into the course's passage list
    positive: str       # the passage as trained on ("sentence" anchors: without that sentence)
    start: float        # the seconds of the video the anchor comes from
    end: float
    method: str         # how it was made: "llm:<model>", "ict", "tf-idf", "chapter-title"


class ReplyCache:
    """(model, prompt) -> reply, in SQLite: each reply is committed as it arrives."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply TEXT)")

    @staticmethod
    def key(model: str, messages: Sequence[Message], max_tokens: int) -> str:
        blob = "\x00".join([model, str(max_tokens), *(f"{m.role}:{m.content}" for m in messages)])
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, reply: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO replies VALUES (?, ?)", (key, reply))


class Writer:
    """The LLM behind a cache; `llm` is loaded only when a reply is not cached."""

    def __init__(self, model: str, cache: ReplyCache, load_llm):
        self.model, self.cache, self._load = model, cache, load_llm
        self._llm: LLM | None = None
        self.calls = self.cached = 0

    def reply(self, excerpt: str, task: str, max_tokens: int) -> str:
        messages = [Message("system", _SYSTEM), Message("user", f"Lecture excerpt:\n{excerpt}\n\n{task}")]
        key = self.cache.key(self.model, messages, max_tokens)
        hit = self.cache.get(key)
        if hit is not None:
            self.cached += 1
            return hit
        if self._llm is None:
            self._llm = self._load()
        out = self._llm.complete(messages, max_tokens=max_tokens)
        self.cache.put(key, out)
        self.calls += 1
        return out


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def parse_questions(reply: str, n: int) -> list[str]:
    out: list[str] = []
    for line in reply.splitlines():
        line = _BULLET.sub("", line.strip()).strip(' "')
        if "?" not in line or _PREAMBLE.match(line):
            continue
        q = line[: line.index("?") + 1].strip()
        if 4 <= len(q.split()) <= 30 and q.lower() not in {x.lower() for x in out}:
            out.append(q)
    return out[:n]


def parse_rewording(reply: str, original: str) -> str | None:
    for line in reply.splitlines():
        line = _BULLET.sub("", line.strip())
        if not line:
            continue
        if _PREAMBLE.match(line) and ":" in line:
            line = line.split(":", 1)[1].strip()
            if not line:
                continue
        line = line.strip(' "“”\'')
        a, b = set(words(line)), set(words(original))
        jaccard = len(a & b) / max(len(a | b), 1)
        if 5 <= len(line.split()) <= MAX_WORDS and jaccard < 0.8:
            return line
        return None
    return None


def _sentences_to_reword(p: Chunk, n: int, min_words: int, skip_before: float) -> list[str]:
    """The passage's n most contentful sentences, leaving out the overlap with the
    previous passage (that passage already reworded them)."""
    cands = [s.text for s in p.sentences if s.start >= skip_before
             and min_words <= len(s.text.split()) <= MAX_WORDS]
    cands.sort(key=lambda t: -len(sparse.tokens(t)))
    return cands[:n]


def llm_anchors(passages: Sequence[Chunk], chosen: Sequence[int], writer: Writer,
                questions: int, rewordings: int, min_words: int) -> Iterator[list[Anchor]]:
    """One list of anchors per chosen passage (yielded per passage for progress)."""
    method = f"llm:{writer.model}"
    for i in chosen:
        p = passages[i]
        out: list[Anchor] = []
        if questions > 0:
            reply = writer.reply(p.text, _ASK.format(n=questions), max_tokens=30 * questions)
            out += [Anchor(q, QUESTION, i, p.text, p.start, p.end, method)
                    for q in parse_questions(reply, questions)]
        prev_end = passages[i - 1].end if i > 0 and passages[i - 1].video_id == p.video_id else -1.0
        for s in _sentences_to_reword(p, rewordings, min_words, prev_end):
            r = parse_rewording(writer.reply(p.text, _REWORD.format(sentence=s), 80), s)
            if r:
                span = next(x for x in p.sentences if x.text == s)
                out.append(Anchor(r, REWORDED, i, p.text, span.start, span.end, method))
        yield out


def _document_frequency(passages: Sequence[Chunk]) -> Counter:
    df: Counter = Counter()
    for p in passages:
        df.update(set(sparse.tokens(p.text)))
    return df


def _keywords(text: str, passage: str, df: Counter, n_docs: int) -> str | None:
    """The sentence's KEYWORDS_PER_QUERY most topical words (TF-IDF: frequent in its
    passage, rare in the course), in spoken order; None unless at least two of them
    recur in the passage. Rarity alone picks incidental words ("unfamiliar overall
    overview"); recurrence is what marks a passage's topic ("tiling", "quantization")."""
    tf = Counter(sparse.tokens(passage))
    seen, toks = set(), []
    for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'.-]*[A-Za-z0-9]|[A-Za-z0-9]", text):
        t = sparse.tokens(w)
        if t and t[0] not in seen and len(w) > 2 and df[t[0]] <= n_docs // 2:
            seen.add(t[0])
            weight = (1 + math.log(tf[t[0]] or 1)) * math.log(n_docs / df[t[0]])
            toks.append((-weight, len(toks), w, tf[t[0]]))
    best = sorted(toks)[:KEYWORDS_PER_QUERY]
    if len(best) < 3 or sum(n >= 2 for *_, n in best) < 2:
        return None
    return " ".join(w for _, _, w, _ in sorted(best, key=lambda x: x[1]))


def cheap_anchors(passages: Sequence[Chunk], min_words: int) -> Iterator[Anchor]:
    """"sentence" and "keywords" anchors: one each per sentence, from its first passage."""
    df, n = _document_frequency(passages), len(passages)
    seen: set[tuple[str, float]] = set()
    for i, p in enumerate(passages):
        for s in p.sentences:
            if (p.video_id, s.start) in seen or not min_words <= len(s.text.split()) <= MAX_WORDS:
                continue
            if len(set(sparse.tokens(s.text))) < MIN_CONTENT_WORDS:
                continue  # "Okay, thank you, thanks everyone": no topic to find a passage by
            seen.add((p.video_id, s.start))
            rest = " ".join(x.text for x in p.sentences if x is not s)
            if len(rest.split()) >= min_words:
                yield Anchor(s.text, SENTENCE, i, rest, s.start, s.end, "ict")
            kw = _keywords(s.text, p.text, df, n)
            if kw:
                yield Anchor(kw, KEYWORDS, i, p.text, s.start, s.end, "tf-idf")


def chapter_anchors(passages: Sequence[Chunk], chapters: dict[str, tuple[Chapter, ...]]) -> Iterator[Anchor]:
    """A chapter title points at the passage its start falls in."""
    for video_id, chs in chapters.items():
        for c in chs:
            if len(c.title.split()) < 2:
                continue
            for i, p in enumerate(passages):
                if p.video_id == video_id and p.start <= c.start < p.end:
                    yield Anchor(c.title, CHAPTER, i, p.text, c.start, c.start, "chapter-title")
                    break
