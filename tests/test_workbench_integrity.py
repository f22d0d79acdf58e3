"""The editor's workbench never loses or splits an edit: issue 23's integrity bugs, in Chromium.

Each test is one bug as an editor met it, driven through Debian's Chromium (/usr/bin/chromium) with
Playwright; two editors are two browser contexts (two sessions, two CSRF cookies). Skipped when
Chromium or Playwright is missing, except under CI (see tests/test_review_browser.py).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from podpipe.catalog import Catalog
from podpipe.config import Settings
from podpipe.review import create_app, store
from test_review_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, serving
from test_review_fixtures import SLUG, build_episode


@contextmanager
def _serving(output_root: Path, catalog: Catalog) -> Iterator[str]:
    with serving(create_app(output_root, settings=Settings(), catalog=catalog)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    output_root, catalog, _ = build_episode(tmp_path)
    with _serving(output_root, catalog) as base:
        yield base, output_root / SLUG


@pytest.fixture()
def text_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A text-in episode: its source is a transcript JSON, there is no audio at all."""
    from podpipe.exports.transcripts import write_transcript_files
    from podpipe.io import read_transcript

    output_root, catalog, _ = build_episode(tmp_path)
    out_dir = output_root / SLUG
    transcript = read_transcript(out_dir / "transcript.json")
    source = tmp_path / "inbox" / f"{SLUG}.json"
    source.write_text((out_dir / "transcript.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "inbox" / f"{SLUG}.wav").unlink()
    episode = replace(transcript.episode, source=source)
    (out_dir / "transcript.json").unlink()
    write_transcript_files(replace(transcript, episode=episode), out_dir)
    catalog.register(episode)
    with _serving(output_root, catalog) as base:
        yield base, out_dir


@pytest.fixture()
def editor(browser: Any) -> Iterator[Any]:
    yield from _context(browser)


@pytest.fixture()
def second_editor(browser: Any) -> Iterator[Any]:
    yield from _context(browser)


def _context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    assert not page.errors, page.errors
    context.close()


def _open(page: Any, base: str) -> None:
    page.goto(f"{base}/episodes/{SLUG}")
    page.wait_for_selector("#notes-form")


def _versions(out_dir: Path) -> list[dict[str, Any]]:
    folder = out_dir / "versions"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("0*.json"))] if folder.is_dir() else []


def wait_until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Poll a JavaScript expression from Python: Playwright's wait_for_function polls with eval, which
    the app's Content-Security-Policy (rightly) refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)


def _submit(page: Any, button: str) -> None:
    with page.expect_navigation():
        page.click(button)


# -- 1, 2: a conflict never loses an edit ----------------------------------------------------------

def test_use_mine_keeps_the_other_editors_title_and_heading(site, editor, second_editor) -> None:
    base, out_dir = site
    a, b = editor, second_editor
    _open(a, base)
    _open(b, base)  # B opens version 0 too, before A saves
    a.fill("input[name='title']", "Titel van A")
    a.fill("input[name='s0-heading']", "Kop van A")
    _submit(a, "#save")
    assert "versie 1" in a.inner_text("#message")
    b.fill("input[name='s0-heading']", "Kop van B")
    _submit(b, "#save")
    # Both values of the clashing field, side by side, labelled in Dutch.
    clash = b.locator("tr.clash")
    assert clash.count() == 1 and clash.locator("th").inner_text() == "sectie 1: kop"
    assert "Kop van A" in clash.locator("td.theirs").inner_text()
    assert "Kop van B" in clash.locator("td.mine").inner_text()
    assert "titel" in b.inner_text(".merged-theirs"), "the page says A's title stays"
    _submit(b, "#use-mine")
    assert "versie 2" in b.inner_text("#message")
    newest = _versions(out_dir)[-1]
    assert newest["version"] == 2
    assert newest["notes"]["sections"][0]["heading"] == "Kop van B"
    assert newest["notes"]["title"] == "Titel van A", "A's title must survive B's choice"
    assert b.input_value("input[name='title']") == "Titel van A"


