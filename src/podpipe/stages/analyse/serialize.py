"""``analysis.json``: the Analysis through :data:`podpipe.io.ANALYSIS`."""

from __future__ import annotations

from pathlib import Path

from podpipe.domain import Analysis
from podpipe.io import ANALYSIS

ANALYSIS_FORMAT = ANALYSIS.format
analysis_to_dict = ANALYSIS.to_dict
analysis_from_dict = ANALYSIS.from_dict
read_analysis = ANALYSIS.read


def write_analysis(path: Path, analysis: Analysis) -> Path:
    """Write ``analysis.json`` atomically."""
    return ANALYSIS.write(path, analysis)
