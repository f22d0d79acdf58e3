"""The review app without a browser: Starlette's TestClient over a hand-made episode folder."""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from podpipe.cast import described
from podpipe.catalog import Status
from podpipe.config import Settings
from podpipe.exports.layout import publish
from podpipe.review import ReviewConfigError, check_bind, create_app, serve
from podpipe.review.app import CSRF_COOKIE
from test_review_fixtures import EVIL, SLUG, build_episode


class _Form(HTMLParser):
    """The fields of the form with id=notes-form as a browser would submit them (first button excluded)."""

    def __init__(self, form_id: str = "notes-form") -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if "disabled" in a or a.get("form") not in (None, self.form_id):
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self._select, self._select_value = a["name"], None
        elif tag == "option" and self._select:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            self.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "form":
            self.inside = False


def form_of(html: str) -> dict[str, list[str]]:
    return form_of_id(html, "notes-form")


def form_of_id(html: str, form_id: str | None) -> dict[str, list[str]]:
    """The fields of the form with this id (None: the forms without an id, such as login and logout)."""
    parser = _Form(form_id)
    parser.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields


def edit(fields: dict[str, list[str]], **changes: str) -> dict[str, list[str]]:
    new = {k: list(v) for k, v in fields.items()}
    for key, value in changes.items():
        new[key.replace("__", "-")] = [value]
    return new


BASE = "http://127.0.0.1"


@pytest.fixture()
def episode(tmp_path: Path):
    output_root, catalog, episode_id = build_episode(tmp_path)
    app = create_app(output_root, settings=Settings(), catalog=catalog)
    with TestClient(app, base_url=BASE) as client:
        yield client, output_root / SLUG, catalog, episode_id


def page(client: TestClient) -> str:
    response = client.get(f"/episodes/{SLUG}")
    assert response.status_code == 200, response.text
    return response.text


def csrf_of(client: TestClient) -> str:
    return form_of(page(client))["csrf"][0]


def save(client: TestClient, **changes: str) -> None:
    fields = edit(form_of(page(client)), **changes)
    response = client.post(f"/episodes/{SLUG}/save", data=fields, follow_redirects=False)
    assert response.status_code == 303, response.text


def saved_versions(out_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out_dir / "versions").glob("*.json"))]


def ticked(fields: dict[str, list[str]], html: str) -> dict[str, list[str]]:
    """Every checklist point ticked "in orde" and the approval confirmed, as an editor would."""
    new = {k: list(v) for k, v in fields.items()}
    for check in re.findall(r'name="(check-[0-9a-f]+)"', html):
        new[check] = ["ok"]
    new["confirm"] = ["yes"]
    return new


# -- the list ------------------------------------------------------------------------------------

def test_episode_list_shows_status_reason_and_links(episode) -> None:
    client, _, _, _ = episode
    html = client.get("/").text
    assert f'href="/episodes/{SLUG}"' in html
    assert "concept klaar" in html and "ffprobe: invalid data found" in html
    assert "00:40" in html


def test_list_shows_every_folder_and_broken_ones_with_the_reason(episode) -> None:
    client, out_dir, _, _ = episode
    root = out_dir.parent
    (root / "uit-notes").mkdir()
    for name in ("transcript.json", "shownotes.json"):
        (root / "uit-notes" / name).write_text((out_dir / name).read_text())
    (root / "half").mkdir()
    (root / "half" / "shownotes.json").write_text("{}")
    (out_dir / "shownotes.json").write_text("{ broken")
    html = client.get("/").text
    assert 'href="/episodes/uit-notes"' in html and "niet in de catalogus" in html
    assert "half" in html and "transcript.json ontbreekt" in html
    row = re.search(rf'<tr[^>]*data-slug="{SLUG}".*?</tr>', html, re.DOTALL).group(0)
    assert "onleesbaar" in row and "concept klaar" not in row and f'href="/episodes/{SLUG}"' not in row
    broken = client.get(f"/episodes/{SLUG}")
    assert broken.status_code == 500 and "onleesbaar" in broken.text and "shownotes.json" in broken.text
    assert client.get("/episodes/uit-notes").status_code == 200


def test_english_is_a_setting(tmp_path: Path) -> None:
    output_root, catalog, _ = build_episode(tmp_path)
    settings = Settings()
    settings.review.language = "en"
    with TestClient(create_app(output_root, settings=settings, catalog=catalog), base_url=BASE) as client:
        html = page(client)
    assert ">Save and approve<" in html and 'lang="en"' in html and "Check before publishing" in html


def test_page_is_dutch(episode) -> None:
    client, _, _, _ = episode
    html = page(client)
    for label in (">Sprekers<", ">Opslaan<", ">Opslaan en goedkeuren<", ">Versies<", "Nakijken voor publicatie",
                  ">Downloads<", "Zoeken en vervangen"):
        assert label in html, label
    for english in (">Speakers<", ">Save<", ">Heading", ">Versions<"):
        assert english not in html, english


def test_script_in_transcript_and_names_is_text(episode) -> None:
    client, _, _, _ = episode
    response = client.get(f"/episodes/{SLUG}")
    assert EVIL not in response.text
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_low_confidence_words_are_marked(episode) -> None:
    client, _, _, _ = episode
    html = page(client)
    assert re.search(r'<span class="w low"[^>]*title="zekerheid 30 %">Gro</span>', html)
    assert html.count('class="w low"') == 2
    assert "2 woord(en) waar Whisper onzeker was" in html


