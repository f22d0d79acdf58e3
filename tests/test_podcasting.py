"""Podcasting 2.0: chapters.json (1.2.0), transcript.podcast.json (1.0.0) and the episode.feed.xml snippet."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from podpipe.cast import described
from podpipe.checks import publishing_notes
from podpipe.config import Settings
from podpipe.domain import Section, ShowNotes, Transcript
from podpipe.errors import InvalidInputError
from podpipe.exports.podcasting import (
    chapters_json,
    feed_snippet,
    podcast_transcript_json,
    write_podcasting_files,
)
from podpipe.exports.transcripts import to_html, write_transcript_files
from podpipe.sidecar import read_sidecar
from podpipe.stages.notes.render import editor_notes
from tests import shownotes_fixtures as fx
from tests.podcasting_conformance import feed_problems, folder_problems


def test_chapters_from_analysis_with_intro_and_end_times() -> None:
    data = chapters_json(fx.analysis(), fx.transcript(), show=Settings.model_construct().show)
    assert data["version"] == "1.2.0"
    assert data["chapters"] == [
        {"startTime": 0, "endTime": 12.5, "title": "Intro"},
        {"startTime": 12.5, "endTime": 30.5, "title": "Microleren en checklist"},
        {"startTime": 30.5, "endTime": 80.0, "title": "Happy sheet en data"},
    ]


def test_chapters_from_notes_use_headings_and_no_intro_when_first_starts_at_zero() -> None:
    notes = ShowNotes(
        title="t",
        intro="i",
        closing="c",
        sections=[Section("Eerste: waarom?", ["p"], start=0.0), Section("Tweede: hoe?", ["p"], start=61.25)],
    )
    chapters = chapters_json(notes, fx.transcript(), show=Settings.model_construct().show)["chapters"]
    assert chapters == [
        {"startTime": 0.0, "endTime": 61.25, "title": "Eerste: waarom?"},
        {"startTime": 61.25, "endTime": 80.0, "title": "Tweede: hoe?"},
    ]


def test_chapter_headings_resolve_speaker_references() -> None:
    transcript = fx.transcript()
    speaker = transcript.speakers[0]
    notes = ShowNotes("t", "i", [Section(f"Waarom [[speaker:{speaker.id}:first]] begon", ["p"], start=3.0)], "c")
    chapters = chapters_json(notes, transcript, show=Settings.model_construct().show)["chapters"]
    assert chapters[1]["title"] == f"Waarom {speaker.display_name.split()[0]} begon"


def test_podcast_name_comes_from_the_show_setting() -> None:
    settings = Settings()
    settings.show.name = "De Leerpodcast"
    assert chapters_json(fx.analysis(), fx.transcript(), show=settings.show)["podcastName"] == "De Leerpodcast"


def test_podcast_transcript_is_cue_level_with_names() -> None:
    transcript = fx.transcript()
    data = podcast_transcript_json(transcript)
    assert data["version"] == "1.0.0"
    first = data["segments"][0]
    assert set(first) == {"speaker", "startTime", "endTime", "body"}
    assert first["speaker"] == "Walter Schroven" and first["startTime"] == 0.0
    assert len(data["segments"]) > len(transcript.segments), "cues, not whole segments"
    assert all(s["endTime"] - s["startTime"] <= 7.0 + 1e-6 for s in data["segments"])
    assert all(a["endTime"] <= b["startTime"] + 1e-6 for a, b in zip(data["segments"], data["segments"][1:]))
    body = " ".join(s["body"] for s in data["segments"])
    assert body.split() == " ".join(s.text for s in transcript.segments).split(), "no word lost or added"


NAMESPACE = "https://podcastindex.org/namespace/1.0"
SIDECAR_GUESTS = {"guests": [{"name": "Ellen Verhaegen", "organisation": "Leerkorrel",
                              "href": "https://leerkorrel.be/ellen", "img": "https://leerkorrel.be/ellen.jpg"},
                             {"name": "Bram Goossens"}, {"name": "Nina Claes"}]}


def _feed(transcript: Transcript, settings: Settings, **options) -> str:
    """The feed snippet of the transcript described with these settings (its cast from them)."""
    return feed_snippet(described(transcript, settings), settings.show, **options)


def _published(files_url: str | None = "https://example.org/pod/{slug}/") -> Settings:
    settings = Settings()
    settings.show.files_url = files_url
    return settings


def test_feed_item_is_one_well_formed_item_declaring_the_namespace() -> None:
    transcript = fx.transcript(metadata=SIDECAR_GUESTS)
    text = _feed(transcript, _published())
    item = ET.fromstring(text)  # a namespace-aware parser: no wrapper, no declaration added
    assert item.tag == "item"
    tags = [(e.get("type"), e) for e in item.iter(f"{{{NAMESPACE}}}transcript")]
    types = [t for t, _ in tags]
    assert types == ["text/plain", "text/html", "application/json", "application/x-subrip", "text/vtt"]
    vtt = tags[-1][1]
    assert vtt.get("rel") == "captions" and vtt.get("language") == "nl"
    assert vtt.get("url") == f"https://example.org/pod/{transcript.episode.slug}/transcript.vtt"
    assert dict(tags)["text/html"].get("url").endswith("/transcript.html")
    assert dict(tags)["application/json"].get("rel") is None and dict(tags)["text/plain"].get("rel") is None
    (chapters,) = item.findall(f"{{{NAMESPACE}}}chapters")
    assert chapters.get("type") == "application/json+chapters" and chapters.get("url").endswith("/chapters.json")
    final = _feed(transcript, _published(), names={"transcript.vtt": "transcript.final.vtt"})
    assert ET.fromstring(final).findall(f"{{{NAMESPACE}}}transcript")[-1].get("url").endswith("transcript.final.vtt")
    assert feed_problems(text, absolute=True) == []


def test_person_tags_for_host_and_guests_from_speakers_and_sidecar() -> None:
    transcript = fx.transcript(metadata=SIDECAR_GUESTS)
    item = ET.fromstring(_feed(transcript, _published()))
    people = [(p.text, p.get("role"), p.get("group"), p.get("href"), p.get("img"))
              for p in item.iter(f"{{{NAMESPACE}}}person")]
    assert people == [
        ("Walter Schroven", "host", "cast", None, None),
        ("Ellen Verhaegen", "guest", "cast", "https://leerkorrel.be/ellen", "https://leerkorrel.be/ellen.jpg"),
        ("Bram Goossens", "guest", "cast", None, None),
        ("Nina Claes", "guest", "cast", None, None),  # in the sidecar, no voice named after her
    ]
    unnamed = fx.transcript(named=False)
    host = Settings().naming.host_name
    names = [p.text for p in ET.fromstring(_feed(unnamed, _published())).iter(f"{{{NAMESPACE}}}person")]
    assert names == ([host] if host else []), "no tag for an unnamed voice"


def test_feedparser_keeps_a_timed_transcript_and_the_chapters() -> None:
    feedparser = pytest.importorskip("feedparser")
    text = _feed(fx.transcript(), _published())
    item = text.replace(">", "><title>Testaflevering</title>", 1)  # the item as pasted into a channel
    rss = f'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Show</title>{item}</channel></rss>'
    feed = feedparser.parse(rss)
    assert not feed.bozo, feed.bozo_exception
    (entry,) = feed.entries
    assert entry.title == "Testaflevering"
    assert entry.podcast_transcript["type"] == "text/vtt" and entry.podcast_transcript["rel"] == "captions"
    assert entry.podcast_transcript["url"].endswith("/ep-test/transcript.vtt")
    assert entry.podcast_chapters == {"url": "https://example.org/pod/ep-test/chapters.json",
                                      "type": "application/json+chapters"}


def test_without_files_url_links_stay_relative_and_the_draft_names_the_setting() -> None:
    transcript = fx.transcript()
    text = _feed(transcript, _published(None))
    urls = [e.get("url") for e in ET.fromstring(text).iter() if e.get("url")]
    assert urls and all("/" not in url for url in urls), "bare file names beside the item"
    assert "[show] files_url" in text
    lines = publishing_notes(_published(None).show)
    assert any("[show] files_url" in line and "relatief" in line for line in lines)
    assert not any("files_url" in line for line in publishing_notes(_published().show))
    assert any("https://" in line for line in publishing_notes(_published("http://example.org/{slug}/").show))
    unpublished = _published(None)
    check_box = editor_notes(described(transcript, unpublished), unpublished.show)
    assert any("[show] files_url" in line for line in check_box), "in the check box"


def test_podcast_name_is_left_out_and_asked_for_when_the_show_has_no_name() -> None:
    settings = _published()
    settings.show.name = None
    data = chapters_json(fx.analysis(), fx.transcript(), show=settings.show)
    assert "podcastName" not in data
    assert any("[show] name" in line for line in publishing_notes(settings.show))
    assert Settings.model_fields["show"].default.name is None, "no made-up default name"


def test_html_transcript_in_the_namespace_shape() -> None:
    text = to_html(fx.transcript())
    blocks = text.strip().split("\n<cite>")
    assert blocks[0].splitlines() == [
        "<cite>Walter Schroven:</cite>", "<time>0:00</time>",
        "<p>Welkom bij de VOV-podcast. Vandaag praten we over microleren en over het meten van impact.</p>",
    ]
    assert "<time>1:00</time>" in text and "&lt;script&gt;" in text and "<script>" not in text
    assert "L&amp;D" in text


def test_every_file_conforms_to_the_namespace_docs(tmp_path: Path) -> None:
    transcript = fx.transcript(metadata=SIDECAR_GUESTS)
    write_transcript_files(transcript, tmp_path)
    write_podcasting_files(fx.analysis(), described(transcript, _published()), tmp_path, _published().show)
    assert folder_problems(tmp_path) == []
    assert folder_problems(tmp_path, absolute=False) == []


def test_writer(tmp_path: Path) -> None:
    paths = write_podcasting_files(fx.analysis(), described(fx.transcript(), Settings()), tmp_path, Settings().show)
    assert [p.name for p in paths] == ["chapters.json", "transcript.podcast.json", "episode.feed.xml"]
    chapters = json.loads((tmp_path / "chapters.json").read_text(encoding="utf-8"))
    assert chapters["chapters"][0]["title"] == "Intro" and chapters["podcastName"] == "VOV-podcast"
    podcast = json.loads((tmp_path / "transcript.podcast.json").read_text(encoding="utf-8"))
    bodies = [s["body"] for s in podcast["segments"]]
    assert any("<script>" in body for body in bodies)


def test_sidecar_links_for_person_tags_are_web_addresses(tmp_path: Path) -> None:
    audio = tmp_path / "ep.mp3"
    audio.with_suffix(".yaml").write_text(
        "guests:\n  - {name: Ellen Verhaegen, href: 'https://leerkorrel.be/ellen', img: 'https://leerkorrel.be/e.jpg'}\n")
    sidecar = read_sidecar(audio)
    assert sidecar is not None and sidecar.guests[0].href == "https://leerkorrel.be/ellen"
    audio.with_suffix(".yaml").write_text("guests:\n  - {name: Ellen Verhaegen, href: 'javascript:alert(1)'}\n")
    with pytest.raises(InvalidInputError, match=r"ep\.yaml.*guests\.0\.href"):
        read_sidecar(audio)
