"""Podcasting 2.0 files: ``chapters.json`` (JSON Chapters 1.2.0), ``transcript.podcast.json`` (the
podcast namespace's JSON transcript, 1.0.0) and ``episode.feed.xml``, the tags an RSS item needs (one
well-formed ``<item>`` that declares the namespace).

Chapters come from the show notes' sections (titles are their headings) or, before there are notes,
from the analysis' themes; an "Intro" chapter at 0 when the first theme starts later. Each chapter
ends where the next begins, the last at the end of the episode.

The JSON transcript has one entry per caption cue (a few seconds, one speaker), cut from the word
times like the captions, so a player can follow along; whole Whisper segments run up to 30 s.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podpipe.cast import cast_of
from podpipe.config import Show
from podpipe.domain import Analysis, Role, ShowNotes, Transcript
from podpipe.exports.layout import publish
from podpipe.exports.transcripts import Layout, caption_cues
from podpipe.io import json_text
from podpipe.stages.notes.references import resolve
from podpipe.text import normal

CHAPTERS_VERSION = "1.2.0"
TRANSCRIPT_VERSION = "1.0.0"
INTRO_TITLE = "Intro"
FEED_SNIPPET = "episode.feed.xml"
PODCAST_NAMESPACE = "https://podcastindex.org/namespace/1.0"
CHAPTERS_TYPE = "application/json+chapters"
# (file name, MIME type, rel) of each transcript the feed names; rel="captions" marks timed captions.
# The untimed first, WebVTT last: a client that keeps one <podcast:transcript> keeps the last one.
FEED_TRANSCRIPTS = [
    ("transcript.txt", "text/plain", None),
    ("transcript.html", "text/html", None),
    ("transcript.podcast.json", "application/json", None),
    ("transcript.srt", "application/x-subrip", "captions"),
    ("transcript.vtt", "text/vtt", "captions"),
]
ET.register_namespace("podcast", PODCAST_NAMESPACE)
JSON_CUES = Layout(line_chars=84, max_lines=1)  # one sentence-ish entry per cue, no line breaks


def chapters_json(
    source: ShowNotes | Analysis, transcript: Transcript, *, show: Show, intro_title: str = INTRO_TITLE,
) -> dict[str, Any]:
    """``{"version": "1.2.0", "chapters": [{"startTime", "endTime", "title"}, ...]}`` in time order;
    ``podcastName`` from ``[show] name`` (or the transcript's metadata), left out when neither names the
    show: no made-up name (the draft's check box asks for the setting)."""
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
    podcast = show.name or (episode.metadata.get("podcast") if episode.metadata else None)
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


def feed_base_url(transcript: Transcript, show: Show) -> str:
    """``[show] files_url`` with ``{slug}`` filled in, or "" when it is not set (links stay relative)."""
    base = show.files_url
    return base.format(slug=transcript.episode.slug) if base else ""


@dataclass(frozen=True, slots=True)
class FeedPerson:
    """One ``<podcast:person>``: the name, its role and group in the Podcast Taxonomy, and links."""

    name: str
    role: str  # "host" or "guest"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


def feed_people(transcript: Transcript) -> list[FeedPerson]:
    """Host first, then guests: the named speakers (the editor's names once reviewed), then whoever the
    cast (config host, sidecar) says takes part but no voice was named after. Links come from the sidecar."""
    cast = cast_of(transcript.episode)
    members = list(cast.speaking)
    people: list[FeedPerson] = []
    for speaker in (s for s in transcript.speakers if s.name):
        name = str(speaker.name)
        if any(normal(name) == normal(p.name) for p in people):
            continue
        member = next((m for m in members if normal(m.name) == normal(name)), None)
        # The speaker's role (the editor's, once reviewed), else what the cast says.
        role = Role.HOST if (speaker.role or (member.role if member else None)) == Role.HOST else Role.GUEST
        people.append(FeedPerson(name, str(role), href=member.href if member else None,
                                 img=member.img if member else None))
    for member in members:
        if not any(normal(member.name) == normal(p.name) for p in people):
            role = Role.HOST if member.role == Role.HOST else Role.GUEST
            people.append(FeedPerson(member.name, str(role), href=member.href, img=member.img))
    hosts = [p for p in people if p.role == Role.HOST]
    return hosts + [p for p in people if p.role != Role.HOST]


def feed_snippet(
    transcript: Transcript, show: Show, *, names: dict[str, str] | None = None
) -> str:
    """``episode.feed.xml``: one ``<item>`` declaring the podcast namespace, with the tags for the
    episode's RSS item: ``<podcast:person>`` for host and guests, ``<podcast:chapters>`` and a
    ``<podcast:transcript>`` per format, the timed ones last (VTT the very last), since a reader
    that keeps one tag of a kind (feedparser does) keeps the last.

    URLs start with ``[show] files_url`` (``{slug}`` filled in); without it they are the bare file
    names, and a comment (and the draft's check box, :func:`podpipe.checks.publishing_notes`) says so.
    ``names`` maps the usual file names to the ones to point at (the approved ``.final`` files).
    """
    names = names or {}
    base = feed_base_url(transcript, show)
    language = transcript.language or show.language or "nl"
    item = ET.Element("item")
    item.append(ET.Comment(" Podcasting 2.0 tags for this episode: paste what is inside <item> into the episode's "
                           f"<item>, and declare xmlns:podcast=\"{PODCAST_NAMESPACE}\" on the feed's <rss> "))
    if not base:
        item.append(ET.Comment(" the links are relative: set [show] files_url in config/podpipe.toml "
                               "(https://.../{slug}/) to make them absolute "))
    for person in feed_people(transcript):
        attributes = {"role": person.role, "group": person.group}
        attributes |= {key: value for key, value in (("href", person.href), ("img", person.img)) if value}
        ET.SubElement(item, _podcast("person"), attributes).text = person.name
    ET.SubElement(item, _podcast("chapters"), {"url": base + names.get("chapters.json", "chapters.json"),
                                                "type": CHAPTERS_TYPE})
    for name, mime, rel in FEED_TRANSCRIPTS:
        attributes = {"url": base + names.get(name, name), "type": mime, "language": language}
        if rel:
            attributes["rel"] = rel
        ET.SubElement(item, _podcast("transcript"), attributes)
    ET.indent(item, space="  ")
    return ET.tostring(item, encoding="unicode") + "\n"


def _podcast(tag: str) -> str:
    return f"{{{PODCAST_NAMESPACE}}}{tag}"


def write_podcasting_files(
    source: ShowNotes | Analysis, transcript: Transcript, out_dir: Path, show: Show
) -> list[Path]:
    """``chapters.json``, ``transcript.podcast.json`` and ``episode.feed.xml``, atomically, never over an
    editor's change."""
    out_dir = Path(out_dir)
    return [
        publish(out_dir, "chapters.json", json_text(chapters_json(source, transcript, show=show))),
        publish(out_dir, "transcript.podcast.json", json_text(podcast_transcript_json(transcript))),
        publish(out_dir, FEED_SNIPPET, feed_snippet(transcript, show)),
    ]


__all__ = ["FEED_SNIPPET", "FeedPerson", "chapters_json", "feed_base_url", "feed_snippet", "feed_people",
           "podcast_transcript_json", "write_podcasting_files"]
