"""Which statements of a theme the paraphrase reports, each already in the third person.

Candidates are the theme's declarative sentences by the guests (the host only where no guest spoke),
not already quoted, that :func:`podpipe.stages.notes.clauses.transform` can rewrite safely. They are
ranked by how much of the theme's vocabulary they carry (:attr:`..labels.ThemeConcepts.topic`: every
concept more frequent in the theme than around it, weighed by its specificity, also one said once), so
the paraphrase reports what the theme is about; at most two per speaker, in the order they were said.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from podpipe.domain import ParsedSentence, Quote
from podpipe.stages.analyse.entities import SELF_INTRO
from podpipe.stages.analyse.lexicon import CONJUNCTIONS, is_dutch_word
from podpipe.stages.notes.advice import advice_clause
from podpipe.stages.notes.clauses import Clause, has_personal, transform
from podpipe.stages.notes.dutch import lowerfirst
from podpipe.stages.notes.labels import concept_key
from podpipe.text import plain_words


@dataclass(slots=True)
class Statement:
    speaker: str
    name: str
    first: str
    text: str  # what was said, verbatim
    main: str  # the third-person main clause
    inverted: str | None  # after a fronted phrase ("Volgens Ellen" + this)
    sub: str | None  # after "dat"
    self_subject: bool  # the speaker is the subject ("Ellen heeft ...")
    start: float
    score: float
    same_speaker: bool = False

    @property
    def clause(self) -> str:
        """The main clause with a lower-case first letter, for after a colon (unless it is a name)."""
        return (
            self.main
            if self.self_subject or self.main[1:2].isupper()
            else lowerfirst(self.main)
        )


@dataclass(slots=True)
class Speakers:
    """What a theme's statements need to know about the people: first names, full names, the host."""

    first: dict[str, str]
    full: dict[str, str]
    host: str | None
    names: set[str]  # every name word, for vocatives
    proper: set[str]  # words the transcript capitalises inside a sentence


def theme_statements(
    sentences: list[ParsedSentence],
    salience: dict[str, float],
    quotes: list[Quote],
    people: Speakers,
    fillers: set[str],
    limit: int,
) -> tuple[list[Statement], list[Statement]]:
    """(chosen in time order, the other candidates best first)."""
    quoted = [plain_words(q.text) for q in quotes]
    guests_spoke = any(s.speaker != people.host for s in sentences if s.speaker in people.first)
    top = max(salience.values(), default=1.0) or 1.0
    candidates: list[Statement] = []
    for sentence in sentences:
        speaker = sentence.speaker
        if speaker is None or speaker not in people.first:
            continue
        if guests_spoke and speaker == people.host:
            continue
        norm = plain_words(sentence.text)
        if any(norm in q or q in norm for q in quoted):
            continue  # the quote says it in their own words already
        if not heard_well(sentence, people.proper):
            continue  # a paraphrase of what Whisper misheard would print the mishearing as fact
        clause = transform(sentence, people.first[speaker], fillers, people.names, people.proper)
        if clause is None or not 6 <= clause.words <= 32:
            continue
        candidates.append(_statement(sentence, clause, people, salience, top))
    candidates.sort(key=lambda s: -s.score)
    chosen: list[Statement] = []
    for statement in candidates:  # the best of each speaker first, then the rest, two per speaker at most
        if statement.speaker not in {c.speaker for c in chosen}:
            chosen.append(statement)
    for statement in candidates:
        if statement not in chosen and sum(c.speaker == statement.speaker for c in chosen) < 2:
            chosen.append(statement)
    chosen = chosen[:limit]
    rest = [c for c in candidates if c not in chosen]
    chosen.sort(key=lambda s: s.start)
    for previous, statement in itertools.pairwise(chosen):
        statement.same_speaker = previous.speaker == statement.speaker
    return chosen, rest


# A sentence is reported only when Whisper heard it this well on average (the quotes' floor is 0.6: a
# quote is marked for the editor word by word, a paraphrase reads as the draft's own claim).
REPORT_PROBABILITY = 0.75


def heard_well(sentence: ParsedSentence, proper: set[str]) -> bool:
    """Whether every word is Dutch (a name, a number or a word the text capitalises aside) and the
    sentence was heard with ``REPORT_PROBABILITY`` on average, no word of it under 0.4."""
    words = [t for t in sentence.tokens if any(c.isalpha() for c in t.text)]
    if not words:
        return False
    if sum(t.probability for t in words) / len(words) < REPORT_PROBABILITY or min(t.probability for t in words) < 0.4:
        return False
    return all(
        t.pos == "PROPN" or t.text in proper or t.text[:1].isupper() or is_dutch_word(t.text) for t in words
    )


