// Lectern's page script: citation chips seek the player, answers are spoken
// sentence by sentence, and the page measures its own latency.
//
// Gradio re-renders components freely, so nothing here holds on to elements:
// clicks are caught at the document, and a MutationObserver re-reads the
// speech list (a hidden component the server updates) after every change.
(function () {
  if (window.lecternInstalled) return;
  window.lecternInstalled = true;
  // Enter -> first word and Enter -> first sound, in ms (read by the browser tests).
  const T = (window.lecternTimings = { t0: null, firstWord: null, firstSound: null, asked: 0 });

  function clock(s) {
    s = Math.floor(s);
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0");
  }

  // ---- the player ------------------------------------------------------------------
  function seekWhenReady(v, start) {
    const go = () => {
      // where the seek landed, for the browser tests (and anyone debugging a citation)
      v.addEventListener("seeked", () => {
        window.lecternSeek = { video: v.dataset.video, requested: start, landed: v.currentTime };
      }, { once: true });
      v.currentTime = start;
      v.play().catch(() => {}); // a click is a user gesture: playing is allowed
    };
    if (v.readyState >= 1) go();
    else v.addEventListener("loadedmetadata", go, { once: true });
  }

  function play(d) {
    const box = document.getElementById("lectern-player-box");
    const cap = document.getElementById("lectern-player-caption");
    if (!box || !d.kind) return;
    const start = parseFloat(d.start) || 0;
    if (cap) cap.textContent = (d.title || d.video) + " — " + clock(start);
    if (d.kind === "youtube") {
      // The embed takes its start second in the URL; a new URL seeks.
      box.innerHTML = "";
      const f = document.createElement("iframe");
      f.id = "lectern-youtube";
      f.src = "https://www.youtube-nocookie.com/embed/" + encodeURIComponent(d.src) +
        "?start=" + Math.floor(start) + "&autoplay=1";
      f.allow = "autoplay; encrypted-media";
      f.setAttribute("allowfullscreen", "");
      box.appendChild(f);
    } else {
      let v = document.getElementById("lectern-player");
      if (!v) {
        box.innerHTML = "";
        v = document.createElement("video");
        v.id = "lectern-player";
        v.controls = true;
        v.preload = "metadata";
        box.appendChild(v);
      }
      v.dataset.video = d.video;
      if (v.getAttribute("src") !== d.src) v.src = d.src;
      seekWhenReady(v, start);
    }
    box.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  document.addEventListener("click", function (e) {
    const a = e.target.closest && e.target.closest("a[href^='#lectern?']");
    if (!a) return;
    e.preventDefault();
    e.stopPropagation();
    // the chip's fragment says what to play (see ui/render.py chip)
    const q = new URLSearchParams(a.getAttribute("href").slice("#lectern?".length));
    play({ video: q.get("v"), kind: q.get("k"), src: q.get("s"), start: q.get("t"), title: q.get("n") });
  }, true);

  // ---- quizzes (ui/render.py quiz): a click on a choice says right or wrong ----------
  document.addEventListener("click", function (e) {
    const a = e.target.closest && e.target.closest("a.lectern-quiz-choice");
    if (!a) return;
    e.preventDefault();
    e.stopPropagation();
    const item = a.closest(".lectern-quiz-item");
    if (item.classList.contains("lectern-quiz-done")) return;   // one answer per question
    item.classList.add("lectern-quiz-done");
    const right = a.classList.contains("lectern-quiz-right");
    const reveal = a.classList.contains("lectern-quiz-reveal");
    a.classList.add("lectern-quiz-picked");
    if (!right && !reveal) a.classList.add("lectern-quiz-wrong");
    const verdict = item.querySelector(".lectern-quiz-verdict");
    verdict.textContent = reveal ? "" : (right ? "Right." : "Not quite.");
    item.querySelector(".lectern-quiz-feedback").classList.remove("lectern-hidden");
  }, true);

  // ---- the voice -------------------------------------------------------------------
  const S = { turn: null, queue: [], seen: new Set(), all: null, done: false, playing: false };

  function audio() { return document.getElementById("lectern-voice"); }
  function autoplay() {
    const c = document.getElementById("lectern-autoplay");
    return !c || c.checked;
  }

  function next() {
    const a = audio();
    if (!a) return;
    if (S.queue.length && autoplay()) {
      S.playing = true;
      a.src = S.queue.shift();
      a.play().catch(() => { S.playing = false; });
    } else if (!S.queue.length && S.done && S.all && a.getAttribute("src") !== S.all) {
      // The whole answer, ready to replay (not played again by itself).
      S.playing = false;
      a.src = S.all;
      a.load();
    } else {
      S.playing = false;
    }
  }

  function readSpeech() {
    const lists = document.querySelectorAll(".lectern-speech");
    const el = lists[lists.length - 1];
    if (!el || !el.dataset.turn) return;
    const lab = document.getElementById("lectern-voice-label");
    // only on change: writing text is itself a mutation, and would wake this observer forever
    if (lab && el.dataset.label && lab.textContent !== el.dataset.label) lab.textContent = el.dataset.label;
    if (el.dataset.turn !== S.turn) {
      const a = audio();
      if (a && S.turn !== null) a.pause();
      Object.assign(S, { turn: el.dataset.turn, queue: [], seen: new Set(), all: null,
                         done: false, playing: false });
    }
    el.querySelectorAll("span[data-src]").forEach((s) => {
      const u = s.dataset.src;
      if (!S.seen.has(u)) { S.seen.add(u); if (autoplay()) S.queue.push(u); }
    });
    S.all = el.dataset.all || null;
    S.done = el.dataset.done === "1";
    if (!S.playing) next();
  }

  function watchAudio() {
    const a = audio();
    if (!a || a.dataset.lecternBound) return;
    a.dataset.lecternBound = "1";
    a.addEventListener("ended", () => { S.playing = false; next(); });
    a.addEventListener("playing", () => {
      if (T.t0 !== null && T.firstSound === null) T.firstSound = performance.now() - T.t0;
    });
  }

  // ---- timings ---------------------------------------------------------------------
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.shiftKey) return;
    const box = e.target.closest && e.target.closest("#lectern-question");
    if (!box) return;
    Object.assign(T, { t0: performance.now(), firstWord: null, firstSound: null, asked: T.asked + 1 });
    T.bots = document.querySelectorAll("#lectern-chat .lectern-bot-text, #lectern-chat [data-testid='bot']").length;
  }, true);

  function readWords() {
    if (T.t0 === null || T.firstWord !== null) return;
    const bots = document.querySelectorAll("#lectern-chat [data-testid='bot']");
    if (bots.length <= (T.bots || 0)) return;
    const last = bots[bots.length - 1];
    if (/[A-Za-z0-9]/.test(last.textContent || "")) T.firstWord = performance.now() - T.t0;
  }

  new MutationObserver(function () {
    watchAudio();
    readWords();
    readSpeech();
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true,
                                         attributeFilter: ["data-done", "data-all"] });
})();
