"""A grammar check of the draft's own sentences with the trained parse: what fails is left out.

The paraphrase rewrites spoken sentences (person, verb agreement, the finite verb moved to the end
after "dat"); a wrong parse of the spoken original can make a rewrite that no editor would keep:
"dat dat vertrouwen bij de begint leidinggevende zelf" (the verb moved into a noun phrase), "Katleen
merkt op dat ze ... hebben gezet" (a plural verb where the reader sees Katleen). Each sentence the
templates produce is parsed again and kept only when:

* its main clause has a finite verb (on the root, or its aux/cop);
* every subject agrees in number with its finite verb, where the morphology gives both;
* no determiner, adjective or preposition is cut off from its noun by a finite verb between them,
  and no article stands right before a finite verb ("een kon speld").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

_BOUND_DEPS = frozenset(["det", "amod", "case", "nummod", "nmod:poss", "compound", "flat", "fixed"])
_FINITE_DEPS = frozenset(["aux", "aux:pass", "cop"])


def _finite(token: Token) -> bool:
    return token.pos_ in ("VERB", "AUX") and token.morph.get("VerbForm", []) == ["Fin"]


def _finite_of(verb: Token) -> Token | None:
    if _finite(verb):
        return verb
    return next((c for c in verb.children if c.dep_ in _FINITE_DEPS and _finite(c)), None)


def problems(doc: Doc, names: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """What is wrong with a one-sentence doc (empty: it passes). ``names``: the speakers' names, each one
    person, whatever the parse makes of the word ("Ellen" is also the plural of "el")."""
    found = []
    roots = [t for t in doc if t.dep_ == "ROOT" and not t.is_punct]
    if not roots or _finite_of(roots[0]) is None:
        found.append("no finite verb in the main clause")
    for token in doc:
        if token.dep_ in ("nsubj", "nsubj:pass"):
            verb = _finite_of(token.head)
            subject_number = token.morph.get("Number", [])
            if token.lower_ in ("men", "wie") or token.pos_ == "PROPN" or token.text in names:
                subject_number = ["Sing"]
            if token.pos_ in ("NOUN", "PROPN") and any(
                c.dep_ == "conj" and (verb is None or not min(token.i, c.i) < verb.i < max(token.i, c.i))
                for c in token.children
            ):
                # "loon en feedback zijn", "Rita, Koen en Lotte brachten"; a conjunct on the far side of
                # the verb is the parse's error, not a second subject ("Deze aflevering bracht ploeg,
                # schat en ... samen" with "schat" hung on "aflevering")
                subject_number = ["Plur"]
            verb_number = verb.morph.get("Number", []) if verb is not None else []
            if verb is not None and subject_number and verb_number and subject_number != verb_number:
                found.append(f"'{token.text}' does not agree with '{verb.text}'")
        if token.pos_ == "DET" and token.i + 1 < len(doc) and _finite(doc[token.i + 1]):
            found.append(f"article '{token.text}' before the verb '{doc[token.i + 1].text}'")
        if token.dep_ in _BOUND_DEPS and token.head.i != token.i:
            low, high = sorted((token.i, token.head.i))
            if any(_finite(t) for t in doc[low + 1 : high]):
                found.append(f"'{token.text}' is cut off from '{token.head.text}'")
    return found


def grammatical(text: str, nlp: Language, names: frozenset[str] | set[str] = frozenset()) -> bool:
    return not problems(nlp(text), names)


def keep_grammatical(paragraphs: list[str], nlp: Language, exempt: set[str] | None = None,
                     names: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The paragraphs with every sentence that fails the check left out; an ``exempt`` paragraph (the
    configured call to action, the producer's own words) is kept as it is. ``names``: see :func:`problems`."""
    kept = []
    for paragraph in paragraphs:
        if exempt and paragraph in exempt:
            kept.append(paragraph)
            continue
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", paragraph.strip()) if s]
        good = [s for s in sentences if grammatical(s, nlp, names)]
        if good:
            kept.append(" ".join(good))
    return kept


__all__ = ["grammatical", "keep_grammatical", "problems"]
