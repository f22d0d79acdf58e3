"""Speaker turns <-> pyannote ``Annotation``s: overlapping turns stay overlapping both ways."""

from __future__ import annotations

from typing import TYPE_CHECKING

from podpipe.domain import SpeakerTurn

if TYPE_CHECKING:
    from pyannote.core import Annotation


def turns_to_annotation(turns: list[SpeakerTurn], uri: str) -> Annotation:
    """A pyannote ``Annotation`` with one track per turn: overlapping turns stay overlapping."""
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=uri)
    for track, turn in enumerate(turns):
        annotation[Segment(turn.start, turn.end), track] = turn.speaker
    return annotation


def annotation_to_turns(annotation: Annotation) -> list[SpeakerTurn]:
    """Sorted speaker turns of a pyannote ``Annotation``, times rounded to milliseconds."""
    turns = [
        SpeakerTurn(
            start=round(float(segment.start), 3), end=round(float(segment.end), 3), speaker=str(label)
        )
        for segment, _, label in annotation.itertracks(yield_label=True)
    ]
    turns = [turn for turn in turns if turn.end > turn.start]
    turns.sort(key=lambda t: (t.start, t.end, t.speaker))
    return turns
