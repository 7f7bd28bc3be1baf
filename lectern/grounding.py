"""Grounding: does a sentence rest on the excerpts it cites, and can the excerpts answer at all?

One rule, used wherever the model's words reach a student: while an answer
streams (a sentence is shown and spoken only once it passes, assistant/gate.py),
by `lectern eval` (the faithful-sentence rate), and by the summaries
(ingest/summarize.py: a point, summary sentence or chapter title the
transcript does not support is dropped).

A sentence is *supported* by its evidence (the excerpts it cites, plus the
student's own question, which it may restate) when
  1. every number in it is in the evidence ("50 sessions", "2,000" = "2000"),
  2. every rare word in it is in the evidence: a word that is rare in
     English (wordfreq's Zipf frequency below RARE_ZIPF: "Newton",
     "velocity", "distillation") names a concept or a thing, and a concept the
     excerpt never names is one the lecturer did not state, and
  3. a number with a unit ("15 meters", "8 ms") is in the evidence with that unit:
     "15 kilograms" there does not make "15 meters" true; likewise a number that counts
     what a "how many X" question asks ("4 GPUs") must count X in the evidence (and a
     figure with a unit, "15 gigabyte GPU memory", counts no GPUs), and a number with
     a unit answers "how high / how heavy / how much height / what sampling rate" only
     with a unit of that kind (joules do not say how much height the bob loses), and
     only where an excerpt gives that figure beside something the question names ("lift
     it up one meter" says nothing of the cable's length), and not one the excerpt gives
     as a hope that another figure replaced ("I expected 20 times ... but only got two
     times"; the rules on figures are lectern/figures.py),
  4. a number or name taken from the question (a rare word it capitalises or writes
     with digits; not a unit) is one the cited lecture says somewhere, or one letter
     off (`lecture`, when given): "the SpeechT5 model has 500,000,000
     parameters" cites a lecture about other models that never names SpeechT5, and
     every word of it is in the excerpt or the question, so 1-2 pass it,
  5. most of what it says is in the evidence: the share of its content
     words found there, each weighed by its rarity in English (common words
     weigh little: rewording is allowed, new technical content is not), is
     at least MIN_SUPPORT.
An answer's first sentence must also answer the form of the question: a "how many"
question with no number or amount at all is not answered (`unanswered`).
Words are compared after stemming (Snowball), so "converts" matches
"converting", and compounds match their parts ("AssemblyAI" = "Assembly AI").

The thresholds were set by measurement on dev.jsonl, tests/data/physics.jsonl
and tests/data/near_topic.jsonl (bench/grounding.py prints the table they
come from).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .figures import (JOINED, UNITS, hoped_for, measure_for_count, measures_other, other_kind,
                      uncounted, unanswered, unit_mismatch)
from .words import (SMALL_NUMBERS, STOPWORDS, content_words, is_number, normalized_words, stem,
                    zipf)

__all__ = ["SMALL_NUMBERS", "STOPWORDS", "content_words", "is_number", "normalized_words", "stem",
           "zipf", "unanswered", "check", "check_against", "Evidence", "Verdict", "overlap",
           "missing_key_terms", "wrong_form", "warm", "RESTATES", "RARE_ZIPF", "MIN_SUPPORT",
           "KEY_ZIPF"]

# A word rarer than this in English (Zipf scale: 3 = once per million words) is a term
# that must appear in the evidence. Common English words may be rewordings.
RARE_ZIPF = 4.0
# The rarity-weighted share of a sentence's content words the evidence must hold.
MIN_SUPPORT = 0.45
# A question word rarer than this that occurs nowhere in the course is a topic the
# course does not have ("WaveNet", "vocoder"): the question is not covered.
KEY_ZIPF = 3.0


def weight(word: str) -> float:
    """How much a word counts as evidence: 1 for the commonest words, up to 6 for unknown ones;
    a number as much as an uncommon word (the excerpt giving the same number says a lot)."""
    return NUMBER_WEIGHT if is_number(word) else min(max(7.0 - zipf(word), 1.0), 6.0)


NUMBER_WEIGHT = 3.0


class Evidence:
    """The stems of some texts, with each pair of neighbours joined too ("hard way" -> "hardway")."""

    def __init__(self, texts: Iterable[str]):
        self.stems: set[str] = set()
        self.texts = list(texts)
        self.words = [normalized_words(text) for text in self.texts]   # per text, in order
        for words in self.words:
            self.stems.update(stem(w) for w in words)
            # "16GB" also says 16 (and GB): the model writes "16 GB"
            self.stems.update(p for w in words if (m := JOINED.match(w)) for p in m.groups())
            self.stems.update(stem(a + b) for a, b in zip(words, words[1:]))

    def holds(self, word: str) -> bool:
        if stem(word) in self.stems:
            return True
        # "1.5" against "1.5" is above; "16gb" against "16 GB" is the joined pair
        return is_number(word) and word.rstrip("s") in self.stems


RESTATES = "restates the question"
OTHER_KIND = "a quantity of another kind than the question asks"
MEASURE_FOR_COUNT = "a measure where a count was asked"


@dataclass(frozen=True)
class Verdict:
    supported: bool
    support: float                  # rarity-weighted share of content words in the evidence
    missing: tuple[str, ...]        # numbers and rare words the evidence does not hold
    why: str = ""                   # one phrase when not supported (or RESTATES)


def check(sentence: str, evidence: Sequence[str], question: str = "",
          lecture: Evidence | None = None) -> Verdict:
    """Whether `sentence` rests on `evidence` (the cited excerpts' texts) by the rule above;
    `lecture`: what the cited excerpts' lectures say in full (rule 4)."""
    return check_against(sentence, Evidence([*evidence, question]), question, lecture)


def check_against(sentence: str, ev: Evidence, question: str = "",
                  lecture: Evidence | None = None) -> Verdict:
    """check() with the evidence already stemmed (a whole transcript, checked many times)."""
    asked = {stem(w) for w in normalized_words(question)}
    if wrong := unit_mismatch(sentence, ev.texts):
        return Verdict(False, 0.0, wrong, "a number with a unit no excerpt gives it")
    if lecture is not None:
        named = _named(question)
        borrowed = tuple(w for w in content_words(sentence) if stem(w) in named
                         and not _said_nearly(w, lecture))
        if borrowed:
            return Verdict(False, 0.0, borrowed, "a term of the question the cited lecture never says")
    words = [w for w in content_words(sentence) if stem(w) not in asked]
    if not words:
        return Verdict(True, 1.0, (), RESTATES)   # no claim of its own
    held = [w for w in words if ev.holds(w)]
    total = sum(weight(w) for w in words)
    support = sum(weight(w) for w in held) / total
    missing = tuple(w for w in words if w not in held and (is_number(w) or zipf(w) < RARE_ZIPF))
    if any(is_number(w) for w in missing):
        return Verdict(False, support, missing, "a number no excerpt gives")
    if wrong := uncounted(sentence, ev.texts, question):   # the number is there, counting else
        return Verdict(False, support, wrong, "a count of what was asked no excerpt gives")
    if wrong := measure_for_count(sentence, question):
        return Verdict(False, support, wrong, MEASURE_FOR_COUNT)
    if wrong := other_kind(sentence, question):
        return Verdict(False, support, wrong, OTHER_KIND)
    if wrong := measures_other(sentence, ev.texts, question):
        return Verdict(False, support, wrong, "a figure the excerpt gives for something else")
    if wrong := hoped_for(sentence, ev.texts, question):
        return Verdict(False, support, wrong, "a figure the excerpt gives as a hope, not what happened")
    if missing:
        return Verdict(False, support, missing, "a term no excerpt uses")
    if reversed_ := _reversed_change(sentence, ev.texts):
        return Verdict(False, support, reversed_, "reverses a change the excerpt states")
    if denied := _denied(sentence, ev.texts):
        return Verdict(False, support, denied, "denies what the excerpt states")
    if affirmed := _affirmed(sentence, [t for t in ev.texts if t != question]):
        return Verdict(False, support, affirmed, "states what the excerpt denies")
    if support < MIN_SUPPORT:
        return Verdict(False, support, missing, "most of it is in no excerpt")
    return Verdict(True, support, missing)


# "converts X into Y", "X turns into Y", "X is converted to Y": a change with a direction.
# Every word of "kinetic energy is converted into potential energy" is in an excerpt that
# says the opposite, so the word rules above pass it; the direction is checked here.
_CHANGE = re.compile(r"\b(?:convert|convers|turn|transform|chang)\w*\s+(?:(?:from\s+)?(?P<src>[\w\s']{1,40}?)\s+)?"
                     r"(?:in)?to\s+(?P<dst>(?:\w+\s+){0,2}\w+)", re.I)


def _changes(text: str) -> list[tuple[set[str], set[str]]]:
    """(source stems, target stems) of each change the text states; the source may be empty."""
    out = []
    for m in _CHANGE.finditer(text):
        src = {stem(w) for w in content_words(m.group("src") or "") if not is_number(w)}
        dst = {stem(w) for w in content_words(m.group("dst")) if not is_number(w)}
        if dst:
            out.append((src, dst))
            if src and re.search(r"\bback\b", text[m.start():m.end() + 20], re.I):
                out.append((dst, src))   # "... to kinetic energy back to potential": both ways
    return out


def _reversed_change(sentence: str, evidence: Sequence[str]) -> tuple[str, ...]:
    """The target of a change the sentence states, when the evidence states changes only
    the other way: what the sentence names as the target is the evidence's source, or what
    it names as the source is the evidence's only target (the "kinetic" of "converted to
    kinetic energy"). Empty when the evidence states no change, or agrees."""
    stated = [c for text in evidence for c in _changes(text)]
    if not stated:
        return ()
    for src, dst in _changes(sentence):
        key_src, key_dst = src - dst, dst - src
        if key_dst and not key_src:
            # "what is converted into gravitational potential energy?": no source named, so
            # the target alone must not be only what the evidence changes from
            keys = [(s - d, d - s) for s, d in stated]
            if any(key_dst & s2 for s2, _ in keys) and not any(key_dst & d2 for _, d2 in keys):
                return tuple(w for w in content_words(sentence) if stem(w) in key_dst)
            continue
        if not key_src or not key_dst:
            continue
        agrees = any(key_dst & d and not key_dst & s for s, d in stated)
        against = any((key_src & d and not key_src & s) or (key_dst & s) for s, d in stated)
        if against and not agrees:
            return tuple(w for w in content_words(sentence) if stem(w) in key_dst)
    return ()


# "It can not touch my chin" against "it may touch my chin": every word is in the excerpt,
# and the sentence says the opposite (p01 in session 22, joined from two excerpts).
_NEGATORS = {"not", "never", "cannot", "no", "nor", "without"}
# Content words before a word that a negator may stand before, within its clause: "can not
# touch", "never come back", "should not be able to reach any higher" (function words such
# as "be", "to", "any" are free; a comma or full stop ends the scope).
NEGATION_SPAN = 3
_RAW = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Words that begin another clause, where a negation's scope ends (as in NegEx).
_SCOPE_ENDS = {"and", "but", "because", "if", "when", "while", "although", "though", "which",
               "so", "however", "then", "whereas", "since", "unless"}
_CLAUSE = re.compile(r"[,;:.!?()\u2014]|\s-\s")


def _negations(text: str) -> list[tuple[str, bool]]:
    """(stem, negated) for each word of the text that is not a function word."""
    out = []
    for clause in _CLAUSE.split(text.lower().replace("\u2019", "'")):
        words = _RAW.findall(clause)
        neg = [(w in _NEGATORS or w.endswith("n't")) and words[i + 1:i + 2] not in (["only"], ["just"])
               for i, w in enumerate(words)]   # "not only X but also Y" says X
        content = 0   # content words since the last negator, walking forward
        negated = False
        for i, w in enumerate(words):
            if neg[i]:
                negated, content = True, 0
                continue
            if w in _SCOPE_ENDS and not (i and neg[i - 1]):   # "not so heavy" stays negated
                negated = False   # "does not crush his chin because he releases it"
                continue
            if w in STOPWORDS or len(w) <= 2:
                continue
            content += 1
            negated = negated and content <= NEGATION_SPAN
            out.append((stem(w), negated))
    return out


def _uses(evidence: Sequence[str]) -> dict[str, set[bool]]:
    """stem -> how the evidence uses it: negated (True), not negated (False), or both."""
    used: dict[str, set[bool]] = {}
    for text in evidence:
        for s, negated in _negations(text):
            used.setdefault(s, set()).add(negated)
    return used


def _denied(sentence: str, evidence: Sequence[str]) -> tuple[str, ...]:
    """The words the sentence negates that the evidence only ever states, not negated."""
    used = _uses(evidence)
    return tuple(dict.fromkeys(s for s, negated in _negations(sentence)
                               if negated and used.get(s) == {False}))


def _affirmed(sentence: str, evidence: Sequence[str]) -> tuple[str, ...]:
    """The words the sentence states that the evidence only ever negates: "it could reach
    higher than the initial height" on "it could not be higher" (p07 with the 1.5B model,
    session 23). The question is no evidence here: it may ask what the lecture denies."""
    used = _uses(evidence)
    return tuple(dict.fromkeys(s for s, negated in _negations(sentence)
                               if not negated and used.get(s) == {True}))


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.'-]*")


def _named(question: str) -> set[str]:
    """Stems of what the question names: numbers, and rare words it capitalises or writes with
    digits inside a sentence ("SpeechT5", "Nvidia 1050"); not units ("GB"), not its verbs."""
    out = set()
    for i, tok in enumerate(_TOKEN.findall(question)):
        for w in normalized_words(tok):
            if w in UNITS:
                continue
            if is_number(w) or (i > 0 and (tok[0].isupper() or any(c.isdigit() for c in tok))
                                and zipf(w) < RARE_ZIPF):
                out.add(stem(w))
    return out


def _said_nearly(word: str, ev: Evidence) -> bool:
    """Whether the evidence holds the word, or a spelling one letter off ("RISC" = "risk":
    speech recognition spells what it hears), or the word heard as a few ("pie torch")."""
    if ev.holds(word):
        return True
    if is_number(word) or len(word) < 4:
        return False
    near = {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in _LETTERS}
    near |= {word[:i] + word[i + 1:] for i in range(len(word))}
    return any(stem(w) in ev.stems for w in near) or _heard_apart(word, ev)


def wrong_form(sentence: str, question: str) -> str:
    """Why a sentence, true to the lecture or not, is no answer to the form of the question:
    no amount where one is asked, a quantity of another kind ("8 MS" for a sampling rate),
    a measure where a count is asked. "" when its form fits. For the quote that replaces a
    cut first sentence (assistant/answer.py): the lecture's own words are faithful, and
    still may answer something else."""
    if why := unanswered(sentence, question):
        return why
    if other_kind(sentence, question):
        return OTHER_KIND
    if measure_for_count(sentence, question):
        return MEASURE_FOR_COUNT
    return ""


def overlap(sentence: str, candidate: str) -> float:
    """Rarity-weighted share of the sentence's content words that the candidate holds."""
    words = content_words(sentence)
    if not words:
        return 0.0
    ev = Evidence([candidate])
    return sum(weight(w) for w in words if ev.holds(w)) / sum(weight(w) for w in words)


def missing_key_terms(question: str, known: Evidence, course) -> tuple[str, ...]:
    """The question's rare words (names, concepts) that neither the retrieved passages
    (`known`) nor the whole course (`course`, index.terms.TermStats) contain, even spelt
    as two words ("bootcamp" = "boot camp") or one letter off ("RISC" = "risk": speech
    recognition spells what it hears), or heard as a few words in a passage ("PyTorch" as
    "pie torch")."""
    return tuple(w for w in content_words(question)
                 if not is_number(w) and zipf(w) < KEY_ZIPF and not known.holds(w)
                 and not _in_course(w, course) and not _heard_apart(w, known))


# A long name (7+ letters) the recogniser split into 2-3 words it spelt as it heard them:
# "pie torch" for PyTorch, "post footer" for postfilter. Two edits is one sound heard
# differently ("py" as "pie"); the pieces must make up the whole name, so "kilogram bytes"
# (four edits from "kilobytes") is not it, and its digits must be there: "speech it" is
# two edits from "SpeechT5", and says no 5.
HEARD_MIN_LETTERS, HEARD_EDITS = 7, 2


def _heard_apart(word: str, known: Evidence) -> bool:
    from rapidfuzz.distance import Levenshtein
    if len(word) < HEARD_MIN_LETTERS:
        return False
    digits = re.sub(r"\D", "", word)
    for words in known.words:
        for n in (2, 3):
            for i in range(len(words) - n + 1):
                joined = "".join(words[i:i + n])
                if abs(len(joined) - len(word)) <= HEARD_EDITS and \
                        re.sub(r"\D", "", joined) == digits and \
                        Levenshtein.distance(joined, word, score_cutoff=HEARD_EDITS) <= HEARD_EDITS:
                    return True
    return False


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _in_course(word: str, course) -> bool:
    if course.has(word):
        return True   # (also when nothing is counted: no grounds to refuse)
    halves = [(word[:i], word[i:]) for i in range(2, len(word) - 1)]
    if any(course.has_word(a) and course.has_word(b) for a, b in halves):
        return True
    if len(word) < 4:
        return False
    if any(course.has_word(w) for w in _one_off(word)):
        return True
    # a compound heard as two words, one of them misspelt: "ExecuTorch" as "executive torch",
    # "eigenvector" as "Igen vector"
    return any((course.has_word(b) and _nearly(a, course)) or (course.has_word(a) and _nearly(b, course))
               for a, b in halves if len(a) >= 4 and len(b) >= 4)


def _one_off(word: str) -> set[str]:
    """Every spelling one letter off: one changed, dropped or added."""
    near = {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in _LETTERS}
    near |= {word[:i] + word[i + 1:] for i in range(len(word))}
    near |= {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in _LETTERS}
    return near - {word}


def _nearly(part: str, course) -> bool:
    """A piece of a compound (5+ letters: shorter ones are one letter off from too many
    words) as the course spells it: one letter off, or the start of a longer word ("execu"
    of "executive")."""
    return len(part) >= 5 and (any(course.has_word(w) for w in _one_off(part)) or course.has_prefix(part))


def warm() -> None:
    """Load the stemmer and the word frequencies (~0.5 s) before the first question."""
    stem("warming")
    zipf("warming")
