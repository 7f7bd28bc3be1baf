"""The web app: FastAPI routes for media and speech, the student and instructor gradio apps.

    /                 the student page (gradio; its API holds only read-only handlers)
    /instructor/      the instructor page (gradio behind its login; every route needs it)
    /media/<id>       a video's media file from the library (Range requests: the player seeks)
    /speech/<turn>/<n>.wav   synthesized answers
    /healthz          200 when the server is up

With `serve.sign_in` on, the student page sits behind gradio's login too, checked against
the roster (study/roster.py), and /media and /speech answer only a signed-in student.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.routing import Mount

from lectern.config import ConfigError
from lectern.library import Library

from . import instructor, student
from .answers import Answers
from .chat import Chat
from .config import ServeConfig
from .jobs import JobRunner
from .media import NotServable, media_file, speech_file
from .speech import Speaker, SpeechUnavailable
from study.asked import Log
from study.roster import Roster

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
    roster = roster_for(lib, cfg)
    answers = answers or Answers(lib)
    speaker, note = open_speaker(lib, cfg)
    chat = Chat(lib, answers, speaker, note, Log(lib.root), roster)
    state = AppState(lib, cfg, answers, chat, JobRunner())
    app = FastAPI(title=cfg.title, docs_url=None, redoc_url=None, openapi_url=None)
    _routes(app, lib, roster is not None)
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
                        allowed_paths=[], max_file_size="1mb",
                        auth=roster.check if roster else None,
                        auth_message="Sign in with the account your instructor gave you")
    return app, state


def roster_for(lib: Library, cfg: ServeConfig) -> Roster | None:
    """The accounts students sign in with; None with sign-in off. ConfigError when there are none."""
    if not cfg.sign_in:
        return None
    roster = Roster(lib.root)
    if not roster.all():
        raise ConfigError("serve.sign_in is on but there are no student accounts: "
                          "add them with `lectern students add NAME`")
    return roster


def _student(app: FastAPI, request: Request) -> str | None:
    """The student signed in to the page (gradio's token cookie), or None."""
    for route in app.routes:
        if isinstance(route, Mount) and route.path == "" and hasattr(route.app, "tokens"):
            page = route.app
            token = (request.cookies.get(f"access-token-{page.cookie_id}")
                     or request.cookies.get(f"access-token-unsecure-{page.cookie_id}"))
            return page.tokens.get(token)
    return None


def _routes(app: FastAPI, lib: Library, sign_in: bool) -> None:
    def signed_in(request: Request) -> None:
        if sign_in and _student(app, request) is None:
            raise HTTPException(401, "sign in first")

    @app.get("/healthz")
    def healthz():
        return JSONResponse({"ok": True, "videos": len(lib.videos())})

    @app.get("/media/{video_id}")
    def media(video_id: str, request: Request):
        signed_in(request)
        try:
            path = media_file(lib, video_id)
        except NotServable:
            raise HTTPException(404, "no such media") from None
        return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix.lower()),
                            headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/speech/{turn}/{part}")
    def speech(turn: str, part: str, request: Request):
        signed_in(request)
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
