"""The student page: chat, player, the instructor's voice and the lecture browser.

Nothing here can change the library: every handler reads. The instructor's
actions live in another gradio app (ui/instructor.py) mounted behind a
login, so they are not even registered on this one's API.
"""

from __future__ import annotations

import gradio as gr

from assistant.answer import MAX_QUESTION_CHARS
from lectern.library import Library

from . import lectures
from .chat import Chat
from .config import ServeConfig

PLAYER = """
<div id="lectern-player-caption" class="lectern-note">Click a citation or a chapter to play it here.</div>
<div id="lectern-player-box"></div>
"""


# Reads the page's "speak answers" switch into the submit: off, the server synthesizes nothing.
SPEAK_SWITCH = """(q, b, c, s, l) => {
  const box = document.getElementById("lectern-autoplay");
  return [q, b, c, box ? box.checked : s, l];
}"""


def voice_panel(cfg: ServeConfig, label: str) -> str:
    checked = "checked" if cfg.autoplay else ""
    return f"""
<div class="lectern-voice">
  <div id="lectern-voice-label" class="lectern-note">{label}</div>
  <audio id="lectern-voice" controls preload="auto"></audio>
  <label class="lectern-note"><input type="checkbox" id="lectern-autoplay" {checked}>
    Speak answers aloud as they are written</label>
</div>
"""


def build(lib: Library, cfg: ServeConfig, chat: Chat, voice_label: str) -> gr.Blocks:
    with gr.Blocks(title=cfg.title) as app:
        gr.Markdown(f"## {cfg.title}\nAsk about the lectures. Answers cite the moments they come "
                    "from: click a citation to watch it.")
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Tab("Ask"):
                    bot, question, conversation, new = _chat_tab()
                with gr.Tab("Lectures"):
                    _lectures_tab(lib, cfg)
            with gr.Column(scale=2):
                # one player and one voice for both tabs: chapters and citations share them
                gr.HTML(PLAYER, elem_id="lectern-player-panel")
                gr.HTML(voice_panel(cfg, voice_label) if cfg.voice else
                        '<div class="lectern-note">Spoken answers are turned off.</div>')
                speech = gr.HTML("", elem_id="lectern-speech-list")
        speak = gr.Checkbox(value=cfg.voice, visible=False)   # the page's switch, read on submit
        turn = gr.State("")
        logged = gr.State({})   # answers' places in the chat -> their rows in the question log
        # The answer holds the slot only while its text is written (the queue shows the
        # others their place and an estimate); its speech follows in an event of its own.
        question.submit(chat.respond, [question, bot, conversation, speak, logged],
                        [question, bot, speech, conversation, turn, logged],
                        concurrency_limit=cfg.concurrency, concurrency_id="answers",
                        show_progress="minimal", show_progress_on=[bot], api_name="ask",
                        js=SPEAK_SWITCH).then(
            chat.follow_speech, turn, speech, concurrency_limit=None, concurrency_id="speech",
            show_progress="hidden", api_visibility="private")
        new.click(lambda: ([], None, "", {}), None, [bot, conversation, speech, logged],
                  api_visibility="private")
        bot.like(chat.rate, logged, None, api_visibility="private")
    return app


def _chat_tab():
    conversation = gr.State(None)
    bot = gr.Chatbot(elem_id="lectern-chat", height=460, label="Answers")
    question = gr.Textbox(elem_id="lectern-question", label="Your question",
                          placeholder="Ask a question and press Enter", lines=1,
                          max_lines=4, submit_btn=True, max_length=MAX_QUESTION_CHARS)
    new = gr.Button("New conversation", size="sm")
    return bot, question, conversation, new


def _lectures_tab(lib: Library, cfg: ServeConfig) -> None:
    from assistant.config import llm_config, load_config

    def choices():
        return [(x.label, x.video_id) for x in lectures.lectures(lib)]

    with gr.Row():
        with gr.Column(scale=2):
            pick = gr.Dropdown(choices=choices(), label="Lecture", elem_id="lectern-lecture")
            with gr.Row():
                quiz_me = gr.Button("Quiz me", size="sm", elem_id="lectern-quiz-me")
                guide = gr.DownloadButton("Study guide (Markdown)", size="sm",
                                          elem_id="lectern-guide")
                guide_pdf = gr.DownloadButton("Study guide (PDF)", size="sm",
                                              elem_id="lectern-guide-pdf")
            with gr.Row():
                several = gr.Dropdown(choices=choices(), multiselect=True, scale=3,
                                      label="Or a quiz over several lectures",
                                      elem_id="lectern-quiz-lectures")
                quiz_all = gr.Button("Quiz me on these", size="sm", scale=1,
                                     elem_id="lectern-quiz-several")
            quiz = gr.HTML("", elem_id="lectern-quiz")
            info = gr.HTML("", elem_id="lectern-lecture-info")
        with gr.Column(scale=3):
            query = gr.Textbox(label="Search the transcript", elem_id="lectern-transcript-search",
                               placeholder="a word or phrase")
            lines = gr.HTML("", elem_id="lectern-transcript")
    # the guide's file is made with the details, so the button downloads it as soon as the
    # lecture shows (a handler of its own could finish after a student's click)
    pick.change(lambda v: (lectures.details(lib, v), lectures.search(lib, v, ""),
                           *lectures.guide_file(lib, v)), pick, [info, lines, guide, guide_pdf],
                api_name="lecture")
    query.submit(lambda v, q: lectures.search(lib, v, q), [pick, query], lines, api_name="transcript")
    # the quiz is written by the answers' model (on the first ask; cached after): it queues
    # with the answers, one at a time
    llm = llm_config(load_config(lib))
    quiz_me.click(lambda v: lectures.quiz(lib, v, llm), pick, quiz, api_name="quiz",
                  concurrency_limit=cfg.concurrency, concurrency_id="answers",
                  show_progress="minimal")
    quiz_all.click(lambda vs: lectures.quiz_many(lib, vs, llm), several, quiz, api_name="quiz_lectures",
                   concurrency_limit=cfg.concurrency, concurrency_id="answers",
                   show_progress="minimal")
    several.focus(lambda: gr.Dropdown(choices=choices()), None, several, api_visibility="private")
    pick.change(lambda v: "", pick, quiz, api_visibility="private")
    # new lectures appear without restarting the server
    pick.focus(lambda: gr.Dropdown(choices=choices()), None, pick, api_visibility="private")
