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
  lines.push(value("closing"));
  out.textContent = lines.join("\n");
}
document.addEventListener("input", livePreview);
document.addEventListener("change", livePreview);
document.addEventListener("DOMContentLoaded", livePreview);