# -- saving: rename, references, derived files ---------------------------------------------------

def test_save_renames_edits_rejects_and_versions(episode) -> None:
    client, out_dir, _, _ = episode
    png_before = (out_dir / "speakers.png").read_bytes()
    save(client, speaker__SPEAKER_01__name="Sofie Willox", speaker__SPEAKER_01__organisation="So We Grow",
         speaker__SPEAKER_00__name="Jan Host", s0__heading="Groei begint bij mensen", s1__q0="reject")
    versions = sorted((out_dir / "versions").glob("0001-*.json"))
    assert len(versions) == 1
    saved = json.loads(versions[0].read_text())
    assert saved["notes"]["sections"][0]["heading"] == "Groei begint bij mensen"
    assert saved["notes"]["sections"][1]["quotes"] == []
    for name in ("transcript.txt", "transcript.vtt", "transcript.srt", "transcript.podcast.json"):
        assert "Sofie Willox" in (out_dir / name).read_text(), name
    transcript = json.loads((out_dir / "transcript.json").read_text())
    sofie = {"id": "SPEAKER_01", "name": "Sofie Willox", "organisation": "So We Grow", "role": None}
    assert sofie in transcript["speakers"]
    draft = (out_dir / "shownotes.draft.md").read_text()
    assert "Groei begint bij mensen" in draft and "Sofie Willox" in draft
    assert "Je moet eerst luisteren" not in draft
    assert (out_dir / "speakers.png").read_bytes() != png_before, "the timeline is redrawn with the names"
    confirmed = json.loads((out_dir / "speakers.confirmed.json").read_text())["speakers"][0]
    assert confirmed["name"] == "Jan Host" and confirmed["spans"]
    html = page(client)
    assert 'value="Sofie Willox"' in html and "versie 1" in html


def test_one_rename_reaches_intro_paraphrase_closing_and_every_file(episode) -> None:
    client, out_dir, _, _ = episode
    html = page(client)
    assert "Een gesprek met Gast 1 over groei." in html, "the form shows names, not references"
    save(client, speaker__SPEAKER_01__name="Sofie Willox", speaker__SPEAKER_01__organisation="So We Grow")
    for name in ("shownotes.draft.md", "shownotes.draft.html"):
        text = (out_dir / name).read_text()
        assert "Een gesprek met Sofie Willox over groei." in text, name
        # "Gast 1" stood for the whole name (a placeholder has no first name): the whole new name comes in.
        assert "Sofie Willox vertelt: groei begint" in text and "Sofie Willox bracht de eigen praktijk" in text
        assert "Gast 1" not in text and "[[speaker:" not in text, name
    saved = saved_versions(out_dir)[-1]
    assert "[[speaker:SPEAKER_01]]" in saved["notes"]["intro"], "stored as a reference"


def test_edit_typed_with_a_name_and_rename_in_one_save_both_land(episode) -> None:
    client, out_dir, _, _ = episode
    save(client, intro="Gast 1 vertelt over groei.", speaker__SPEAKER_01__name="Sofie Willox")
    assert "Sofie Willox vertelt over groei." in (out_dir / "shownotes.draft.md").read_text()


def test_edited_and_reordered_headings_reach_the_chapters(episode) -> None:
    client, out_dir, _, _ = episode
    fields = edit(form_of(page(client)), s0__heading="Mensen komen eerst", s1__heading="Luisteren, dan veranderen")
    fields["section"] = ["1", "0"]
    assert client.post(f"/episodes/{SLUG}/save", data=fields, follow_redirects=False).status_code == 303
    chapters = json.loads((out_dir / "chapters.json").read_text())["chapters"]
    assert [c["title"] for c in chapters] == ["Intro", "Mensen komen eerst", "Luisteren, dan veranderen"]
    assert chapters[-1]["endTime"] == 40.0
    md = (out_dir / "shownotes.draft.md").read_text()
    assert md.index("Luisteren, dan veranderen") < md.index("Mensen komen eerst")


def test_version_zero_stays_the_pipeline_draft(episode) -> None:
    client, out_dir, _, _ = episode
    pipeline_notes = (out_dir / "shownotes.json").read_text()
    pipeline_transcript = json.loads((out_dir / "transcript.json").read_text())
    save(client, title="Nieuwe titel", speaker__SPEAKER_01__name="Sofie Willox")
    save(client, title="Nog een titel")
    zero = saved_versions(out_dir)[0]
    assert zero["version"] == 0 and zero["notes"]["title"] == "Groeien begint bij mensen"
    assert zero["transcript"]["speakers"] == pipeline_transcript["speakers"]
    assert json.loads(pipeline_notes)["title"] == zero["notes"]["title"]
    assert json.loads((out_dir / "shownotes.json").read_text())["title"] == "Nog een titel"
    names = [p.name for p in sorted((out_dir / "versions").glob("0000-*.json"))]
    view = client.get(f"/episodes/{SLUG}/versions/{names[0]}")
    assert view.status_code == 200 and "Groeien begint bij mensen" in view.text
    second = sorted((out_dir / "versions").glob("0002-*.json"))[0].name
    diff = client.get(f"/episodes/{SLUG}/versions/{second}").text
    assert "-# Nieuwe titel" in diff and "+# Nog een titel" in diff


# -- corrections -------------------------------------------------------------------------------

