"""Episodes on a Prefect work pool: a scan hands them out, ``podpipe worker`` runs them, on any machine.

With ``PREFECT_API_URL`` naming a Prefect server (not the one a ``podpipe serve`` started for
itself) and ``[pool] name`` set, ``scan_inbox`` no longer runs its episodes as subflows: it creates
one run of the deployment ``process_episode/<[pool] deployment>`` per episode with
``run_deployment``, and workers on any number of machines take them, one at a time each.

Exactly once:
- The idempotency key of a run is the audio's sha256 (and, after that episode's earlier runs all
  ended, how many there were). Prefect's server keeps one run per (flow, idempotency key), for
  good: a second scan, on this or another machine, while the episode is queued or running, gets
  the existing run back instead of a new one. Before that, a scan that finds the episode's run
  still active (scheduled, pending, running, awaiting a rerun) leaves it alone.
- A worker killed mid-episode (kill -9, or its machine gone) cannot report anything. Prefect's own
  answer is an automation on the flow-run heartbeats its engine sends every
  ``[pool] heartbeat_seconds``: no heartbeat for ``[pool] lost_after_seconds`` and the run is marked
  Crashed. A second automation sets a crashed episode run back to Scheduled ("AwaitingRetry"): the
  same run (same key, so still one run per episode) is taken by whichever worker is free, which
  resumes from the cached stages (result storage shared by the workers). Not Prefect's flow
  retries: they rerun a run inside the process that failed, and that process is gone. After
  ``[pool] crash_reruns`` crashes a worker fails the run instead of starting it again (an episode that
  kills its machine every time must not take the pool down); the next scan starts a fresh one.

Models once per worker process: Prefect's process worker starts a new Python process per flow
run, which would load Whisper, pyannote and spaCy for every episode. ``EpisodeWorker`` runs the
episode deployment's runs in its own process instead (one at a time), so the stage worker processes
of ``podpipe.flows.episode`` and their loaded models stay for the next episode; other flows'
runs still go to a subprocess as with Prefect's process worker.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
import anyio.abc
from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.deployments import run_deployment
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.exceptions import ObjectAlreadyExists
from prefect.flow_engine import run_flow
from prefect.states import Failed
from prefect.utilities.callables import parameter_schema
from prefect.workers.process import ProcessJobConfiguration, ProcessWorker, ProcessWorkerResult

from podpipe.catalog import FINISHED
from podpipe.config import Settings, get_settings, load_settings
from podpipe.errors import InvalidInputError
from podpipe.flows.episode import open_catalog, process_episode
from podpipe.inbox import move_to_failed
from podpipe.prefect_server import live_server, prefect_home, users_prefect_server
from podpipe.workfiles import remove_leftovers

# The deployment's entrypoint: the installed module, so no checkout is needed where a worker runs.
ENTRYPOINT = "podpipe.flows.episode:process_episode"
EPISODE_TAG = "podpipe-episode:"  # + the first 16 hex digits of the audio's sha256
IN_PROCESS = "in-process"  # the infrastructure id of a run an EpisodeWorker runs in its own process
WORKER_NAME_LABEL = "prefect.worker.name"


def pool_in_use(settings: Settings) -> bool:
    """Whether scans hand episodes to the work pool: a Prefect server the user named, and a pool set.

    The server ``podpipe serve`` starts for itself (no PREFECT_API_URL of the user's) serves one
    laptop: its scans keep processing episodes themselves, as before.
    """
    api_url = (users_prefect_server() or "").rstrip("/")
    if not api_url or not settings.pool.name:
        return False
    own = live_server(prefect_home())
    return own is None or own.api_url.rstrip("/") != api_url


def deployment_name(settings: Settings) -> str:
    return f"{process_episode.name}/{settings.pool.deployment}"


def ensure_deployment(settings: Settings, pool: str | None = None) -> UUID:
    """The work pool, the deployment of process_episode on it and the crash automations; each
    created if missing (every scan and worker calls this, so the first one sets the pool up)."""
    pool = pool or settings.pool.name
    with get_client(sync_client=True) as client:
        try:
            # With the process worker's job template, as `prefect work-pool create --type process` makes it.
            client.create_work_pool(WorkPoolCreate(name=pool, type=ProcessWorker.type,
                                                   base_job_template=ProcessWorker.get_default_base_job_template()))
        except ObjectAlreadyExists:
            pass
        flow_id = client.create_flow_from_name(process_episode.name)
        deployment_id = client.create_deployment(
            flow_id=flow_id, name=settings.pool.deployment, work_pool_name=pool, entrypoint=ENTRYPOINT,
            parameter_openapi_schema=parameter_schema(process_episode).model_dump_for_openapi(),
            enforce_parameter_schema=False,
            description="One podpipe episode; scan_inbox creates a run per new episode, podpipe worker runs it.",
        )
        for automation in crash_automations(settings, deployment_id):
            if not client.read_automations_by_name(automation.name):
                client.create_automation(automation)
    return deployment_id


def crash_automations(settings: Settings, deployment_id: UUID) -> list[AutomationCore]:
    """Lost heartbeat -> Crashed; Crashed -> Scheduled again, for this deployment's runs only."""
    runs: dict[str, str | list[str]] = {"prefect.resource.id": "prefect.flow-run.*"}
    of_deployment: dict[str, str | list[str]] = {"prefect.resource.id": f"prefect.deployment.{deployment_id}"}
    ended = {f"prefect.flow-run.{state}" for state in ("Completed", "Failed", "Cancelled", "Crashed",
                                                        "AwaitingRetry", "Scheduled")}
    lost = AutomationCore(
        name=f"podpipe {settings.pool.deployment}: lost episode runs are crashed",
        description="A running episode whose heartbeats stopped: its worker or machine died.",
        trigger=EventTrigger(
            match=runs, match_related=of_deployment, after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *ended}, for_each={"prefect.resource.id"},
            posture=Posture.Proactive, threshold=1, within=dt.timedelta(seconds=settings.pool.lost_after_seconds),
        ),
        actions=[ChangeFlowRunState(name=None, state=StateType.CRASHED, force=False, message=(
            f"no heartbeat for {settings.pool.lost_after_seconds} s: its worker or machine died"))],
    )
    rerun = AutomationCore(
        name=f"podpipe {settings.pool.deployment}: crashed episode runs run again",
        description="The same run goes back to the pool; a live worker resumes it from the cached stages.",
        trigger=EventTrigger(
            match=runs, match_related=of_deployment, expect={"prefect.flow-run.Crashed"},
            for_each={"prefect.resource.id"}, posture=Posture.Reactive, threshold=1, within=dt.timedelta(0),
        ),
        # Not forced: Prefect refuses to reschedule a run that is not crashed (or has no deployment).
        actions=[ChangeFlowRunState(state=StateType.SCHEDULED, name="AwaitingRetry", force=False,
                                    message="crashed; run again on a live worker")],
    )
    return [lost, rerun]


