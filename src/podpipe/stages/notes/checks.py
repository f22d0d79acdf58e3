"""Every line of the draft's check box: speech and publishing (:mod:`podpipe.checks`), then the names:
who was named after the conversation, on little evidence, or not at all, and the corrections made.
"""

from __future__ import annotations

from podpipe.cast import own_cast
from podpipe.checks import publishing_notes, speech_notes, speech_status
from podpipe.config import Show
from podpipe.domain import Transcript
from podpipe.stages.naming import same_name
from podpipe.stages.naming.correct import correction_notes
from podpipe.stages.naming.report import naming_decisions
from podpipe.stages.naming.resolve import LOW_CONFIDENCE

# Sources the renderer already asks the editor to check ("... is afgeleid uit ...: controleer.").
_ALREADY_FLAGGED = ("first-speaker", "sidecar", "conversation", "fallback")


def low_confidence_notes(transcript: Transcript) -> list[str]:
    """Speakers named on little evidence (beside those the renderer flags by their source)."""
    decisions = naming_decisions(transcript)
    lines = []
    for speaker in transcript.speakers:
        decision = decisions.get(speaker.id)
        confidence = decision.confidence if decision is not None else None
        if (decision is not None and confidence is not None and confidence < LOW_CONFIDENCE
                and decision.source not in _ALREADY_FLAGGED and speaker.name):
            lines.append(f"{speaker.name} ({speaker.id}) is onzeker herkend (zekerheid {confidence:.2f}): controleer.")
    return lines


def found_name_notes(transcript: Transcript) -> list[str]:
    """Speakers named after what the conversation said (no sidecar or config named them): where the
    name came from, so the editor checks it as heard (Whisper may have misspelt the introduction)."""
    decisions = naming_decisions(transcript)
    names = {speaker.id: speaker.display_name for speaker in transcript.speakers}
    lines = []
    for speaker in transcript.speakers:
        decision = decisions.get(speaker.id)
        found = decision.found if decision is not None else None
        if found is None or not speaker.name:
            continue
        minutes, seconds = divmod(int(found.start or 0), 60)
        said_by = names.get(str(found.said_by), found.said_by or "iemand")
        if found.rule == "self-introduction":
            how = "stelde zich voor"
        elif found.rule == "vocative":
            how = f"werd aangesproken door {said_by}"
        else:
            how = f"werd voorgesteld door {said_by}"
        organisation = found.organisation
        what = f"\u201c{found.heard}\u201d" + (f" ({organisation})" if organisation else "")
        lines.append(f"{speaker.name} ({speaker.id}): naam uit het gesprek, {what} {how} op "
                     f"{minutes:02d}:{seconds:02d}: controleer naam en spelling.")
    return lines


def unheard_cast_notes(transcript: Transcript) -> list[str]:
    """People the sidecar says take part but no voice was named after: they may not have spoken, or
    diarisation heard their voice as someone else's (two similar voices counted as one), in which
    case their words stand under another speaker in the transcript and the draft."""
    if speech_status(transcript) is not None:
        return []  # no speech, or another language: speech_notes says so
    cast = own_cast(transcript.episode)  # the sidecar's people, the config apart
    people = ([cast.host] if cast.host is not None else []) + list(cast.guests)
    voices = len(transcript.speakers)
    heard = f"{voices} stem gehoord" if voices == 1 else f"{voices} stemmen gehoord"
    lines = []
    for person in people:
        if any(same_name(person.name, speaker.name) for speaker in transcript.speakers):
            continue
        label = f"{person.name} ({person.organisation})" if person.organisation else person.name
        lines.append(
            f"{label} staat in de episode-gegevens, maar geen stem kreeg die naam: kwam die persoon niet aan "
            f"het woord, of staan die woorden bij een andere spreker ({heard})? Controleer het transcript."
        )
    return lines


def draft_checks(transcript: Transcript, show: Show | None = None) -> list[str]:
    """Every names-and-speech line for the draft's check box; with ``[show]``, the publishing lines too
    (None: without them, as the review app's checklist)."""
    return (speech_notes(transcript) + found_name_notes(transcript) + low_confidence_notes(transcript)
            + unheard_cast_notes(transcript) + correction_notes(transcript)
            + (publishing_notes(show) if show is not None else []))
