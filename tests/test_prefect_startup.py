"""`podpipe run` starts Prefect's temporary server itself: one start per Prefect home at a time, retried,
so that a slow start on a loaded machine with a fresh Prefect home is waited for, not a lost run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.server.api import server as prefect_server_module

from podpipe.prefect_server import ServerStartError, start_temporary_server

RUN_A_FLOW = """
import sys, time
from pathlib import Path
from podpipe.prefect_server import start_temporary_server
started = time.perf_counter()
start_temporary_server(Path(sys.argv[1]), timeout=180)
from prefect import flow

@flow
def hello() -> int:
    return 1

assert hello() == 1
print(f"ok {time.perf_counter() - started:.1f}")
"""


class FailingServer:
    """Prefect's temporary server that fails to start ``failures`` times."""

    failures = 0
    starts = 0
    stops = 0

    def start(self, timeout: int | None = None) -> None:
        type(self).starts += 1
        if type(self).starts <= type(self).failures:
            raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.\nstdout: ...")

    def stop(self) -> None:
        type(self).stops += 1


@pytest.fixture
def failing_server(monkeypatch: pytest.MonkeyPatch) -> type[FailingServer]:
    FailingServer.starts = FailingServer.stops = 0
    monkeypatch.setattr(prefect_server_module, "SubprocessASGIServer", FailingServer)
    return FailingServer


def test_a_failed_start_is_tried_again(failing_server: type[FailingServer], tmp_path: Path) -> None:
    failing_server.failures = 2
    start_temporary_server(tmp_path / "home", timeout=5, attempts=3)
    assert failing_server.starts == 3 and failing_server.stops == 2, "each failed start is cleared before the next"


def test_a_server_that_never_starts_is_one_clear_error(failing_server: type[FailingServer], tmp_path: Path) -> None:
    failing_server.failures = 99
    with pytest.raises(ServerStartError) as caught:
        start_temporary_server(tmp_path / "home", timeout=5, attempts=3)
    message = str(caught.value)
    assert "3 tries" in message and str(tmp_path / "home") in message and "\n" not in message


def test_several_runs_with_a_fresh_prefect_home_on_a_loaded_machine_all_start(tmp_path: Path) -> None:
    home = tmp_path / "fresh-prefect-home"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_API")} | {
        "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    # Both cores busy, as when another episode is being transcribed.
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        runs = [subprocess.Popen([sys.executable, "-c", RUN_A_FLOW, str(home)], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(3)]
        outcomes = [(run.wait(timeout=540), *run.communicate()) for run in runs]
    finally:
        for burner in burners:
            burner.kill()
    for code, stdout, stderr in outcomes:
        assert code == 0 and stdout.startswith("ok"), stderr[-2000:]