def test_a_conflict_merges_the_other_field_it_says_it_merges(site, editor, second_editor) -> None:
    base, out_dir = site
    a, b = editor, second_editor
    _open(a, base)
    _open(b, base)
    a.fill("input[name='s0-heading']", "Kop van A")
    _submit(a, "#save")
    b.fill("input[name='s0-heading']", "Kop van B")
    b.fill("textarea[name='s1-paragraphs']", "Alinea van B over veranderen.")
    _submit(b, "#save")
    assert "sectie 2: tekst" in b.inner_text(".merged-mine"), "the page names B's other change"
    b.locator("tr.clash input[value='theirs']").check()  # B takes A's heading
    _submit(b, "#resolve")
    newest = _versions(out_dir)[-1]
    assert newest["notes"]["sections"][0]["heading"] == "Kop van A"
    assert newest["notes"]["sections"][1]["paragraphs"] == ["Alinea van B over veranderen."], \
        "B's paragraph was said to be merged: it must be in the new version"
    assert "Alinea van B over veranderen." in (out_dir / "shownotes.draft.md").read_text()


# -- 3: find and replace reaches names ---------------------------------------------------------

def test_find_and_replace_renames_the_speaker_so_credits_and_intro_agree(site, editor) -> None:
    base, out_dir = site
    zero = store.load_state(out_dir)
    speakers = [replace(s, name="Katleen Peeters") if s.id == "SPEAKER_01" else s for s in zero.speakers]
    store.save(out_dir, 0, zero.notes, speakers, settings=Settings())
    page = editor
    _open(page, base)
    assert "Katleen Peeters" in page.inner_text("#rendered")
    page.fill("#find-form input[name='find']", "Katleen")
    page.fill("#find-form input[name='replace']", "Kathleen")
    _submit(page, "#find")
    assert page.locator("input[name='hit'][value='speaker:SPEAKER_01:name']").count() == 1
    _submit(page, "#apply-replace")
    rendered = page.inner_text("#rendered")
    assert "Katleen" not in rendered and "Kathleen Peeters" in rendered, "intro and quote credits agree"
    newest = _versions(out_dir)[-1]
    assert any(s["name"] == "Kathleen Peeters" for s in newest["speakers"])
    assert "[[speaker:SPEAKER_01" in newest["notes"]["intro"], "the name stays a reference, not plain text"
    for name in ("shownotes.draft.md", "transcript.txt"):
        text = (out_dir / name).read_text()
        assert "Katleen" not in text and "Kathleen Peeters" in text, name


# -- 4, 5: approval and saving make exactly the versions they should -----------------------------------

