"""Keyphrases of a theme: lemmatised noun chunks ranked with MMR against the theme's vector.

Candidates are noun chunks built from the dependency parse (a noun or proper noun with its adjective,
compound and flat modifiers, and optionally a "van"-phrase); without a parse, adjective-noun runs from
the POS tags; without POS either, YAKE. Chunks are grouped by their lemmas ("nieuwe medewerker" and
"nieuwe medewerkers" are one candidate) and shown in their most frequent spoken form.

A candidate's relevance combines its embedding's similarity to the theme centroid with how
concentrated it is in this theme (tf in the theme / tf in the episode) and its frequency;
Maximal Marginal Relevance then picks diverse phrases.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from podpipe.stages.analyse.text import WORD_RE

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

# Nouns too general to name a theme on their own (they may still occur inside a longer chunk).
GENERIC_NOUNS = frozenset(
    """ding dingen keer soort beetje manier kant deel iets niks niets iemand mens mensen jaar dag week maand
    tijd vandaag begin einde feite geval idee vraag vragen antwoord voorbeeld moment momenten probleem punt
    kwestie verhaal woord woorden zin rest heleboel hoop aantal paar stukje plaats plek reden wereld leven
    podcast aflevering luisteraar luisteraars gast gasten welkom uitnodiging ja nee oké""".split()
)
# Units of time and quantity: a chunk headed by one ("anderhalf uur", "komende maand") names no theme.
MEASURE_NOUNS = frozenset(
    """seconde seconden minuut minuten uur uren dag dagen week weken maand maanden jaar jaren keer keren
    procent euro stuks""".split()
)
NOUN_POS = ("NOUN", "PROPN")
MODIFIER_DEPS = ("amod", "compound", "flat", "nummod:gov")
MAX_CHUNK_TOKENS = 5


@dataclass(slots=True)
class Candidate:
    key: tuple[str, ...]  # lemmas, lower-cased
    forms: Counter[str] = field(default_factory=Counter)
    count: int = 0

    @property
    def text(self) -> str:
        return self.forms.most_common(1)[0][0]


def _surface(tokens: Sequence[Token]) -> str:
    parts = []
    for k, token in enumerate(tokens):
        text = token.text
        initial = token.is_sent_start or token.i == 0 or token.nbor(-1).text in ".!?:"
        keep_case = (token.pos_ == "PROPN" and not (initial and len(tokens) == 1)) or (
            text.isupper() and len(text) > 1
        )
        parts.append(text if keep_case else text.lower())
        if k + 1 < len(tokens) and token.whitespace_:
            parts.append(" ")
        elif k + 1 < len(tokens) and not token.whitespace_:
            continue
    return "".join(parts).strip()


def _lemma(token: Token) -> str:
    lemma = (token.lemma_ or token.text).lower()
    # A lemmatiser that does not know a word may mangle it; a noun's own form is then safer.
    return lemma if lemma and lemma[0] == token.lower_[0] else token.lower_


def _good_head(token: Token, stop_words: frozenset[str] | set[str], blocked: set[str]) -> bool:
    text = token.lower_
    return (
        text not in MEASURE_NOUNS
        and _lemma(token) not in MEASURE_NOUNS
        and token.pos_ in NOUN_POS
        and len(text) >= 3
        and any(ch.isalpha() for ch in text)
        and text not in stop_words
        and _lemma(token) not in stop_words
        and text not in blocked
        and token.text not in blocked
        and not token.like_num
    )


def chunks_from_parse(
    span: Span, stop_words: frozenset[str] | set[str], blocked: set[str]
) -> Iterable[list[Token]]:
    """Noun chunks of a parsed span: head noun with adjacent adjective/compound/flat modifiers."""
    if sum(1 for t in span if not t.is_punct) < 2:
        return  # "Absoluut." "Ja." : a one-word sentence is a reply, not a topic
    for token in span:
        if not _good_head(token, stop_words, blocked):
            continue
        if token.head.pos_ in NOUN_POS and (
            (token.dep_ in ("flat", "compound") and token.head.i > token.i) or token.head.i == token.i + 1
        ):
            continue  # part of a larger chunk headed to its right ("happy sheet")
        children = list(token.children)
        if any(c.dep_ == "cop" for c in children) and not any(
            c.dep_ in ("det", "nmod:poss") for c in children
        ):
            continue  # a bare predicate ("het wordt pas interessant") is more often an adjective
        if (
            (token.i == span.start or token.is_sent_start)
            and token.i + 1 < len(token.doc)
            and not any(True for _ in token.lefts)
        ):
            following = token.nbor(1).pos_
            if following in ("DET", "PRON", "NUM", "ADJ", "ADV"):
                continue  # an imperative tagged as a noun ("Kies één doelgroep", "Schrijf het op")
        left = token.i
        for child in sorted(token.lefts, key=lambda c: -c.i):
            adjacent = child.i == left - 1 and child.lower_ not in stop_words and not child.is_punct
            modifier = child.dep_ in MODIFIER_DEPS and child.pos_ in ("ADJ", "NOUN", "PROPN", "X", "VERB")
            noun_pair = (
                child.pos_ in ("NOUN", "X")
                and child.dep_ not in ("det", "case", "nmod:poss", "conj")
                and child.lower_ not in MEASURE_NOUNS
                and _lemma(child) not in MEASURE_NOUNS
            )
            if adjacent and (modifier or noun_pair):
                left = child.i
            else:
                break
        right = token.i
        for child in sorted(token.rights, key=lambda c: c.i):
            if (
                child.i == right + 1
                and child.dep_ in ("flat", "compound")
                and child.pos_ in ("NOUN", "PROPN", "X")
            ):
                right = child.i
            else:
                break
        doc = token.doc
        if left < token.i:
            yield [token]
        base = [doc[i] for i in range(left, right + 1)]
        if len(base) <= MAX_CHUNK_TOKENS and not any(t.like_num or t.pos_ == "NUM" for t in base):
            yield base
        # "inhoud van de werkvloer": head + van + (det) + noun chunk
        for child in token.rights:
            if child.dep_ == "nmod" and child.pos_ == "NOUN" and child.i - right <= 3:
                cases = [c for c in child.lefts if c.dep_ == "case"]
                if cases and cases[0].lower_ == "van" and _good_head(child, stop_words, blocked):
                    tokens = [doc[i] for i in range(left, child.i + 1)]
                    if len(tokens) <= MAX_CHUNK_TOKENS and not any(
                        t.like_num or t.pos_ == "NUM" for t in tokens
                    ):
                        yield tokens
            break


def chunks_from_pos(
    span: Span, stop_words: frozenset[str] | set[str], blocked: set[str]
) -> Iterable[list[Token]]:
    """Without a parse: runs of adjectives followed by nouns."""
    run: list[Token] = []
    for token in [*span, None]:
        if token is not None and (token.pos_ in ("ADJ", "NOUN", "PROPN")) and token.lower_ not in stop_words:
            run.append(token)
            continue
        while run and not _good_head(run[-1], stop_words, blocked):
            run.pop()
        if run:
            run = run[-MAX_CHUNK_TOKENS:]
            yield [run[-1]]
            if len(run) > 1:
                yield run
        run = []


def candidate_key(tokens: Sequence[Token]) -> tuple[str, ...]:
    return tuple(_lemma(t) for t in tokens if t.pos_ != "DET" and t.dep_ not in ("det", "case"))


def collect_candidates(
    spans: Iterable[Span], stop_words: frozenset[str] | set[str], blocked: set[str], parsed: bool
) -> dict[tuple[str, ...], Candidate]:
    found: dict[tuple[str, ...], Candidate] = {}
    extract: Callable = chunks_from_parse if parsed else chunks_from_pos
    for span in spans:
        for tokens in extract(span, stop_words, blocked):
            key = candidate_key(tokens)
            if not key or (len(key) == 1 and key[0] in GENERIC_NOUNS):
                continue
            if len(key) > 1 and all(k in GENERIC_NOUNS or k in stop_words for k in key):
                continue
            candidate = found.setdefault(key, Candidate(key=key))
            candidate.forms[_surface(tokens)] += 1
            candidate.count += 1
    return found


def mmr(
    relevance: np.ndarray,
    vectors: np.ndarray,
    k: int,
    diversity: float = 0.3,
    exclude: Callable[[int, list[int]], bool] | None = None,
) -> list[int]:
    """Maximal Marginal Relevance: indices of ``k`` items, each maximising
    ``(1 - diversity) * relevance - diversity * max similarity to those already chosen``.

    ``relevance`` is rescaled to [0, 1]; ``vectors`` are L2-normalised rows; ``exclude(i, chosen)``
    may veto an item (e.g. a phrase contained in one already chosen).
    """
    n = len(relevance)
    if n == 0 or k <= 0:
        return []
    spread = float(relevance.max() - relevance.min())
    rel = (relevance - relevance.min()) / spread if spread > 1e-12 else np.ones(n)
    similarity = vectors @ vectors.T if len(vectors) else np.zeros((n, n))
    chosen: list[int] = []
    remaining = set(range(n))
    while remaining and len(chosen) < k:
        best, best_value = None, -math.inf
        for i in remaining:
            if exclude is not None and exclude(i, chosen):
                continue
            redundancy = max((similarity[i, j] for j in chosen), default=0.0)
            value = (1 - diversity) * rel[i] - diversity * redundancy
            if value > best_value:
                best, best_value = i, value
        if best is None:
            break
        chosen.append(best)
        remaining.discard(best)
    return chosen


def overlapping(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Do two lemma keys share most of their words ("korte filmpjes" / "filmpjes")?"""
    sa, sb = set(a), set(b)
    return len(sa & sb) >= max(1, min(len(sa), len(sb))) * 0.5 and bool(sa & sb)


