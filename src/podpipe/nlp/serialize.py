"""``analysis.json``: the Analysis dataclasses through pydantic's TypeAdapter, as podpipe.io does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from podpipe.domain import Analysis
from podpipe.errors import PodpipeError
from podpipe.io import write_json

ANALYSIS_FORMAT = "podpipe-analysis"
ANALYSIS_VERSION = 1

_analysis_adapter = TypeAdapter(Analysis)


def analysis_to_dict(analysis: Analysis) -> dict[str, Any]:
    data = _analysis_adapter.dump_python(analysis, mode="json")
    return {"format": ANALYSIS_FORMAT, "version": ANALYSIS_VERSION, **data}


def analysis_from_dict(data: dict[str, Any], source: Path | str = "<analysis>") -> Analysis:
    if data.get("format") != ANALYSIS_FORMAT:
        raise PodpipeError(f"{source}: not a podpipe analysis (format is {data.get('format')!r})")
    payload = {key: value for key, value in data.items() if key not in ("format", "version")}
    try:
        return _analysis_adapter.validate_python(payload)
    except ValidationError as error:
        raise PodpipeError(f"{source}: invalid analysis: {error}") from error


def write_analysis(path: Path, analysis: Analysis) -> Path:
    """Write ``analysis.json`` atomically."""
    return write_json(path, analysis_to_dict(analysis))


def read_analysis(path: Path) -> Analysis:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise PodpipeError(f"{path}: cannot read analysis JSON ({error})") from error
    return analysis_from_dict(data, path)
