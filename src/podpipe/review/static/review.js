// The review page's behaviour; no inline script (CSP). Everything an editor typed is set as text.
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

// A text-only episode has no player: say so where the editor clicked, instead of doing nothing.
function noAudio() {
  const note = document.getElementById("no-audio");
  if (!note) return;
  note.textContent = note.dataset.click;
  note.classList.add("flash");
  setTimeout(() => note.classList.remove("flash"), 1500);
}

function play(seconds, element) {
  const player = document.getElementById("player");
  if (!player) { noAudio(); return; }
  if (Number.isNaN(seconds)) return;
  player.currentTime = seconds;
  player.play().catch(() => {});
  $$(".playing").forEach((el) => el.classList.remove("playing"));
  if (element) element.classList.add("playing");
}

// "12:34" or "1:02:03" -> seconds (NaN when it is not a time).
function clockSeconds(text) {
  const parts = text.split(":").map(Number);
  if (!parts.length || parts.some(Number.isNaN)) return NaN;
  return parts.reduce((total, part) => total * 60 + part, 0);
}

// Click a word, a line, a quote or a section's time to play from there; move sections up and down.
document.addEventListener("click", (event) => {
  // The published notes link times as "#t=mm:ss": in the preview they move the player there.
  const link = event.target.closest("a[href^='#t=']");
  if (link) {
    event.preventDefault();
    play(clockSeconds(decodeURIComponent(link.getAttribute("href").slice(3))), link);
    return;
  }
  const word = event.target.closest(".transcript .w");
  const target = word || event.target.closest(".play");
  if (target && target.dataset.start !== "" && target.dataset.start !== undefined) {
    play(parseFloat(target.dataset.start), target.closest(".line") || target);
    return;
  }
  const move = event.target.closest(".section-tools button.up, .section-tools button.down");
  if (move) {
    const section = move.closest("fieldset.section");
    if (move.classList.contains("up") && section.previousElementSibling) {
      section.parentNode.insertBefore(section, section.previousElementSibling);
    } else if (move.classList.contains("down") && section.nextElementSibling) {
      section.parentNode.insertBefore(section.nextElementSibling, section);
    }
    markDirty();
    livePreview();
    return;
  }
  const edit = event.target.closest(".edit-line");
  if (edit) {
    const line = edit.closest(".line");
    const box = $(".line-edit", line);
    box.hidden = false;
    box.disabled = false;  // only opened lines are sent
    box.focus();
    play(parseFloat(line.dataset.start), line);
    return;
  }
  const quote = event.target.closest(".make-quote");
  if (quote) makeQuote(quote.closest(".line"));
});

// Double-click a word to correct it: the line opens with that word selected, the audio plays it.
document.addEventListener("dblclick", (event) => {
  const word = event.target.closest(".transcript .w");
  if (!word) return;
  const line = word.closest(".line");
  const words = $$(".w", line);
  const box = $(".line-edit", line);
  box.hidden = false;
  box.disabled = false;
  const before = words.slice(0, words.indexOf(word)).map((w) => w.textContent).join(" ");
  const start = box.value.indexOf(word.textContent, Math.max(0, before.length - 5));
  box.focus();
  if (start >= 0) box.setSelectionRange(start, start + word.textContent.length);
  play(parseFloat(word.dataset.start), line);
});

// A quote from the selected words of a line (or the whole line), into the "new quote" fields.
function makeQuote(line) {
  const selection = window.getSelection();
  let text = selection && line.contains(selection.anchorNode) ? selection.toString().trim() : "";
  if (!text) text = $$(".w", line).map((w) => w.textContent).join(" ") || $(".text", line).textContent.trim();
  $("#newquote-line").value = line.dataset.index;
  $("#newquote-text").value = text;
  const start = parseFloat(line.dataset.start);
  const sections = $$("fieldset.section");
  const select = $("#newquote-section");
  let chosen = null;
  sections.forEach((section) => {
    const begin = parseFloat(section.dataset.start);
    if (!Number.isNaN(begin) && begin <= start) chosen = section.querySelector("input[name=section]").value;
  });
  if (chosen !== null) select.value = chosen;
  markDirty();
  $("#new-quote").scrollIntoView({ block: "center" });
}

