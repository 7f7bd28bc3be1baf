"""The question log: survives a restart and many writers at once, and stores who asked only
with sign-in on; the roster of student accounts that sign-in checks."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest

from study.asked import Log, insights, peaks, timeline, to_csv
from study.roster import Roster, RosterError
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
    assert columns == ["id", "at", "question", "answer", "refused", "citations", "rating", "student"]
    assert db.execute("SELECT COUNT(*) FROM asked WHERE student IS NOT NULL").fetchone()[0] == 0
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
    assert "3 questions asked; 1 not covered by the lectures; 1 answer marked wrong" in proc.stdout
    assert "P 1:00-1:59  cited 2x" in proc.stdout
    assert len(out.read_text().splitlines()) == 4


def test_a_log_from_before_sign_in_is_migrated_and_names_appear_only_where_given(tmp_path):
    db = sqlite3.connect(tmp_path / "asked.sqlite")   # the log as version 2 wrote it
    db.execute("CREATE TABLE asked (id TEXT PRIMARY KEY, at REAL NOT NULL, question TEXT NOT NULL, "
               "answer TEXT NOT NULL, refused INTEGER NOT NULL, citations TEXT NOT NULL, rating INTEGER)")
    db.execute("CREATE INDEX asked_at ON asked(at)")
    db.execute("INSERT INTO asked VALUES ('old', 1.0, 'an old question', 'a', 0, '[]', -1)")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    log = Log(tmp_path)
    log.record("new", "Why is the window 25 ms?", "…", False, [("L04", 30.0, 40.0)], student="ada")
    rows = {r.id: r for r in log.all()}
    assert rows["old"].question == "an old question" and rows["old"].student is None
    assert rows["new"].student == "ada"
    lines = to_csv(log.all()).splitlines()
    assert lines[0].endswith(",rating,student") and lines[1].endswith(",ada")
    wrong = insights(log.all())["marked_wrong"]
    assert [(r["question"], r["student"]) for r in wrong] == [("an old question", None)]
    log.close()


def test_the_roster_checks_passwords_and_refuses_names_it_cannot_use(tmp_path):
    roster = Roster(tmp_path)
    roster.add("ada.lovelace@uni.example", "analytical engine")
    assert roster.check("ada.lovelace@uni.example", "analytical engine")
    assert roster.check("Ada.Lovelace@uni.example", "analytical engine")   # names ignore case
    assert roster.signed_in_name("ADA.lovelace@uni.example") == "ada.lovelace@uni.example"
    assert not roster.check("ada.lovelace@uni.example", "analytical engin")
    assert not roster.check("nobody", "analytical engine") and not roster.check("", "")
    roster.add("ada.lovelace@uni.example", "difference engine")   # a new password
    assert not roster.check("ada.lovelace@uni.example", "analytical engine")
    assert roster.check("ada.lovelace@uni.example", "difference engine")
    for name, password, why in (("two words", "long enough", "letters, digits"),
                                ("instructor", "long enough", "instructor's"),
                                ("x" * 65, "long enough", "1-64"), ("<b>", "long enough", "letters"),
                                ("bob", "short", "at least 8")):
        with pytest.raises(RosterError, match=why):
            roster.add(name, password)
    raw = (tmp_path / "students.sqlite").read_bytes()
    assert b"difference engine" not in raw                       # only the hash is stored
    assert [s.name for s in roster.all()] == ["ada.lovelace@uni.example"]
    assert roster.remove("ada.lovelace@uni.example") and not roster.remove("ada.lovelace@uni.example")
    roster.close()
