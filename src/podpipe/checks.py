"""Transcription's speech check (no speech, another language) and what publishing needs from the settings:
lines for the draft's check box, beside the naming lines of :mod:`podpipe.stages.notes.checks`.

Light on imports (no models, no stages): the flows, transcription and the review app read these.
"""

from __future__ import annotations

from podpipe.config import Settings
from podpipe.domain import Transcript

SPEECH_CHECK_STAGE = "speech-check"
NO_SPEECH = "no-speech"
OTHER_LANGUAGE = "other-language"

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


__all__ = ["NO_SPEECH", "OTHER_LANGUAGE", "SPEECH_CHECK_STAGE", "publishing_notes", "speech_check",
           "speech_notes", "speech_status"]
