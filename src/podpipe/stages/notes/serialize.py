"""``shownotes.json``: the ShowNotes through :data:`podpipe.io.SHOWNOTES`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from podpipe.domain import ShowNotes
from podpipe.io import SHOWNOTES

SHOWNOTES_FORMAT = SHOWNOTES.format
shownotes_to_dict = SHOWNOTES.to_dict
read_show_notes = SHOWNOTES.read


def shownotes_from_dict(data: Any, source: Path | str = "<shownotes>") -> ShowNotes:
    """Validate ``data`` (``format`` optional, so the review app may post the bare fields)."""
    return SHOWNOTES.from_dict(data, source, format_required=False)
