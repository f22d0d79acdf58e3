"""A guest's advice in the closing round, told in the third person: "Begin vroeg." -> "om vroeg te beginnen".

The closing round of the show ends with each guest's rule of thumb, said as an imperative ("Kijk eerst
naar uw eigen cijfers.", "Bij mij is het: geef de buddy tijd."), and the reference notes report it as
"Lotte raadt aan om eerst naar de eigen cijfers te kijken". The trained parse reads few imperatives
right (UD Dutch has almost none: "Kijk", "Begin" and "Bel" come out as nouns or prepositions), so the
rewrite is lexical, and refuses what it cannot place:

* the imperative is the clause's first word, a verb stem whose infinitive is a common Dutch verb
  (the stem doubles its last consonant or halves its vowel: "bel" -> "bellen", "deel" -> "delen",
  "geef" -> "geven");
* in an om-clause the verb goes to the end with "te", a separable particle before it ("Bel uw
  collega op" -> "om de collega op te bellen"), and a clause that follows a conjunction or a comma
  stays after it ("Wacht niet tot ..." -> "om niet te wachten tot ..."), and a bare infinitive stays
  after its verb ("Laat de student het doen." -> "om de student het te laten doen");
* the listener's possessive becomes "de" ("uw eigen cijfers" -> "de eigen cijfers"); any other first
  or second person, a question, or an infinitive already in the clause ("durf te vragen") and the
  sentence is left as it was.
"""

from __future__ import annotations

import re

from podpipe.domain import Token
from podpipe.stages.analyse.lexicon import PREPOSITIONS, SEPARABLE_PARTICLES, infinitive_forms, zipf
from podpipe.stages.notes.clauses import is_finite

COMMON_VERB = 3.0  # zipf of the infinitive: a verb a speaker tells a listener to do, not a rare one
MAX_WORDS = 20
# "Bij mij is het: ...", "En ik zou zeggen: ...": the speaker's lead-in before the advice itself
_LEAD_IN = re.compile(r"^[^:]{0,40}\b(?:is het|zou zeggen|zeg ik|mijn advies|mijn tip|zou ik)\b[^:]{0,20}:\s*", re.I)
_CLAUSE_START = frozenset("tot totdat als omdat want zodat voordat wanneer terwijl zolang zodra".split())
_POSSESSIVE = frozenset(["uw", "jouw"])
# verbs that take a bare infinitive, which stays after them in the om-clause ("te laten doen")
_WITH_INFINITIVE = frozenset(["laten", "gaan", "blijven", "helpen", "leren"])
_ARTICLES = frozenset("de een deze uw hun onze jullie elke alle".split())  # not "het", "die": also pronouns
_PERSONAL = frozenset("ik mij me mijn we wij ons onze je jij u ge gij jullie uzelf jezelf".split())
# words that open a sentence and read as a stem: articles, pronouns, conjunctions, adverbs
_NOT_A_STEM = frozenset(
    "de het een die dat dit deze en maar of want dus dan als ook nog wel niet geen zo er daar hier "
    "wat wie waar hoe waarom ja nee neen allez".split()
)


def infinitive(stem: str) -> str | None:
    """The common Dutch verb whose stem (the imperative) ``stem`` is, or None."""
    word = stem.casefold()
    if len(word) < 2 or not word.isalpha() or word in _NOT_A_STEM:
        return None
    best = max(infinitive_forms(word), key=zipf)
    return best if zipf(best) >= COMMON_VERB else None


def advice_clause(tokens: list[Token]) -> str | None:
    """The om-clause of an imperative sentence ("om vroeg te beginnen"), from its parsed tokens, or
    None where it is none or cannot be rewritten safely (module doc)."""
    text = "".join(t.text + (" " if t.space else "") for t in tokens).strip()
    if "?" in text or not text.endswith((".", "!")):
        return None
    lead_in = _LEAD_IN.match(text)
    skip = len(lead_in.group(0)) if lead_in else 0
    kept: list[Token] = []  # the tokens after the lead-in, without the final stop
    at = 0
    for token in tokens:
        at = text.find(token.text, at)
        if at >= skip and token.text not in (".", "!"):
            kept.append(token)
        at += len(token.text)
    if not kept or len(kept) > MAX_WORDS or any(t.text == ":" for t in kept):
        return None
    # a finite auxiliary ("Werk is belangrijk."), or the first word as the subject of a finite verb
    # ("Werk maakt gelukkig."), makes a statement; the parse's other misreadings of an imperative
    # ("ze" in "deel ze op" as a subject, "vroeg" as "vragen") do not
    finite = [token for token in kept[1:] if is_finite(token)]
    if any(t.pos == "AUX" for t in finite) or (kept[0].dep in ("nsubj", "nsubj:pass") and finite):
        return None
    words = [t.text for t in kept]
    if any(w.casefold() in _PERSONAL for w in words) or any(w.casefold() in ("te", "om") for w in words):
        return None
    clauses = _imperatives(words)
    if not clauses:
        return None
    told = [_om_te(clause) for clause in clauses]
    if any(t is None for t in told):
        return None
    return "om " + _joined(clauses, [t for t in told if t]) + "."


