"""Atomic writes: a reader (or a crash) never sees a half-written file in the output folder."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A writer killed between writing and renaming (kill -9, power cut) leaves its temporary file behind.
# The name says who wrote it, so the next writer of that folder can tell a dead writer's file from a
# live one's: ``.<name>.<pid>@<host>.part``.
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "localhost"
_WRITER = re.compile(r"\.(?P<pid>\d+)@(?P<host>[A-Za-z0-9-]+)\.part$")
# Another machine's writer (shared storage) cannot be asked whether it lives; no atomic write of
# podpipe's takes anywhere near this long (the longest, an hour's 16 kHz WAV, takes seconds).
FOREIGN_TEMPORARY_AGE_S = 3600.0


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}@{_HOST}.part")
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        # A killed process whose parent has not reaped it yet is a zombie: it answers signals but
        # will never rename anything.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        pass  # no /proc (macOS): ask the process itself
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale_temporaries(folder: Path, now: float | None = None) -> list[Path]:
    """Delete the temporary files that dead writers left in ``folder`` and below; returns them.

    A file of a process on this machine goes once that process is gone; one of another machine (or
    of an older podpipe, whose names did not say the machine) once it is older than
    ``FOREIGN_TEMPORARY_AGE_S``. A live writer's file is never touched.
    """
    now = time.time() if now is None else now
    removed = []
    for path in sorted(folder.rglob(".*.part")) if folder.is_dir() else []:
        writer = _WRITER.search(path.name)
        try:
            if writer and writer["host"] == _HOST:
                stale = not _process_alive(int(writer["pid"]))
            else:
                stale = now - path.stat().st_mtime > FOREIGN_TEMPORARY_AGE_S
            if stale and path.is_file():
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # its writer renamed it, or another cleaner was first
    return removed


def write_text_atomic(target: Path, text: str) -> Path:
    with atomic_path(target) as temporary:
        # newline="" keeps "\n" as written: SRT and VTT readers expect what we produce, on any OS.
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    return target


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
