"""Quotes as the article prints them: verbatim, and where one runs long, trimmed with "[...]".

Each kept part is a whole sentence of the quote (the NLP stage's own splitter), in order, so every part
is still the speaker's own words; the verbatim check below accepts exactly that.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from podpipe.domain import Quote, Transcript
from podpipe.stages.analyse.text import count_words, split_sentence_spans

log = logging.getLogger(__name__)

ELLIPSIS = "[...]"


def trim_quote(quote: Quote, max_words: int) -> Quote:
    """The quote's first sentence, then as many of its last sentences as fit, with "[...]" between."""
    text = " ".join(quote.text.split())
    if count_words(text) <= max_words:
        return quote
    parts = [text[a:b].strip() for a, b in split_sentence_spans(text)]
    parts = [p for p in parts if p]
    if len(parts) < 2 or count_words(parts[0]) > max_words:
        return quote  # one long sentence: cutting inside it would leave a fragment
    head, tail = [parts[0]], list[str]()
    budget = max_words - count_words(parts[0])
    for part in reversed(parts[1:]):
        if count_words(part) > budget:
            break
        tail.insert(0, part)
        budget -= count_words(part)
    if len(head) + len(tail) == len(parts):
        return quote
    kept = " ".join(head) + f" {ELLIPSIS}" + (" " + " ".join(tail) if tail else "")
    return replace(quote, text=kept)


def quote_parts(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split(ELLIPSIS) if p.strip()]


def verbatim_quotes(quotes: list[Quote], transcript: Transcript) -> list[Quote]:
    """Only quotes whose words are the speaker's own (whitespace aside), each "[...]" part in order."""
    said: dict[str | None, str] = {}
    for segment in transcript.segments:
        said[segment.speaker] = said.get(segment.speaker, "") + " " + " ".join(segment.text.split())
    kept = []
    for quote in quotes:
        own, position, ok = said.get(quote.speaker, ""), 0, True
        for part in quote_parts(quote.text):
            found = own.find(part, position)
            if found < 0:
                ok = False
                break
            position = found + len(part)
        if ok and quote_parts(quote.text):
            kept.append(quote)
        else:
            log.warning("quote dropped, not verbatim from %s: %r", quote.speaker, quote.text[:60])
    return kept


__all__ = ["ELLIPSIS", "quote_parts", "trim_quote", "verbatim_quotes"]
