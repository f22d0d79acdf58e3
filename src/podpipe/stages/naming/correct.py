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
corrected when their keys are equal, or when Whisper wrote one with a capital, as no ordinary word, in
address ("niet mee eens, Koon."). A long one-word name may have been heard as up to three words
("sind die vorm" for Syndivorm) or with the word before it glued on ("murospiegelpunt").

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
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz

from podpipe.domain import Cast, NameCorrection, Segment, Transcript, Word
from podpipe.text import fold

_SENTENCE_END = ".!?\u2026:"

THRESHOLD = 0.84  # see the module docstring and BENCHMARKS.md
FREQUENT_THRESHOLD = 0.9  # for a span of ordinary Dutch words in a name's context
# For a span Whisper wrote as a name (capitals) that is no Dutch word at all: "Veelvee" for "VOV" said
# letter by letter (0.80), the threshold is this much lower. See BENCHMARKS.md for what it measured.
NONWORD_MARGIN = 0.04
FREQUENT_WORDS = 20_000  # wordfreq's top list of Dutch that counts as "ordinary words"
PHONETIC_FLOOR = 0.7
SHORT_TERM = 4  # letters of key at or below which only an equal key corrects
TINY_TERM = 3  # ... and at or below which only the same letters (capitals apart) do
MAX_SPAN = 3
# A one-word name this long ("Syndivorm", "Spiegelpunt") is rare enough that Whisper, not knowing it,
# cuts it into up to MAX_SPAN words ("sind die vorm") or glues the word before it on
# ("murospiegelpunt" for "bureau Spiegelpunt"); a shorter one is too easily made of other words.
LONG_TERM = 8
# A first name this short ("Jonas", "Ellen") heard in lower case and not spelt alike is corrected only
# beside a name: on the MBROLA renderings "kan jons laden" (camions) became "kan Jonas laden", while
# "Jonas wuits" and the equal-key "bram", "elen" were right.
SHORT_NAME = 5

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
    # ch and g are one sound in Dutch ([x]/[ɣ]; "Schroven" is heard "Sgroven", "Verhaegen" "Verhaechen"):
    # on the MBROLA renderings "Walter Schroven" came out "wel tersgroven" (0.81 -> 0.92 with this rule).
    (r"ch", "g"),
    (r"dt\b", "t"),
    (r"d\b", "t"),
    (r"ae", "a"),  # old spelling: Verhaegen, Claes
    (r"gh", "g"),
    (r"z", "s"),
)


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


# Dutch names of the letters: an acronym is said letter by letter, "VOV" as "vee-oo-vee", which Whisper
# writes as a word ("Veelvee", "Veelvee-Podcast" on the MBROLA renderings of all three episodes).
_LETTER_NAMES = dict(a="aa", b="bee", c="cee", d="dee", e="ee", f="ef", g="gee", h="haa", i="ie", j="jee", k="kaa",
                     l="el", m="em", n="en", o="oo", p="pee", q="kuu", r="er", s="es", t="tee", u="uu", v="vee",
                     w="wee", x="iks", y="ei", z="zet")
_ACRONYM = re.compile(r"(?<![\w])[A-Z]{2,5}(?![\w])")


def spoken_letters(text: str) -> str | None:
    """``text`` with each acronym (two to five capitals) in the names of its letters ("VOV" ->
    "veeoovee", "AZ Meerdaal" -> "aazet Meerdaal"); None when it has no acronym."""
    if not _ACRONYM.search(text):
        return None
    return _ACRONYM.sub(lambda m: "".join(_LETTER_NAMES[c] for c in m.group(0).lower()), text)


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # canonical spelling
    label: str  # PER or ORG
    words: int  # how many words it has
    # Spelt as Whisper heard it in the conversation (no sidecar): no better than another hearing, so
    # it replaces only a spelling variant (equal keys) or words that are no Dutch word at all. Without
    # this, the host heard once as "Walters Groven" turned every right "Walter" into "Walters"
    # (MBROLA rendering of ep14, no host configured).
    heard: bool = False

    @property
    def forms(self) -> tuple[str, ...]:
        """How the term can be said: as written, and with its acronyms spelt out letter by letter."""
        spoken = spoken_letters(self.text)
        return (self.text,) if spoken is None else (self.text, spoken)


