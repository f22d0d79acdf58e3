"""``scan_inbox``: find new, complete episodes in the drop folder and process each of them.

``podpipe watch --once`` runs one scan; ``podpipe serve`` serves this flow on the configured
interval or cron schedule (Europe/Brussels by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.schedules import Cron, Interval

from flows.episode import open_catalog, process_episode
from podpipe.catalog import Status
from podpipe.config import Settings, get_settings, load_settings
from podpipe.errors import InvalidInputError
from podpipe.inbox import complete_files, move_to_failed
from podpipe.models import sha256_file

FINISHED = {Status.DRAFT_READY, Status.APPROVED, Status.NO_SPEECH, Status.OTHER_LANGUAGE}


@dataclass
class ScanReport:
    processed: list[Path] = field(default_factory=list)  # output folders
    failed: list[Path] = field(default_factory=list)  # files moved to the failed folder
    skipped: list[Path] = field(default_factory=list)  # already processed (same audio)
    retry_later: list[Path] = field(default_factory=list)  # transient errors: they stay in the inbox


@flow(name="scan_inbox")
def scan_inbox(inbox: Path | None = None, output_root: Path | None = None,
               config_file: Path | None = None) -> ScanReport:
    settings = load_settings(config_file) if config_file else get_settings()
    inbox = Path(inbox or settings.resolve(settings.paths.inbox))
    output_root = Path(output_root or settings.resolve(settings.paths.output))
    failed_dir = settings.resolve(settings.paths.failed)
    logger = get_run_logger()
    catalog = open_catalog(settings, output_root)
    report = ScanReport()

    for source in complete_files(inbox, settings.inbox.settle_seconds):
        row = catalog.get(sha256_file(source))
        if row is not None and row.status in FINISHED:
            report.skipped.append(source)
            continue
        try:
            report.processed.append(process_episode(source, output_root, config_file))
        except InvalidInputError as error:
            report.failed.append(move_to_failed(source, failed_dir, error.reason))
            logger.warning("refused %s: %s (moved to %s)", source.name, error.reason, failed_dir)
        except Exception as error:  # noqa: BLE001 - one episode's trouble must not stop the batch
            report.retry_later.append(source)
            logger.error("%s failed and stays in the inbox for the next scan: %s", source.name, error)

    logger.info("scan of %s: %d processed, %d refused, %d already done, %d to retry", inbox,
                len(report.processed), len(report.failed), len(report.skipped), len(report.retry_later))
    if report.processed or report.failed or report.retry_later:
        create_table_artifact(
            key="inbox-scan",
            table=[{"file": p.name, "result": result} for result, paths in (
                ("processed", report.processed), ("refused", report.failed), ("retry later", report.retry_later)
            ) for p in paths],
            description=f"scan of {inbox}",
        )
    return report


def inbox_schedule(settings: Settings) -> Cron | Interval:
    if settings.inbox.cron:
        return Cron(settings.inbox.cron, timezone=settings.inbox.timezone)
    return Interval(dt.timedelta(minutes=settings.inbox.interval_minutes), timezone=settings.inbox.timezone)


def serve_inbox(inbox: Path | None = None, output_root: Path | None = None, config_file: Path | None = None) -> None:
    """Serve ``scan_inbox`` on its schedule until interrupted."""
    settings = load_settings(config_file) if config_file else get_settings()
    parameters = {
        "inbox": str(inbox) if inbox else None,
        "output_root": str(output_root) if output_root else None,
        "config_file": str(config_file) if config_file else None,
    }
    scan_inbox.serve(
        name="podpipe-inbox",
        schedule=inbox_schedule(settings),
        parameters={k: v for k, v in parameters.items() if v is not None},
        global_limit=1,  # one scan at a time: a long episode must not start a second scan of the same files
    )
