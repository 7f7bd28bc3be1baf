"""The assistant for the web app: the adapter over assistant.answer.Assistant.

llama.cpp runs one generation at a time, and the Assistant is not meant to
be re-entered from several threads, so one lock serialises questions; the
gradio queue in front of it decides who goes next and tells the others
their place in line.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from lectern.library import Library


class AnswerUnavailable(RuntimeError):
    """The assistant cannot answer (no model, no index)."""


@dataclass(frozen=True)
class Delta:
    """A piece of answer text as the model writes it."""

    text: str


class Answers:
    def __init__(self, lib: Library):
        self.lib = lib
        self._assistant = None
        self._hints = None
        self._lock = threading.Lock()

    def _open(self):
        from assistant.answer import Assistant, AssistantError
        from index.embed import EmbeddingError
        from index.store import StoreError
        if self._assistant is None:
            try:
                from study.hints import Hints
                self._assistant = Assistant.open(self.lib)
                self._assistant.warm()
                self._hints = Hints(self.lib)   # assignments' tasks get hints, not answers
            except (AssistantError, EmbeddingError, StoreError) as e:
                raise AnswerUnavailable(str(e)) from None
        return self._assistant

    def warm(self) -> None:
        """Load the model and the index before the first student asks (seconds, once)."""
        with self._lock:
            self._open()

    def stream(self, question: str, conversation) -> Iterator[object]:
        """Delta events, then the assistant's final Answer."""
        from assistant.answer import Answer, AssistantError, Token
        with self._lock:
            assistant = self._open()
            try:
                for ev in self._hints.stream(assistant, question, conversation):
                    if isinstance(ev, Token):
                        yield Delta(ev.text)
                    elif isinstance(ev, Answer):
                        yield ev
            except AssistantError as e:
                raise AnswerUnavailable(str(e)) from None

    @staticmethod
    def conversation():
        from assistant.answer import Conversation
        return Conversation()
