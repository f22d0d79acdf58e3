"""One approval record: approval.json, read as domain.Approval; every approval status derives from it."""

from __future__ import annotations

import json
from pathlib import Path

from podpipe.catalog import Status
from podpipe.domain import Approval
from podpipe.flows.episode import reprocessed_status
from podpipe.io import APPROVAL, VERSIONS, approval_status, read_approval


def test_the_record_reads_and_writes_as_before() -> None:
    record = {"version": 3, "approved_at": "2026-05-04T10:00:00+02:00",
              "checks": {"names": "ok", "audio": "waived"}, "files": ["shownotes.final.md", "chapters.final.json"]}
    approval = Approval.from_record(record)
    assert approval.version == 3 and approval.checks["audio"] == "waived"
    # The same keys in the same order as the app always wrote: checks and files sorted.
    assert list(approval.to_record()) == ["version", "approved_at", "checks", "files"]
    assert approval.to_record()["checks"] == {"audio": "waived", "names": "ok"}
    assert approval.to_record()["files"] == ["chapters.final.json", "shownotes.final.md"]
    assert Approval.from_record(approval.to_record()).to_record() == approval.to_record()


def test_status_follows_the_approved_version() -> None:
    approval = Approval(version=2)
    assert approval.status(2) == Approval.APPROVED
    assert approval.status(3) == Approval.TO_REAPPROVE
    assert Approval.status_of(None, 3) == Approval.DRAFT
    assert Approval.from_record({}).status(0) == Approval.TO_REAPPROVE  # a record without a version


def test_review_status_reads_approval_json(tmp_path: Path) -> None:
    assert read_approval(tmp_path) is None and approval_status(tmp_path, 1) == "draft"
    (tmp_path / APPROVAL).write_text(json.dumps({"version": 1, "checks": {}, "files": []}))
    assert read_approval(tmp_path) == Approval(version=1)
    assert approval_status(tmp_path, 1) == "approved"
    assert approval_status(tmp_path, 2) == "to re-approve"
    (tmp_path / APPROVAL).write_text("not json")
    assert read_approval(tmp_path) is None


def _save_version(out_dir: Path, number: int) -> None:
    (out_dir / VERSIONS).mkdir(exist_ok=True)
    (out_dir / VERSIONS / f"{number:04d}-20260504T100000Z.json").write_text("{}")


def test_a_reprocessed_episode_stays_as_its_approval_record_says(tmp_path: Path) -> None:
    """The flow reads approval.json (never the catalogue's copy) for the status after reprocessing."""
    assert reprocessed_status(tmp_path) == Status.DRAFT_READY  # never approved
    _save_version(tmp_path, 0)
    _save_version(tmp_path, 1)
    (tmp_path / APPROVAL).write_text(json.dumps({"version": 1, "checks": {}, "files": []}))
    assert reprocessed_status(tmp_path) == Status.APPROVED  # the newest saved version was approved
    _save_version(tmp_path, 2)
    assert reprocessed_status(tmp_path) == Status.TO_REAPPROVE  # saved again since