// Highlight the line being played; keep the transcript beside the section being edited.
document.addEventListener("DOMContentLoaded", () => {
  const player = document.getElementById("player");
  const lines = $$(".transcript .line");
  if (player) {
    player.addEventListener("timeupdate", () => {
      let current = null;
      for (const line of lines) {
        if (parseFloat(line.dataset.start) <= player.currentTime) current = line; else break;
      }
      lines.forEach((line) => line.classList.toggle("current", line === current));
    });
  }
  document.addEventListener("focusin", (event) => {
    const section = event.target.closest && event.target.closest("fieldset.section");
    if (!section || section.dataset.start === "") return;
    const start = parseFloat(section.dataset.start);
    const line = lines.find((l) => parseFloat(l.dataset.start) >= start - 0.01);
    const pane = $("#transcript");
    if (line && pane) pane.scrollTop = line.offsetTop - pane.offsetTop;
  });
});

// Unsaved changes: warn before leaving the page.
let dirty = false;
function markDirty() { dirty = true; }
document.addEventListener("input", (event) => { if (event.target.form && event.target.form.id === "notes-form") markDirty(); });
document.addEventListener("change", (event) => { if (event.target.form && event.target.form.id === "notes-form") markDirty(); });
window.addEventListener("beforeunload", (event) => {
  if (!dirty) return;
  event.preventDefault();
  event.returnValue = ($("#transcript") || {}).dataset ? $("#transcript").dataset.unsaved : "";
});
document.addEventListener("submit", (event) => {
  if (event.target.id !== "notes-form") return;
  const button = event.submitter;
  if (button && button.id === "approve") {
    const box = $("#confirm");
    if (box && !box.checked) {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); return; }
      box.checked = true;
    }
  }
  dirty = false;
});

// Live preview of the edited notes as plain Markdown text (textContent: nothing an editor types runs).
function livePreview() {
  const form = document.getElementById("notes-form");
  const out = document.getElementById("live-preview");
  if (!form || !out) return;
  const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
  const lines = ["# " + value("title"), "", value("intro"), ""];
  // Sections as the save will make them: deleted ones gone, a ticked "merge with the next" takes the
  // next one in, keeping the upper heading unless only the lower one was edited (forms._merge).
  const merged = [];
  let pending = false;
  form.querySelectorAll("fieldset.section").forEach((section) => {
    if ($("input.delete", section) && $("input.delete", section).checked) return;
    const heading = section.querySelector("input.heading");
    const edited = heading.value.trim() !== (heading.dataset.shown || "").trim();
    const body = [];
    const text = section.querySelector("textarea.paragraphs").value.trim();
    if (text) body.push(text, "");
    section.querySelectorAll(".quote").forEach((quote) => {
      const select = quote.querySelector("select");
      if (select.value === "reject") return;
      const label = select.value.startsWith("swap:") ? select.options[select.selectedIndex].text
        : "“" + quote.querySelector("textarea.quote-text").value.trim() + "”";
      body.push("> " + label, "");
    });
    if (pending && merged.length) {
      const last = merged[merged.length - 1];
      if (edited && !last.edited) last.heading = heading.value.trim();
      last.edited = last.edited || edited;
      last.body.push(...body);
    } else {
      merged.push({ heading: heading.value.trim(), edited, body });
    }
    pending = $("input.merge", section) ? $("input.merge", section).checked : false;
  });
  merged.forEach((section) => lines.push("## " + section.heading, "", ...section.body));
  const closingHeading = form.elements["closing_heading"];
  lines.push("## " + (value("closing_heading") || (closingHeading ? closingHeading.placeholder : "")), "",
    value("closing"));
  out.textContent = lines.join("\n");
}
document.addEventListener("input", livePreview);
document.addEventListener("change", livePreview);
document.addEventListener("DOMContentLoaded", livePreview);

// -- The editor's keyboard, the word being spoken, transcript tools and undo -----------------------