def test_correcting_a_line_keeps_asr_and_reaches_quotes_and_files(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    fields["line-1"] = ["Dank je. Bij So We Grow begint groei altijd bij de mensen zelf."]
    assert client.post(f"/episodes/{SLUG}/save", data=fields, follow_redirects=False).status_code == 303
    saved = saved_versions(out_dir)[-1]
    assert saved["corrections"] == {"1": "Dank je. Bij So We Grow begint groei altijd bij de mensen zelf."}
    quote = saved["notes"]["sections"][0]["quotes"][0]
    assert quote["text"] == "Bij So We Grow begint groei altijd bij de mensen zelf."
    transcript = json.loads((out_dir / "transcript.json").read_text())
    words = transcript["segments"][1]["words"]
    grow = next(w for w in words if w["text"].strip() == "Grow")
    assert grow["probability"] == 1.0 and grow["start"] > 6.0
    assert [w["start"] for w in words] == sorted(w["start"] for w in words)
    for name in ("transcript.txt", "transcript.vtt", "transcript.srt", "transcript.podcast.json",
                 "shownotes.draft.md", "shownotes.draft.html"):
        text = (out_dir / name).read_text()
        assert "So We Grow" in text and "So We Gro " not in text, name
    zero = saved_versions(out_dir)[0]
    assert "So We Gro begint" in zero["transcript"]["segments"][1]["text"], "the ASR is kept in version 0"
    html = page(client)
    assert 'class="line corrected"' in html and html.count('class="w low"') == 1


def test_editing_a_quote_corrects_the_transcript_under_it(episode) -> None:
    client, out_dir, _, _ = episode
    save(client, s0__q0__text="Bij So We Grow begint groei altijd bij de mensen zelf.")
    saved = saved_versions(out_dir)[-1]
    assert saved["corrections"]["1"] == "Dank je. Bij So We Grow begint groei altijd bij de mensen zelf."
    assert "So We Grow begint" in (out_dir / "transcript.txt").read_text()


def test_find_and_replace_previews_every_hit_and_applies_the_chosen(episode) -> None:
    client, out_dir, _, _ = episode
    preview = client.get(f"/episodes/{SLUG}/find", params={"find": "Wilox", "replace": "Willox", "whole": "1"})
    assert preview.status_code == 200
    fields = form_of_id(preview.text, "replace-form")
    assert fields["hit"] == ["line:2"], "the quote is not in a section; the transcript line is"
    assert "Sofie Willox?" in preview.text
    response = client.post(f"/episodes/{SLUG}/replace", data=fields, follow_redirects=False)
    assert response.status_code == 303
    assert "Sofie Willox?" in (out_dir / "transcript.txt").read_text()
    assert saved_versions(out_dir)[-1]["corrections"]["2"].startswith("Wat bedoel je daarmee, Sofie Willox?")
    nothing = client.get(f"/episodes/{SLUG}/find", params={"find": "nergens"})
    assert "Geen treffers" in nothing.text


def test_find_and_replace_reaches_the_draft_text(episode) -> None:
    client, out_dir, _, _ = episode
    preview = client.get(f"/episodes/{SLUG}/find", params={"find": "groei", "replace": "bloei", "whole": "1"})
    fields = form_of_id(preview.text, "replace-form")
    assert {"intro", "s0-p0", "s0-q0", "line:1"} <= set(fields["hit"])
    fields["hit"] = ["intro"]  # only the chosen hit changes
    client.post(f"/episodes/{SLUG}/replace", data=fields, follow_redirects=False)
    md = (out_dir / "shownotes.draft.md").read_text()
    assert "Een gesprek met Gast 1 over bloei." in md and "begint groei altijd" in md


def test_the_closing_heading_is_edited_renamed_emptied_and_found(episode) -> None:
    client, out_dir, _, _ = episode
    html = page(client)
    assert form_of(html)["closing_heading"] == [""] and 'placeholder="Tot slot"' in html
    assert "## Tot slot" in (out_dir / "shownotes.draft.md").read_text()
    # a misheard heading ("Tot slot: begin froeg") is corrected, naming a speaker by the current name
    fields = edit(form_of(html), closing_heading="Tot slot: Gast 1 zegt begin vroeg")
    response = client.post(f"/episodes/{SLUG}/save", data=fields)
    assert "kop van het slot" in response.text, "the save says what it changed"
    stored = saved_versions(out_dir)[-1]["notes"]["closing_heading"]
    assert stored == "Tot slot: [[speaker:SPEAKER_01]] zegt begin vroeg", "stored as a reference"
    save(client, speaker__SPEAKER_01__name="Sofie Willox")
    for name in ("shownotes.draft.md", "shownotes.draft.html"):
        assert "Tot slot: Sofie Willox zegt begin vroeg" in (out_dir / name).read_text(), name
    preview = client.get(f"/episodes/{SLUG}/find", params={"find": "vroeg", "replace": "op tijd", "whole": "1"})
    fields = form_of_id(preview.text, "replace-form")
    assert "closing_heading" in fields["hit"]
    fields["hit"] = ["closing_heading"]
    client.post(f"/episodes/{SLUG}/replace", data=fields, follow_redirects=False)
    assert "## Tot slot: Sofie Willox zegt begin op tijd" in (out_dir / "shownotes.draft.md").read_text()
    save(client, closing_heading="")  # emptied: the configured heading again
    assert "## Tot slot\n" in (out_dir / "shownotes.draft.md").read_text()


def test_a_too_long_closing_heading_is_refused_with_everything_typed_kept(episode) -> None:
    client, out_dir, _, _ = episode
    fields = edit(form_of(page(client)), closing_heading="lang " * 100, intro="Een nieuwe inleiding.")
    response = client.post(f"/episodes/{SLUG}/save", data=fields)
    assert response.status_code == 422 and 'name="closing_heading"' in response.text
    assert "kop van het slot" in response.text and "Een nieuwe inleiding." in response.text
    assert form_of(response.text)["closing_heading"] == [("lang " * 100).strip()]
    assert not list((out_dir / "versions").glob("0001-*.json")), "nothing saved"


# -- quotes and sections --------------------------------------------------------------------------

def test_swap_quote_and_reorder_sections(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    fields = edit(fields, s0__q0="swap:1")
    fields["section"] = ["1", "0"]
    assert client.post(f"/episodes/{SLUG}/save", data=fields, follow_redirects=False).status_code == 303
    saved = saved_versions(out_dir)[-1]
    assert [s["heading"] for s in saved["notes"]["sections"]] == ["Veranderen", "Mensen eerst"]
    assert saved["notes"]["sections"][1]["quotes"][0]["text"] == "Wat bedoel je daarmee, Sofie Wilox?"


def test_swap_with_a_quote_of_another_theme_is_ignored(episode) -> None:
    client, out_dir, _, _ = episode
    save(client, s0__q0="swap:3")
    assert saved_versions(out_dir) == [] if (out_dir / "versions").is_dir() else True, "nothing changed: no version"
    save(client, s0__q0="swap:3", title="Een andere titel")
    saved = saved_versions(out_dir)[-1]
    assert saved["notes"]["sections"][0]["quotes"][0]["text"].startswith("Bij So We Gro begint")


def test_a_rejected_quote_can_be_brought_back_and_any_candidate_added(episode) -> None:
    client, out_dir, _, _ = episode
    save(client, s1__q0="reject")
    assert saved_versions(out_dir)[-1]["notes"]["sections"][1]["quotes"] == []
    html = page(client)
    assert re.search(r'name="s1-add".*?value="2"', html, re.DOTALL), "the rejected quote is offered again"
    save(client, s1__add="2", s0__add="1")
    sections = saved_versions(out_dir)[-1]["notes"]["sections"]
    assert [q["text"] for q in sections[1]["quotes"]] == ["Je moet eerst luisteren voor je iets verandert."]
    assert len(sections[0]["quotes"]) == 2


def test_quote_from_a_transcript_selection(episode) -> None:
    client, out_dir, _, _ = episode
    save(client=client, newquote__line="4", newquote__text="de cijfers volgen vanzelf", newquote__section="1")
    quotes = saved_versions(out_dir)[-1]["notes"]["sections"][1]["quotes"]
    made = next(q for q in quotes if q["text"] == "de cijfers volgen vanzelf")
    assert made["speaker"] == "SPEAKER_02" and 32.0 < made["start"] < made["end"] < 40.0
    assert "de cijfers volgen vanzelf" in (out_dir / "shownotes.draft.md").read_text()


def test_add_delete_and_merge_sections(episode) -> None:
    client, out_dir, _, _ = episode
    save(client, new__heading="Een nieuw stuk", new__start="00:30", new__text="Over cijfers.")
    headings = [s["heading"] for s in saved_versions(out_dir)[-1]["notes"]["sections"]]
    assert headings == ["Mensen eerst", "Veranderen", "Een nieuw stuk"]
    save(client, s0__merge="1")
    sections = saved_versions(out_dir)[-1]["notes"]["sections"]
    assert [s["heading"] for s in sections] == ["Mensen eerst", "Een nieuw stuk"]
    assert len(sections[0]["quotes"]) == 2 and "Luisteren voor je verandert." in sections[0]["paragraphs"]
    save(client, s1__delete="1")
    assert [s["heading"] for s in saved_versions(out_dir)[-1]["notes"]["sections"]] == ["Mensen eerst"]
    assert [c["title"] for c in json.loads((out_dir / "chapters.json").read_text())["chapters"]] == [
        "Intro", "Mensen eerst"]


# -- approval ------------------------------------------------------------------------------------

def test_approval_needs_every_check_and_a_confirmation(episode) -> None:
    client, out_dir, catalog, episode_id = episode
    html = page(client)
    fields = edit(form_of(html), action="approve")
    response = client.post(f"/episodes/{SLUG}/save", data=fields)
    assert "vink elk punt aan" in response.text and not (out_dir / "shownotes.final.md").exists()
    everything = ticked(fields, html)
    del everything["confirm"]
    response = client.post(f"/episodes/{SLUG}/save", data=everything)
    assert "Bevestig de goedkeuring" in response.text and not (out_dir / "shownotes.final.md").exists()
    waived = ticked(fields, html)
    waived[next(k for k in waived if k.startswith("check-"))] = ["waived"]
    response = client.post(f"/episodes/{SLUG}/save", data=waived)
    assert "goedgekeurd" in response.text and (out_dir / "shownotes.final.md").exists()
    assert "waived" in json.loads((out_dir / "approval.json").read_text())["checks"].values()
    assert catalog.get(episode_id).status == Status.APPROVED


def test_approve_writes_a_final_of_every_publishable_file_and_protects_them(episode) -> None:
    client, out_dir, catalog, episode_id = episode
    html = page(client)
    fields = ticked(edit(form_of(html), speaker__SPEAKER_01__name="Sofie Willox", action="approve"), html)
    response = client.post(f"/episodes/{SLUG}/save", data=fields, follow_redirects=False)
    assert response.status_code == 303
    finals = ["shownotes.final.md", "shownotes.final.html", "shownotes.final.docx", "shownotes.final.json",
              "transcript.final.json", "transcript.final.vtt", "transcript.final.srt", "transcript.final.txt",
              "transcript.final.podcast.json", "chapters.final.json", "episode.final.feed.xml", "speakers.final.png"]
    for name in finals:
        assert (out_dir / name).is_file(), name
    assert "Sofie Willox" in (out_dir / "shownotes.final.md").read_text()
    assert "Sofie Willox" in (out_dir / "transcript.final.txt").read_text()
    assert "Sofie Willox" in (out_dir / "transcript.final.podcast.json").read_text()
    assert 'url="transcript.final.vtt"' in (out_dir / "episode.final.feed.xml").read_text()
    assert "Nakijken" not in (out_dir / "shownotes.final.md").read_text()
    row = catalog.get(episode_id)
    assert row.status == Status.APPROVED and "Sofie Willox" in row.speakers
    manifest = json.loads((out_dir / ".podpipe-manifest.json").read_text())
    assert set(finals) | {"shownotes.json", "transcript.json"} <= set(manifest["protected"])
    # The pipeline reprocesses the episode: its new files go beside the editors', never over them.
    before = (out_dir / "shownotes.final.md").read_text()
    assert publish(out_dir, "shownotes.final.md", "pipeline").name == "shownotes.final.v2.md"
    assert publish(out_dir, "shownotes.json", "{}").name == "shownotes.v2.json"
    assert (out_dir / "shownotes.final.md").read_text() == before
    # Downloads link to them.
    html = page(client)
    for name in ("shownotes.final.docx", "shownotes.final.html", "shownotes.final.md", "transcript.final.srt",
                 "transcript.final.vtt", "transcript.final.podcast.json", "chapters.final.json"):
        assert f'/files/{name}?download=1"' in html, name
    download = client.get(f"/episodes/{SLUG}/files/shownotes.final.docx?download=1")
    assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment")


def test_changed_after_approval_goes_back_to_re_approve(episode) -> None:
    client, out_dir, catalog, episode_id = episode
    html = page(client)
    client.post(f"/episodes/{SLUG}/save", data=ticked(edit(form_of(html), action="approve"), html))
    assert catalog.get(episode_id).status == Status.APPROVED
    save(client, title="Toch een andere titel")
    assert catalog.get(episode_id).status == Status.TO_REAPPROVE
    assert "opnieuw goed te keuren" in page(client) and "opnieuw goed te keuren" in client.get("/").text


def test_approval_is_read_from_approval_json_not_the_catalogue(episode) -> None:
    """approval.json is the one approval record: a catalogue that says "approved" without it is a draft."""
    client, out_dir, catalog, episode_id = episode
    catalog.set_status(episode_id, Status.APPROVED)
    assert not (out_dir / "approval.json").exists()
    assert "goedgekeurd" not in client.get("/").text and "goedgekeurd" not in page(client).split("</p>")[0]
    html = page(client)
    client.post(f"/episodes/{SLUG}/save", data=ticked(edit(form_of(html), action="approve"), html))
    assert json.loads((out_dir / "approval.json").read_text())["version"] == 0  # the draft, approved as it is
    assert catalog.get(episode_id).status == Status.APPROVED and "goedgekeurd" in client.get("/").text


def test_renamed_speaker_is_no_longer_a_check(episode) -> None:
    client, _, _, _ = episode
    assert "SPEAKER_00 (SPEAKER_00) is niet herkend" in page(client)
    save(client, speaker__SPEAKER_00__name="Jan Host")
    html = page(client)
    assert "is niet herkend" not in html.split('id="rendered"')[0]


# -- CSRF, conflicts, versions --------------------------------------------------------------------

def test_post_without_or_with_wrong_form_token_is_refused(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    assert client.post(f"/episodes/{SLUG}/save", data=edit(fields, csrf="forged")).status_code == 403
    del fields["csrf"]
    assert client.post(f"/episodes/{SLUG}/save", data=fields).status_code == 403
    assert client.post(f"/episodes/{SLUG}/approve", data={}).status_code == 403
    assert not (out_dir / "versions").exists() or not list((out_dir / "versions").glob("*.json"))


def test_a_token_signed_with_another_key_is_refused(episode) -> None:
    from itsdangerous import URLSafeTimedSerializer

    client, _, _, _ = episode
    fields = form_of(page(client))
    session = client.cookies[CSRF_COOKIE]
    forged = URLSafeTimedSerializer("not-the-apps-secret", salt="podpipe-csrf").dumps(session)
    assert client.post(f"/episodes/{SLUG}/save", data=edit(fields, csrf=forged)).status_code == 403
    assert client.post(f"/episodes/{SLUG}/save", data=edit(fields, csrf=session)).status_code == 403, \
        "the bare cookie value is not a token"


def test_csrf_cookie_from_another_session_does_not_help(episode, tmp_path: Path) -> None:
    client, _, _, _ = episode
    fields = form_of(page(client))
    client.cookies.clear()
    client.cookies.set(CSRF_COOKIE, "another-session-token")
    assert client.post(f"/episodes/{SLUG}/save", data=fields).status_code == 403


def test_stale_save_gets_409_with_both_versions_and_keeps_the_loser(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    first = edit(fields, s0__heading="Heading of editor A")
    second = edit(fields, s0__heading="Heading of editor B")
    assert client.post(f"/episodes/{SLUG}/save", data=first, follow_redirects=False).status_code == 303
    response = client.post(f"/episodes/{SLUG}/save", data=second, follow_redirects=False)
    assert response.status_code == 409
    assert "Heading of editor A" in response.text and "Heading of editor B" in response.text
    assert "sectie 1: kop" in response.text and "section 1" not in response.text
    kept = list((out_dir / "versions" / "conflicts").glob("*.json"))
    assert len(kept) == 1 and "Heading of editor B" in kept[0].read_text()
    # The loser can make theirs current explicitly, as a new version on top of A's.
    restore = {"csrf": csrf_of(client), "version": "1", "name": kept[0].name}
    assert client.post(f"/episodes/{SLUG}/restore", data=restore, follow_redirects=False).status_code == 303
    assert "Heading of editor B" in (out_dir / "shownotes.draft.md").read_text()
    assert len(list((out_dir / "versions").glob("0*.json"))) == 3


def test_a_conflict_keeps_both_editors_changes_field_by_field(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    mine = edit(fields, s0__heading="Kop van A")
    theirs = edit(fields, title="Titel van B", speaker__SPEAKER_01__name="Sofie Willox")
    assert client.post(f"/episodes/{SLUG}/save", data=mine, follow_redirects=False).status_code == 303
    response = client.post(f"/episodes/{SLUG}/save", data=theirs, follow_redirects=False)
    assert response.status_code == 303 and "samengevoegd" in response.headers["location"] or "samengevoegd" in \
        client.get(response.headers["location"]).text
    saved = saved_versions(out_dir)[-1]
    assert saved["version"] == 2 and saved["notes"]["title"] == "Titel van B"
    assert saved["notes"]["sections"][0]["heading"] == "Kop van A"
    assert any(s["name"] == "Sofie Willox" for s in saved["speakers"])
    assert list((out_dir / "versions" / "conflicts").glob("*.json")), "the save is kept as it was sent"


def test_versions_can_be_viewed_and_restored(episode) -> None:
    client, out_dir, _, _ = episode
    save(client, title="Eerste titel")
    save(client, title="Tweede titel")
    first = sorted((out_dir / "versions").glob("0001-*.json"))[0].name
    view = client.get(f"/episodes/{SLUG}/versions/{first}")
    assert view.status_code == 200 and "Eerste titel" in view.text
    data = {"csrf": csrf_of(client), "version": "2", "name": first}
    assert client.post(f"/episodes/{SLUG}/restore", data=data, follow_redirects=False).status_code == 303
    assert "Eerste titel" in (out_dir / "shownotes.draft.md").read_text()
    assert len(list((out_dir / "versions").glob("0*.json"))) == 4


def test_audio_is_served_with_ranges_and_png_shown(episode) -> None:
    client, _, _, _ = episode
    response = client.get(f"/episodes/{SLUG}/audio", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and len(response.content) == 100
    assert response.headers["content-range"].startswith("bytes 0-99/")
    assert 'src="/episodes/ep-042-groeien/files/speakers.png?v=0"' in page(client)
    assert client.get(f"/episodes/{SLUG}/files/speakers.png").content.startswith(b"\x89PNG")


def test_errors_are_pages_that_say_what_is_wrong(episode) -> None:
    client, _, _, _ = episode
    response = client.get("/episodes/bestaat-niet")
    assert response.status_code == 404 and "Deze aflevering bestaat niet." in response.text
    assert "<h1>Niet gevonden</h1>" in response.text
    response = client.post(f"/episodes/{SLUG}/save", data={"csrf": csrf_of(client), "version": "x"})
    assert response.status_code == 400 and "geldige versie" in response.text


@pytest.mark.parametrize("path", [
    "/episodes/..%2F..%2Fetc/files/passwd",
    "/episodes/%2e%2e/files/catalog.sqlite",
    "/episodes/.hidden",
    f"/episodes/{SLUG}/files/.podpipe-manifest.json",
    f"/episodes/{SLUG}/files/..%2F..%2Fcatalog.sqlite",
    f"/episodes/{SLUG}/files/analysis.json",
    f"/episodes/{SLUG}/files/approval.json",
    f"/episodes/{SLUG}/versions/..%2F..%2Ftranscript.json",
    f"/episodes/{SLUG}/versions/0001-x.json",
    "/episodes/kapot",
])
def test_paths_cannot_leave_the_output_folder(episode, path: str) -> None:
    client, _, _, _ = episode
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)


def test_outside_symlink_is_not_an_episode(episode, tmp_path: Path) -> None:
    client, out_dir, _, _ = episode
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "transcript.json").write_text((out_dir / "transcript.json").read_text())
    (out_dir.parent / "sneaky").symlink_to(outside)
    assert client.get("/episodes/sneaky").status_code == 404


def test_restore_refuses_names_outside_versions(episode) -> None:
    client, _, _, _ = episode
    data = {"csrf": csrf_of(client), "version": "0", "name": "../transcript.json"}
    assert client.post(f"/episodes/{SLUG}/restore", data=data).status_code == 404


# -- hosts, origin, login ------------------------------------------------------------------------

def test_a_forged_host_is_refused(episode) -> None:
    client, _, _, _ = episode
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "127.0.0.1.attacker.example"}).status_code == 400
    fields = form_of(page(client))
    response = client.post(f"/episodes/{SLUG}/save", data=fields, headers={"Host": "rebind.attacker.example"})
    assert response.status_code == 400


def test_configured_hosts_are_allowed(tmp_path: Path) -> None:
    output_root, catalog, _ = build_episode(tmp_path)
    settings = Settings()
    settings.review.allowed_hosts = ["review.example.org"]
    app = create_app(output_root, settings=settings, catalog=catalog)
    with TestClient(app, base_url="http://review.example.org") as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"Host": "other.example.org"}).status_code == 400


