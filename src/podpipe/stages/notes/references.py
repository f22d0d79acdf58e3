"""Names in the show notes' free text are references to speakers, resolved when the notes are rendered.

The draft builder writes names ("Gast 1 vertelt ...", "Jan Peeters (VOV)") into the intro, the
paraphrases and the closing. Kept as text, a rename in the review app would miss them; so from
version 0 on (the review app reads the pipeline's draft through :func:`referenced_notes`) the text
keeps ``[[speaker:SPEAKER_01]]`` (the display name), ``[[speaker:SPEAKER_01:first]]`` (the first
name) and ``[[speaker:SPEAKER_01:organisation]]``, and :func:`resolve` puts the current names in
whenever the notes are shown or written. Quotes already refer to their speaker by id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from podpipe.domain import ShowNotes, Speaker

REFERENCE = re.compile(r"\[\[speaker:([A-Za-z0-9_.-]+)(?::(first|organisation))?\]\]")
MIN_FIRST_NAME = 3  # shorter first names ("Jo") are too likely to be a word of their own


def first_name(speaker: Speaker) -> str:
    """As the builder calls people the second time: the first word, but "Gast 1" in full."""
    name = speaker.display_name
    parts = name.split()
    return parts[0] if parts and not name.startswith("Gast ") else name


def resolve(text: str, speakers: list[Speaker]) -> str:
    """Text with each reference replaced by the speaker's current name (an unknown id stays as the id)."""
    by_id = {s.id: s for s in speakers}

    def name(match: re.Match[str]) -> str:
        speaker = by_id.get(match.group(1)) or Speaker(id=match.group(1))
        if match.group(2) == "first":
            return first_name(speaker)
        if match.group(2) == "organisation":
            return speaker.organisation or ""
        return speaker.display_name

    return REFERENCE.sub(name, text)


def _patterns(speakers: list[Speaker]) -> list[tuple[re.Pattern[str], str]]:
    """(pattern, reference), longest text first, so "Sofie Willox" wins over "Sofie".

    An organisation is a reference only in a speaker's label, "Name (Organisation)": on its own it
    is as likely the show's or someone else's ("VOV-podcast"), and must stay text.
    """
    candidates: list[tuple[str, str]] = []
    firsts: dict[str, list[str]] = {}
    for speaker in speakers:
        ref = f"[[speaker:{speaker.id}]]"
        if speaker.organisation:
            candidates.append((f"{speaker.display_name} ({speaker.organisation})",
                               f"{ref} ([[speaker:{speaker.id}:organisation]])"))
        candidates.append((speaker.display_name, ref))
        first = first_name(speaker)
        if first != speaker.display_name:
            firsts.setdefault(first, []).append(speaker.id)
    for first, ids in firsts.items():
        if len(ids) == 1 and len(first) >= MIN_FIRST_NAME:  # "Jan" of two Jans is no reference
            candidates.append((first, f"[[speaker:{ids[0]}:first]]"))
    seen: set[str] = set()
    patterns = []
    for text, reference in sorted(candidates, key=lambda c: len(c[0]), reverse=True):
        if len(text.strip()) < MIN_FIRST_NAME or text in seen:  # "Jo", "De": too likely a word of their own
            continue
        seen.add(text)
        patterns.append((re.compile(rf"(?<![\w\[:-]){re.escape(text)}(?![\w\]-])"), reference))
    return patterns


def _plain_parts(text: str) -> list[tuple[bool, str]]:
    """(is_reference, piece) in order, so replacing names never touches a reference already there."""
    parts, position = [], 0
    for match in REFERENCE.finditer(text):
        parts.append((False, text[position:match.start()]))
        parts.append((True, match.group(0)))
        position = match.end()
    parts.append((False, text[position:]))
    return parts


def reference(text: str, speakers: list[Speaker]) -> str:
    """Text with the speakers' current names (full, first, organisation) replaced by references."""
    if not text:
        return text
    for pattern, ref in _patterns(speakers):
        text = "".join(piece if is_ref else pattern.sub(ref, piece) for is_ref, piece in _plain_parts(text))
    return text


def _map_text(notes: ShowNotes, change: Callable[[str], str]) -> ShowNotes:
    sections = [replace(s, heading=change(s.heading), paragraphs=[change(p) for p in s.paragraphs],
                        quotes=[replace(q) for q in s.quotes]) for s in notes.sections]
    return ShowNotes(title=change(notes.title), intro=change(notes.intro), sections=sections,
                     closing=change(notes.closing), closing_heading=change(notes.closing_heading))


def referenced_notes(notes: ShowNotes, speakers: list[Speaker]) -> ShowNotes:
    """The notes with names in title, intro, headings, paragraphs and closing turned into references.

    Quote text is the speaker's own words, verbatim: a name said in it is what was said, not a
    reference to the current spelling, so it stays as text (corrections fix it there).
    """
    return _map_text(notes, lambda text: reference(text, speakers))


def resolved_notes(notes: ShowNotes, speakers: list[Speaker]) -> ShowNotes:
    """The notes with every reference replaced by the current name."""
    return _map_text(notes, lambda text: resolve(text, speakers))


__all__ = ["REFERENCE", "first_name", "reference", "referenced_notes", "resolve", "resolved_notes"]