def test_a_refused_approval_saves_no_version_marked_approved(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    page.fill("input[name='title']", "Een titel voor later")
    _submit(page, "#approve")  # no check ticked: the approval is refused
    message = page.inner_text("#message")
    assert "Goedkeuren kan nog niet" in message and "versie 1" in message, message
    versions = _versions(out_dir)
    assert [v["note"] for v in versions] == ["pipeline", "save"], "the edit is kept, not marked approved"
    assert not (out_dir / "approval.json").exists() and not (out_dir / "shownotes.final.md").exists()
    assert "goedgekeurd" not in page.inner_text(".versions")
    assert page.input_value("input[name='title']") == "Een titel voor later"


def test_saving_without_a_change_makes_no_version(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    _submit(page, "#save")
    assert "Niets gewijzigd" in page.inner_text("#message")
    _submit(page, "#save")
    assert _versions(out_dir) == [], "no version 0 copy, no version 1: nothing changed"
    page.fill("input[name='title']", "Nu wel gewijzigd")
    _submit(page, "#save")
    _submit(page, "#save")
    assert [v["version"] for v in _versions(out_dir)] == [0, 1]


# -- 6: merging sections ----------------------------------------------------------------------------------

def test_merging_sections_keeps_the_heading_just_edited_and_the_preview_shows_it(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    page.fill("input[name='s1-heading']", "Luisteren en groeien")
    page.locator("fieldset.section").nth(0).locator("input.merge").check()
    preview = page.inner_text("#live-preview")
    assert re.findall(r"^## .*$", preview, re.MULTILINE) == ["## Luisteren en groeien", "## Tot slot"], preview
    assert "Luisteren voor je verandert." in preview
    _submit(page, "#save")
    sections = _versions(out_dir)[-1]["notes"]["sections"]
    assert [s["heading"] for s in sections] == ["Luisteren en groeien"]
    assert "Luisteren voor je verandert." in sections[0]["paragraphs"]


# -- 7: what cannot be published is refused, with a message -------------------------------------------

def test_an_empty_heading_or_title_is_refused_with_a_message_and_the_typing_kept(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    page.fill("textarea[name='intro']", "Een nieuwe inleiding die niet verloren mag gaan.")
    page.fill("input[name='s0-heading']", "")
    page.fill("input[name='title']", "  ")
    _submit(page, "#save")
    problems = page.inner_text("#problems")
    assert "De kop van sectie 1 mag niet leeg zijn" in problems and "De titel mag niet leeg zijn" in problems
    assert "opgeslagen als" not in page.content()
    assert page.input_value("textarea[name='intro']") == "Een nieuwe inleiding die niet verloren mag gaan."
    assert page.input_value("input[name='s0-heading']") == ""
    assert page.get_attribute("input[name='s0-heading']", "aria-invalid") == "true"
    assert _versions(out_dir) == []
    # Fixing the heading and the title from the refused page saves all of it.
    page.fill("input[name='s0-heading']", "Mensen eerst, opnieuw")
    page.fill("input[name='title']", "Groeien")
    _submit(page, "#save")
    newest = _versions(out_dir)[-1]
    assert newest["notes"]["intro"] == "Een nieuwe inleiding die niet verloren mag gaan."
    assert newest["notes"]["sections"][0]["heading"] == "Mensen eerst, opnieuw"


def test_an_over_long_paragraph_is_refused_with_a_message(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    page.fill("textarea[name='s1-paragraphs']", "lang " * 10_000)  # 50,000 characters
    _submit(page, "#save")
    assert "sectie 2: tekst is te lang: 49999 tekens, hoogstens 5000" in page.inner_text("#problems")
    assert _versions(out_dir) == []


# -- 8: the preview is what is published ----------------------------------------------------------------

def test_preview_as_published_is_exactly_the_final(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    assert "Nakijken" not in page.inner_text("#rendered"), "the check box is not published"
    for check in page.locator(".check").all():
        check.locator("input[value='ok']").check()
    page.fill("input[name='title']", "Zoals gepubliceerd")
    _submit(page, "#approve")
    assert "goedgekeurd" in page.inner_text("#message")
    final = (out_dir / "shownotes.final.html").read_text()
    body = re.search(r"<body[^>]*>(.*)</body>", final, re.DOTALL).group(1)
    shown = page.evaluate("document.getElementById('rendered').innerHTML")
    assert " ".join(shown.split()) == " ".join(body.split())


# -- 9: no audio, said so; time links seek -----------------------------------------------------------------

def test_a_text_only_episode_has_no_audio_and_the_page_says_so(text_site, editor) -> None:
    base, _ = text_site
    page = editor
    response = page.request.get(f"{base}/episodes/{SLUG}/audio")
    assert response.status == 404 and "geen audio" in response.text()
    assert not response.text().lstrip().startswith("{"), "never the transcript JSON"
    _open(page, base)
    assert page.locator("audio").count() == 0
    assert "geen audio" in page.inner_text("#no-audio")
    page.locator(".transcript .line .time").nth(2).click()
    assert "niets af te spelen" in page.inner_text("#no-audio"), "a click on a line says why nothing plays"


def test_time_links_in_the_preview_move_the_player(site, editor) -> None:
    base, _ = site
    page = editor
    _open(page, base)
    links = page.locator("#rendered a[href^='#t=']")
    assert links.count() >= 2
    target = links.nth(1)
    seconds = sum(int(part) * 60 ** i for i, part in enumerate(reversed(target.get_attribute("href")[3:].split(":"))))
    target.click()
    wait_until(page, f"Math.abs(document.getElementById('player').currentTime - {seconds}) < 1.5")
    assert page.url.endswith(f"/episodes/{SLUG}"), "the link seeks; it does not navigate"


# -- 10: Dutch notes and labels, times with a zone -------------------------------------------------------

def test_version_notes_and_labels_are_dutch_and_times_have_a_zone(site, editor) -> None:
    base, out_dir = site
    page = editor
    _open(page, base)
    page.fill("#find-form input[name='find']", "groei")
    page.fill("#find-form input[name='replace']", "bloei")
    _submit(page, "#find")
    _submit(page, "#apply-replace")
    versions = page.inner_text(".versions")
    assert "vervangen: ‘groei’ → ‘bloei’" in versions and "replace" not in versions, versions
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", versions), versions
    saved_at = _versions(out_dir)[-1]["saved_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", saved_at), saved_at
    assert "CE" in page.inner_text("#saved-at")
