"""Stage workers: a stage past its limit is really stopped, progress comes back, errors keep their type."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from podpipe.errors import InvalidInputError, StageTimeoutError
from podpipe.worker import StageWorker


def block_forever(seconds: float) -> None:
    time.sleep(seconds)  # blocking, like model code in C: a thread could not be interrupted here


def count(to: int, progress) -> int:  # noqa: ANN001
    for done in range(1, to + 1):
        progress(done, to)
    return to


def refuse(path: str) -> None:
    raise InvalidInputError(Path(path), "not a readable audio file")


@pytest.fixture
def worker():
    stage_worker = StageWorker("test stage")
    yield stage_worker
    stage_worker.stop()


def test_a_stage_past_its_limit_is_stopped_and_the_worker_replaced(worker: StageWorker) -> None:
    started = time.monotonic()
    with pytest.raises(StageTimeoutError, match="test stage ran past its limit of 1 s"):
        worker.run(block_forever, 300, timeout=1.0)
    assert time.monotonic() - started < 60, "stopped, not waited out"
    assert worker.run(count, 3, timeout=60, on_progress=lambda d, t: None) == 3, "a fresh child takes over"


def test_progress_reaches_the_caller_and_errors_keep_their_type(worker: StageWorker) -> None:
    seen: list[tuple[float, float]] = []
    assert worker.run(count, 4, timeout=60, on_progress=lambda done, total: seen.append((done, total))) == 4
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    with pytest.raises(InvalidInputError) as caught:
        worker.run(refuse, "/x/ep.mp3", timeout=60)
    assert caught.value.path == Path("/x/ep.mp3") and caught.value.reason == "not a readable audio file"


def spin(seconds: float) -> int:
    end, turns = time.process_time() + seconds, 0
    while time.process_time() < end:
        turns += 1
    return turns


def test_a_run_reports_its_wall_and_cpu_time(worker: StageWorker) -> None:
    assert worker.last_usage is None
    worker.run(spin, 0.3, timeout=60)
    usage = worker.last_usage
    assert usage is not None and usage.cpu_seconds >= 0.25 and usage.seconds >= usage.cpu_seconds * 0.5