def _imperatives(words: list[str]) -> list[list[str]] | None:
    """The sentence as one or two imperative clauses ("vraag het ..., en betrek ..."), each starting
    with its verb stem; None if the first word is no verb stem."""
    if infinitive(words[0]) is None:
        return None
    clauses: list[list[str]] = []
    current = [words[0]]
    for i, word in enumerate(words[1:], start=1):
        following = words[i + 1] if i + 1 < len(words) else ""
        # "en" (after an optional comma) and another stem start the second imperative, and so does a
        # comma alone ("begin niet met de tool, begin met de spelregels")
        if word in ("en", ",") and following.islower() and infinitive(following) and following != "en":
            if current[-1] == ",":
                current.pop()
            clauses.append(current)
            current = []
        elif not (word == "," and following == "en" and i + 2 < len(words) and infinitive(words[i + 2])):
            current.append(word)
    clauses.append(current)
    return clauses if len(clauses) <= 2 else None


def _joined(clauses: list[list[str]], told: list[str]) -> str:
    """Two told imperatives: "om X te V en Y te W"; the same verb twice is said once, as a contrast
    after a negated first one ("om niet met de tool te beginnen, maar met de spelregels") or else as
    one clause ("Begin klein, en begin nu." -> "om klein en nu te beginnen")."""
    if len(told) == 2 and clauses[0][0].casefold() == clauses[1][0].casefold():
        negated = any(w.casefold() in ("niet", "geen", "nooit") for w in clauses[0])
        end = f" te {infinitive(clauses[0][0]) or ''}"
        if negated and told[1].endswith(end) and " ".join(clauses[1][1:]):
            return f"{told[0]}, maar {told[1][: -len(end)]}"
        heads = [t[: -len(end)].split() for t in told if t.endswith(end)]
        if not negated and len(heads) == 2 and all(h and h[-1] not in SEPARABLE_PARTICLES for h in heads):
            return f"{told[0][: -len(end)]} en {told[1]}"
    return " en ".join(told)


def _om_te(clause: list[str]) -> str | None:
    verb = infinitive(clause[0])
    rest = clause[1:]
    if verb is None or (rest and rest[0] == ","):
        return None  # "Kijk, ...": a discourse marker, not an imperative
    # what follows a comma or a conjunction stays after the verb ("om niet te wachten tot ..."); "dat"
    # right after the verb opens its object clause ("zorg dat ...")
    cut = next((i for i, w in enumerate(rest) if w == "," or w.casefold() in _CLAUSE_START
                or (i == 0 and w.casefold() == "dat")), len(rest))  # fmt: skip
    middle, tail = rest[:cut], rest[cut:]
    particle = ""
    for i, word in enumerate(middle):
        following = middle[i + 1] if i + 1 < len(middle) else None
        if word.casefold() in SEPARABLE_PARTICLES and (following is None or following.casefold() in PREPOSITIONS):
            particle = word.casefold()
            middle = middle[:i] + middle[i + 1 :]
            break
    middle = ["de" if w.casefold() in _POSSESSIVE else w for w in middle]
    # a verb with a bare infinitive keeps it last, after "te" and itself: "Laat de student het doen."
    # -> "om de student het te laten doen", not "... het doen te laten"
    last = middle[-1] if middle and not particle else None
    after_article = len(middle) > 1 and middle[-2].casefold() in _ARTICLES  # "de mensen": a noun
    if (verb in _WITH_INFINITIVE and last and last.islower() and last.endswith("en") and not after_article
            and zipf(last) >= COMMON_VERB):
        return " ".join([*middle[:-1], f"te {verb} {last}", *tail]).replace(" ,", ",")
    told = " ".join([*middle, f"{particle} te {verb}" if particle else f"te {verb}", *tail])
    return told.replace(" ,", ",")


__all__ = ["advice_clause", "infinitive"]
