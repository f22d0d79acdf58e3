"""How podpipe compares text and shows a time: one normaliser (with its two stricter forms) and one clock.

- :func:`normal`: the form two spellings of one text share (Unicode NFKC, case folded, one space
  between words); names, entities and the feed's people are compared on it.
- :func:`plain_words`: :func:`normal` without punctuation, for comparing sentences and quotes.
- :func:`fold`: letters and digits only, accents off, for matching names as Whisper heard them.
"""

from __future__ import annotations

import re
import unicodedata


def normal(text: str) -> str:
    """NFKC, case folded, whitespace collapsed: "  Ellen  VERHAEGEN " -> "ellen verhaegen"."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def plain_words(text: str) -> str:
    """:func:`normal` with punctuation turned into spaces: "Ja, dat klopt!" -> "ja dat klopt"."""
    return " ".join(re.sub(r"[^\w\s]", " ", normal(text)).split())


def fold(text: str) -> str:
    """Lower case, accents off, letters and digits only (spaces kept between words)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text).split())


def clock(seconds: float | None) -> str:
    """MM:SS, or H:MM:SS from an hour on (seconds cut, not rounded; None and negatives are 00:00)."""
    total = max(0, int(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


__all__ = ["clock", "fold", "normal", "plain_words"]
