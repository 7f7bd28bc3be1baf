"""HTML for the pages: answers with citation chips, lecture details, transcript hits.

Every piece of text that came from a model, a transcript or a user is
escaped here; the markup around it is ours. A chip carries what the page's
script needs to play the moment (data-kind, data-src, data-start), so a
click needs no round trip to the server.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

from lectern.timefmt import clock
from study.asked import counts

from .media import Playable

_MARKER = re.compile(r"\[(\d+)\]")


def chip(p: Playable, start: float, label: str, extra: str = "") -> str:
    """A link that plays video p from second `start` (the page script handles the click).

    What the script needs rides in the link's fragment, not in data-* attributes:
    the chat's HTML sanitizer keeps an href but strips custom attributes.
    """
    frag = urlencode({"v": p.video_id, "k": p.kind, "s": p.src, "t": f"{start:.2f}", "n": p.title})
    cls = f"lectern-chip {extra}".strip()
    return f'<a href="#lectern?{html.escape(frag)}" class="{cls}">{html.escape(label)}</a>'


def answer_text(text: str) -> str:
    """Streamed answer text, escaped; [n] markers kept as written."""
    return html.escape(text).replace("\n", "<br>")


def quote(words: str) -> str:
    """The excerpt's words under a chip: the opening shown, the rest on a click."""
    if not words:
        return ""
    head = " ".join(words.split()[:QUOTE_PREVIEW_WORDS])
    more = "…" if len(words.split()) > QUOTE_PREVIEW_WORDS else ""
    return (f'<details class="lectern-quote"><summary>\u201c{html.escape(head)}{more}\u201d</summary>'
            f'<blockquote>\u201c{html.escape(words)}\u201d</blockquote></details>')


QUOTE_PREVIEW_WORDS = 14


def _cited(citations: list[tuple[str, Playable, float, str]]) -> str:
    return "".join(f'<div class="lectern-citation">{chip(p, start, label, "lectern-cite")}'
                   f'{quote(words)}</div>' for label, p, start, words in citations)


def answer(text: str, citations: list[tuple[int, Playable, float, str]], refused: bool,
           note: str = "", related: list[tuple[Playable, float, str]] = ()) -> str:
    """The finished answer: text, then one chip per citation ("[1] Title — 12:34") with the
    quote it rests on; a refusal lists the closest moments instead."""
    body = answer_text(text)
    if refused or not citations:
        if related:
            body += ('<div class="lectern-related"><div class="lectern-note">The closest moments '
                     'in the lectures:</div>' + _cited(
                         [(f"{p.title} — {clock(start)}", p, start, w) for p, start, w in related])
                     + "</div>")
        return body + (f'<div class="lectern-note">{html.escape(note)}</div>' if note else "")
    chips = _cited([(f"[{n}] {p.title} — {clock(start)}", p, start, w)
                    for n, p, start, w in citations])
    return f'{body}<div class="lectern-citations">{chips}</div>'


def speech_queue(turn: str, parts: list[str], all_url: str | None, label: str,
                 error: str | None = None) -> str:
    """The hidden list the page's audio player reads: sentence WAVs in order, then the whole."""
    spans = "".join(f'<span data-src="{html.escape(u)}"></span>' for u in parts)
    attrs = f'data-turn="{html.escape(turn)}" data-done="{"1" if all_url or error else "0"}"'
    if all_url:
        attrs += f' data-all="{html.escape(all_url)}"'
    msg = f'<div class="lectern-note">voice unavailable: {html.escape(error)}</div>' if error else ""
    return (f'<div class="lectern-speech" {attrs} data-label="{html.escape(label)}">{spans}</div>'
            f"{msg}")


def lecture(p: Playable, duration: float | None, summary: str, points: list[str],
            chapters: list[tuple[str, float]], note: str = "",
            terms: list[tuple[str, float]] | None = None) -> str:
    parts = [f"<h3>{html.escape(p.title)}</h3>",
             (f'<div class="lectern-meta">{html.escape(p.video_id)} · {clock(duration)} · '
              f'{chip(p, 0.0, "▶ play from the start")}</div>')]
    if summary:
        parts.append(f"<p>{html.escape(summary)}</p>")
    if points:
        parts.append("<h4>Key points</h4><ul>" +
                     "".join(f"<li>{html.escape(x)}</li>" for x in points) + "</ul>")
    if chapters:
        parts.append("<h4>Chapters</h4><ol class='lectern-chapters'>" + "".join(
            f"<li>{chip(p, start, f'{clock(start)} {title}', 'lectern-chapter')}</li>"
            for title, start in chapters) + "</ol>")
    if terms:
        parts.append("<h4>Key terms</h4><div class='lectern-terms'>" + "".join(
            chip(p, start, f"{text} · {clock(start)}", "lectern-term") for text, start in terms)
            + "</div>")
    if note:
        parts.append(f'<div class="lectern-note">{html.escape(note)}</div>')
    return "\n".join(parts)