// Undo: every change since the page loaded, newest last. A text field counts as one change per
// visit (its value when focused, put back); a tool pushes its own way back.
const undoStack = [];
const fieldBefore = new WeakMap();
function pushUndo(what, restore) {
  undoStack.push({ what, restore });
  const button = document.getElementById("undo");
  if (button) button.disabled = false;
}
function undo() {
  const step = undoStack.pop();
  const button = document.getElementById("undo");
  const say = document.getElementById("undo-what");
  if (button) button.disabled = undoStack.length === 0;
  if (!step) { if (say) say.textContent = say.dataset.nothing || ""; return; }
  step.restore();
  if (say) say.textContent = (say.dataset.undone || "{what}").replace("{what}", step.what);
  markDirty();
  livePreview();
}
function fieldName(element) {
  const label = element.closest("label");
  return (label ? label.textContent.trim().split("\n")[0] : element.name).slice(0, 60);
}
document.addEventListener("focusin", (event) => {
  const element = event.target;
  if (element.form && element.form.id === "notes-form" && "value" in element && !fieldBefore.has(element)) {
    fieldBefore.set(element, element.type === "checkbox" || element.type === "radio" ? element.checked : element.value);
  }
});
document.addEventListener("change", (event) => {
  const element = event.target;
  if (!element.form || element.form.id !== "notes-form" || element.dataset.noUndo) return;
  const checkable = element.type === "checkbox" || element.type === "radio";
  const before = fieldBefore.has(element) ? fieldBefore.get(element) : (checkable ? !element.checked : element.defaultValue);
  fieldBefore.set(element, checkable ? element.checked : element.value);
  pushUndo(fieldName(element), () => {
    if (checkable) element.checked = before; else element.value = before;
    fieldBefore.set(element, before);
  });
});

// Move a line to another speaker: its speaker's name opens a choice of the episode's speakers.
function moveLine(line, speakerId) {
  const who = $(".who", line);
  const choices = document.getElementById("speaker-choices");
  let field = $("input.line-speaker", line);
  if (!field) {
    field = document.createElement("input");
    field.type = "hidden";
    field.className = "line-speaker";
    field.name = "line-speaker-" + line.dataset.index;
    field.setAttribute("form", "notes-form");
    line.appendChild(field);
  }
  const before = { id: who.dataset.speaker, name: who.textContent, value: field.value };
  const option = Array.from(choices.options).find((o) => o.value === speakerId);
  field.value = speakerId;
  who.dataset.speaker = speakerId;
  who.textContent = option ? option.textContent : speakerId;
  markDirty();
  pushUndo((document.getElementById("undo-what").dataset.lineSpeaker || "{n} {name}")
    .replace("{n}", Number(line.dataset.index) + 1).replace("{name}", who.textContent), () => {
    field.value = before.value || before.id;
    who.dataset.speaker = before.id;
    who.textContent = before.name;
  });
}
document.addEventListener("click", (event) => {
  const who = event.target.closest(".transcript .who");
  if (!who) return;
  const line = who.closest(".line");
  const open = $("select.move-to", line);
  if (open) { open.remove(); return; }
  const select = document.getElementById("speaker-choices").cloneNode(true);
  select.removeAttribute("id");
  select.hidden = false;
  select.className = "move-to";
  select.value = who.dataset.speaker;
  select.dataset.noUndo = "1";
  who.after(select);
  select.focus();
  select.addEventListener("change", () => { moveLine(line, select.value); select.remove(); });
});

// The line under the cursor of the keyboard ("current"): the one playing, or the one moved to.
function lines() { return $$(".transcript .line"); }
function currentLine() { return $(".transcript .line.cursor") || $(".transcript .line.current") || lines()[0]; }
function goToLine(line) {
  if (!line) return;
  lines().forEach((l) => l.classList.toggle("cursor", l === line));
  line.scrollIntoView({ block: "nearest" });
  const player = document.getElementById("player");
  if (player) player.currentTime = parseFloat(line.dataset.start);
}
function editLine(line) {
  if (!line) return;
  const box = $(".line-edit", line);
  box.hidden = false;
  box.disabled = false;
  box.focus();
}
function togglePlay() {
  const player = document.getElementById("player");
  if (!player) { noAudio(); return; }
  if (player.paused) player.play().catch(() => {}); else player.pause();
}

document.addEventListener("keydown", (event) => {
  const player = document.getElementById("player");
  const key = event.key;
  if ((event.ctrlKey || event.metaKey) && !event.altKey && key.toLowerCase() === "s") {
    event.preventDefault();
    const save = document.getElementById("save");
    if (save) save.click();
    return;
  }
  if (key === "Escape" && !event.altKey && !event.ctrlKey) {
    if (event.target.closest && event.target.closest("select.move-to")) return;
    event.preventDefault();
    togglePlay();
    return;
  }
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const code = event.code;
  if (code === "KeyB") {
    event.preventDefault();
    if (!player) { noAudio(); return; }
    player.currentTime = Math.max(0, player.currentTime - 5);
  } else if (key === "ArrowDown" || key === "ArrowUp") {
    event.preventDefault();
    const all = lines();
    const at = all.indexOf(currentLine());
    goToLine(all[Math.min(all.length - 1, Math.max(0, at + (key === "ArrowDown" ? 1 : -1)))]);
  } else if (key === "Enter") {
    event.preventDefault();
    editLine(currentLine());
  } else if (code === "KeyZ") {
    event.preventDefault();
    undo();
  }
});
document.addEventListener("click", (event) => {
  if (event.target.id === "undo") undo();
});

