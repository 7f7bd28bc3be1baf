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
     it up one meter" says nothing of the cable's length),
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

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# A word rarer than this in English (Zipf scale: 3 = once per million words) is a term
# that must appear in the evidence. Common English words may be rewordings.
RARE_ZIPF = 4.0
# The rarity-weighted share of a sentence's content words the evidence must hold.
MIN_SUPPORT = 0.45
# A question word rarer than this that occurs nowhere in the course is a topic the
# course does not have ("WaveNet", "vocoder"): the question is not covered.
KEY_ZIPF = 3.0

_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
SMALL_NUMBERS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS = {**SMALL_NUMBERS, **{"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60",
                      "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100",
                      "thousand": "1000", "million": "1000000", "billion": "1000000000",
                      "half": "0.5", "twice": "2", "double": "2"}}

# Function words, fillers, and the words an answer uses to talk about the lecture
# itself ("the speaker mentions that..."): none of them is a claim about the subject.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just let me more most my myself no nor not now of off on once only or other our
ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
okay yeah um uh like kind sort really actually basically know think mean going get got thing
things lot isn aren wasn weren don doesn didn won couldn shouldn wouldn haven hasn hadn
s t ll re ve d m may might must shall cannot can't won't it's that's there's
speaker speakers lecturer lecturers lecture lectures professor instructor excerpt excerpts
course talk talks mention mentions mentioned say says said state states stated explain
explains explained describe describes described discuss discusses discussed according
note notes noted suggest suggests suggested refer refers referred point points pointed
answer question student students one ones way ways also well example
""".split())


def normalized_words(text: str) -> list[str]:
    """Lower-case words with numbers normalised: "2,000" -> "2000", "two" -> "2"."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower().replace("\u2019", "'"))
    out = []
    for w in _WORD.findall(text):
        w = w.split("'")[0] if not w[0].isdigit() else w
        out.append(_NUMBER_WORDS.get(w, w))
    return out


@functools.lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer
    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return word if word[0].isdigit() else _stemmer().stemWord(word)


@functools.lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common the word is in English: 7 = "the", 3 = once per million words, 0 = unknown."""
    from wordfreq import zipf_frequency
    return zipf_frequency(word, "en")


def is_number(word: str) -> bool:
    return word[0].isdigit()


def weight(word: str) -> float:
    """How much a word counts as evidence: 1 for the commonest words, up to 6 for unknown ones;
    a number as much as an uncommon word (the excerpt giving the same number says a lot)."""
    return NUMBER_WEIGHT if is_number(word) else min(max(7.0 - zipf(word), 1.0), 6.0)


NUMBER_WEIGHT = 3.0


_CITATION = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")


def content_words(text: str) -> list[str]:
    """The words of a text that carry its claim (unstemmed, in order, without repeats)."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", _CITATION.sub(" ", text))
    raw = [w for w in _WORD.findall(text.lower().replace("\u2019", "'"))
           if w.split("'")[0] not in STOPWORDS]    # "one", "once": no number claimed
    return list(dict.fromkeys(w for w in normalized_words(" ".join(raw))
                              if w not in STOPWORDS and (len(w) > 1 or is_number(w))))


class Evidence:
    """The stems of some texts, with each pair of neighbours joined too ("hard way" -> "hardway")."""

    def __init__(self, texts: Iterable[str]):
        self.stems: set[str] = set()
        self.texts = list(texts)
        for text in self.texts:
            words = normalized_words(text)
            self.stems.update(stem(w) for w in words)
            # "16GB" also says 16 (and GB): the model writes "16 GB"
            self.stems.update(p for w in words if (m := _JOINED.match(w)) for p in m.groups())
            self.stems.update(stem(a + b) for a, b in zip(words, words[1:]))

    def holds(self, word: str) -> bool:
        if stem(word) in self.stems:
            return True
        # "1.5" against "1.5" is above; "16gb" against "16 GB" is the joined pair
        return is_number(word) and word.rstrip("s") in self.stems


