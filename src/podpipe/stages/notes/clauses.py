"""A spoken statement turned into written third-person Dutch with its parse, or refused.

A statement qualifies when the parser finds a main clause with a finite verb (VerbForm=Fin, on the
root or on its aux/cop) and a subject, in subject-verb order or with one constituent before the verb.
First and second person are then rewritten: "ik" becomes the speaker's name, "we" becomes "ze",
generic "ge"/"je" becomes "men", and the verb agrees (Person/Number from the morphologizer, the
irregular present forms of Dutch from a table). Anything that cannot be rewritten safely (a "mij" or
"mijn" whose gender we do not know, an object "u", two "ik"s) refuses the sentence, so the caller
picks another. Three shapes come back: the main clause, the clause inverted after a fronted phrase
("Volgens Ellen is ..."), and the subordinate clause after "dat" (finite verb moved to the end of the
middle field: before the verb cluster, a comma or an extraposed clause).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from podpipe.domain import ParsedSentence, Token
from podpipe.stages.analyse.lexicon import SEPARABLE_PARTICLES, zipf
from podpipe.stages.notes.dutch import lowerfirst

# Personal pronouns (closed class): how each is rewritten in the third person, by role.
FIRST_SINGULAR = frozenset(["ik", "mij", "me", "mijn", "m'n", "mezelf", "mijzelf"])
FIRST_PLURAL = frozenset(["we", "wij", "ons", "onze", "onszelf"])
SECOND = frozenset(
    ["ge", "gij", "je", "jij", "u", "uw", "jou", "jouw", "jullie", "uzelf", "jezelf", "gijzelf"]
)
PERSONAL = FIRST_SINGULAR | FIRST_PLURAL | SECOND
_GENERIC_SUBJECT = frozenset(["ge", "gij", "je", "jij"])
# The irregular present of Dutch: first or second person -> third person singular.
_THIRD_SINGULAR = {
    "ben": "is", "bent": "is", "zijt": "is", "heb": "heeft", "hebt": "heeft", "kan": "kan", "kunt": "kan",
    "wil": "wil", "wilt": "wil", "zal": "zal", "zult": "zal", "zoudt": "zou", "zou": "zou", "mag": "mag",
    "moogt": "mag", "waart": "was", "hadt": "had", "kondt": "kon", "wou": "wou", "woudt": "wou",
}  # fmt: skip
# A "-t" form this common in wordfreq's Dutch is a verb's third person present ("geeft" 5.6, "neemt"
# 5.2), where the past tenses glued to a "t" are rare or no words ("gaft" 0, "zagt" 2.0, "wast" 3.4).
PRESENT_THIRD_ZIPF = 4.0
# Adverbs that open a sentence by pointing at the one before ("dan", "toen", "dus").
_ANAPHORIC = frozenset(["dan", "toen", "dus", "zo", "daarom", "ook"])
_SUBJECT_DEPS = frozenset(["nsubj", "nsubj:pass", "expl"])
_FINITE_DEPS = frozenset(["aux", "aux:pass", "cop"])
# Dependents that open a clause of their own: after "dat" the finite verb goes before them.
_CLAUSE_DEPS = frozenset(["acl", "acl:relcl", "advcl", "ccomp", "csubj", "parataxis", "conj"])


_ENUMERATION = re.compile(
    r"\b(?:ten (?:eerste|tweede|derde|slotte)|enerzijds|anderzijds|eerst en vooral)\b", re.IGNORECASE
)


@dataclass(slots=True)
class Clause:
    main: str  # "Ellen heeft organisaties gezien met de mooiste dashboards."
    inverted: str | None  # after a fronted phrase: "is microleren geen grote opleiding."
    sub: str | None  # after "dat": "microleren geen grote opleiding is."
    self_subject: bool  # the speaker is the subject ("ik" became the name)
    words: int


def feats(token: Token) -> dict[str, str]:
    return dict(part.split("=", 1) for part in token.morph.split("|") if "=" in part)


def is_finite(token: Token) -> bool:
    return token.pos in ("VERB", "AUX") and feats(token).get("VerbForm") == "Fin"


def third_singular(form: str, token: Token) -> str:
    """The third person singular of a finite verb given in the first or second person."""
    lower = form.lower()
    if lower in _THIRD_SINGULAR:
        return _THIRD_SINGULAR[lower]
    if lower.endswith("t"):
        return form
    if feats(token).get("Tense") == "Past" and zipf(lower + "t") < PRESENT_THIRD_ZIPF:
        return form  # "gaf", "liep", "zei": one form for every person in the past
    # the tagger reads a bare stem as a past tense now and then ("dat geef ik toe"): with a common
    # "-t" form beside it ("geeft"), it is the present
    if re.search(r"[^aeiou]a$", lower):  # ga -> gaat, sta -> staat
        return form + "at"
    return form + "t"


def has_personal(text_or_tokens: str | list[Token]) -> bool:
    words = (
        re.findall(r"[\w']+", text_or_tokens.lower())
        if isinstance(text_or_tokens, str)
        else [t.text.lower() for t in text_or_tokens]
    )
    return any(w in PERSONAL for w in words)


def _children(tokens: list[Token], index: int) -> list[int]:
    return [i for i, t in enumerate(tokens) if t.head == index and i != index]


def _subtree(tokens: list[Token], index: int) -> list[int]:
    found, todo = {index}, [index]
    while todo:
        for child in _children(tokens, todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found)


def _trim(tokens: list[Token], fillers: set[str], names: set[str]) -> list[Token] | None:
    """Fillers, interjections and tag words out; opening conjunctions and a closing vocative off."""
    drop = {i for i, t in enumerate(tokens) if t.text.lower() in fillers or t.pos == "INTJ"}
    last = len(tokens) - 1
    if (
        last >= 2
        and tokens[last].pos == "PUNCT"
        and tokens[last - 2].text == ","
        and tokens[last - 1].pos == "X"
    ):
        drop.add(last - 1)  # a tag word after the comma at the end (", hè.")
    kept = [i for i in range(len(tokens)) if i not in drop]
    while kept and (tokens[kept[0]].pos in ("CCONJ", "PUNCT")):
        kept.pop(0)
    while len(kept) >= 2 and tokens[kept[-1]].pos == "PUNCT" and tokens[kept[-2]].pos == "PUNCT":
        kept.pop(-2)  # "... niet , ." after a dropped tag word
    if not kept:
        return None
    if any(tokens[i].text in names and _beside_comma(tokens, i) for i in kept):
        return None  # "Bram, gij zegt ...": said to someone, so its "ge" is that person, not "men"
    position = {old: new for new, old in enumerate(kept)}
    result = []
    for old in kept:
        t = tokens[old]
        head_old = t.head
        while head_old not in position and tokens[head_old].head != head_old:
            head_old = tokens[head_old].head  # the head was dropped: attach to its head
        head = position.get(head_old, position[old])
        result.append(Token(t.text, t.lemma, t.pos, t.morph, t.dep, head, t.space, t.probability))
    return _tidy_punct(result)


def _beside_comma(tokens: list[Token], i: int) -> bool:
    before = tokens[i - 1].text if i > 0 else ","
    after = tokens[i + 1].text if i + 1 < len(tokens) else "."
    return (before == "," and after in (",", ".", "?", "!")) or (i == 0 and after == ",")


def _tidy_punct(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for t in tokens:
        if t.pos == "PUNCT" and out and out[-1].pos == "PUNCT" and t.text == "," and out[-1].text == ",":
            continue
        out.append(t)
    return out


def _finite(tokens: list[Token]) -> tuple[int, int] | None:
    """(root, its finite verb) of the main clause, or None for a fragment."""
    roots = [i for i, t in enumerate(tokens) if t.head == i and t.pos != "PUNCT"]
    if len(roots) != 1:
        return None
    root = roots[0]
    # a finite aux/cop carries the tense even where the tagger also calls the verb finite
    finite = [c for c in _children(tokens, root) if tokens[c].dep in _FINITE_DEPS and is_finite(tokens[c])]
    if len(finite) == 1:
        return root, finite[0]
    return (root, root) if not finite and is_finite(tokens[root]) else None


def _verb_of(tokens: list[Token], pronoun: int) -> int | None:
    """The finite verb a subject pronoun agrees with: its head, the head's aux, or its neighbour."""
    head = tokens[pronoun].head
    if is_finite(tokens[head]):
        return head
    finite = [c for c in _children(tokens, head) if tokens[c].dep in _FINITE_DEPS and is_finite(tokens[c])]
    if finite:
        return finite[0]
    for near in (pronoun + 1, pronoun - 1):
        if 0 <= near < len(tokens) and is_finite(tokens[near]):
            return near
    return None


