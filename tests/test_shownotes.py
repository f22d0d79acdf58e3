"""Show notes: builder, the three formats, shownotes.json, the output folder, the optional rewrite backend,
and end to end on the hand-written episode ../shared/transcripts/vov-ep12-microleren.json."""

from __future__ import annotations

import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from podpipe.cast import described
from podpipe.config import Settings, Show
from podpipe.domain import ShowNotes
from podpipe.exports.layout import protect
from podpipe.exports.shownotes import write_show_notes
from podpipe.stages.notes import (
    build_show_notes,
    read_show_notes,
    render_docx,
    render_html,
    render_markdown,
    shownotes_from_dict,
    shownotes_to_dict,
)
from podpipe.stages.notes.dutch import join_nl, ordinal_word
from podpipe.stages.notes.quotes import quote_parts
from podpipe.stages.notes.settings import Rewrite, ShowNotesSettings
from tests import shownotes_fixtures as fx


def settings_with(**shownotes) -> Settings:
    """podpipe's typed settings at their packaged defaults, the VOV-podcast's name and these show-notes settings."""
    return Settings.model_construct(shownotes=ShowNotesSettings(**shownotes), show=Show(name="VOV-podcast"))


@pytest.fixture
def notes_and_transcript() -> tuple[ShowNotes, object]:
    transcript = described(fx.transcript(), settings_with())  # the check box reads the episode's cast
    return build_show_notes(transcript, fx.analysis(), settings_with().notes_config()), transcript


def test_dutch_helpers() -> None:
    assert [ordinal_word(n) for n in (1, 3, 8, 12, 21)] == [
        "eerste",
        "derde",
        "achtste",
        "twaalfde",
        "eenentwintigste",
    ]
    assert join_nl(["a", "b", "c"]) == "a, b en c"


def test_a_show_named_with_its_article_takes_no_second_one() -> None:
    settings = Settings.model_construct(shownotes=ShowNotesSettings(), show=Show(name="De Leesclub"))
    transcript = described(fx.transcript(), settings)
    notes = build_show_notes(transcript, fx.analysis(), settings.notes_config())
    assert "twaalfde aflevering van De Leesclub" in notes.intro


def test_notes_shape(notes_and_transcript) -> None:
    notes, _ = notes_and_transcript
    assert notes.title
    assert "twaalfde aflevering van de VOV-podcast" in notes.intro
    for part in ("Walter Schroven (VOV)", "Ellen Verhaegen (Leerkorrel)", "Bram Goossens (Kompaswerk)"):
        assert part in notes.intro
    assert len(notes.sections) == 2
    for section in notes.sections:
        assert section.heading.endswith("?"), section.heading
        assert 1 <= len(section.paragraphs) <= 3
        sentences = [s for p in section.paragraphs for s in re.split(r"(?<=[.?!])\s+", p) if s]
        assert 2 <= len(sentences) <= 5, sentences
    assert [len(s.quotes) for s in notes.sections] == [1, 2]
    assert notes.sections[1].start == 30.5
    assert "Wil je graag nog andere podcasts" in notes.closing


def test_paraphrase_is_third_person(notes_and_transcript) -> None:
    notes, _ = notes_and_transcript
    text = " ".join(p for s in notes.sections for p in s.paragraphs)
    assert re.search(r"\b(Ellen|Bram)\b", text)
    assert not re.search(r"\b(ik|mijn|wij)\b", text, re.IGNORECASE)


def test_only_verbatim_quotes_are_kept() -> None:
    analysis = fx.analysis()
    analysis.quotes[0].text = "Iets wat Ellen nooit gezegd heeft, maar wel mooi klinkt voor een citaat."
    notes = build_show_notes(fx.transcript(), analysis, settings_with().notes_config())
    assert [len(s.quotes) for s in notes.sections] == [0, 2]


def test_json_round_trip(notes_and_transcript, tmp_path: Path) -> None:
    notes, transcript = notes_and_transcript
    data = shownotes_to_dict(notes)
    assert data["format"] == "podpipe-shownotes"
    assert shownotes_from_dict(json.loads(json.dumps(data))) == notes
    paths = write_show_notes(notes, transcript, tmp_path, settings_with().notes_config())
    assert [p.name for p in paths] == [
        "shownotes.json",
        "shownotes.draft.md",
        "shownotes.draft.html",
        "shownotes.draft.docx",
    ]
    assert read_show_notes(tmp_path / "shownotes.json") == notes


def test_markdown(notes_and_transcript) -> None:
    notes, transcript = notes_and_transcript
    md = render_markdown(notes, transcript, settings_with().notes_config())
    assert md.startswith(f"# {notes.title}\n")
    assert md.count("\n## ") == 3  # two themes and "Tot slot"
    assert "## Tot slot" in md
    assert "> — Ellen Verhaegen, [00:20](#t=00:20)" in md
    assert "<script>" not in md and r"\<script\>" in md


