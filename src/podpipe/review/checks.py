"""What an editor must deal with before approving: the check box's points, each ticked or waived.

The points are those of the drafts' "Nakijken" list (unrecognised speakers, guessed names, estimated
times) plus the words Whisper was unsure of. A speaker the editor has named counts as confirmed: the
naming report in the transcript then says "editor", so neither the list nor the drafts ask again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from podpipe.domain import ModelInfo, NamingDecision, Speaker, Transcript
from podpipe.stages.naming import NAMING_STAGE
from podpipe.stages.notes.render import editor_notes

EDITOR_SOURCE = NamingDecision.EDITOR


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    text: str


def _speaker_key(speaker: Speaker) -> tuple[str | None, str | None, str | None]:
    return speaker.name, speaker.organisation, str(speaker.role) if speaker.role else None


def confirmed_by_editor(transcript: Transcript, pipeline_speakers: list[Speaker]) -> Transcript:
    """The transcript with the naming report saying "editor" for each speaker the editor named or changed."""
    before = {s.id: _speaker_key(s) for s in pipeline_speakers}
    changed = {s.id for s in transcript.speakers if s.name and _speaker_key(s) != before.get(s.id)}
    if not changed:
        return transcript
    models = []
    found = False
    for model in transcript.models:
        if model.stage == NAMING_STAGE:
            found = True
            report = dict(model.settings.get("speakers") or {})  # type: ignore[call-overload]
            for speaker_id in changed:
                report[speaker_id] = {**dict(report.get(speaker_id) or {}), "source": EDITOR_SOURCE}
            model = replace(model, settings={**model.settings, "speakers": report})
        models.append(model)
    if not found:
        models.append(ModelInfo(NAMING_STAGE, EDITOR_SOURCE, "1",
                                {"speakers": {i: {"source": EDITOR_SOURCE} for i in sorted(changed)}}))
    return replace(transcript, models=models)


def low_confidence_words(transcript: Transcript, threshold: float) -> int:
    return sum(1 for word in transcript.words if word.probability < threshold)


def checklist(transcript: Transcript, threshold: float, t: Callable[..., str]) -> list[Check]:
    """The points to tick or waive. A point's id stays while its text does; the unsure words' point
    keeps its id while their number changes (correcting one of them needs no second tick)."""
    points = [(text, text) for text in editor_notes(transcript)]
    low = low_confidence_words(transcript, threshold)
    if low:
        points.append(("low-confidence-words", t("check.low_words", n=low)))
    return [Check(hashlib.sha256(key.encode()).hexdigest()[:12], text) for key, text in points]


def missing_checks(checks: list[Check], answers: dict[str, str]) -> list[Check]:
    return [check for check in checks if answers.get(check.id) not in ("ok", "waived")]


__all__ = ["Check", "checklist", "confirmed_by_editor", "low_confidence_words", "missing_checks"]
