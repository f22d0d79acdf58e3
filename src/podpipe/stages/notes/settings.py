"""The show notes' settings (``settings.shownotes``, declared in :mod:`podpipe.config`): the stage reads
``settings.shownotes`` of the typed settings it is given; these names are re-exported for its callers."""

from __future__ import annotations

from podpipe.config import Rewrite, ShowNotesSettings

__all__ = ["Rewrite", "ShowNotesSettings"]
