"""Stage workers: CPU-heavy stages run in a long-lived child process each.

Why a process: a stage past its time limit must really stop, and blocking model code in a thread
cannot be interrupted; a process can be killed. The child lives on between episodes, so its model
is loaded once (per process, as everywhere in podpipe). Two workers (transcription, diarisation)
also run side by side without sharing a GIL.

Stage functions run here take a ``progress`` callback; its calls travel back over a queue and are
handed to ``on_progress`` in the caller's thread (where Prefect's logger works). Each run also
measures its wall and CPU seconds (all the child's threads), for the catalogue's stage timings.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import resource
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from podpipe.errors import StageTimeoutError
from podpipe.lifetime import exit_when_parent_dies

T = TypeVar("T")
POLL_SECONDS = 0.25

_child_queue: Any = None


def _init_child(progress_queue: Any, parent: int | None = None) -> None:
    from podpipe.models import offline_environment

    global _child_queue
    _child_queue = progress_queue
    offline_environment()
    # A flow killed mid-stage (kill -9) must not leave its model running on, holding a core.
    exit_when_parent_dies(parent)


@dataclass(frozen=True)
class Usage:
    """What one stage run cost: wall seconds, and CPU seconds of every thread of its process."""

    seconds: float
    cpu_seconds: float


def process_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _call_in_child(fn: Callable[..., T], args: tuple, kwargs: dict, reports_progress: bool) -> tuple[T, float]:
    def progress(done: float, total: float) -> None:
        _child_queue.put((done, total))

    cpu_before = process_cpu_seconds()
    result = fn(*args, progress=progress, **kwargs) if reports_progress else fn(*args, **kwargs)
    return result, process_cpu_seconds() - cpu_before


@dataclass(frozen=True)
class CoreShare:
    """How many cores a stage may use at this moment: all of them (``total``), less ``beside`` while
    the stage running beside it holds them, which it does while the file ``busy_marker`` exists.

    Picklable, so a worker's child reads it during the stage: the transcription takes the
    diarisation's core back as soon as the diarisation ends (measured: two one-thread Whisper
    replicas on two halves of the audio beat one replica with two threads, docs/performance.md).
    """

    total: int
    beside: int = 0
    busy_marker: Path | None = None

    def __call__(self) -> int:
        busy = self.busy_marker is not None and self.busy_marker.exists()
        return max(1, self.total - (self.beside if busy else 0))


_all_workers: weakref.WeakSet[StageWorker] = weakref.WeakSet()


def _stop_all_workers() -> None:
    for worker in list(_all_workers):
        worker.stop()


# A flow that itself runs in a multiprocessing child (a scan served by `podpipe serve`) ends with
# multiprocessing joining its children before Python's own exit handlers would shut the pools
# down: the idle stage workers would wait for work forever and the scan would never exit. A
# finaliser with a priority runs before that join.
multiprocessing.util.Finalize(None, _stop_all_workers, exitpriority=10)


class StageWorker:
    """One child process for one kind of stage; replaced if it is killed or dies."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._pool: ProcessPoolExecutor | None = None
        self._queue: Any = None
        self._lock = threading.Lock()
        self._usage = threading.local()  # per calling thread: two flows may share one worker object
        _all_workers.add(self)

    @property
    def last_usage(self) -> Usage | None:
        """Wall and CPU seconds of the last run this thread made (None before any)."""
        return getattr(self._usage, "last", None)

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: forking a process whose model libraries already started threads can deadlock.
            context = multiprocessing.get_context("spawn")
            # A SimpleQueue's put writes to the pipe before returning (a Queue hands it to a feeder
            # thread), so every progress call is readable by the time the stage's result arrives.
            self._queue = context.SimpleQueue()
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_init_child, initargs=(self._queue, os.getpid())
            )
        return self._pool

    def run(
        self,
        fn: Callable[..., T],
        *args: Any,
        timeout: float,
        on_progress: Callable[[float, float], None] | None = None,
        **kwargs: Any,
    ) -> T:
        """``fn(*args, **kwargs)`` in the child; StageTimeoutError after ``timeout`` s.

        With ``on_progress``, ``fn`` also gets a ``progress`` callback whose calls reach ``on_progress``.
        """
        self._usage.last = None
        started = time.monotonic()
        with self._lock:
            future = self._ensure_pool().submit(_call_in_child, fn, args, kwargs, on_progress is not None)
            progress_queue = self._queue
        deadline = started + timeout
        while True:
            try:
                result, cpu_seconds = future.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                self._drain(progress_queue, on_progress)
                if time.monotonic() > deadline:
                    self.stop()
                    raise StageTimeoutError(
                        f"{self.name} ran past its limit of {timeout:.0f} s and was stopped") from None
                continue
            except BaseException:
                self._forget_broken_pool()
                raise
            self._drain(progress_queue, on_progress)
            self._usage.last = Usage(seconds=time.monotonic() - started, cpu_seconds=cpu_seconds)
            return result

    @staticmethod
    def _drain(progress_queue: Any, on_progress: Callable[[float, float], None] | None) -> None:
        while not progress_queue.empty():
            done, total = progress_queue.get()
            if on_progress:
                on_progress(done, total)

    def _forget_broken_pool(self) -> None:
        # A child that died (killed, out of memory) leaves a broken pool: start afresh next time.
        pool = self._pool
        if pool is not None and getattr(pool, "_broken", False):
            self.stop()

    def stop(self) -> None:
        """Kill the child now (a running stage included)."""
        with self._lock:
            pool, self._pool = self._pool, None
            if pool is None:
                return
            for process in list((pool._processes or {}).values()):  # no public way to kill a busy worker
                process.kill()
            pool.shutdown(wait=True, cancel_futures=True)
