"""The review app's view of ``podpipe.shownotes``, with a minimal stand-in until that module exists.

Every call goes through :func:`backend`, which prefers the real module (md + html + docx writers,
the show's templates) and falls back to a plain Markdown/HTML writer so the app works on its own.
"""

from __future__ import annotations

import html
import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import TypeAdapter

from podpipe.domain import ShowNotes, Transcript
from podpipe.exports.layout import publish

_NAMES = ("shownotes_from_dict", "shownotes_to_dict", "read_show_notes", "write_show_notes", "render_markdown")
_adapter = TypeAdapter(ShowNotes)


def backend() -> Any:
    try:
        module: ModuleType = importlib.import_module("podpipe.shownotes")
    except ImportError:
        return _Fallback
    if all(hasattr(module, name) for name in _NAMES):
        return module
    return _Fallback


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class _Fallback:
    """Just enough of podpipe.shownotes: JSON, Markdown and a plain HTML page (no docx)."""

    @staticmethod
    def shownotes_to_dict(notes: ShowNotes) -> dict[str, Any]:
        return {"format": "podpipe-shownotes", "version": 1, **_adapter.dump_python(notes, mode="json")}

    @staticmethod
    def shownotes_from_dict(data: dict[str, Any]) -> ShowNotes:
        payload = {k: v for k, v in data.items() if k not in ("format", "version")}
        return _adapter.validate_python(payload)

    @staticmethod
    def read_show_notes(path: Path) -> ShowNotes:
        return _Fallback.shownotes_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @staticmethod
    def render_markdown(notes: ShowNotes, transcript: Transcript, settings: Any = None) -> str:
        lines = [f"# {notes.title}", "", notes.intro, ""]
        for section in notes.sections:
            lines += [f"## {section.heading}", ""]
            for paragraph in section.paragraphs:
                lines += [paragraph, ""]
            for quote in section.quotes:
                speaker = transcript.speaker(quote.speaker)
                name = speaker.display_name if speaker else quote.speaker
                if speaker and speaker.organisation:
                    name = f"{name} ({speaker.organisation})"
                lines += [f"> “{quote.text}” — {name}, {_clock(quote.start)}", ""]
        if notes.closing:
            lines += [notes.closing, ""]
        return "\n".join(lines)

    @staticmethod
    def write_show_notes(notes: ShowNotes, transcript: Transcript, out_dir: Path, settings: Any = None,
                         *, final: bool = False) -> list[Path]:
        kind = "final" if final else "draft"
        markdown = _Fallback.render_markdown(notes, transcript, settings)
        page = f"<!doctype html><meta charset=utf-8><pre>{html.escape(markdown)}</pre>\n"
        written = []
        if not final:
            data = json.dumps(_Fallback.shownotes_to_dict(notes), ensure_ascii=False, indent=2) + "\n"
            written.append(publish(out_dir, "shownotes.json", data))
        written.append(publish(out_dir, f"shownotes.{kind}.md", markdown))
        written.append(publish(out_dir, f"shownotes.{kind}.html", page))
        return written
