"""Triplet mining: (anchor, positive passage, hard negative passage) from the library.

The passages are exactly the ones the index holds (same chunking settings),
so the model is trained on what it will search. The course is cut into
5-minute blocks and a fixed, hash-chosen share of blocks is held out: their
passages never appear in a training triplet, as positive or as negative, and
a training passage that overlaps a held-out one is left out too, so the
held-out evaluation never sees text the model was trained on.

Hard negatives come from the base model's own ranking: the highest-scoring
passage that is from another lecture or far (negative_gap_s) from the
positive in the same one, and that scores clearly below the positive
(negative_margin), since a passage scoring as high may well answer the
anchor too and would teach the model the wrong thing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.chunks import PASSAGE, Chunk
from index.config import IndexConfig
from index.config import load_config as load_index_config
from index.embed import Embedder, embedder
from index.chunks import video_chunks
from ingest.sources import Chapter
from ingest.summarize import Summary
from lectern import artifacts
from lectern import config as cfgmod
from lectern.artifacts import ArtifactError
from lectern.library import SUMMARY, Library
from lectern.llm import LLMConfig
from lectern.llm import load as load_llm

from . import anchors as an
from .config import FinetuneConfig

KIND, VERSION = "triplets", 1
TRAIN, HELDOUT, BUFFER = "train", "heldout", "buffer"
Progress = Callable[[str, int, int], None]

class MiningError(RuntimeError):
    """The library has nothing to mine, or too little."""

@dataclass(frozen=True)
class Triplet:
    anchor: str
    positive: str
    negative: str
    kind: str                 # one of anchors.KINDS
    split: str                # "train" or "heldout"
    video_id: str             # the positive passage ...
    start: float
    end: float
    negative_video_id: str    # ... the negative passage
    negative_start: float
    negative_end: float
    anchor_start: float       # the seconds the anchor was made from
    anchor_end: float
    method: str               # "llm:<model>", "ict", "tf-idf" or "chapter-title"

@dataclass(frozen=True)
class TripletSet:
    triplets: tuple[Triplet, ...]
    passages: int
    counts: dict = field(default_factory=dict)   # kind -> {"train": n, "heldout": n}
    sha256: str = ""

    def split(self, name: str) -> list[Triplet]:
        return [t for t in self.triplets if t.split == name]

def course_passages(lib: Library, icfg: IndexConfig) -> tuple[list[Chunk], dict[str, tuple[Chapter, ...]]]:
    passages: list[Chunk] = []
    chapters: dict[str, tuple[Chapter, ...]] = {}
    for v in lib.videos():
        try:
            chunks, _ = video_chunks(lib, v.id, icfg)
        except ArtifactError:
            continue  # not transcribed (yet)
        passages += [c for c in chunks if c.kind == PASSAGE]
        if lib.path(v.id, SUMMARY).exists():
            chapters[v.id] = Summary.load(lib.path(v.id, SUMMARY)).chapters
    return passages, chapters

def _block_rank(video_id: str, block: int, seed: int) -> bytes:
    return hashlib.sha256(f"{seed}/{video_id}/{block}".encode()).digest()


def split_passages(passages: Sequence[Chunk], cfg: FinetuneConfig) -> list[str]:
    """Exactly round(fraction x blocks) blocks held out, chosen by hash: stable from run
    to run, and not left to chance (a course of 20 blocks would otherwise hold out
    anywhere from 2 to 8 of them)."""
    blocks = [(p.video_id, int(p.start // cfg.block_s)) for p in passages]
    distinct = sorted(set(blocks), key=lambda b: _block_rank(*b, cfg.seed))
    n_held = max(1, round(cfg.heldout_fraction * len(distinct)))
    if len(distinct) < 2:
        # a library of one block: hold out every 1/fraction-th passage instead
        step = max(2, round(1 / cfg.heldout_fraction))
        split = [HELDOUT if i % step == step - 1 else TRAIN for i in range(len(passages))]
    else:
        held_blocks = set(distinct[:n_held])
        split = [HELDOUT if b in held_blocks else TRAIN for b in blocks]
    held = [(p.video_id, p.start, p.end) for p, s in zip(passages, split) if s == HELDOUT]
    for i, p in enumerate(passages):
        if split[i] == TRAIN and any(v == p.video_id and p.start < e and p.end > s for v, s, e in held):
            split[i] = BUFFER
    return split


def _norm(text: str) -> str:
    return " ".join(an.words(text))

def _negatives(sims: np.ndarray, pos: int, passages: Sequence[Chunk], allowed: Sequence[bool],
               cfg: FinetuneConfig) -> list[int]:
    p, out = passages[pos], []
    ceiling = (1 - cfg.negative_margin) * sims[pos]
    for c in np.argsort(-sims):
        q = passages[c]
        if c == pos or not allowed[c] or sims[c] >= ceiling:
            continue
        if q.video_id == p.video_id and (q.start < p.end + cfg.negative_gap_s
                                         and q.end > p.start - cfg.negative_gap_s):
            continue
        out.append(int(c))
        if len(out) == cfg.negatives_per_anchor:
            break
    return out

def _llm_chosen(n: int, limit: int) -> list[int]:
    if n <= limit:
        return list(range(n))
    return sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)}) if limit > 1 else [0]

def gather_anchors(lib: Library, passages: Sequence[Chunk], chapters, split: Sequence[str],
                   cfg: FinetuneConfig, progress: Progress) -> tuple[list[an.Anchor], dict]:
    usable = [s != BUFFER for s in split]
    anchors = [a for a in an.cheap_anchors(passages, cfg.min_sentence_words) if usable[a.passage]]
    anchors += [a for a in an.chapter_anchors(passages, chapters) if usable[a.passage]]
    stats = {"llm_calls": 0, "llm_cached": 0}
    if cfg.llm and (cfg.questions_per_passage or cfg.rewordings_per_passage):
        cache = an.ReplyCache(lib.root / "finetune" / "llm-replies.sqlite")
        writer = an.Writer(cfg.llm, cache, lambda: load_llm(LLMConfig(model=cfg.llm)))
        chosen = [i for i in _llm_chosen(len(passages), cfg.max_llm_passages) if usable[i]]
        for n, found in enumerate(an.llm_anchors(passages, chosen, writer, cfg.questions_per_passage,
                                                 cfg.rewordings_per_passage, cfg.min_sentence_words), 1):
            anchors += found
            progress("llm anchors", n, len(chosen))
        stats = {"llm_calls": writer.calls, "llm_cached": writer.cached}
    return anchors, stats

def mine(lib: Library, cfg: FinetuneConfig, progress: Progress = lambda *a: None,
         icfg: IndexConfig | None = None) -> TripletSet:
    icfg = icfg or load_index_config(lib)
    passages, chapters = course_passages(lib, icfg)
    if len(passages) < 4:
        raise MiningError(f"the library has {len(passages)} passages; fine-tuning needs "
                          "transcribed lectures (at least a few minutes)")
    split = split_passages(passages, cfg)
    anchors, llm_stats = gather_anchors(lib, passages, chapters, split, cfg, progress)
    emb = embedder(cfg.base_model, cfg.device)
    P = emb.encode([p.text for p in passages], 64)
    A = _encode(emb, [a.text for a in anchors], progress)
    sims = A @ P.T
    triplets, seen, dropped = [], set(), Counter()
    train_ok = [s == TRAIN for s in split]
    any_ok = [s != BUFFER for s in split]
    for a, row in zip(anchors, sims):
        key = _norm(a.text)
        if key in seen or not key:
            dropped["duplicate"] += 1
            continue
        rank = int((row > row[a.passage]).sum()) + 1
        if a.kind in an.LLM_KINDS and rank > cfg.roundtrip_k:
            dropped["round-trip"] += 1
            continue
        s = split[a.passage]
        negs = _negatives(row, a.passage, passages, train_ok if s == TRAIN else any_ok, cfg)
        if not negs:
            dropped["no negative"] += 1
            continue
        seen.add(key)
        p = passages[a.passage]
        for c in negs:
            n = passages[c]
            triplets.append(Triplet(a.text, a.positive, n.text, a.kind, s, p.video_id, p.start,
                                    p.end, n.video_id, n.start, n.end, a.start, a.end, a.method))
    counts = {k: {sp: sum(t.kind == k and t.split == sp for t in triplets) for sp in (TRAIN, HELDOUT)}
              for k in an.KINDS}
    counts["dropped"] = dict(dropped)
    counts.update(llm_stats)
    return TripletSet(tuple(triplets), len(passages), counts)

def _encode(emb: Embedder, texts: list[str], progress: Progress, batch: int = 64) -> np.ndarray:
    out = []
    for i in range(0, len(texts), batch):
        out.append(emb.encode(texts[i:i + batch], batch))
        progress("embedding anchors", min(i + batch, len(texts)), len(texts))
    return np.concatenate(out) if out else np.zeros((0, emb.dim), np.float32)

def save(ts: TripletSet, path: Path, cfg: FinetuneConfig) -> TripletSet:
    """JSONL: a header line (the artifact envelope), then one triplet per line."""
    header = {"artifact": KIND, "schema": VERSION,
              "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "config": cfgmod.to_dict(cfg), "passages": ts.passages, "counts": ts.counts}
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(asdict(t), ensure_ascii=False) for t in ts.triplets]
    blob = ("\n".join(lines) + "\n").encode()
    artifacts.write_atomic(path, blob)
    return TripletSet(ts.triplets, ts.passages, ts.counts, hashlib.sha256(blob).hexdigest())

def load(path: Path) -> TripletSet:
    try:
        blob = Path(path).read_bytes()
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing (run `lectern finetune --triplets-only` first)") from None
    lines = blob.decode().splitlines()
    try:
        header = json.loads(lines[0])
        if header.get("artifact") != KIND or header.get("schema") != VERSION:
            raise ArtifactError(f"{path}: not a {KIND} file of schema {VERSION}")
        triplets = tuple(Triplet(**json.loads(line)) for line in lines[1:] if line.strip())
    except (json.JSONDecodeError, TypeError, IndexError) as e:
        raise ArtifactError(f"{path}: unreadable ({e})") from None
    return TripletSet(triplets, header.get("passages", 0), header.get("counts", {}),
                      hashlib.sha256(blob).hexdigest())
