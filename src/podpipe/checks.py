"""What the editor must check about names, speech and publishing: lines for the draft's check box.

Light on imports (no models): the review app and the show-notes renderer read these.
"""

from __future__ import annotations

from podpipe.cast import build_cast
from podpipe.config import Settings
from podpipe.domain import Transcript
from podpipe.stages.naming import naming_report, same_name
from podpipe.stages.naming.correct import correction_notes
from podpipe.stages.naming.resolve import LOW_CONFIDENCE

SPEECH_CHECK_STAGE = "speech-check"
NO_SPEECH = "no-speech"
OTHER_LANGUAGE = "other-language"
# Sources the renderer already asks the editor to check ("... is afgeleid uit ...: controleer.").
_ALREADY_FLAGGED = ("first-speaker", "sidecar", "conversation", "fallback")

LANGUAGE_NAMES_NL = {"en": "Engels", "fr": "Frans", "de": "Duits", "es": "Spaans", "it": "Italiaans",
                     "nl": "Nederlands", "pt": "Portugees", "pl": "Pools", "tr": "Turks", "ar": "Arabisch"}


def speech_check(transcript: Transcript) -> dict[str, object]:
    """What transcription's speech check found ({} for transcripts made without it)."""
    return next((dict(m.settings) for m in transcript.models if m.stage == SPEECH_CHECK_STAGE), {})


def speech_status(transcript: Transcript) -> str | None:
    """``"no-speech"``, ``"other-language"``, or None when there is speech in the expected language."""
    status = speech_check(transcript).get("status")
    return str(status) if status in (NO_SPEECH, OTHER_LANGUAGE) else None


def speech_notes(transcript: Transcript) -> list[str]:
    """Check-box lines when there is nothing to name: no speech, or another language."""
    check = speech_check(transcript)
    if check.get("status") == NO_SPEECH:
        return [f"Geen spraak gevonden ({check.get('speech_seconds', 0)} s spraak): is dit het juiste bestand?"]
    if check.get("status") == OTHER_LANGUAGE:
        language = str(check.get("language"))
        expected = str(check.get("expected"))
        named, wanted = LANGUAGE_NAMES_NL.get(language, language), LANGUAGE_NAMES_NL.get(expected, expected)
        return [f"De taal lijkt {named}, niet {wanted}: de tekst is dan onbruikbaar; controleer het bestand."]
    return []


def low_confidence_notes(transcript: Transcript) -> list[str]:
    """Speakers named on little evidence (beside those the renderer flags by their source)."""
    report = naming_report(transcript)
    lines = []
    for speaker in transcript.speakers:
        entry = report.get(speaker.id, {})
        confidence = entry.get("confidence")
        if (isinstance(confidence, (int, float)) and confidence < LOW_CONFIDENCE
                and entry.get("source") not in _ALREADY_FLAGGED and speaker.name):
            lines.append(f"{speaker.name} ({speaker.id}) is onzeker herkend (zekerheid {confidence:.2f}): controleer.")
    return lines


def found_name_notes(transcript: Transcript) -> list[str]:
    """Speakers named after what the conversation said (no sidecar or config named them): where the
    name came from, so the editor checks it as heard (Whisper may have misspelt the introduction)."""
    report = naming_report(transcript)
    names = {speaker.id: speaker.display_name for speaker in transcript.speakers}
    lines = []
    for speaker in transcript.speakers:
        found = report.get(speaker.id, {}).get("found")
        if not isinstance(found, dict) or not speaker.name:
            continue
        start = found.get("start")
        minutes, seconds = divmod(int(start if isinstance(start, (int, float)) else 0), 60)
        said_by = names.get(str(found.get("said_by")), str(found.get("said_by") or "iemand"))
        if found.get("rule") == "self-introduction":
            how = "stelde zich voor"
        elif found.get("rule") == "vocative":
            how = f"werd aangesproken door {said_by}"
        else:
            how = f"werd voorgesteld door {said_by}"
        organisation = found.get("organisation")
        what = f"\u201c{found.get('heard')}\u201d" + (f" ({organisation})" if organisation else "")
        lines.append(f"{speaker.name} ({speaker.id}): naam uit het gesprek, {what} {how} op "
                     f"{minutes:02d}:{seconds:02d}: controleer naam en spelling.")
    return lines


def unheard_cast_notes(transcript: Transcript) -> list[str]:
    """People the sidecar says take part but no voice was named after: they may not have spoken, or
    diarisation heard their voice as someone else's (two similar voices counted as one), in which
    case their words stand under another speaker in the transcript and the draft."""
    if speech_status(transcript) is not None:
        return []  # no speech, or another language: speech_notes says so
    cast = build_cast(None, transcript.episode.metadata)
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


def publishing_notes(settings: Settings | None) -> list[str]:
    """What the feed files need from the settings before they go out: absolute (https) links in
    episode.feed.xml, the show's name in chapters.json."""
    show = getattr(settings, "show", None)
    if show is None:
        return []  # settings of the show notes alone say nothing about the feed
    files_url = getattr(show, "files_url", None)
    lines = []
    if not files_url:
        lines.append("De links in episode.feed.xml zijn relatief (alleen bestandsnamen): zet [show] files_url in "
                     "config/podpipe.toml, bv. \"https://example.org/podcast/{slug}/\", en maak de bestanden opnieuw.")
    elif not str(files_url).startswith("https://"):
        lines.append(f"[show] files_url ({files_url}) begint niet met https://: podcast-apps verwachten "
                     "https-links in episode.feed.xml.")
    if not getattr(show, "name", None):
        lines.append("[show] name is niet ingesteld: zet de naam van de show in config/podpipe.toml (podcastName "
                     "in chapters.json).")
    return lines


def draft_checks(transcript: Transcript, settings: Settings | None = None) -> list[str]:
    """Every names-and-speech line for the draft's check box; with the settings, the publishing lines too."""
    return (speech_notes(transcript) + found_name_notes(transcript) + low_confidence_notes(transcript)
            + unheard_cast_notes(transcript) + correction_notes(transcript)
            + (publishing_notes(settings) if settings is not None else []))


__all__ = ["SPEECH_CHECK_STAGE", "draft_checks", "found_name_notes", "low_confidence_notes", "publishing_notes",
           "speech_check",
           "speech_notes", "speech_status", "unheard_cast_notes"]
