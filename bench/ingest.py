"""Ingest speed: real-time factors, and our ASR stage against bare faster-whisper.

    .venv/bin/python bench/ingest.py [--lecture L01] [--repeats 2]

Prints, for one lecture (from ../shared/corpus, else the repository's sample):
- bare faster-whisper: model.transcribe(media file) with the same settings, words consumed;
- ours: the audio stage (decode to 16 kHz) + the transcript stage (transcribe, build the
  Transcript, write transcript.json and .md), i.e. the same media-file-in, transcript-out work;
- the ratio ours / bare (target <= 1.05), both with the model already loaded;
- the whole `lectern ingest` of the lecture (all four stages, fresh library, models loaded
  in-process first) as a real-time factor;
- WER of the default model on jfk and the three LibriVox sonnets (target <= 0.10 each).
Runs alternate which of bare/ours goes first, so drift and order effects hit both alike;
the best run of each counts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest import media  # noqa: E402
from ingest.pipeline import Ingestor, Settings  # noqa: E402
from ingest.transcribe import TranscribeConfig, load_model, resolve_device, transcribe  # noqa: E402
from ingest.transcript import to_markdown  # noqa: E402
from lectern.artifacts import write_atomic  # noqa: E402
from lectern.library import Library  # noqa: E402
from lectern.llm import LLMConfig  # noqa: E402
from lectern.llm import load as load_llm  # noqa: E402


def find_media(lecture: str) -> Path:
    corpus = REPO.parent / "shared" / "corpus"
    for ext in (".m4a", ".mp4"):
        if (corpus / f"{lecture}{ext}").exists():
            return corpus / f"{lecture}{ext}"
    return REPO / "samples" / "physicsworks.webm"


def bare(model, path: Path, cfg: TranscribeConfig) -> float:
    t0 = time.perf_counter()
    segments, _ = model.transcribe(str(path), language=cfg.language, beam_size=cfg.beam_size,
                                   word_timestamps=True, vad_filter=cfg.vad)
    n = sum(len(s.words) for s in segments)
    assert n > 0
    return time.perf_counter() - t0


def ours(path: Path, cfg: TranscribeConfig, out: Path) -> float:
    t0 = time.perf_counter()
    audio = media.decode(path)
    media.check_audio(audio)
    media.write_wav(out / "audio.wav", audio)
    t = transcribe(media.read_wav(out / "audio.wav"), "bench", cfg)
    t.save(out / "transcript.json", {})
    write_atomic(out / "transcript.md", to_markdown(t, "bench"))
    return time.perf_counter() - t0


WER_CLIPS = ("jfk.flac", "p002.mp3", "p003.mp3", "sonnet001.mp3")


def wer_figures(cfg: TranscribeConfig) -> None:
    import jiwer

    from tests.test_quality import normalize
    folder = REPO.parent / "shared" / "audio" / "wer"
    for clip in WER_CLIPS:
        if not (folder / clip).exists():
            print(f"WER {clip}: skipped (no ../shared)")
            continue
        t = transcribe(media.decode(folder / clip), "wer", cfg)
        ref = (folder / clip).with_suffix(".txt").read_text()
        print(f"WER {clip:14} {jiwer.wer(normalize(ref), normalize(t.text)):.3f}  (model {cfg.model})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lecture", default="L01")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    path = find_media(args.lecture)
    seconds = len(media.decode(path)) / media.SAMPLE_RATE
    cfg = TranscribeConfig()
    model = load_model(cfg.model, *resolve_device(cfg), cfg.cpu_threads)
    print(f"lecture: {path.name}, {seconds:.1f} s of audio; ASR model {cfg.model} on "
          f"{'/'.join(resolve_device(cfg))}")
    b, o = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            if i % 2:  # alternate which goes first, so order effects cancel
                o.append(ours(path, cfg, Path(tmp)))
                b.append(bare(model, path, cfg))
            else:
                b.append(bare(model, path, cfg))
                o.append(ours(path, cfg, Path(tmp)))
            print(f"  run {i + 1}: bare {b[-1]:.1f} s, ours {o[-1]:.1f} s")
        load_llm(LLMConfig())  # load once, like a long-running ingest of many videos
        lib = Library(Path(tmp) / "library")
        t0 = time.perf_counter()
        results = list(Ingestor(lib, Settings()).run([str(path)]))
        whole = time.perf_counter() - t0
        assert all(r.ok for r in results), results
    print(f"ASR real-time factor (bare faster-whisper): {min(b) / seconds:.3f}")
    print(f"ASR real-time factor (our audio+transcript stages): {min(o) / seconds:.3f}")
    print(f"ours / bare: {min(o) / min(b):.3f}  (target <= 1.05)")
    print(f"whole ingest (fetch, audio, transcript, summary): {whole:.1f} s, "
          f"real-time factor {whole / seconds:.3f}")
    wer_figures(cfg)


if __name__ == "__main__":
    main()
