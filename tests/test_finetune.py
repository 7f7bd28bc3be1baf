"""Fine-tuning: triplet mining, training, the promotion gate, promote and rollback.

Real components throughout: the lectures' transcripts (built from the corpus'
sentence files, standing in for ASR, see test_index_corpus.py), the real
0.5B LLM writing anchors, sentence-transformers training, embedded Qdrant and
the CLI. Models are trained for a handful of steps: these tests check the
machinery; bench/finetune.py measures what a full run gains.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import lectern, shared
from test_index_corpus import build_corpus_library

from finetune import anchors as an
from finetune import triplets as tr
from finetune.config import load_config
from finetune.train import batches, train
from index.config import load_config as load_index_config
from lectern import config as cfgmod
from lectern.library import Library

SHORT = ("L01", "L04")  # the two shortest lectures: 13 minutes
FAST = {"llm": "", "batch_size": 8, "max_seq_length": 128, "epochs": 1}


@pytest.fixture(scope="module")
def small_lib(tmp_path_factory):
    shared("corpus")
    root = tmp_path_factory.mktemp("ft") / "library"
    lib = build_corpus_library(root, SHORT)
    (root / "config.json").write_text(json.dumps({"finetune": FAST}))
    return lib


@pytest.fixture(scope="module")
def mined(small_lib):
    cfg = load_config(small_lib)
    return tr.save(tr.mine(small_lib, cfg), small_lib.root / "finetune" / "triplets.jsonl", cfg)


def test_mined_triplets_are_sound(small_lib, mined):
    passages, _ = tr.course_passages(small_lib, load_index_config(small_lib))
    durations = {v.id: v.duration for v in small_lib.videos()}
    ts = mined.triplets
    assert len(ts) > 50
    assert {t.kind for t in ts} >= {an.SENTENCE, an.KEYWORDS}
    cfg = load_config(small_lib)
    per_anchor = {}
    for t in ts:
        per_anchor.setdefault(t.anchor, set()).add((t.negative_video_id, t.negative_start))
    # deduplicated: each anchor once per hard negative, its negatives all different
    assert sum(len(v) for v in per_anchor.values()) == len(ts)
    assert max(len(v) for v in per_anchor.values()) == cfg.negatives_per_anchor
    heldout = [(t.video_id, t.start, t.end) for t in ts if t.split == tr.HELDOUT]
    assert heldout and len(heldout) < len(ts)
    for t in ts:
        assert 0 <= t.start < t.end <= durations[t.video_id] + 1
        assert t.start <= t.anchor_start <= t.anchor_end <= t.end
        assert t.anchor != t.positive and t.negative != t.positive
        if t.negative_video_id == t.video_id:  # far from the positive, never overlapping
            assert t.negative_start >= t.end or t.negative_end <= t.start
        if t.split == tr.TRAIN:
            # no training passage, positive or negative, overlaps a held-out one
            for vid, s, e in heldout:
                for v2, s2, e2 in ((t.video_id, t.start, t.end),
                                   (t.negative_video_id, t.negative_start, t.negative_end)):
                    assert not (v2 == vid and s2 < e and e2 > s), (t, vid, s, e)
    # the sentence anchors ("inverse cloze") are removed from their positive
    for t in ts:
        if t.kind == an.SENTENCE:
            assert t.anchor not in t.positive
    # saved with provenance and a hash, and read back identically
    again = tr.load(small_lib.root / "finetune" / "triplets.jsonl")
    assert again.triplets == mined.triplets and again.sha256 == mined.sha256
    assert len(passages) == mined.passages


def test_llm_writes_questions_and_rewordings(small_lib):
    cfg = cfgmod.replace(load_config(small_lib), llm="qwen2.5-0.5b", max_llm_passages=2)
    passages, chapters = tr.course_passages(small_lib, load_index_config(small_lib))
    split = tr.split_passages(passages, cfg)
    anchors, stats = tr.gather_anchors(small_lib, passages, chapters, split, cfg, lambda *a: None)
    llm = [a for a in anchors if a.kind in an.LLM_KINDS]
    assert stats["llm_calls"] + stats["llm_cached"] >= 2
    questions = [a for a in llm if a.kind == an.QUESTION]
    assert questions and all(q.text.endswith("?") and len(q.text.split()) >= 4 for q in questions)
    assert all(a.method == "llm:qwen2.5-0.5b" for a in llm)
    # cached: a second pass makes no LLM call
    _, again = tr.gather_anchors(small_lib, passages, chapters, split, cfg, lambda *a: None)
    assert again["llm_calls"] == 0 and again["llm_cached"] == stats["llm_calls"] + stats["llm_cached"]


def test_batches_never_repeat_a_passage(mined):
    data = mined.split(tr.TRAIN)
    for b in batches(data, 8, seed=1):
        pos = [(t.video_id, t.start) for t in b]
        neg = {(t.negative_video_id, t.negative_start) for t in b}
        assert len(set(pos)) == len(pos) and not set(pos) & neg


def test_parsers_take_only_well_formed_output():
    reply = "Sure, here are 3 questions:\n1. What is TPU?\n2) How fast was the GPU compared to the CPU?\n- ok"
    assert an.parse_questions(reply, 3) == ["How fast was the GPU compared to the CPU?"]
    s = "The model became two times faster on the bigger GPU."
    assert an.parse_rewording('Reworded: "On the larger GPU the model ran twice as fast."', s) == \
        "On the larger GPU the model ran twice as fast."
    assert an.parse_rewording(s, s) is None  # a copy is not a rewording


def test_gate_keeps_a_model_that_is_not_better(small_lib, mined):
    """A model trained with learning rate 0 equals the base: it must not be promoted."""
    import finetune
    cfg = cfgmod.replace(load_config(small_lib), learning_rate=0.0)
    out = finetune.run(small_lib, cfg, train_only=True)
    assert not out.promoted and out.reason.startswith("not promoted")
    assert out.after["held-out"].n > 0
    assert out.after["held-out"].mrr10 == pytest.approx(out.before["held-out"].mrr10, abs=1e-6)
    assert (out.trained.folder / "metrics.json").exists()
    assert load_index_config(small_lib).embedding_model == "all-MiniLM-L6-v2"


def test_promote_then_rollback_switches_what_ask_and_eval_use(small_lib, mined, tmp_path):
    from finetune import registry
    trained = train(mined, load_config(small_lib), registry.models_root(small_lib))
    home = small_lib.root
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(json.dumps({"id": "q1", "question": "How much faster did the model get on "
                                 "the 16 GB GPU?", "gold": [{"lecture": "L01", "start": 366.3,
                                                             "end": 388.43}],
                                 "keywords": ["two"], "answerable": True}) + "\n")

    def collections() -> tuple[str, str]:
        ask = json.loads(lectern("ask", "How much faster was the bigger GPU?", "--json",
                                 home=home, check=True).stdout)
        ev = json.loads(lectern("eval", str(qfile), "--json", home=home, check=True).stdout)
        return ask["collection"], ev["collection"]

    before = collections()
    assert before[0] == before[1] and "minilm" in before[0]
    p = lectern("finetune", "--promote", trained.version, home=home, check=True)
    assert trained.version in p.stdout
    after = collections()
    assert after[0] == after[1] != before[0]
    assert trained.version[:20].lower() in after[0]  # named after the fine-tuned model
    listed = json.loads(lectern("finetune", "--list", "--json", home=home, check=True).stdout)
    assert listed["in_use"] == str(trained.model_path)
    r = lectern("finetune", "--rollback", home=home, check=True)
    assert "rolled back" in r.stdout
    assert collections() == before
    r = lectern("finetune", "--rollback", home=home)
    assert r.returncode == 1 and "no promoted model" in r.stderr


def test_finetune_refuses_an_empty_library(home):
    Library(home)
    p = lectern("finetune", "--no-llm", home=home)
    assert p.returncode == 1 and "passages" in p.stderr
    p = lectern("finetune", "--train-only", home=home)
    assert p.returncode == 1 and "triplets-only" in p.stderr


def test_cli_runs_every_step_and_reports_json(small_lib, mined):
    p = lectern("finetune", "--no-llm", "--no-promote", "--json", home=small_lib.root, check=True)
    out = json.loads(p.stdout)
    assert out["triplets"] == len(mined.triplets)  # the same library mines the same triplets
    saved = small_lib.root / "finetune" / "triplets.jsonl"  # mined again: same triplets, new file
    assert out["triplets_sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest()
    assert tr.load(saved).triplets == mined.triplets
    assert out["model"].startswith("ft-") and out["steps"] > 0 and out["promoted"] is False
    for split in (out["before"], out["after"]):
        assert set(split["held-out"]) == {"n", "recall1", "recall5", "recall10", "mrr10", "ndcg10"}
        assert split["held-out"]["n"] > 0
    assert out["reason"].startswith(("not promoted", "would be promoted"))
    assert out["collection"] == ""  # nothing promoted, the index is unchanged