def cast_terms(cast: Cast, heard: Collection[str] = ()) -> list[Term]:
    """Every spelling a cast name can be heard in: full names, first names, surnames, organisations.
    ``heard``: the names the conversation gave (as Whisper heard them, no one's spelling)."""
    terms: dict[str, Term] = {}

    def add(text: str, label: str, as_heard: bool = False) -> None:
        text = text.strip()
        if text and fold(text) and text.casefold() not in terms:
            terms[text.casefold()] = Term(text, label, len(text.split()), as_heard)

    for member in cast.members:
        as_heard = member.name in heard
        add(member.name, "PER", as_heard)
        parts = member.name.split()
        if len(parts) > 1:
            add(parts[0], "PER", as_heard)
            add(" ".join(parts[1:]), "PER", as_heard)  # "Van den Broeck"
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
    suffix: str = ""  # the rest of a hyphenated compound whose first part is the name ("-Podcast")
    part: str = ""  # what was heard of the name, when it is only part of the word ("Veelvee")


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


# A capital on a word Whisper all but guessed (an espeak rendering's "If Peter van Tenseck", "Peter"
# at 0.0001) says nothing about a name; the misheard names it capitalised were heard at 0.35 or more.
CAPITAL_MIN_PROBABILITY = 0.1


def _capitalised_mid_sentence(tokens: Sequence[str], first: int, length: int, opens_sentence: bool,
                              probabilities: Sequence[float] | None = None) -> bool:
    """Whether a word of the span has a capital it does not owe to opening a sentence (and was heard
    with at least CAPITAL_MIN_PROBABILITY)."""
    for index in range(first, first + length):
        token = tokens[index].strip()
        if not token[:1].isupper():
            continue
        if probabilities is not None and probabilities[index] < CAPITAL_MIN_PROBABILITY:
            continue
        initial = (index == 0 and opens_sentence) or (index > 0 and tokens[index - 1].strip()[-1:] in _SENTENCE_END)
        if not initial:
            return True
    return False


# "ik ben van kompas merk", "ik werk bij ...": what follows is the speaker's organisation (or name).
_OWN_CONTEXT = re.compile(r"\bik (?:ben|werk|kom|zit)(?: \w+)?(?: (?:van|bij|voor|uit))+$")


def _addressed(tokens: Sequence[str], first: int, length: int) -> bool:
    """Whether a one-word span stands alone between punctuation, set off by a comma: a vocative
    ("niet mee eens, Koen.", "Koen, wat denkt gij?")."""
    if length != 1:
        return False
    before = tokens[first - 1].rstrip()[-1:] if first > 0 else "."
    after = tokens[first].rstrip()[-1:]
    return before in ",.?!" and after in ",.?!" and "," in (before, after)


def _glued_tail(token: str, term: Term) -> bool:
    """Whether a word that is no Dutch word ends in a long one-word term, spelt alike, with something
    glued before it ("murospiegelpunt": "bureau Spiegelpunt" heard as one word)."""
    key = dutch_key(term.text)
    word = dutch_key(token)
    return (term.words == 1 and len(key) >= LONG_TERM and len(word) > len(key) and word.endswith(key)
            and _no_word(token))


def _introduced(folded: Sequence[str], first: int) -> bool:
    before = [f for f in folded[max(0, first - 6) : first] if f]
    if _OWN_CONTEXT.search(" ".join(before)) is not None:
        return True
    # "ik ben van mannedwee kompas merk": one word Whisper made up (no Dutch word) may stand between.
    from wordfreq import zipf_frequency

    return (len(before) > 1 and zipf_frequency(before[-1], "nl") == 0.0
            and _OWN_CONTEXT.search(" ".join(before[:-1])) is not None)


def _beside_a_name(tokens: Sequence[str], folded: Sequence[str], first: int, length: int,
                   terms: Sequence[Term]) -> bool:
    """Whether a neighbouring word is capitalised or a cast name's word ("Jonas wuits"), or the span is
    addressed ("..., elen?")."""
    words = name_words(terms)
    last = first + length - 1
    neighbours = [i for i in (first - 1, last + 1) if 0 <= i < len(tokens)]
    if any(folded[i] in words or (tokens[i][:1].isupper() and i > 0) for i in neighbours):
        return True
    return tokens[last].rstrip()[-1:] in ",?" and (first == 0 or tokens[first - 1].rstrip()[-1:] in ",.?!")


