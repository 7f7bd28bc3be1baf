"""End-to-end ingestion through the real CLI: files, URLs, re-runs and crashes."""

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from ingest.sources import SourceInfo, title_from_name
from ingest.transcript import Transcript
from tests.conftest import REPO, TEST_MODEL, lectern, shared

FAST = ("--model", TEST_MODEL, "--no-summary", "--no-index")


def stage_status(home, video_id):
    db = sqlite3.connect(home / "catalog.sqlite")
    try:
        return dict(db.execute("SELECT stage, status FROM stages WHERE video_id=?", (video_id,)).fetchall())
    finally:
        db.close()


def test_jfk_gives_word_times_and_a_readable_transcript(home):
    proc = lectern("ingest", str(shared("audio/wer/jfk.flac")), "--model", TEST_MODEL, "--no-summary",
                   home=home, check=True)
    assert "jfk" in proc.stdout
    assert "index " in proc.stdout and "1 embedded" in proc.stdout  # searchable right away
    t = Transcript.load(home / "videos/jfk/transcript.json")
    words = t.words
    assert len(words) >= 20 and t.source == "asr" and t.language == "en"
    assert all(0 <= w.start <= w.end <= t.duration + 0.5 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert "ask not what your country" in t.text.lower()
    raw = json.loads((home / "videos/jfk/transcript.json").read_text())
    assert raw["artifact"] == "transcript" and raw["config"]["model"] == TEST_MODEL
    assert len(raw["segments"][0]["words"][0]) == 4  # [start, end, text, probability]
    assert "[0:00]" in (home / "videos/jfk/transcript.md").read_text()


def test_a_file_without_a_title_tag_is_titled_from_its_name():
    assert title_from_name("physicsworks_audio") == "Physicsworks audio"
    assert title_from_name("lecture_03__energy") == "Lecture 03 energy"
    assert title_from_name("ML Intro") == "ML Intro"       # a name that has capitals keeps them


def test_rerun_transcribes_nothing_and_duplicates_nothing(home, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(shared("audio/wer/jfk.flac"), src / "jfk.flac")
    first = lectern("ingest", str(src), *FAST, home=home, check=True)
    assert "ran fetch, audio, transcript" in first.stdout
    before = (home / "videos/jfk/transcript.json").stat().st_mtime_ns
    again = lectern("ingest", str(src), str(src / "jfk.flac"), *FAST, home=home, check=True)
    # the same file named twice (in its folder, and alone) is one video, done once
    assert again.stdout.count("already done") == 1 and ": ran" not in again.stdout
    assert (home / "videos/jfk/transcript.json").stat().st_mtime_ns == before
    assert [p.name for p in (home / "videos").iterdir()] == ["jfk"]
    status = json.loads(lectern("status", "--json", home=home, check=True).stdout)
    assert [v["id"] for v in status["videos"]] == ["jfk"]
    # --force redoes exactly that stage
    forced = lectern("ingest", str(src), *FAST, "--force", "transcript", home=home, check=True)
    assert ": ran transcript\n" in forced.stdout


def test_url_ingests_through_ytdlp_from_a_local_server(home, http_root):
    root, base = http_root
    shutil.copyfile(shared("audio/wer/jfk.flac"), root / "kennedy.flac")
    proc = lectern("ingest", f"{base}/kennedy.flac", *FAST, home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = SourceInfo.load(home / "videos/kennedy/source.json")
    assert info.kind == "url" and info.source == f"{base}/kennedy.flac" and info.extractor == "generic"
    assert (home / "videos/kennedy" / info.media).stat().st_size == (root / "kennedy.flac").stat().st_size
    assert "ask not" in Transcript.load(home / "videos/kennedy/transcript.json").text.lower()


def test_a_podcast_feed_expands_into_its_episodes(home, http_root):
    root, base = http_root
    shutil.copyfile(shared("audio/wer/jfk.flac"), root / "ep1.flac")
    shutil.copyfile(shared("audio/wer/sense_and_sensibility_01_austen_64kb-0870.wav"), root / "ep2.wav")
    items = "".join(
        f"<item><title>Episode {i}</title><guid>ep{i}</guid>"
        f'<enclosure url="{base}/{name}" type="audio/mpeg" length="1"/></item>'
        for i, name in ((1, "ep1.flac"), (2, "ep2.wav")))
    (root / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Course</title>{items}</channel></rss>')
    proc = lectern("ingest", f"{base}/feed.xml", *FAST, home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status = json.loads(lectern("status", "--json", home=home, check=True).stdout)
    assert len(status["videos"]) == 2
    assert all(v["stages"]["transcript"]["status"] == "done" for v in status["videos"])


def test_bad_inputs_fail_alone_with_one_line_errors(home, tmp_path, http_root, ffmpeg):
    root, base = http_root
    (root / "page.html").write_text("<html><body><p>No media here.</p></body></html>")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "notes.mp4").write_text("not a video at all\n" * 50)
    subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=5",
                    "-t", "2", "-pix_fmt", "yuv420p", str(bad / "noaudio.mp4")], check=True)
    subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
                    "-t", "3", str(bad / "silence.wav")], check=True)
    subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
                    "-t", "0.4", str(bad / "blip.wav")], check=True)
    cases = {
        str(tmp_path / "missing.mp4"): "no such file",
        str(bad / "notes.mp4"): "not a media file",
        str(bad / "noaudio.mp4"): "no audio track",
        str(bad / "silence.wav"): "silent audio",
        str(bad / "blip.wav"): "too short",
        "http://127.0.0.1:9/lecture.mp4": "connection refused",
        f"{base}/page.html": "unsupported url",
        f"{base}/removed-video.mp4": "404",
    }
    good = str(shared("audio/wer/jfk.flac"))
    proc = lectern("ingest", *cases, good, *FAST, home=home)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    for source, reason in cases.items():
        line = next((ln for ln in lines if source in ln), None)
        assert line and line.startswith("FAILED"), f"{source}: {proc.stdout}"
        assert reason in line.lower(), line
    assert any(ln.startswith("ok") and "jfk" in ln for ln in lines)
    assert stage_status(home, "jfk")["transcript"] == "done"
    status = json.loads(lectern("status", "--json", home=home, check=True).stdout)
    recorded = {f["source"]: f["error"] for f in status["failures"]}
    recorded.update({v["source"]: "; ".join(s["error"] for s in v["stages"].values() if s["error"])
                     for v in status["videos"]})
    for source, reason in cases.items():
        assert reason in recorded[source].lower(), (source, recorded.get(source))
    assert all("\n" not in e for e in recorded.values())


