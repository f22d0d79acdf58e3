"""The show notes' settings (``settings.shownotes``, declared in :mod:`podpipe.config`)."""

from __future__ import annotations

from pathlib import Path

from podpipe.config import Rewrite, Settings, ShowNotesSettings, project_root, section_of  # noqa: F401 - re-exported


def shownotes_settings(settings: Settings | None = None) -> ShowNotesSettings:
    """The ``shownotes`` section of ``settings`` (podpipe Settings, a ShowNotesSettings, a dict or None)."""
    return section_of(settings, "shownotes", ShowNotesSettings)


def resolve_path(settings: Settings | None, path: Path) -> Path:
    if isinstance(settings, Settings):
        return settings.resolve(path)
    path = path.expanduser()
    return path if path.is_absolute() else project_root() / path
