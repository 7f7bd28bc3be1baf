"""The web app: FastAPI routes for media and speech, the student and instructor gradio apps.

    /                 the student page (gradio; its API holds only read-only handlers)
    /instructor/      the instructor page (gradio behind its login; every route needs it)
    /media/<id>       a video's media file from the library (Range requests: the player seeks)
    /speech/<turn>/<n>.wav   synthesized answers
    /healthz          200 when the server is up
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, JSONResponse

from lectern.library import Library

from . import instructor, student
from .answers import Answers
from .chat import Chat
from .config import ServeConfig
from .jobs import JobRunner
from .media import NotServable, media_file, speech_file
from .speech import Speaker, SpeechUnavailable
from study.asked import Log

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
# Python's mimetypes does not know every media suffix yt-dlp and users bring.
MEDIA_TYPES = {".m4a": "audio/mp4", ".mp4": "video/mp4", ".webm": "video/webm", ".mkv": "video/x-matroska",
               ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
               ".flac": "audio/flac", ".mov": "video/quicktime", ".m4v": "video/mp4"}


@dataclass
class AppState:
    """What the pages share: the library, the assistant, the voice, the job runner."""

    lib: Library
    cfg: ServeConfig
    answers: Answers
    chat: Chat
    runner: JobRunner

    @property
    def speaker(self) -> Speaker | None:
        return self.chat.speaker

    def reload_speaker(self) -> None:
        """A new voice profile was built: answers from now on use it.

        The old Voice is left to finish what it is saying (its worker thread
        is a daemon) rather than closed under a student's feet.
        """
        speaker, note = open_speaker(self.lib, self.cfg)
        self.chat.speaker, self.chat.speech_note = speaker, note


def open_speaker(lib: Library, cfg: ServeConfig) -> tuple[Speaker | None, str]:
    if not cfg.voice:
        return None, ""
    try:
        return Speaker(lib), ""
    except SpeechUnavailable as e:
        log.warning("answers will not be spoken: %s", e)
        return None, str(e)


def head() -> str:
    # The script is inlined: the page must not depend on a second request to work.
    return f"<script>{(STATIC / 'lectern.js').read_text()}</script>"


def create(lib: Library, cfg: ServeConfig, answers: Answers | None = None) -> tuple[FastAPI, AppState]:
    answers = answers or Answers(lib)
    speaker, note = open_speaker(lib, cfg)
    state = AppState(lib, cfg, answers, Chat(lib, answers, speaker, note, Log(lib.root)), JobRunner())
    app = FastAPI(title=cfg.title, docs_url=None, redoc_url=None, openapi_url=None)
    _routes(app, lib)
    label = speaker.label if speaker else "Spoken answers are unavailable."
    css = (STATIC / "lectern.css").read_text()
    pages = student.build(lib, cfg, state.chat, label)
    # Answers run cfg.concurrency at a time (their own limit, in student.py); reading
    # lectures and transcripts is cheap, so a few of those run side by side.
    pages.queue(default_concurrency_limit=4, max_size=cfg.max_queue)
    admin = instructor.build(lib, cfg, state.runner, state)
    admin.queue(default_concurrency_limit=1)
    # the instructor app first: "/" would otherwise swallow /instructor
    gr.mount_gradio_app(app, admin, path="/instructor", auth=cfg.password_ok,
                        auth_message="Instructor login (user name: instructor)",
                        max_file_size=f"{cfg.max_upload_mb}mb", footer_links=[], css=css)
    gr.mount_gradio_app(app, pages, path="", footer_links=[], css=css, head=head(),
                        allowed_paths=[], max_file_size="1mb")
    return app, state


def _routes(app: FastAPI, lib: Library) -> None:
    @app.get("/healthz")
    def healthz():
        return JSONResponse({"ok": True, "videos": len(lib.videos())})

    @app.get("/media/{video_id}")
    def media(video_id: str):
        try:
            path = media_file(lib, video_id)
        except NotServable:
            raise HTTPException(404, "no such media") from None
        return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix.lower()),
                            headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/speech/{turn}/{part}")
    def speech(turn: str, part: str):
        try:
            path = speech_file(lib, turn, part)
        except NotServable:
            raise HTTPException(404, "no such speech") from None
        return FileResponse(path, media_type="audio/wav")


def serve(lib: Library, cfg: ServeConfig) -> None:
    """Run until interrupted. The model is loaded first, so the first student does not wait."""
    import uvicorn
    app, state = create(lib, cfg)
    state.answers.warm()
    log.info("serving on http://%s:%d (instructor page: /instructor)", cfg.host, cfg.port)
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level="warning")
