"""The student chat: one question in, a streamed answer, citation chips and speech out.

`Chat.respond` is the gradio event handler (a generator: every yield
updates the page); `Chat.follow_speech` runs after it, in its own event. The answer text streams token by token; sentences go to
the voice as they complete; when the model is done the citations become
chips, and the handler keeps updating the speech list until the last
sentence is synthesized, so the page can keep playing.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator

import gradio as gr

from assistant.answer import QuestionError, check_question
from lectern.library import Library
from study.asked import Log
from study.roster import Roster

from . import render
from .answers import Answers, AnswerUnavailable, Delta
from .media import playable
from .speech import Speaker, SpeechJob

log = logging.getLogger(__name__)

QUOTED_CHARS = 200   # of a question over the limit, this much is shown back
POLL_S = 0.15        # how often the page hears about newly synthesized sentences
SPEECH_WAIT_S = 120  # an answer's speech that takes longer than this is abandoned


class Chat:
    def __init__(self, lib: Library, answers: Answers, speaker: Speaker | None,
                 speech_note: str = "", asked: Log | None = None, roster: Roster | None = None):
        self.lib, self.answers, self.speaker = lib, answers, speaker
        self.speech_note = speech_note   # why there is no voice, when there is none
        self.asked = asked               # every question and answer, for the instructor
        self.roster = roster             # sign-in on: questions are logged with the student

    def _speech_html(self, job: SpeechJob | None) -> str:
        if job is None:
            return render.speech_queue("", [], None, "", self.speech_note or None)
        return render.speech_queue(job.turn, list(job.parts), job.all_url, self.speaker.label,
                                   job.error)

    def respond(self, message: str, history: list, conversation, speak: bool = True,
                logged: dict | None = None, request: gr.Request = None) -> Iterator[tuple]:
        """Yields (textbox, chat history, speech list, conversation, speech turn, logged) updates;
        `logged` maps an answer's place in the history to its row in the question log.

        Returns once the text is done, which frees the answer slot for the next student;
        `follow_speech` (its own event, without a slot) then keeps the speech list current.
        A student who turned speech off (`speak` false) costs no synthesis at all."""
        message = (message or "").strip()
        logged = dict(logged or {})
        if not message:
            yield "", history, self._speech_html(None), conversation, "", logged
            return
        try:   # the assistant's own limit, said at once; never echoed whole, never asked
            check_question(message)
        except QuestionError as e:
            shown = message[:QUOTED_CHARS].rstrip() + "…"
            history = list(history or []) + [
                {"role": "user", "content": render.answer_text(shown)},
                {"role": "assistant", "content": render.answer_text(f"Sorry, {e}.")}]
            yield "", history, self._speech_html(None), conversation, "", logged
            return
        conversation = conversation or self.answers.conversation()
        history = list(history or []) + [{"role": "user", "content": render.answer_text(message)},
                                         {"role": "assistant", "content": ""}]
        job = self.speaker.job(uuid.uuid4().hex) if self.speaker and speak else None
        turn = job.turn if job else ""
        yield "", history, self._speech_html(job), conversation, turn, logged
        final = None
        text = ""
        try:
            for ev in self.answers.stream(message, conversation):
                if isinstance(ev, Delta):
                    text += ev.text
                    if job:
                        job.feed(ev.text)
                    history[-1] = {"role": "assistant", "content": render.answer_text(text)}
                    yield "", history, self._speech_html(job), conversation, turn, logged
                else:
                    final = ev
        except AnswerUnavailable as e:
            if job:
                job.cancel()
            history[-1] = {"role": "assistant", "content": render.answer_text(
                f"Sorry, the assistant is unavailable: {e}")}
            yield "", history, self._speech_html(None), conversation, "", logged
            return
        if job:
            # an answer cut at the length limit ends at its last whole sentence: not spoken past it
            job.finish("" if final is not None and final.truncated else None)
        history[-1] = {"role": "assistant", "content": self._final(final, text)}
        if final is not None:
            conversation.add(final)
            log.info("answered in %.1f s (first token %.1f s), %d citation(s)%s",
                     final.timings.total_s, final.timings.first_token_s, len(final.citations),
                     ", refused" if final.refused else "")
            if self.asked is not None:
                row = turn or uuid.uuid4().hex
                self.asked.record(row, message, final.text, final.refused,
                                  [(c.video_id, c.start, c.end) for c in final.citations],
                                  self._student(request))
                logged[len(history) - 1] = row
        yield "", history, self._speech_html(job), conversation, turn, logged

    def _student(self, request: gr.Request | None) -> str | None:
        """Who asked, only when the instructor turned sign-in on; never otherwise."""
        if self.roster is None or request is None or not request.username:
            return None
        return self.roster.signed_in_name(request.username)

    def rate(self, logged: dict, data: gr.LikeData) -> None:
        """A student's thumbs up or down on an answer (withdrawn: liked is None)."""
        row = (logged or {}).get(data.index if isinstance(data.index, int) else data.index[0])
        if self.asked is not None and row:
            self.asked.rate(row, data.liked if isinstance(data.liked, bool) else None)

    def follow_speech(self, turn: str) -> Iterator[str]:
        """Yields the speech list as sentences are synthesized, until the answer is spoken.
        Runs after `respond`, outside the answer slot: waiting for the voice holds no one up."""
        job = self.speaker.running(turn) if self.speaker and turn else None
        if job is None:
            return
        deadline, seen = time.monotonic() + SPEECH_WAIT_S, -1
        while not job.done and time.monotonic() < deadline:
            if len(job.parts) != seen:
                seen = len(job.parts)
                yield self._speech_html(job)
            job.wait(POLL_S)
        yield self._speech_html(job)

    def _final(self, answer, text: str) -> str:
        if answer is None:
            return render.answer_text(text)
        # chips play from the quoted sentence, so the student hears the words shown
        cites = [(c.number, playable(self.lib, c.video_id), c.quote_start, c.quote)
                 for c in answer.citations]
        related = [(playable(self.lib, c.video_id), c.quote_start, c.quote) for c in answer.related]
        return render.answer(answer.text, cites, answer.refused, related=related)
