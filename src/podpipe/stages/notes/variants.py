"""One concept, heard several ways: Whisper's spellings of a word grouped, and how sure the group is.

Whisper base hears a podcast's specific concept (the long compound a theme is about) differently each
time it is said, each time unsure: on the MBROLA renderings of the shared episodes "microleren" came out
as "microleren" (0.57), "Micro -leren" (0.43/0.49), "Microleuren" (0.55) and "microlieren" (0.42);
"ploegleider" as "ploegleider", "ploegleiders", "ploegleggers", "ploeg leders". Counted apart, no
spelling is frequent or well heard enough to label its theme, and an everyday word the theme also uses
("ploeg", "werk") wins. Grouped, they are one concept said five or eight times.

A group is spellings of at least ``MIN_LENGTH`` letters that are alike (normalised edit similarity
``MIN_SIMILARITY``; shorter words have too many neighbours: "loon", "look", "lood"). It is written as
its best-heard Dutch spelling (wordfreq's list or a compound of listed words): a group without one keeps
no label. Its confidence is the chance that at least one hearing was right (1 - the product of the
hearings' doubts): hearings that agree on a word confirm it, as one clear hearing would. A mishearing
that repeats the same non-word is still no Dutch word, and stays out.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from podpipe.domain import ParsedSentence, Token
from podpipe.stages.analyse.lexicon import KNOWN, is_dutch, zipf

MIN_LENGTH = 7
MIN_SIMILARITY = 0.8
MIN_HEARINGS = 3


@dataclass(slots=True)
class HeardVariants:
    """Which concept each spelling was heard for, and how sure the groups are."""

    concept: dict[str, str] = field(default_factory=dict)  # a spelling's key -> its group's written key
    confidence: dict[str, float] = field(default_factory=dict)  # a group's written key -> 0-1
    # per sentence id, for each split spelling of a group: (the keys its two tokens were counted as,
    # concepts only, and the group's written key)
    splits: dict[int, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)

    def of(self, key: str) -> str:
        return self.concept.get(key, key)


def _joined(left: Token, right: Token) -> str | None:
    """The word two tokens are when Whisper split one ("Micro -leren", "ploeg leders"): both alphabetic
    (a leading hyphen aside) and lower case after the first, of three letters or more."""
    a, b = left.text, right.text.lstrip("-")
    if not (a.isalpha() and b.isalpha() and len(a) >= 3 and len(b) >= 3 and b.islower()):
        return None
    return (a + b).casefold()


def heard_variants(
    sentences: list[ParsedSentence],
    key_of: dict[int, str],
    is_concept: dict[int, bool],
    joined_elsewhere: set[str] | frozenset[str] = frozenset(),
) -> HeardVariants:
    """The groups of spellings in ``sentences``.

    ``key_of``/``is_concept``: per token id, its concept key and whether it is a concept (a noun-like
    token); the labels' own definitions, so a group's spellings are the keys the labels count.
    Two-word splits join a group only where Whisper also wrote one of its spellings as one word;
    ``joined_elsewhere``: splits the caller already counts as one word (a listed compound), left to it.
    """
    single: dict[str, list[float]] = {}
    split: dict[str, list[float]] = {}
    split_at: list[tuple[int, tuple[str, ...], str]] = []  # (sentence id, counted keys, joined spelling)
    for sentence in sentences:
        for token in sentence.tokens:
            key = key_of.get(id(token))
            if key and is_concept.get(id(token)) and len(_spelling(key)) >= MIN_LENGTH and _spelling(key).isalpha():
                single.setdefault(key, []).append(token.probability)
        for left, right in itertools.pairwise(sentence.tokens):
            if not is_concept.get(id(right)):
                continue
            joined = _joined(left, right)
            if joined and len(joined) >= MIN_LENGTH and joined not in joined_elsewhere:
                split.setdefault(joined, []).append(min(left.probability, right.probability))
                counted = tuple(key_of[id(t)] for t in (left, right) if is_concept.get(id(t)) and id(t) in key_of)
                split_at.append((id(sentence), counted, joined))
    # Alike spellings share their onset (``_alike``), so each group lives under its first three
    # letters and a spelling is compared with its own onset's groups only (on the hour bench's transcript
    # 1.1 s -> 0.04 s)
    groups: dict[str, list[list[str]]] = {}

    def home_of(key: str) -> list[str] | None:
        return next((g for g in groups.get(_spelling(key)[:3], []) if any(_alike(key, m) for m in g)), None)

    heard = {key: list(values) for key, values in single.items()}
    for key in sorted(single, key=lambda k: (-len(single[k]), k)):
        home = home_of(key)
        if home is None:
            groups.setdefault(_spelling(key)[:3], []).append([key])
        else:
            home.append(key)
    for key, values in split.items():
        home = home_of(key)
        if home is not None:
            if key not in home:
                home.append(key)
            heard.setdefault(key, []).extend(values)
    result = HeardVariants()
    for group in (g for onset in groups.values() for g in onset):
        hearings = [p for key in group for p in heard[key]]
        # one spelling, never split, is one way of hearing: nothing to group
        ways = len(group) + sum(key in split and key in single for key in group)
        if ways < 2 or len(hearings) < MIN_HEARINGS:
            continue
        written = _written(group, heard, set(split))
        if written is None:
            continue
        for key in group:
            result.concept[key] = written
        doubt = math.prod(1.0 - min(max(p, 0.0), 1.0) for p in hearings)
        result.confidence[written] = 1.0 - doubt
    for sentence_id, counted, joined in split_at:
        if joined in result.concept:
            result.splits.setdefault(sentence_id, []).append((counted, result.concept[joined]))
    return result


def _spelling(key: str) -> str:
    return key.replace("-", "")


def _alike(a: str, b: str) -> bool:
    """Two spellings of one word as Whisper hears it: the same first three letters (Whisper keeps a
    word's onset and mishears its middle and end) and close in edit distance; two words of the
    frequency list are two words, however alike ("college", "collega")."""
    a, b = _spelling(a), _spelling(b)
    if a[:3] != b[:3] or (zipf(a) >= KNOWN and zipf(b) >= KNOWN):
        return False
    return Levenshtein.normalized_similarity(a, b) >= MIN_SIMILARITY


def _written(group: list[str], heard: dict[str, list[float]], heard_apart: set[str]) -> str | None:
    """How a group is written: the Dutch spelling closest to all its hearings (the centre of the
    mishearings: "microleren" for "microleuren", "microlieren" and "micro-leren"), a word of the
    frequency list before a compound the list lacks; None where no spelling is Dutch.

    A compound the list lacks only counts where Whisper also heard its two words apart ("Micro-leren",
    "werkbaar werk"): any mishearing glues into two listed words ("feitback" for feedback, "werknimmer"
    for werknemers on the MBROLA renderings), while two words heard apart were said.
    """
    spellings = {_spelling(key): key for key in group}
    listed = [s for s in spellings if zipf(s) >= KNOWN]
    # a hyphen is Whisper's own split ("Micro -leren", one token to the parser)
    hyphenated = {_spelling(key) for key in group if "-" in key}
    apart = [s for s in spellings if is_dutch(s) and (s in heard_apart or s in hyphenated)]
    candidates = listed or apart
    if not candidates:
        return None

    def spread(candidate: str) -> float:
        return sum(len(heard[key]) * Levenshtein.normalized_distance(candidate, _spelling(key)) for key in group)

    best = min(candidates, key=lambda s: (spread(s), -len(heard[spellings[s]]), s))
    # written with its hyphen where every hearing has one ("e-learning", "e-learnings" in typed text);
    # Whisper also splits a word it does not know with one ("Micro-leren" beside "microleuren")
    return spellings[best] if all("-" in key for key in group) else best


def regroup(counts: Counter[str], variants: HeardVariants, sentences: list[ParsedSentence]) -> Counter[str]:
    """``counts`` (of the concepts in ``sentences``) with every spelling counted as its group's written
    key, a split spelling as one mention of the group instead of its two words."""
    merged: Counter[str] = Counter()
    for key, count in counts.items():
        merged[variants.of(key)] += count
    for sentence in sentences:
        for counted, written in variants.splits.get(id(sentence), []):
            for key in counted:
                merged[variants.of(key)] = max(merged[variants.of(key)] - 1, 0)
            merged[written] += 1
    return merged


__all__ = ["HeardVariants", "heard_variants", "regroup"]
