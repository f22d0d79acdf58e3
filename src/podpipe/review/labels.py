"""What the editor reads about versions: their notes, the fields of a merge, the times they were saved.

Versions store a note key and its details (``note="replace"``, ``note_args={"find": ..., ...}``) and
field ids (``section:2:heading``); these turn them into the interface language's words. Versions
saved before notes had keys carry English text ("replace 'a' -> 'b'", "merge of NAME"): those are
read back into the same keys, so old histories read in Dutch too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from podpipe.domain import Speaker

_LEGACY = [
    (re.compile(r"^replace (?P<find>'.*'|\".*\") -> (?P<replace>'.*'|\".*\")$"), "replace"),
    (re.compile(r"^merge of (?P<kept>\S+)$"), "merge"),
    (re.compile(r"^restore (?P<name>\S+)$"), "restore"),
    (re.compile(r"^conflict: based on (?P<base>\d+), current was (?P<current>\d+)$"), "conflict"),
]


def when(iso: str | None, zone: ZoneInfo) -> str:
    """``2026-03-29 14:05 CEST``: a stored ISO time in the configured zone (old UTC times too)."""
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:  # written before times had an offset: they were UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def note_label(t: Callable[..., str], note: str, args: dict[str, str] | None = None) -> str:
    """A version's note in words: ``vervangen: ‘Katleen’ → ‘Kathleen’``."""
    values = dict(args or {})
    key = note
    for pattern, legacy_key in _LEGACY:
        match = pattern.match(note)
        if match:
            key = legacy_key
            values = {k: v.strip("'\"") for k, v in match.groupdict().items()}
            break
    if f"note.{key}" not in t.known:  # type: ignore[attr-defined]
        return note
    try:
        return t(f"note.{key}", **values) if values else t(f"note.{key}")
    except (KeyError, IndexError):  # a note saved with fewer details than its words ask for
        return t(f"note.{key}.plain") if f"note.{key}.plain" in t.known else note  # type: ignore[attr-defined]


def field_label(t: Callable[..., str], field: str, speakers: Iterable[Speaker] = ()) -> str:
    """A merge field id in words: ``section:2:heading`` -> ``sectie 2: kop``."""
    parts = field.split(":")
    if parts[0] == "section" and len(parts) == 3:
        return t("field.section", n=parts[1], part=t(f"field.section.{parts[2]}"))
    if parts[0] == "speaker" and len(parts) >= 2:
        speaker_id = ":".join(parts[1:])
        name = next((s.display_name for s in speakers if s.id == speaker_id), speaker_id)
        return t("field.speaker", name=name, id=speaker_id)
    if parts[0] == "line" and len(parts) == 2:
        return t("field.line", n=parts[1])
    if parts[0] == "line-speaker" and len(parts) == 2:
        return t("field.line_speaker", n=parts[1])
    key = f"field.{field}"
    return t(key) if key in t.known else field  # type: ignore[attr-defined]


__all__ = ["field_label", "note_label", "when"]
