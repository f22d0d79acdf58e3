"""Serialisation of the domain model, in one place.

Each document podpipe writes (transcript, analysis, show notes) is a domain dataclass as JSON with a
``format`` and ``version`` beside its fields. pydantic's TypeAdapter reads and writes the stdlib
dataclasses directly (Paths, enums and nested lists included) and validates on the way in, so a
hand-edited file fails with a clear message that names it.

The episode's cast (``Episode.cast``) is not written: it follows from the episode's metadata (its
sidecar) and the settings of the run that reads the file, so a transcript read back has none until
``podpipe.cast.describe`` gives it one, and a changed config reaches it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from podpipe.domain import Analysis, Approval, ShowNotes, Transcript
from podpipe.errors import PodpipeError
from podpipe.files import write_text_atomic

T = TypeVar("T")


class JsonDocument(Generic[T]):
    """One kind of document: ``{"format": ..., "version": ..., **fields}``."""

    def __init__(self, kind: type[T], format_name: str, label: str, version: int = 1,
                 exclude: dict[str, Any] | None = None) -> None:
        self.adapter = TypeAdapter(kind)
        self.format = format_name
        self.label = label
        self.version = version
        self.exclude = exclude  # fields never written (pydantic's nested ``exclude``)

    def to_dict(self, value: T) -> dict[str, Any]:
        fields = self.adapter.dump_python(value, mode="json", exclude=self.exclude)
        return {"format": self.format, "version": self.version, **fields}

    def from_dict(self, data: Any, source: Path | str = "<json>", *, format_required: bool = True) -> T:
        if not isinstance(data, dict):
            raise PodpipeError(f"{source}: a {self.label} is a JSON object")
        found = data.get("format", None if format_required else self.format)
        if found != self.format:
            raise PodpipeError(f"{source}: not a podpipe {self.label} (format is {found!r})")
        payload = {key: value for key, value in data.items() if key not in ("format", "version")}
        try:
            return self.adapter.validate_python(payload)
        except ValidationError as error:
            raise PodpipeError(f"{source}: invalid {self.label}: {error}") from error

    def read(self, path: Path | str) -> T:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise PodpipeError(f"{path}: cannot read {self.label} JSON ({error})") from error
        return self.from_dict(data, path)

    def write(self, path: Path, value: T) -> Path:
        return write_json(path, self.to_dict(value))


TRANSCRIPT = JsonDocument(Transcript, "podpipe-transcript", "transcript", exclude={"episode": {"cast"}})
ANALYSIS = JsonDocument(Analysis, "podpipe-analysis", "analysis")
SHOWNOTES = JsonDocument(ShowNotes, "podpipe-shownotes", "show notes")

TRANSCRIPT_FORMAT = TRANSCRIPT.format
transcript_to_dict = TRANSCRIPT.to_dict
transcript_from_dict = TRANSCRIPT.from_dict
read_transcript = TRANSCRIPT.read


def json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_json(path: Path, data: Any) -> Path:
    return write_text_atomic(path, json_text(data))


# The review app's record of an episode (``review.store`` writes them): the editors' saved versions
# (``versions/NNNN-<timestamp>.json``, the newest is the current state) and the one approval record.
# Read here, below the review app, so that the flow reprocessing an approved episode reads the same record.
VERSIONS = "versions"
VERSION_NAME = re.compile(r"^(\d{4,})-[0-9TZ]+\.json$")
APPROVAL = "approval.json"


def version_files(out_dir: Path) -> list[Path]:
    """The episode's saved versions, oldest first (kept conflicting saves, in ``versions/conflicts/``, aside)."""
    folder = out_dir / VERSIONS
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if VERSION_NAME.match(p.name)), key=lambda p: p.name)


def version_number(path: Path) -> int:
    match = VERSION_NAME.match(path.name)
    return int(match.group(1)) if match else -1


def read_approval(out_dir: Path) -> Approval | None:
    """The episode's approval (``approval.json``), None when it was never approved (or the file is unreadable)."""
    try:
        record = json.loads((out_dir / APPROVAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Approval.from_record(record) if isinstance(record, dict) else None


def approval_status(out_dir: Path, current_version: int | None = None) -> str:
    """"approved", "to re-approve" (saved since) or "draft", from the approval record alone; the current
    version is the newest saved one (0, the pipeline's draft, where none was saved) unless given."""
    if current_version is None:
        files = version_files(out_dir)
        current_version = version_number(files[-1]) if files else 0
    return Approval.status_of(read_approval(out_dir), current_version)
