"""The stages composed once, for the Prefect flow (``podpipe run``, the inbox) and for ``podpipe notes``.

The audio end (ingest, transcribe, diarize, attribute) runs only in the flow, where each stage is a
task in a worker process. From a speaker-attributed transcript on, both paths share this module: names
corrected and the host decided (:func:`prepare`), the analysis, the naming and the draft
(:func:`draft`), and every file of the output folder (:func:`export`). The flow hands in the
analysis from its own cached, time-limited task; ``podpipe notes`` lets :func:`draft` run the stage
function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from podpipe.config import Settings
from podpipe.domain import Analysis, Diarization, ShowNotes, Transcript
from podpipe.exports.diarization import centroids_json, rttm_text, speaker_timeline_png
from podpipe.exports.layout import publish, writing
from podpipe.exports.podcasting import write_podcasting_files
from podpipe.exports.shownotes import write_show_notes
from podpipe.exports.transcripts import write_transcript_files
from podpipe.io import ANALYSIS, json_text
from podpipe.stages.analyse import analyse
from podpipe.stages.naming import decide_host, name_speakers
from podpipe.stages.naming.correct import correct_names
from podpipe.stages.naming.found import episode_cast
from podpipe.stages.notes import build_show_notes


def prepare(
    transcript: Transcript, settings: Settings, *, voiceprints: Mapping[str, Sequence[float]] | None = None
) -> Transcript:
    """What the analysis reads: misheard cast names spelt right (the heard form kept beside each) and
    the host decided, once, by voice or by how they open the episode. The cast is the config's and
    the sidecar's grown from the conversation (who introduces themselves or is introduced), so that
    a name heard in the introduction is spelt that way throughout."""
    grown = episode_cast(transcript)
    corrected = correct_names(transcript, grown.for_correction, heard=set(grown.found))
    return decide_host(corrected, settings.naming_config(), voiceprints=voiceprints)


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
    """Analyse a prepared transcript (unless its analysis is given), name its speakers and write the
    draft show notes."""
    if analysis is None:
        analysis = analyse(transcript, settings.analysis_config())
    named = name_speakers(transcript, analysis, settings.naming_config(), voiceprints=voiceprints)
    return Draft(transcript=named, analysis=analysis, notes=build_show_notes(named, analysis, settings.notes_config()))


def export(result: Draft, out_dir: Path, settings: Settings, diarization: Diarization | None = None) -> list[Path]:
    """Every file of the episode's output folder, each through the manifest that keeps editors' files;
    the diarisation's files only when there is one. A disk that is full, read-only or gone raises
    :class:`podpipe.errors.OutputWriteError` (one line: the path and the cause)."""
    with writing(out_dir):
        return _export(result, out_dir, settings, diarization)


def _export(result: Draft, out_dir: Path, settings: Settings, diarization: Diarization | None) -> list[Path]:
    transcript, episode = result.transcript, result.transcript.episode
    out_dir.mkdir(parents=True, exist_ok=True)
    written = write_transcript_files(transcript, out_dir)
    if diarization is not None:
        names = {speaker.id: speaker.display_name for speaker in transcript.speakers}
        timeline = speaker_timeline_png(diarization.turns, duration=episode.duration,
                                        title=episode.title or episode.slug, names=names)
        written += [
            publish(out_dir, "diarization.rttm", rttm_text(diarization.turns, episode.slug)),
            publish(out_dir, "speakers.png", timeline),
            publish(out_dir, "speakers.centroids.json", centroids_json(diarization.centroids)),
        ]
    return [
        *written,
        publish(out_dir, "analysis.json", json_text(ANALYSIS.to_dict(result.analysis))),
        *write_show_notes(result.notes, transcript, out_dir, settings.notes_config()),
        *write_podcasting_files(result.notes, transcript, out_dir, settings.show),
    ]
