"""General Dutch, for telling a theme's own concept from everyday words and from what Whisper misheard.

The frequency list is wordfreq's Dutch one (``zipf_frequency``: log10 of a word's frequency per billion
words, 0 for a word the list does not hold; "januari" 5.3, "gesprek" 5.0, "evaluatiegesprek" 2.0).
Compared with an IDF over the UD Dutch treebanks we train on (measured on ``../shared/data/ud-dutch``:
22,805 word forms in 183,000 tokens, against wordfreq's 310,000 words), wordfreq gives a theme's
specific concept ("omscholing", "werkbaarheid", absent from the treebanks) a real frequency instead of
the unknown tail, and ranks words as conversation uses them: in the treebanks' newspaper Dutch
"januari" (38 times) is ten times as common as "gesprek" (3), so an IDF would call "gesprek" the
more specific of the two.

Dutch writes compounds as one word, and most of a podcast's specific concepts are new compounds the list
cannot hold ("feedbackmoment", "eindeloopbaan"): a word the list lacks is still Dutch when it splits into
two known words (with a linking -s-/-e-/-en- between them), each of them common enough that a split by
chance is unlikely. What passes neither test ("taardrukken", "lerker") is no Dutch word: most often a
word Whisper misheard.
"""

from __future__ import annotations

import re
from functools import lru_cache

from wordfreq import zipf_frequency

LANGUAGE = "nl"
KNOWN = 1.0  # a zipf at or above this: a word of the list (rare words sit around 1-2)
PART = 2.5  # each part of a compound that the list lacks must be at least this common
_TOP = 7.0  # zipf of the most frequent words ("de" 7.4): specificity is measured from here
_LINKS = ("", "s", "e", "en")
# Dutch's separable verb particles ("toegeven": "dat geeft ze toe", "dat ze toegeeft").
SEPARABLE_PARTICLES = frozenset(
    "aan af achter bij binnen buiten door in mee na neer om onder op over rond samen tegen terug toe "
    "uit vast voor voorbij weg open dicht los mis thuis vrij klaar".split()
)
PREPOSITIONS = frozenset(
    "aan achter bij door in met na naar om onder op over per tegen tijdens tot uit van voor zonder".split()
)
# Words that tie a sentence to the one before it: a sentence opening with one is the tail of a
# thought ("En daar maakt ge het grootste verschil."), no summary or advice of its own.
CONJUNCTIONS = frozenset(["en", "maar", "want", "dus", "of", "omdat", "dat"])
# A count before a noun is written apart ("vier studenten"); glued to it, the list lacks the whole, it is
# Whisper's spacing ("vierstudenten" on the MBROLA rendering of De Leerkamer ep07), the compounds on a
# number that Dutch has ("driehoek", "vierdaagse") are in the list.
_NUMBERS = frozenset(
    "een twee drie vier vijf zes zeven acht negen tien elf twaalf twintig dertig veertig vijftig honderd "
    "duizend".split()
)


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    return zipf_frequency(word.casefold(), LANGUAGE)


@lru_cache(maxsize=65536)
def split_compound(word: str) -> tuple[str, str] | None:
    """(modifier, head) of a compound the list lacks, both common words (or, for three parts such as
    "voorleesuurtje", a head that is itself such a compound); None where there is none."""
    lower = word.casefold()
    if not lower.isalpha() or len(lower) < 7:
        return None
    best: tuple[float, tuple[str, str]] | None = None
    # a head of at least four letters: three-letter heads glue a misheard ending onto any word
    # ("plan" + "ger", "kwart" + "ier" + "perment" as Whisper heard the MBROLA renderings)
    for cut in range(3, len(lower) - 3):
        head = lower[cut:]
        head_strength = zipf(head) if zipf(head) >= PART else (PART if _nested(head) else 0.0)
        if head_strength < PART:
            continue
        for link in _LINKS:
            stem = lower[:cut]
            if link and not stem.endswith(link):
                continue
            modifier = stem[: len(stem) - len(link)] if link else stem
            modifier_strength = zipf(modifier)
            if not link and len(head) >= 5:  # a stem glued to a short head is most often a mishearing
                modifier_strength = max(modifier_strength, _verb_stem(modifier))  # ("bevraag" + "ging")
            if len(modifier) >= 3 and modifier_strength >= PART and modifier not in _NUMBERS:
                strength = min(modifier_strength, head_strength)
                if best is None or strength > best[0]:
                    best = (strength, (modifier, head))
    return best[1] if best else None


