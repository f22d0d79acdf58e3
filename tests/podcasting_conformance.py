"""Every Podcasting 2.0 file of an output folder against the podcast namespace's documentation
(podcastindex.org/namespace/1.0: the transcript, chapters and person tags; the transcript formats;
JSON Chapters 1.2.0). Also a script: ``python -m tests.podcasting_conformance OUTPUT/<slug>``.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import srt
import webvtt

NAMESPACE = "https://podcastindex.org/namespace/1.0"
TRANSCRIPT_TYPES = {"text/plain", "text/html", "text/vtt", "application/json", "application/x-subrip"}
TIMED_TYPES = {"text/vtt", "application/x-subrip", "application/json"}
CAST_ROLES = {"host", "co-host", "guest-host", "guest"}  # the taxonomy's roles of the group "cast"


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)


def feed_problems(text: str, *, absolute: bool) -> list[str]:
    problems = []
    try:
        item = ET.fromstring(text)
    except ET.ParseError as error:
        return [f"episode.feed.xml is not well-formed XML: {error}"]
    if item.tag != "item":
        problems.append(f"episode.feed.xml: root is <{item.tag}>, not <item>")
    transcripts = item.findall(_tag("transcript"))
    chapters = item.findall(_tag("chapters"))
    people = item.findall(_tag("person"))
    urls = [e.get("url") or "" for e in transcripts + chapters]
    for element in transcripts:
        if element.get("type") not in TRANSCRIPT_TYPES:
            problems.append(f"podcast:transcript type {element.get('type')!r}")
        if element.get("rel") not in (None, "captions"):
            problems.append(f"podcast:transcript rel {element.get('rel')!r}")
    if not transcripts or transcripts[-1].get("type") not in TIMED_TYPES:
        problems.append("the last podcast:transcript (the one a one-tag reader keeps) is not a timed one")
    if len(chapters) != 1 or chapters[0].get("type") != "application/json+chapters":
        problems.append("one podcast:chapters of type application/json+chapters expected")
    for person in people:
        if not (person.text or "").strip() or len(person.text or "") > 128:
            problems.append(f"podcast:person name {person.text!r}")
        if (person.get("role") or "host").lower() not in CAST_ROLES or (person.get("group") or "cast") != "cast":
            problems.append(f"podcast:person role/group {person.get('role')!r}/{person.get('group')!r}")
    for url in urls:
        if not url or (absolute and not url.startswith("https://")):
            problems.append(f"url {url!r} is not an https URL")
    return problems


def folder_problems(folder: Path, *, absolute: bool = True) -> list[str]:
    problems = feed_problems((folder / "episode.feed.xml").read_text(encoding="utf-8"), absolute=absolute)
    transcript = json.loads((folder / "transcript.podcast.json").read_text(encoding="utf-8"))
    if transcript.get("version") != "1.0.0" or not transcript.get("segments"):
        problems.append("transcript.podcast.json: version 1.0.0 with segments expected")
    for segment in transcript.get("segments", []):
        if not {"startTime", "endTime", "body"} <= set(segment) or segment["endTime"] < segment["startTime"]:
            problems.append(f"transcript.podcast.json segment {segment}")
    chapters = json.loads((folder / "chapters.json").read_text(encoding="utf-8"))
    if chapters.get("version") != "1.2.0" or not chapters.get("chapters"):
        problems.append("chapters.json: version 1.2.0 with chapters expected")
    starts = [c.get("startTime") for c in chapters.get("chapters", [])]
    if starts != sorted(starts) or any(not isinstance(c.get("title"), str) for c in chapters.get("chapters", [])):
        problems.append("chapters.json: chapters in time order, each with a title")
    for subtitle in srt.parse((folder / "transcript.srt").read_text(encoding="utf-8")):
        lines = subtitle.content.split("\n")
        if len(lines) > 2 or any(len(line) > 32 for line in lines):
            problems.append(f"transcript.srt cue {subtitle.index}: more than 2 lines of 32")
    vtt_text = (folder / "transcript.vtt").read_text(encoding="utf-8")
    webvtt.from_string(vtt_text)
    if any(len(line) > 65 for line in vtt_text.split("\n\n", 1)[-1].splitlines()):
        problems.append("transcript.vtt: a line over 65 characters")
    tags = _Tags()
    tags.feed((folder / "transcript.html").read_text(encoding="utf-8"))
    if set(tags.tags) - {"cite", "time", "p"} or "p" not in tags.tags:
        problems.append(f"transcript.html: tags {sorted(set(tags.tags))}, expected cite, time, p")
    return problems


if __name__ == "__main__":
    found = folder_problems(Path(sys.argv[1]))
    print("\n".join(found) or "conforms")
    sys.exit(1 if found else 0)
