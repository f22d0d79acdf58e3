"""The show notes' files: ``shownotes.json`` and the rendered ``shownotes.{draft|final}.{md,html,docx}``."""

from __future__ import annotations

from pathlib import Path

from podpipe.config import NotesConfig
from podpipe.domain import ShowNotes, Transcript
from podpipe.exports.layout import publish
from podpipe.io import json_text
from podpipe.stages.notes import render_docx, render_html, render_markdown, shownotes_to_dict

SHOWNOTES_JSON = "shownotes.json"


def show_notes_names(final: bool = False) -> dict[str, str]:
    """The file names the notes are written under: json, md, html, docx."""
    stage = "final" if final else "draft"
    return {
        "json": SHOWNOTES_JSON,
        "md": f"shownotes.{stage}.md",
        "html": f"shownotes.{stage}.html",
        "docx": f"shownotes.{stage}.docx",
    }


def write_show_notes(
    notes: ShowNotes, transcript: Transcript, out_dir: Path, setup: NotesConfig, *, final: bool = False
) -> list[Path]:
    """``shownotes.json`` and ``shownotes.{draft|final}.{md,html,docx}``, atomically, never over an
    editor's changed or approved file (those get a ``.v<N>`` sibling, see exports.layout)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = show_notes_names(final)
    return [
        publish(out_dir, names["json"], json_text(shownotes_to_dict(notes))),
        publish(out_dir, names["md"], render_markdown(notes, transcript, setup, final=final)),
        publish(out_dir, names["html"], render_html(notes, transcript, setup, final=final)),
        publish(out_dir, names["docx"], render_docx(notes, transcript, setup, final=final)),
    ]
