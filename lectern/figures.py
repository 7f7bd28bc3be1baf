"""Figures: a number with its unit, and whether it answers what the question asks.

Rules 3 of lectern/grounding.py, in one place: a number with a unit must be in the
evidence with that unit; a count must count what a "how many X" question counts; a
"how high / how heavy / what sampling rate" question is answered only by a figure of that
kind, given beside something the question names; a figure the lecture gives as a hope
("I expected 20 times") is not what happened.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .words import content_words, is_number, normalized_words, stem


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
UNITS = {u: name for units in _UNIT_KINDS.values() for name, spellings in units.items()
          for u in spellings.split()}
_KIND_OF_UNIT = {name: kind for kind, units in _UNIT_KINDS.items() for name in units}
JOINED = re.compile(r"^(\d+(?:\.\d+)?)([a-z%]+)$")


def figures(words: list[str]) -> list[tuple[int, str, str]]:
    """(position, number, unit) for each number the words follow with a unit: "15
    kilograms", "8ms"."""
    out = []
    for i, (a, b) in enumerate(zip(words, [*words[1:], ""])):
        m = JOINED.match(a)
        if m and m.group(2) in UNITS and m.group(2) != "s":   # "8ms"; not "1990s"
            out.append((i, m.group(1), UNITS[m.group(2)]))
        elif is_number(a) and b in UNITS:
            out.append((i, a, UNITS[b]))
    return out


def unit_words(text: str) -> list[str]:
    return normalized_words(text.replace("%", " percent"))


def with_units(text: str) -> set[tuple[str, str]]:
    """(number, unit) for each number the text follows with a unit."""
    return {(n, u) for _, n, u in figures(unit_words(text))}


def _units_given(texts: Sequence[str]) -> set[tuple[str, str]]:
    """(number, unit) for each figure any of the texts gives."""
    return set().union(*(with_units(t) for t in texts))


def unit_mismatch(sentence: str, evidence: Sequence[str]) -> tuple[str, ...]:
    """The sentence's numbers with a unit that no evidence text gives them with."""
    given = _units_given(evidence)
    return tuple(f"{n} {u}" for n, u in sorted(with_units(sentence)) if (n, u) not in given)


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
            and "".join(words[i + 1:i + 2]) not in UNITS
            and any(stem(x) == noun for x in words[i + 1:i + 2 + COUNT_SPAN])}


def uncounted(sentence: str, evidence: Sequence[str], question: str) -> tuple[str, ...]:
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


def measure_for_count(sentence: str, question: str) -> tuple[str, ...]:
    """For "how many X" questions (X not a unit): the sentence's numbers, when each carries a
    unit and none counts X. "The server has 15 gigabyte GPU memory" answers no "how many
    GPUs": the excerpt's figure measures something else, and nothing says how many there are."""
    counted = _counted(question)
    words = normalized_words(counted)
    if not words or words[-1] in UNITS:
        return ()    # "how many gigabytes": a unit is what is asked
    given = with_units(sentence)
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
                   r"height|length|distance|mass|weight|time|duration|period)\b", re.I)
_NAMED_KIND = {"sampling rate": {"frequency"}, "clock speed": {"frequency"},
               "frequency": {"frequency"}, "duration": {"time"}, "period": {"time"}}


def _asked_kinds(question: str) -> tuple[set[str], str]:
    """The kinds of quantity the question asks for, and the words that ask it ("height")."""
    if (m := _HOW.search(question)) and (kinds := _ASKED_KIND.get(m.group(1).lower())):
        return kinds, m.group(1).lower()
    if m := _WHAT.search(question):
        name = m.group(1).lower()
        return _NAMED_KIND.get(name) or _ASKED_KIND[name], name
    return set(), ""


def other_kind(sentence: str, question: str) -> tuple[str, ...]:
    """For "how high / how heavy / how much height / what sampling rate" questions: the
    sentence's numbers with a unit, when none of them measures what was asked. Every word of
    "the bob loses 150 joules because of air resistance" may be in the excerpt and the
    question, but joules are no answer to "how much height does it lose": the excerpt's
    figure is about something else."""
    kinds, _ = _asked_kinds(question)
    given = with_units(sentence)
    if not kinds or not given or any(_KIND_OF_UNIT.get(u) in kinds for _, u in given):
        return ()
    return tuple(f"{n} {u}" for n, u in sorted(given))


MEASURE_SPAN = 8   # words either side of a figure where the excerpt names what it measures


def measures_other(sentence: str, evidence: Sequence[str], question: str) -> tuple[str, ...]:
    """For the same questions: the sentence's figures of the kind asked, when no excerpt gives
    that figure within MEASURE_SPAN words of anything the question names. "The cable is 1
    meter long" (n22) rests on "I can lift it up one meter": the right figure and kind, but
    the excerpt measures a lift, and says nothing of a cable, a pendulum or a bob."""
    kinds, asking = _asked_kinds(question)
    if not kinds:
        return ()
    wanted = {(n, u) for n, u in with_units(sentence) if _KIND_OF_UNIT.get(u) in kinds}
    if not wanted:
        return ()
    named = {stem(w) for w in content_words(question)} - {stem(w) for w in asking.split()}
    if not named:
        return ()    # "how heavy is it?": nothing to find beside the figure
    for text in evidence:
        words = unit_words(text)
        for i, n, u in figures(words):
            near = words[max(0, i - MEASURE_SPAN):i + 2 + MEASURE_SPAN]
            if (n, u) in wanted and any(stem(w) in named for w in near):
                return ()
    return tuple(f"{n} {u}" for n, u in sorted(wanted))