def _person(tokens: list[Token], first_name: str) -> tuple[list[str], bool] | None:
    """Words in the third person, and whether the speaker is a subject; None where that is unsafe."""
    words = [t.text for t in tokens]
    own = [i for i, t in enumerate(tokens) if t.text.lower() == "ik"]
    if len(own) > 1 or any(t.text.lower() in FIRST_SINGULAR - {"ik"} for t in tokens):
        return None  # "mij", "mijn": him or her? The gender is unknown, so the sentence is not used.
    for i, t in enumerate(tokens):
        lower = t.text.lower()
        if lower not in PERSONAL:
            continue
        if lower == "ik" or (lower in _GENERIC_SUBJECT and t.dep in _SUBJECT_DEPS | {"nsubj"}):
            verb = _verb_of(tokens, i)
            if verb is None:
                return None
            words[i] = first_name if lower == "ik" else "men"
            words[verb] = third_singular(words[verb], tokens[verb])
        elif lower in ("we", "wij"):
            if t.dep in _SUBJECT_DEPS:
                # "Katleen merkt op dat ze ... hebben": the reader takes "ze" for the speaker and
                # trips over the plural verb; who "we" are is not said, so the sentence is not used
                return None
            words[i] = "ze"
        elif lower == "onze" or (lower == "ons" and t.dep in ("det", "nmod:poss")):
            words[i] = "hun"
        elif lower == "ons":
            words[i] = "hen"
        else:
            return None  # an object "u", a "jullie", a possessive "uw": not safely third person
    for i, t in enumerate(tokens):
        if i == 0 and words[i] != t.text and words[i] != first_name:
            words[i] = words[i].capitalize()
    return words, bool(own)


