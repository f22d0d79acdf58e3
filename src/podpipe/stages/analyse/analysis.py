"""The NLP analysis stage: themes, quotes, people and organisations of a speaker-attributed transcript.

A plain function (no Prefect): ``analyse(transcript, settings.analysis_config()) -> Analysis``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from podpipe.config import AnalysisConfig
from podpipe.domain import Analysis, Theme, Transcript
from podpipe.models.nlp import (
    Embedder,
    episode_ruler,
    has_parse,
    has_pos,
    load_embedder,
    load_nlp,
    nlp_model_info,
)
from podpipe.stages.analyse.document import Conversation, build_conversation
from podpipe.stages.analyse.entities import find_entities, known_names
from podpipe.stages.analyse.keyphrases import (
    collect_candidates,
    content_lemmas,
    count_by_key,
    lexical_matrix,
    rank_keyphrases,
    yake_keyphrases,
)
from podpipe.stages.analyse.parsed import parsed_sentences
from podpipe.stages.analyse.quotes import select_quotes
from podpipe.stages.analyse.segmentation import SegmentationTrace, ThemeSpan, segment
from podpipe.stages.analyse.settings import Nlp

log = logging.getLogger(__name__)


def analyse(transcript: Transcript, setup: AnalysisConfig, *, trace: dict[str, Any] | None = None) -> Analysis:
    """Themes (3-6, with keyphrases, span and start time), quotes, people and organisations.

    ``setup``: the ``[nlp]`` section, and the show's name. ``trace``, if given, receives timings and
    the segmentation's scores.
    """
    config = setup.nlp
    timings: dict[str, float] = {}
    lap = _stopwatch(timings)
    nlp = load_nlp(config, setup.show_name)
    embedder = load_embedder(config)
    lap("load")
    show = setup.show_name
    book, people, orgs = known_names(transcript, config.people, config.organisations, show)
    ruler = episode_ruler(nlp, people, orgs)
    conv = build_conversation(
        transcript, nlp, config.filler_words, max_sentence_words=max(config.quote_max_words, 40)
    )
    lap("spacy")
    find_entities(conv, nlp, book, ruler)
    lap("entities")
    vectors = embedder.passages([s.clean for s in conv.sentences]) if conv.sentences else np.zeros((0, 384))
    lap("embed_sentences")

    pos = has_pos(nlp)
    stop_words = nlp.Defaults.stop_words
    spans_by_sentence = [_sentence_span(conv, s.index) for s in conv.sentences]
    theme_spans, seg_trace = _segment(conv, vectors, spans_by_sentence, stop_words, pos, config)
    lap("segment")

    # Names are no keyphrases: every person, and the organisations of the people who speak or are introduced.
    found = list(book.entities.values())
    blocked = _blocked_words(
        [name for e in found if e.label == "PER" for name in (e.text, *e.aliases)],
        [e.text for e in found if e.label == "ORG" and e.source != "proper-noun"],
    )
    themes = _themes(
        conv,
        theme_spans,
        vectors,
        embedder,
        config,
        spans_by_sentence,
        stop_words,
        blocked,
        parsed=has_parse(nlp) and pos,
        pos=pos,
    )
    lap("keyphrases")
    theme_sentences = [_sentences_of(conv, span) for span in theme_spans]
    quotes = select_quotes(
        conv, theme_sentences, vectors, min_words=config.quote_min_words, max_words=config.quote_max_words,
        per_theme_min=config.quotes_per_theme_min, per_theme_max=config.quotes_per_theme_max,
        allow_host=config.quote_host, filler_words=config.filler_words,
    )
    lap("quotes")
    if trace is not None:
        trace.update(
            timings=timings,
            segmentation=seg_trace,
            sentences=len(conv.sentences),
            turns=len(conv.turns),
            words=conv.total_words,
        )
    return Analysis(
        themes=themes,
        quotes=quotes,
        people=book.mentions("PER"),
        organisations=book.mentions("ORG"),
        models=[nlp_model_info(nlp, config), embedder.model_info()],
        sentences=parsed_sentences(
            conv, {i: t for t, ids in enumerate(theme_sentences) for i in ids}
        ),
    )


def _stopwatch(timings: dict[str, float]) -> Callable[[str], None]:
    """``lap(name)`` records the seconds since the previous lap under ``name``."""
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 3)
        clock[0] = now

    return lap


def _segment(conv: Conversation, vectors: np.ndarray, spans_by_sentence: list[Any], stop_words: set[str],
             pos: bool, config: Nlp) -> tuple[list[ThemeSpan], SegmentationTrace]:
    """Theme spans from the sentence vectors and the sentences' content lemmas."""
    lemma_lists = [
        content_lemmas(span, stop_words, pos) if span is not None else [] for span in spans_by_sentence
    ]
    return segment(conv, vectors, min_themes=config.min_themes, max_themes=config.max_themes,
                   skip_intro=config.skip_intro, lexical=lexical_matrix(lemma_lists), lemma_lists=lemma_lists)


