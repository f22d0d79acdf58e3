"""Show notes shaped like the VOV article: title, intro, a section per theme with verbatim quotes, closing.

Public API::

    from podpipe.stages.notes import build_show_notes, render_markdown
    notes = build_show_notes(named_transcript, analysis, settings.notes_config())
    text = render_markdown(notes, named_transcript, settings.notes_config())

The stage writes no files: :func:`podpipe.exports.shownotes.write_show_notes` does
(shownotes.json + shownotes.draft.*).
"""

from __future__ import annotations

from podpipe.stages.notes.builder import build_show_notes
from podpipe.stages.notes.references import referenced_notes, resolved_notes
from podpipe.stages.notes.render import render_docx, render_html, render_markdown
from podpipe.stages.notes.serialize import (
    SHOWNOTES_FORMAT,
    read_show_notes,
    shownotes_from_dict,
    shownotes_to_dict,
)
from podpipe.stages.notes.settings import Rewrite, ShowNotesSettings

__all__ = [
    "SHOWNOTES_FORMAT",
    "Rewrite",
    "ShowNotesSettings",
    "build_show_notes",
    "read_show_notes",
    "referenced_notes",
    "resolved_notes",
    "render_docx",
    "render_html",
    "render_markdown",
    "shownotes_from_dict",
    "shownotes_to_dict",
]
