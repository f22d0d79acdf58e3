"""The conversation as the NLP stage sees it: speaker turns, their spaCy docs, and sentences with times.

A turn is a run of consecutive segments by one speaker (a hand-written episode has one segment per
turn; Whisper output has several). Sentences never cross a turn. Times come from word timestamps when
the segments have them, else from the segment's span, interpolated by character position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from podpipe.domain import Role, Transcript
from podpipe.stages.analyse.text import count_words, remove_fillers, split_long_span, split_sentence_spans

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span


@dataclass(slots=True)
class Turn:
    index: int
    speaker: str | None
    segment_ids: list[int]
    text: str
    segment_spans: list[tuple[int, int]]  # character span of each segment in ``text``
    anchors: tuple[np.ndarray, np.ndarray]  # (character offsets, times) for interpolation
    doc: Doc | None = None
    sentences: list[int] = field(default_factory=list)  # indices into Conversation.sentences
    # (start, end, probability) of each Whisper word in ``text``; empty for typed text
    word_spans: list[tuple[int, int, float]] = field(default_factory=list)

    def probabilities(self, start: int, end: int) -> list[float]:
        """Whisper's probabilities of the words over the characters ``start:end`` (none for typed text)."""
        return [p for a, b, p in self.word_spans if a < end and b > start]

    @property
    def start(self) -> float:
        return float(self.anchors[1][0])

    @property
    def end(self) -> float:
        return float(self.anchors[1][-1])

    def time_at(self, offset: int) -> float:
        return float(np.interp(offset, self.anchors[0], self.anchors[1]))

    @property
    def words(self) -> int:
        return count_words(self.text)


@dataclass(slots=True)
class Sentence:
    index: int
    turn: int
    speaker: str | None
    start_char: int  # in the turn's text
    end_char: int
    text: str  # verbatim
    clean: str  # without filler words
    words: int
    start: float
    end: float
    segment_ids: list[int]

    def span(self, doc: Doc) -> Span | None:
        return doc.char_span(self.start_char, self.end_char, alignment_mode="expand")


@dataclass(slots=True)
class Conversation:
    transcript: Transcript
    turns: list[Turn]
    sentences: list[Sentence]
    hosts: set[str]

    @property
    def total_words(self) -> int:
        return sum(s.words for s in self.sentences)

    def heard(self, turn: int, start: int, end: int) -> float:
        """Whisper's mean word probability over characters ``start:end`` of a turn (1.0 for typed text)."""
        found = self.turns[turn].probabilities(start, end)
        return sum(found) / len(found) if found else 1.0

    def role(self, speaker: str | None) -> Role | None:
        found = self.transcript.speaker(speaker)
        return found.role if found is not None else None


def build_turns(transcript: Transcript) -> list[Turn]:
    turns: list[Turn] = []
    pending: list[int] = []

    def flush() -> None:
        if not pending:
            return
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        offsets: list[float] = []
        times: list[float] = []
        word_spans: list[tuple[int, int, float]] = []
        cursor = 0
        for seg_id in pending:
            segment = transcript.segments[seg_id]
            text = segment.text.strip()
            if parts:
                cursor += 1  # the joining space
            begin = cursor
            parts.append(text)
            cursor += len(text)
            spans.append((begin, cursor))
            offsets.append(begin)
            times.append(segment.start)
            search = 0
            for word in segment.words:
                token = word.text.strip()
                found = text.find(token, search) if token else -1
                if found < 0:
                    continue
                offsets.extend([begin + found, begin + found + len(token)])
                times.extend([word.start, word.end])
                word_spans.append((begin + found, begin + found + len(token), float(word.probability)))
                search = found + len(token)
            offsets.append(cursor)
            times.append(segment.end)
        order = np.argsort(np.asarray(offsets, dtype=float), kind="stable")
        xs = np.asarray(offsets, dtype=float)[order]
        ys = np.maximum.accumulate(np.asarray(times, dtype=float)[order])  # times never run backwards
        turns.append(
            Turn(
                index=len(turns),
                speaker=transcript.segments[pending[0]].speaker,
                segment_ids=list(pending),
                text=" ".join(parts),
                segment_spans=spans,
                anchors=(xs, ys),
                word_spans=word_spans,
            )
        )
        pending.clear()

    for seg_id, segment in enumerate(transcript.segments):
        if not segment.text.strip():
            continue
        if pending and transcript.segments[pending[-1]].speaker != segment.speaker:
            flush()
        pending.append(seg_id)
    flush()
    return turns


def build_conversation(
    transcript: Transcript, nlp: Language | None, filler_words: list[str], max_sentence_words: int = 60
) -> Conversation:
    """Turns, their docs (``nlp.pipe``) and sentences of one transcript."""
    turns = build_turns(transcript)
    if nlp is not None:
        for turn, doc in zip(turns, nlp.pipe(t.text for t in turns), strict=True):
            turn.doc = doc
    sentences: list[Sentence] = []
    for turn in turns:
        breaks: list[int] = []
        if turn.doc is not None and turn.doc.has_annotation("SENT_START"):
            breaks = [sent.start_char for sent in turn.doc.sents]
        breaks += [start for start, _ in turn.segment_spans[1:]]
        for span in split_sentence_spans(turn.text):
            for start, end in split_long_span(turn.text, span, max_sentence_words, sorted(set(breaks))):
                text = turn.text[start:end]
                clean = remove_fillers(text, filler_words)
                if not clean or count_words(clean) == 0:
                    continue
                seg_ids = [
                    turn.segment_ids[k]
                    for k, (s, e) in enumerate(turn.segment_spans)
                    if s < end and e > start
                ]
                sentence = Sentence(
                    index=len(sentences),
                    turn=turn.index,
                    speaker=turn.speaker,
                    start_char=start,
                    end_char=end,
                    text=text,
                    clean=clean,
                    words=count_words(clean),
                    start=round(turn.time_at(start), 3),
                    end=round(turn.time_at(end), 3),
                    segment_ids=seg_ids or [turn.segment_ids[0]],
                )
                turn.sentences.append(sentence.index)
                sentences.append(sentence)
    return Conversation(
        transcript=transcript, turns=turns, sentences=sentences, hosts=find_hosts(transcript, turns)
    )


def find_hosts(transcript: Transcript, turns: list[Turn]) -> set[str]:
    """The speakers with role host; without roles, the one who asks the most questions (at least
    two), else the one who opens the episode."""
    hosts = {s.id for s in transcript.speakers if s.role == Role.HOST}
    if hosts or not turns:
        return hosts
    if any(s.role == Role.GUEST for s in transcript.speakers):
        return set()  # roles are known and nobody hosts
    questions: dict[str | None, int] = {}
    for turn in turns:
        if "?" in turn.text:
            questions[turn.speaker] = questions.get(turn.speaker, 0) + 1
    if questions:
        speaker, count = max(questions.items(), key=lambda item: item[1])
        if count >= 2 and speaker is not None:
            return {speaker}
    return {turns[0].speaker} if turns[0].speaker is not None else set()