def infinitive_forms(stem: str, *, short_vowels: bool = True) -> set[str]:
    """The infinitives a verb stem can come from: Dutch stems halve a doubled vowel ("maak" from maken),
    harden v/z ("geef" from geven, "lees" from lezen), and, with ``short_vowels``, drop a doubled
    consonant after a short vowel ("bel" from bellen) or an -n after a vowel ("doe" from doen)."""
    word = stem.casefold()
    bases = {word}
    if len(word) >= 3 and word[-3] == word[-2] and word[-2] in "aeou":
        bases.add(word[:-2] + word[-1])  # "deel" -> "del"(en)
    for base in list(bases):
        if base[-1] in "fs":
            bases.add(base[:-1] + {"f": "v", "s": "z"}[base[-1]])  # "geef" -> "gev"(en)
    forms = {base + "en" for base in bases}
    if not short_vowels:
        return forms
    if word[-1] not in "aeiou" and len(word) >= 2 and word[-2] in "aeiou" and word[-3:-2] not in ("a", "e", "o", "u"):
        forms.add(word + word[-1] + "en")  # a short vowel: "bel" -> "bellen", "begin" -> "beginnen"
    if word[-1] in "aeiou":
        forms.add(word + "n")  # "doe" -> "doen"
    return forms


def _verb_stem(modifier: str) -> float:
    """The zipf of the verb whose stem ``modifier`` is, 0 if none. Dutch builds compounds on a verb's
    stem ("inwerktraject", "doorgroeimogelijkheden", "aanmeldformulier"), and the stem of a separable
    verb ("inwerk") is no word of the list: its infinitive is. Only for heads of five letters or more
    (see the caller)."""
    if len(modifier) < 4 or not modifier.isalpha():
        return 0.0
    # not the short-vowel forms: inside a word they glue mishearings together ("gewon" + "staand")
    return max(zipf(form) for form in infinitive_forms(modifier, short_vowels=False))


def _nested(head: str) -> bool:
    """Whether a compound's head is a compound of two listed words itself (one level deep)."""
    if len(head) < 8 or zipf(head) >= KNOWN:
        return False
    # one level only, of two listed words of four letters or more ("lees" + "uurtje")
    return any(
        zipf(head[:cut]) >= PART and zipf(head[cut:]) >= PART for cut in range(4, len(head) - 3)
    )


@lru_cache(maxsize=65536)
def is_dutch_word(word: str) -> bool:
    """Whether ``word`` is a word of Dutch: in the frequency list, a compound of two listed words, a
    number, or hyphenated parts that each are ("55-plussers", "SBI-model")."""
    text = word.strip(".,;:!?'\"()")
    if not text:
        return False
    if text.isdigit() or re.fullmatch(r"\d+([.,]\d+)?%?", text):
        return True
    if "-" in text:
        return all(is_dutch_word(part) for part in text.split("-") if part)
    if zipf(text) >= KNOWN or split_compound(text) is not None:
        return True
    return False


def is_dutch(phrase: str) -> bool:
    return bool(phrase.split()) and all(is_dutch_word(w) for w in phrase.split())


def specificity(phrase: str) -> float:
    """How specific a concept is against general Dutch, 0.05-1: (7 - zipf) / 7 of the phrase as a whole
    (wordfreq combines the words of a phrase), a compound the list lacks (hyphenated or not) counting as
    unseen."""
    words = phrase.split()
    if not words:
        return 0.05
    if len(words) > 1:
        frequency = zipf_frequency(phrase.casefold(), LANGUAGE)
    else:
        # a hyphenated compound is one word, as rare as its spelling without the hyphen ("BIG-registratie",
        # "e-mail"); wordfreq would read it as the phrase of its parts, as common as "big" and "registratie"
        frequency = zipf(words[0].replace("-", "")) if "-" in words[0] else zipf(words[0])
    return max(0.05, min(1.0, (_TOP - frequency) / _TOP))


__all__ = [
    "PREPOSITIONS",
    "SEPARABLE_PARTICLES",
    "infinitive_forms",
    "is_dutch",
    "is_dutch_word",
    "specificity",
    "split_compound",
    "zipf",
]
