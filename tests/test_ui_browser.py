"""The web app in a real browser: Debian's Chromium, headless, driven by Playwright.

The library is the 5-lecture corpus built by test_index_corpus.build_corpus_library:
transcripts written from the exact sentence TSVs stand in for ASR (which is not
under test here); the media files are the real ones (linked), and the index is
built by the real index/ package. The server is the real `lectern serve` code
in its own process: real gradio, real assistant (llama.cpp), real voice (Piper).
One question is asked (the model's answer takes seconds on 2 cores).

Each test saves a screenshot to $LECTERN_SCREENSHOTS or tests/artifacts/; the
chat test also writes the measured latencies to ui-timings.json there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_index_corpus import corpus_lib, dev_questions, needs_corpus  # noqa: F401

from tests.conftest import lectern

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LECTERN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery staple"
START_TIMEOUT_S = 240     # model + index + voice load on a busy 2-core machine


def artifacts() -> Path:
    """Where screenshots and timings go ($LECTERN_SCREENSHOTS, else tests/artifacts/)."""
    out = Path(os.environ.get("LECTERN_SCREENSHOTS") or REPO / "tests" / "artifacts")
    out.mkdir(parents=True, exist_ok=True)
    return out


def shot(page, name: str) -> Path:
    path = artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path, log: Path, videos: int = 5, args: tuple[str, ...] = ()):
        self.home, self.videos = home, videos
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "LECTERN_HOME": str(home), "LECTERN_INSTRUCTOR_PASSWORD": PASSWORD}
        self._out = open(log, "w")  # noqa: SIM115 - open while the server runs; closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lectern.cli.serve", "--host", "127.0.0.1",
             "--port", str(self.port), *args], cwd=REPO, env=env, stdout=self._out,
            stderr=subprocess.STDOUT)

    def wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"lectern serve exited {self.proc.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:
                    health = json.load(r)
                    assert health["videos"] == self.videos, health
                    return
            except OSError:
                time.sleep(1)
        raise AssertionError(f"lectern serve did not start in {START_TIMEOUT_S} s:\n{self.tail()}")

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._out.close()


def browser_or_skip():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/setup-browser.sh installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed")
    return sync_playwright


def http(url: str, method: str = "GET", body: dict | None = None,
         headers: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


@pytest.fixture(scope="module")
def server(corpus_lib, tmp_path_factory):  # noqa: F811
    browser_or_skip()   # no point starting the app without a browser to drive it
    # The server gets its own copy of the library: embedded Qdrant allows one
    # process per folder, and this one already has the corpus index open.
    tmp = tmp_path_factory.mktemp("serve")
    home = tmp / "library"
    corpus_lib.catalog.db.execute("PRAGMA wal_checkpoint(FULL)")   # the copy sees every write
    shutil.copytree(corpus_lib.root, home, symlinks=True, ignore=shutil.ignore_patterns("ingest.lock"))
    srv = Server(home, tmp / "serve.log")
    try:
        srv.wait()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def browser():
    sync_playwright = browser_or_skip()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    failed = request.session.testsfailed
    yield pg
    if request.session.testsfailed > failed:  # what the page showed, and what the server said
        shot(pg, f"FAILED-{request.node.name}")
        print(f"\n--- lectern serve log ---\n{server.tail()}")
    ctx.close()


def _log_in(page, user: str, password: str) -> None:
    """Fill gradio's login form and submit it (the student page with sign-in, or /instructor)."""
    page.locator("input[type='text']").first.fill(user)
    page.locator("input[type='password']").fill(password)
    page.get_by_role("button", name="Login").click()


def _open_student(page, server) -> None:
    page.goto(server.url + "/", wait_until="load")
    page.wait_for_selector("#lectern-question textarea")
    page.wait_for_function("window.lecternInstalled === true")


def _js(page, expr: str):
    return page.evaluate(f"(() => {{ {expr} }})()")


