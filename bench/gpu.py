"""The CUDA paths, on a machine with a GPU: passage embedding and XTTS streaming.

    python bench/gpu.py --library DIR [--voice-root DIR --profile NAME] [--json]

CI and the development machine have no GPU, so these paths are checked here
when one is lent (fine-tuning on the GPU is `bench/finetune.py`: its
training runs on CUDA whenever torch sees one).

1. Embedding: the library's passages encoded on "auto" (the GPU) and on the
   CPU with the index's model: passages/s for each, and the largest
   difference between the two sets of vectors (the same model on two devices:
   they must agree to ~1e-2, or an index built on one would not serve queries
   embedded on the other).
2. XTTS (with --voice-root): a tiny randomly initialised XTTS, built as the
   test builds it, loaded through voice/xtts.py on "auto" and conditioned on
   the profile's reference clips: the device its weights sit on, and the time
   to the first streamed piece and to the whole sentence. The audio is noise
   (random weights); the code path is what is checked.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from finetune.triplets import course_passages
from index.config import load_config
from index.embed import Embedder
from lectern import devices
from lectern.library import Library


def embedding(lib: Library) -> dict:
    cfg = load_config(lib)
    texts = [p.text for p in course_passages(lib, cfg)[0]]
    out: dict = {"passages": len(texts), "model": cfg.embedding_model}
    vecs = {}
    for device in ("auto", "cpu"):
        emb = Embedder(cfg.embedding_model, device)
        emb.encode(texts[:8])  # warm-up: kernels, tokenizer
        t0 = time.perf_counter()
        vecs[device] = emb.encode(texts, 64)
        seconds = time.perf_counter() - t0
        name = devices.resolve(device)
        out[f"{name}_passages_per_s"] = round(len(texts) / seconds, 1)
    out["device_auto"] = devices.resolve("auto")
    out["max_abs_diff"] = float(np.abs(vecs["auto"] - vecs["cpu"]).max())
    return out


def xtts(voice_root: Path, profile_name: str) -> dict:
    from test_voice_xtts import make_tiny_xtts
    from voice import profile as profiles
    from voice.config import VoiceConfig
    from voice.xtts import XttsBackend

    folder = make_tiny_xtts(Path(tempfile.mkdtemp()) / "xtts-tiny")
    cfg = VoiceConfig(backend="xtts", profile=profile_name, xtts_checkpoint=str(folder),
                      xtts_stream_chunk=4, device="auto")
    t0 = time.perf_counter()
    backend = XttsBackend(cfg, profiles.load(profile_name, voice_root))
    loaded = time.perf_counter() - t0
    sentence = "Hello class, today we talk about speech recognition."
    list(backend.stream(sentence))  # warm-up
    t0, first, pieces, samples = time.perf_counter(), None, 0, 0
    for piece in backend.stream(sentence):
        first = first if first is not None else time.perf_counter() - t0
        pieces += 1
        samples += len(piece)
    total = time.perf_counter() - t0
    return {"device": str(next(backend.model.parameters()).device), "load_s": round(loaded, 2),
            "first_piece_s": round(first or 0.0, 3), "sentence_s": round(total, 3), "pieces": pieces,
            "audio_s": round(samples / backend.rate, 2), "latent_device": str(backend.latent.device)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--library", type=Path, required=True)
    ap.add_argument("--voice-root", type=Path, help="root holding voice/<profile> (LECTERN_HOME)")
    ap.add_argument("--profile", default="instructor")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    import torch
    report = {"torch": torch.__version__, "cuda": torch.cuda.is_available(),
              "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
              "embedding": embedding(Library(a.library))}
    if a.voice_root:
        try:
            report["xtts"] = xtts(a.voice_root, a.profile)
        except Exception as e:  # keep the embedding figures when the XTTS stack is incomplete
            report["xtts"] = {"error": f"{type(e).__name__}: {e}"}
    if a.json:
        print(json.dumps(report, indent=1))
        return
    print(f"torch {report['torch']}, GPU: {report['gpu'] or 'none'}")
    e = report["embedding"]
    print(f"embedding {e['passages']} passages ({e['model']}): " + ", ".join(
        f"{k.replace('_passages_per_s', '')} {v}/s" for k, v in e.items() if k.endswith("_per_s"))
        + f"; auto = {e['device_auto']}; max |GPU - CPU| = {e['max_abs_diff']:.2e}")
    if "error" in report.get("xtts", {}):
        print(f"xtts: failed: {report['xtts']['error']}")
    elif "xtts" in report:
        x = report["xtts"]
        print(f"xtts (tiny, random) on {x['device']}: loaded in {x['load_s']} s, first piece "
              f"{x['first_piece_s']} s, sentence {x['sentence_s']} s in {x['pieces']} pieces")


if __name__ == "__main__":
    main()