def _acronym_opening(heard: str, term: Term, needed: float) -> tuple[float, str, str] | None:
    """(score, heard part, "-" + rest) when a capitalised word that is no Dutch word opens with an
    acronym said letter by letter, glued to the next word: "Veelveebondkast" is "VOV-podcast" heard
    (on the MBROLA renderings of all three episodes). Dutch writes an acronym's compound with a hyphen,
    so the rest is kept after one."""
    spoken = spoken_letters(term.text)
    if spoken is None or term.words != 1 or not _capitalised_nonwords(heard):
        return None
    size = len(spoken)
    best: tuple[float, str, str] | None = None
    for cut in range(max(2, size - 3), min(len(heard), size + 3) + 1):
        part, rest = heard[:cut], heard[cut:]
        if len(re.sub(r"[^\w]", "", rest)) < 4:
            continue
        score = similarity(part, spoken)[0]
        if score >= needed and (best is None or score >= best[0]):  # ties: the longer part
            best = (score, part, "-" + rest)
    return best


def _no_word(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(fold(word), "nl") == 0.0


def _capitalised_nonwords(heard: str) -> bool:
    """Every word written with a capital and no word of Dutch at all (wordfreq knows none of them)."""
    from wordfreq import zipf_frequency

    words = heard.split()
    return bool(words) and all(w[:1].isupper() and zipf_frequency(fold(w), "nl") == 0.0 for w in words)


def _matches(tokens: Sequence[str], terms: Sequence[Term], threshold: float, opens_sentence: bool = True,
             frequent_threshold: float = FREQUENT_THRESHOLD, nonword_margin: float = NONWORD_MARGIN,
             probabilities: Sequence[float] | None = None) -> list[_Match]:
    """Non-overlapping matches, best first; a span already spelt right claims its words too."""
    found: list[_Match] = []
    ordinary_words = frequent_words() - name_words(terms)
    folded = [fold(token) for token in tokens]
    for first in range(len(tokens)):
        for term in terms:
            longest = term.words + (2 if term.words == 1 and len(dutch_key(term.text)) >= LONG_TERM else 1)
            for length in range(max(1, term.words - 1), min(MAX_SPAN, longest) + 1):
                span = tokens[first : first + length]
                if len(span) < length or not all(fold(token) for token in span):
                    continue
                heard, suffix = " ".join(span), ""
                if length == 1 and term.words == 1 and "-" in heard.strip(" -") and "-" not in term.text:
                    # "Veelvee-Podcast": the name is the compound's first part, the rest stays.
                    cut = heard.index("-", len(heard) - len(heard.lstrip(" -")))
                    heard, suffix = heard[:cut], heard[cut:]
                # As written, or said letter by letter (an acronym's letters then count as its length).
                (score, method), form = max((similarity(heard, form), form) for form in term.forms)
                key_length = len(dutch_key(form))
                if key_length <= TINY_TERM and fold(heard) != fold(term.text):
                    continue  # "An": only "an" itself, never "aan" (equal keys, another word)
                if score < 1.0 and key_length <= SHORT_NAME and not heard[:1].isupper() and not _beside_a_name(
                        tokens, folded, first, length, terms):
                    continue  # "kan jons laden": a short name misheard in lower case needs a name beside it
                words = " ".join(folded[first : first + length]).split()
                if words and all(word in ordinary_words for word in words):
                    # Ordinary Dutch: only in a name's context, and only when it is very close.
                    if score < max(frequent_threshold, threshold) or not (
                            _capitalised_mid_sentence(tokens, first, length, opens_sentence, probabilities)
                            or _introduced(folded, first)):
                        continue
                if term.heard and score < 1.0 and not all(_no_word(w) for w in heard.split()):
                    continue
                needed = threshold
                if nonword_margin and score < threshold and _capitalised_nonwords(heard):
                    needed = threshold - nonword_margin
                # A short name only by its spelling, or where Whisper wrote it as a name that is no
                # ordinary word and it is addressed ("niet mee eens, Koon.")
                short_ok = (key_length > TINY_TERM and heard[:1].isupper() and _addressed(tokens, first, length)
                            and not (first == 0 and opens_sentence) and not set(words) & ordinary_words)
                if score >= 1.0 or ((key_length > SHORT_TERM or short_ok) and score >= needed):
                    found.append(_Match(first, length, term, score, method, suffix))
                elif length == 1 and not suffix and _glued_tail(heard, term):
                    found.append(_Match(first, 1, term, score, "fuzzy"))
                elif length == 1 and not suffix:
                    glued = _acronym_opening(heard, term, threshold - nonword_margin)
                    if glued is not None:
                        found.append(_Match(first, 1, term, glued[0], "fuzzy", glued[2], glued[1]))
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


def _spelt(heard: str, canonical: str, suffix: str = "") -> str:
    """``canonical`` with the heard span's leading space and trailing punctuation (or the rest of the
    compound it opened)."""
    lead = heard[: len(heard) - len(heard.lstrip())]
    if suffix:
        return f"{lead}{canonical}{suffix.rstrip()}"
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
                text=_spelt(heard, match.term.text, match.suffix),
                probability=min(w.probability for w in span),
                heard=heard,
            )
        )
        index += match.length
    return out