def transcript_hits(p: Playable, rows: list[tuple[float, str]], query: str, more: int) -> str:
    if not rows:
        return f'<div class="lectern-note">No line matches {html.escape(query)!s}.</div>' if query \
            else '<div class="lectern-note">No transcript.</div>'
    items = []
    for start, text in rows:
        shown = html.escape(text)
        if query:  # highlight the match without trusting the text as markup
            shown = re.sub(re.escape(html.escape(query)), lambda m: f"<mark>{m.group(0)}</mark>",
                           shown, flags=re.IGNORECASE)
        items.append(f'<li>{chip(p, start, clock(start), "lectern-line")} {shown}</li>')
    tail = f'<div class="lectern-note">… and {more} more lines</div>' if more else ""
    return f'<ul class="lectern-transcript">{"".join(items)}</ul>{tail}'


def quiz(items, note: str = "", titled: bool = False) -> str:
    """A quiz the page's script runs: a click on a choice says right or wrong and shows the
    chip that plays the moment teaching the answer. Which choice is right rides in its class
    (a self-check: the page holds the answers, as a printed quiz with its key would).
    `items`: (Playable of its lecture, item); `titled`: chips name the lecture (a quiz over
    several)."""
    if not items:
        return f'<div class="lectern-note">{html.escape(note or "No quiz questions passed their checks for this lecture.")}</div>'
    out = [f'<div class="lectern-note">{html.escape(note)}</div>' if note else ""]
    for n, (p, item) in enumerate(items, 1):
        c = item.citation
        where = f"{p.title} — {clock(c.start)}" if titled else clock(c.start)
        watch = chip(p, c.start, f"▶ {where} where the lecture teaches it", "lectern-cite")
        if item.choices:
            picks = "".join(
                f'<a href="#lectern-quiz" class="lectern-quiz-choice'
                f'{" lectern-quiz-right" if choice == item.answer else ""}">{html.escape(choice)}</a>'
                for choice in item.choices)
        else:
            picks = '<a href="#lectern-quiz" class="lectern-quiz-choice lectern-quiz-reveal">Show the answer</a>'
        out.append(
            f'<div class="lectern-quiz-item"><p class="lectern-quiz-q">{n}. {html.escape(item.question)}</p>'
            f'<div class="lectern-quiz-choices">{picks}</div>'
            f'<div class="lectern-quiz-feedback lectern-hidden"><span class="lectern-quiz-verdict"></span> '
            f'The answer is <b>{html.escape(item.answer)}</b>. {watch}'
            f'<div class="lectern-note">{html.escape(item.explanation)}</div></div></div>')
    return f'<div class="lectern-quiz">{"".join(out)}</div>'


def asked(rows, top) -> str:
    """The instructor's view of the question log: refused, marked wrong, the most cited minutes."""
    refused = [r for r in rows if r.refused]
    wrong = [r for r in rows if r.rating == -1]

    def who(r) -> str:   # only with sign-in on is there a name to show
        return f' <span class="lectern-asked-by">— {html.escape(r.student)}</span>' if r.student else ""

    def items(rs):
        return "".join(f"<li>{html.escape(r.question)}{who(r)}</li>" for r in rs[:30]) or "<li>none</li>"
    cited = "".join(f"<li>{html.escape(m.video_id)} {m.minute}:00 — cited {m.count}×: "
                    f"{html.escape('; '.join(m.questions[:3]))}</li>" for m in top)
    return (f'<p>{html.escape(counts(rows))}.</p>'
            f'<h4>Not covered (refused)</h4><ul class="lectern-asked-refused">{items(refused)}</ul>'
            f'<h4>Marked wrong</h4><ul class="lectern-asked-wrong">{items(wrong)}</ul>'
            f'<h4>Most cited minutes</h4><ul>{cited or "<li>none yet</li>"}</ul>')


def assignments(rows) -> str:
    """The registered assignments, each with its tasks (what questions are matched against)."""
    if not rows:
        return '<div class="lectern-note">No assignments yet.</div>'
    out = []
    for a in rows:
        tasks = "".join(f"<li>{html.escape(t)}</li>" for t in a.tasks())
        mode = "hint mode on" if a.hints else "hint mode off: answered like any question"
        out.append(f'<details class="lectern-assignment"><summary>{html.escape(a.title)} '
                   f'({html.escape(mode)})</summary><ol>{tasks}</ol></details>')
    return "".join(out)