def test_a_post_from_another_origin_is_refused(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    for origin in ("http://attacker.example", "null", "https://127.0.0.1"):
        response = client.post(f"/episodes/{SLUG}/save", data=fields, headers={"Origin": origin})
        assert response.status_code == 403, origin
    response = client.post(f"/episodes/{SLUG}/save", data=fields, headers={"Referer": "http://attacker.example/x"})
    assert response.status_code == 403
    assert not list((out_dir / "versions").glob("*.json")) if (out_dir / "versions").exists() else True
    response = client.post(f"/episodes/{SLUG}/save", data=fields, headers={"Origin": BASE}, follow_redirects=False)
    assert response.status_code == 303


def test_non_local_bind_without_token_refuses_to_start(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PODPIPE_REVIEW__TOKEN", raising=False)
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.org"):
        with pytest.raises(ReviewConfigError, match="token"):
            check_bind(host, None)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, None)
    check_bind("0.0.0.0", TOKEN)
    with pytest.raises(ReviewConfigError, match="refusing to listen on 0.0.0.0"):
        serve(tmp_path, settings=Settings(), host="0.0.0.0", port=1)


@pytest.mark.parametrize("weak", ["s", " ", " " * 20, "s3cret", "a" * 15])
def test_a_short_or_blank_token_is_refused(tmp_path: Path, weak: str) -> None:
    with pytest.raises(ReviewConfigError, match="at least 16"):
        check_bind("0.0.0.0", weak)
    output_root, catalog, _ = build_episode(tmp_path)
    with pytest.raises(ReviewConfigError, match="at least 16"):
        create_app(output_root, settings=Settings(), catalog=catalog, token=weak)


TOKEN = "correct-horse-battery-staple"


@pytest.fixture()
def locked(tmp_path: Path):
    output_root, catalog, _ = build_episode(tmp_path)
    app = create_app(output_root, settings=Settings(), catalog=catalog, token=TOKEN)
    with TestClient(app, base_url=BASE) as client:
        yield client


def login(client: TestClient, token: str):  # type: ignore[no-untyped-def]
    client.get("/login")
    csrf = form_of_id(client.get("/login").text, None)["csrf"][0]
    return client.post("/login", data={"csrf": csrf, "token": token}, follow_redirects=False)


def test_token_is_required_when_configured(locked) -> None:
    client = locked
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get(f"/episodes/{SLUG}/audio", follow_redirects=False).status_code == 303
    assert client.post(f"/episodes/{SLUG}/save", data={}).status_code == 401
    assert client.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/", headers={"Authorization": "Bearer nope"}, follow_redirects=False).status_code == 303
    assert login(client, "nope").status_code == 401
    response = login(client, TOKEN)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "Max-Age=43200" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "concept klaar" in client.get("/").text


def test_a_forged_session_cookie_is_refused(locked) -> None:
    from podpipe.review.security import AUTH_COOKIE

    client = locked
    client.cookies.set(AUTH_COOKIE, "anything")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logins_are_rate_limited(locked) -> None:
    client = locked
    for _ in range(5):
        assert login(client, "wrong-guess-wrong-guess").status_code == 401
    blocked = login(client, TOKEN)
    assert blocked.status_code == 429 and "Te veel mislukte pogingen" in blocked.text


def test_logout_ends_the_session(locked) -> None:
    client = locked
    login(client, TOKEN)
    html = client.get("/").text
    assert 'action="/logout"' in html
    csrf = form_of_id(html, None)["csrf"][0]
    response = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_session_expires(locked, monkeypatch) -> None:
    import time

    client = locked
    login(client, TOKEN)
    assert client.get("/", follow_redirects=False).status_code == 200
    later = time.time() + 13 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_simultaneous_saves_on_the_same_version_lose_nothing(episode) -> None:
    import threading

    from podpipe.review import store

    _, out_dir, _, _ = episode
    base = store.load_state(out_dir)
    results: list[str] = []

    def save(heading: str) -> None:
        notes = store.load_state(out_dir, 0).notes
        notes.sections[0].heading = heading
        try:
            store.save(out_dir, base.version, notes, base.speakers, settings=Settings())
            results.append("saved")
        except store.ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=save, args=(f"Kop {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict", "saved"]
    kept = [p.read_text() for p in (out_dir / "versions").rglob("0*.json")]
    assert any("Kop 0" in text for text in kept) and any("Kop 1" in text for text in kept)


def test_confirmed_host_voiceprint_is_enrolled_once(tmp_path: Path) -> None:
    naming = pytest.importorskip("podpipe.stages.naming")
    output_root, catalog, _ = build_episode(tmp_path)
    out_dir = output_root / SLUG
    (out_dir / "speakers.centroids.json").write_text(json.dumps({"SPEAKER_00": [1.0, 0.0, 0.0],
                                                                  "SPEAKER_01": [0.0, 1.0, 0.0]}))
    settings = Settings()
    settings.paths.output = output_root
    app = create_app(output_root, settings=settings, catalog=catalog)
    with TestClient(app, base_url=BASE) as client:
        save(client, speaker__SPEAKER_00__name="Jan Host")
        save(client, title="Nog eens")
        save(client, speaker__SPEAKER_01__name="Sofie Willox")
    voiceprints = naming.VoiceprintStore(settings.naming_config().voiceprints_dir)
    voiceprint = voiceprints.get("Jan Host")
    assert voiceprint is not None and voiceprint.count == 1 and voiceprint.vector[0] > 0.99
    guest = voiceprints.get("Sofie Willox")  # confirmed guests return
    assert guest is not None and guest.vector[1] > 0.99


def test_the_english_catalogue_has_every_dutch_entry() -> None:
    from podpipe.review.i18n import EN, NL

    assert set(NL) == set(EN)
    templates = Path(__file__).parents[1] / "src" / "podpipe" / "review" / "templates"
    used = set()
    for template in templates.glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_.0-9]+)'", template.read_text()))
    dynamic = {key for key in used if key.endswith(".")}  # t('status.' ~ value)
    assert used - dynamic <= set(NL), used - dynamic - set(NL)
    assert all(any(name.startswith(prefix) for name in NL) for prefix in dynamic)
    from podpipe.catalog import Status as CatalogueStatus

    assert {f"status.{s.value}" for s in CatalogueStatus} <= set(NL), "every catalogue status has a label"