class _Checker(HTMLParser):
    VOID = frozenset({"meta", "br", "link", "img", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.errors: list[str] = []
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> in {self.stack}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack:
            self.text.setdefault(self.stack[-1], []).append(data)


def test_html_is_valid_and_escaped(notes_and_transcript) -> None:
    notes, transcript = notes_and_transcript
    page = render_html(notes, transcript, settings_with().notes_config())
    assert page.lower().startswith("<!doctype html>")
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert not checker.errors and not checker.stack
    assert "script" not in checker.tags  # the transcript's <script> is text, not a tag
    assert "&lt;script&gt;" in page
    assert checker.tags.count("h1") == 1 and checker.tags.count("h2") == 3
    assert checker.tags.count("blockquote") == 3
    assert '<a href="#t=00:20">00:20</a>' in page
    assert notes.sections[0].heading in "".join(checker.text["h2"])


def test_docx_opens_with_headings(notes_and_transcript) -> None:
    from docx import Document

    notes, transcript = notes_and_transcript
    document = Document(io.BytesIO(render_docx(notes, transcript, settings_with().notes_config())))
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    assert styled[0] == ("Title", notes.title)
    headings = [text for style, text in styled if style == "Heading 1"]
    assert headings == [s.heading for s in notes.sections] + ["Tot slot"]
    quotes = [text for style, text in styled if style == "Quote"]
    assert any("Data zonder gesprek" in q for q in quotes)
    assert any(q.startswith("— Bram Goossens") for q in quotes)


def test_final_and_editors_files(notes_and_transcript, tmp_path: Path) -> None:
    notes, transcript = notes_and_transcript
    write_show_notes(notes, transcript, tmp_path, settings_with().notes_config())
    (tmp_path / "shownotes.draft.md").write_text("edited by hand\n", encoding="utf-8")
    paths = write_show_notes(notes, transcript, tmp_path, settings_with().notes_config())
    assert (tmp_path / "shownotes.draft.md").read_text(encoding="utf-8") == "edited by hand\n"
    assert tmp_path / "shownotes.draft.v2.md" in paths
    final = write_show_notes(notes, transcript, tmp_path, settings_with().notes_config(), final=True)
    assert {p.name for p in final} >= {"shownotes.final.md", "shownotes.final.html", "shownotes.final.docx"}
    assert "Nakijken" not in (tmp_path / "shownotes.final.md").read_text(encoding="utf-8")
    protect(tmp_path, "shownotes.final.html")
    again = write_show_notes(notes, transcript, tmp_path, settings_with().notes_config(), final=True)
    assert tmp_path / "shownotes.final.v2.html" in again


def test_templates_are_editable(notes_and_transcript, tmp_path: Path) -> None:
    notes, transcript = notes_and_transcript
    (tmp_path / "heading.nl.j2").write_text("{{ topic|upper }}?", encoding="utf-8")
    settings = settings_with(templates=tmp_path, call_to_action="Luister ook naar de vorige aflevering!")
    custom = build_show_notes(transcript, fx.analysis(), settings.notes_config())
    assert custom.sections[0].heading == "MICROLEREN?"
    assert custom.closing.endswith("Luister ook naar de vorige aflevering!")
    assert custom.intro == notes.intro  # the other templates still come from config/templates


def _fake_endpoint(answer: str | None, status: int = 200, seen: list | None = None) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if answer is None:
            raise httpx.ConnectError("no server", request=request)
        return httpx.Response(status, json={"choices": [{"message": {"content": answer}}]})

    return httpx.MockTransport(handler)


def test_rewrite_backend_replaces_headings_and_paragraphs() -> None:
    answer = json.dumps(
        {
            "sections": [
                {
                    "heading": "Microleren: hapklaar of versnipperd?",
                    "paragraphs": ["Volgens Ellen werkt kort beter."],
                },
                {
                    "heading": "Impact meten: wat zegt een happy sheet?",
                    "paragraphs": ["Bram is kritisch over formulieren."],
                },
            ]
        }
    )
    seen: list[httpx.Request] = []
    settings = settings_with(rewrite=Rewrite(enabled=True, base_url="http://llm.invalid/v1", model="m"))
    notes = build_show_notes(
        fx.transcript(), fx.analysis(), settings.notes_config(), transport=_fake_endpoint(answer, seen=seen)
    )
    assert seen and seen[0].url.path == "/v1/chat/completions"
    assert json.loads(seen[0].content)["model"] == "m"
    assert notes.sections[0].heading == "Microleren: hapklaar of versnipperd?"
    assert notes.sections[1].paragraphs == ["Bram is kritisch over formulieren."]
    assert [len(s.quotes) for s in notes.sections] == [1, 2]  # quotes are never the model's


@pytest.mark.parametrize(
    ("answer", "status"),
    [(None, 200), ("not json", 200), ('{"sections": []}', 200), ('{"sections": []}', 500)],
)
def test_rewrite_backend_falls_back_to_the_draft(answer, status) -> None:
    extractive = build_show_notes(fx.transcript(), fx.analysis(), settings_with().notes_config())
    settings = settings_with(rewrite=Rewrite(enabled=True))
    notes = build_show_notes(
        fx.transcript(), fx.analysis(), settings.notes_config(), transport=_fake_endpoint(answer, status)
    )
    assert notes == extractive


# ---------------------------------------------------------------------------------------------
# End to end on the hand-written episode
# ---------------------------------------------------------------------------------------------

EPISODE = "transcripts/vov-ep12-microleren.json"


@pytest.fixture(scope="module")
def episode12():
    from podpipe.models.nlp import MODEL_DIR, embedded_model_available
    from podpipe.stages.analyse import analyse, load_transcript_any
    from podpipe.stages.analyse.settings import Nlp

    shared = Path(os.environ.get("PODPIPE_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
    path = shared / EPISODE
    if not path.is_file():
        pytest.skip(f"{path} is missing: the developers' shared data (set PODPIPE_SHARED)")
    model = os.environ.get("PODPIPE_NLP__MODEL", "embedded")
    if model == "embedded" and not embedded_model_available():
        pytest.skip(f"no trained Dutch spaCy pipeline in {MODEL_DIR} (or set PODPIPE_NLP__MODEL to one)")
    from podpipe.stages.naming import name_speakers

    transcript = described(load_transcript_any(path), settings_with())
    analysis = analyse(transcript, Settings.model_construct(nlp=Nlp(model=model)).analysis_config())
    transcript = name_speakers(transcript, analysis, settings_with().naming_config())
    labels = json.loads(path.read_text(encoding="utf-8"))
    return transcript, analysis, build_show_notes(transcript, analysis, settings_with().notes_config()), labels


@pytest.mark.models
def test_episode12_intro_names_everyone(episode12) -> None:
    _, _, notes, _ = episode12
    for part in ("Walter Schroven (VOV)", "Ellen Verhaegen (Leerkorrel)", "Bram Goossens (Kompaswerk)"):
        assert part in notes.intro
    assert "twaalfde aflevering" in notes.intro


@pytest.mark.models
def test_episode12_a_section_per_labelled_theme(episode12) -> None:
    transcript, analysis, notes, labels = episode12
    from podpipe.stages.notes.labels import closing_round

    recap = closing_round(analysis.sentences, analysis.themes)
    assert recap == len(analysis.themes) - 1  # the episode ends on a closing round ("We zijn bijna rond")
    assert len(notes.sections) == len(analysis.themes) - 1  # it feeds "Tot slot", not a section
    # every labelled theme (its first turn) falls inside one section's span
    starts = [s.start for s in notes.sections] + [float("inf")]
    found = set()
    for theme in labels["themes"]:
        t = transcript.segments[theme["first_turn"]].start
        found.update(i for i in range(len(notes.sections)) if starts[i] - 15 <= t < starts[i + 1])
    assert len(found) >= min(len(labels["themes"]), len(notes.sections)) - 1
    for section in notes.sections:
        assert section.heading.endswith("?") and section.paragraphs


@pytest.mark.models
def test_episode12_quotes_are_verbatim_with_the_right_speaker(episode12) -> None:
    transcript, _, notes, _ = episode12
    quotes = [q for s in notes.sections for q in s.quotes]
    assert quotes
    for quote in quotes:
        own = " ".join(
            " ".join(seg.text.split()) for seg in transcript.segments if seg.speaker == quote.speaker
        )
        for part in quote_parts(quote.text):  # trimmed quotes: each part verbatim
            assert part in own
    md = render_markdown(notes, transcript, settings_with().notes_config())
    assert "— Ellen Verhaegen" in md and "— Bram Goossens" in md


@pytest.mark.models
def test_episode12_paraphrase_reads_like_the_article(episode12) -> None:
    from podpipe.stages.notes.clauses import has_personal

    transcript, _, notes, _ = episode12
    call_to_action = settings_with().shownotes.call_to_action
    prose = [p for s in notes.sections for p in s.paragraphs] + [
        p for p in notes.closing.split("\n\n") if p != call_to_action
    ]
    sentences = [x for p in prose for x in re.split(r"(?<=[.!?])\s+", p) if x]
    assert sentences and not [x for x in sentences if has_personal(x)]
    assert not [x for x in sentences if x.endswith("?")]  # no host question presented as a view
    asked = {
        " ".join(q.lower().split()) for seg in transcript.segments for q in re.findall(r"[^.?!]*\?", seg.text)
    }
    for section in notes.sections:
        question = section.heading.split(":", 1)[-1].strip().lower()
        assert not any(len(question.split()) >= 4 and question in q for q in asked), section.heading
        assert section.keyphrases[0].lower() in section.heading.lower()
