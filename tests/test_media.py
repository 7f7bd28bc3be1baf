"""Media recognised by content, decoded to 16 kHz mono, and rejected when unusable."""

import shutil
import subprocess

import numpy as np
import pytest

from ingest import media, sources
from tests.conftest import shared


def test_media_is_recognised_by_content_not_extension(tmp_path):
    disguised = tmp_path / "lecture.dat"
    shutil.copyfile(shared("audio/wer/jfk.flac"), disguised)
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are my notes, not a video\n" * 20)
    info = media.probe(disguised)
    assert info is not None and info.has_audio and 10.5 < info.duration < 11.5
    assert media.probe(fake) is None
    # FFmpeg reads text as ANSI art and JSON as lyrics: neither counts as media
    assert media.probe(shared("corpus/L01.txt")) is None
    assert media.probe(shared("corpus/corpus.json")) is None


def test_corpus_folder_yields_the_five_lectures_with_their_stems_as_ids():
    found = list(sources.discover([str(shared("corpus"))]))
    assert [c.suggested_id for c in found] == ["L01", "L02", "L03", "L04", "L05"]
    assert all(isinstance(c, sources.Candidate) for c in found)
    assert found[1].info.has_video and found[1].info.title.startswith("Bringing PyTorch")


def test_decode_gives_16k_mono_float(tmp_path):
    audio = media.decode(shared("audio/video/autoeditor_example.mp4"))
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / media.SAMPLE_RATE - 42) < 1.5
    assert 0.01 < np.abs(audio).max() <= 1.0
    wav = tmp_path / "a.wav"
    media.write_wav(wav, audio)
    back = media.read_wav(wav)
    assert len(back) == len(audio) and np.array_equal(back, audio)  # bit-exact round trip


def test_silent_and_short_audio_are_rejected():
    with pytest.raises(media.MediaError, match="silent"):
        media.check_audio(np.zeros(16000 * 3, np.float32))
    t = np.arange(8000) / 16000
    with pytest.raises(media.MediaError, match="too short"):
        media.check_audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
    media.check_audio(media.decode(shared("audio/wer/jfk.flac")))  # real speech passes


def test_video_without_audio_track_is_media_but_has_no_audio(tmp_path, ffmpeg):
    silent_video = tmp_path / "slides.mp4"
    subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=5",
                    "-t", "2", "-pix_fmt", "yuv420p", str(silent_video)], check=True)
    info = media.probe(silent_video)
    assert info is not None and info.has_video and not info.has_audio
    with pytest.raises(media.MediaError, match="no audio track"):
        media.decode(silent_video)
