"""The show notes' settings (``settings.shownotes``, declared in :mod:`podpipe.config`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from podpipe.config import Rewrite, ShowNotesSettings, section_of  # noqa: F401 - re-exported


def shownotes_settings(settings: Any = None) -> ShowNotesSettings:
    """The ``shownotes`` section of ``settings`` (podpipe Settings, a ShowNotesSettings, a dict or None)."""
    return section_of(settings, "shownotes", ShowNotesSettings)


def show_name(settings: Any) -> str | None:
    show = getattr(settings, "show", None)
    return getattr(show, "name", None) if show is not None else None


def resolve_path(settings: Any, path: Path) -> Path:
    resolve = getattr(settings, "resolve", None)
    if callable(resolve):
        return resolve(path)
    from podpipe.config import project_root

    path = path.expanduser()
    return path if path.is_absolute() else project_root() / path
