"""Small Dutch helpers for templates: numbers and ordinals in words, lists, sentences, clock times."""

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
    return text[:1].upper() + text[1:] if text else text


def clock(seconds: float | None) -> str:
    """MM:SS, or H:MM:SS from an hour on."""
    total = max(0, int(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-ZÀ-Þ0-9])")


def sentences(text: str) -> list[str]:
    """Sentences of a turn (punctuation-based; good enough for Whisper's and hand-written text)."""
    return [part.strip() for part in _SENTENCE_END.split(" ".join(text.split())) if part.strip()]


def words(text: str) -> list[str]:
    return re.findall(r"[\wÀ-ÿ'’&-]+", text)


# First and second person: such a sentence cannot be reported in the third person as it stands.
PERSONAL = frozenset(
    [
        "ik",
        "me",
        "mij",
        "mijn",
        "m'n",
        "we",
        "wij",
        "ons",
        "onze",
        "ge",
        "gij",
        "u",
        "uw",
        "je",
        "jij",
        "jou",
        "jouw",
        "jullie",
        "zelf",
    ]
)
# Openers of spoken Dutch that a written paraphrase drops.
_OPENERS = re.compile(
    r"^(?:(?:ja|nee|neen|en|maar|dus|kijk|allez|wel|euh|ehm|uh|oké|ok|goh|tja|ah|oh|want|nu|voilà|inderdaad)\b[,.!]?\s+)+",
    re.IGNORECASE,
)
_TAGS = re.compile(r",?\s+\b(?:hè|he|hoor|zeker|eigenlijk|zo)\b(?=[.!?…]$)", re.IGNORECASE)
_FILLERS = re.compile(r"\b(?:euh|euhm|ehm|uhm|uh|eh)\b[,]?\s*", re.IGNORECASE)


def tidy(sentence: str) -> str:
    """A spoken sentence made presentable: openers, tag words and fillers removed, first letter capital."""
    text = _FILLERS.sub("", sentence).strip()
    text = _OPENERS.sub("", text).strip()
    text = _TAGS.sub("", text).strip()
    return capfirst(text)


def is_personal(sentence: str) -> bool:
    return any(word.lower() in PERSONAL for word in words(sentence))


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
