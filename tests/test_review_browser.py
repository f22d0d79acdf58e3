"""The review app in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium, headless).

Install the browser with scripts/install-browser.sh (apt-get install chromium); never `playwright install`.
Skipped when Chromium or Playwright is missing, except under CI (env CI set), where that is a failure.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from podpipe.catalog import Status
from podpipe.config import Settings
from podpipe.review import create_app
from test_review_fixtures import SLUG, build_episode

CHROMIUM = Path(os.environ.get("PODPIPE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


def _require_browser():  # type: ignore[no-untyped-def]
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install playwright; do not run `playwright install`)"
        sync_playwright = None
    if reason is None and not CHROMIUM.is_file():
        reason = f"{CHROMIUM} is missing (run scripts/install-browser.sh: apt-get install chromium)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test, but {reason}")
        pytest.skip(reason)
    return sync_playwright


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app on a free loopback port in a uvicorn thread, for the browser; stopped afterwards."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture()
def server(tmp_path: Path):
    output_root, catalog, episode_id = build_episode(tmp_path)
    with serving(create_app(output_root, settings=Settings(), catalog=catalog)) as url:
        yield url, output_root / SLUG, catalog, episode_id


def _wait_until(page, expression: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Poll from Python: wait_for_function polls with eval, which the app's CSP refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _docx_text(path: Path) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_editor_corrects_renames_reorders_and_approves_in_chromium(server, tmp_path: Path) -> None:
    sync_playwright = _require_browser()
    base, out_dir, catalog, episode_id = server
    artifacts = Path(os.environ.get("PODPIPE_TEST_ARTIFACTS", tmp_path / "artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
            page.goto(base + "/")
            page.click(f"a[href='/episodes/{SLUG}']")
            page.wait_for_selector("#notes-form")
            # Names and transcript text holding <script> are shown as text, never run.
            assert page.evaluate("window.pwned") is None
            assert page.locator(".transcript").inner_text().count("<script>window.pwned=1</script>") >= 1
            # Dutch labels; the checklist comes first; low-confidence words are marked.
            assert page.inner_text("#save") == "Opslaan" and page.inner_text("#approve") == "Opslaan en goedkeuren"
            assert page.locator("fieldset").first.get_attribute("id") == "checklist"
            assert page.locator(".transcript .w.low").count() == 2
            # Clicking a transcript line or a quote moves the player to that moment.
            page.locator(".transcript .line .time").nth(3).click()
            _wait_until(page, "Math.abs(document.getElementById('player').currentTime - 22) < 1.5")
            page.locator("blockquote.play").first.click()
            _wait_until(page, "Math.abs(document.getElementById('player').currentTime - 8) < 1.5")

            # Rename the guest; correct a misheard name in a quote and in the transcript; edit headings.
            page.fill("input[name='speaker-SPEAKER_01-name']", "Sofie Willox")
            page.fill("input[name='speaker-SPEAKER_01-organisation']", "So We Grow")
            page.fill("textarea[name='s0-q0-text']", "Bij So We Grow begint groei altijd bij de mensen zelf.")
            line = page.locator(".transcript .line").nth(2)
            line.locator(".w.low").dblclick()  # the misheard word: its line opens with it selected
            box = line.locator("textarea.line-edit")
            assert box.is_visible()
            assert page.evaluate("(() => { const b = document.activeElement; "
                                 "return b.value.slice(b.selectionStart, b.selectionEnd); })()") == "Wilox?"
            page.keyboard.type("Willox?")
            assert "Sofie Willox?" in box.input_value()
            page.fill("input[name='s0-heading']", "Groei begint altijd bij mensen")
            page.fill("input[name='s1-heading']", "Eerst luisteren")
            preview = page.inner_text("#live-preview")
            assert "## Groei begint altijd bij mensen" in preview and "So We Grow begint" in preview
            assert "## Tot slot\n" in preview, "an empty closing heading previews as the configured one"
            page.fill("input[name='closing_heading']", "Tot slot: luister eerst")
            assert "## Tot slot: luister eerst" in page.inner_text("#live-preview")
            # Leaving now would lose the edits: the page asks first.
            assert page.evaluate("(() => { const e = new Event('beforeunload', {cancelable: true}); "
                                 "window.dispatchEvent(e); return e.defaultPrevented; })()")
            page.click("#save")
            page.wait_for_selector("#message")
            assert "versie 1" in page.inner_text("#message")
            assert page.input_value("input[name='speaker-SPEAKER_01-name']") == "Sofie Willox"
            assert "Sofie Willox?" in page.locator(".transcript").inner_text()
            assert "Een gesprek met Sofie Willox over groei." in page.inner_text("#rendered")
            assert "Tot slot: luister eerst" in page.inner_text("#rendered")
            # Move the second section up, deal with every check, approve (confirming the dialog).
            page.locator("fieldset.section").nth(1).locator("button.up").click()
            for check in page.locator(".check").all():
                check.locator("input[value='ok']").check()
            page.click("#approve")
            page.wait_for_selector("#message")
            assert "goedgekeurd" in page.inner_text("#message"), page.inner_text("#message")
            assert dialogs and "goedkeuren" in dialogs[-1]
            assert page.locator("#downloads a[href*='shownotes.final.docx']").count() == 1
            page.screenshot(path=str(artifacts / "review-approved.png"), full_page=True)
            page.set_viewport_size({"width": 1400, "height": 900})
            page.locator("fieldset.section").nth(1).locator("input.heading").focus()
            page.screenshot(path=str(artifacts / "review-workbench.png"))
            assert not errors, errors
        finally:
            browser.close()

    _assert_every_file_says_the_same(out_dir)
    assert catalog.get(episode_id).status == Status.APPROVED
    assert len(list((out_dir / "versions").glob("0*.json"))) == 3  # 0 (pipeline), 1 (save), 2 (approve)
    assert (artifacts / "review-approved.png").stat().st_size > 10_000
    print(f"screenshots: {artifacts}")


def _assert_every_file_says_the_same(out_dir: Path) -> None:
    """Rename, both corrections and the headings have reached every final file (and the drafts)."""
    notes_files = {name: (out_dir / name).read_text(encoding="utf-8")
                   for name in ("shownotes.final.md", "shownotes.final.html", "shownotes.final.json")}
    notes_files["shownotes.final.docx"] = _docx_text(out_dir / "shownotes.final.docx")
    for name, text in notes_files.items():
        flat = _flat(text)
        assert "Sofie Willox" in flat and "Gast 1" not in flat and "[[speaker:" not in flat, name
        assert "So We Grow begint groei" in flat and "So We Gro begint" not in flat, name
        assert flat.index("Eerst luisteren") < flat.index("Groei begint altijd bij mensen"), name
        assert "Je moet eerst luisteren voor je iets verandert." in flat, name
    transcripts = {name: (out_dir / name).read_text(encoding="utf-8") for name in (
        "transcript.final.json", "transcript.final.vtt", "transcript.final.srt", "transcript.final.txt",
        "transcript.final.podcast.json", "transcript.json", "transcript.vtt", "transcript.srt", "transcript.txt",
        "transcript.podcast.json")}
    for name, text in transcripts.items():
        flat = _flat(text)
        assert "Sofie Willox" in flat and "Gast 1" not in flat, name
        assert "So We Grow begint" in flat and "So We Gro " not in flat, name
        assert "Sofie Willox?" in flat and "Wilox" not in flat, name
    podcast = json.loads(transcripts["transcript.final.podcast.json"])
    assert "Sofie Willox" in {s.get("speaker") for s in podcast["segments"]}
    chapters = json.loads((out_dir / "chapters.final.json").read_text(encoding="utf-8"))
    assert [c["title"] for c in chapters["chapters"]] == ["Intro", "Groei begint altijd bij mensen", "Eerst luisteren"]
    assert all("endTime" in c for c in chapters["chapters"])
    feed = (out_dir / "episode.final.feed.xml").read_text(encoding="utf-8")
    assert 'url="transcript.final.vtt"' in feed and 'rel="captions"' in feed and 'url="chapters.final.json"' in feed
    _assert_timeline_names(out_dir)


def _assert_timeline_names(out_dir: Path) -> None:
    """speakers.png is drawn with the new names: the same picture as one drawn from scratch with them."""
    from podpipe.exports.diarization import read_rttm, write_speaker_timeline
    from podpipe.io import read_transcript

    transcript = read_transcript(out_dir / "transcript.final.json")
    names = {s.id: s.display_name for s in transcript.speakers}
    assert names["SPEAKER_01"] == "Sofie Willox"
    expected = write_speaker_timeline(read_rttm(out_dir / "diarization.rttm"), out_dir.parent / "expected.png",
                                      duration=transcript.episode.duration,
                                      title=transcript.episode.title or transcript.episode.slug, names=names)
    assert (out_dir / "speakers.final.png").read_bytes() == expected.read_bytes()
    assert (out_dir / "speakers.png").read_bytes() == expected.read_bytes()
