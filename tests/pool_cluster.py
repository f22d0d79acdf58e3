"""Several machines on one: a Prefect server and a catalogue on fresh PostgreSQL databases, and
``podpipe worker`` processes that each stand for a machine (own work folder, Prefect home and CPU
slot name), sharing the inbox, output and result-storage folders as a network mount would.

Used by tests/test_pool.py and bench/pool_bench.py. The commands are the ones deploy/compose.yaml
documents: ``prefect server start``, ``podpipe worker --pool``, ``podpipe watch --once``, ``podpipe status``.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POOL = "podpipe-test"
# Six episodes of one or two read utterances each (3 to 9 s): short, so that the test is about the
# orchestration, not the models.
EPISODES = [
    ["nl_rhasspy_565_1602084063"],
    ["nl_rhasspy_1145_1601730588", "nl_rhasspy_516_1602169927"],
    ["nl_rhasspy_1120_1601731228"],
    ["nl_rhasspy_536_1602084422", "nl_rhasspy_1004_1601817762"],
    ["nl_rhasspy_1038_1601732757"],
    ["nl_rhasspy_104_1602426725", "nl_rhasspy_1053_1601732460"],
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """``with Cluster(root, postgres) as cluster:`` a server up; ``start_worker``, ``scan``, ``runs``."""

    def __init__(self, root: Path, postgres: str, lost_after_seconds: int = 50) -> None:
        self.root = root
        self.postgres = postgres  # postgresql://user:password@host:port
        suffix = secrets.token_hex(4)
        # Fresh databases: idempotency keys live on in Prefect's, and audio would be "done" in an old catalogue.
        self.databases = [f"podpipe_pool_{suffix}_prefect", f"podpipe_pool_{suffix}_catalog"]
        self.port = _free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.shared = root / "shared"  # what a network mount would hold
        self.inbox = self.shared / "inbox"
        self.output = self.shared / "output"
        self.workers: dict[str, subprocess.Popen] = {}
        self._server: subprocess.Popen | None = None
        self.env = os.environ | {
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_LOCAL_STORAGE_PATH": str(self.shared / "results"),  # the stages' cached results
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "PODPIPE_CATALOG__URL": self._url(self.databases[1], "psycopg"),
            "PODPIPE_PATHS__INBOX": str(self.inbox),
            "PODPIPE_PATHS__OUTPUT": str(self.output),
            "PODPIPE_PATHS__FAILED": str(self.shared / "failed"),
            "PODPIPE_INBOX__SETTLE_SECONDS": "0",
            "PODPIPE_POOL__NAME": POOL,
            "PODPIPE_POOL__LOST_AFTER_SECONDS": str(lost_after_seconds),
            "HF_HUB_OFFLINE": "1",
        }

    def _url(self, database: str, driver: str) -> str:
        return f"{self.postgres.replace('postgresql://', f'postgresql+{driver}://')}/{database}"

    def __enter__(self) -> Cluster:
        with psycopg.connect(f"{self.postgres}/postgres", autocommit=True) as connection:
            for database in self.databases:
                connection.execute(f"CREATE DATABASE {database}")
        try:
            self._start_server()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def machine_env(self, name: str) -> dict[str, str]:
        (self.root / name / "prefect").mkdir(parents=True, exist_ok=True)
        return self.env | {
            "PREFECT_HOME": str(self.root / name / "prefect"),
            "PODPIPE_PATHS__WORK": str(self.work_dir(name)),
            "PODPIPE_MACHINE": name,
        }

    def work_dir(self, name: str) -> Path:
        return self.root / name / "work"

    def _start_server(self) -> None:
        database = self._url(self.databases[0], "asyncpg")
        env = self.machine_env("server") | {"PREFECT_API_DATABASE_CONNECTION_URL": database}
        log = (self.root / "server.log").open("ab")
        self._server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self._server.poll() is not None:
                break
            time.sleep(1)
        raise RuntimeError("the Prefect server did not start:\n" + (self.root / "server.log").read_text()[-3000:])

    def start_worker(self, name: str) -> subprocess.Popen:
        """``podpipe worker --pool`` in its own session (so that kill_worker takes all of it, as a
        machine that dies would)."""
        log = (self.root / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [str(BIN / "podpipe"), "worker", "--pool", POOL, "--name", name],
            env=self.machine_env(name), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO,
        )
        self.workers[name] = process
        return process

    def wait_for_workers(self, *names: str, timeout: float = 180) -> None:
        """Until every named worker has polled the pool (it then has set the deployment up too)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name in names:
                if self.workers[name].poll() is not None:
                    raise RuntimeError(f"worker {name} exited:\n{self.log(name)}")
            try:
                online = {w["name"] for w in self.post(f"/work_pools/{POOL}/workers/filter", {})
                          if w["status"] == "ONLINE"}
            except httpx.HTTPStatusError:
                online = set()
            if set(names) <= online:
                return
            time.sleep(1)
        raise RuntimeError(f"workers {names} did not come online")

    def kill_worker(self, name: str) -> None:
        """kill -9 of the worker and everything it started."""
        process = self.workers[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def podpipe(self, *args: str, machine: str = "scanner", timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "podpipe"), *args], env=self.machine_env(machine), capture_output=True,
                              text=True, timeout=timeout, cwd=REPO)

    def scan(self, machine: str = "scanner") -> subprocess.CompletedProcess:
        done = self.podpipe("watch", "--once", machine=machine)
        if done.returncode != 0:
            raise RuntimeError(f"scan failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.api}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def runs(self) -> list[dict[str, Any]]:
        """Every run of the episode deployment."""
        response = httpx.get(f"{self.api}/deployments/name/process_episode/podpipe-episode", timeout=30)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return self.post("/flow_runs/filter", {"deployments": {"id": {"any_": [response.json()["id"]]}}})

    def states(self, run_id: str) -> list[str]:
        """The run's state history, oldest first, by name."""
        history = httpx.get(f"{self.api}/flow_run_states/", params={"flow_run_id": run_id}, timeout=30).json()
        return [state["name"] for state in sorted(history, key=lambda s: s["timestamp"])]

    def wait_until(self, predicate: Any, timeout: float, what: str, poll: float = 1.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            for name, process in self.workers.items():
                if process.poll() is not None and process.returncode != -signal.SIGKILL:
                    raise RuntimeError(f"worker {name} exited with {process.returncode}:\n{self.log(name)}")
            time.sleep(poll)
        raise TimeoutError(f"timed out waiting for {what}; runs: "
                           + ", ".join(f"{r['name']} {r['state_name']}" for r in self.runs()))

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def close(self) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.workers.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self._server is not None:
            os.killpg(self._server.pid, signal.SIGTERM)
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._server.pid, signal.SIGKILL)
        with psycopg.connect(f"{self.postgres}/postgres", autocommit=True) as connection:
            for database in self.databases:
                connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