def _join(tokens: list[Token], words: list[str], order: list[int]) -> str:
    text = ""
    for i in order:
        word = words[i]
        if not word:
            continue
        glue = "" if (tokens[i].pos == "PUNCT" and word in ",.;:!?…)") else " "
        text += (glue if text else "") + word
    return re.sub(r"\s+([,.;:!?…])", r"\1", text).strip()


_FUNCTION_POS = frozenset(["ADP", "DET", "PRON", "ADV", "SCONJ", "CCONJ", "AUX", "VERB"])


def _lower_first(word: str, token: Token, proper: set[str]) -> str:
    """The sentence's first word as it reads mid-sentence: lower case, unless it is a name. A word the
    transcript also capitalises inside a name ("Van" of "Koen Van Damme") is a name only where the
    parse does not read it as a function word ("Van de werknemers ..." -> "... van de werknemers")."""
    if (word in proper and token.pos not in _FUNCTION_POS) or (word[1:] != word[1:].lower() and word[:2] != "IJ"):
        return word
    return lowerfirst(word)


def transform(
    sentence: ParsedSentence, first_name: str, fillers: set[str], names: set[str], proper: set[str]
) -> Clause | None:
    """The sentence as a third-person clause in three shapes, or None where that is not safe."""
    if "?" in sentence.text or ":" in sentence.text or not sentence.tokens:
        return None  # a question is no view; after a colon often comes speech in its own person
    if _ENUMERATION.search(sentence.text):
        return None  # "ten eerste", "enerzijds": one step of a list that the paraphrase would cut off
    tokens = _trim(sentence.tokens, fillers, names)
    if tokens is None or tokens[-1].text not in (".", "!", "…"):
        return None
    found = _finite(tokens)
    if found is None:
        return None
    root, verb = found
    subjects = [
        c for c in _children(tokens, root) + _children(tokens, verb) if tokens[c].dep in _SUBJECT_DEPS
    ]
    if not subjects:
        return None  # no subject: an imperative or a fragment
    subject = subjects[0]
    feat = feats(tokens[subject])
    pointing = feat.get("PronType") == "Dem" or (feat.get("Person") == "3" and feat.get("PronType") != "Ind")
    if tokens[subject].pos == "PRON" and pointing:
        return None  # "dat", "het", "ze": leans on what was said before ("iemand", "niemand" do not)
    if tokens[subject].pos == "PRON" and feat.get("PronType") == "Rel":
        return None  # a relative pronoun subjects no main clause: the parse is wrong ("die persoon")
    first = tokens[0].text.lower()
    if first.startswith(("daar", "hier")) or first in _ANAPHORIC or feats(tokens[0]).get("PronType") == "Dem":
        return None  # a pronominal adverb or demonstrative opening the sentence points back
    if tokens[0].pos == "SCONJ" and tokens[0].head == root:
        return None  # "Omdat de mensen daar zitten.": a subordinate clause on its own
    if first in _SUBORDINATORS and verb < next((i for i, t in enumerate(tokens) if t.text == ","), len(tokens)):
        # "Als een orderpicker een opleiding volgt, staat er ...": the verb found is the subordinate
        # clause's, the main clause comes after the comma (from audio the parse often misses that)
        return None
    if _POINTS_BACK.search(sentence.text):
        return None  # "Dat laatste hoor ik zo vaak.": about what was said before, meaningless alone
    if _DIRECT_SPEECH.search(sentence.text):
        return None  # "Ik zou zeggen, besteed even veel tijd ...": what follows is said, in its own person
    if any(tokens[i].text.lower() in ("maar", "want", "dus") for i in _subtree(tokens, subject)):
        return None  # "Sorry, maar werkkracht is ...": the parse took a discourse marker for the subject
    if first in _FREE_RELATIVE:
        # "Wat de trainer zei, was dat ...": a free relative as the first constituent; the parse
        # rarely finds its verb, and the rewrite printed "dat ... was wat de trainer zei, was."
        return None
    converted = _person(tokens, first_name)
    if converted is None:
        return None
    words, self_subject = converted
    span = _subtree(tokens, subject)
    if span != list(range(span[0], span[-1] + 1)):
        return None
    subject_first = span[0] == 0 and span[-1] + 1 == verb
    if not subject_first and not (span[0] == verb + 1 and _one_constituent(tokens, list(range(verb)))):
        return None  # not verb-second: a question order, a hortative "laten we", Flemish "dus ik zit"
    order = list(range(len(tokens)))
    main = _join(tokens, words, order)
    main = main[:1].upper() + main[1:]
    inverted = sub = None
    if not self_subject:
        inverted, sub = _reordered(tokens, words, root, verb, span, proper)
    return Clause(main=main, inverted=inverted, sub=sub, self_subject=self_subject, words=len(main.split()))