def _tokens(segment: Segment) -> list[str]:
    return [w.text for w in segment.words] if segment.words else segment.text.split()


def _heard(tokens: Sequence[str], match: _Match) -> str:
    if match.part:
        return match.part
    if match.suffix:
        token = tokens[match.first].strip()
        return token[: len(token) - len(match.suffix.strip())]
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
        pieces[match.first : match.first + match.length] = [_spelt(heard, match.term.text, match.suffix)]
    return replace(segment, text=" ".join(pieces)), corrections


def correct_segment(
    segment: Segment, index: int, terms: Sequence[Term], threshold: float = THRESHOLD, *,
    opens_sentence: bool = True, frequent_threshold: float = FREQUENT_THRESHOLD,
) -> tuple[Segment, list[NameCorrection]]:
    """The segment with misheard cast names spelt canonically, and the corrections made.

    ``opens_sentence``: whether the segment's first word opens a sentence (the previous segment ended
    one), so that its capital says nothing about a name."""
    probabilities = [w.probability for w in segment.words] if segment.words else None
    matches = _matches([t.strip() for t in _tokens(segment)], terms, threshold, opens_sentence, frequent_threshold,
                       probabilities=probabilities)
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


_SELF_INTRODUCTION = re.compile(r"\b(?:ik\s+ben|mijn\s+naam\s+is|ik\s+heet|met\s+mij)\b", re.IGNORECASE)


def correct_names(transcript: Transcript, cast: Cast, threshold: float = THRESHOLD,
                  frequent_threshold: float = FREQUENT_THRESHOLD, heard: Collection[str] = ()) -> Transcript:
    """A new transcript with the cast's names and organisations spelt canonically in words and segments;
    ``heard``: the members whose names the conversation gave as Whisper heard them."""
    terms = cast_terms(cast, heard)
    if not terms:
        return transcript
    # The host says their own name only to introduce themselves: in the voice that opens the episode
    # (the host's, as :func:`..host.decide_host` assumes where nothing else tells) the host's name
    # is corrected only in a self-introduction. "Welkom, Walletrie." ("welkom alle drie", MBROLA
    # renderings of ep15 and ep20) had become "Welkom, Walter."
    own = {fold(part) for part in (cast.host.name.split() + [cast.host.name])} if cast.host else set()
    others = [t for t in terms if fold(t.text) not in own]
    opener = next((s.speaker for s in transcript.segments if s.speaker is not None), None)
    segments, corrections = [], [c for c in transcript.corrections]
    for index, segment in enumerate(transcript.segments):
        previous = transcript.segments[index - 1] if index else None
        opens = previous is None or previous.speaker != segment.speaker or \
            previous.text.strip()[-1:] in _SENTENCE_END
        hosts_own = opener is not None and segment.speaker == opener and not _SELF_INTRODUCTION.search(segment.text)
        corrected, made = correct_segment(segment, index, others if hosts_own else terms, threshold,
                                          opens_sentence=opens, frequent_threshold=frequent_threshold)
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
