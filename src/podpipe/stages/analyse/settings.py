"""The NLP stage's settings (``settings.nlp``, declared in :mod:`podpipe.config`), from whatever the caller has."""

from __future__ import annotations

from podpipe.config import DEFAULT_FILLER_WORDS, Nlp, Settings, section_of
from podpipe.config import EMBEDDED_NLP_MODEL as EMBEDDED_MODEL

__all__ = ["DEFAULT_FILLER_WORDS", "EMBEDDED_MODEL", "Nlp", "nlp_settings"]


def nlp_settings(settings: Settings | None = None) -> Nlp:
    """The ``Nlp`` section of ``settings`` (a podpipe Settings, an ``Nlp``, a dict or None)."""
    return section_of(settings, "nlp", Nlp)
