"""Podcasting 2.0 files: ``chapters.json`` (JSON Chapters 1.2.0) and ``transcript.podcast.json``
(the podcast namespace's JSON transcript, version 1.0.0).

Chapters come from the show notes' sections (titles are their headings) or, before there are notes,
from the analysis' themes; an "Intro" chapter at 0 when the first theme starts later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from podpipe.domain import Analysis, ShowNotes, Transcript
from podpipe.exports.layout import publish
from podpipe.io import json_text

CHAPTERS_VERSION = "1.2.0"
TRANSCRIPT_VERSION = "1.0.0"
INTRO_TITLE = "Intro"


def chapters_json(
    source: ShowNotes | Analysis, transcript: Transcript, *, intro_title: str = INTRO_TITLE
) -> dict[str, Any]:
    """``{"version": "1.2.0", "chapters": [{"startTime": s, "title": ...}, ...]}`` in time order."""
    if isinstance(source, ShowNotes):
        marks = [(s.start, s.heading) for s in source.sections if s.start is not None]
    else:
        marks = [(t.start, t.heading or ", ".join(t.keyphrases[:2])) for t in source.themes]
    marks = sorted(
        (max(0.0, float(start)), " ".join(title.split())) for start, title in marks if title.strip()
    )
    chapters: list[dict[str, Any]] = []
    if not marks or marks[0][0] > 0.5:
        chapters.append({"startTime": 0, "title": intro_title})
    for start, title in marks:
        if chapters and abs(chapters[-1]["startTime"] - start) < 1e-3:
            chapters[-1]["title"] = title  # a theme at 0 replaces the intro
            continue
        chapters.append({"startTime": round(start, 3), "title": title})
    data: dict[str, Any] = {"version": CHAPTERS_VERSION, "chapters": chapters}
    episode = transcript.episode
    if episode.title:
        data["title"] = episode.title
    podcast = episode.metadata.get("podcast") if episode.metadata else None
    if podcast:
        data["podcastName"] = str(podcast)
    return data


def podcast_transcript_json(transcript: Transcript) -> dict[str, Any]:
    """``{"version": "1.0.0", "segments": [{"speaker", "startTime", "endTime", "body"}]}``, one per segment,
    speakers by display name (so named speakers appear as names)."""
    segments = []
    for segment in transcript.segments:
        body = " ".join(segment.text.split())
        if not body:
            continue
        item: dict[str, Any] = {}
        speaker = transcript.speaker(segment.speaker)
        if speaker is not None or segment.speaker:
            item["speaker"] = speaker.display_name if speaker is not None else segment.speaker
        item.update(startTime=round(segment.start, 3), endTime=round(segment.end, 3), body=body)
        segments.append(item)
    return {"version": TRANSCRIPT_VERSION, "segments": segments}


def write_podcasting_files(source: ShowNotes | Analysis, transcript: Transcript, out_dir: Path) -> list[Path]:
    """``chapters.json`` and ``transcript.podcast.json``, atomically, never over an editor's change."""
    out_dir = Path(out_dir)
    return [
        publish(out_dir, "chapters.json", json_text(chapters_json(source, transcript))),
        publish(out_dir, "transcript.podcast.json", json_text(podcast_transcript_json(transcript))),
    ]


__all__ = ["chapters_json", "podcast_transcript_json", "write_podcasting_files"]
