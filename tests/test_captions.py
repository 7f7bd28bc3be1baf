"""Caption parsing and word-preserving alignment (pure functions, real files)."""

import re

from ingest import captions, punctuate
from tests.conftest import shared


def caption_words(vtt_text: str) -> list[str]:
    """Independent reading of YouTube's rolling VTT: the lines that carry word tags."""
    out = []
    for line in vtt_text.splitlines():
        if re.search(r"<\d\d:\d\d:\d\d\.\d{3}>", line):
            out += re.sub(r"<[^>]+>", "", line).split()
    return out


def test_youtube_vtt_gives_each_word_once_with_its_time():
    path = shared("audio/video/manifesto.vtt")
    words = captions.words(path)
    assert [w.text.strip() for w in words] == caption_words(path.read_text())
    assert words[0].text.strip() == "this" and abs(words[0].start - 1.599) < 1e-6
    audiobook = words[1]
    assert audiobook.text.strip() == "audiobook" and abs(audiobook.start - 1.92) < 1e-6
    starts = [w.start for w in words]
    assert starts == sorted(starts) and all(w.end >= w.start for w in words)
    assert words[-1].end < 90


def test_plain_srt_drops_rolling_repeats_and_spreads_time(tmp_path):
    srt = tmp_path / "x.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:03,000\nhello there students\n\n"
                   "2\n00:00:03,000 --> 00:00:05,000\nhello there students\ntoday we learn physics\n\n")
    words = captions.words(srt)
    assert [w.text.strip() for w in words] == "hello there students today we learn physics".split()
    assert words[0].start == 1.0 and abs(words[2].end - 3.0) < 1e-6 and abs(words[-1].end - 5.0) < 1e-6


def test_alignment_never_adds_drops_or_changes_words():
    original = "so um the force is twenty five newtons right".split()
    # a model that adds a word, drops one, changes a number and punctuates
    restored = "So, the force is really 25 newtons, right?"
    out = punctuate.align(original, restored)
    assert [punctuate.norm(w) for w in out] == [punctuate.norm(w) for w in original]
    assert out[0] == "So," and out[-1] == "right?" and "twenty" in out and "um" in out


def test_sentences_split_on_punctuation_and_keep_times():
    words = captions.words(shared("audio/video/manifesto.vtt"))[:12]
    text = "This audiobook is in the public domain. You can find the text version of"
    restored = punctuate.align([w.text.strip() for w in words], text)
    from dataclasses import replace
    segs = punctuate.sentences([replace(w, text=" " + t) for w, t in zip(words, restored)])
    assert segs[0].text == "This audiobook is in the public domain."
    assert segs[0].start == words[0].start and segs[0].end == words[6].end


class _Punctuator:
    """Stands in for the LLM (not under test here): ends a sentence after every 6th word."""

    def __init__(self):
        self.calls = 0

    def complete(self, messages, max_tokens=0):
        self.calls += 1
        words = messages[-1].content.split("\n\n")[-1].split()
        return " ".join(w + ("." if (i + 1) % 6 == 0 else "") for i, w in enumerate(words))


def _asr(texts_and_times):
    from ingest.transcript import Segment, Word
    segs = []
    for start, text in texts_and_times:
        toks = text.split()
        words = tuple(Word(start + 0.4 * i, start + 0.4 * i + 0.3, " " + t) for i, t in enumerate(toks))
        segs.append(Segment(start, words[-1].end, text, words))
    return tuple(segs)


def test_only_long_unpunctuated_asr_stretches_are_repunctuated_and_words_stay():
    segs = _asr([(0.0, "Hello there."), (2.0, "so we started with this card and it ran one")]
                + [(6.0 + 6 * k, "channel and then we tried a bigger one with batching") for k in range(6)]
                + [(45.0, "which worked well."), (50.0, "short bit without an end"), (53.0, "Fine.")])
    assert punctuate.unpunctuated_runs(segs, 30.0) == [(1, 9)]   # through the segment that ends it
    llm = _Punctuator()
    out = punctuate.restore_runs(segs, 30.0, lambda: llm)
    assert llm.calls >= 1
    assert out[0] == segs[0] and out[-2:] == segs[-2:]           # the rest is untouched
    words = [w for s in out for w in s.words]
    assert [(w.start, w.end, punctuate.norm(w.text)) for w in words] == \
        [(w.start, w.end, punctuate.norm(w.text)) for s in segs for w in s.words]
    assert punctuate.unpunctuated_runs(out, 30.0) == []
    assert punctuate.restore_runs(out, 30.0, lambda: 1 / 0) == out  # nothing to do: no model loaded


class _Echo:
    """Stands in for a small model that copies a run-on back unpunctuated (not under test)."""

    def complete(self, messages, max_tokens=0):
        return messages[-1].content.split("\n\n")[-1]


def test_a_run_on_is_split_at_its_pause_but_never_after_and_or_i():
    # Whisper stamps a segment's first word right after the last one ("...the stuff and |
    # then how"), so the measured silence falls after "and": the sentence must end before it.
    text = ("i will play some examples when i get finished with the stuff and then how i tried "
            "to scale it so i got a normal size card and it ran only two times faster than before "
            "but i had hoped for much more than that from such a card")
    toks, t, words = text.split(), 0.0, []
    from ingest.transcript import Word
    for k, tok in enumerate(toks):
        words.append(Word(t, t + 0.25, " " + tok))
        t += 0.3 + (1.2 if tok in ("and", "i") and toks[k - 1] in ("stuff", "than", "but") else 0.0)
    segs = [s.text for s in punctuate.sentences(punctuate.restore(words, _Echo()))]
    assert segs[0] == "I will play some examples when I get finished with the stuff."
    assert segs[1].startswith("And then how I tried to scale it")
    ends = [punctuate.norm(s.split()[-1]) for s in segs[:-1]]
    assert not set(ends) & punctuate.NEVER_ENDS, segs
    assert " ".join(punctuate.norm(w) for s in segs for w in s.split()) == text   # same words
