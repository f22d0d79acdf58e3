"""Misheard cast names corrected in the transcript, with what was heard kept beside the correction.

Whisper writes a name it does not know the way it sounds to it: "Lierko Riel" for Leerkorrel,
"Kompas Merk" for Kompaswerk, "Verhagen" for Verhaegen. A span of one to three words becomes the
cast's spelling when its Dutch spelling key (ph/f, x/ks, ij/ei/y, c/k, dt/t, double letters; see
:func:`dutch_key`) is close enough to a cast term's:

- rapidfuzz's normalised Indel similarity of the two keys clears ``threshold`` (measured in
  ``bench/names_bench.py``: where no correction is made on the real Flemish speech, which names no
  cast member, while the espeak renderings' misheard names are), or
- the keys sound alike (jellyfish's metaphone codes are equal) and their similarity clears
  ``phonetic_floor``.

Short terms (four letters or fewer: "Bram", "VOV") are too easily another word and are only
corrected when their keys are equal.

A span of ordinary Dutch words ("alleen", "wat er", "vragen": every word among wordfreq's 20,000 most
frequent Dutch words and none a word of a cast name) often shares a key with a name ("alleen" and
"Alen", "wat er" and "Walter"). It is corrected only when the context says it is a name, Whisper
having written it with a capital in the middle of a sentence (after "ik ben", after "dank u,", in
"bij Kompas Merk"), or the speaker presenting their own ("ik ben van kompas merk", "ik werk bij ..."),
and only at the higher ``frequent_threshold``.

Every correction is recorded in ``transcript.corrections``
and on the word (``Word.heard``), so an editor can see and undo it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz

from podpipe.domain import Cast, NameCorrection, Segment, Transcript, Word

_SENTENCE_END = ".!?\u2026:"

THRESHOLD = 0.84  # see the module docstring and BENCHMARKS.md
FREQUENT_THRESHOLD = 0.9  # for a span of ordinary Dutch words in a name's context
FREQUENT_WORDS = 20_000  # wordfreq's top list of Dutch that counts as "ordinary words"
PHONETIC_FLOOR = 0.7
SHORT_TERM = 4  # letters of key at or below which only an equal key corrects
TINY_TERM = 3  # ... and at or below which only the same letters (capitals apart) do
MAX_SPAN = 3

# Ordered: longer patterns first, so "sch" is not read as "s" + "ch" by a later rule.
_DUTCH_RULES: tuple[tuple[str, str], ...] = (
    (r"ph", "f"),
    (r"th", "t"),
    (r"qu", "kw"),
    (r"x", "ks"),
    (r"ij|ei|y", "y"),
    (r"ie", "i"),
    (r"ou|au", "au"),
    (r"ck", "k"),
    (r"c(?!h)", "k"),
    (r"dt\b", "t"),
    (r"d\b", "t"),
    (r"ae", "a"),  # old spelling: Verhaegen, Claes
    (r"gh", "g"),
    (r"z", "s"),
)


def fold(text: str) -> str:
    """Lower case, accents off, letters and digits only (spaces kept between words)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text).split())


@lru_cache(maxsize=65536)
def dutch_key(text: str) -> str:
    """A spelling key on which Dutch spelling variants of one name coincide ("Stephanie" = "Stefanie")."""
    key = fold(text)
    for pattern, replacement in _DUTCH_RULES:
        key = re.sub(pattern, replacement, key)
    return re.sub(r"([a-z])\1+", r"\1", key).replace(" ", "")


def similarity(heard: str, canonical: str) -> tuple[float, str]:
    """(0..1, method): how much ``heard`` reads or sounds like ``canonical``; spaces do not count."""
    a, b = dutch_key(heard), dutch_key(canonical)
    if not a or not b:
        return 0.0, "fuzzy"
    if a == b:
        return 1.0, "spelling"
    score = fuzz.ratio(a, b) / 100.0
    if len(b) > SHORT_TERM and score >= PHONETIC_FLOOR and jellyfish.metaphone(a) == jellyfish.metaphone(b):
        return max(score, 0.9), "phonetic"
    return score, "fuzzy"


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # canonical spelling
    label: str  # PER or ORG
    words: int  # how many words it has


def cast_terms(cast: Cast) -> list[Term]:
    """Every spelling a cast name can be heard in: full names, first names, surnames, organisations."""
    terms: dict[str, Term] = {}

    def add(text: str, label: str) -> None:
        text = text.strip()
        if text and fold(text) and text.casefold() not in terms:
            terms[text.casefold()] = Term(text, label, len(text.split()))

    for member in cast.members:
        add(member.name, "PER")
        parts = member.name.split()
        if len(parts) > 1:
            add(parts[0], "PER")
            add(" ".join(parts[1:]), "PER")  # "Van den Broeck"
    for organisation in cast.organisations:
        add(organisation, "ORG")
    return list(terms.values())


