"""Podcasting 2.0: chapters.json (1.2.0), transcript.podcast.json (1.0.0) and the episode.feed.xml snippet."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from podpipe.config import Settings
from podpipe.domain import Section, ShowNotes
from podpipe.exports.podcasting import (
    chapters_json,
    feed_snippet,
    podcast_transcript_json,
    write_podcasting_files,
)
from tests import shownotes_fixtures as fx


def test_chapters_from_analysis_with_intro_and_end_times() -> None:
    data = chapters_json(fx.analysis(), fx.transcript())
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
    chapters = chapters_json(notes, fx.transcript())["chapters"]
    assert chapters == [
        {"startTime": 0.0, "endTime": 61.25, "title": "Eerste: waarom?"},
        {"startTime": 61.25, "endTime": 80.0, "title": "Tweede: hoe?"},
    ]


def test_chapter_headings_resolve_speaker_references() -> None:
    transcript = fx.transcript()
    speaker = transcript.speakers[0]
    notes = ShowNotes("t", "i", [Section(f"Waarom [[speaker:{speaker.id}:first]] begon", ["p"], start=3.0)], "c")
    assert chapters_json(notes, transcript)["chapters"][1]["title"] == f"Waarom {speaker.display_name.split()[0]} begon"


def test_podcast_name_comes_from_the_show_setting() -> None:
    settings = Settings()
    settings.show.name = "De Leerpodcast"
    assert chapters_json(fx.analysis(), fx.transcript(), settings=settings)["podcastName"] == "De Leerpodcast"


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


def test_feed_snippet_names_transcripts_with_language_and_captions_rel() -> None:
    settings = Settings()
    settings.show.files_url = "https://example.org/pod/{slug}/"
    transcript = fx.transcript()
    text = feed_snippet(transcript, settings)
    namespace = "https://podcastindex.org/namespace/1.0"
    root = ET.fromstring(f'<item xmlns:podcast="{namespace}">{text}</item>')
    tags = {e.get("type"): e for e in root.iter(f"{{{namespace}}}transcript")}
    vtt = tags["text/vtt"]
    assert vtt.get("rel") == "captions" and vtt.get("language") == "nl"
    assert vtt.get("url") == f"https://example.org/pod/{transcript.episode.slug}/transcript.vtt"
    assert tags["application/json"].get("rel") is None
    chapters = root.find(f"{{{namespace}}}chapters")
    assert chapters is not None and chapters.get("type") == "application/json+chapters"
    assert chapters.get("url").endswith("/chapters.json")
    final = feed_snippet(transcript, settings, names={"transcript.vtt": "transcript.final.vtt"})
    assert 'transcript.final.vtt"' in final


def test_writer(tmp_path: Path) -> None:
    paths = write_podcasting_files(fx.analysis(), fx.transcript(), tmp_path, Settings())
    assert [p.name for p in paths] == ["chapters.json", "transcript.podcast.json", "episode.feed.xml"]
    chapters = json.loads((tmp_path / "chapters.json").read_text(encoding="utf-8"))
    assert chapters["chapters"][0]["title"] == "Intro" and chapters["podcastName"] == "VOV-podcast"
    podcast = json.loads((tmp_path / "transcript.podcast.json").read_text(encoding="utf-8"))
    bodies = [s["body"] for s in podcast["segments"]]
    assert any("<script>" in body for body in bodies)
