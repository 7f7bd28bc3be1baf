"""The instructor page: sources, ingestion, status, the voice. Behind a login.

This is a separate gradio app, mounted at /instructor with gradio's auth,
so every one of its routes (page, config, queue, upload, API) needs the
login cookie. Each handler checks the request's user again on the server
(`_who`), so a handler can never run for an anonymous caller even if the
mount were changed, and none of them is listed in the public API docs.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

import gradio as gr

from lectern.config import ConfigError
from lectern.library import Library, LibraryBusy
from study.assignments import AssignmentError, Assignments, read_file

from . import actions, render, voice_actions
from .config import USER, ServeConfig
from .jobs import JobBusy, JobRunner

log = logging.getLogger(__name__)
PRIVATE = {"api_visibility": "private"}
STAGES = ["fetch", "audio", "transcript", "summary"]


class NotAuthorized(PermissionError):
    pass


def _who(request: gr.Request | None) -> str:
    user = getattr(request, "username", None) if request is not None else None
    if user != USER:
        raise NotAuthorized("instructor login required")
    return user


def _guard(fn):
    """Run an instructor action for a logged-in instructor; refusals become a gr.Error."""
    def wrapper(*args):
        *inputs, request = args
        try:
            _who(request)
            return fn(*inputs)
        except NotAuthorized as e:
            log.warning("refused an instructor action without login")
            raise gr.Error(str(e)) from None
        except (actions.ActionError, JobBusy, LibraryBusy, ConfigError, AssignmentError) as e:
            # duration=None: the message stays until closed, an instructor may look away
            raise gr.Error(str(e), duration=None) from None
    # gradio reads the signature and type hints to decide what to pass: the
    # action's own inputs, then the request, which it fills in itself.
    params = [p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD)
              for p in inspect.signature(fn).parameters.values()]
    params.append(inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD))
    wrapper.__signature__ = inspect.Signature(params)
    wrapper.__annotations__ = {"request": gr.Request}
    wrapper.__name__ = fn.__name__
    return wrapper


class Instructor:
    def __init__(self, lib: Library, cfg: ServeConfig, runner: JobRunner, app_state):
        self.lib, self.cfg, self.runner, self.state = lib, cfg, runner, app_state
        self.clips = voice_actions.VoiceClips(lib)
        self.assignments = Assignments(lib.root)

    def table(self):
        return [[r.video_id, r.title, r.duration, r.stages, r.error]
                for r in actions.status_rows(self.lib)]

    def ingest(self, urls, files, force):
        paths = [Path(f) for f in (files or [])]
        job, refused = actions.start_ingest(self.lib, self.runner, urls, paths, force or [])
        msg = f"started {job.name}" + (f"; {'; '.join(refused)}" if refused else "")
        return msg, self.runner.text()

    def rerun(self, force):
        job, _ = actions.start_ingest(self.lib, self.runner, "", [], force or [], rerun_all=True)
        return f"started re-running {job.name} on every video", self.runner.text()

    def reindex(self):
        actions.start_index(self.lib, self.runner)
        return "started indexing", self.runner.text()

    def finetune(self):
        actions.start_finetune(self.lib, self.runner)
        return "started fine-tuning", self.runner.text()

    def poll(self):
        return self.runner.text(), self.table()

    def find_clips(self, videos, files, text):
        labels = self.clips.find(videos or [], [Path(f) for f in (files or [])], text or "")
        return gr.CheckboxGroup(choices=labels, value=[]), f"{len(labels)} candidate clip(s) found"

    def build_voice(self, chosen):
        clips = self.clips.chosen(chosen or [])
        voice_actions.start_build(self.lib, self.runner, clips, self.state.reload_speaker)
        return f"building the voice from {len(clips)} clip(s)", self.runner.text()

    # --- what students ask (study/asked.py) -------------------------------------------
    def asked(self, video_id):
        from study.asked import peaks, timeline
        rows = self.state.chat.asked.all()
        minutes = timeline(rows)
        choices = sorted(minutes)
        vid = video_id if video_id in minutes else (choices[0] if choices else None)
        rec = self.lib.catalog.video(vid) if vid else None
        frame = _minutes_frame(minutes.get(vid, []), rec.duration if rec else None)
        top = int(frame["answers citing it"].max()) if len(frame) else 0
        return (render.asked(rows, peaks(rows, 5)), gr.Dropdown(choices=choices, value=vid),
                gr.BarPlot(frame, y_lim=[0, top + 1]))

    def asked_csv(self):
        from study.asked import to_csv
        out = self.lib.root / "ui" / "asked.csv"
        out.parent.mkdir(exist_ok=True)
        out.write_text(to_csv(self.state.chat.asked.all()))
        return str(out)

    # --- assignments in hint mode (study/hints.py) --------------------------------------
    def assignments_tab(self):
        return self.assignment_views("")

    def assignment_views(self, note: str):
        """(message, hint-mode checkboxes, remove dropdown, list) for the current assignments."""
        rows = self.assignments.all()
        choices = [(a.title, a.id) for a in rows]
        return (note, gr.CheckboxGroup(choices=choices, value=[a.id for a in rows if a.hints]),
                gr.Dropdown(choices=choices, value=None), render.assignments(rows))

    def add_assignment(self, title, text, file):
        if file:
            got_title, text = read_file(Path(file))
            title = (title or "").strip() or got_title
        a = self.assignments.add(title, text)
        return self.assignment_views(f"assignment {a.title!r} registered: {len(a.tasks())} "
                                     f"task(s), hint mode {'on' if a.hints else 'off'}")

    def set_hint_mode(self, on_ids):
        on = set(on_ids or [])
        for a in self.assignments.all():
            if a.hints != (a.id in on):
                self.assignments.set_hints(a.id, a.id in on)
        return self.assignment_views(f"hint mode on for {len(on)} assignment(s)")

    def remove_assignment(self, assignment_id):
        if not assignment_id:
            raise AssignmentError("choose an assignment to remove")
        self.assignments.remove(assignment_id)
        return self.assignment_views(f"assignment {assignment_id} removed")

    def preview(self, text):
        return str(voice_actions.preview(self.state.speaker, text, self.lib.root / "ui" / "preview"))


def build(lib: Library, cfg: ServeConfig, runner: JobRunner, app_state) -> gr.Blocks:
    ins = Instructor(lib, cfg, runner, app_state)
    g = _guard
    with gr.Blocks(title=f"{cfg.title} — instructor") as app:
        gr.Markdown(f"## {cfg.title} — instructor")
        msg = gr.Textbox(label="Result", interactive=False, elem_id="lectern-instructor-msg")
        log_box = gr.Textbox(label="Job progress", lines=12, interactive=False,
                             elem_id="lectern-job-log")
        with gr.Tab("Lectures"):
            table = gr.Dataframe(headers=["video", "title", "duration", "stages", "errors"],
                                 interactive=False, elem_id="lectern-status")
            urls = gr.Textbox(label="URLs (one per line)", lines=3)
            files = gr.File(label="Upload media", file_count="multiple", type="filepath")
            force = gr.CheckboxGroup(STAGES, label="Redo these stages even if done")
            with gr.Row():
                add = gr.Button("Add and ingest", variant="primary", elem_id="lectern-ingest")
                rerun = gr.Button("Re-run ingestion on all videos")
                reindex = gr.Button("Rebuild index")
                tune = gr.Button("Fine-tune")
        with gr.Tab("Voice"):
            _voice_tab(lib, ins, msg, log_box)
        with gr.Tab("Assignments", elem_id="lectern-assignments-tab") as asg_tab:
            asg = _assignments_tab(ins)
            asg_tab.select(g(ins.assignments_tab), None, list(asg), **PRIVATE)
        with gr.Tab("What students ask", elem_id="lectern-asked-tab") as asked_tab:
            shown = _asked_tab(ins)
            asked_tab.select(g(ins.asked), [shown[1]], list(shown), **PRIVATE)
        add.click(g(ins.ingest), [urls, files, force], [msg, log_box], **PRIVATE)
        rerun.click(g(ins.rerun), [force], [msg, log_box], **PRIVATE)
        reindex.click(g(ins.reindex), None, [msg, log_box], **PRIVATE)
        tune.click(g(ins.finetune), None, [msg, log_box], **PRIVATE)
        timer = gr.Timer(1.0)
        timer.tick(g(ins.poll), None, [log_box, table], show_progress="hidden", **PRIVATE)
        app.load(g(ins.poll), None, [log_box, table], **PRIVATE)
    return app


def _voice_tab(lib: Library, ins: Instructor, msg, log_box) -> None:
    g = _guard
    gr.Markdown("Reference clips: clean speech of the instructor, 5-15 s each. Find candidates in "
                "lectures or your own recordings, tick the ones to use, then build the voice.")
    videos = gr.Dropdown([v.id for v in lib.videos()], multiselect=True, label="From lectures")
    rec = gr.File(label="Or upload recordings", file_count="multiple", type="filepath")
    text = gr.Textbox(label="What the recordings say (optional)", lines=2)
    find = gr.Button("Find candidate clips")
    chosen = gr.CheckboxGroup([], label="Reference clips to use")
    build_btn = gr.Button("Build the voice from the chosen clips", variant="primary")
    say = gr.Textbox(label="Preview text", value="Hello, this is a preview of the synthesized voice.")
    prev = gr.Button("Preview the voice")
    out = gr.Audio(label="Preview (synthesized voice)", type="filepath", interactive=False)
    find.click(g(ins.find_clips), [videos, rec, text], [chosen, msg], **PRIVATE)
    build_btn.click(g(ins.build_voice), [chosen], [msg, log_box], **PRIVATE)
    prev.click(g(ins.preview), [say], [out], **PRIVATE)


def _assignments_tab(ins: Instructor) -> tuple:
    """The tab's (message, hint-mode switches, remove choice, list), which selecting it refreshes."""
    g = _guard
    gr.Markdown("Assignments in hint mode: a student question that is one of their tasks gets the "
                "concepts it needs, each with the lecture moment that teaches it, never a solution "
                "(the language model does not write it). A heading, paragraph or numbered item "
                "is one task.")
    with gr.Row():
        title = gr.Textbox(label="Title", elem_id="lectern-asg-title")
        upload = gr.File(label="Or a .txt / .md file", type="filepath", file_types=[".txt", ".md"])
    text = gr.Textbox(label="Text", lines=8, elem_id="lectern-asg-text")
    add = gr.Button("Add assignment", variant="primary", elem_id="lectern-asg-add")
    note = gr.Markdown("", elem_id="lectern-asg-note")
    switches = gr.CheckboxGroup([], label="Hint mode on for", elem_id="lectern-asg-hints")
    listed = gr.HTML("", elem_id="lectern-asg-list")
    with gr.Row():
        which = gr.Dropdown([], label="Remove an assignment", elem_id="lectern-asg-which")
        remove = gr.Button("Remove", size="sm", elem_id="lectern-asg-remove")
    outs = [note, switches, which, listed]
    add.click(g(ins.add_assignment), [title, text, upload], outs, **PRIVATE)
    switches.input(g(ins.set_hint_mode), [switches], outs, **PRIVATE)
    remove.click(g(ins.remove_assignment), [which], outs, **PRIVATE)
    return tuple(outs)


