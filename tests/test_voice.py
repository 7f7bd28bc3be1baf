"""The instructor's voice with real components: Piper, pyworld, resemblyzer, faster-whisper.

Likeness targets, adaptation and WER are measured by bench/voice.py (minutes of
CPU); these tests check behaviour: enrollment from a file and from an ingested
lecture, conversion moving the voice toward the instructor, sentence streaming,
batching across concurrent requests, the (voice, text) cache, and the CLI
command functions.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import shared

LJ = "audio/speakers/ljspeech"
ANSWER = ("Energy is conserved in a closed system [1]. The ball rises about 9.8 m in 2 s, "
          "see https://example.org/notes. Then it falls back down [2].")


# ---------------------------------------------------------------- text

def test_normalize_removes_citations_urls_and_speaks_numbers_units_abbreviations():
    from voice.text import normalize, speakable

    out = normalize("Energy is conserved [1][2, 3]. See https://ocw.mit.edu/x, e.g. the 2nd "
                    "lecture: 3.5 kHz, 16 GB, 25% and $5 in 1998 with 1,200 students [L01 3:12].")
    assert "[" not in out and "http" not in out and "ocw" not in out
    for words in ("for example", "second", "three point five kilohertz", "sixteen gigabytes",
                  "twenty-five percent", "five dollars", "nineteen ninety-eight", "one thousand, two hundred"):
        assert words in out, (words, out)
    assert speakable("Dr. Smith spoke. It was 10 a.m. on Monday! Was it? Yes.") == [
        "Doctor Smith spoke.", "It was ten ay em on Monday!", "Was it?", "Yes."]


def test_config_rejects_unknown_and_bad_values():
    from lectern.config import ConfigError
    from voice.config import VoiceConfig

    assert VoiceConfig.from_dict({"mode": "zero-shot"}).mode == "zero-shot"
    for bad in ({"colour": "blue"}, {"mode": "loud"}, {"backend": "espeak"}, {"adapted_strength": 3},
                {"frame_ms": 0.2}, {"threads": -1}):
        with pytest.raises(ConfigError):
            VoiceConfig.from_dict(bad)


def test_piper_is_deterministic_whatever_was_said_before_and_however_batched():
    from voice.piper_tts import PiperTTS

    text = "The derivative tells us how quickly a quantity changes."
    first = PiperTTS().synthesize(text)
    piper = PiperTTS()
    piper.synthesize("Something else entirely, said first.")
    again = piper.synthesize(text)
    batched = piper.synthesize_batch(["A longer sentence, padded beside it in the same batch call.", text])[1]
    assert len(first) > 16000 and np.array_equal(first, again)
    # padding changes convolution sums in the last bits only
    assert len(batched) == len(first) and np.max(np.abs(batched - first)) < 1e-3


# ---------------------------------------------------------------- enrollment from a file

@pytest.fixture(scope="module")
def lj_home(tmp_path_factory) -> Path:
    """A data root with a zero-shot profile enrolled from one LJSpeech recording + its text."""
    from voice import build
    from voice.config import VoiceConfig
    from voice.enroll import read_transcripts

    folder = shared(LJ)
    root = tmp_path_factory.mktemp("voice-home")
    text = read_transcripts(folder / "metadata_wav.csv")
    build.enroll("lj", VoiceConfig(profile="lj"), [folder / "LJ001-0001.wav"], text, root=root)
    return root


def test_enroll_from_file_stores_a_labelled_profile(lj_home):
    import json

    from voice import profile as profiles

    prof = profiles.load("lj", lj_home)
    assert len(prof.clips) == 1 and prof.clips[0].text.startswith("Printing, in the only sense")
    assert 9 < prof.seconds < 11
    assert not prof.adapted and "needs" in prof.report["adapt_skipped"]  # 10 s < the 20 s adaptation needs
    assert prof.report["auto"] == prof.auto_mode == "zero-shot"
    # strength was tuned against Whisper's WER: the chosen one is within the limit
    trials = prof.report["trials"]
    limit = next(t["limit"] for t in trials if t["mode"] == "plain")
    chosen = [t for t in trials if t["mode"] == "zero-shot" and t["strength"] == prof.report["strengths"]["zero-shot"]
              and t["exemplar"] == prof.report["exemplar"]["zero-shot"]]
    assert len(chosen) == 1 and (chosen[0]["wer"] <= limit or (chosen[0]["strength"], chosen[0]["exemplar"]) == (0.6, 0))
    assert {t["exemplar"] for t in trials if t["mode"] == "zero-shot"} >= {0.0, 0.6}   # exemplar weights were tried
    assert len(prof.pool) > 1000 and prof.pool.coded.dtype == np.float16   # ~10 s of the reader's own frames
    # a female reader: pitch measured well above Piper's male voice, formants warped up
    assert np.exp(prof.zero_shot.target.lf0_mean) > 1.3 * np.exp(prof.zero_shot.source.lf0_mean)
    assert 1.1 < prof.zero_shot.alpha <= 1.25
    doc = json.loads((prof.folder / "profile.json").read_text())
    assert doc["synthetic"] is True and "synthesized voice" in doc["label"]
    assert (prof.folder / "refs" / "00.wav").exists()


def test_zero_shot_conversion_moves_the_voice_toward_the_instructor(lj_home):
    from ingest.media import decode
    from voice import resemblyzer_encoder as enc
    from voice.config import VoiceConfig
    from voice.synth import Voice

    held_out = np.concatenate([decode(p) for p in sorted(shared(LJ).glob("LJ001-000[678].wav"))])
    text = "The students read the chapter about printing before the lecture began."
    sims = {}
    for mode in ("plain", "zero-shot"):
        voice = Voice(VoiceConfig(profile="lj", mode=mode, cache=False), lj_home)
        try:
            audio = np.concatenate([c.samples for c in voice.speak(text)])
        finally:
            voice.close()
        sims[mode] = enc.similarity(audio, held_out)
    print("likeness to the held-out speech:", sims)   # deterministic: Piper's noise is fixed (piper_tts.py)
    # measured (deterministic since Piper's noise is fixed): plain 0.509, zero-shot 0.589
    # before exemplar selection, 0.658 with it (the weight enrollment tuned: 0.6)
    assert sims["zero-shot"] > sims["plain"] + 0.10, sims


def test_exemplar_selection_uses_the_instructors_own_frames_and_lifts_likeness(lj_home):
    from ingest.media import decode
    from voice import profile as profiles, resemblyzer_encoder as enc
    from voice.config import VoiceConfig
    from voice.exemplar import Matcher
    from voice.synth import Voice

    pool = profiles.load("lj", lj_home).pool
    matcher = Matcher(pool)
    frames = pool.coded[::7].astype(np.float64)
    picked = matcher.select(frames, pool.voiced[::7], 1)
    assert np.allclose(picked[:, 1:], frames[:, 1:], atol=1e-3)   # a pool frame's nearest frame is itself

    held_out = np.concatenate([decode(p) for p in sorted(shared(LJ).glob("LJ001-000[678].wav"))])
    text = "The students read the chapter about printing before the lecture began."
    sims = {}
    for weight in (0.0, 0.6):
        voice = Voice(VoiceConfig(profile="lj", mode="zero-shot", zero_shot_strength=1.0,
                                  zero_shot_exemplar=weight, cache=False), lj_home)
        try:
            audio = np.concatenate([c.samples for c in voice.speak(text)])
        finally:
            voice.close()
        sims[weight] = enc.similarity(audio, held_out)
    print("likeness without / with exemplar selection:", sims)
    # measured (10 s enrolled, zero-shot strength 1.0): 0.602 without, 0.658 with
    assert sims[0.6] > sims[0.0] + 0.03, sims


def test_a_profile_from_before_the_frame_pool_asks_to_enroll_again(lj_home, tmp_path):
    import json
    import shutil

    from voice import profile as profiles
    from voice.errors import ProfileError

    root = tmp_path / "old"
    shutil.copytree(lj_home / "voice" / "lj", root / "voice" / "lj")
    doc = json.loads((root / "voice" / "lj" / "profile.json").read_text())
    (root / "voice" / "lj" / "profile.json").write_text(json.dumps(dict(doc, schema=1)))
    (root / "voice" / "lj" / "pool.npz").unlink()
    with pytest.raises(ProfileError, match="enroll"):
        profiles.load("lj", root)


def test_speak_streams_the_first_sentence_before_the_last_is_synthesized(lj_home):
    from voice.config import VoiceConfig
    from voice.synth import Voice

    voice = Voice(VoiceConfig(profile="lj", cache=False), lj_home)
    try:
        first_at, chunks = None, []
        for chunk in voice.speak(ANSWER):
            first_at = first_at or time.monotonic()
            chunks.append(chunk)
        done = voice.backend.done_at
    finally:
        voice.close()
    assert [c.text for c in chunks] == [
        "Energy is conserved in a closed system.",
        "The ball rises about nine point eight metres in two seconds, see.",
        "Then it falls back down."]
    assert all(c.sample_rate == 16000 and c.seconds > 0.8 for c in chunks)
    assert len(done) == 3 and first_at < done[-1], "the first chunk waited for the whole answer"


def test_concurrent_requests_share_batches_and_the_cache_serves_repeats(lj_home, tmp_path):
    from voice.audio import read_wav
    from voice.config import VoiceConfig
    from voice.synth import Voice

    voice = Voice(VoiceConfig(profile="lj", batch_size=4), lj_home)
    try:
        results: dict[int, list] = {}
        texts = [f"Question {n} has a short answer. It is {n + 1}." for n in range(3)]
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, list(voice.speak(texts[i]))))
                   for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert max(voice.batches) > 1, voice.batches           # sentences of different requests batched
        assert sum(voice.batches) == 6 and all(len(results[i]) == 2 for i in range(3))
        out = tmp_path / "again.wav"
        chunks = voice.say(texts[0], out)
    finally:
        voice.close()
    assert all(c.cached for c in chunks)
    samples, rate = read_wav(out)
    assert rate == 16000 and len(samples) > 16000
    import soundfile as sf
    assert "synthesized" in sf.info(str(out)).extra_info.lower() or sf.SoundFile(str(out)).comment


# ---------------------------------------------------------------- enrollment from ingested lectures

def _ingest(root: Path, video_id: str, audio: np.ndarray) -> None:
    """What ingest leaves in a video folder: audio.wav + transcript.json (real ASR, tiny.en)."""
    from ingest.media import write_wav
    from ingest.transcribe import TranscribeConfig, transcribe

    folder = root / "videos" / video_id
    folder.mkdir(parents=True)
    write_wav(folder / "audio.wav", audio)
    transcribe(audio, video_id, TranscribeConfig(model="tiny.en")).save(folder / "transcript.json", {})


def test_enroll_from_ingested_lectures_picks_clean_single_speaker_clips(tmp_path):
    from ingest.media import decode
    from voice import build, profile as profiles
    from voice.config import VoiceConfig

    root = tmp_path / "library"
    lecture = decode(shared("corpus/L04.m4a"))[:75 * 16000]
    _ingest(root, "L04", lecture)
    _ingest(root, "chat", decode(shared("audio/speakers/two_speakers_pyannote.wav")))
    cfg = VoiceConfig(profile="prof", clips_max=6)
    prof = build.enroll("prof", cfg, root=root, adapt_enabled=False, tune_enabled=False)
    assert prof is not None and profiles.load("prof", root).name == "prof"
    assert 2 <= len(prof.clips) <= 6
    assert all(c.source == "video:L04" for c in prof.clips), [c.source for c in prof.clips]
    assert all(5.0 <= c.end - c.start <= 15.2 and c.confidence >= cfg.clip_min_prob for c in prof.clips)
    assert all(c.text for c in prof.clips)


def test_noisy_gaps_disqualify_a_clip():
    from voice.config import VoiceConfig
    from voice.enroll import Word, cut

    rng = np.random.default_rng(0)
    t = np.arange(8 * 16000) / 16000
    speech = 0.3 * np.sin(2 * np.pi * 150 * t) * ((t % 0.5) < 0.4)  # a 0.4 s "word" every 0.5 s
    words = [Word(s, s + 0.4, " word", 0.95) for s in np.arange(0.0, 7.6, 0.5)]
    assert len(cut(speech.astype(np.float32), words, "clean", VoiceConfig())) == 1
    music = speech + 0.2 * rng.standard_normal(len(t))   # loud background in the gaps
    assert cut(music.astype(np.float32), words, "music", VoiceConfig()) == []


# ---------------------------------------------------------------- CLI command functions

def test_cli_commands_enroll_and_say(tmp_path, monkeypatch):
    from lectern.cli.voice import say, voice_enroll
    from lectern.library import Library

    folder = shared(LJ)
    home = tmp_path / "home"
    monkeypatch.setenv("LECTERN_HOME", str(home))
    lib = Library(home)
    rc = voice_enroll(lib, argparse.Namespace(sources=[str(folder / "LJ001-0003.wav")], video=[], name="me",
                                              transcripts=str(folder / "metadata_wav.csv"), no_adapt=True,
                                              no_tune=True))
    assert rc == 0 and (home / "voice" / "me" / "profile.json").exists()
    out = tmp_path / "answer.wav"
    rc = say(lib, argparse.Namespace(text="Hello class [1]. Read section 2.", output=str(out), name="me",
                                     mode=None, backend=None, no_cache=False))
    assert rc == 0 and out.stat().st_size > 20000
    rc = say(lib, argparse.Namespace(text="Hi.", output=str(out), name="nobody", mode=None, backend=None,
                                     no_cache=False))
    assert rc == 1  # a missing profile is one line on stderr, not a traceback


def test_tuning_lets_exemplars_refine_only_a_strength_that_is_intelligible_alone():
    from voice.tune import Trial, _best

    # the sonnet reader's adapted trials (bench/voice.py): 0.6 alone mishears, 0.6 + exemplars
    # passed the four validation sentences by luck and then missed 0.37 on the bench's text
    trials = [Trial("adapted", 0.6, 0.6, 0.175, 0.655), Trial("adapted", 0.6, 0.4, 0.070, 0.640),
              Trial("adapted", 0.8, 0.0, 0.193, 0.668), Trial("adapted", 0.6, 0.0, 0.246, 0.609),
              Trial("adapted", 0.45, 0.0, 0.018, 0.567), Trial("adapted", 0.3, 0.0, 0.018, 0.541)]
    assert (_best(trials, 0.10).strength, _best(trials, 0.10).exemplar) == (0.45, 0.0)
    # LJSpeech's: 0.6 is intelligible alone, so exemplars on top of it are allowed
    lj = [Trial("adapted", 0.6, 0.6, 0.088, 0.757), Trial("adapted", 0.6, 0.0, 0.070, 0.726),
          Trial("adapted", 0.45, 0.0, 0.053, 0.709)]
    assert (_best(lj, 0.10).strength, _best(lj, 0.10).exemplar) == (0.6, 0.6)


def test_auto_speaks_adapted_unless_tuning_found_zero_shot_clearly_more_alike(lj_home):
    from dataclasses import replace

    from voice import profile as profiles
    from voice.config import VoiceConfig
    from voice.synth import PiperWorld
    from voice.tune import Trial, preferred_mode

    # the physics lecturer's tuned settings (bench/voice.py --instructors lewin): adapted had to
    # drop to 0.3 to stay intelligible and came out less alike than zero-shot
    lewin = {"zero-shot": Trial("zero-shot", 1.0, 0.6, 0.099, 0.699), "adapted": Trial("adapted", 0.3, 0.0, 0.099, 0.680)}
    assert preferred_mode(lewin, 0.12) == "zero-shot"
    lj = {"zero-shot": Trial("zero-shot", 1.0, 0.4, 0.081, 0.671), "adapted": Trial("adapted", 0.6, 0.0, 0.090, 0.745)}
    assert preferred_mode(lj, 0.10) == "adapted"
    near = {"zero-shot": Trial("zero-shot", 1.0, 0.6, 0.05, 0.705), "adapted": Trial("adapted", 0.6, 0.0, 0.05, 0.700)}
    assert preferred_mode(near, 0.10) == "adapted"          # a likeness tie goes to the trained mapping
    failed = {"zero-shot": Trial("zero-shot", 1.0, 0.0, 0.05, 0.60), "adapted": Trial("adapted", 0.3, 0.0, 0.20, 0.75)}
    assert preferred_mode(failed, 0.10) == "zero-shot"      # only zero-shot stayed intelligible
    assert preferred_mode({"zero-shot": lj["zero-shot"]}, 0.10) == "zero-shot"

    prof = profiles.load("lj", lj_home)
    assert prof.auto_mode == "zero-shot"                    # no mapping was trained (10 s)
    adapted = replace(prof, adapted=True, report={k: v for k, v in prof.report.items() if k != "auto"})
    assert adapted.auto_mode == "adapted"                   # tuned before the choice was recorded
    chose = replace(adapted, report={**adapted.report, "auto": "zero-shot"})
    assert chose.auto_mode == "zero-shot" and chose.modes == "adapted, speaks zero-shot"
    assert prof.modes == "zero-shot"
    assert PiperWorld._mode(VoiceConfig(mode="auto"), chose) == "zero-shot"
    assert PiperWorld._mode(VoiceConfig(mode="adapted"), chose) == "adapted"   # asked for by name: given


def test_tuning_scores_each_sentence_on_its_own():
    """Whisper hears each validation sentence alone, as the voice speaks them: joined into
    one stretch, its language model repaired converted speech that alone was misheard."""
    from voice.piper_tts import PiperTTS
    from voice.tune import _wer

    texts = ["Multiply the mass by the acceleration to get the force in newtons.",
             "The quiz covers vectors, matrices and the determinant of a three by three matrix."]
    piper = PiperTTS()
    audios = [piper.synthesize(t) for t in texts]
    assert _wer(audios, texts) <= 0.10                     # plain Piper: heard right
    assert _wer(audios, texts[::-1]) > 0.5                 # paired sentence by sentence, not pooled