@dataclass(frozen=True, slots=True)
class _Match:
    first: int  # token index
    length: int
    term: Term
    score: float
    method: str


@lru_cache(maxsize=1)
def frequent_words() -> frozenset[str]:
    """wordfreq's most frequent Dutch words, folded."""
    from wordfreq import top_n_list

    return frozenset(fold(word) for word in top_n_list("nl", FREQUENT_WORDS))


# Surname particles are ordinary words too: "van de" is no misheard "Van Damme" without a capital.
_PARTICLES = frozenset("van de der den het ten ter te la le du di da in t".split())


def name_words(terms: Sequence[Term]) -> frozenset[str]:
    """The words of the cast's names that are names (particles apart)."""
    return frozenset(word for term in terms for word in fold(term.text).split()) - _PARTICLES


def _capitalised_mid_sentence(tokens: Sequence[str], first: int, length: int, opens_sentence: bool) -> bool:
    """Whether a word of the span has a capital it does not owe to opening a sentence."""
    for index in range(first, first + length):
        token = tokens[index].strip()
        if not token[:1].isupper():
            continue
        initial = (index == 0 and opens_sentence) or (index > 0 and tokens[index - 1].strip()[-1:] in _SENTENCE_END)
        if not initial:
            return True
    return False


# "ik ben van kompas merk", "ik werk bij ...": what follows is the speaker's organisation (or name).
_OWN_CONTEXT = re.compile(r"\bik (?:ben|werk|kom|zit)(?: \w+)?(?: (?:van|bij|voor|uit))+$")


def _introduced(folded: Sequence[str], first: int) -> bool:
    return _OWN_CONTEXT.search(" ".join(f for f in folded[max(0, first - 5) : first] if f)) is not None


def _matches(tokens: Sequence[str], terms: Sequence[Term], threshold: float, opens_sentence: bool = True,
             frequent_threshold: float = FREQUENT_THRESHOLD) -> list[_Match]:
    """Non-overlapping matches, best first; a span already spelt right claims its words too."""
    found: list[_Match] = []
    ordinary_words = frequent_words() - name_words(terms)
    folded = [fold(token) for token in tokens]
    for first in range(len(tokens)):
        for term in terms:
            for length in range(max(1, term.words - 1), min(MAX_SPAN, term.words + 1) + 1):
                span = tokens[first : first + length]
                if len(span) < length or not all(fold(token) for token in span):
                    continue
                score, method = similarity(" ".join(span), term.text)
                key_length = len(dutch_key(term.text))
                if key_length <= TINY_TERM and fold(" ".join(span)) != fold(term.text):
                    continue  # "An": only "an" itself, never "aan" (equal keys, another word)
                words = " ".join(folded[first : first + length]).split()
                if words and all(word in ordinary_words for word in words):
                    # Ordinary Dutch: only in a name's context, and only when it is very close.
                    if score < max(frequent_threshold, threshold) or not (
                            _capitalised_mid_sentence(tokens, first, length, opens_sentence)
                            or _introduced(folded, first)):
                        continue
                if score >= 1.0 or (key_length > SHORT_TERM and score >= threshold):
                    found.append(_Match(first, length, term, score, method))
    # Best score first; between equals, the shorter span (it swallows fewer neighbouring words).
    found.sort(key=lambda m: (-m.score, m.length, m.first))
    taken: set[int] = set()
    chosen = []
    for match in found:
        covered = set(range(match.first, match.first + match.length))
        if covered & taken:
            continue
        taken |= covered
        chosen.append(match)
    return sorted(chosen, key=lambda m: m.first)


def _spelt(heard: str, canonical: str) -> str:
    """``canonical`` with the heard span's leading space and trailing punctuation."""
    lead = heard[: len(heard) - len(heard.lstrip())]
    trail = re.search(r"[^\w]*$", heard.rstrip()).group(0)  # type: ignore[union-attr]
    return f"{lead}{canonical}{trail}"


def _correct_words(words: list[Word], matches: list[_Match]) -> list[Word]:
    out: list[Word] = []
    by_first = {m.first: m for m in matches}
    index = 0
    while index < len(words):
        match = by_first.get(index)
        if match is None:
            out.append(words[index])
            index += 1
            continue
        span = words[index : index + match.length]
        heard = "".join(w.text for w in span)
        out.append(
            replace(
                span[0],
                end=span[-1].end,
                text=_spelt(heard, match.term.text),
                probability=min(w.probability for w in span),
                heard=heard,
            )
        )
        index += match.length
    return out


def _tokens(segment: Segment) -> list[str]:
    return [w.text for w in segment.words] if segment.words else segment.text.split()


def _heard(tokens: Sequence[str], match: _Match) -> str:
    return " ".join(t.strip() for t in tokens[match.first : match.first + match.length]).strip(".,!?;:")


