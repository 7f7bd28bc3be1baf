"""Where an answer's time goes on this machine, and what llama.cpp's prefix reuse saves.

    .venv/bin/python bench/answer_time.py --library DIR [--n 12]

For answerable dev questions (../shared/questions/dev.jsonl) against an
ingested library, with the default assistant settings:
  - the prompt's size in tokens: the fixed system prefix, and all of it;
  - retrieval, first token and whole answer, p50, with the system prefix kept in
    llama.cpp's context between questions (what the app does: `Assistant.warm`
    reads it once, and llama-cpp-python reuses the longest common prefix of
    consecutive prompts), and with the context reset before each question (no reuse);
  - prompt reading speed (tokens/s) and generation speed, from llama.cpp's own timer.
Alternating warm/cold per question, so drift hits both alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant import prompt  # noqa: E402
from assistant.answer import Assistant  # noqa: E402
from lectern.library import Library  # noqa: E402


def p50(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--library", type=Path, required=True)
    ap.add_argument("--n", type=int, default=12)
    a = ap.parse_args()
    dev = [json.loads(line) for line in (REPO.parent / "shared/questions/dev.jsonl").open()]
    questions = [q["question"] for q in dev if q.get("answerable", True)][:a.n]
    asst = Assistant.open(Library(a.library))
    asst.warm()
    llama = asst.llm.llama
    system = asst.llm.count_tokens(prompt.SYSTEM)
    rows: dict[str, dict[str, list[float]]] = {m: {"retrieve": [], "first": [], "total": [],
                                                   "prompt_tokens": []} for m in ("warm", "cold")}
    for i, q in enumerate(questions):
        for mode in (("warm", "cold") if i % 2 == 0 else ("cold", "warm")):
            if mode == "cold":
                llama.reset()           # forget the cached prefix: the whole prompt is read again
            else:
                asst.warm()             # the system prefix is what the context holds
            ans = asst.ask(q)
            if ans.refused or not ans.timings.llm_used:
                continue
            r = rows[mode]
            r["retrieve"].append(ans.timings.retrieve_s)
            r["first"].append(ans.timings.first_token_s)
            r["total"].append(ans.timings.total_s)
            r["prompt_tokens"].append(llama.n_tokens)
            r.setdefault("gen", []).append((asst.llm.count_tokens(ans.text), ans.timings.total_s
                                            - ans.timings.first_token_s))
    # prompt reading speed on one prompt-sized text, from a cold context
    text = llama.tokenize((prompt.SYSTEM + " " + " ".join(questions)).encode() * 3)[:600]
    llama.reset()
    t0 = time.perf_counter()
    llama.eval(text)
    read_tps = len(text) / (time.perf_counter() - t0)
    llama.reset()
    gen_tokens = sum(n for n, _ in rows["warm"].get("gen", []))
    gen_s = sum(s for _, s in rows["warm"].get("gen", [])) or float("nan")
    print(f"system prefix {system} tokens; prompt + answer p50 "
          f"{p50(rows['warm']['prompt_tokens']):.0f} tokens in context at the end")
    for mode in ("warm", "cold"):
        r = rows[mode]
        print(f"prefix={mode:<4} n={len(r['first'])} retrieve_p50_ms={1000 * p50(r['retrieve']):.0f} "
              f"first_token_p50_s={p50(r['first']):.2f} answer_p50_s={p50(r['total']):.2f}")
    w, c = p50(rows["warm"]["first"]), p50(rows["cold"]["first"])
    print(f"prefix reuse saves {c - w:.2f} s of first token ({(c - w) / c:.0%}); "
          f"prompt read at {read_tps:.0f} tokens/s; after the first token {gen_tokens / gen_s:.1f} "
          f"tokens/s of answer (generation with the sentence checks)")


if __name__ == "__main__":
    main()