def test_killed_mid_run_resumes_and_finishes(home, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(shared("audio/wer/jfk.flac"), src / "a_jfk.flac")
    shutil.copyfile(shared("corpus/L04.m4a"), src / "b_L04.m4a")
    env = {**__import__("os").environ, "LECTERN_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "lectern", "ingest", str(src), *FAST],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline:  # kill while the second video is being transcribed
        if (home / "catalog.sqlite").exists() and stage_status(home, "b_L04").get("transcript") == "running":
            break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("second video never started transcribing")
    busy = lectern("ingest", str(src), *FAST, home=home)  # one writer at a time
    assert busy.returncode == 1 and "another ingest is running" in busy.stderr
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert stage_status(home, "a_jfk")["transcript"] == "done"
    shown = json.loads(lectern("status", "--json", home=home, check=True).stdout)
    by_id = {v["id"]: v["stages"] for v in shown["videos"]}
    assert by_id["b_L04"]["transcript"]["status"] == "interrupted"
    assert not (home / "videos/b_L04/transcript.json").exists()
    again = lectern("ingest", str(src), *FAST, home=home, check=True)
    line = {ln.split()[1]: ln for ln in again.stdout.splitlines() if ln.startswith("ok")}
    assert line["a_jfk"].endswith("already done")
    assert line["b_L04"].endswith(": ran transcript")  # fetch and audio were kept
    t = Transcript.load(home / "videos/b_L04/transcript.json")
    assert t.duration > 170 and t.segments[-1].end > 150
    assert not list((home / "videos").rglob(".*.tmp"))


def test_a_changed_setting_redoes_exactly_the_stages_after_it(home, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(shared("audio/wer/jfk.flac"), src / "jfk.flac")
    lectern("ingest", str(src), *FAST, home=home, check=True)
    # a CTranslate2 folder works as a model, and a different model is a different transcript
    from lectern.models import asr_model
    proc = lectern("ingest", str(src), "--model", asr_model("base"), *FAST[2:], home=home, check=True)
    assert proc.stdout.splitlines()[0].endswith(": ran transcript")
    raw = json.loads((home / "videos/jfk/transcript.json").read_text())
    assert raw["config"]["model"] == asr_model("base")


def test_batched_pipeline_transcribes_with_word_times():
    from ingest import media
    from ingest.transcribe import TranscribeConfig, transcribe
    audio = media.decode(shared("audio/wer/jfk.flac"))
    t = transcribe(audio, "jfk", TranscribeConfig(model=TEST_MODEL, batch_size=4))
    assert "ask not what your country" in t.text.lower()
    assert t.words and all(w.end >= w.start for w in t.words)
