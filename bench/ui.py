"""Latency of the web app as a student sees it, measured in the browser.

Builds the corpus library (sentence TSVs stand in for ASR, real media, real
index), starts `lectern serve` on 127.0.0.1, and asks dev questions in
headless Chromium, each in a fresh page (a new conversation). The page itself
records the times (ui/static/lectern.js): Enter -> first word of the answer,
Enter -> first sound of the instructor's voice.

    .venv/bin/python bench/ui.py [--questions d01 d02 d05] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from test_index_corpus import build_corpus_library, dev_questions
from test_ui_browser import CHROMIUM, CHROMIUM_ARGS, Server


def ask(page, url: str, question: str) -> dict:
    page.goto(url + "/", wait_until="load")
    page.wait_for_function("window.lecternInstalled === true")
    box = page.locator("#lectern-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function("window.lecternTimings.firstSound !== null", timeout=600_000)
    t = page.evaluate("window.lecternTimings")
    return {"first_word_s": round(t["firstWord"] / 1000, 2), "first_sound_s": round(t["firstSound"] / 1000, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", nargs="+", default=["d01", "d02", "d05"])
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from index.indexer import index_library
    qs = {q["id"]: q for q in dev_questions()}
    with tempfile.TemporaryDirectory() as tmp:
        lib = build_corpus_library(Path(tmp) / "library")
        index_library(lib)
        from index.config import load_config
        from index.indexer import store_path
        from index.store import close_store
        cfg = load_config(lib)
        close_store("", store_path(lib, cfg), cfg.engine)   # the server process opens it next
        server = Server(lib.root, Path(tmp) / "serve.log")
        rows = []
        try:
            server.wait()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for qid in args.questions:
                    page = browser.new_page()
                    rows.append({"id": qid, **ask(page, server.url, qs[qid]["question"])})
                    print(rows[-1], flush=True)
                    page.close()
                browser.close()
        finally:
            server.stop()
    for key in ("first_word_s", "first_sound_s"):
        print(f"{key}: median {statistics.median(r[key] for r in rows):.2f} s over {len(rows)} questions")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ui.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