def rank_keyphrases(
    theme_candidates: dict[tuple[str, ...], Candidate],
    episode_counts: Counter[tuple[str, ...]],
    centroid: np.ndarray,
    embed: Callable[[list[str]], np.ndarray],
    k: int,
    diversity: float = 0.3,
    other_centroids: Sequence[np.ndarray] = (),
    pool: int = 60,
) -> list[str]:
    """The ``k`` best keyphrases of one theme (see the module docstring).

    Relevance is the phrase's similarity to this theme's centroid minus its mean similarity to the
    other themes' centroids (what sets this theme apart), plus frequency and concentration.
    """
    keys = list(theme_candidates)
    if not keys:
        return []
    # A bounded pool: the most frequent and most concentrated candidates, multi-word ones first on ties.
    keys.sort(
        key=lambda key: (
            -theme_candidates[key].count,
            -theme_candidates[key].count / max(episode_counts[key], 1),
            -len(key),
        )
    )
    keys = keys[:pool]
    texts = [theme_candidates[key].text for key in keys]
    vectors = embed(texts)

    def unit(vector: np.ndarray) -> np.ndarray:
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    similarity = vectors @ unit(centroid)
    if len(other_centroids):
        others = np.stack([unit(c) for c in other_centroids])
        similarity = similarity - (vectors @ others.T).mean(axis=1)
    counts = np.array([theme_candidates[key].count for key in keys], dtype=float)
    concentration = np.array([theme_candidates[key].count / max(episode_counts[key], 1) for key in keys])
    sim_z = (similarity - similarity.mean()) / (similarity.std() or 1.0)
    multiword = np.array([len(key) > 1 for key in keys], dtype=float)
    relevance = sim_z + 0.6 * np.log1p(counts) + 0.8 * concentration + 0.15 * multiword
    picked = mmr(
        relevance,
        vectors,
        k,
        diversity,
        exclude=lambda i, chosen: any(overlapping(keys[i], keys[j]) for j in chosen),
    )
    return [texts[i] for i in picked]


