"""Trust on a real recording: Walter Lewin's pendulum demonstration (203 s, ../shared).

Ingested for real (faster-whisper, tiny.en for speed), indexed, and asked with
the real 0.5B model. The answer to "why can the bob never come back higher"
must be what the lecturer says, and questions next to the lecture's topic
that it does not answer (tests/data/near_topic.jsonl) must be refused.
About 2 minutes on 2 cores.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from assistant.answer import Assistant
from assistant.evaluate import iter_eval, load_questions, report
from lectern.library import Library

sys.path.insert(0, str(Path(__file__).parent))
from conftest import TEST_MODEL, lectern, shared  # noqa: E402

DATA = Path(__file__).parent / "data"
LECTURE = "audio/lecture/physicsworks_audio.webm"


@pytest.fixture(scope="module")
def physics(tmp_path_factory) -> Assistant:
    media = shared(LECTURE)
    home = tmp_path_factory.mktemp("physics") / "lib"
    lectern("ingest", str(media), "--model", TEST_MODEL, "--no-summary", home=home, check=True)
    a = Assistant.open(Library(home))
    a.warm()
    return a


def test_the_pendulum_answer_is_what_the_lecturer_said(physics):
    a = physics.ask("Why can the pendulum bob never come back higher than where it was released?")
    transcript = " ".join(c.text for c in a.citations).lower()
    assert not a.refused and a.citations, a.text
    assert re.search(r"energy", a.text, re.I) and re.search(r"potential|kinetic|conserv", a.text, re.I)
    # no law he did not state: every rare word of the answer is in what it cites
    for law in ("newton", "inertia", "acceleration", "velocity", "friction"):
        assert law not in a.text.lower() or law in transcript, a.text
    assert all(c.quote for c in a.citations)


def test_near_topic_questions_about_the_lecture_are_refused(physics):
    """Issue 15's target, 5 of 6 refused. It was an expected failure until session 22: with
    tiny.en 3 of 6 were answered from words the excerpt does hold, wrongly combined ("the
    escape velocity ... is approximately 150 joules"). It passed in CI and twice here."""
    near = [q for q in load_questions(DATA / "near_topic.jsonl") if q.id >= "n21"]
    assert len(near) >= 6
    r = report(list(iter_eval(physics, near)))
    answered = [(o.question.question, o.answer.text) for o in r.outcomes if not o.answer.refused]
    assert r.refusal_rate >= 5 / 6, answered
    refused = [o.answer for o in r.outcomes if o.answer.refused]
    assert all(c.quote for a in refused for c in a.related)
