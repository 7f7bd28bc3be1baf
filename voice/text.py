"""Text for speech: the assistant's answer made speakable, then split into sentences.

An answer is written for reading: "[1]" citation markers, URLs, markdown,
"3.5 kHz", "e.g.". Read aloud verbatim they are noise or wrong ("e dot g"),
so they are expanded or removed here, before any backend sees the text.
Sentences are the streaming unit: the first one is spoken while the rest are
still being synthesised.
"""

from __future__ import annotations

import re

from num2words import num2words

# Abbreviations expanded before sentence splitting (so their dots do not end sentences).
_ABBREVIATIONS = {
    "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus",
    "approx.": "approximately", "cf.": "compare", "Dr.": "Doctor", "Prof.": "Professor",
    "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Fig.": "figure", "fig.": "figure",
    "Eq.": "equation", "eq.": "equation", "Sec.": "section", "Ch.": "chapter", "No.": "number",
    "min.": "minutes", "sec.": "seconds", "St.": "Saint", "Jr.": "Junior", "a.m.": "ay em",
    "p.m.": "pee em", "U.S.": "U S",
}
# Units only count after a number ("5 m" is metres; a lone "m" is a letter).
_UNITS = {
    "km/h": "kilometres per hour", "m/s²": "metres per second squared", "m/s^2": "metres per second squared",
    "m/s": "metres per second", "mph": "miles per hour", "km": "kilometres", "cm": "centimetres",
    "mm": "millimetres", "nm": "nanometres", "µm": "micrometres", "m": "metres", "kg": "kilograms",
    "mg": "milligrams", "g": "grams", "ms": "milliseconds", "µs": "microseconds", "ns": "nanoseconds",
    "s": "seconds", "min": "minutes", "h": "hours", "Hz": "hertz", "kHz": "kilohertz",
    "MHz": "megahertz", "GHz": "gigahertz", "KB": "kilobytes", "kB": "kilobytes", "MB": "megabytes",
    "GB": "gigabytes", "TB": "terabytes", "Gb": "gigabits", "kW": "kilowatts", "MW": "megawatts",
    "W": "watts", "kV": "kilovolts", "V": "volts", "mA": "milliamps", "A": "amps", "J": "joules",
    "kJ": "kilojoules", "N": "newtons", "Pa": "pascals", "kPa": "kilopascals", "°C": "degrees Celsius",
    "°F": "degrees Fahrenheit", "°": "degrees", "K": "kelvin", "dB": "decibels", "%": "percent",
    "x": "times", "ms⁻¹": "metres per second", "TFLOPS": "teraflops", "GFLOPS": "gigaflops",
}
_SYMBOLS = {"&": " and ", "+": " plus ", "=": " equals ", "≈": " approximately ", "~": " about ",
            "×": " times ", "→": " to ", "≤": " at most ", "≥": " at least ", "<": " less than ",
            ">": " greater than ", "@": " at ", "#": " number ", "/": " slash "}

_CITATION = re.compile(r"\s*\[(?:\d+(?:\s*[-–,;]\s*\d+)*|[A-Za-z0-9_.-]{1,20}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)\]")
# a URL never ends in sentence punctuation: "see https://x.org/a." keeps its full stop
_URL = re.compile(r"(?:https?://|www\.)\S*[^\s.,;:!?)\]]|\b[\w.-]+@[\w-]+\.[\w.]+\b")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MARKDOWN = re.compile(r"(\*\*|__|`+|^#+\s*|^\s*[-*•]\s+|^\s*\d+[.)]\s+(?=\D))", re.M)
_UNIT_RE = re.compile(r"(?<![\w.])(-?\d[\d,]*(?:\.\d+)?)\s?(" +
                      "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True)) +
                      r")(?![\w])")
_CURRENCY = re.compile(r"([$€£])\s?(\d[\d,]*(?:\.\d+)?)(\s?(?:million|billion|thousand|k)\b)?")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_RANGE = re.compile(r"\b(\d[\d,.]*)\s?[-–]\s?(\d[\d,.]*)\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*[-*•])")
_CURRENCY_NAMES = {"$": "dollars", "€": "euros", "£": "pounds"}


def _number(token: str) -> str:
    """Digits to words: years read as years, decimals digit by digit."""
    raw = token.replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        return token
    if "," not in token and re.fullmatch(r"1[1-9]\d\d|20\d\d", raw):  # a bare 4-digit number in range reads as a year
        return num2words(int(raw), to="year")
    if "." in raw:
        whole, frac = raw.split(".", 1)
        head = num2words(int(whole)) if whole not in ("", "-") else "zero"
        if whole.startswith("-") and int(whole) == 0:
            head = "minus zero"
        return f"{head} point {' '.join(num2words(int(d)) for d in frac)}"
    return num2words(int(value))


def _units(m: re.Match) -> str:
    num, unit = m.group(1), m.group(2)
    name = _UNITS[unit]
    if num.replace(",", "") in ("1", "1.0") and name.endswith("s") and unit not in ("%",):
        name = name[:-1] if not name.endswith("ss") else name
        name = name.replace("metres per", "metre per") if "per" in name else name
    return f"{_number(num)} {name}"


def _currency(m: re.Match) -> str:
    scale = (m.group(3) or "").strip().lower()
    scale = {"k": "thousand"}.get(scale, scale)
    words = _number(m.group(2))
    return " ".join(w for w in (words, scale, _CURRENCY_NAMES[m.group(1)]) if w)


def normalize(text: str) -> str:
    """Make an answer speakable: no citations, URLs or markdown; words for numbers and units."""
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _CITATION.sub("", text)
    text = _MARKDOWN.sub("", text)
    for abbr, full in _ABBREVIATIONS.items():
        text = re.sub(rf"(?<![\w.]){re.escape(abbr)}", full, text)
    text = _CURRENCY.sub(_currency, text)
    text = _TIME.sub(lambda m: f"{_number(m.group(1))} {'o clock' if m.group(2) == '00' else _number(m.group(2)) if not m.group(2).startswith('0') else 'oh ' + _number(m.group(2)[1])}", text)
    text = _UNIT_RE.sub(_units, text)
    text = _ORDINAL.sub(lambda m: num2words(int(m.group(1)), to="ordinal"), text)
    text = _RANGE.sub(lambda m: f"{m.group(1)} to {m.group(2)}", text)
    text = _NUMBER.sub(lambda m: _number(m.group(0)), text)
    for sym, word in _SYMBOLS.items():
        text = text.replace(sym, word)
    text = re.sub(r"[*_`|<>{}\\^]", " ", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def sentences(text: str, max_chars: int = 300) -> list[str]:
    """Split normalised text into sentences; very long ones are cut at ; or , to keep latency low."""
    out: list[str] = []
    for part in _SENTENCE_END.split(text):
        part = part.strip()
        if not re.search(r"[A-Za-z0-9]", part or ""):
            continue
        while len(part) > max_chars:
            cut = max(part.rfind(sep, 0, max_chars) for sep in (";", ",", ":"))
            if cut < max_chars // 3:
                cut = part.rfind(" ", 0, max_chars)
            if cut <= 0:
                break
            out.append(part[:cut + 1].strip())
            part = part[cut + 1:].strip()
        out.append(part)
    return out


def speakable(text: str) -> list[str]:
    """normalize + sentences: what Voice.speak synthesises, one item per chunk."""
    return sentences(normalize(text))