def _reordered(
    tokens: list[Token], words: list[str], root: int, verb: int, span: list[int], proper: set[str]
) -> tuple[str | None, str | None]:
    """The inverted shape (subject-initial sentences only) and the subordinate shape, where safe."""
    body = [i for i in range(len(tokens)) if tokens[i].text not in (".", "!", "…") or i < len(tokens) - 1]
    subject_first = span[0] == 0 and span[-1] + 1 == verb
    lowered = list(words)
    lowered[0] = _lower_first(words[0], tokens[0], proper)
    inverted = None
    if subject_first:
        order = [verb, *span, *[i for i in body if i > verb]]
        inverted = _join(tokens, lowered, order) + "."
    if any(tokens[c].dep in ("conj", "parataxis") and _clausal(tokens, c) for c in _children(tokens, root)):
        return inverted, None  # a second main clause would keep main-clause order after "dat"
    rest = [i for i in body if i not in span and i != verb]
    particles = [c for c in _children(tokens, verb) if tokens[c].dep == "compound:prt"]
    rest = [i for i in rest if i not in particles]
    if tokens[verb].dep.startswith("aux") and tokens[root].pos not in ("VERB", "AUX"):
        return inverted, None  # an auxiliary without a verb to help: the parser lost the verb
    if (tokens[verb].dep.startswith("aux") and feats(tokens[root]).get("VerbForm") == "Fin"
            and not tokens[root].text.endswith("en")):  # an infinitive reads as a plural ("kopen")
        return inverted, None  # an auxiliary helps no finite verb: "zijn ... verzorgende IG" misread
    nonfinite = [
        n
        for n, i in enumerate(rest)
        if i > verb
        and tokens[i].pos in ("VERB", "AUX")
        and (feats(tokens[i]).get("VerbForm") in ("Inf", "Part") or i == root)  # the verb its aux helps
    ]
    at = nonfinite[0] if nonfinite else len(rest)
    for n, i in enumerate(rest[:at]):
        if i < verb and not subject_first:
            continue  # the fronted phrase stays in the middle field
        t = tokens[i]
        clause_start = any(
            i == _subtree(tokens, c)[0]
            for c in range(len(tokens))
            if tokens[c].dep in _CLAUSE_DEPS and c != root
        )
        # a predicate noun or adjective ("L&D'er", "makkelijk") stays in the middle field, before the verb
        cluster = i > verb and (
            # an attributive participle ("verzorgende IG", "lerende organisaties") goes with its noun
            (t.pos in ("VERB", "AUX") and feats(t).get("VerbForm") in ("Inf", "Part") and t.dep != "amod")
            or (t.dep == "xcomp" and t.pos not in _PREDICATE_POS)
        )
        if t.text == "," or clause_start or cluster or (t.text == "te" and i > verb):
            at = n
            break
    if root != verb and tokens[root].pos in ("VERB", "AUX") and root in rest[:at]:
        return inverted, None  # the verb cluster was not found where it should be: a doubtful parse
    if any(_main_verb(tokens, i, verb) or _verb_second(tokens, i) for i in rest[at:]):
        return inverted, None  # "..., dat cijfer had de dienst al lang": a second main clause after a comma
    moved = _join(tokens, words, [verb])
    if particles:
        moved = "".join(words[p] for p in particles) + moved
        if not all(words[p].lower() in SEPARABLE_PARTICLES for p in particles) and zipf(moved) == 0:
            # the parse took an adverb for the verb's particle ("werkt een deadline gewoon"): glued
            # to the verb it makes no word ("gewoonwerkt")
            return inverted, None
    order_words = [lowered[i] if i == 0 else words[i] for i in range(len(tokens))]
    front = [*span, *rest[:at]]
    sub_text = _join(tokens, order_words, front) + " " + moved
    tail = _join(tokens, order_words, rest[at:])
    sub = (sub_text + (" " + tail if tail and tail[0] not in ",;" else tail)).strip()
    return inverted, sub.rstrip(",;") + "."