def _apply(
    segment: Segment, index: int, matches: Sequence[_Match], method: str | None = None
) -> tuple[Segment, list[NameCorrection]]:
    """The segment with each match spelt as its term, and a record of each correction."""
    tokens = _tokens(segment)
    matches = [m for m in matches if _heard(tokens, m) != m.term.text]
    if not matches:
        return segment, []
    corrections = []
    for match in matches:
        span_words = segment.words[match.first : match.first + match.length] if segment.words else []
        heard = _heard(tokens, match)
        corrections.append(
            NameCorrection(
                segment=index,
                start=span_words[0].start if span_words else segment.start,
                end=span_words[-1].end if span_words else segment.end,
                heard=heard,
                canonical=match.term.text,
                label=match.term.label,
                score=round(match.score, 3),
                method="case" if fold(heard) == fold(match.term.text) else (method or match.method),
            )
        )
    if segment.words:
        words = _correct_words(segment.words, list(matches))
        return replace(segment, words=words, text="".join(w.text for w in words).strip()), corrections
    pieces = list(tokens)
    for match in sorted(matches, key=lambda m: -m.first):
        heard = " ".join(pieces[match.first : match.first + match.length])
        pieces[match.first : match.first + match.length] = [_spelt(heard, match.term.text)]
    return replace(segment, text=" ".join(pieces)), corrections


def correct_segment(
    segment: Segment, index: int, terms: Sequence[Term], threshold: float = THRESHOLD, *,
    opens_sentence: bool = True, frequent_threshold: float = FREQUENT_THRESHOLD,
) -> tuple[Segment, list[NameCorrection]]:
    """The segment with misheard cast names spelt canonically, and the corrections made.

    ``opens_sentence``: whether the segment's first word opens a sentence (the previous segment ended
    one), so that its capital says nothing about a name."""
    matches = _matches([t.strip() for t in _tokens(segment)], terms, threshold, opens_sentence, frequent_threshold)
    return _apply(segment, index, matches)


def replace_heard(transcript: Transcript, spelling: dict[str, str], method: str) -> Transcript:
    """Every whole-word occurrence of a heard form (case-insensitive) spelt as ``spelling`` says."""
    forms = [(fold(heard).split(), Term(canonical, "PER", len(canonical.split())), similarity(heard, canonical)[0])
             for heard, canonical in spelling.items() if fold(heard)]
    segments, corrections = [], list(transcript.corrections)
    for index, segment in enumerate(transcript.segments):
        folded = [fold(t) for t in _tokens(segment)]
        matches = [
            _Match(first, len(words), term, score, method)
            for words, term, score in forms
            for first in range(len(folded) - len(words) + 1)
            if folded[first : first + len(words)] == words
        ]
        corrected, made = _apply(segment, index, matches, method)
        segments.append(corrected)
        corrections.extend(made)
    return replace(transcript, segments=segments, corrections=corrections)


def correct_names(transcript: Transcript, cast: Cast, threshold: float = THRESHOLD,
                  frequent_threshold: float = FREQUENT_THRESHOLD) -> Transcript:
    """A new transcript with the cast's names and organisations spelt canonically in words and segments."""
    terms = cast_terms(cast)
    if not terms:
        return transcript
    segments, corrections = [], [c for c in transcript.corrections]
    for index, segment in enumerate(transcript.segments):
        previous = transcript.segments[index - 1] if index else None
        opens = previous is None or previous.speaker != segment.speaker or \
            previous.text.strip()[-1:] in _SENTENCE_END
        corrected, made = correct_segment(segment, index, terms, threshold, opens_sentence=opens,
                                          frequent_threshold=frequent_threshold)
        segments.append(corrected)
        corrections.extend(made)
    return replace(transcript, segments=segments, corrections=corrections)


def correction_notes(transcript: Transcript) -> list[str]:
    """Check-box lines, one per heard form and name (capitals apart): how often it was corrected, from
    when, and how close the closest was."""
    groups: dict[tuple[str, str], list[NameCorrection]] = {}
    for c in transcript.corrections:
        if c.method != "case":
            groups.setdefault((fold(c.heard), c.canonical), []).append(c)
    lines = []
    for made in sorted(groups.values(), key=lambda group: min(c.start for c in group)):
        first = min(made, key=lambda c: c.start)
        minutes, seconds = divmod(int(first.start), 60)
        times = "1 keer" if len(made) == 1 else f"{len(made)} keer, eerst"
        lines.append(
            f"\u201c{first.heard}\u201d is verbeterd tot \u201c{first.canonical}\u201d ({times} op "
            f"{minutes:02d}:{seconds:02d}; gelijkenis {max(c.score for c in made):.2f}): controleer."
        )
    return lines


__all__ = ["FREQUENT_THRESHOLD", "THRESHOLD", "Term", "cast_terms", "correct_names", "correct_segment",
           "correction_notes", "dutch_key", "fold", "frequent_words", "name_words", "replace_heard", "similarity"]
