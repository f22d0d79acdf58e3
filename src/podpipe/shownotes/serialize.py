"""``shownotes.json``: the ShowNotes dataclasses through pydantic's TypeAdapter, as podpipe.io does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from podpipe.domain import ShowNotes
from podpipe.errors import PodpipeError

SHOWNOTES_FORMAT = "podpipe-shownotes"
SHOWNOTES_VERSION = 1

_adapter = TypeAdapter(ShowNotes)


def shownotes_to_dict(notes: ShowNotes) -> dict[str, Any]:
    return {
        "format": SHOWNOTES_FORMAT,
        "version": SHOWNOTES_VERSION,
        **_adapter.dump_python(notes, mode="json"),
    }


def shownotes_from_dict(data: dict[str, Any], source: Path | str = "<shownotes>") -> ShowNotes:
    """Validate ``data`` (``format`` optional, so the review app may post the bare fields)."""
    if not isinstance(data, dict):
        raise PodpipeError(f"{source}: show notes are a JSON object")
    if data.get("format", SHOWNOTES_FORMAT) != SHOWNOTES_FORMAT:
        raise PodpipeError(f"{source}: not podpipe show notes (format is {data.get('format')!r})")
    payload = {key: value for key, value in data.items() if key not in ("format", "version")}
    try:
        return _adapter.validate_python(payload)
    except ValidationError as error:
        raise PodpipeError(f"{source}: invalid show notes: {error}") from error


def read_show_notes(path: Path | str) -> ShowNotes:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise PodpipeError(f"{path}: cannot read show notes JSON ({error})") from error
    return shownotes_from_dict(data, path)