@needs_corpus
def test_question_cites_seeks_and_speaks(server, page):
    """Enter -> streamed answer with a citation -> click -> player at the cited second -> voice."""
    q = next(q for q in dev_questions() if q["id"] == "d01")
    _open_student(page, server)
    box = page.locator("#lectern-question textarea")
    box.fill(q["question"])
    box.press("Enter")
    # Done when the citations are there, or when the answer (and its speech) ended without any.
    page.wait_for_function(
        "document.querySelector('#lectern-chat a.lectern-cite') ||"
        " document.querySelector('.lectern-speech[data-done=\"1\"]')", timeout=300_000)
    answer = page.locator("#lectern-chat [data-testid='bot']").last.inner_text()
    chip = page.locator("#lectern-chat a.lectern-cite").first
    assert page.locator("#lectern-chat a.lectern-cite").count() >= 1, answer
    assert "[1]" in answer and len(answer.split()) > 3, answer
    href = chip.get_attribute("href")
    cited = float(href.split("t=")[1].split("&")[0])
    assert chip.inner_text().endswith(f"{int(cited) // 60}:{int(cited) % 60:02d}")

    chip.click()
    page.wait_for_function("window.lecternSeek !== undefined", timeout=60_000)
    seek = page.evaluate("window.lecternSeek")
    assert abs(seek["landed"] - cited) <= 2.0, seek
    now = _js(page, "const v = document.getElementById('lectern-player');"
                    "return [v.currentTime, v.src, v.readyState];")
    assert now[1].endswith("/media/" + seek["video"]) and now[2] >= 1

    # The voice: a playable WAV of non-zero duration in the audio element, labelled synthesized.
    page.wait_for_function(
        "(() => { const a = document.getElementById('lectern-voice');"
        " return a && a.currentSrc && a.readyState >= 1 && a.duration > 0; })()", timeout=180_000)
    src, duration = _js(page, "const a = document.getElementById('lectern-voice');"
                              "return [a.currentSrc, a.duration];")
    assert "/speech/" in src and duration > 0.3
    assert "ynthesized" in page.locator("#lectern-voice-label").inner_text()
    page.wait_for_function("window.lecternTimings.firstSound !== null", timeout=180_000)
    timings = page.evaluate("window.lecternTimings")
    assert 0 < timings["firstWord"] <= timings["firstSound"], timings
    record = {"question": q["id"], "enter_to_first_word_s": round(timings["firstWord"] / 1000, 2),
              "enter_to_first_sound_s": round(timings["firstSound"] / 1000, 2),
              "cited_second": cited, "seek_landed": round(seek["landed"], 2), "speech_src": src,
              "speech_seconds": round(duration, 2)}
    (artifacts() / "ui-timings.json").write_text(json.dumps(record, indent=1))
    print("\nbrowser timings:", record)
    shot(page, "student-answer-cited-seeked")


@needs_corpus
def test_lecture_browser_search_and_seek(server, page):
    _open_student(page, server)
    page.get_by_role("tab", name="Lectures").click()
    page.locator("#lectern-lecture input").click()
    page.get_by_role("option", name="Bringing PyTorch models to microcontrollers").first.click()
    info = page.locator("#lectern-lecture-info")
    info.get_by_text("Bringing PyTorch models to microcontrollers with ExecuTorch").wait_for()
    assert "13:04" in info.inner_text()          # 784.1 s
    search = page.locator("#lectern-transcript-search textarea, #lectern-transcript-search input").first
    search.fill("aot export")   # case-insensitive: "the AOT export"
    search.press("Enter")
    hit = page.locator("#lectern-transcript mark").first
    hit.wait_for()
    lines = page.locator("#lectern-transcript li")
    assert lines.count() == 1 and "AOT export" in lines.first.inner_text()
    line_chip = lines.first.locator("a.lectern-line")
    start = float(line_chip.get_attribute("href").split("t=")[1].split("&")[0])
    line_chip.click()
    page.wait_for_function("window.lecternSeek !== undefined")
    seek = page.evaluate("window.lecternSeek")
    assert start == 217.98 and seek["video"] == "L02" and abs(seek["landed"] - start) <= 2.0, seek
    shot(page, "lecture-browser-search-seek")


