"""The drop folder: which files are complete episodes, and where refused ones go."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from podpipe.files import write_text_atomic
from podpipe.sidecar import SIDECAR_SUFFIXES, sidecar_path

# Names browsers, copy tools and editors give files that are still being written.
TEMPORARY_SUFFIXES = (".part", ".crdownload", ".partial", ".tmp", ".download", "~")
ERROR_SUFFIX = ".error.txt"


def is_candidate(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and not name.startswith(".")
        and not name.lower().endswith(TEMPORARY_SUFFIXES)
        and not name.endswith(ERROR_SUFFIX)
        and path.suffix.lower() not in SIDECAR_SUFFIXES
    )


def _look(paths: list[Path]) -> dict[Path, tuple[int, int]]:
    looks = {}
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:  # moved away between listing and looking
            continue
        looks[path] = (stat.st_size, stat.st_mtime_ns)
    return looks


def complete_files(inbox: Path, settle_seconds: float, sleep: Callable[[float], None] = time.sleep) -> list[Path]:
    """Files in ``inbox`` whose size and mtime did not change across two looks ``settle_seconds`` apart."""
    if not inbox.is_dir():
        return []
    paths = sorted(p for p in inbox.iterdir() if is_candidate(p))
    first = _look(paths)
    if not first:
        return []
    sleep(settle_seconds)
    second = _look(paths)
    return [path for path, look in first.items() if second.get(path) == look]


def move_to_failed(source: Path, failed_dir: Path, reason: str) -> Path:
    """Move a refused file (and its sidecar) to ``failed_dir`` with ``<name>.error.txt`` beside it."""
    failed_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(failed_dir / source.name)
    shutil.move(str(source), target)
    sidecar = sidecar_path(source)
    if sidecar is not None:
        shutil.move(str(sidecar), _free_name(failed_dir / sidecar.name))
    write_text_atomic(target.with_name(target.name + ERROR_SUFFIX), f"{source.name}: {reason}\n")
    return target


def _free_name(path: Path) -> Path:
    """``path``, or ``name (2).ext`` and so on if it is taken: a refused file never replaces another."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        number += 1
    return candidate
