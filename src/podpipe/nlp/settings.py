"""The NLP stage's settings (``settings.nlp``, declared in :mod:`podpipe.config`), from whatever the caller has."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from podpipe.config import DEFAULT_FILLER_WORDS, EMBEDDED_NLP_MODEL as EMBEDDED_MODEL, Nlp



def nlp_settings(settings: Any = None) -> Nlp:
    """The ``Nlp`` section of ``settings`` (a podpipe Settings, an ``Nlp``, a dict or None)."""
    if settings is None:
        return Nlp()
    if isinstance(settings, Nlp):
        return settings
    if isinstance(settings, dict):
        return Nlp(**settings)
    section = getattr(settings, "nlp", None)
    if section is None:
        return Nlp()
    if isinstance(section, Nlp):
        return section
    if isinstance(section, BaseModel):  # the same fields, declared in config.py
        return Nlp(**section.model_dump())
    return Nlp(**dict(section))


def show_name(settings: Any) -> str | None:
    show = getattr(settings, "show", None)
    return getattr(show, "name", None) if show is not None else None
