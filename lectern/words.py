"""Words as the grounding rules compare them: lower-cased, numbers normalised, stemmed.

"2,000" and "2000", "two" and "2" are one number to a reader, so they are one word here;
stems (Snowball) let "converts" match "converting"; wordfreq says how rare a word is in
English, which is how much a word claims (lectern/grounding.py weighs by it).
"""

from __future__ import annotations

import functools
import re


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


_CITATION = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")


def content_words(text: str) -> list[str]:
    """The words of a text that carry its claim (unstemmed, in order, without repeats)."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", _CITATION.sub(" ", text))
    raw = [w for w in _WORD.findall(text.lower().replace("\u2019", "'"))
           if w.split("'")[0] not in STOPWORDS]    # "one", "once": no number claimed
    return list(dict.fromkeys(w for w in normalized_words(" ".join(raw))
                              if w not in STOPWORDS and (len(w) > 1 or is_number(w))))

