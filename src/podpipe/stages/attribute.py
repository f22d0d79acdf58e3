"""Words x speaker turns -> speaker segments.

Every word gets the speaker whose turn overlaps it most; a word in a gap between turns goes to
the nearest turn. Segments never mix speakers: a Whisper segment is split where the speaker
changes. Words and turns are swept once each (two pointers), so an hour of ~10,000 words and
~1,000 turns costs milliseconds, not a scan of every turn per word.

Attribute with the *exclusive* diarisation (:attr:`podpipe.domain.Diarization.exclusive`): at
most one speaker at a time. Overlapping turns are handled too (the larger overlap wins).
"""

from __future__ import annotations

from dataclasses import replace

from podpipe.domain import ModelInfo, Segment, Speaker, SpeakerTurn, Transcript, Word


def attribute_speakers(
    transcript: Transcript,
    turns: list[SpeakerTurn],
    model: ModelInfo | None = None,
) -> Transcript:
    """A new transcript whose words and segments carry speakers, and whose ``speakers`` lists
    each speaker once, in order of first appearance.

    Speakers already known by id (say, named by an editor) keep their names and roles. With no
    turns at all, speakers stay ``None``. ``model`` (the diarisation's ModelInfo) is recorded in
    ``transcript.models``.
    """
    words = [word for segment in transcript.segments for word in segment.words]
    labels = assign_words(words, turns)
    it = iter(labels)
    segments: list[Segment] = []
    for segment in transcript.segments:
        if segment.words:
            attributed = [replace(word, speaker=next(it)) for word in segment.words]
            segments.extend(split_segment(segment, attributed))
        else:
            speaker = assign_span(segment.start, segment.end, turns)
            segments.append(replace(segment, speaker=speaker, words=[]))

    known = {speaker.id: speaker for speaker in transcript.speakers}
    order = list(dict.fromkeys(s.speaker for s in segments if s.speaker is not None))
    speakers = [known.get(label) or Speaker(id=label) for label in order]
    models = list(transcript.models)
    if model is not None:
        models = [m for m in models if m.stage != model.stage] + [model]
    return replace(transcript, segments=segments, speakers=speakers, models=models)


def assign_words(words: list[Word], turns: list[SpeakerTurn]) -> list[str | None]:
    """The speaker label of each word, in the words' order (one sweep over words and turns)."""
    if not words or not turns:
        return [None] * len(words)
    turns = sorted(turns, key=lambda t: (t.start, t.end))
    order = sorted(range(len(words)), key=lambda i: (words[i].start, words[i].end))
    labels: list[str | None] = [None] * len(words)
    first = 0  # every turn before `first` ends at or before the current word's start
    ended: SpeakerTurn | None = None  # of those, the one that ends last
    for i in order:
        start = words[i].start
        end = max(words[i].end, start)
        while first < len(turns) and turns[first].end <= start:
            if ended is None or turns[first].end >= ended.end:
                ended = turns[first]
            first += 1
        # turns that start before the word ends: the overlapping ones, and (only with
        # overlapping input) some that already ended
        best, best_overlap, before = None, 0.0, ended
        k = first
        while k < len(turns) and (turns[k].start < end or turns[k].start <= start):
            turn = turns[k]
            overlap = _overlap(start, end, turn)
            if overlap > best_overlap:
                best, best_overlap = turn, overlap
            elif overlap == 0.0 and turn.end <= start and (before is None or turn.end > before.end):
                before = turn
            k += 1
        if best is not None:
            labels[i] = best.speaker
        else:
            labels[i] = _nearest(start, end, before, turns[k] if k < len(turns) else None)
    return labels


def assign_span(start: float, end: float, turns: list[SpeakerTurn]) -> str | None:
    """The speaker of one span (a segment without words): most overlap, else the nearest turn."""
    return assign_words([Word(start=start, end=end, text="", probability=1.0)], turns)[0]


def split_segment(segment: Segment, words: list[Word]) -> list[Segment]:
    """Split ``segment`` where the speaker of ``words`` changes. The first piece keeps the
    segment's start, the last its end; cuts fall on word boundaries."""
    pieces: list[list[Word]] = []
    for word in words:
        if pieces and pieces[-1][-1].speaker == word.speaker:
            pieces[-1].append(word)
        else:
            pieces.append([word])
    if len(pieces) == 1:
        return [replace(segment, words=words, speaker=words[0].speaker)]
    result = []
    for index, piece in enumerate(pieces):
        start = segment.start if index == 0 else piece[0].start
        end = segment.end if index == len(pieces) - 1 else piece[-1].end
        result.append(
            Segment(
                start=min(start, piece[0].start),
                end=max(end, piece[-1].end),
                text="".join(word.text for word in piece).strip(),
                words=piece,
                speaker=piece[0].speaker,
            )
        )
    return result


def speaker_turns(transcript: Transcript) -> list[SpeakerTurn]:
    """Speaker turns as the transcript has them: runs of consecutive words by one speaker
    (segments without words count as one run), across segment boundaries."""
    turns: list[SpeakerTurn] = []
    for segment in transcript.segments:
        spans = [(w.start, w.end, w.speaker) for w in segment.words] or [
            (segment.start, segment.end, segment.speaker)
        ]
        for start, end, speaker in spans:
            if speaker is None:
                continue
            if turns and turns[-1].speaker == speaker and start >= turns[-1].start:
                turns[-1] = SpeakerTurn(turns[-1].start, max(turns[-1].end, end), speaker)
            else:
                turns.append(SpeakerTurn(start, end, speaker))
    return turns


def _overlap(start: float, end: float, turn: SpeakerTurn) -> float:
    if end > start:
        return max(0.0, min(end, turn.end) - max(start, turn.start))
    # a zero-length word: inside the turn counts as a (tiny) overlap
    return 1e-9 if turn.start <= start <= turn.end else 0.0


def _nearest(start: float, end: float, before: SpeakerTurn | None, after: SpeakerTurn | None) -> str | None:
    """The closer of the last turn before a word and the first turn after it; a tie goes to the
    earlier speaker, who is more likely still talking."""
    if before is None and after is None:
        return None
    gap_before = start - before.end if before is not None else float("inf")
    gap_after = after.start - end if after is not None else float("inf")
    if after is None or (before is not None and gap_before <= gap_after):
        return before.speaker if before is not None else None
    return after.speaker
