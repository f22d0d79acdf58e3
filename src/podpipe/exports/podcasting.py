"""Podcasting 2.0 files: ``chapters.json`` (JSON Chapters 1.2.0), ``transcript.podcast.json`` (the
podcast namespace's JSON transcript, 1.0.0) and ``episode.feed.xml``, the tags an RSS item needs.

Chapters come from the show notes' sections (titles are their headings) or, before there are notes,
from the analysis' themes; an "Intro" chapter at 0 when the first theme starts later. Each chapter
ends where the next begins, the last at the end of the episode.

The JSON transcript has one entry per caption cue (a few seconds, one speaker), cut from the word
times like the captions, so a player can follow along; whole Whisper segments run up to 30 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from podpipe.config import Settings
from podpipe.domain import Analysis, ShowNotes, Transcript
from podpipe.exports.layout import publish
from podpipe.exports.transcripts import Layout, caption_cues
from podpipe.io import json_text
from podpipe.stages.notes.references import resolve

CHAPTERS_VERSION = "1.2.0"
TRANSCRIPT_VERSION = "1.0.0"
INTRO_TITLE = "Intro"
FEED_SNIPPET = "episode.feed.xml"
PODCAST_NAMESPACE = "https://podcastindex.org/namespace/1.0"
# (file name, MIME type, rel) of each transcript the feed names; rel="captions" marks timed captions.
FEED_TRANSCRIPTS = [
    ("transcript.vtt", "text/vtt", "captions"),
    ("transcript.srt", "application/x-subrip", "captions"),
    ("transcript.podcast.json", "application/json", None),
    ("transcript.txt", "text/plain", None),
]
JSON_CUES = Layout(line_chars=84, max_lines=1)  # one sentence-ish entry per cue, no line breaks


def _show_name(settings: Settings | None) -> str | None:
    show = getattr(settings, "show", None)
    name = getattr(show, "name", None) if show is not None else None
    return str(name) if name else None


def chapters_json(
    source: ShowNotes | Analysis, transcript: Transcript, *, intro_title: str = INTRO_TITLE,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """``{"version": "1.2.0", "chapters": [{"startTime", "endTime", "title"}, ...]}`` in time order;
    ``podcastName`` from ``[show] name``."""
    if isinstance(source, ShowNotes):
        marks = [(s.start, resolve(s.heading, transcript.speakers)) for s in source.sections if s.start is not None]
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
    end = max([transcript.episode.duration or 0.0] + [s.end for s in transcript.segments])
    for chapter, following in zip(chapters, chapters[1:] + [None]):
        chapter_end = following["startTime"] if following else end
        if chapter_end > chapter["startTime"]:
            chapter["endTime"] = round(chapter_end, 3)
    data: dict[str, Any] = {"version": CHAPTERS_VERSION, "chapters": chapters}
    episode = transcript.episode
    if episode.title:
        data["title"] = episode.title
    podcast = _show_name(settings) or (episode.metadata.get("podcast") if episode.metadata else None)
    if podcast:
        data["podcastName"] = str(podcast)
    return data


def podcast_transcript_json(transcript: Transcript) -> dict[str, Any]:
    """``{"version": "1.0.0", "segments": [{"speaker", "startTime", "endTime", "body"}]}``, one per
    caption cue, speakers by display name (so named speakers appear as names)."""
    segments = []
    for cue in caption_cues(transcript, JSON_CUES):
        if not cue.text.strip():
            continue
        item: dict[str, Any] = {}
        if cue.speaker:
            item["speaker"] = cue.speaker
        item.update(startTime=round(cue.start, 3), endTime=round(cue.end, 3), body=cue.text)
        segments.append(item)
    return {"version": TRANSCRIPT_VERSION, "segments": segments}


def feed_snippet(
    transcript: Transcript, settings: Settings | None = None, *, names: dict[str, str] | None = None
) -> str:
    """The ``<podcast:transcript>`` and ``<podcast:chapters>`` tags for the episode's RSS ``<item>``.

    URLs start with ``[show] files_url`` (``{slug}`` filled in); without it they are the bare file
    names and the snippet says so. ``names`` maps the usual file names to the ones to point at
    (the approved ``.final`` files).
    """
    names = names or {}
    show = getattr(settings, "show", None)
    base = getattr(show, "files_url", None) if show is not None else None
    base = base.format(slug=transcript.episode.slug) if base else ""
    language = transcript.language or (getattr(show, "language", None) if show is not None else None) or "nl"
    lines = [f"<!-- Podcasting 2.0 tags for this episode's <item>; xmlns:podcast=\"{PODCAST_NAMESPACE}\" -->"]
    if not base:
        lines.append("<!-- set [show] files_url in config/podpipe.toml to make these URLs absolute -->")
    for name, mime, rel in FEED_TRANSCRIPTS:
        url = quoteattr(base + names.get(name, name))
        attributes = f"url={url} type={quoteattr(mime)} language={quoteattr(language)}"
        if rel:
            attributes += f" rel={quoteattr(rel)}"
        lines.append(f"<podcast:transcript {attributes} />")
    chapters = names.get("chapters.json", "chapters.json")
    lines.append(f"<podcast:chapters url={quoteattr(base + chapters)} type=\"application/json+chapters\" />")
    return "\n".join(lines) + "\n"


def write_podcasting_files(
    source: ShowNotes | Analysis, transcript: Transcript, out_dir: Path, settings: Settings | None = None
) -> list[Path]:
    """``chapters.json``, ``transcript.podcast.json`` and ``episode.feed.xml``, atomically, never over an
    editor's change."""
    out_dir = Path(out_dir)
    return [
        publish(out_dir, "chapters.json", json_text(chapters_json(source, transcript, settings=settings))),
        publish(out_dir, "transcript.podcast.json", json_text(podcast_transcript_json(transcript))),
        publish(out_dir, FEED_SNIPPET, feed_snippet(transcript, settings)),
    ]


__all__ = ["FEED_SNIPPET", "chapters_json", "feed_snippet", "podcast_transcript_json", "write_podcasting_files"]