def _sentence_span(conv: Conversation, index: int) -> Any:
    sentence = conv.sentences[index]
    doc = conv.turns[sentence.turn].doc
    return sentence.span(doc) if doc is not None else None


def _sentences_of(conv: Conversation, span: ThemeSpan) -> list[int]:
    return span.sentence_ids


def _blocked_words(people: list[str], orgs: list[str]) -> set[str]:
    blocked: set[str] = set()
    for name in [*people, *orgs]:
        blocked.add(name)
        blocked.add(name.lower())
        for part in name.split():
            if part[:1].isupper():
                blocked.add(part)
                blocked.add(part.lower())
    return blocked


def _heading(keyphrases: list[str]) -> str:
    if not keyphrases:
        return ""
    first = keyphrases[0][:1].upper() + keyphrases[0][1:]
    return f"{first} en {keyphrases[1]}" if len(keyphrases) > 1 else first


def _themes(
    conv: Conversation,
    theme_spans: list[ThemeSpan],
    vectors: np.ndarray,
    embedder: Embedder,
    config: Nlp,
    spans_by_sentence: list[Any],
    stop_words: Any,
    blocked: set[str],
    parsed: bool,
    pos: bool,
) -> list[Theme]:
    per_theme = []
    for span in theme_spans:
        sentence_ids = _sentences_of(conv, span)
        spans = [spans_by_sentence[i] for i in sentence_ids if spans_by_sentence[i] is not None]
        per_theme.append(collect_candidates(spans, stop_words, blocked, parsed) if pos else {})
    episode_counts = count_by_key(per_theme)

    def embed(texts: list[str]) -> np.ndarray:
        return embedder.passages(texts)

    centroids = []
    for span in theme_spans:
        sentence_ids = _sentences_of(conv, span)
        if sentence_ids:
            weights = np.array([max(conv.sentences[i].words, 1) for i in sentence_ids], dtype=float)
            centroids.append((vectors[sentence_ids] * weights[:, None]).sum(axis=0))
        else:
            centroids.append(np.zeros(vectors.shape[1] if vectors.ndim == 2 else 384))
    themes: list[Theme] = []
    claimed: set[int] = set()
    for index, (span, candidates) in enumerate(zip(theme_spans, per_theme, strict=True)):
        sentence_ids = _sentences_of(conv, span)
        others = [c for j, c in enumerate(centroids) if j != index]
        keyphrases = rank_keyphrases(
            candidates,
            episode_counts,
            centroids[index],
            embed,
            config.keyphrases_per_theme,
            other_centroids=others,
        )
        if len(keyphrases) < config.keyphrases_per_theme:
            text = " ".join(conv.sentences[i].clean for i in sentence_ids)
            lowered = {k.lower() for k in keyphrases}
            for phrase in yake_keyphrases(text, config.keyphrases_per_theme, stop_words):
                if phrase.lower() not in lowered and not any(b in phrase.split() for b in blocked):
                    keyphrases.append(phrase)
                    lowered.add(phrase.lower())
                if len(keyphrases) >= config.keyphrases_per_theme:
                    break
        sentences = [conv.sentences[i] for i in sentence_ids]
        first_turn = conv.turns[span.first_turn]
        opens_turn = bool(sentences) and first_turn.sentences[:1] == [sentences[0].index]
        segment_ids: list[int] = []
        for sentence in sentences:  # a segment belongs to the theme of its first sentence
            segment_ids.extend(s for s in sentence.segment_ids if s not in claimed)
            claimed.update(sentence.segment_ids)
        themes.append(
            Theme(
                heading=_heading(keyphrases),
                keyphrases=keyphrases,
                start=round(first_turn.start if opens_turn else sentences[0].start, 3) if sentences else 0.0,
                end=round(sentences[-1].end if sentences else 0.0, 3),
                segment_ids=sorted(set(segment_ids)),
            )
        )
    return themes


__all__ = ["SegmentationTrace", "analyse"]
