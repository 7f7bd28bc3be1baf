"""Where torch-based models run: "auto" is the GPU when torch sees one.

One rule for embeddings, fine-tuning and the voice: embedding a 400-lecture
course (~30k passages) takes the better part of an hour on 2 CPU cores and
seconds on a GPU. (Whisper asks CTranslate2
instead, ingest/transcribe.py: it is CTranslate2's CUDA build that must see
the GPU, not torch's.)
"""

from __future__ import annotations


def resolve(device: str) -> str:
    """"auto" -> "cuda" when torch sees a GPU, else "cpu"; any other value as given."""
    if device != "auto":
        return device
    import torch
    return "cuda" if torch.cuda.is_available() else "cpu"
