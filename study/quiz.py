"""Quizzes: questions whose answers are moments of a lecture, each checked before it is shown.

A small model asked for a whole quiz item (question, answer, three wrong
choices, explanation) writes answers the passage never gives and "wrong"
choices the passage states (tried on the corpus: most items failed). So the
model does the one thing it does well here, and the rest comes from the
transcript:
  - the answer is a key term of one sentence: a number, or a run of rare words
    (lectern/grounding.zipf), picked by our code, so it is in the lecture by construction;
  - the model turns that sentence into a question the term answers;
  - wrong choices are other key terms of the same lecture, nearest in meaning to the
    answer (the embedder), that the cited passage does not contain;
  - the explanation is the lecturer's own sentence, with its second.
Every item is validated: the question ends with "?", does not give the answer
away, and rests on the passage (lectern/grounding.check); the answer is in the
cited sentence; no wrong choice is in the passage; no two items share a question
or an answer. What fails is dropped and kept with its reason in the quiz file.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant.citations import deep_link
from index.chunks import PASSAGE, Chunk, Sentence, passages
from index.embed import Embedder
from ingest.sources import SourceInfo
from ingest.transcript import Transcript
from lectern import artifacts, grounding
from lectern.library import SOURCE, TRANSCRIPT, Library
from lectern.llm import LLM, LLMConfig, Message

log = logging.getLogger(__name__)

KIND, VERSION = "quiz", 4   # 4: no answer the recognizer was unsure it heard (MIN_ANSWER_P)
PASSAGE_S = (20.0, 60.0)     # passage length, seconds: a question's context
SENTENCE_WORDS = (8, 45)     # a sentence shorter says too little, longer is a paragraph
MAX_ANSWER_WORDS = 3
# Whisper's probability for each word of an answer must be at least this: a word the
# recognizer was unsure it heard is often a mishearing ("involved in seep", p 0.27, in
# L01), and a quiz must not teach it. Text transcripts (captions) carry 1.0.
MIN_ANSWER_P = 0.5
CHOICES = 4
QUESTION_WORDS = (3, 30)
# The model sees the sentence with the answer blanked out, so it cannot copy the answer into
# the question (asked with the term shown, it did so in 6 of 9 items on the corpus).
SYSTEM = ("You write quiz questions for students from a lecture. You get a sentence from the "
          "lecture with one term replaced by ___. Write one question whose answer is the missing "
          "term, using only what the sentence says. Reply with the question only, ending with a "
          "question mark.")


class QuizError(RuntimeError):
    """A lecture cannot be quizzed (not ingested, no transcript)."""


@dataclass(frozen=True)
class Citation:
    video_id: str
    start: float
    end: float
    title: str
    url: str


@dataclass(frozen=True)
class Item:
    kind: str                    # "choice" (pick one of `choices`) or "short" (type the answer)
    question: str
    choices: tuple[str, ...]     # the answer among them, shuffled; () for "short"
    answer: str
    explanation: str             # the lecturer's sentence, quoted, with its moment
    citation: Citation


@dataclass(frozen=True)
class Dropped:
    question: str
    answer: str
    why: str


@dataclass
class Quiz:
    video_id: str
    items: list[Item] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    key: str = ""                # what it was made from: regenerated when that changes
    cloze: int = 0               # questions that are the lecture's sentence with the answer blanked
    retried: int = 0             # model questions that failed and were tried again as a blank

    @property
    def written(self) -> int:
        """Items tried: each picked answer once (a second chance is the same item)."""
        return len(self.items) + len(self.dropped) - self.retried

    @property
    def failed(self) -> int:
        """Items tried and not shown (`dropped` also lists a question that got a second chance)."""
        return self.written - len(self.items)

    def to_json(self) -> dict:
        return {"video_id": self.video_id, "items": [
            {**{k: v for k, v in asdict(i).items() if k != "citation"},
             "choices": list(i.choices), "citation": asdict(i.citation)} for i in self.items]}

    def save(self, path: Path, config: dict) -> None:
        artifacts.save(path, KIND, VERSION, {**self.to_json(), "key": self.key, "cloze": self.cloze,
                                             "retried": self.retried, "dropped": [asdict(d) for d in self.dropped]}, config)

    @classmethod
    def load(cls, path: Path) -> "Quiz":
        d = artifacts.load(path, KIND, VERSION)
        items = [Item(i["kind"], i["question"], tuple(i["choices"]), i["answer"], i["explanation"],
                      Citation(**i["citation"])) for i in d["items"]]
        return cls(d["video_id"], items, [Dropped(**x) for x in d.get("dropped", [])], d.get("key", ""),
                   d.get("cloze", 0), d.get("retried", 0))


# --- answers: key terms of a sentence ------------------------------------------------
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|[A-Za-z0-9][A-Za-z0-9.'%-]*[A-Za-z0-9%]|[A-Za-z0-9]")


def _key(token: str) -> bool:
    """A word a question can ask for: a number written with digits, or a rare word that is
    not a stopword nor an adverb ("theoretically" is rare, and no answer)."""
    w = grounding.normalized_words(token)
    if len(w) != 1 or w[0] in grounding.STOPWORDS:
        return False
    if grounding.is_number(w[0]):   # "one", "1": how people talk, not a fact to ask for
        return sum(ch.isdigit() for ch in token) >= 2
    return len(w[0]) > 3 and not w[0].endswith("ly") and grounding.zipf(w[0]) < grounding.RARE_ZIPF


def terms(text: str) -> list[str]:
    """Runs of up to MAX_ANSWER_WORDS adjacent key words, as spoken ("PTF", "1.5 million")."""
    out, run = [], []
    for tok in _TOKEN.findall(text) + [""]:
        if tok and _key(tok) and len(run) < MAX_ANSWER_WORDS:
            run.append(tok)
            continue
        if run:
            out.append(" ".join(run))
        run = [tok] if tok and _key(tok) else []
    return list(dict.fromkeys(out))


def _stems(text: str) -> set[str]:
    return {grounding.stem(w) for w in grounding.normalized_words(text)}


@dataclass(frozen=True)
class _Pick:
    passage: Chunk
    sentence: Sentence
    answer: str


def _unsure(t: Transcript) -> set[tuple[float, str]]:
    """(start, normalised word) of every word Whisper gave less than MIN_ANSWER_P."""
    return {(round(w.start, 2), x) for seg in t.segments for w in seg.words
            if w.probability < MIN_ANSWER_P for x in grounding.normalized_words(w.text)}


def _heard(answer: str, s: Sentence, unsure: set[tuple[float, str]]) -> bool:
    """Whether no word of the answer is one the recognizer was unsure of within the sentence."""
    said = set(grounding.normalized_words(answer))
    return not any(s.start - 0.05 <= start <= s.end + 0.05 and w in said for start, w in unsure)


def _picks(chunks: list[Chunk], n: int, per_stretch: int = 3,
           unsure: set[tuple[float, str]] = frozenset()) -> list[list[_Pick]]:
    """For each of n stretches of the lecture, its best (sentence, term) candidates, best
    first: terms the lecture says most often (a concept it teaches, not a passing name);
    none with a word the recognizer was unsure it heard."""
    counts = Counter(grounding.stem(w) for c in chunks for t in terms(c.text)
                     for w in grounding.normalized_words(t))
    groups = np.array_split(np.arange(len(chunks)), min(n, len(chunks))) if chunks else []
    out = []
    for g in groups:
        scored: dict[frozenset, tuple[float, _Pick]] = {}
        for i in g:
            for s in chunks[i].sentences:
                if not SENTENCE_WORDS[0] <= len(s.text.split()) <= SENTENCE_WORDS[1]:
                    continue
                found = terms(s.text)
                if len(found) < 2:   # a sentence with one rare word says little else ("thank
                    continue         # you, Lorenzo, for attending"): its blank is a guess
                for t in found:
                    if unsure and not _heard(t, s, unsure):
                        continue
                    stems = frozenset(_stems(t))
                    score = sum(counts[x] for x in stems) / len(stems)
                    if stems not in scored or score > scored[stems][0]:
                        scored[stems] = (score, _Pick(chunks[i], s, t))
        ranked = sorted(scored.values(), key=lambda x: -x[0])
        out.append([p for _, p in ranked[:per_stretch]])
    return out


# --- wrong choices ---------------------------------------------------------------------
def _alike(a: str, b: str) -> bool:
    """Spellings of one name ("Hammad", "Hamad"): as a wrong choice, a trick, not a test."""
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() > 0.75



def _distractors(answer: str, passage: Chunk, pool: list[str], pool_vecs: np.ndarray,
                 embedder: Embedder, k: int) -> list[str]:
    """The k terms of the lecture nearest in meaning to the answer, of the same sort (a
    number for a number), that the passage does not contain."""
    number = any(grounding.is_number(w) for w in grounding.normalized_words(answer))
    held = grounding.Evidence([passage.text])
    a = _stems(answer)
    order = np.argsort(-(pool_vecs @ embedder.encode_cached([answer])[0])) if len(pool) else []
    out: list[str] = []
    for j in order:
        t = pool[int(j)]
        words = grounding.normalized_words(t)
        if (any(grounding.is_number(w) for w in words) != number or _stems(t) & a
                or any(held.holds(w) for w in words)
                or any(_stems(t) & _stems(o) or _alike(t, o) for o in [answer, *out])):
            continue
        out.append(t)
        if len(out) == k:
            break
    return out


# --- questions -------------------------------------------------------------------------
def _blanked(sentence: str, answer: str) -> str:
    return re.sub(re.escape(answer), "___", sentence, count=1)


# Worked examples, far from any course: a 0.5B model copies their form ("What is the missing
# term?" without them).
EXAMPLES = (
    ("The heart pumps blood through the ___ to every organ of the body.",
     "Through what does the heart pump blood to every organ of the body?"),
    ("In 1969, ___ became the first person to walk on the Moon.",
     "Who became the first person to walk on the Moon in 1969?"),
    ("At sea level, water boils at ___ degrees Celsius.",
     "At how many degrees Celsius does water boil at sea level?"),
)


def _prompt(blanked: str) -> list[Message]:
    msgs = [Message("system", SYSTEM)]
    for sentence, question in EXAMPLES:
        msgs += [Message("user", f'Sentence: "{sentence}"'), Message("assistant", question)]
    return msgs + [Message("user", f'Sentence: "{blanked}"')]


def _ask(llm: LLM, pick: _Pick) -> str:
    reply = llm.complete(_prompt(_blanked(pick.sentence.text, pick.answer)), max_tokens=48,
                         stop=["\n"])
    return reply.strip().strip('"').strip()


ANSWER_SYSTEM = "Answer the question with a few words copied from the lecture excerpt."


def answer_back(llm: LLM, passage: Chunk, question: str) -> str:
    """The model's own answer to the question from the passage: a question it answers with
    another term is ambiguous or off (round-trip consistency, as in Alberti et al. 2019)."""
    user = f'Excerpt: "{passage.text}"\nQuestion: {question}'
    return llm.complete([Message("system", ANSWER_SYSTEM), Message("user", user)], max_tokens=24,
                        stop=["\n"])


def check(question: str, answer: str, passage: Chunk, sentence: Sentence,
          choices: tuple[str, ...]) -> str:
    """Why the item cannot be shown ("" when it can), by its words alone."""
    words = question.split()
    cloze = question.startswith(CLOZE)
    if not cloze and (not question.endswith("?") or "__" in question or "missing" in question.lower()):
        return "not a question"
    if not QUESTION_WORDS[0] <= len(words) <= QUESTION_WORDS[1] + (SENTENCE_WORDS[1] if cloze else 0):
        return "question too short or too long"
    if _stems(answer) & _stems(question):
        return "the question gives the answer away"
    shared = {grounding.stem(w) for w in grounding.content_words(question)} & _stems(sentence.text)
    if cloze and len(grounding.content_words(question)) < 4:   # a blank in "It is ___."
        return "the sentence says too little around the blank"
    if len(shared) < 2:   # "What would you use to do it?": answerable only with the sentence
        return "the question does not say what it is about"
    said = grounding.Evidence([sentence.text])
    if not all(said.holds(w) for w in grounding.normalized_words(answer)):
        return "the answer is not in the cited sentence"
    verdict = grounding.check(question, [passage.text])
    if not verdict.supported:
        return f"the question is not what the passage says ({verdict.why})"
    held = grounding.Evidence([passage.text])
    if any(all(held.holds(w) for w in grounding.normalized_words(c)) for c in choices if c != answer):
        return "a wrong choice is in the passage"
    return ""


def answered_as(answer: str, answered: str) -> str:
    """Why the model's own answer (answer_back) fails the item ("" when it is the answer)."""
    if not _stems(answer) <= _stems(answered):
        return f"answered from the passage as {answered.strip()[:40]!r}"
    return ""


