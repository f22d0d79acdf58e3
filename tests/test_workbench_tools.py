"""The workbench as an editor's tool, in Chromium: keyboard, the word being spoken, transcript tools,
undo, and two versions side by side (issue 23's second half)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import test_workbench_integrity as integrity
from podpipe.io import read_transcript
from test_review_fixtures import EVIL
from test_workbench_integrity import _open, _submit, _versions, wait_until

browser, editor, site = integrity.browser, integrity.editor, integrity.site  # the same fixtures

SHORTCUTS = ["Esc", "Alt+B", "Alt+↓", "Alt+↑", "Alt+Enter", "Alt+S", "Alt+J", "Alt+Z", "Ctrl+S"]


def _time(page: Any) -> float:
    return float(page.evaluate("document.getElementById('player').currentTime"))


def test_the_keyboard_plays_moves_edits_and_saves(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    listed = page.inner_text("#shortcuts")
    assert all(keys in listed for keys in SHORTCUTS), listed
    page.locator("main > h1").click()  # focus on the page, not in a field
    page.keyboard.press("Alt+ArrowDown")
    page.keyboard.press("Alt+ArrowDown")
    assert page.get_attribute(".transcript .line.cursor", "data-index") == "2"
    assert abs(_time(page) - 14.0) < 0.5, "the player follows the line"
    page.keyboard.press("Alt+ArrowUp")
    assert page.get_attribute(".transcript .line.cursor", "data-index") == "1"
    page.keyboard.press("Escape")
    wait_until(page, "document.getElementById('player').paused === false")
    page.keyboard.press("Escape")
    wait_until(page, "document.getElementById('player').paused === true")
    page.evaluate("document.getElementById('player').currentTime = 20")
    page.keyboard.press("Alt+b")
    assert abs(_time(page) - 15.0) < 0.5, "back five seconds"
    page.keyboard.press("Alt+ArrowDown")  # the cursor line: 2 (the highlight followed the player to 15 s)
    line = page.locator(".transcript .line.cursor")
    index = line.get_attribute("data-index")
    page.keyboard.press("Alt+Enter")
    box = line.locator("textarea.line-edit")
    assert box.is_visible() and page.evaluate("document.activeElement.name") == f"line-{index}"
    page.keyboard.press("End")
    page.keyboard.type(" Echt waar.")
    with page.expect_navigation():
        page.keyboard.press("Control+s")
    message = page.inner_text("#message")
    assert f"opgeslagen als versie 1: transcriptregel {int(index) + 1}" in message, message
    assert "Echt waar." in _versions(out_dir)[-1]["corrections"][index]


def test_the_word_being_spoken_is_highlighted(site, editor) -> None:
    base, _ = site
    page = editor
    _open(page, base)
    page.evaluate("document.getElementById('player').currentTime = 25.3")
    page.wait_for_selector(".transcript .w.speaking")
    word = page.locator(".transcript .w.speaking")
    assert word.count() == 1
    start, end = float(word.get_attribute("data-start")), float(word.get_attribute("data-end"))
    assert start <= 25.3 < end
    assert word.locator("xpath=ancestor::div[contains(@class,'line')]").get_attribute("data-index") == "3"
    page.evaluate("document.getElementById('player').currentTime = 33.1")
    wait_until(page, "document.querySelector('.transcript .w.speaking').closest('.line').dataset.index === '4'")


def test_move_a_line_to_another_speaker_and_undo(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    line = page.locator(".transcript .line").nth(4)
    line.locator(".who").click()
    line.locator("select.move-to").select_option("SPEAKER_01")
    assert line.locator(".who").inner_text() == "Gast 1"
    page.locator("main > h1").click()
    page.keyboard.press("Alt+z")
    assert line.locator(".who").get_attribute("data-speaker") == "SPEAKER_02", "undone"
    assert "ongedaan gemaakt: regel 5 naar Gast 1" in page.inner_text("#undo-what")
    line.locator(".who").click()
    line.locator("select.move-to").select_option("SPEAKER_00")
    _submit(page, "#save")
    assert _versions(out_dir)[-1]["line_speakers"] == {"4": "SPEAKER_00"}
    published = read_transcript(out_dir / "transcript.json")
    assert published.segments[4].speaker == "SPEAKER_00"
    assert all(w.speaker == "SPEAKER_00" for w in published.segments[4].words)
    assert page.locator(".transcript .line").nth(4).locator(".who").get_attribute("data-speaker") == "SPEAKER_00"


def test_merge_two_speakers_into_one(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    page.select_option("select[name='speaker-SPEAKER_02-merge']", "SPEAKER_01")
    _submit(page, "#save")
    published = read_transcript(out_dir / "transcript.json")
    assert [s.id for s in published.speakers] == ["SPEAKER_00", "SPEAKER_01"]
    assert published.segments[4].speaker == "SPEAKER_01"
    assert page.locator("[data-speaker='SPEAKER_02']").count() == 0, "the merged speaker is gone from the page"
    assert f"{EVIL}:" not in (out_dir / "transcript.txt").read_text(), "no line is credited to its (hostile) name"


def test_split_a_line_at_the_cursor_and_join_two_lines(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    line = page.locator(".transcript .line").nth(3)  # "Je moet eerst luisteren | voor je iets verandert ..."
    line.locator(".edit-line").click()
    box = line.locator("textarea.line-edit")
    page.evaluate("(() => { const b = document.activeElement; b.setSelectionRange(23, 23); })()")
    page.keyboard.press("Alt+s")
    assert box.input_value() == "Je moet eerst luisteren\nvoor je iets verandert in een organisatie."
    # Lines 4 and 5 are two speakers: joining them is refused; moved to one speaker, they join.
    page.locator(".transcript .line").nth(3).locator(".join-line").click()
    assert "dezelfde spreker" in page.inner_text("#undo-what")
    last = page.locator(".transcript .line").nth(4)
    last.locator(".who").click()
    last.locator("select.move-to").select_option("SPEAKER_01")
    page.locator(".transcript .line").nth(3).locator(".join-line").click()
    assert page.input_value("#joins") == "3"
    _submit(page, "#save")
    saved = _versions(out_dir)[-1]
    assert saved["joins"] == [3] and "\n" in saved["corrections"]["3"]
    segments = read_transcript(out_dir / "transcript.json").segments
    texts = [" ".join(s.text.split()) for s in segments]
    assert texts[3] == "Je moet eerst luisteren"
    assert texts[4] == "voor je iets verandert in een organisatie. En de cijfers volgen vanzelf als het team meegaat."
    assert segments[3].end <= segments[4].start and segments[4].end == 40.0, "parts keep their words' times"
    assert len(segments) == 5
    # The page shows the split and the join, and the edit box keeps the line break.
    assert page.locator(".transcript .line").nth(3).locator("br.split").count() == 1
    assert "joined" in (page.locator(".transcript .line").nth(4).get_attribute("class") or "")


def test_any_two_versions_side_by_side(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    page.fill("input[name='title']", "Een nieuwe titel")
    _submit(page, "#save")
    page.fill("input[name='s0-heading']", "Een nieuwe kop")
    _submit(page, "#save")
    page.click("#compare-link")
    page.select_option("#compare-a", "0")
    page.select_option("#compare-b", "2")
    _submit(page, "#compare")
    changed = page.locator("#side-by-side tr.replace")
    left, right = changed.locator("td.left").all_inner_texts(), changed.locator("td.right").all_inner_texts()
    assert "# Groeien begint bij mensen" in left and "# Een nieuwe titel" in right
    assert "## Mensen eerst" in left and "## Een nieuwe kop" in right
    assert "Nakijken" not in page.inner_text("#side-by-side"), "as published"
    assert json.loads((out_dir / "chapters.json").read_text())["chapters"][1]["title"] == "Een nieuwe kop"
