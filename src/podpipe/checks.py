"""Transcription's speech check (no speech, another language) and what publishing needs from the settings:
lines for the draft's check box, beside the naming lines of :mod:`podpipe.stages.notes.checks`.

Light on imports (no models, no stages): the flows, transcription and the review app read these.
"""

from __future__ import annotations

from podpipe.config import Show
from podpipe.domain import SpeechCheck, Transcript

SPEECH_CHECK_STAGE = "speech-check"
NO_SPEECH = SpeechCheck.NO_SPEECH
OTHER_LANGUAGE = SpeechCheck.OTHER_LANGUAGE

LANGUAGE_NAMES_NL = {"en": "Engels", "fr": "Frans", "de": "Duits", "es": "Spaans", "it": "Italiaans",
                     "nl": "Nederlands", "pt": "Portugees", "pl": "Pools", "tr": "Turks", "ar": "Arabisch"}


def speech_check(transcript: Transcript) -> SpeechCheck | None:
    """What transcription's speech check found (None for transcripts made without it)."""
    return next((SpeechCheck.from_record(m.settings) for m in transcript.models if m.stage == SPEECH_CHECK_STAGE),
                None)


def speech_status(transcript: Transcript) -> str | None:
    """``"no-speech"``, ``"other-language"``, or None when there is speech in the expected language."""
    check = speech_check(transcript)
    return check.status if check is not None and check.nothing_to_name else None


def speech_notes(transcript: Transcript) -> list[str]:
    """Check-box lines when there is nothing to name: no speech, or another language."""
    check = speech_check(transcript)
    if check is None:
        return []
    if check.status == NO_SPEECH:
        return [f"Geen spraak gevonden ({check.speech_seconds} s spraak): is dit het juiste bestand?"]
    if check.status == OTHER_LANGUAGE:
        language = str(check.language)
        expected = str(check.expected)
        named, wanted = LANGUAGE_NAMES_NL.get(language, language), LANGUAGE_NAMES_NL.get(expected, expected)
        return [f"De taal lijkt {named}, niet {wanted}: de tekst is dan onbruikbaar; controleer het bestand."]
    return []


def publishing_notes(show: Show) -> list[str]:
    """What the feed files need from ``[show]`` before they go out: absolute (https) links in
    episode.feed.xml, the show's name in chapters.json."""
    files_url = show.files_url
    lines = []
    if not files_url:
        lines.append("De links in episode.feed.xml zijn relatief (alleen bestandsnamen): zet [show] files_url in "
                     "config/podpipe.toml, bv. \"https://example.org/podcast/{slug}/\", en maak de bestanden opnieuw.")
    elif not str(files_url).startswith("https://"):
        lines.append(f"[show] files_url ({files_url}) begint niet met https://: podcast-apps verwachten "
                     "https-links in episode.feed.xml.")
    if not show.name:
        lines.append("[show] name is niet ingesteld: zet de naam van de show in config/podpipe.toml (podcastName "
                     "in chapters.json).")
    return lines


__all__ = ["NO_SPEECH", "OTHER_LANGUAGE", "SPEECH_CHECK_STAGE", "publishing_notes", "speech_check",
           "speech_notes", "speech_status"]
