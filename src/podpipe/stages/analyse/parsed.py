"""The conversation's sentences with their parse (lemmas, morphology, dependencies) as domain records.

The show notes turn statements into third-person paraphrase with this parse; exporting it in the
Analysis keeps one NLP stack (one sentence splitter, one pipeline, one filler list) for every stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from podpipe.config import AnalysisConfig
from podpipe.domain import ParsedSentence, Theme, Token, Transcript
from podpipe.stages.analyse.document import Conversation, Turn, build_conversation

if TYPE_CHECKING:
    from spacy.tokens import Span


def _tokens(span: Span, turn: Turn) -> list[Token]:
    start = span.start
    return [
        Token(
            text=t.text,
            lemma=t.lemma_ or t.text,
            pos=t.pos_,
            morph=str(t.morph),
            dep=t.dep_,
            head=t.head.i - start if span.start <= t.head.i < span.end else t.i - start,
            space=bool(t.whitespace_),
            probability=round(min(turn.probabilities(t.idx, t.idx + len(t.text)), default=1.0), 3),
        )
        for t in span
    ]


def parsed_sentences(conv: Conversation, theme_of: dict[int, int] | None = None) -> list[ParsedSentence]:
    """Every sentence of ``conv`` with its tokens; ``theme_of`` maps a sentence index to its theme."""
    records = []
    for sentence in conv.sentences:
        turn = conv.turns[sentence.turn]
        span = sentence.span(turn.doc) if turn.doc is not None else None
        records.append(
            ParsedSentence(
                speaker=sentence.speaker,
                start=sentence.start,
                end=sentence.end,
                text=sentence.text,
                tokens=_tokens(span, turn) if span is not None else [],
                turn=sentence.turn,
                theme=(theme_of or {}).get(sentence.index),
            )
        )
    return records


def parse_transcript(transcript: Transcript, themes: list[Theme], setup: AnalysisConfig) -> list[ParsedSentence]:
    """The sentences of a transcript parsed now, for an analysis written before it carried them.

    A sentence belongs to the theme that holds its first segment.
    """
    from podpipe.models.nlp import load_nlp

    config = setup.nlp
    conv = build_conversation(
        transcript,
        load_nlp(config, setup.show_name),
        config.filler_words,
        max_sentence_words=max(config.quote_max_words, 40),
    )
    theme_by_segment = {seg: i for i, theme in enumerate(themes) for seg in theme.segment_ids}
    theme_of = {}
    for sentence in conv.sentences:
        found = theme_by_segment.get(sentence.segment_ids[0])
        if found is None:  # themes without segment ids: by time
            found = next((i for i, t in enumerate(themes) if t.start <= sentence.start < t.end), None)
        if found is not None:
            theme_of[sentence.index] = found
    return parsed_sentences(conv, theme_of)


__all__ = ["parse_transcript", "parsed_sentences"]
