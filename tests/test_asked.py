"""The question log: survives a restart and many writers at once, and never stores who asked."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

from study.asked import Log, insights, peaks, timeline, to_csv
from tests.conftest import REPO, lectern

WRITER = """
import sys
sys.path.insert(0, {repo!r})
from study.asked import Log
log = Log({root!r})
for i in range(50):
    log.record(f"p{{i}}", f"process question {{i}}", "an answer", False, [("L02", 96.0 + i, 100.0)])
log.close()
"""


def test_students_at_once_a_second_process_and_a_restart_lose_nothing(tmp_path):
    log = Log(tmp_path)

    def student(s: int):
        for i in range(25):
            log.record(f"t{s}-{i}", f"question {s}-{i}", "answer", i % 5 == 0, [("L01", 60.0 * i, 60.0 * i + 9)])

    threads = [threading.Thread(target=student, args=(s,)) for s in range(8)]
    other = subprocess.Popen([sys.executable, "-c", WRITER.format(repo=str(REPO), root=str(tmp_path))])
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other.wait(60) == 0
    assert log.rate("t3-7", False) and log.rate("t1-1", True) and not log.rate("nope", True)
    log.close()
    rows = Log(tmp_path).all()                          # a restart: everything is there
    assert len(rows) == 8 * 25 + 50
    assert sum(r.refused for r in rows) == 8 * 5
    assert [r.question for r in rows if r.rating == -1] == ["question 3-7"]
    db = sqlite3.connect(tmp_path / "asked.sqlite")
    columns = [c[1] for c in db.execute("PRAGMA table_info(asked)")]
    assert columns == ["id", "at", "question", "answer", "refused", "citations", "rating"]  # no identity
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_timeline_counts_cited_minutes_and_keeps_the_questions_behind_them(tmp_path):
    log = Log(tmp_path)
    log.record("a", "Why does the bob not rise higher?", "…", False, [("P", 62.0, 70.0), ("P", 130.0, 140.0)])
    log.record("b", "Where does the energy go?", "…", False, [("P", 75.0, 80.0)])
    log.record("c", "Who won the cup?", "The lectures don't cover this.", True, [])
    log.rate("b", False)
    rows = log.all()
    minutes = timeline(rows)["P"]
    assert [(m.minute, m.count) for m in minutes] == [(1, 2), (2, 1)]
    assert set(minutes[0].questions) == {"Why does the bob not rise higher?", "Where does the energy go?"}
    assert peaks(rows, 1)[0].minute == 1
    data = insights(rows)
    assert [r["question"] for r in data["refused"]] == ["Who won the cup?"]
    assert [r["question"] for r in data["marked_wrong"]] == ["Where does the energy go?"]
    assert to_csv(rows).splitlines()[0] == "at,question,answer,refused,citations,rating"
    log.close()
    out = tmp_path / "asked.csv"
    proc = lectern("insights", "--csv", str(out), home=tmp_path, check=True)
    assert "3 questions asked; 1 not covered by the lectures; 1 answers marked wrong" in proc.stdout
    assert "P 1:00-1:59  cited 2x" in proc.stdout
    assert len(out.read_text().splitlines()) == 4