def test_an_unexpected_error_is_a_page_not_a_traceback(tmp_path: Path, monkeypatch) -> None:
    from podpipe.review import store

    output_root, catalog, _ = build_episode(tmp_path)
    app = create_app(output_root, settings=Settings(), catalog=catalog)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire at /secret/path")

    monkeypatch.setattr(store, "load_state", broken)
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as client:
        response = client.get(f"/episodes/{SLUG}")
    assert response.status_code == 500 and "Er ging iets mis" in response.text
    assert "/secret/path" not in response.text and "Traceback" not in response.text


def test_ticks_carry_over_when_a_save_in_the_same_approval_corrects_an_unsure_word(episode) -> None:
    client, out_dir, _, _ = episode
    html = page(client)
    fields = ticked(edit(form_of(html), action="approve"), html)
    fields["line-1"] = ["Dank je. Bij So We Grow begint groei altijd bij de mensen zelf."]
    response = client.post(f"/episodes/{SLUG}/save", data=fields)
    assert "goedgekeurd (versie 1)" in response.text and (out_dir / "transcript.final.txt").is_file()
    assert "1 woord(en) waar Whisper onzeker was" in response.text


def test_rename_reaches_the_real_builders_intro_paraphrase_and_closing(tmp_path: Path) -> None:
    """The draft builder's own output (names written into its text) opened in the app and renamed."""
    from podpipe.catalog import Catalog
    from podpipe.exports.shownotes import write_show_notes
    from podpipe.exports.transcripts import write_transcript_files
    from podpipe.io import ANALYSIS
    from podpipe.stages import notes as notes_module
    from tests import shownotes_fixtures as fx

    settings = Settings()
    transcript, analysis = described(fx.transcript(), settings), fx.analysis()
    notes = notes_module.build_show_notes(transcript, analysis, settings.notes_config())
    assert "Ellen Verhaegen (Leerkorrel)" in notes.intro and "Bram" in notes.closing
    out_dir = tmp_path / "output" / transcript.episode.slug
    out_dir.mkdir(parents=True)
    write_transcript_files(transcript, out_dir)
    ANALYSIS.write(out_dir / "analysis.json", analysis)
    write_show_notes(notes, transcript, out_dir, settings.notes_config())
    catalog = Catalog.for_path(tmp_path / "output" / "catalog.sqlite")
    with TestClient(create_app(tmp_path / "output", settings=settings, catalog=catalog), base_url=BASE) as client:
        html = client.get(f"/episodes/{transcript.episode.slug}").text
        fields = edit(form_of(html), speaker__SPEAKER_01__name="Ellen De Smet",
                      speaker__SPEAKER_01__organisation="Korrel BV", speaker__SPEAKER_02__name="Abraham Goossens")
        assert client.post(f"/episodes/{transcript.episode.slug}/save", data=fields,
                           follow_redirects=False).status_code == 303
    draft = (out_dir / "shownotes.draft.md").read_text()
    intro, _, rest = draft.partition("\n## ")
    assert "Ellen De Smet (Korrel BV) en Abraham Goossens (Kompaswerk)" in intro
    assert "VOV-podcast" in intro and "Walter Schroven" in intro, "the show's name and the host stay"
    assert "Ellen en Abraham brachten elk hun eigen praktijk mee." in draft
    assert "Volgens Abraham " in draft and "Volgens Ellen " in draft, "the paraphrase names the speakers too"
    assert "Leerkorrel" not in draft and "Ellen Verhaegen" not in draft and "Bram " not in draft
