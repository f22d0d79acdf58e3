"""The show notes' settings (``[shownotes]``, declared in :mod:`podpipe.config`): the stage is given its
``NotesConfig`` (``settings.notes_config()``); these names are re-exported for its callers."""

from __future__ import annotations

from podpipe.config import Rewrite, ShowNotesSettings

__all__ = ["Rewrite", "ShowNotesSettings"]
