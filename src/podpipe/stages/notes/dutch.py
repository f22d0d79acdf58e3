"""Small Dutch helpers for templates: numbers and ordinals in words, lists, clock times, Markdown escaping.

Sentences, fillers and pronouns are the NLP stage's business (its splitter, ``nlp.filler_words``, the
parse); see :mod:`podpipe.stages.notes.clauses`.
"""

from __future__ import annotations

import re

_UNITS = [
    "nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
    "elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien", "achttien", "negentien",
]  # fmt: skip
_TENS = ["", "", "twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig", "negentig"]


def number_word(n: int) -> str:
    """1-99 in words ("twee", "eenentwintig", "drieëntwintig"); other numbers as digits."""
    if 0 <= n < 20:
        return _UNITS[n]
    if 20 <= n < 100:
        tens, unit = divmod(n, 10)
        if unit == 0:
            return _TENS[tens]
        joiner = "ën" if _UNITS[unit].endswith("e") else "en"
        return f"{_UNITS[unit]}{joiner}{_TENS[tens]}"
    if n == 100:
        return "honderd"
    return str(n)


def ordinal_word(n: int) -> str:
    """1-100 as a Dutch ordinal ("eerste", "derde", "achtste", "twaalfde", "eenentwintigste"); else "123ste"."""
    special = {1: "eerste", 3: "derde", 8: "achtste"}
    if n in special:
        return special[n]
    if 1 < n < 20:
        return f"{_UNITS[n]}de"
    if 20 <= n <= 100:
        return f"{number_word(n)}ste"
    return f"{n}ste"


def join_nl(items: list[str] | tuple[str, ...], last: str = "en") -> str:
    """ "a", "a en b", "a, b en c"."""
    items = [str(item) for item in items if str(item).strip()]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def capfirst(text: str) -> str:
    """The first letter in upper case; Dutch capitalises the digraph "ij" as one letter ("IJsland")."""
    if text[:2] == "ij":
        return "IJ" + text[2:]
    return text[:1].upper() + text[1:] if text else text


def lowerfirst(text: str) -> str:
    """A sentence's first word as it reads mid-sentence: "Eén" -> "één" (the accents mark the numeral,
    the capital only the sentence start), "IJzer" -> "ijzer"."""
    if text[:3] == "Eén":
        return "één" + text[3:]
    if text[:2] == "IJ":
        return "ij" + text[2:]
    return text[:1].lower() + text[1:]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_escape(text: object) -> str:
    """Text that Markdown shows as written: no emphasis, links or raw HTML from transcript text."""
    escaped = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return re.sub(r"^([#+-]|\d+\.)(?=\s)", r"\\\1", escaped)


def md_url(url: object) -> str:
    return (
        str(url)
        .replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )
