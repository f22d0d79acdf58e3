"""Quotes: verbatim, complete sentences by guests that are opinionated or vivid and central to a theme.

Candidates are single sentences (or two adjacent sentences of one turn, when the first alone is too
short) of 12-60 words by a guest (the host too if configured), ending in . ! or …, never a question.
A candidate's score adds its centrality (similarity to the theme's centroid, episode-centred) to
cues of a quotable statement (a rule of thumb the speaker announces, a general claim in the present
tense, a contrast "niet ... maar" or "X, geen Y", a comparison, a superlative, absolutes like "niemand"
or "altijd", a conditional "als ..., dan", an explicit opinion), and subtracts for what makes a
sentence lean on its context (an opening "Dat"/"Daarom"/"En", a past-tense anecdote, a question).
Filler words are dropped; nothing else is changed. Near-duplicates (the same words, or nearly the
same vector) are kept out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from podpipe.domain import Quote
from podpipe.stages.analyse.document import Conversation, Sentence
from podpipe.stages.analyse.entities import SELF_INTRO
from podpipe.stages.analyse.text import count_words, remove_fillers, word_jaccard

OPINION = re.compile(
    r"\b(?:ik vind|ik denk|volgens mij|eerlijk gezegd|laten we eerlijk zijn|het probleem is|de kern|"
    r"het geheim|het punt is|wat ik merk|ik geloof|ik zou)\b",
    re.IGNORECASE,
)
# "niet X, maar Y", "geen X, het is Y", "geen X, die heeft Y": an antithesis; also "X, geen Y." and
# "voor X, niet voor Y." closing the sentence (the second term put after the first).
CONTRAST = re.compile(
    r"\b(?:geen|niet|nooit)\b[^.?!]*?,\s*(?:maar|wel|het is|dat is|die (?:heeft|is)|ze (?:hebben|zijn))\b"
    r"|\b(?:geen|niet|nooit)\b[^.?!,]*\bmaar\b"
    r"|\w,\s*(?:geen|niet)\b[^,.?!;:]*[.!…]$",
    re.IGNORECASE,
)
# A speaker who announces a rule of thumb ("Mijn vuistregel is: ...") gives the editor one; the
# speaker's "mijn" there is no personal report.
RULE_OF_THUMB = re.compile(r"\b(?:(?:mijn |onze |de )?vuistregel|stelregel|gouden regel|mijn (?:regel|advies))\b",
                           re.IGNORECASE)
BUT = re.compile(r",\s*maar\b", re.IGNORECASE)
COMPARISON = re.compile(
    r"\b(?:beter|liever|meer|minder|sneller|belangrijker|erger|groter|kleiner)\b[^.?!]*\bdan\b", re.IGNORECASE
)
ABSOLUTE = re.compile(r"\b(?:altijd|nooit|niemand|iedereen|alles|niets|niks|overal|nergens)\b", re.IGNORECASE)
CONDITIONAL = re.compile(r"^(?:als|wie|zolang|zodra|wanneer)\b[^.?!]*,\s*(?:dan\b)?", re.IGNORECASE)
# Openers that make a sentence lean on what came before it.
DEPENDENT_OPENER = re.compile(
    r"^(?:dat|dit|daar|daarom|daardoor|dan|dus|en|maar|ja|nee|neen|omdat|want|die|ook|zo|toen|absoluut|inderdaad|"
    r"precies|klopt|juist|oké|ok|hè|allez)\b",
    re.IGNORECASE,
)
# A coordinating opener ("Maar als ge ...", "Want wie ...") before a statement that stands on its own
# leans less on its context than a pointing word ("Dat ...", "Daarom ..."): 3 of the 24 labelled quotes
# of the shared episodes open with one, none with a pointing word.
CONJUNCTION_OPENER = re.compile(r"^(?:maar|want|dus|en)\b(?!\s+(?:dat|dit|daar|die|dan|zo)\b)", re.IGNORECASE)
NARRATIVE = re.compile(
    r"\b(?:vorig(?:e)? (?:jaar|week|maand)|gisteren|toen|ooit|onlangs|laatst)\b", re.IGNORECASE
)
PAST_FORMS = frozenset(
    """was waren had hadden werd werden zei zeiden kwam kwamen ging gingen deed deden wist wisten kon konden
    moest moesten wou wilde wilden zag zagen dacht dachten bleef bleven kreeg kregen""".split()
)
FIRST_PERSON = re.compile(r"\b(?:ik|mij|me|mijn)\b", re.IGNORECASE)
# "we", "ons": what the speaker's organisation did, a report bound to its context (1 of the 24 labelled
# quotes of the shared episodes has one; a third of the candidates do)
FIRST_PLURAL = re.compile(r"\b(?:we|wij|ons|onze)\b", re.IGNORECASE)
# A third-person pronoun opening the sentence points at someone named before ("Ze zijn ...").
POINTING_SUBJECT = re.compile(r"^(?:ze|zij|hij|die)\b", re.IGNORECASE)
# A rule of thumb: a comparison "zo X als", "is gewoon een", "X zonder Y": the shape of an aphorism.
APHORISM = re.compile(
    r"\b(?:(?:maar )?zo \w+ als|is gewoon|zijn gewoon|\w+ zonder \w+ (?:is|zijn|blijft))\b", re.IGNORECASE
)
HEDGE = re.compile(r"\b(?:bijvoorbeeld|bv\.|misschien|natuurlijk|een beetje)\b", re.IGNORECASE)
TERMINAL = re.compile(r"[.!…][\"'”’)\]]*$")


@dataclass(slots=True)
class QuoteCandidate:
    sentences: list[Sentence]
    text: str
    words: int
    vector: np.ndarray
    score: float = 0.0

    @property
    def first(self) -> Sentence:
        return self.sentences[0]

    @property
    def last(self) -> Sentence:
        return self.sentences[-1]


def statement_cues(text: str, tokens: list | None = None) -> float:
    """How quotable a statement reads (Dutch cues; ``tokens`` from spaCy add tense and degree)."""
    score = 0.0
    if RULE_OF_THUMB.search(text):
        score += 1.0
    elif OPINION.search(text):
        score += 0.5
    if CONTRAST.search(text):
        score += 1.0
    elif BUT.search(text):
        score += 0.4
    if COMPARISON.search(text):
        score += 0.7
    if CONDITIONAL.search(text):
        score += 0.6
    score += min(len(ABSOLUTE.findall(text)), 2) * 0.35
    if CONJUNCTION_OPENER.search(text):
        score -= 0.4
    elif DEPENDENT_OPENER.search(text):
        score -= 1.0
    if HEDGE.search(text):
        score -= 0.4
    if FIRST_PERSON.search(RULE_OF_THUMB.sub("", text)):
        score -= 0.3  # a personal report rather than a statement that stands on its own
    if FIRST_PLURAL.search(text):
        score -= 0.4
    if POINTING_SUBJECT.search(text):
        score -= 0.8
    if APHORISM.search(text):
        score += 0.6
    if text.count(",") >= 3:
        score -= 0.4  # an enumeration reads as a list, not a statement
    if NARRATIVE.search(text):
        score -= 0.8
    if tokens:
        if any("Sup" in t.morph.get("Degree") for t in tokens):
            score += 0.5
        # an anecdote: the main verbs in the past tense
        mains = [t for t in tokens if t.dep_ in ("ROOT", "conj", "parataxis") and t.pos_ in ("VERB", "AUX")]
        mains += [c for t in mains for c in t.children if c.dep_ in ("aux", "cop") and c.morph.get("Tense")]
        tensed = [t for t in mains if t.morph.get("Tense")]
        past_main = bool(tensed) and sum("Past" in t.morph.get("Tense") for t in tensed) / len(tensed) > 0.5
        # Dutch puts the finite verb second: a common past form there tells an anecdote, whatever the tagger
        early = [t.lower_ for t in tokens[1:5]]
        if past_main or any(word in PAST_FORMS for word in early[:3]):
            score -= 0.7
        # parallelism: a content word said twice ("geen honger naar X, ... honger naar Y")
        lemmas = [t.lemma_.lower() for t in tokens if t.pos_ in ("NOUN", "ADJ", "VERB") and len(t.text) > 3]
        if len(lemmas) != len(set(lemmas)):
            score += 0.4
        if any(t.lower_ in ("is", "zijn") and t.dep_ == "cop" for t in tokens):
            score += 0.3  # a copular claim: "X is geen Y", "cijfers zijn het begin"
        if _generic_subject(tokens) and not past_main:
            score += 0.5  # a claim about anyone ("Feedback is ...", "Een eindeloopbaan moet ...", "Wie ...")
        # addressing someone by name inside the quote makes it conversational
        if any(t.pos_ == "PROPN" and t.i > 0 and t.nbor(-1).text == "," for t in tokens):
            score -= 0.3
    return score


def _generic_subject(tokens: list) -> bool:
    """Whether the main clause's subject is generic: a bare noun, "een" + noun, or a "wie"-clause,
    rather than a person or a definite thing of the speaker's ("onze mensen", "de directeur")."""
    root = next((t for t in tokens if t.dep_ == "ROOT"), None)
    if root is None:
        return False
    subjects = [c for c in root.children if c.dep_ in ("nsubj", "nsubj:pass", "csubj")]
    if not subjects:
        return False
    subject = subjects[0]
    if subject.dep_ == "csubj" or subject.lower_ == "wie":
        return True
    if subject.pos_ != "NOUN":
        return False
    dets = [c.lower_ for c in subject.children if c.dep_ in ("det", "nmod:poss")]
    return not dets or dets == ["een"]


def _complete(sentence: Sentence) -> bool:
    text = sentence.text.strip()
    return bool(TERMINAL.search(text)) and (text[:1].isupper() or text[:1].isdigit() or text[:1] in "\"'“‘")


def quote_candidates(
    conv: Conversation,
    sentence_ids: list[int],
    vectors: np.ndarray,
    min_words: int,
    max_words: int,
    allow_host: bool,
    filler_words: list[str],
) -> list[QuoteCandidate]:
    """Single sentences and pairs of adjacent sentences of one turn, within the word limits."""
    candidates: list[QuoteCandidate] = []
    sentences = conv.sentences
    for k, sid in enumerate(sentence_ids):
        first = sentences[sid]
        if not allow_host and first.speaker in conv.hosts:
            continue
        options = [[first]]
        # A short sentence may be quoted with its neighbour in the turn, if it is a statement itself.
        short = first.words < min_words
        if short and not DEPENDENT_OPENER.search(first.clean) and not HEDGE.search(first.clean):
            nxt = sentence_ids[k + 1] if k + 1 < len(sentence_ids) else None
            prev = sentence_ids[k - 1] if k > 0 else None
            if nxt is not None and sentences[nxt].turn == first.turn:
                options.append([first, sentences[nxt]])
            if (
                prev is not None
                and sentences[prev].turn == first.turn
                and sentences[prev].words >= min_words / 2
            ):
                options.append([sentences[prev], first])
        for option in options:
            if not all(_complete(s) for s in option) or "?" in option[-1].text:
                continue
            turn = conv.turns[option[0].turn]
            raw = turn.text[option[0].start_char : option[-1].end_char]
            text = remove_fillers(raw, filler_words)
            words = count_words(text)
            if not (min_words <= words <= max_words):
                continue
            if SELF_INTRO.search(text):
                continue  # "Ik ben Ellen, van Leerkorrel.": who is speaking, no statement
            rows = [s.index for s in option]
            weights = np.array([max(s.words, 1) for s in option], dtype=float)
            vector = (vectors[rows] * weights[:, None]).sum(axis=0)
            norm = np.linalg.norm(vector)
            candidates.append(QuoteCandidate(option, text, words, vector / norm if norm else vector))
    return candidates


def select_quotes(
    conv: Conversation,
    theme_sentences: list[list[int]],
    vectors: np.ndarray,
    *,
    min_words: int,
    max_words: int,
    per_theme_min: int,
    per_theme_max: int,
    allow_host: bool,
    filler_words: list[str],
    debug: list[tuple[int, float, str]] | None = None,
) -> list[Quote]:
    """Up to ``per_theme_max`` quotes per theme (``theme_sentences``: sentence ids per theme)."""
    if len(vectors) == 0:
        return []
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-9)
    chosen_all: list[QuoteCandidate] = []
    quotes: list[Quote] = []
    for theme_index, sentence_ids in enumerate(theme_sentences):
        if not sentence_ids:
            continue
        weights = np.array([max(conv.sentences[i].words, 1) for i in sentence_ids], dtype=float)
        centroid = (centred[sentence_ids] * weights[:, None]).sum(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        candidates = quote_candidates(
            conv, sentence_ids, centred, min_words, max_words, allow_host, filler_words
        )
        if not candidates:
            continue
        centrality = np.array([float(c.vector @ centroid) for c in candidates])
        spread = float(centrality.std()) or 1.0
        central_z = (centrality - centrality.mean()) / spread
        for cand, z in zip(candidates, central_z, strict=True):
            turn = conv.turns[cand.first.turn]
            tokens = None
            if turn.doc is not None and turn.doc.has_annotation("POS"):
                span = turn.doc.char_span(cand.first.start_char, cand.last.end_char, alignment_mode="expand")
                tokens = list(span) if span is not None else None
            cand.score = float(z) + statement_cues(cand.text, tokens) + quote_shape(conv, cand)
            cand.score -= sum(_sentence_penalty(conv, s, k > 0) for k, s in enumerate(cand.sentences))
        candidates.sort(key=lambda c: -c.score)
        if debug is not None:
            debug.extend((theme_index, round(c.score, 2), c.text) for c in candidates)
        # One quote per theme at least (per_theme_min), more only while they are strong in their own
        # right and not far behind the best.
        picked: list[QuoteCandidate] = []
        for cand in candidates:
            if len(picked) >= per_theme_max:
                break
            if len(picked) >= max(per_theme_min, 1) and (
                cand.score < EXTRA_QUOTE or cand.score < picked[0].score - 1.0
            ):
                break
            if any(_near_duplicate(cand, other) for other in chosen_all + picked):
                continue
            if any(s.index in {t.index for o in picked for t in o.sentences} for s in cand.sentences):
                continue
            picked.append(cand)
        for cand in sorted(picked, key=lambda c: c.first.start):
            chosen_all.append(cand)
            quotes.append(
                Quote(
                    speaker=cand.first.speaker or "",
                    text=cand.text,
                    start=cand.first.start,
                    end=cand.last.end,
                    theme=theme_index,
                )
            )
    return quotes


def quote_shape(conv: Conversation, cand: QuoteCandidate) -> float:
    """What makes a candidate read like the quotes editors pick, and what Whisper heard of it.

    On the shared episodes the 24 labelled quotes are single sentences of 9-26 words, and 14 of them
    end the speaker's turn: a speaker lands the point last. Long candidates and pairs of sentences read
    as a stretch of talk. A candidate Whisper was unsure of goes down by its mean word probability, so
    that of two quotable sentences the editor gets the one heard best; below ``MIN_HEARD`` it is no quote.
    """
    score = 0.0
    if cand.words > 30:
        score -= 0.3 + 0.02 * (cand.words - 30)
    if len(cand.sentences) > 1:
        score -= 0.5
    turn = conv.turns[cand.last.turn]
    if turn.sentences and turn.sentences[-1] == cand.last.index:
        score += 0.5
    heard = conv.heard(cand.first.turn, cand.first.start_char, cand.last.end_char)
    return score - 4.0 * max(0.0, 0.95 - heard) if heard >= MIN_HEARD else float("-inf")


MIN_HEARD = 0.6  # mean word probability under which a sentence is too misheard to quote


EXTRA_QUOTE = 1.0  # a theme's second or third quote must score this on its own


def _sentence_penalty(conv: Conversation, sentence: Sentence, later: bool) -> float:
    """A fragment without a finite verb ("Vertrouwen in een team, bijvoorbeeld.") is no complete
    sentence; a later sentence of a pair that opens with "Dan"/"Dat" leans on the one before."""
    penalty = 0.0
    doc = conv.turns[sentence.turn].doc
    if doc is not None and doc.has_annotation("POS"):
        span = sentence.span(doc)
        if span is not None and not any(t.pos_ in ("VERB", "AUX") for t in span):
            penalty += 0.8
    if later and DEPENDENT_OPENER.search(sentence.clean):
        penalty += 0.5
    return penalty


def _near_duplicate(a: QuoteCandidate, b: QuoteCandidate) -> bool:
    return word_jaccard(a.text, b.text) > 0.5 or float(a.vector @ b.vector) > 0.9