# What a section reports when the paraphrase cannot: the theme's own sentences, verbatim. From audio
# most sentences fail ``heard_well`` (Whisper base hears a quarter of the words wrong on the MBROLA
# renderings of the shared episodes), and a section then held one quote or none: of the 14 labelled
# themes 3 were found in any section's text. Reporting the best-heard sentences that carry the theme's
# salient concepts as quotes keeps what was said (the editor hears the flagged words back) without
# printing a mishearing as the draft's own claim.
SAID_PROBABILITY = 0.7  # mean word probability of a reported sentence (quotes: 0.6, paraphrase: 0.75)
SAID_MIN_WORDS, SAID_MAX_WORDS = 9, 30
HOST_SAID_WEIGHT = 0.5
UNSURE = 0.5  # a word under this is marked for the editor (``review.low_confidence``); one at most
_POINTING_OPENER = re.compile(
    r"^(?:dat|dit|daar|daarom|daardoor|dan|dus|ja|nee|neen|omdat|want|die|ook|zo|toen|oké|ok|hè|allez)\b",
    re.IGNORECASE,
)


def said_sentences(
    sentences: list[ParsedSentence],
    salience: dict[str, float],
    quotes: list[Quote],
    people: Speakers,
    wanted: int,
    theme: int | None = None,
    reported: Sequence[str] = (),
) -> list[Quote]:
    """Up to ``wanted`` of the theme's own sentences, verbatim, as quotes: complete statements (the
    host's count half where guests spoke) of 9-30 words, heard with ``SAID_PROBABILITY`` on
    average, not leaning on what came before ("Dat ...", "Daarom ...") and not quoted already; the
    ones that carry most of the theme's salient concepts (per word) and were heard best first; none
    the paraphrase ``reported`` already (their verbatim texts)."""
    if wanted <= 0:
        return []
    guests_spoke = any(s.speaker != people.host for s in sentences if s.speaker in people.first)
    top = max(salience.values(), default=1.0) or 1.0
    taken = [plain_words(q.text) for q in quotes] + [plain_words(text) for text in reported]
    scored: list[tuple[float, ParsedSentence]] = []
    for sentence in sentences:
        if sentence.speaker is None or sentence.speaker not in people.first:
            continue
        text = sentence.text.strip()
        words = [t for t in sentence.tokens if any(c.isalpha() for c in t.text)]
        if not SAID_MIN_WORDS <= len(words) <= SAID_MAX_WORDS or not text[:1].isupper():
            continue
        if not text.endswith((".", "!")) or _POINTING_OPENER.match(text):
            continue
        if text.split(",", 1)[0] in people.names or SELF_INTRO.search(text):
            continue  # said to someone ("Katrien, jullie hebben dat ..."), or "ik ben Ellen ...": no statement
        if not any("VerbForm=Fin" in t.morph for t in sentence.tokens):
            continue  # a fragment
        heard = sum(t.probability for t in words) / len(words)
        if heard < SAID_PROBABILITY or sum(t.probability < UNSURE for t in words) > 1:
            continue
        if not all(t.text[:1].isupper() or t.text in people.proper or is_dutch_word(t.text) for t in words):
            continue  # a non-word is most often a mishearing ("keelhifter"): the editor gets none
        norm = plain_words(text)
        if any(norm in q or q in norm for q in taken):
            continue
        weight = sum(salience.get(k, 0.0) for k in {concept_key(t) for t in sentence.tokens}) / top
        if weight <= 0:
            continue  # says nothing of what the theme is about
        # The host asks and moves on; from audio, though, the diarisation often gives a guest's answer to
        # the host's turn (on the MBROLA renderings of the shared episodes most of ep12's first theme),
        # so the host's statements count, at half the weight of a guest's where guests spoke.
        host_weight = HOST_SAID_WEIGHT if guests_spoke and sentence.speaker == people.host else 1.0
        scored.append((weight / math.sqrt(len(words)) * heard * host_weight, sentence))
    scored.sort(key=lambda pair: -pair[0])
    chosen: list[ParsedSentence] = []
    for _, sentence in scored:
        if any(_similar(sentence.text, other.text) for other in chosen):
            continue
        chosen.append(sentence)
        if len(chosen) >= wanted:
            break
    return [
        Quote(speaker=s.speaker or "", text=" ".join(s.text.split()), start=s.start, end=s.end, theme=theme)
        for s in sorted(chosen, key=lambda s: s.start)
    ]


