"""``scan_inbox``: find new, complete episodes in the drop folder and process each of them.

``podpipe watch --once`` runs one scan; ``podpipe serve`` serves this flow on the configured
interval or cron schedule (Europe/Brussels by default).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_client, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import (
    ConcurrencyLimitConfig,
    ConcurrencyLimitStrategy,
    DeploymentStatus,
    StateType,
)
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound
from prefect.logging import get_logger
from prefect.schedules import Cron, Interval, Schedule
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Crashed

from podpipe.catalog import FINISHED
from podpipe.claims import EpisodeBusyError, is_claimed
from podpipe.config import Settings, get_settings, load_settings
from podpipe.errors import InvalidInputError
from podpipe.files import sha256_file
from podpipe.flows.episode import open_catalog, process_episode
from podpipe.flows.pool import dispatch_episode, ensure_deployment, pool_in_use
from podpipe.inbox import complete_files, move_to_failed
from podpipe.lifetime import exit_when_parent_dies

DEPLOYMENT = "podpipe-inbox"
FULL_NAME = f"scan_inbox/{DEPLOYMENT}"
# Set by `podpipe serve` for the scans its runner starts (child processes of serve).
SERVE_PID_ENV = "PODPIPE_SERVE_PID"
ACTIVE = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]


@dataclass
class ScanReport:
    processed: list[Path] = field(default_factory=list)  # output folders
    failed: list[Path] = field(default_factory=list)  # files moved to the failed folder
    skipped: list[Path] = field(default_factory=list)  # already processed (same audio)
    retry_later: list[Path] = field(default_factory=list)  # transient errors: they stay in the inbox
    running: list[Path] = field(default_factory=list)  # another process is on it now: left to it
    queued: list[Path] = field(default_factory=list)  # handed to the work pool by this scan


@flow(name="scan_inbox")
def scan_inbox(inbox: Path | None = None, output_root: Path | None = None,
               config_file: Path | None = None) -> ScanReport:
    if os.environ.get(SERVE_PID_ENV, "").isdigit():
        # A scan whose `podpipe serve` was killed stops too, and frees its episode for the next serve.
        exit_when_parent_dies(int(os.environ[SERVE_PID_ENV]))
    settings = load_settings(config_file) if config_file else get_settings()
    inbox = Path(inbox or settings.resolve(settings.paths.inbox))
    output_root = Path(output_root or settings.resolve(settings.paths.output))
    failed_dir = settings.resolve(settings.paths.failed)
    work_dir = settings.resolve(settings.paths.work)
    logger = get_run_logger()
    catalog = open_catalog(settings, output_root)
    report = ScanReport()
    # With a Prefect server of the user's and a pool configured, workers anywhere run the episodes.
    deployment_id = ensure_deployment(settings) if pool_in_use(settings) else None

    for source in complete_files(inbox, settings.inbox.settle_seconds):
        episode_id = sha256_file(source)
        row = catalog.get(episode_id)
        if row is not None and row.status in FINISHED:
            report.skipped.append(source)
            continue
        if deployment_id is not None:
            _hand_to_pool(source, episode_id, output_root, config_file, settings, deployment_id, report)
            continue
        # "processing" in the catalogue and claimed: really running (a previous scan, `podpipe run`).
        # Not claimed: its process died, and this scan resumes it from the cached stages.
        if is_claimed(work_dir, episode_id):
            report.running.append(source)
            logger.info("%s is being processed by another podpipe process; left to it", source.name)
            continue
        try:
            report.processed.append(process_episode(source, output_root, config_file))
        except EpisodeBusyError:
            report.running.append(source)
        except InvalidInputError as error:
            report.failed.append(move_to_failed(source, failed_dir, error.reason))
            logger.warning("refused %s: %s (moved to %s)", source.name, error.reason, failed_dir)
        except Exception as error:  # noqa: BLE001 - one episode's trouble must not stop the batch
            report.retry_later.append(source)
            logger.error("%s failed and stays in the inbox for the next scan: %s", source.name, error)

    logger.info("scan of %s: %d processed, %d refused, %d already done, %d to retry, %d running elsewhere, "
                "%d queued on the pool", inbox, len(report.processed), len(report.failed), len(report.skipped),
                len(report.retry_later), len(report.running), len(report.queued))
    if report.processed or report.failed or report.retry_later or report.queued:
        create_table_artifact(
            key="inbox-scan",
            table=[{"file": p.name, "result": result} for result, paths in (
                ("processed", report.processed), ("refused", report.failed), ("retry later", report.retry_later),
                ("queued on the pool", report.queued),
            ) for p in paths],
            description=f"scan of {inbox}",
        )
    return report


def _hand_to_pool(source: Path, episode_id: str, output_root: Path, config_file: Path | None, settings: Settings,
                  deployment_id: object, report: ScanReport) -> None:
    """One run of the episode deployment per episode (flows/pool.py says how it stays one)."""
    logger = get_run_logger()
    parameters = {"output_root": str(output_root), "config_file": str(config_file) if config_file else None}
    try:
        dispatched = dispatch_episode(source, episode_id, parameters, settings, deployment_id)  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 - the server's trouble with one episode must not stop the batch
        report.retry_later.append(source)
        logger.error("%s could not be handed to the work pool; the next scan tries again: %s", source.name, error)
        return
    if dispatched.new:
        report.queued.append(source)
        logger.info("%s queued on work pool %s as %s", source.name, settings.pool.name, dispatched.run_name)
    else:
        report.running.append(source)
        logger.info("%s already has run %s (%s) on the pool; left to it", source.name, dispatched.run_name,
                    dispatched.state)


def inbox_schedule(settings: Settings) -> Schedule:
    if settings.inbox.cron:
        return Cron(settings.inbox.cron, timezone=settings.inbox.timezone)
    return Interval(dt.timedelta(minutes=settings.inbox.interval_minutes), timezone=settings.inbox.timezone)


def serve_inbox(inbox: Path | None = None, output_root: Path | None = None, config_file: Path | None = None,
                own_server: bool = False) -> None:
    """Serve ``scan_inbox`` on its schedule until interrupted (Ctrl-C, SIGTERM).

    ``own_server``: the Prefect server was started by this ``podpipe serve`` (and no other serve can
    use it), so runs it finds active are left over from a killed serve and are marked crashed.
    """
    settings = load_settings(config_file) if config_file else get_settings()
    parameters = {
        "inbox": str(inbox) if inbox else None,
        "output_root": str(output_root) if output_root else None,
        "config_file": str(config_file) if config_file else None,
    }
    os.environ[SERVE_PID_ENV] = str(os.getpid())
    if own_server and (crashed := crash_abandoned_runs()):
        get_logger("podpipe").warning("marked %d run(s) of a killed podpipe serve as crashed: %s", len(crashed),
                                      ", ".join(crashed))
    scan_inbox.serve(
        name=DEPLOYMENT,
        schedule=inbox_schedule(settings),
        parameters={k: v for k, v in parameters.items() if v is not None},
        paused=False,  # a clean stop pauses the schedule; serving again resumes it
        # One scan at a time, held by the server: a scan due while another still runs (a long
        # episode) is cancelled rather than queued, so no pile of scans waits behind it.
        global_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
        limit=1,
        print_starting_message=False,
    )


def crash_abandoned_runs() -> list[str]:
    """Mark the inbox scans (and their episode subflows) still active on the server as crashed.

    Only called when this serve owns the server: nothing else runs them, so they belong to a serve
    that was killed. That also frees the deployment's one-scan slot at once, instead of when its
    lease runs out.
    """
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(FULL_NAME)
        except ObjectNotFound:
            return []
        active = FlowRunFilterState(type=FlowRunFilterStateType(any_=ACTIVE))
        scans = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(state=active),
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
        )
        episodes = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            state=active, parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id for run in scans]),
        )) if scans else []
        for run in [*episodes, *scans]:
            client.set_flow_run_state(run.id, Crashed(message="podpipe serve was stopped while this ran; "
                                                              "the next scan resumes its episode"), force=True)
        return [run.name for run in [*episodes, *scans]]


def schedule_status(api_url: str, timezone: str) -> tuple[bool, str]:
    """(live, one line): is a ``podpipe serve`` polling the inbox deployment, and when is the next scan due."""
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(FULL_NAME)
        except ObjectNotFound:
            return False, f"not live: the Prefect server at {api_url} has no inbox schedule (podpipe serve never ran)"
        if deployment.paused or not any(schedule.active for schedule in deployment.schedules):
            return False, "not live: the schedule is paused (podpipe serve was stopped)"
        if deployment.status != DeploymentStatus.READY:
            return False, "not live: no podpipe serve is polling for scans (stopped or killed)"
        running, upcoming = (client.read_flow_runs(
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=types))),
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=1,
        ) for types in ([StateType.RUNNING], [StateType.SCHEDULED, StateType.PENDING]))
    zone = ZoneInfo(timezone)
    parts = [f"live ({_describe(deployment.schedules[0].schedule)})"]
    if running and running[0].start_time is not None:
        parts.append(f"a scan is running since {running[0].start_time.astimezone(zone):%H:%M:%S}")
    if upcoming and upcoming[0].expected_start_time is not None:
        parts.append(f"next scan due {upcoming[0].expected_start_time.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}")
    else:
        parts.append("no scan scheduled yet (the server schedules them within a minute)")
    return True, "; ".join(parts)


def _describe(schedule: object) -> str:
    interval = getattr(schedule, "interval", None)
    if interval is not None:
        seconds = interval.total_seconds()
        return f"every {seconds / 60:g} min" if seconds >= 60 else f"every {seconds:g} s"
    return f"cron {getattr(schedule, 'cron', schedule)}"