def yake_keyphrases(text: str, k: int, stop_words: Iterable[str] = ()) -> list[str]:
    """YAKE's keyphrases of a text (the fallback without POS tags)."""
    try:
        import yake
    except ImportError:
        return []
    extractor = yake.KeywordExtractor(lan="nl", n=3, top=k * 2, dedup_lim=0.7)
    phrases = [phrase for phrase, _score in extractor.extract_keywords(text)]
    from spacy.lang.nl.lex_attrs import like_num

    stops = set(stop_words)
    result = []
    for phrase in phrases:
        words = [w.lower() for w in WORD_RE.findall(phrase)]
        if not words or words[0] in stops or words[-1] in stops or any(like_num(w) for w in words):
            continue
        if len(words) == 1 and (words[0] in GENERIC_NOUNS or words[0] in MEASURE_NOUNS or len(words[0]) < 4):
            continue
        result.append(phrase if any(ch.isupper() for ch in phrase[1:]) else phrase.lower())
        if len(result) >= k:
            break
    return result


def content_lemmas(span: Span, stop_words: frozenset[str] | set[str], has_pos: bool) -> list[str]:
    """Content-word lemmas of a span, for lexical cohesion."""
    lemmas = []
    for token in span:
        if not token.is_alpha or len(token.text) < 3 or token.lower_ in stop_words:
            continue
        if has_pos and token.pos_ not in ("NOUN", "PROPN", "ADJ", "VERB"):
            continue
        lemmas.append(_lemma(token) if has_pos else token.lower_)
    return lemmas


def lexical_matrix(lemma_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """Sentence x vocabulary counts (words that occur once in the episode are dropped)."""
    totals = Counter(lemma for lemmas in lemma_lists for lemma in lemmas)
    vocab = {lemma: i for i, lemma in enumerate(sorted(w for w, c in totals.items() if c >= 2))}
    matrix = np.zeros((len(lemma_lists), len(vocab)), dtype=np.float32)
    for row, lemmas in enumerate(lemma_lists):
        for lemma in lemmas:
            col = vocab.get(lemma)
            if col is not None:
                matrix[row, col] += 1.0
    return matrix


def count_by_key(candidate_maps: Iterable[dict[tuple[str, ...], Candidate]]) -> Counter[tuple[str, ...]]:
    total: Counter[tuple[str, ...]] = Counter()
    for found in candidate_maps:
        for key, cand in found.items():
            total[key] += cand.count
    return total