@dataclass(frozen=True)
class Dispatched:
    run_name: str
    state: str
    new: bool  # False: the episode already had an active run (or another scan created it just now)


def dispatch_episode(source: Path, episode_id: str, parameters: dict[str, Any], settings: Settings,
                     deployment_id: UUID) -> Dispatched:
    """Hand one episode to the pool, unless a run of it is queued or running already."""
    tag = EPISODE_TAG + episode_id[:16]
    with get_client(sync_client=True) as client:
        earlier = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag])),
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        )
    for run in earlier:
        # Crashed counts as active: the rerun automation is about to put it back on the pool.
        if run.state is None or not run.state.is_final() or run.state.type == StateType.CRASHED:
            return Dispatched(run.name, _state_name(run), new=False)
    # All earlier runs ended (the catalogue says the episode is not done: it failed, or was reset):
    # a new key, the same for every scan that sees the same history.
    key = episode_id if not earlier else f"{episode_id}:{len(earlier)}"
    flow_run: FlowRun = run_deployment(  # type: ignore[assignment] # the sync call returns the run
        name=deployment_name(settings), parameters={"source": str(source), **parameters}, timeout=0,
        as_subflow=False, idempotency_key=key, tags=[tag], flow_run_name=f"{source.stem}-{episode_id[:8]}",
    )
    return Dispatched(flow_run.name, _state_name(flow_run), new=flow_run.id not in {run.id for run in earlier})


def _state_name(run: FlowRun) -> str:
    return (run.state.name or run.state.type.value) if run.state else "-"


@dataclass(frozen=True)
class RunAssignment:
    episode: str  # the source file's name
    state: str
    worker: str | None  # None: no worker has taken it yet
    run_name: str


