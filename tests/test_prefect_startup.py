"""`podpipe run` starts Prefect's temporary server itself, before Prefect loads: one start per Prefect
home at a time, retried, so that a slow start on a loaded machine with a fresh Prefect home is waited
for, not a lost run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from podpipe import prefect_server
from podpipe.prefect_server import (
    TEMPORARY_SERVER_ENV,
    ServerStartError,
    TemporaryPrefectServer,
    seed_database,
    users_prefect_server,
)

RUN_A_FLOW = """
import sys, time
from pathlib import Path
from podpipe.prefect_server import TemporaryPrefectServer
started = time.perf_counter()
server = TemporaryPrefectServer(Path(sys.argv[1]), timeout=180)
server.spawn()
from prefect import flow

@flow
def hello() -> int:
    return 1

server.wait()
assert hello() == 1
print(f"ok {time.perf_counter() - started:.1f}")
"""


class StandInServer(TemporaryPrefectServer):
    """A server whose first ``failures`` starts exit at once; the others serve ``/api/health``
    (a tiny static HTTP server), so the retries are tested without Prefect's start-up time."""

    def __init__(self, home: Path, failures: int, **kwargs: float) -> None:
        super().__init__(home, **kwargs)
        self.failures = failures
        self.commands: list[str] = []
        (home / "static" / "api").mkdir(parents=True, exist_ok=True)
        (home / "static" / "api" / "health").write_text("true")

    def command(self) -> list[str]:
        if len(self.commands) < self.failures:
            self.commands.append("fails")
            return [sys.executable, "-c", "import sys; print('address already in use'); sys.exit(1)"]
        self.commands.append("serves")
        return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory",
                str(self.home / "static"), str(self.port)]


@pytest.fixture(autouse=True)
def _keep_api_url() -> Iterator[None]:
    """spawn() sets PREFECT_API_URL: the tests after these must not inherit a stand-in's address."""
    names = ("PREFECT_API_URL", TEMPORARY_SERVER_ENV)
    before = {name: os.environ.pop(name, None) for name in names}
    yield
    for name in names:
        os.environ.pop(name, None)
        if before[name] is not None:
            os.environ[name] = before[name]


def test_a_failed_start_is_tried_again(tmp_path: Path) -> None:
    server = StandInServer(tmp_path / "home", failures=2, timeout=20, attempts=3)
    server.spawn()
    try:
        assert os.environ["PREFECT_API_URL"] == f"http://127.0.0.1:{server.port}/api"
        # A run's own server has no services: no work pool, no concurrency leases on it.
        assert users_prefect_server() is None
        server.wait()
        assert server.commands == ["fails", "fails", "serves"]
        assert not server._lock.is_locked, "the next run's start may begin"
    finally:
        server.stop()
    assert server._process is None


def test_a_fresh_prefect_home_starts_from_the_migrated_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "prefect-template.db"
    monkeypatch.setattr(prefect_server, "database_template", lambda: template)
    monkeypatch.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    assert not seed_database(home), "no template (pip install without make setup): Prefect migrates itself"
    template.write_bytes(b"migrated")
    assert seed_database(home) and (home / "prefect.db").read_bytes() == b"migrated"
    (home / "prefect.db").write_bytes(b"the user's flow runs")
    assert not seed_database(home) and (home / "prefect.db").read_bytes() == b"the user's flow runs"
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", "postgresql+asyncpg://db/prefect")
    assert not seed_database(other) and not (other / "prefect.db").exists()


def test_a_server_the_user_names_is_theirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    assert users_prefect_server() == "http://prefect.example:4200/api"


def test_a_server_that_never_starts_is_one_clear_error(tmp_path: Path) -> None:
    server = StandInServer(tmp_path / "home", failures=99, timeout=20, attempts=3)
    server.spawn()
    with pytest.raises(ServerStartError) as caught:
        server.wait()
    message = str(caught.value)
    assert "3 tries" in message and str(tmp_path / "home") in message and "\n" not in message
    assert "exited with code 1" in message and "podpipe-temporary-server.log" in message
    assert "address already in use" in server.log_file.read_text(), "the server's output is kept for the user"


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
