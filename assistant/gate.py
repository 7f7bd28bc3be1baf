"""The answer gate: the model's text reaches the student one checked sentence at a time.

The model streams tokens; the gate holds them until a sentence is complete
(with the [n] markers after its full stop), then checks it against the
excerpts it cites (lectern/grounding.py). A supported sentence is shown
(and spoken) with its markers renumbered; an unsupported one never is:
  - before anything was shown, the answer becomes "not covered", with the
    closest moments and their quotes (`unsupported`: the caller says so);
  - after something was shown, the answer ends there;
  - but where only a trailing clause (", which ...", "... because ...") is unsupported,
    what comes before it is shown, if it passes on its own, and the answer ends there.
A sentence that only restates the question claims nothing: it is not shown.
(Quoting the top passage in place of a failed first sentence was measured
too: on near-topic questions the course does not answer, the quote read as
an answer 7 times in 27, so a failed first sentence is a refusal, except where
the question scores above assistant.quote_score: there the caller quotes the
best excerpt sentence instead, Assistant._quotable.)
A sentence that cites nothing, or cites an excerpt that does not hold it, is
checked against the other excerpts (those holding most of its words first) and
cites the first that supports it, or else the two holding most of it, if together they
do. Every shown sentence keeps the excerpt sentence it rests on: that is the quote under
its citation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lectern import figures, grounding

from .citations import MARKER as _MARKER
from .citations import Excerpt, MarkerFilter, Span

# A sentence ends at . ! or ? (with closing quotes and [n] markers after it) before white
# space; it is complete once something other than white space or "[" follows.
_END = re.compile(r"[.!?][\"'\u201d)]*(?:\s*\[[\d,\s]*\])*(?=\s+[^\s\[])")
# The same, in finished text: before white space or the end.
_FINAL_END = re.compile(r"[.!?\u2026][\"'\u201d)]*(?:\s*\[[\d,\s]*\])*(?=\s|$)")
SHOWN, CUT, SKIPPED, TRIMMED = "shown", "cut", "skipped", "trimmed"
FIGURE_ELSEWHERE = "the figure the question names is in another excerpt"
# Where a sentence may be cut back to what comes before: a clause that adds to the claim
# ("..., which is a website that teaches programming", "... because <a reason>"), never one
# that conditions or qualifies it ("if", "when", "unless", "but": without them the rest
# claims more than was said). The rest is checked again on its own.
_TRAILING_CLAUSE = re.compile(r",\s+(?:which|where|who|as|because|since|so|and|making|allowing|"
                              r"meaning|thereby|while)\b|\s+because\b", re.IGNORECASE)
MIN_TRIMMED_WORDS = 5   # what is left must still be a sentence, not "The founder learned."
_LEADING_MARKER = re.compile(r"\s*\[\s*\d")
_SOURCE_MARKER = re.compile(r"\b(according to|as (?:stated|said|mentioned|explained) in|in(?=\s+\S+\s*,))"
                            r"\s+(?:the\s+)?(?:(?:lecture\s+)?excerpts?\b\s*(?:\[[\d,\s]*\]\s*)*"
                            r"|(?:\[[\d,\s]*\]\s*)+)", re.IGNORECASE)
# "..., which is described in [1]." or "... as mentioned in Excerpt [1].": the marker is the
# object of a phrase that ends the sentence; without it the sentence would end "described
# in." (d10 with the 1.5B, session 25). The phrase goes, the marker stays.
_CITING_TAIL = re.compile(r"(?:,?\s*(?:which|that|as)\s+(?:is\s+|are\s+|was\s+)?)?"
                          r"(?:\b(?:described|mentioned|stated|explained|discussed|shown|seen|"
                          r"noted|said)\s+)?\b(?:in|from|by|see)\s+(?:the\s+)?(?:lecture\s+)?"
                          r"(?:excerpts?\s*)?(?=(?:\[[\d,\s]*\]\s*)+[.!?]?[\s\]]*$)",
                          re.IGNORECASE)
# "This can be seen in Excerpt where it states ...": a bare "Excerpt" is the lecture to a student.
# Matched once the markers are gone ("the first excerpt [1] where ..." is the same).
_BARE_EXCERPT = re.compile(r"\b(?:(?:the|this|that|an?|each)\s+)?(?:(?:first|second|third|last|same|"
                           r"other)\s+)?(?:lecture\s+)?excerpts?\b", re.IGNORECASE)
_TRAILING_MARKER = re.compile(r"(?<=[.!?\]\"'\u201d)])\s*\[[\d,\s]*\]$")
# A list item's number ("including:\n1. First, ..."): the "1." ends no sentence and claims
# no number. Matched only once the item's text has begun, as _END is.
_ENUMERATOR = re.compile(r"(?:^|\n)[ \t]*\d{1,2}[.)][ \t]+(?=\S)")


@dataclass(frozen=True)
class SentenceCheck:
    """What the gate did with one sentence the model wrote."""

    text: str                       # as written, markers removed
    cited: tuple[int, ...]          # prompt numbers of the excerpts it was checked against
    verdict: grounding.Verdict
    action: str                     # SHOWN, CUT (the answer ended there), SKIPPED or TRIMMED
    evidence: str = ""              # the cited excerpts' text, for reports
    # SHOWN: the model's sentence this is the supported first part of (its TRIMMED check)
    trimmed_from: str = ""


def _quotes_paired(text: str) -> str:
    """Each sentence is shown and spoken on its own: a quotation the model opened in one
    sentence and closed later (or never) is closed at this sentence's end, and one closed
    here that opened earlier is opened at its start (p04 with the 0.5B, session 25)."""
    for opening, closing in (('"', '"'), ("\u201c", "\u201d")):
        unpaired = text.count(opening) % 2 if opening == closing else \
            text.count(opening) != text.count(closing)
        if not unpaired:
            continue
        last = max(text.rfind(opening), text.rfind(closing))
        if text[last] == opening and text[last + 1:last + 2].strip():
            text += closing          # 'states that "So right now ...': it opens here
        else:
            text = opening + text    # '... into kinetic energy."': it opened before
    return text


def _the_lecture(m: re.Match) -> str:
    return "The lecture" if m.start() == 0 else "the lecture"


def _plain(raw: str) -> str:
    text = _MARKER.sub(" ", raw)
    text = re.sub(r"\s+([.!?,;:])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


class AnswerGate:
    """Feed it the model's deltas; it yields the text to show. `stopped` says to stop the model."""

    def __init__(self, excerpts: list[Excerpt], question: str, markers: MarkerFilter,
                 lectures: Callable[[tuple[str, ...]], grounding.Evidence] | None = None):
        self.by_number = {e.number: e for e in excerpts}
        self.question, self.markers = question, markers
        self.lectures = lectures   # video ids -> what those lectures say in full
        self.checks: list[SentenceCheck] = []
        self.quotes: dict[int, list[Span]] = {}   # excerpt number -> sentences rested on
        self.shown = 0
        self.stopped = False       # an unsupported sentence ended the answer
        self.unsupported = False   # the first sentence failed: nothing to show
        self._buf = ""

    def feed(self, delta: str) -> Iterator[str]:
        if self.stopped:
            return
        self._buf = _ENUMERATOR.sub("\n", self._buf + delta)
        while not self.stopped and (m := _END.search(self._buf)):
            sentence, self._buf = self._buf[:m.end()], self._buf[m.end():]
            last = _TRAILING_MARKER.search(sentence)
            if last and re.match(r"\s+[a-z]", self._buf):
                # "...on a cheap GPU. [1] [2] mentions that ...": the last marker is the next
                # sentence's subject (d02, session 23), not the end of this one
                sentence, self._buf = sentence[:last.start()], sentence[last.start():] + self._buf
            yield from self._sentence(sentence)

    def flush(self, truncated: bool = False) -> Iterator[str]:
        rest, self._buf = self._buf, ""
        if self.stopped or not _plain(rest).strip(" .!?"):
            return
        if truncated and not _complete(rest):
            if self.shown:
                return           # an unfinished sentence after whole ones: dropped
            rest = rest.rstrip() + "…"
        yield from self._sentence(rest)

    def _sentence(self, raw: str) -> Iterator[str]:
        # "According to [1], ..." (the 1.5B's habit) would read "According to, ..."
        raw = _CITING_TAIL.sub(" ", raw)
        text = _plain(_SOURCE_MARKER.sub(r"\1 the lecture ", raw))
        text = _quotes_paired(_BARE_EXCERPT.sub(_the_lecture, text))
        if _LEADING_MARKER.match(raw) and text[:1].islower():
            text = "The lecture " + text   # "[1] states that ...": the marker was its subject
        if not text.strip(" .!?…"):
            return
        given = [int(x) for m in _MARKER.finditer(raw) for x in m.group(1).split(",")]
        cited, verdict = self._judge(text, given)
        if verdict.supported:
            if verdict.why == grounding.RESTATES:
                self.checks.append(SentenceCheck(text, tuple(cited), verdict, SKIPPED,
                                                 self._evidence(cited)))
                return
            yield self._accept(text, cited, verdict)
            return
        if (part := self._trimmed(text, given)) is not None:
            # "X learned Python from Hardway.com, which teaches programming": the clause
            # the excerpt does not hold goes; what it does hold is shown
            self.checks.append(SentenceCheck(text, tuple(cited), verdict, TRIMMED,
                                             self._evidence(cited)))
            yield self._accept(*part, trimmed_from=text)
            self.stopped = True   # the model went on past what the lecture says: it ends here
            return
        self.checks.append(SentenceCheck(text, tuple(cited), verdict, CUT, self._evidence(cited)))
        self.stopped = True
        self.unsupported = not self.shown

    def _evidence(self, cited: list[int]) -> str:
        return " ".join(self.by_number[n].text for n in cited)

    def _accept(self, text: str, cited: list[int], verdict: grounding.Verdict,
                trimmed_from: str = "") -> str:
        self.checks.append(SentenceCheck(text, tuple(cited), verdict, SHOWN,
                                         self._evidence(cited), trimmed_from))
        for n in cited:
            self._rest_on(n, text, cited)
        return self._show(text, cited)

    def _trimmed(self, text: str, given: list[int]):
        """The sentence cut back at its last trailing clause that leaves a supported claim of
        its own (cited, verdict and all), or None."""
        for m in reversed(list(_TRAILING_CLAUSE.finditer(text))):
            head = text[:m.start()].rstrip(" ,;:")
            if len(head.split()) < MIN_TRIMMED_WORDS:
                break
            head += "."
            cited, verdict = self._judge(head, given)
            if verdict.supported and verdict.why != grounding.RESTATES:
                return head, cited, verdict
        return None

    def _judge(self, text: str, given: list[int]) -> tuple[list[int], grounding.Verdict]:
        """The excerpts a sentence rests on and the verdict (with the form check for the
        first sentence shown)."""
        cited = list(dict.fromkeys(self.markers.best_support(text, n)
                                   for n in given if n in self.by_number))
        verdict = self._verdict(text, cited) if cited else None
        if verdict is None or not verdict.supported:
            # uncited, or its excerpt does not hold it: the excerpt that does, trying those that
            # hold most of it first (a 0.5B model often cites [1] for what [4] says)
            order = sorted(self.by_number, key=lambda n: (-grounding.overlap(text, self.by_number[n].text), n))
            for n in order:
                alt = self._verdict(text, [n])
                if alt.supported or (verdict is None and n == order[0]):
                    cited, verdict = [n], alt
                if alt.supported:
                    break
            if not verdict.supported and len(order) > 1:
                # one sentence may join two excerpts ("tiny grad" from one, "more flexible
                # in terms of environment" from the next, d12): it then cites both
                alt = self._verdict(text, sorted(order[:2]))
                if alt.supported:
                    cited, verdict = sorted(order[:2]), alt
        if verdict.supported and not self.shown and verdict.why != grounding.RESTATES:
            if why := grounding.unanswered(text, self.question):
                verdict = grounding.Verdict(False, verdict.support, (), why)
            elif away := figures.figure_elsewhere(
                    self.question, [self.by_number[n].text for n in cited],
                    [e.text for n, e in self.by_number.items() if n not in cited]):
                verdict = grounding.Verdict(False, verdict.support, away, FIGURE_ELSEWHERE)
        return cited, verdict

    def _verdict(self, text: str, cited: list[int]) -> grounding.Verdict:
        # the prompt names each excerpt's lecture: its title is evidence too
        evidence = [f"{self.by_number[n].title}. {self.by_number[n].text}" for n in cited]
        vids = tuple(sorted({self.by_number[n].video_id for n in cited}))
        lecture = self.lectures(vids) if self.lectures else None
        return grounding.check(text, evidence, self.question, lecture)

    def _rest_on(self, n: int, text: str, cited: list[int]) -> None:
        spans = self.by_number[n].spans
        if spans:
            # citing two excerpts, each quotes what it adds: "tiny grad" under [1], not the
            # sentence of [1] that shares most words with what [2] already holds
            others = grounding.Evidence(self.by_number[m].text for m in cited if m != n)
            own = " ".join(w for w in grounding.content_words(text) if not others.holds(w)) or text
            best = max(spans, key=lambda s: grounding.overlap(own, s.text))
            if best not in self.quotes.get(n, []):
                self.quotes.setdefault(n, []).append(best)

    def _show(self, text: str, cited: list[int]) -> str:
        marks = "".join(dict.fromkeys(self.markers.cite(n) for n in cited))
        piece = f"{text} {marks}"
        self.shown += 1
        return piece if self.shown == 1 else " " + piece


def _complete(text: str) -> bool:
    """Whether the text ends with a whole sentence."""
    text = text.rstrip()
    return any(m.end() == len(text) for m in _FINAL_END.finditer(text))


def sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """A finished answer's sentences, each with the [n] numbers it carries. A sentence with
    none takes the next one's: a quote of several sentences carries its marker at the end."""
    out, pos = [], 0
    for m in [*_FINAL_END.finditer(text), None]:
        end = m.end() if m else len(text)
        raw = text[pos:end]
        pos = end
        if _plain(raw).strip(" .!?\u2026"):
            nums = tuple(int(x) for mm in _MARKER.finditer(raw) for x in mm.group(1).split(","))
            out.append((_plain(raw), nums))
        if m is None:
            break
    carried: tuple[int, ...] = ()
    for i in range(len(out) - 1, -1, -1):
        carried = out[i][1] or carried
        out[i] = (out[i][0], carried)
    return out