def make(t: Transcript, info: SourceInfo, folder: Path, llm: LLM, embedder: Embedder,
         n: int = 5, seed: int = 0) -> Quiz:
    """A quiz of up to n checked items over one lecture."""
    chunks = [c for c in passages(t, info.title, *PASSAGE_S, 0.0) if c.kind == PASSAGE]
    pool = list(dict.fromkeys(x for c in chunks for x in terms(c.text)))
    pool_vecs = embedder.encode_cached(pool) if pool else np.zeros((0, embedder.dim))
    rng = np.random.default_rng(int(hashlib.sha256(f"{t.video_id}/{seed}".encode()).hexdigest()[:8], 16))
    quiz = Quiz(t.video_id)
    asked: set[str] = set()   # answers' stems and questions already used
    for candidates in _picks(chunks, n, unsure=_unsure(t)):
        for pick in candidates:   # the stretch's next candidate when one fails its checks
            if " ".join(sorted(_stems(pick.answer))) in asked:
                continue
            item = _item(llm, pick, pool, pool_vecs, embedder, rng, info, folder, asked, quiz)
            if item:
                quiz.items.append(item)
                asked.update({item.question.lower(), " ".join(sorted(_stems(item.answer)))})
                break
    return quiz


CLOZE = "Fill in the blank:"


