"""The web app's parts without a browser: config, what is served, uploads, speech, login guard.

Real components throughout: the library on disk, PyAV probing, Piper speaking.
The browser tests (test_ui_browser.py) cover the page itself.
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from lectern.config import ConfigError
from ui import actions, lectures, render
from ui.config import PASSWORD_ENV, ServeConfig, load_config
from ui.instructor import _guard
from ui.media import NotServable, media_file, playable, speech_file

sys.path.insert(0, str(Path(__file__).parent))
from test_index_corpus import CORPUS, add_video, needs_corpus, sentences_tsv

from lectern.library import Library


@pytest.fixture
def small_lib(tmp_path) -> Library:
    """One real lecture (L04, 3 minutes): transcript from its sentence TSV, the real media linked."""
    if not (CORPUS / "L04.m4a").exists():
        pytest.skip("no shared corpus")
    lib = Library(tmp_path / "lib")
    add_video(lib, "L04", "Real-time speech enhancement", sentences_tsv(CORPUS / "L04.sentences.tsv"),
              174.6, CORPUS / "L04.m4a")
    return lib


def test_serve_config_is_strict_and_reads_the_password_from_the_environment(tmp_path, monkeypatch):
    lib = Library(tmp_path / "lib")
    lib.config_file.write_text('{"serve": {"port": 8000, "colour": "red"}}')
    with pytest.raises(ConfigError, match="colour"):
        load_config(lib)
    lib.config_file.write_text('{"serve": {"port": 8000}}')
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    cfg = load_config(lib, host="0.0.0.0", port=None)
    assert (cfg.host, cfg.port, cfg.password) == ("0.0.0.0", 8000, "s3cret")
    assert cfg.password_ok("instructor", "s3cret")
    assert not cfg.password_ok("instructor", "s3cret ") and not cfg.password_ok("student", "s3cret")
    assert not ServeConfig().password_ok("instructor", "")   # no password set: nobody gets in
    with pytest.raises(ConfigError):
        ServeConfig(port=0)


def test_only_catalogued_media_is_served(small_lib):
    path = media_file(small_lib, "L04")
    assert path == small_lib.folder("L04") / "media.m4a" and path.is_file()
    for bad in ("../L04", "L04/../../catalog.sqlite", "/etc/passwd", "..", "", "L05", "L04\x00"):
        with pytest.raises(NotServable):
            media_file(small_lib, bad)
    for turn, part in (("../x", "0.wav"), ("a" * 32, "../../catalog.sqlite"), ("a" * 32, "0.wav")):
        with pytest.raises(NotServable):
            speech_file(small_lib, turn, part)
    p = playable(small_lib, "L04")
    assert (p.kind, p.src) == ("local", "/media/L04")


def test_youtube_sources_play_in_the_youtube_embed(small_lib):
    from ingest.sources import SourceInfo
    from lectern.catalog import VideoRecord
    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    small_lib.folder("yt1").mkdir(parents=True)
    SourceInfo("yt1", "url", url, "media.webm", "A YouTube lecture", 60.0, url=url).save(
        small_lib.path("yt1", "source.json"), {})
    small_lib.catalog.upsert_video(VideoRecord("yt1", url, "url", "A YouTube lecture", 60.0))
    p = playable(small_lib, "yt1")
    assert (p.kind, p.src) == ("youtube", "dQw4w9WgXcQ")
    assert "k=youtube&amp;s=dQw4w9WgXcQ&amp;t=42.00" in render.chip(p, 42.0, "x")


def test_uploads_are_probed_and_kept_under_safe_names(small_lib, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 100)
    ok, refused = actions.check_uploads([CORPUS / "L04.m4a", text])
    assert ok == [CORPUS / "L04.m4a"]
    assert refused == ["notes.mp4: not an audio or video file (refused)"]
    weird = tmp_path / "..evil name;rm -rf.m4a"
    weird.write_bytes((CORPUS / "L04.m4a").read_bytes()[:4096])
    kept = actions.keep_uploads(small_lib, [weird, weird])
    assert [k.parent for k in kept] == [small_lib.root / "uploads"] * 2
    assert kept[0].name == "evil_name_rm_-rf.m4a" and kept[1].name == "evil_name_rm_-rf-2.m4a"
    with pytest.raises(actions.ActionError, match="not a URL"):
        actions.parse_urls("https://example.org/v\nfile:///etc/passwd")


def test_instructor_actions_refuse_requests_without_a_login():
    calls = []
    guarded = _guard(lambda x: calls.append(x) or "done")
    anonymous = SimpleNamespace(username=None)
    with pytest.raises(gr.Error, match="login required"):
        guarded("a", anonymous)
    with pytest.raises(gr.Error):
        guarded("a", SimpleNamespace(username="student"))
    assert calls == []
    assert guarded("b", SimpleNamespace(username="instructor")) == "done" and calls == ["b"]


def test_rendered_text_is_escaped_and_chips_carry_the_second(small_lib):
    p = playable(small_lib, "L04")
    html = render.answer('<img src=x onerror="alert(1)"> yes [1]',
                         [(1, p, 75.5, "we ran <b>it</b> at sixteen milliseconds a frame")], False)
    assert "<img" not in html and "&lt;img" in html
    assert 'href="#lectern?v=L04&amp;k=local&amp;s=%2Fmedia%2FL04&amp;t=75.50' in html
    assert "— 1:15</a>" in html
    # the quote the sentence rests on sits under its chip, escaped, expandable
    assert '<details class="lectern-quote">' in html and "&lt;b&gt;it&lt;/b&gt;" in html
    refused = render.answer("The lectures don't cover this.", [], True,
                            related=[(p, 12.0, "the closest sentence")])
    assert "closest moments" in refused and "lectern-cite" in refused and "— 0:12</a>" in refused


def test_lecture_details_and_transcript_search(small_lib):
    info = lectures.details(small_lib, "L04")
    assert "Real-time speech enhancement" in info and "2:54" in info and "No summary yet" in info
    hits = lectures.search(small_lib, "L04", "Xavier")
    assert hits.count("<li>") >= 1 and "<mark>Xavier</mark>" in hits
    assert "No line matches" in lectures.search(small_lib, "L04", "zebra crossing")
    assert lectures.details(small_lib, "../L04") == ""


@needs_corpus
def test_speech_starts_before_the_answer_is_finished(small_lib):
    """The first sentence is synthesized while the rest of the answer is still being written."""
    from ui.speech import Speaker
    speaker = Speaker(small_lib)
    try:
        job = speaker.job("b" * 32)
        job.feed("The enhancement runs in real time on the Xavier [1]. It uses")
        for _ in range(600):
            if job.parts:
                break
            job.wait(0.1)
        assert job.parts == [f"/speech/{'b' * 32}/0.wav"]   # before finish() was called
        job.feed(" a small network.")
        job.finish()
        assert job.wait(120) and job.error is None
        assert len(job.parts) == 2 and job.all_url == f"/speech/{'b' * 32}/all.wav"
        with wave.open(str(speech_file(small_lib, "b" * 32, "all.wav"))) as w:
            assert w.getnframes() / w.getframerate() > 1.0
        assert "ynthesized" in speaker.label
    finally:
        speaker.close()


@pytest.mark.slow
def test_instructor_builds_the_voice_from_a_chosen_clip_and_students_hear_it(small_lib, tmp_path):
    """Find clips in an uploaded recording, build from the chosen one, preview (~1 min on 2 cores)."""
    import time

    from ingest.media import decode, write_wav
    from ui import voice_actions
    from ui.jobs import JobRunner
    from ui.speech import Speaker

    audio = decode(CORPUS / "L04.m4a")
    clip = tmp_path / "reference.wav"       # one sentence of the L04 speaker, 5.16-12.89 s
    write_wav(clip, audio[int(5.16 * 16000):int(12.89 * 16000)])
    clips = voice_actions.VoiceClips(small_lib)
    labels = clips.find([], [clip], "Training models running in RT and optimizing the code for RT "
                        "has shown some challenges that were not obvious at the first sight in "
                        "offline development.")
    assert len(labels) == 1 and "confidence 1.00" in labels[0]
    with pytest.raises(actions.ActionError):
        clips.chosen([])
    runner, reloaded = JobRunner(), []
    job = voice_actions.start_build(small_lib, runner, clips.chosen(labels), lambda: reloaded.append(1))
    deadline = time.monotonic() + 600
    while runner.busy() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert job.state == "done", job.text()
    assert reloaded == [1]
    speaker = Speaker(small_lib)
    try:
        assert speaker.label.startswith("Synthesized voice of the instructor")
        wav = voice_actions.preview(speaker, "Hello there.", tmp_path / "preview")
        with wave.open(str(wav)) as w:
            assert w.getnframes() / w.getframerate() > 0.3
    finally:
        speaker.close()


def test_an_oversized_question_is_refused_at_once_and_never_echoed_whole(small_lib):
    """1.1 MB through the chat API: one short reply that says the limit; no retrieval, no model."""
    from ui.answers import Answers
    from ui.chat import Chat

    class _NeverOpened(Answers):
        def _open(self):
            raise AssertionError("the assistant was asked")

    chat = Chat(small_lib, _NeverOpened(small_lib), speaker=None)
    updates = list(chat.respond("why " * 275_000, [], None))
    assert len(updates) == 1
    box, history, _, _, turn, _ = updates[0]
    assert box == "" and turn == "" and len(history) == 2   # nothing to speak
    assert "the limit is 1,000" in history[1]["content"]
    assert sum(len(m["content"]) for m in history) < 2_000