RESTATES = "restates the question"


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
    if wrong := _unit_mismatch(sentence, ev.texts):
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
    if wrong := _uncounted(sentence, ev.texts, question):   # the number is there, counting else
        return Verdict(False, support, wrong, "a count of what was asked no excerpt gives")
    if wrong := _measure_for_count(sentence, question):
        return Verdict(False, support, wrong, "a measure where a count was asked")
    if wrong := _other_kind(sentence, question):
        return Verdict(False, support, wrong, "a quantity of another kind than the question asks")
    if wrong := _measures_other(sentence, ev.texts, question):
        return Verdict(False, support, wrong, "a figure the excerpt gives for something else")
    if missing:
        return Verdict(False, support, missing, "a term no excerpt uses")
    if reversed_ := _reversed_change(sentence, ev.texts):
        return Verdict(False, support, reversed_, "reverses a change the excerpt states")
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


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.'-]*")


def _named(question: str) -> set[str]:
    """Stems of what the question names: numbers, and rare words it capitalises or writes with
    digits inside a sentence ("SpeechT5", "Nvidia 1050"); not units ("GB"), not its verbs."""
    out = set()
    for i, tok in enumerate(_TOKEN.findall(question)):
        for w in normalized_words(tok):
            if w in _UNITS:
                continue
            if is_number(w) or (i > 0 and (tok[0].isupper() or any(c.isdigit() for c in tok))
                                and zipf(w) < RARE_ZIPF):
                out.add(stem(w))
    return out


def _said_nearly(word: str, ev: Evidence) -> bool:
    """Whether the evidence holds the word, or a spelling one letter off ("RISC" = "risk":
    speech recognition spells what it hears)."""
    if ev.holds(word):
        return True
    if is_number(word) or len(word) < 4:
        return False
    near = {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in _LETTERS}
    near |= {word[:i] + word[i + 1:] for i in range(len(word))}
    return any(stem(w) in ev.stems for w in near)


# Units a number can carry, by the kind of quantity each measures, each spelling to one
# name ("ms", "milliseconds" -> "ms").
_UNIT_KINDS = {
    "time": {"ms": "ms millisecond milliseconds", "s": "sec secs second seconds",
             "min": "minute minutes mins", "h": "hour hours hr hrs", "day": "day days",
             "week": "week weeks", "year": "year years"},
    "data": {"kb": "kb kilobyte kilobytes", "mb": "mb megabyte megabytes",
             "gb": "gb gig gigs gigabyte gigabytes", "tb": "tb terabyte terabytes"},
    "mass": {"g": "gram grams", "kg": "kg kilo kilos kilogram kilograms"},
    "length": {"m": "meter meters metre metres", "cm": "cm centimeter centimeters",
               "km": "km kilometer kilometers", "mile": "mile miles"},
    "frequency": {"hz": "hz hertz", "khz": "khz kilohertz", "mhz": "mhz megahertz",
                  "ghz": "ghz gigahertz"},
    "power": {"w": "watt watts"}, "energy": {"j": "joule joules"}, "voltage": {"v": "volt volts"},
    "ratio": {"%": "percent %", "x": "times x"}}
_UNITS = {u: name for units in _UNIT_KINDS.values() for name, spellings in units.items()
          for u in spellings.split()}
_KIND_OF_UNIT = {name: kind for kind, units in _UNIT_KINDS.items() for name in units}
_JOINED = re.compile(r"^(\d+(?:\.\d+)?)([a-z%]+)$")


def _figures(words: list[str]) -> list[tuple[int, str, str]]:
    """(position, number, unit) for each number the words follow with a unit: "15
    kilograms", "8ms"."""
    out = []
    for i, (a, b) in enumerate(zip(words, [*words[1:], ""])):
        m = _JOINED.match(a)
        if m and m.group(2) in _UNITS and m.group(2) != "s":   # "8ms"; not "1990s"
            out.append((i, m.group(1), _UNITS[m.group(2)]))
        elif is_number(a) and b in _UNITS:
            out.append((i, a, _UNITS[b]))
    return out