def _item(llm, pick: _Pick, pool, pool_vecs, embedder, rng, info: SourceInfo, folder: Path,
          asked: set[str], quiz: Quiz) -> Item | None:
    question = _ask(llm, pick)
    cloze = f'{CLOZE} "{_blanked(pick.sentence.text, pick.answer)}"'
    if "__" in question or not question.endswith("?"):
        # The model kept the blank, or wrote no question (16 of 46 items on the corpus): the
        # lecturer's own sentence with the term blanked is a fair question, and grounded.
        question = cloze
        quiz.cloze += 1
    wrong = _distractors(pick.answer, pick.passage, pool, pool_vecs, embedder, CHOICES - 1)
    choices = tuple(str(c) for c in rng.permutation([pick.answer, *wrong])) \
        if len(wrong) == CHOICES - 1 else ()
    why = _why(llm, pick, question, choices, asked)
    if why and question != cloze:
        # The model's question failed (it gives the answer away, or is answered with another
        # term): the lecturer's sentence with the blank gets a second chance, checked the same.
        quiz.dropped.append(Dropped(question, pick.answer, why))
        log.info("%s: quiz question dropped (%s), trying the sentence with a blank: %r -> %r",
                 quiz.video_id, why, question, pick.answer)
        question, quiz.cloze, quiz.retried = cloze, quiz.cloze + 1, quiz.retried + 1
        why = _why(llm, pick, question, choices, asked)
    if why:
        quiz.dropped.append(Dropped(question, pick.answer, why))
        log.info("%s: quiz item dropped (%s): %r -> %r", quiz.video_id, why, question, pick.answer)
        return None
    s = pick.sentence
    cite = Citation(quiz.video_id, s.start, s.end, info.title, deep_link(info, folder, s.start))
    return Item("choice" if choices else "short", question, choices, pick.answer,
                f'At {int(s.start) // 60}:{int(s.start) % 60:02d} the lecture says: "{s.text}"', cite)


