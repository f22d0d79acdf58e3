"""One approval record: approval.json, read as domain.Approval; every approval status derives from it."""

from __future__ import annotations

import json
from pathlib import Path

from podpipe.domain import Approval
from podpipe.review import store


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
    assert store.approval(tmp_path) is None and store.review_status(tmp_path, 1) == "draft"
    (tmp_path / store.APPROVAL).write_text(json.dumps({"version": 1, "checks": {}, "files": []}))
    assert store.approval(tmp_path) == Approval(version=1)
    assert store.review_status(tmp_path, 1) == "approved"
    assert store.review_status(tmp_path, 2) == "to re-approve"
    (tmp_path / store.APPROVAL).write_text("not json")
    assert store.approval(tmp_path) is None