def _asked_tab(ins: Instructor) -> tuple:
    """The tab's (summary, lecture, plot), which selecting the tab refreshes."""
    g = _guard
    gr.Markdown("Questions asked in the student chat (who asked only with sign-in on): what "
                "the lectures did not cover, answers students marked wrong, and where in each "
                "lecture answers cite most.")
    refresh = gr.Button("Refresh", size="sm")
    summary = gr.HTML("", elem_id="lectern-asked")
    video = gr.Dropdown([], label="Lecture", elem_id="lectern-asked-video")
    plot = gr.BarPlot(x="minute", y="answers citing it", title="Answers citing each minute",
                      elem_id="lectern-asked-plot", height=260)
    export = gr.DownloadButton("Export CSV", elem_id="lectern-asked-csv")
    outs = [summary, video, plot]
    refresh.click(g(ins.asked), [video], outs, **PRIVATE)
    video.input(g(ins.asked), [video], outs, **PRIVATE)
    export.click(g(ins.asked_csv), None, export, **PRIVATE)
    return summary, video, plot


def _minutes_frame(minutes, duration: float | None):
    """Every minute of the lecture (those no answer cites at 0), so the plot is its timeline."""
    import pandas as pd
    counts = {m.minute: m.count for m in minutes}
    last = max([*counts, int(duration // 60) if duration else 0])
    return pd.DataFrame({"minute": list(range(last + 1)),
                         "answers citing it": [counts.get(m, 0) for m in range(last + 1)]})
