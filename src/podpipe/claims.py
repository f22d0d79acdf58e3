"""Which episodes are being processed right now on this machine.

An episode is claimed with an OS file lock in the work folder for as long as it is processed. The
kernel drops the lock when its holder dies, even by kill -9, so a claim never outlives its process:
a scan that finds an episode claimed knows it is really still running (a previous scan, or
``podpipe run`` in another terminal) and leaves it; an unclaimed episode that the catalogue says is
"processing" was cut off, and the next scan resumes it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from podpipe.errors import PodpipeError

MACHINE_ENV = "PODPIPE_MACHINE"


def machine_name() -> str:
    """The machine's name in its CPU slot ``podpipe-cpu-<name>``: ``$PODPIPE_MACHINE``, else the host name.

    Set it where host names are not unique, or where one computer stands for several machines (the
    tests run two workers side by side).
    """
    return os.environ.get(MACHINE_ENV) or socket.gethostname()


class EpisodeBusyError(PodpipeError):
    """Another process on this machine is processing this episode now."""


def _lock_path(work_dir: Path, episode_id: str) -> Path:
    folder = work_dir / ".episodes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{episode_id}.lock"


@contextmanager
def claim_episode(work_dir: Path, episode_id: str, name: str = "") -> Iterator[None]:
    """Hold the episode while the block runs; EpisodeBusyError if another process holds it."""
    lock = FileLock(_lock_path(work_dir, episode_id), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout as error:
        raise EpisodeBusyError(f"{name or episode_id[:12]}: already being processed by another podpipe process") \
            from error
    try:
        yield
    finally:
        lock.release()


def is_claimed(work_dir: Path, episode_id: str) -> bool:
    """Whether another process holds the episode now (never true for a holder that died)."""
    path = work_dir / ".episodes" / f"{episode_id}.lock"
    if not path.exists():
        return False
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False