@needs_corpus
def test_quiz_me_a_wrong_answer_shows_the_chip_that_plays_the_moment(server, page):
    """Quiz me -> a checked quiz -> pick a wrong choice -> "Not quite" and the answer -> its chip
    plays the cited second."""
    _open_student(page, server)
    page.get_by_role("tab", name="Lectures").click()
    page.locator("#lectern-lecture input").click()
    page.get_by_role("option", name="Bringing PyTorch models to microcontrollers").first.click()
    page.locator("#lectern-lecture-info").get_by_text("Bringing PyTorch models").first.wait_for()
    # the study guide: key terms as chips, and the guide as a Markdown download
    assert page.locator("#lectern-lecture-info a.lectern-term").count() >= 5
    with page.expect_download() as download:
        page.locator("#lectern-guide").click()
    guide = Path(download.value.path()).read_text()
    assert "## Key terms" in guide and guide.startswith("# Bringing PyTorch models")
    with page.expect_download() as download:
        page.locator("#lectern-guide-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    page.locator("#lectern-quiz-me").click()
    page.locator("#lectern-quiz .lectern-quiz-item").first.wait_for(timeout=300_000)
    item = page.locator("#lectern-quiz .lectern-quiz-item").filter(
        has=page.locator("a.lectern-quiz-right")).first
    question = item.locator(".lectern-quiz-q").inner_text()
    item.locator("a.lectern-quiz-choice:not(.lectern-quiz-right)").first.click()
    feedback = item.locator(".lectern-quiz-feedback")
    feedback.wait_for(state="visible")
    right = item.locator("a.lectern-quiz-right").inner_text()
    assert feedback.inner_text().startswith(f"Not quite. The answer is {right}."), feedback.inner_text()
    assert item.locator("a.lectern-quiz-wrong").count() == 1
    chip = feedback.locator("a.lectern-cite")
    cited = float(chip.get_attribute("href").split("t=")[1].split("&")[0])
    chip.click()
    page.wait_for_function("window.lecternSeek !== undefined")
    seek = page.evaluate("window.lecternSeek")
    assert seek["video"] == "L02" and abs(seek["landed"] - cited) <= 2.0, (question, seek)
    shot(page, "quiz-wrong-answer-seeks")


@needs_corpus
def test_a_quiz_over_two_lectures_takes_questions_from_each_and_its_chips_play_each_lecture(server, page):
    _open_student(page, server)
    page.get_by_role("tab", name="Lectures").click()
    several = page.locator("#lectern-quiz-lectures input")
    for title in ("Scaling speech models on affordable GPUs", "Bringing PyTorch models to microcontrollers"):
        several.click()
        page.get_by_role("option", name=title).first.click()
    several.press("Escape")   # a multiselect's list stays open over the button
    page.locator("#lectern-quiz-several").click()
    page.locator("#lectern-quiz .lectern-quiz-item").first.wait_for(timeout=300_000)
    assert "over 2 lectures" in page.locator("#lectern-quiz").inner_text()
    chips = page.locator("#lectern-quiz a.lectern-cite")
    videos = {re.search(r"v=(\w+)", chips.nth(i).get_attribute("href")).group(1)
              for i in range(chips.count())}
    assert videos == {"L01", "L02"}, videos
    item = page.locator("#lectern-quiz .lectern-quiz-item").nth(1)   # in turn: the 2nd is L02's
    item.locator("a.lectern-quiz-choice").first.click()
    feedback = item.locator(".lectern-quiz-feedback")
    feedback.wait_for(state="visible")
    chip = feedback.locator("a.lectern-cite")
    assert "Bringing PyTorch models" in chip.inner_text()
    cited = float(chip.get_attribute("href").split("t=")[1].split("&")[0])
    chip.click()
    page.wait_for_function("window.lecternSeek !== undefined")
    seek = page.evaluate("window.lecternSeek")
    assert seek["video"] == "L02" and abs(seek["landed"] - cited) <= 2.0, seek
    shot(page, "quiz-over-two-lectures")


@needs_corpus
def test_the_instructor_sees_the_refused_question_just_asked_and_the_citation_timeline(server, page):
    """A student's question the lectures do not cover, marked wrong -> the instructor's
    "What students ask" tab lists it, and plots how often each minute is cited."""
    off_topic = "Which team won the 1998 football World Cup final in Paris?"
    _open_student(page, server)
    box = page.locator("#lectern-question textarea")
    box.fill(off_topic)
    box.press("Enter")
    page.locator("#lectern-chat [data-testid='bot']").last.get_by_text("don't cover").first.wait_for(
        timeout=300_000)
    dislike = page.locator("#lectern-chat button[aria-label*='islike' i]").last
    dislike.click()
    page.goto(server.url + "/instructor/", wait_until="load")
    _log_in(page, "instructor", PASSWORD)
    page.locator("#lectern-ingest").wait_for()
    page.get_by_role("tab", name="What students ask").click()
    refused = page.locator("#lectern-asked .lectern-asked-refused")
    refused.get_by_text(off_topic).wait_for()
    page.locator("#lectern-asked .lectern-asked-wrong").get_by_text(off_topic).wait_for()
    assert "cited" in page.locator("#lectern-asked").inner_text()   # earlier answers' citations
    page.locator("#lectern-asked-plot canvas, #lectern-asked-plot svg").first.wait_for()
    shot(page, "instructor-what-students-ask")


def _instructor(page, server, tab: str) -> None:
    """The instructor page at `tab`, logging in unless this browser already did."""
    page.goto(server.url + "/instructor/", wait_until="load")
    page.locator("#lectern-ingest, input[type='password']").first.wait_for()
    if page.locator("input[type='password']").count():
        _log_in(page, "instructor", PASSWORD)
    page.locator("#lectern-ingest").wait_for()
    page.get_by_role("tab", name=tab).click()


def _ask(page, server, question: str) -> str:
    _open_student(page, server)
    before = page.locator("#lectern-chat [data-testid='bot']").count()
    box = page.locator("#lectern-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(   # the answer's chips (or its refusal) are the end of it
        f"document.querySelectorAll('#lectern-chat [data-testid=\"bot\"]').length > {before} &&"
        " (document.querySelector('#lectern-chat a.lectern-cite') ||"
        "  /cover/.test([...document.querySelectorAll('#lectern-chat [data-testid=\"bot\"]')].pop()"
        "  .innerText))", timeout=300_000)
    return page.locator("#lectern-chat [data-testid='bot']").last.inner_text()


@needs_corpus
def test_a_question_that_is_an_assignment_task_gets_a_hint_with_chips_and_no_solution(server, page):
    """The instructor registers an assignment in the panel; a student asking one of its tasks gets
    the concepts it needs with chips that play where the lectures teach them, and no solution;
    with hint mode switched off the same question is answered like any other."""
    title, text = (REPO / "tests" / "data" / "assignment.md").read_text().split("\n", 1)
    _instructor(page, server, "Assignments")
    page.locator("#lectern-asg-title input, #lectern-asg-title textarea").first.fill(title.lstrip("# "))
    page.locator("#lectern-asg-text textarea").fill(text)
    page.locator("#lectern-asg-add").click()
    page.locator("#lectern-asg-note").get_by_text("5 task(s), hint mode on").wait_for()
    page.locator("#lectern-asg-list").get_by_text("Serving speech models on a budget").wait_for()
    shot(page, "instructor-assignment-registered")

    q = ("How can quantization and double buffering help my keyword spotting model meet its "
         "latency budget on the RISC-V microcontroller?")
    answer = _ask(page, server, q)
    assert "instead of a solution" in answer and "double buffering" in answer, answer
    assert not re.search(r"\d", re.sub(r"\[\d+\]|Assignment 3|RISC-V|\d+:\d\d", "", answer)), answer
    chips = page.locator("#lectern-chat a.lectern-cite")
    assert chips.count() >= 3
    chip = chips.last
    cited = float(chip.get_attribute("href").split("t=")[1].split("&")[0])
    chip.click()
    page.wait_for_function("window.lecternSeek !== undefined")
    seek = page.evaluate("window.lecternSeek")
    assert abs(seek["landed"] - cited) <= 2.0, seek
    shot(page, "student-assignment-hint")

    _instructor(page, server, "Assignments")
    box = page.locator("#lectern-asg-hints input[type='checkbox']").first
    box.wait_for()
    box.uncheck()
    page.locator("#lectern-asg-note").get_by_text("hint mode on for 0 assignment(s)").wait_for()
    answer = _ask(page, server, q)
    assert "instead of a solution" not in answer, answer


@needs_corpus
def test_instructor_page_needs_login(server, page):
    page.goto(server.url + "/instructor/", wait_until="load")
    pw = page.locator("input[type='password']")
    pw.wait_for()
    assert page.locator("#lectern-ingest").count() == 0   # no instructor controls before login
    _log_in(page, "instructor", "wrong password")
    page.get_by_text("Incorrect").first.wait_for()
    assert page.locator("#lectern-ingest").count() == 0
    shot(page, "instructor-login-refused")

    _log_in(page, "instructor", PASSWORD)
    page.locator("#lectern-ingest").wait_for()
    table = page.locator("#lectern-status")
    table.get_by_text("L05").first.wait_for()
    # An upload that is not media is refused before it reaches the library.
    bad = artifacts() / "not-media.txt"
    bad.write_text("this is not a lecture\n" * 50)
    with page.expect_file_chooser() as chooser:
        page.get_by_text("Click to Upload").first.click()
    chooser.value.set_files(str(bad))
    # uploaded (to the server's temp folder); on a loaded 2-core CI box this took over 60 s once
    page.get_by_text("not-media.txt").first.wait_for(timeout=180_000)
    page.locator("#lectern-ingest").click()
    page.get_by_text("not an audio or video file").first.wait_for()
    assert not (server.home / "uploads" / "not-media.txt").exists()
    shot(page, "instructor-logged-in-upload-refused")


@needs_corpus
def test_instructor_api_refuses_without_credentials(server, page):
    """Direct HTTP calls: the instructor app answers 401 to everything without the login cookie."""
    base = server.url + "/instructor"
    for path in ("/config", "/gradio_api/info", "/gradio_api/openapi.json"):
        code, body = http(base + path)
        assert code == 401, (path, code, body[:200])
    for fn_index in range(30):  # every instructor handler (20 now), by index, through the queue
        code, body = http(base + "/gradio_api/queue/join", "POST",
                          {"data": [], "fn_index": fn_index, "session_hash": "intruder"})
        assert code == 401, (fn_index, code, body[:200])
    code, _ = http(base + "/gradio_api/upload", "POST", {})
    assert code == 401
    code, _ = http(base + "/gradio_api/call/poll", "POST", {"data": []})
    assert code == 401
    # The student app's API has only the students' endpoints: none of the instructor's (a quiz
    # reads its lecture's cache, or writes it once).
    code, body = http(server.url + "/gradio_api/info")
    assert code == 200
    named = set(json.loads(body)["named_endpoints"])
    assert named == {"/ask", "/lecture", "/transcript", "/quiz", "/quiz_lectures"}, named
    # Media: only a catalogued video's own file; no path tricks.
    assert http(server.url + "/media/L01")[0] == 200
    for bad in ("/media/..%2Fcatalog.sqlite", "/media/L01%2F..%2F..%2Fcatalog.sqlite",
                "/media/nope", "/speech/..%2F..%2Fcatalog.sqlite/0.wav", "/speech/abc/0.wav"):
        assert http(server.url + bad)[0] == 404, bad
    page.goto(base + "/gradio_api/info", wait_until="load")
    assert "Not authenticated" in page.content()
    shot(page, "instructor-api-401")


@needs_corpus
def test_students_asking_at_once_all_get_answers_and_health_stays_fast(server):
    """Four gradio_client sessions at once against the real server (the load test; bench/load.py
    runs a class of twenty). One turned speech off: it gets its answer and costs no synthesis."""
    import threading

    from gradio_client import Client

    questions = [q["question"] for q in dev_questions() if q.get("answerable", True)][:4]
    results: dict[int, tuple] = {}
    health: list[float] = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            t0 = time.perf_counter()
            status, _ = http(server.url + "/healthz")
            health.append(time.perf_counter() - t0 if status == 200 else float("inf"))
            stop.wait(0.5)

    def student(i: int):
        try:
            client = Client(server.url + "/", verbose=False)
            results[i] = client.predict(questions[i], [], i != 3, api_name="/ask")
        except Exception as e:   # noqa: BLE001 - reported by the assertion below
            results[i] = e

    poller = threading.Thread(target=poll)
    poller.start()
    students = [threading.Thread(target=student, args=(i,)) for i in range(4)]
    for s in students:
        s.start()
    for s in students:
        s.join(600)
    stop.set()
    poller.join()
    errors = {i: r for i, r in results.items() if isinstance(r, Exception)}
    assert len(results) == 4 and not errors, errors
    for i, (_, history, speech) in results.items():
        content = history[-1]["content"]
        text = " ".join(c.get("text", "") for c in content) if isinstance(content, list) else content
        assert len(text) > 20, (questions[i], text)
        spoken = re.search(r'data-turn="[0-9a-f]{32}"', speech) is not None
        assert spoken == (i != 3), (i, speech)   # speech off: no speech job, nothing synthesized
    assert max(health) < 2.0, f"/healthz took {max(health):.2f} s under load"


@needs_corpus
def test_with_sign_in_on_students_sign_in_and_the_log_keeps_who_asked(corpus_lib, browser,  # noqa: F811
                                                                      tmp_path):
    """`serve --sign-in`: without an account nothing is served (page, API, media); a student
    who signs in asks, and the question log holds their account name (the default server, no
    sign-in, stores none: test_asked). Sign-in on with no accounts is a configuration error."""
    home = tmp_path / "library"
    corpus_lib.catalog.db.execute("PRAGMA wal_checkpoint(FULL)")
    shutil.copytree(corpus_lib.root, home, symlinks=True,
                    ignore=shutil.ignore_patterns("ingest.lock", "asked.sqlite*"))
    refused = subprocess.run([sys.executable, "-m", "lectern.cli.serve", "--sign-in"], cwd=REPO,
                             env={**os.environ, "LECTERN_HOME": str(home)}, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 2 and "lectern students add NAME" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    lectern("students", "add", "ada.l@uni.example", "--password-stdin", home=home, check=True,
            input="analytical engine\n")
    srv = Server(home, tmp_path / "serve.log", args=("--sign-in",))
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        srv.wait()
        assert http(srv.url + "/media/L01")[0] == 401           # media and the API need a student
        assert http(srv.url + "/gradio_api/info")[0] == 401
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        page.goto(srv.url + "/", wait_until="load")
        pw = page.locator("input[type='password']")
        pw.wait_for()
        _log_in(page, "ada.l@uni.example", "analytical engin")
        page.get_by_text("Incorrect").first.wait_for()
        assert page.locator("#lectern-question").count() == 0
        shot(page, "student-sign-in")
        _log_in(page, "Ada.L@uni.example", "analytical engine")   # names ignore case
        page.locator("#lectern-question textarea").wait_for()   # signed in: the chat page
        question = "Which team won the 1998 football World Cup final in Paris?"
        assert "cover" in _ask(page, srv, question)
        assert ctx.request.get(srv.url + "/media/L01").status == 200   # the page's cookie plays it
        shot(page, "student-signed-in-answer")
        _instructor(page, srv, "What students ask")   # the instructor sees who asked
        page.locator("#lectern-asked .lectern-asked-refused .lectern-asked-by").get_by_text(
            "ada.l@uni.example").wait_for()
        shot(page, "instructor-sees-who-asked")
    finally:
        ctx.close()
        srv.stop()
    db = sqlite3.connect(home / "asked.sqlite")
    rows = db.execute("SELECT question, student FROM asked").fetchall()
    assert rows == [(question, "ada.l@uni.example")], rows