def assignments(settings: Settings, limit: int = 50) -> list[RunAssignment]:
    """The latest runs of the episode deployment: which worker has (or had) which episode."""
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(deployment_name(settings))
        except Exception:  # noqa: BLE001 - no deployment yet, nothing was dispatched
            return []
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            sort=FlowRunSort.START_TIME_DESC, limit=limit,
        )
    return [RunAssignment(episode=Path(str(run.parameters.get("source", "?"))).name,
                          state=_state_name(run), worker=_worker_of(run), run_name=run.name)
            for run in runs]


def _worker_of(run: FlowRun) -> str | None:
    # BaseWorker labels each run it takes with its name.
    name = (run.labels or {}).get(WORKER_NAME_LABEL)
    return str(name) if name is not None else None


# Prefect registers worker classes by their type; this one keeps the process type (it serves process
# pools, and runs other flows as Prefect's does), so it takes that name over in processes that import
# this module. That is meant: don't warn about it.
warnings.filterwarnings("ignore", message="Type 'EpisodeWorker'.*", category=UserWarning)


class EpisodeWorker(ProcessWorker):
    """A process worker that runs podpipe's episode runs in its own process, one at a time."""

    def __init__(self, *args: Any, episode_deployment: UUID, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episode_deployment = episode_deployment

    async def run(self, flow_run: FlowRun, configuration: ProcessJobConfiguration,
                  task_status: anyio.abc.TaskStatus[int] | None = None) -> ProcessWorkerResult:
        if flow_run.deployment_id != self.episode_deployment:
            return await super().run(flow_run, configuration, task_status)
        if task_status is not None:
            task_status.started(IN_PROCESS)  # type: ignore[arg-type]
        # A fresh context: the engine makes its own client and run context in that thread.
        await anyio.to_thread.run_sync(contextvars.Context().run, _run_episode, flow_run)
        # The engine has set the run's final state; 0 keeps the worker from proposing "Crashed".
        return ProcessWorkerResult(status_code=0, identifier=IN_PROCESS)

    async def kill_infrastructure(self, infrastructure_pid: str, configuration: ProcessJobConfiguration,
                                  grace_seconds: int = 30) -> None:
        if infrastructure_pid == IN_PROCESS:
            # Killing it would kill this worker; the running stage finishes and the run ends then.
            self._logger.warning("an episode running in this worker cannot be stopped half-way; it finishes")
            return
        await super().kill_infrastructure(infrastructure_pid, configuration, grace_seconds)


def _run_episode(flow_run: FlowRun) -> None:
    config_file = flow_run.parameters.get("config_file")
    settings = load_settings(Path(config_file)) if config_file else get_settings()
    if flow_run.run_count > settings.pool.crash_reruns:
        # Every earlier start of this run crashed (flows here have no in-process retries).
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(flow_run.id, Failed(message=(
                f"crashed {flow_run.run_count} times; not started again (the next scan tries a new run)")))
        return
    state = run_flow(process_episode, flow_run=flow_run, return_type="state")
    if not state.is_failed():  # type: ignore[union-attr]
        return
    try:
        error = state.result(raise_on_failure=False)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - an error we cannot read back is not bad input
        return
    if isinstance(error, InvalidInputError):
        # As a local scan does: bad input leaves the inbox, with its reason beside it.
        move_to_failed(Path(flow_run.parameters["source"]), settings.resolve(settings.paths.failed), error.reason)


def remove_finished_leftovers(settings: Settings) -> int:
    """A machine killed mid-episode left that episode's WAV in its work/; another machine finished it."""
    catalog = open_catalog(settings, settings.resolve(settings.paths.output))
    finished = {row.id for row in catalog.episodes() if row.status in FINISHED}
    freed = remove_leftovers(settings.resolve(settings.paths.work), finished)
    if freed:
        logging.getLogger("podpipe.worker").info("removed %.1f MB of work files of episodes done elsewhere",
                                                 freed / 1e6)
    return freed


def start_worker(pool: str, name: str | None, settings: Settings) -> None:
    """Poll ``pool`` until stopped, one episode at a time, in this process (models load once)."""
    deployment_id = ensure_deployment(settings, pool)
    remove_finished_leftovers(settings)

    async def main() -> None:
        worker = EpisodeWorker(work_pool_name=pool, name=name or socket.gethostname(), limit=1,
                               episode_deployment=deployment_id)
        await worker.start()

    anyio.run(main)
