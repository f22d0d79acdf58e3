"""Podcasting 2.0: chapters.json (1.2.0) and transcript.podcast.json (1.0.0)."""

from __future__ import annotations

import json
from pathlib import Path

from podpipe.domain import Section, ShowNotes
from podpipe.exports.podcasting import chapters_json, podcast_transcript_json, write_podcasting_files
from tests import shownotes_fixtures as fx


def test_chapters_from_analysis_with_intro() -> None:
    data = chapters_json(fx.analysis(), fx.transcript())
    assert data["version"] == "1.2.0"
    assert data["chapters"] == [
        {"startTime": 0, "title": "Intro"},
        {"startTime": 12.5, "title": "Microleren en checklist"},
        {"startTime": 30.5, "title": "Happy sheet en data"},
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
        {"startTime": 0.0, "title": "Eerste: waarom?"},
        {"startTime": 61.25, "title": "Tweede: hoe?"},
    ]


def test_podcast_transcript_uses_names() -> None:
    data = podcast_transcript_json(fx.transcript())
    assert data["version"] == "1.0.0"
    first = data["segments"][0]
    assert set(first) == {"speaker", "startTime", "endTime", "body"}
    assert first["speaker"] == "Walter Schroven" and first["startTime"] == 0.0 and first["endTime"] == 12.0
    assert [s["speaker"] for s in data["segments"]][:3] == [
        "Walter Schroven",
        "Ellen Verhaegen",
        "Walter Schroven",
    ]


def test_writer(tmp_path: Path) -> None:
    paths = write_podcasting_files(fx.analysis(), fx.transcript(), tmp_path)
    assert [p.name for p in paths] == ["chapters.json", "transcript.podcast.json"]
    assert (
        json.loads((tmp_path / "chapters.json").read_text(encoding="utf-8"))["chapters"][0]["title"]
        == "Intro"
    )
    assert (
        "<script>"
        in json.loads((tmp_path / "transcript.podcast.json").read_text(encoding="utf-8"))["segments"][3][
            "body"
        ]
    )
