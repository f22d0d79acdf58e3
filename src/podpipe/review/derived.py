"""Every file of the output folder that follows from the show notes and the transcript, written in one go.

A save or an approval calls :func:`write_derived`, so a rename, a correction or an edited heading
reaches all of them: the show notes (json, md, html, docx), the transcripts (json, vtt, srt, txt),
the Podcasting 2.0 files (transcript.podcast.json, chapters.json, episode.feed.xml) and the speaker
timeline (speakers.png, redrawn from diarization.rttm with the current names).
"""

from __future__ import annotations

import logging
from pathlib import Path

from podpipe.config import Settings
from podpipe.domain import ShowNotes, Transcript
from podpipe.exports.layout import publish
from podpipe.exports.podcasting import FEED_SNIPPET, chapters_json, feed_snippet, podcast_transcript_json
from podpipe.exports.shownotes import show_notes_names, write_show_notes
from podpipe.exports.transcripts import write_transcript_files
from podpipe.io import json_text
from podpipe.stages import notes as shownotes

log = logging.getLogger(__name__)

RTTM = "diarization.rttm"
TIMELINE = "speakers.png"
PODCASTING_FILES = ["transcript.podcast.json", "chapters.json"]
TRANSCRIPT_FILES = ["transcript.json", "transcript.vtt", "transcript.srt", "transcript.txt", "transcript.html"]


def final_name(name: str) -> str:
    """``transcript.vtt`` -> ``transcript.final.vtt``; ``shownotes.draft.md`` -> ``shownotes.final.md``."""
    if ".final." in name:
        return name
    if ".draft." in name:
        return name.replace(".draft.", ".final.")
    stem, _, suffix = name.partition(".")
    return f"{stem}.final.{suffix}"


def publishable_files(final: bool) -> list[str]:
    """The names :func:`write_derived` produces (before the ``.final`` rename)."""
    names = list(show_notes_names(final).values())
    return names + TRANSCRIPT_FILES + PODCASTING_FILES + [FEED_SNIPPET, TIMELINE]


def write_derived(out_dir: Path, stage: Path, notes: ShowNotes, transcript: Transcript, settings: Settings, *,
                  final: bool = False) -> list[Path]:
    """Write every derived file into ``stage`` (the caller moves them into ``out_dir``).

    The finals are for the world outside podpipe: their shownotes JSON has the names written out.
    """
    if final:
        notes = shownotes.resolved_notes(notes, transcript.speakers)
    written = list(write_show_notes(notes, transcript, stage, settings.notes_config(), final=final))
    written += write_transcript_files(transcript, stage)
    written.append(publish(stage, "chapters.json", json_text(chapters_json(notes, transcript, show=settings.show))))
    written.append(publish(stage, "transcript.podcast.json", json_text(podcast_transcript_json(transcript))))
    names = {name: final_name(name) for name in TRANSCRIPT_FILES + PODCASTING_FILES} if final else {}
    written.append(publish(stage, FEED_SNIPPET, feed_snippet(transcript, settings.show, names=names)))
    timeline = speaker_timeline(out_dir, stage, transcript)
    if timeline is not None:
        written.append(timeline)
    return written


def speaker_timeline(out_dir: Path, stage: Path, transcript: Transcript) -> Path | None:
    """speakers.png redrawn from the episode's diarization.rttm with the current names (None without one)."""
    rttm = out_dir / RTTM
    if not rttm.is_file():
        return None
    try:
        from podpipe.exports.diarization import read_rttm, write_speaker_timeline

        names = {s.id: s.display_name for s in transcript.speakers}
        episode = transcript.episode
        return write_speaker_timeline(read_rttm(rttm), stage / TIMELINE, duration=episode.duration,
                                      title=episode.title or episode.slug, names=names)
    except ImportError as error:  # matplotlib is an extra (diarize); without it the old picture stays
        log.warning("speakers.png not redrawn: %s", error)
        return None


__all__ = ["final_name", "publishable_files", "speaker_timeline", "write_derived"]