# Words that give an amount without a figure: "a few", "several hundred", "none".
_AMOUNTS = {"few", "several", "couple", "dozen", "dozens", "hundreds", "thousands", "millions",
            "billions", "none", "single", "handful"}
# "How much faster / more / less / energy ...": an amount is asked, as by "how many"; not
# "how much does it matter", whose answer may have no figure.
_HOW_MUCH = re.compile(r"\bhow much\s+(\w+)", re.I)


# "What is the period of one swing", "which sampling rate", "in what year": a quantity named
# after what/which is asked as a figure. "The conversion from potential energy to kinetic
# energy and back ..." is in the excerpt, and gives no period (n21, session 24).
_WHAT_YEAR = re.compile(r"\b(?:what|which)\s+year\b", re.I)


def _asks_amount(question: str) -> bool:
    if _counted(question) or _WHAT.search(question) or _WHAT_YEAR.search(question):
        return True
    m = _HOW_MUCH.search(question)
    return bool(m) and ((w := m.group(1).lower()) in ("more", "less") or w in _ASKED_KIND
                        or (w.endswith("er") and len(w) > 4))


def unanswered(first: str, question: str) -> str:
    """Why an answer's first sentence, though supported, does not answer the question: a
    "how many" or "how much faster" question answered with no number or amount at all.
    "The rewritten pipeline splits the audio into smaller chunks" is in the excerpt, and
    says nothing of how many milliseconds each holds; a number the question gave is not
    the amount asked. "" when it answers (or the question is of another form)."""
    asked = set(normalized_words(question))   # "a 16 GB GPU" from the question is no answer
    if _asks_amount(question) and not any((is_number(w) and w not in asked) or w in _AMOUNTS
                                          for w in normalized_words(first)):
        return "no number, where the question asks an amount"
    return ""


def figure_elsewhere(question: str, cited: Sequence[str], others: Sequence[str]) -> tuple[str, ...]:
    """The figures with a unit the question names ("Would 150 joules ... be dangerous?") that
    another excerpt gives and none of the cited ones does. An answer resting elsewhere is
    about something else: the 0.5B answered p06 (session 25) from "it may touch my chin",
    while the excerpt with "150 joules is enough to kill you" went unused."""
    held, there = _units_given(cited), _units_given(others)
    return tuple(f"{n} {u}" for n, u in sorted(with_units(question))
                 if (n, u) in there and (n, u) not in held)


# A figure the lecture gives as a hope, later replaced by what happened: "I expected 10
# times, 20 times ... but I only got two times", "our initial goal was 8ms ... had to
# settle to 16 millisecond". Every word of "it got 20 times faster" is in that excerpt;
# the 20 is what the speaker expected, not what he got.
_HOPE = {"expect", "goal", "target", "hope", "aim", "plan", "want", "initi", "intend", "wish",
         "anticip", "suppos", "predict"}
_OUTCOME = {"but", "howev", "instead", "settl", "final", "actual", "eventu", "ultim"}
HOPE_SPAN = 40   # words from the hope to what replaced it, and from there to the new figure


def _hoped(text: str) -> set[tuple[str, str]]:
    """The figures (number, unit) the text gives after a hope and before an outcome that
    gives another figure of the same kind: what was hoped for, not what happened."""
    words = unit_words(text)
    stems = [stem(w) for w in words]
    figs = figures(words)
    out = set()
    for c, s in enumerate(stems):
        if s not in _HOPE:
            continue
        ahead = range(c + 1, min(c + 1 + HOPE_SPAN, len(stems)))
        k = next((j for j in ahead if stems[j] in _OUTCOME), None)
        if k is None:
            continue
        later = {(n, _KIND_OF_UNIT[u]) for i, n, u in figs if k < i <= k + HOPE_SPAN}
        out |= {(n, u) for i, n, u in figs if c < i < k and (n, _KIND_OF_UNIT[u]) not in later
                and any(kind == _KIND_OF_UNIT[u] for _, kind in later)}
    return out


def open_hope(text: str) -> bool:
    """Whether the text ends on a hope: a figure hoped for, and no "but", "settled",
    "finally" after it. What happened is then in what follows (an excerpt must go on)."""
    words = unit_words(text)
    stems = [stem(w) for w in words]
    hopes = [c for c, s in enumerate(stems) if s in _HOPE]
    if not hopes:
        return False
    c = hopes[-1]
    return any(c < i <= c + HOPE_SPAN for i, _, _ in figures(words)) and \
        not any(s in _OUTCOME for s in stems[c + 1:])


def hoped_for(sentence: str, evidence: Sequence[str], question: str) -> tuple[str, ...]:
    """The sentence's figures that an excerpt gives as a hope another figure replaced, when
    neither the sentence nor the question speaks of hopes ("what did he expect?")."""
    if any(stem(w) in _HOPE for w in normalized_words(f"{sentence} {question}")):
        return ()
    gone = set().union(*(_hoped(t) for t in evidence)) if evidence else set()
    return tuple(f"{n} {u}" for n, u in sorted(with_units(sentence) & gone))
