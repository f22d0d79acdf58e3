"""``process_episode``: one episode from source audio to the output folder.

Each task is a thin wrapper around a stage function of ``podpipe``; this module owns orchestration
only: caching keys, retries, time limits, the catalogue's bookkeeping, progress logs and artifacts.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock
from prefect import flow, get_client, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.concurrency.sync import concurrency
from prefect.context import TaskRunContext

import podpipe
from podpipe import audio, progress
from podpipe.catalog import Catalog, Status
from podpipe.config import Settings, get_settings, load_settings
from podpipe.domain import Episode, NormalisedAudio, Transcript
from podpipe.errors import InvalidInputError, StageTimeoutError
from podpipe.exports.layout import episode_output_dir
from podpipe.exports.transcripts import write_transcript_files
from podpipe.models import sha256_file
from podpipe.sidecar import read_sidecar
from podpipe.transcribe import transcribe_file
from podpipe.worker import StageWorker

PROGRESS_LOG_STEP = 0.1  # a log line per 10 % of audio done
# One CPU-heavy model stage per machine at a time, whatever number of flows run on it.
CPU_LIMIT = f"podpipe-cpu-{socket.gethostname()}"

TRANSCRIPTION_WORKER = StageWorker("transcription")


def _retry_transient(task, task_run, state) -> bool:  # type: ignore[no-untyped-def]
    """Prefect retries a failed task unless its input is bad or it ran out of time."""
    error = state.result(raise_on_failure=False)
    return not isinstance(error, (InvalidInputError, StageTimeoutError))


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


_limits_ready: set[str] = set()


@contextmanager
def cpu_slot(settings: Settings) -> Iterator[None]:
    """One CPU-heavy model stage per machine at a time, across all processes on it.

    The machine-wide guarantee is an OS file lock: the kernel releases it when its holder dies, even
    by kill -9. With a real Prefect server (PREFECT_API_URL) the stage also holds a slot of the
    global concurrency limit ``podpipe-cpu-<host>``, visible in the UI. Not on Prefect's temporary
    server: it runs no lease repossessor, so a killed holder's slot would never come back.
    """
    lock_path = settings.resolve(settings.paths.work) / ".cpu.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_path):
        if not os.environ.get("PREFECT_API_URL"):
            yield
            return
        if CPU_LIMIT not in _limits_ready:
            with get_client(sync_client=True) as client:
                client.upsert_global_concurrency_limit_by_name(CPU_LIMIT, limit=1)
            _limits_ready.add(CPU_LIMIT)
        with concurrency(CPU_LIMIT, occupy=1, lease_duration=60):
            yield


@task(name="describe")
def describe_task(source: Path) -> Episode:
    """Probe the file, hash it, read its sidecar: who this episode is."""
    episode = audio.describe_episode(source)
    sidecar = read_sidecar(source)
    if sidecar is not None:
        episode.title, episode.number = sidecar.title, sidecar.number
        episode.slug = sidecar.slug or episode.slug
        episode.metadata = sidecar.model_dump(mode="json", exclude_none=True)
    return episode


@task(name="ingest", retry_condition_fn=_retry_transient)
def ingest_task(episode: Episode, work_dir: Path) -> NormalisedAudio:
    # Not cached by Prefect: normalise() reuses the file it already made in the work folder.
    return audio.normalise(episode, work_dir)


@task(name="transcribe", cache_key_fn=_transcribe_cache_key, persist_result=True,
      retry_condition_fn=_retry_transient)
def transcribe_task(episode: Episode, normalised: NormalisedAudio, settings: Settings) -> Transcript:
    with cpu_slot(settings):
        return TRANSCRIPTION_WORKER.run(
            transcribe_file, episode, normalised, settings,
            timeout=settings.pipeline.stage_timeout(episode.duration),
            on_progress=_progress_logger("transcribe"),
        )


@task(name="export")
def export_task(transcript: Transcript, out_dir: Path) -> list[Path]:
    return write_transcript_files(transcript, out_dir)


@contextmanager
def _stage(catalog: Catalog, episode: Episode, name: str) -> Iterator[None]:
    """Record a stage in the catalogue: started, then done with its time, or failed with the reason.

    A stage the catalogue already has as done keeps its record (its task is a cache hit or a reuse).
    """
    if catalog.is_done(episode.id, name):
        yield
        return
    catalog.stage_started(episode.id, name)
    try:
        yield
    except BaseException as error:
        catalog.stage_failed(episode.id, name, str(error) or type(error).__name__)
        raise
    catalog.stage_finished(episode.id, name)


def open_catalog(settings: Settings, output_root: Path) -> Catalog:
    output_root.mkdir(parents=True, exist_ok=True)
    return Catalog(settings.catalog_url(output_root))


@flow(name="process_episode")
def process_episode(source: Path, output_root: Path | None = None, config_file: Path | None = None) -> Path:
    """Process one episode; returns its output folder ``output/<slug>/``."""
    settings = load_settings(config_file) if config_file else get_settings()
    output_root = Path(output_root or settings.resolve(settings.paths.output))
    work_dir = settings.resolve(settings.paths.work)
    catalog = open_catalog(settings, output_root)
    source = Path(source)
    started = time.perf_counter()
    retry = dict(retries=settings.pipeline.retries, retry_delay_seconds=settings.pipeline.retry_delay_seconds)

    try:
        episode = describe_task(source)
    except InvalidInputError as error:
        catalog.record_failure_of_file(source, _file_id(source), error.reason)
        raise
    catalog.register(episode)
    catalog.set_status(episode.id, Status.PROCESSING)
    try:
        with _stage(catalog, episode, "ingest"):
            normalised = ingest_task.with_options(**retry)(episode, work_dir)
        with _stage(catalog, episode, "transcribe"):
            transcript = transcribe_task.with_options(**retry)(episode, normalised, settings)
            # A cached transcript may come from the same audio under another name: keep today's identity.
            transcript.episode = episode
        out_dir = episode_output_dir(episode, output_root)
        with _stage(catalog, episode, "export"):
            written = export_task(transcript, out_dir)
    except Exception as error:
        catalog.set_status(episode.id, Status.FAILED, error=str(error))
        raise
    catalog.set_status(episode.id, Status.DRAFT_READY, output_dir=out_dir)
    _summarise(episode, transcript, out_dir, written, time.perf_counter() - started)
    return out_dir


def _file_id(source: Path) -> str:
    """The sha256 of what is there, so a refused file is listed once however often it is dropped."""
    try:
        return sha256_file(source)
    except OSError:
        return hashlib.sha256(str(source).encode()).hexdigest()


def _summarise(episode: Episode, transcript: Transcript, out_dir: Path, written: list[Path], elapsed: float) -> None:
    words = sum(len(segment.words) for segment in transcript.segments)
    files = "\n".join(f"- `{path.name}`" for path in written)
    create_markdown_artifact(
        key=f"episode-{episode.id[:12]}",
        description=f"podpipe run of {episode.source.name}",
        markdown=(
            f"# {episode.title or episode.slug}\n\n"
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
