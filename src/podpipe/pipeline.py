"""The stages composed once, for the Prefect flow (``podpipe run``, the inbox) and for ``podpipe notes``.

The audio end (ingest, transcribe, diarize, attribute) runs only in the flow, where each stage is a
task in a worker process. From a speaker-attributed transcript on, both paths share this module: the
analysis, the naming and the draft (:func:`draft`), and every file of the output folder
(:func:`export`). The flow hands in the analysis from its own cached, time-limited task;
``podpipe notes`` lets :func:`draft` run the stage function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from podpipe.config import Settings
from podpipe.domain import Analysis, Diarisation, ShowNotes, Transcript
from podpipe.exports.podcasting import write_podcasting_files
from podpipe.exports.transcripts import write_transcript_files
from podpipe.stages.analyse import analyse, write_analysis
from podpipe.stages.diarize.stage import write_rttm, write_speaker_timeline
from podpipe.stages.naming import name_speakers, write_centroids
from podpipe.stages.notes import build_show_notes, write_show_notes


@dataclass
class Draft:
    """What the tail of the pipeline makes of a transcript: names, analysis and show notes."""

    transcript: Transcript  # with named speakers
    analysis: Analysis
    notes: ShowNotes


def draft(
    transcript: Transcript,
    settings: Settings,
    *,
    voiceprints: Mapping[str, Sequence[float]] | None = None,
    analysis: Analysis | None = None,
) -> Draft:
    """Analyse a speaker-attributed transcript (unless its analysis is given), name its speakers and
    write the draft show notes."""
    if analysis is None:
        analysis = analyse(transcript, settings)
    named = name_speakers(transcript, analysis, settings, voiceprints=voiceprints)
    return Draft(transcript=named, analysis=analysis, notes=build_show_notes(named, analysis, settings))


def export(result: Draft, out_dir: Path, settings: Settings, diarisation: Diarisation | None = None) -> list[Path]:
    """Every file of the episode's output folder; the diarisation's files only when there is one."""
    transcript, episode = result.transcript, result.transcript.episode
    out_dir.mkdir(parents=True, exist_ok=True)
    written = write_transcript_files(transcript, out_dir)
    if diarisation is not None:
        names = {speaker.id: speaker.display_name for speaker in transcript.speakers}
        written += [
            write_rttm(diarisation.turns, out_dir / "diarization.rttm", episode.slug),
            write_speaker_timeline(diarisation.turns, out_dir / "speakers.png", duration=episode.duration,
                                   title=episode.title or episode.slug, names=names),
            write_centroids(out_dir / "speakers.centroids.json", diarisation.centroids),
        ]
    return [
        *written,
        write_analysis(out_dir / "analysis.json", result.analysis),
        *write_show_notes(result.notes, transcript, out_dir, settings),
        *write_podcasting_files(result.notes, transcript, out_dir, settings),
    ]