// The word being spoken, highlighted as the audio plays (every word has its start and end).
document.addEventListener("DOMContentLoaded", () => {
  const say = document.getElementById("undo-what");
  const box = document.getElementById("transcript");
  if (say && box) {
    say.dataset.undone = box.dataset.undone || "";
    say.dataset.nothing = box.dataset.nothing || "";
    say.dataset.lineSpeaker = box.dataset.lineSpeaker || "";
  }
  const player = document.getElementById("player");
  if (!player) return;
  const words = $$(".transcript .w").map((w) => ({ el: w, start: parseFloat(w.dataset.start), end: parseFloat(w.dataset.end) }));
  let spoken = null;
  function highlight() {
    const now = player.currentTime;
    let found = null;
    for (const word of words) {  // words are in time order
      if (word.start > now) break;
      if (now < word.end) found = word;
    }
    if (found !== spoken) {
      if (spoken) spoken.el.classList.remove("speaking");
      if (found) {
        found.el.classList.add("speaking");
        const line = found.el.closest(".line");
        if (line) lines().forEach((l) => l.classList.toggle("cursor", l === line));
      }
      spoken = found;
    }
    if (!player.paused) requestAnimationFrame(highlight);
  }
  player.addEventListener("play", () => requestAnimationFrame(highlight));
  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);
});

// Split a line at the cursor: a line break in its correction (each part keeps its words' times).
function say(text) {
  const out = document.getElementById("undo-what");
  if (out) out.textContent = text;
}
function transcriptText(key) { return (document.getElementById("transcript") || { dataset: {} }).dataset[key] || ""; }
function splitLine(line) {
  const box = $(".line-edit", line);
  if (box.hidden || box.disabled) { editLine(line); return; }  // first open it: the cursor says where
  const at = box.selectionStart;
  const before = box.value;
  const head = before.slice(0, at).replace(/\s+$/, "");
  const tail = before.slice(at).replace(/^\s+/, "");
  if (!head || !tail) return;  // at an end there is nothing to split
  box.value = head + "\n" + tail;
  box.setSelectionRange(head.length + 1, head.length + 1);
  markDirty();
  const what = transcriptText("splitDone").replace("{n}", Number(line.dataset.index) + 1);
  say(what);
  pushUndo(what, () => { box.value = before; });
}

// Join a line with the next one (one speaker only); again to separate them.
function joinLine(line) {
  const next = line.nextElementSibling;
  const field = document.getElementById("joins");
  if (!next || !next.classList.contains("line") || !field) return;
  const joined = new Set(field.value.split(",").filter((v) => v !== ""));
  const index = line.dataset.index;
  const n = Number(index) + 1;
  const before = field.value;
  if (joined.has(index)) {
    joined.delete(index);
    say(transcriptText("unjoinDone").replace("{n}", n));
  } else {
    if ($(".who", line).dataset.speaker !== $(".who", next).dataset.speaker) { say(transcriptText("joinRefused")); return; }
    joined.add(index);
    say(transcriptText("joinDone").replace("{n}", n));
  }
  field.value = Array.from(joined).map(Number).sort((a, b) => a - b).join(",");
  next.classList.toggle("joined", joined.has(index));
  markDirty();
  const what = $("#undo-what").textContent;
  pushUndo(what, () => {
    field.value = before;
    next.classList.toggle("joined", before.split(",").includes(index));
  });
}

function lineOf(element) { return element && element.closest ? element.closest(".transcript .line") : null; }
document.addEventListener("click", (event) => {
  const split = event.target.closest(".split-line");
  if (split) { splitLine(split.closest(".line")); return; }
  const join = event.target.closest(".join-line");
  if (join) joinLine(join.closest(".line"));
});
document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.code === "KeyS") {
    const line = lineOf(document.activeElement) || currentLine();
    if (!line) return;
    event.preventDefault();
    splitLine(line);
  } else if (event.code === "KeyJ") {
    const line = lineOf(document.activeElement) || currentLine();
    if (!line) return;
    event.preventDefault();
    joinLine(line);
  }
});
