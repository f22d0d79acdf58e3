"""Text helpers that need no model: filler words, sentence splitting, word counts.

ASR text has weak punctuation, so sentences are split within a speaker turn, newlines first, then on
sentence-final punctuation (with Dutch abbreviations kept whole); stretches that stay too long are cut
at clause boundaries (the parser's, where a caller has one, else commas before a conjunction).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)

# Lower-cased abbreviations (without the final period) after which a period does not end a sentence.
ABBREVIATIONS = frozenset(
    """bv bvb bijv o.a ca cf dhr mevr mr dr drs ir ing prof st nr nrs enz etc e.d i.p.v m.a.w
    m.b.t m.i.v t.o.v t.a.v z.g.a.n vs resp evt incl excl excl p pag fig jan feb mrt apr jun jul aug sep sept
    okt nov dec ma di wo do vr za zo d.w.z a.u.b aub blz mln mld max min n.a.v i.s.m""".split()
)

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*")
_CONJUNCTIONS = ("en", "maar", "want", "dus", "omdat", "of", "terwijl", "zodat", "want", "als", "wanneer")
_CLAUSE_BREAK = re.compile(r"[,;:]\s+(?=(?:" + "|".join(_CONJUNCTIONS) + r")\b)|;\s+|:\s+", re.IGNORECASE)


def count_words(text: str) -> int:
    return len(WORD_RE.findall(text))


@lru_cache(maxsize=32)
def _filler_regex(words: tuple[str, ...]) -> re.Pattern[str] | None:
    words = tuple(sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True))
    if not words:
        return None
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def remove_fillers(text: str, filler_words: Iterable[str]) -> str:
    """``text`` without filler words and the commas that set them off; nothing else changes.

    >>> remove_fillers("Dat is, euh, heel belangrijk euh.", ["euh"])
    'Dat is heel belangrijk.'
    """
    pattern = _filler_regex(tuple(filler_words))
    if pattern is None:
        return text
    while match := pattern.search(text):
        start, end = match.span()
        # Widen over the commas, semicolons and spaces that set the filler off.
        while start > 0 and (text[start - 1].isspace() or text[start - 1] in ",;"):
            start -= 1
        while end < len(text) and (text[end].isspace() or text[end] in ",;"):
            end += 1
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        if not before or before in ".!?…:\n":
            # Opening a sentence: drop the filler's own trailing dots too ("Ehm. Dat klopt.").
            while end < len(text) and (text[end] in ".…" or text[end].isspace()):
                end += 1
            joint = " " if before else ""
        elif not after or after in ".!?…":
            joint = ""
        else:
            joint = " "
        text = text[:start] + joint + text[end:]
    return text.strip()


def _is_abbreviation(text: str, dot: int) -> bool:
    """Does the period at ``text[dot]`` close an abbreviation or an initial?"""
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "([\"'“‘":
        start -= 1
    word = text[start:dot]
    if not word:
        return False
    if len(word) == 1 and word.isalpha() and word.isupper():  # an initial: "J. Smit"
        return True
    return word.lower() in ABBREVIATIONS or bool(re.fullmatch(r"(?:\w\.)+\w", word))


def split_sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in ``text`` (one speaker turn): newlines, then punctuation."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        line_start = line.start()
        line_text = line.group()
        begin = 0
        for match in _SENTENCE_END.finditer(line_text):
            end = match.end()
            rest = line_text[end:]
            if rest and not rest[0].isspace():
                continue  # "1.5", "e-mail.com", "o.a." inside a word
            following = rest.lstrip()
            marks = match.group()
            if following:
                first = following[0]
                if "." in marks and not any(m in marks for m in "!?") and marks.rstrip("\"'”’)]") == ".":
                    if _is_abbreviation(line_text, match.start()):
                        continue
                    if not (first.isupper() or first.isdigit() or first in "\"'“‘(["):
                        continue
                elif "…" in marks or ".." in marks:
                    if not (first.isupper() or first in "\"'“‘(["):
                        continue
            spans.append((line_start + begin, line_start + end))
            begin = end
        spans.append((line_start + begin, line_start + len(line_text)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_long_span(
    text: str, span: tuple[int, int], max_words: int, breaks: Sequence[int] = ()
) -> list[tuple[int, int]]:
    """Cut a span of more than ``max_words`` words at the clause break nearest its middle, recursively.

    ``breaks`` are preferred character offsets (e.g. the parser's sentence starts); without any inside
    the span, commas or semicolons before a conjunction are used, and as a last resort any comma.
    """
    start, end = span
    if count_words(text[start:end]) <= max_words:
        return [span]
    middle = (start + end) / 2
    candidates = [b for b in breaks if start < b < end and text[start:b].strip() and text[b:end].strip()]
    if not candidates:
        candidates = [m.end() for m in _CLAUSE_BREAK.finditer(text, start, end)]
    if not candidates:
        candidates = [m.end() for m in re.finditer(r",\s+", text[start:end])]
        candidates = [start + c for c in candidates]
    candidates = [c for c in candidates if count_words(text[start:c]) >= 3 and count_words(text[c:end]) >= 3]
    if not candidates:
        return [span]
    cut = min(candidates, key=lambda c: abs(c - middle))
    left = _trim(text, start, cut)
    right = _trim(text, cut, end)
    return split_long_span(text, left, max_words, breaks) + split_long_span(text, right, max_words, breaks)


def split_sentences(text: str, max_words: int = 80, breaks: Sequence[int] = ()) -> list[str]:
    """The sentences of one turn as strings (see :func:`split_sentence_spans`)."""
    spans = [
        piece
        for span in split_sentence_spans(text)
        for piece in split_long_span(text, span, max_words, breaks)
    ]
    return [text[s:e] for s, e in spans]


def word_jaccard(a: str, b: str) -> float:
    wa = {w.lower() for w in WORD_RE.findall(a)}
    wb = {w.lower() for w in WORD_RE.findall(b)}
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)