# The closing round's advice ("Begin klein.", "Begin vroeg."): each guest answers the host's last
# question with a short rule first, then explains it. From audio the explanation is mostly too garbled
# to paraphrase (on the MBROLA renderings of the shared episodes no closing statement was left), and a
# closing without what the guests advised tells the reader nothing; the short rule is often heard
# well. Looked for in each guest's first ``ADVICE_SENTENCES`` sentences of the round.
ADVICE_SENTENCES = 2
ADVICE_MAX_WORDS = 15


@dataclass(slots=True)
class Advice:
    """A guest's rule of thumb in the closing round."""

    speaker: str
    text: str  # the sentence, verbatim
    rule: str  # the rule itself, verbatim, without a lead-in ("Bij mij is het: begin vroeg." -> "begin vroeg.")
    clause: str | None  # told in the third person ("om vroeg te beginnen."), where that is safe
    start: float


def closing_advice(
    sentences: list[ParsedSentence], people: Speakers, quotes: Sequence[Quote] = ()
) -> list[Advice]:
    """Each guest's advice in the closing round, one per guest in the order they spoke: their first
    sentence that is an imperative :func:`.advice.advice_clause` can tell ("Kijk eerst naar uw eigen
    cijfers." -> "om eerst naar de eigen cijfers te kijken."), or else a short one said verbatim (2 to
    ``ADVICE_MAX_WORDS`` words, a statement, not a question) that speaks to the listener, not of
    themselves (no first or second person). Either must be heard with ``SAID_PROBABILITY`` on average
    and no word under ``UNSURE``, every word Dutch. A verbatim advice that one of ``quotes`` holds is
    left to the quote; a told one replaces the quote (:func:`..builder.build_show_notes`)."""
    quoted = [plain_words(q.text) for q in quotes]
    advice: list[Advice] = []
    tried: Counter[str] = Counter()
    for sentence in sentences:
        speaker = sentence.speaker
        if speaker is None or speaker == people.host or speaker not in people.first:
            continue
        if speaker in {a.speaker for a in advice} or tried[speaker] >= ADVICE_SENTENCES:
            continue
        tried[speaker] += 1
        text = " ".join(sentence.text.split())
        words = [t for t in sentence.tokens if any(c.isalpha() for c in t.text)]
        if not words or not text[:1].isupper() or not text.endswith((".", "!")):
            continue
        heard = sum(t.probability for t in words) / len(words)
        if heard < SAID_PROBABILITY or min(t.probability for t in words) < UNSURE:
            continue
        if not all(t.text in people.proper or is_dutch_word(t.text) for t in words):
            continue
        clause = advice_clause(sentence.tokens)
        if clause is not None:
            rule = text.split(":")[-1].strip()
            advice.append(Advice(speaker, text, rule[:1].upper() + rule[1:], clause, sentence.start))
            continue
        if not 2 <= len(words) <= ADVICE_MAX_WORDS or has_personal(words) or _POINTING_OPENER.match(text):
            continue
        if words[0].text.casefold() in CONJUNCTIONS:
            continue  # "En daar maakt ge het grootste verschil.": the end of the advice, not the advice
        norm = plain_words(text)
        if any(norm in q or q in norm for q in quoted):
            continue  # the quote after the last section says it in their own words
        advice.append(Advice(speaker, text, text, None, sentence.start))
    return advice


def _similar(a: str, b: str) -> bool:
    wa, wb = set(plain_words(a).split()), set(plain_words(b).split())
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) > 0.5


def _statement(
    sentence: ParsedSentence, clause: Clause, people: Speakers, salience: dict[str, float], top: float
) -> Statement:
    keys = {concept_key(t) for t in sentence.tokens}
    weight = sum(salience.get(k, 0.0) for k in keys) / top
    # salient words per length (a long sentence says more, but also more beside the point)
    score = weight / math.sqrt(max(clause.words, 1)) + 0.2 * (10 <= clause.words <= 24)
    score += 0.1 * (clause.inverted is not None or clause.sub is not None or clause.self_subject)
    speaker = sentence.speaker or ""
    return Statement(
        speaker=speaker,
        name=people.full[speaker],
        first=people.first[speaker],
        text=sentence.text,
        main=clause.main,
        inverted=clause.inverted,
        sub=clause.sub,
        self_subject=clause.self_subject,
        start=sentence.start,
        score=score,
    )


__all__ = ["Advice", "Speakers", "Statement", "closing_advice", "said_sentences", "theme_statements"]