def _why(llm, pick: _Pick, question: str, choices, asked: set[str]) -> str:
    """Why the item fails its checks ("" when it passes); the model's answer-back last."""
    why = check(question, pick.answer, pick.passage, pick.sentence, choices)
    if not why and question.lower() in asked:
        why = "a duplicate"
    if not why:   # the costlier check last
        why = answered_as(pick.answer, answer_back(llm, pick.passage, question))
    return why


# --- per lecture, cached ---------------------------------------------------------------
def quiz_path(lib: Library, video_id: str) -> Path:
    # beside the videos, not in their folders: the app writes quizzes while an ingest runs
    return lib.root / "quizzes" / f"{video_id}.json"


def quiz_key(t: Transcript, info: SourceInfo, llm_name: str, n: int) -> str:
    """What a quiz is made from: its lecture's words and times, title, model and size."""
    blob = json.dumps([t.to_payload(), info.title, llm_name, n, VERSION], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def for_video(lib: Library, video_id: str, llm: "LLMConfig | str", n: int = 5,
              force: bool = False) -> Quiz:
    """The lecture's quiz: from the cache when its transcript and settings are unchanged.
    `llm`: the model's name, or the assistant's LLMConfig (then its loaded model is shared)."""
    from index.config import load_config
    from index.embed import embedder
    from lectern.llm import LLMConfig, load

    llm_cfg = llm if isinstance(llm, LLMConfig) else LLMConfig(llm)
    llm_name = llm_cfg.model

    if lib.catalog.video(video_id) is None:
        raise QuizError(f"no video {video_id!r} in {lib.root} (see `lectern status`)")
    try:
        t = Transcript.load(lib.path(video_id, TRANSCRIPT))
        info = SourceInfo.load(lib.path(video_id, SOURCE))
    except artifacts.ArtifactError as e:
        raise QuizError(f"{video_id} has no transcript yet ({e})") from None
    key = quiz_key(t, info, llm_name, n)
    path = quiz_path(lib, video_id)
    if not force and path.exists():
        try:
            cached = Quiz.load(path)
            if cached.key == key:
                return cached
        except artifacts.ArtifactError:
            pass   # damaged: made again
    cfg = load_config(lib)
    quiz = make(t, info, lib.folder(video_id), load(llm_cfg),
                embedder(cfg.embedding_model, cfg.device), n)
    quiz.key = key
    path.parent.mkdir(exist_ok=True)
    quiz.save(path, {"llm": llm_name, "n": n})
    log.info("%s: quiz of %d items (%d written, %d dropped)", video_id, len(quiz.items),
             quiz.written, quiz.failed)
    return quiz
