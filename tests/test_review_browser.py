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
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_review_fixtures import SLUG, build_episode  # noqa: E402

from podpipe.catalog import Status  # noqa: E402
from podpipe.config import Settings  # noqa: E402
from podpipe.review import create_app  # noqa: E402

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


@pytest.fixture()
def server(tmp_path: Path):
    import uvicorn

    output_root, catalog, episode_id = build_episode(tmp_path)
    app = create_app(output_root, settings=Settings(), catalog=catalog)
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
    yield f"http://127.0.0.1:{port}", output_root / SLUG, catalog, episode_id
    server.should_exit = True
    thread.join(timeout=10)


def test_editor_renames_edits_rejects_and_approves_in_chromium(server, tmp_path: Path) -> None:
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
            page.goto(base + "/")
            page.click(f"a[href='/episodes/{SLUG}']")
            page.wait_for_selector("#notes-form")
            # Names and transcript text holding <script> are shown as text, never run.
            assert page.evaluate("window.pwned") is None
            assert page.locator(".transcript").inner_text().count("<script>window.pwned=1</script>") >= 1
            # Clicking a transcript line moves the player to that moment.
            page.locator(".transcript .line").nth(3).click()
            page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 22) < 1.5")
            page.locator("blockquote.play").first.click()
            page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 8) < 1.5")

            page.fill("input[name='speaker-SPEAKER_01-name']", "Sofie Willox")
            page.fill("input[name='speaker-SPEAKER_01-organisation']", "So We Grow")
            page.fill("input[name='s0-heading']", "Groei begint altijd bij mensen")
            page.select_option("select[name='s1-q0']", "reject")
            preview = page.inner_text("#live-preview")
            assert "## Groei begint altijd bij mensen" in preview and "Je moet eerst luisteren" not in preview
            page.click("#save")
            page.wait_for_selector("#message")
            assert "version 1" in page.inner_text("#message")
            assert page.input_value("input[name='speaker-SPEAKER_01-name']") == "Sofie Willox"
            assert "Sofie Willox" in page.locator(".transcript").inner_text()
            # Move the second section up, then approve.
            page.locator("fieldset.section").nth(1).locator("button.up").click()
            page.click("#approve")
            page.wait_for_selector("#message")
            assert "approved" in page.inner_text("#message")
            page.screenshot(path=str(artifacts / "review-approved.png"), full_page=True)
            assert not errors, errors
        finally:
            browser.close()

    final_md = (out_dir / "shownotes.final.md").read_text(encoding="utf-8")
    assert "Groei begint altijd bij mensen" in final_md and "Sofie Willox" in final_md
    assert final_md.index("Veranderen") < final_md.index("Groei begint altijd bij mensen")
    assert "Je moet eerst luisteren" not in final_md
    assert "Sofie Willox" in (out_dir / "transcript.final.txt").read_text(encoding="utf-8")
    assert "Sofie Willox" in (out_dir / "transcript.vtt").read_text(encoding="utf-8")
    assert (out_dir / "shownotes.final.html").is_file()
    if (out_dir / "shownotes.draft.docx").exists():  # the real podpipe.stages.notes writes docx too
        assert (out_dir / "shownotes.final.docx").is_file()
    manifest = json.loads((out_dir / ".podpipe-manifest.json").read_text())
    assert "shownotes.final.md" in manifest["protected"]
    assert len(list((out_dir / "versions").glob("*.json"))) == 2
    row = catalog.get(episode_id)
    assert row.status == Status.APPROVED
    assert (artifacts / "review-approved.png").stat().st_size > 10_000
    print(f"screenshot: {artifacts / 'review-approved.png'}")
