"""The NLP stage's settings (``settings.nlp``, declared in :mod:`podpipe.config`), re-exported for its callers."""

from __future__ import annotations

from podpipe.config import DEFAULT_FILLER_WORDS, Nlp
from podpipe.config import EMBEDDED_NLP_MODEL as EMBEDDED_MODEL

__all__ = ["DEFAULT_FILLER_WORDS", "EMBEDDED_MODEL", "Nlp"]
