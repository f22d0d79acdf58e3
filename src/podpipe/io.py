"""Serialisation of the domain model, in one place.

pydantic's TypeAdapter reads and writes the stdlib dataclasses directly (Paths, enums and nested
lists included) and validates on the way in, so a hand-edited JSON file fails with a clear message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from podpipe.domain import Transcript
from podpipe.errors import PodpipeError
from podpipe.files import write_text_atomic

TRANSCRIPT_FORMAT = "podpipe-transcript"
TRANSCRIPT_VERSION = 1

_transcript_adapter = TypeAdapter(Transcript)


def transcript_to_dict(transcript: Transcript) -> dict[str, Any]:
    data = _transcript_adapter.dump_python(transcript, mode="json")
    return {"format": TRANSCRIPT_FORMAT, "version": TRANSCRIPT_VERSION, **data}


def transcript_from_dict(data: dict[str, Any], source: Path | str = "<transcript>") -> Transcript:
    if data.get("format") != TRANSCRIPT_FORMAT:
        raise PodpipeError(f"{source}: not a podpipe transcript (format is {data.get('format')!r})")
    payload = {key: value for key, value in data.items() if key not in ("format", "version")}
    try:
        return _transcript_adapter.validate_python(payload)
    except ValidationError as error:
        raise PodpipeError(f"{source}: invalid transcript: {error}") from error


def json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_json(path: Path, data: Any) -> Path:
    return write_text_atomic(path, json_text(data))


def read_transcript(path: Path) -> Transcript:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise PodpipeError(f"{path}: cannot read transcript JSON ({error})") from error
    return transcript_from_dict(data, path)