def _unit_words(text: str) -> list[str]:
    return normalized_words(text.replace("%", " percent"))


def _with_units(text: str) -> set[tuple[str, str]]:
    """(number, unit) for each number the text follows with a unit."""
    return {(n, u) for _, n, u in _figures(_unit_words(text))}


def _unit_mismatch(sentence: str, evidence: Sequence[str]) -> tuple[str, ...]:
    """The sentence's numbers with a unit that no evidence text gives them with."""
    given = set().union(*(_with_units(t) for t in evidence)) if evidence else set()
    return tuple(f"{n} {u}" for n, u in sorted(_with_units(sentence)) if (n, u) not in given)


# "How many GPUs does ...": what is counted is the first plural among the next words
# ("how many real-time text-to-speech sessions"), else the word right after "how many".
_HOW_MANY = re.compile(r"\bhow many\s+((?:[\w'-]+\s*){1,4})", re.I)
COUNT_SPAN = 3   # words between a number and what it counts ("50 real-time sessions")


def _counts(text: str, noun: str) -> set[str]:
    """The numbers the text puts within COUNT_SPAN words before `noun` (a stem), unless a unit
    follows the number: "15 gigabyte GPU memory" measures memory, it counts no GPUs. A
    hyphenated word counts as one ("two real-time text-to-speech sessions")."""
    words = normalized_words(re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", "", text))
    return {w for i, w in enumerate(words) if is_number(w)
            and "".join(words[i + 1:i + 2]) not in _UNITS
            and any(stem(x) == noun for x in words[i + 1:i + 2 + COUNT_SPAN])}


def _uncounted(sentence: str, evidence: Sequence[str], question: str) -> tuple[str, ...]:
    """For "how many X" questions: a number the sentence gives as a count of X ("4 GPUs")
    must count X in an excerpt too. Rule 1 passes "the server has 4 GPUs" on an excerpt
    whose "four" is a batch size; as with units, the number must go with the same thing."""
    if not (counted := _counted(question)):
        return ()
    noun = stem(normalized_words(counted)[-1])
    given = set().union(*(_counts(t, noun) for t in evidence)) if evidence else set()
    return tuple(f"{n} {counted}" for n in sorted(_counts(sentence, noun) - given))


def _counted(question: str) -> str:
    """What a "how many X" question counts ("GPUs"); "" for other questions."""
    m = _HOW_MANY.search(question)
    if not m:
        return ""
    after = m.group(1).split()
    return next((w for w in after if len(w) > 3 and w.lower().endswith("s")), after[0])


def _measure_for_count(sentence: str, question: str) -> tuple[str, ...]:
    """For "how many X" questions (X not a unit): the sentence's numbers, when each carries a
    unit and none counts X. "The server has 15 gigabyte GPU memory" answers no "how many
    GPUs": the excerpt's figure measures something else, and nothing says how many there are."""
    counted = _counted(question)
    words = normalized_words(counted)
    if not words or words[-1] in _UNITS:
        return ()    # "how many gigabytes": a unit is what is asked
    given = _with_units(sentence)
    if not given or _counts(sentence, stem(words[-1])):
        return ()
    return tuple(f"{n} {u}" for n, u in sorted(given))


# The words a question asks for each kind of quantity by ("how high", "how much height");
# "how long" asks a length or a time.
_ASKED_KIND = {"high": {"length"}, "tall": {"length"}, "far": {"length"}, "wide": {"length"},
               "deep": {"length"}, "height": {"length"}, "length": {"length"},
               "distance": {"length"}, "heavy": {"mass"}, "mass": {"mass"}, "weight": {"mass"},
               "energy": {"energy"}, "work": {"energy"}, "time": {"time"},
               "long": {"length", "time"}, "storage": {"data"}, "memory": {"data"}}
_HOW = re.compile(r"\bhow\s+(?:(?:much|many)\s+)?([a-z]+)", re.I)
# "What sampling rate ...", "which clock speed": the quantity asked named after what/which.
_WHAT = re.compile(r"\b(?:what|which)\s+(?:[a-z]+\s+){0,2}?(sampling rate|clock speed|frequency|"
                   r"height|length|distance|mass|weight|time|duration)\b", re.I)
_NAMED_KIND = {"sampling rate": {"frequency"}, "clock speed": {"frequency"},
               "frequency": {"frequency"}, "duration": {"time"}}


def _asked_kinds(question: str) -> tuple[set[str], str]:
    """The kinds of quantity the question asks for, and the words that ask it ("height")."""
    if (m := _HOW.search(question)) and (kinds := _ASKED_KIND.get(m.group(1).lower())):
        return kinds, m.group(1).lower()
    if m := _WHAT.search(question):
        name = m.group(1).lower()
        return _NAMED_KIND.get(name) or _ASKED_KIND[name], name
    return set(), ""


def _other_kind(sentence: str, question: str) -> tuple[str, ...]:
    """For "how high / how heavy / how much height / what sampling rate" questions: the
    sentence's numbers with a unit, when none of them measures what was asked. Every word of
    "the bob loses 150 joules because of air resistance" may be in the excerpt and the
    question, but joules are no answer to "how much height does it lose": the excerpt's
    figure is about something else."""
    kinds, _ = _asked_kinds(question)
    given = _with_units(sentence)
    if not kinds or not given or any(_KIND_OF_UNIT.get(u) in kinds for _, u in given):
        return ()
    return tuple(f"{n} {u}" for n, u in sorted(given))


MEASURE_SPAN = 8   # words either side of a figure where the excerpt names what it measures


def _measures_other(sentence: str, evidence: Sequence[str], question: str) -> tuple[str, ...]:
    """For the same questions: the sentence's figures of the kind asked, when no excerpt gives
    that figure within MEASURE_SPAN words of anything the question names. "The cable is 1
    meter long" (n22) rests on "I can lift it up one meter": the right figure and kind, but
    the excerpt measures a lift, and says nothing of a cable, a pendulum or a bob."""
    kinds, asking = _asked_kinds(question)
    if not kinds:
        return ()
    wanted = {(n, u) for n, u in _with_units(sentence) if _KIND_OF_UNIT.get(u) in kinds}
    if not wanted:
        return ()
    named = {stem(w) for w in content_words(question)} - {stem(w) for w in asking.split()}
    if not named:
        return ()    # "how heavy is it?": nothing to find beside the figure
    for text in evidence:
        words = _unit_words(text)
        for i, n, u in _figures(words):
            near = words[max(0, i - MEASURE_SPAN):i + 2 + MEASURE_SPAN]
            if (n, u) in wanted and any(stem(w) in named for w in near):
                return ()
    return tuple(f"{n} {u}" for n, u in sorted(wanted))


# Words that give an amount without a figure: "a few", "several hundred", "none".
_AMOUNTS = {"few", "several", "couple", "dozen", "dozens", "hundreds", "thousands", "millions",
            "billions", "none", "single", "handful"}


def unanswered(first: str, question: str) -> str:
    """Why an answer's first sentence, though supported, does not answer the question: a
    "how many" question answered with no number or amount at all. "The rewritten pipeline
    splits the audio into smaller chunks" is in the excerpt, and says nothing of how many
    milliseconds each holds. "" when it answers (or the question is of another form)."""
    if _counted(question) and not any(is_number(w) or w in _AMOUNTS for w in normalized_words(first)):
        return "no number, where the question asks how many"
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
    recognition spells what it hears)."""
    return tuple(w for w in content_words(question)
                 if not is_number(w) and zipf(w) < KEY_ZIPF and not known.holds(w)
                 and not _in_course(w, course))


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
