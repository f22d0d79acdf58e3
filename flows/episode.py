"""``process_episode``: one episode from source audio to the output folder.

Each task is a thin wrapper around a stage function of ``podpipe``; this module owns only
orchestration: caching keys, retries, progress logging and the run's artifact.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.context import TaskRunContext

import podpipe
from podpipe import audio, progress
from podpipe.config import Settings, get_settings, load_settings
from podpipe.domain import Episode, NormalisedAudio, Transcript
from podpipe.exports.layout import episode_output_dir
from podpipe.exports.transcripts import write_transcript_files
from podpipe.transcribe import transcribe

PROGRESS_LOG_STEP = 0.1  # log a line per 10 % of audio done


def _cache_key(stage: str, episode: Episode, stage_settings: dict) -> str:
    """The audio's sha256, the stage's own settings and podpipe's version: change any, redo the stage."""
    settings_json = json.dumps(stage_settings, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{settings_json}|{podpipe.__version__}".encode()).hexdigest()[:16]
    return f"{stage}-{episode.id}-{digest}"


def _transcribe_cache_key(context: TaskRunContext, parameters: dict) -> str:
    settings: Settings = parameters["settings"]
    stage_settings = settings.transcription.model_dump(mode="json") | {"vocabulary": settings.show.vocabulary}
    return _cache_key("transcribe", parameters["episode"], stage_settings)


def _progress_logger(stage: str):
    logger = get_run_logger()
    next_mark = [0.0]

    def on_progress(done: float, total: float) -> None:
        progress.report(stage, done, total)
        fraction = done / total if total else 1.0
        if fraction >= next_mark[0]:
            logger.info("%s: %.0f / %.0f s of audio (%.0f %%)", stage, done, total, 100 * fraction)
            next_mark[0] = fraction + PROGRESS_LOG_STEP

    return on_progress


@task(name="ingest", retries=0)
def ingest_task(source: Path, work_dir: Path) -> tuple[Episode, NormalisedAudio]:
    # Not cached by Prefect: normalise() itself skips work whose file is already in the work folder,
    # and hashing the source (to know the episode) is what every cache key needs first.
    episode = audio.describe_episode(source)
    return episode, audio.normalise(episode, work_dir)


@task(name="transcribe", cache_key_fn=_transcribe_cache_key, persist_result=True)
def transcribe_task(episode: Episode, normalised: NormalisedAudio, settings: Settings) -> Transcript:
    waveform = audio.load_waveform(normalised)
    return transcribe(episode, waveform, settings, progress=_progress_logger("transcribe"))


@task(name="export")
def export_task(transcript: Transcript, out_dir: Path) -> list[Path]:
    return write_transcript_files(transcript, out_dir)


@flow(name="process_episode", log_prints=True)
def process_episode(source: Path, output_root: Path | None = None, config_file: Path | None = None) -> Path:
    """Process one episode; returns its output folder ``output/<slug>/``."""
    settings = load_settings(config_file) if config_file else get_settings()
    output_root = output_root or settings.resolve(settings.paths.output)
    work_dir = settings.resolve(settings.paths.work)
    started = time.perf_counter()

    episode, normalised = ingest_task(Path(source), work_dir)
    transcript = transcribe_task(episode, normalised, settings)
    # A cached transcript may come from the same audio under another name: keep today's identity.
    transcript.episode = episode
    out_dir = episode_output_dir(episode, output_root)
    written = export_task(transcript, out_dir)

    elapsed = time.perf_counter() - started
    _summarise(episode, transcript, out_dir, written, elapsed)
    return out_dir


def _summarise(episode: Episode, transcript: Transcript, out_dir: Path, written: list[Path], elapsed: float) -> None:
    words = sum(len(segment.words) for segment in transcript.segments)
    files = "\n".join(f"- `{path.name}`" for path in written)
    create_markdown_artifact(
        key=f"episode-{episode.id[:12]}",
        description=f"podpipe run of {episode.source.name}",
        markdown=(
            f"# {episode.slug}\n\n"
            f"| | |\n|---|---|\n"
            f"| source | `{episode.source.name}` |\n"
            f"| duration | {episode.duration:.1f} s |\n"
            f"| language | {transcript.language} |\n"
            f"| segments / words | {len(transcript.segments)} / {words} |\n"
            f"| models | {', '.join(m.name for m in transcript.models)} |\n"
            f"| wall time | {elapsed:.1f} s ({elapsed / max(episode.duration, 1e-9):.2f} x audio) |\n"
            f"| output | `{out_dir}` |\n\n"
            f"## Files\n{files}\n"
        ),
    )