_SUBORDINATORS = frozenset(
    "als omdat wanneer toen terwijl hoewel zodra nadat voordat zolang indien tenzij doordat zodat".split()
)
_POINTS_BACK = re.compile(r"\b(?:dat|dit) (?:laatste|eerste)\b", re.IGNORECASE)
_DIRECT_SPEECH = re.compile(r"\b(?:zeggen|zeg|zegt|zei|zeiden|vragen|vraag|vroeg)\s*,", re.IGNORECASE)
_FREE_RELATIVE = frozenset(["wat", "wie", "waar", "hoe", "welke", "waarom", "wanneer"])
_PREDICATE_POS = frozenset(["NOUN", "PROPN", "ADJ", "PRON", "NUM", "DET"])
_SUBORDINATE_DEPS = frozenset(["acl", "acl:relcl", "advcl", "ccomp", "csubj", "xcomp", "mark"])


def _main_verb(tokens: list[Token], index: int, verb: int) -> bool:
    """A finite verb (not ``verb``) that heads no subordinate clause on the way up to the root."""
    if index == verb or tokens[index].head == index or not is_finite(tokens[index]):
        return False  # the clause's own verb, or the root that its finite aux helps
    seen = set()
    while tokens[index].head != index and index not in seen:
        seen.add(index)
        if tokens[index].dep in _SUBORDINATE_DEPS or tokens[index].dep.startswith("aux"):
            return False
        if any(
            tokens[c].dep == "mark" or "PronType=Rel" in tokens[c].morph for c in _children(tokens, index)
        ):
            return False  # "dat ...", "die ...": it opens a subordinate clause
        index = tokens[index].head
    return index != verb


def _verb_second(tokens: list[Token], index: int) -> bool:
    """A finite verb right after a comma and one word ("die heeft honger", "dat cijfer had de dienst")
    with an argument after it: main-clause order, which a real Dutch relative clause (verb-final) lacks."""
    if not is_finite(tokens[index]) or index + 1 >= len(tokens) or index < 2:
        return False
    before = [tokens[i].text for i in range(max(0, index - 3), index)]
    follows = tokens[index + 1].pos in ("DET", "NOUN", "ADJ", "PRON", "PROPN", "NUM")
    return "," in before[-3:] and follows and tokens[index - 1].text != ","


def _clausal(tokens: list[Token], index: int) -> bool:
    """Whether a conjunct is a clause of its own (finite itself, or with a finite aux/cop or a subject)."""
    if is_finite(tokens[index]):
        return True
    return any(
        (tokens[c].dep in _FINITE_DEPS and is_finite(tokens[c])) or tokens[c].dep in _SUBJECT_DEPS
        for c in _children(tokens, index)
    )


def _one_constituent(tokens: list[Token], indices: list[int]) -> bool:
    """Whether the tokens before the verb form one phrase (one of them heads all the others)."""
    if not indices:
        return False
    heads = [i for i in indices if tokens[i].head not in indices or tokens[i].head == i]
    return len(heads) == 1


__all__ = ["PERSONAL", "Clause", "has_personal", "third_singular", "transform"]
