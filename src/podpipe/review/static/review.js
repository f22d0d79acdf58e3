// Click a quote, section or transcript line to play from that moment; move sections up and down.
document.addEventListener("click", (event) => {
  const target = event.target.closest(".play");
  const player = document.getElementById("player");
  if (target && player && target.dataset.start !== "") {
    player.currentTime = parseFloat(target.dataset.start);
    player.play().catch(() => {});
    document.querySelectorAll(".playing").forEach((el) => el.classList.remove("playing"));
    target.classList.add("playing");
    return;
  }
  const button = event.target.closest(".section-tools button.up, .section-tools button.down");
  if (button) {
    const section = button.closest("fieldset.section");
    if (button.classList.contains("up") && section.previousElementSibling) {
      section.parentNode.insertBefore(section, section.previousElementSibling);
    } else if (button.classList.contains("down") && section.nextElementSibling) {
      section.parentNode.insertBefore(section.nextElementSibling, section);
    }
  }
});
// Highlight the transcript line being played.
document.addEventListener("DOMContentLoaded", () => {
  const player = document.getElementById("player");
  if (!player) return;
  const lines = Array.from(document.querySelectorAll(".transcript .line"));
  player.addEventListener("timeupdate", () => {
    let current = null;
    for (const line of lines) {
      if (parseFloat(line.dataset.start) <= player.currentTime) current = line; else break;
    }
    lines.forEach((line) => line.classList.toggle("current", line === current));
  });
});
// Live preview of the edited notes as plain Markdown text (textContent: nothing an editor types runs).
function livePreview() {
  const form = document.getElementById("notes-form");
  const out = document.getElementById("live-preview");
  if (!form || !out) return;
  const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
  const lines = ["# " + value("title"), "", value("intro"), ""];
  form.querySelectorAll("fieldset.section").forEach((section) => {
    lines.push("## " + section.querySelector("input.heading").value.trim(), "");
    const text = section.querySelector("textarea").value.trim();
    if (text) lines.push(text, "");
    section.querySelectorAll(".quote").forEach((quote) => {
      const select = quote.querySelector("select");
      if (select.value === "reject") return;
      const label = select.value.startsWith("swap:") ? select.options[select.selectedIndex].text.replace(/^swap for: /, "")
        : quote.querySelector("blockquote").textContent.trim();
      lines.push("> " + label, "");
    });
  });
  lines.push(value("closing"));
  out.textContent = lines.join("\n");
}
document.addEventListener("input", livePreview);
document.addEventListener("change", livePreview);
document.addEventListener("click", (event) => { if (event.target.closest(".section-tools")) livePreview(); });
document.addEventListener("DOMContentLoaded", livePreview);
