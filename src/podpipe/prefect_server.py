"""The local Prefect server that ``podpipe serve`` starts and supervises (no Prefect import here).

Prefect's temporary server, which a flow starts by itself when no ``PREFECT_API_URL`` is set, runs
none of the server's services: no scheduler, so a served flow never runs, and no lease repossessor,
so concurrency slots of a killed holder never come back. ``podpipe serve`` therefore runs
``prefect server start`` as a child process: bound to 127.0.0.1, its SQLite database in the Prefect
home, all services on, concurrency leases kept on disk (so that after a crash of the whole thing the
restarted server still knows, and repossesses, the slots the dead processes held).

Files in the Prefect home: ``podpipe-serve.lock`` (held by the one live ``podpipe serve``),
``podpipe-server.json`` (the server's PID, start time and port, for ``podpipe status`` and for
clearing a server left behind by a killed serve) and ``podpipe-server.log`` (the server's output).

``podpipe run`` uses Prefect's temporary server, but starts it itself (``start_temporary_server``):
one at a time per Prefect home, with retries, so that a slow start is waited for, not a lost run.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Self

from filelock import FileLock, Timeout

from podpipe.config import project_root
from podpipe.errors import PodpipeError
from podpipe.files import write_text_atomic
from podpipe.lifetime import is_running, kill_group, start_time

HOST = "127.0.0.1"
STATE_FILE = "podpipe-server.json"
LOCK_FILE = "podpipe-serve.lock"
LOG_FILE = "podpipe-server.log"
TEMPORARY_START_LOCK = "podpipe-temporary-server.lock"
TEMPORARY_START_ATTEMPTS = 3
LEASE_STORAGE = "prefect.server.concurrency.lease_storage.filesystem"
PR_SET_PDEATHSIG = 1


class ServeAlreadyRunningError(PodpipeError):
    """Another ``podpipe serve`` holds this Prefect home."""


class ServerStartError(PodpipeError):
    """The Prefect server did not come up."""


def prefect_home() -> Path:
    """``$PREFECT_HOME``, else the project's own ``.prefect/`` (results, caches, the server's database)."""
    return Path(os.environ.get("PREFECT_HOME") or project_root() / ".prefect").expanduser()


def ui_url(port: int) -> str:
    """Where the Prefect UI of a server on this machine's loopback is (its API is under ``/api``)."""
    return f"http://{HOST}:{port}"


def api_url(port: int) -> str:
    """The API of that server (``PREFECT_API_URL``)."""
    return f"{ui_url(port)}/api"


@dataclass(frozen=True)
class ServerRecord:
    pid: int
    started: int | None  # the server's start time (clock ticks since boot): a reused PID is not it
    port: int
    serve_pid: int

    @property
    def ui_url(self) -> str:
        return ui_url(self.port)

    @property
    def api_url(self) -> str:
        return api_url(self.port)

    def is_running(self) -> bool:
        return is_running(self.pid, self.started)


def read_record(home: Path) -> ServerRecord | None:
    try:
        return ServerRecord(**json.loads((home / STATE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def live_server(home: Path) -> ServerRecord | None:
    """The server a live ``podpipe serve`` started in ``home``, if there is one."""
    record = read_record(home)
    return record if record is not None and record.is_running() else None


def is_healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _end_with_parent() -> None:  # runs in the child between fork and exec
    # Linux: the server gets SIGTERM when `podpipe serve` dies, kill -9 included. Elsewhere the
    # record in the Prefect home lets the next serve clear it.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class LocalPrefectServer:
    """``with LocalPrefectServer(home) as server:`` a healthy server at ``server.api_url``, stopped after."""

    def __init__(self, home: Path, port: int = 4200, startup_timeout: float = 180.0) -> None:
        self.home = home
        self.requested_port = port  # 0: any free port
        self.startup_timeout = startup_timeout
        self.port = port
        self.notes: list[str] = []  # what the user should know (a stale server cleared, another port)
        self._lock = FileLock(home / LOCK_FILE, thread_local=False)
        self._process: subprocess.Popen | None = None

    @property
    def ui_url(self) -> str:
        return ui_url(self.port)

    @property
    def api_url(self) -> str:
        return api_url(self.port)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=0)
        except Timeout as error:
            record = read_record(self.home)
            where = f"; its Prefect UI is at {record.ui_url}" if record else ""
            raise ServeAlreadyRunningError(
                f"podpipe serve is already running with the Prefect home {self.home}{where}"
            ) from error
        try:
            self._clear_stale()
            self.port = self._choose_port()
            self._spawn()
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _clear_stale(self) -> None:
        """A server recorded here whose serve is gone (we hold the lock now): stop it."""
        record = read_record(self.home)
        if record is None:
            return
        if record.is_running():
            self.notes.append(f"stopped the Prefect server (pid {record.pid}) left behind by a killed podpipe serve")
            kill_group(record.pid, record.started)
        (self.home / STATE_FILE).unlink(missing_ok=True)

    def _choose_port(self) -> int:
        if self.requested_port == 0:
            return free_port()
        if port_is_free(self.requested_port):
            return self.requested_port
        port = free_port()
        self.notes.append(f"port {self.requested_port} is in use by another program; the server uses {port}")
        return port

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PREFECT_API_URL", None)
        env.update({
            "PREFECT_HOME": str(self.home),
            "PREFECT_SERVER_API_HOST": HOST,
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_UI_API_URL": self.api_url,
        })
        env.setdefault("PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", LEASE_STORAGE)
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        return env

    def _spawn(self) -> None:
        log = (self.home / LOG_FILE).open("ab")
        command = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(self.port)]
        try:
            # Its own session: stopping it stops all of it, and Ctrl-C in serve's terminal does
            # not reach it before serve has finished with it.
            # preexec_fn is safe here: serve starts its server before Prefect (and its threads) is loaded.
            self._process = subprocess.Popen(
                command, env=self._environment(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_end_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            )
        finally:
            log.close()
        record = ServerRecord(pid=self._process.pid, started=start_time(self._process.pid), port=self.port,
                              serve_pid=os.getpid())
        write_text_atomic(self.home / STATE_FILE, json.dumps(asdict(record)) + "\n")

    def _wait_until_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerStartError(
                    f"the Prefect server exited with code {self._process.returncode}:\n{self.log_tail()}"
                )
            if is_healthy(self.api_url):
                return
            time.sleep(0.5)
        raise ServerStartError(f"the Prefect server was not healthy after {self.startup_timeout:.0f} s:\n"
                               f"{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.home / LOG_FILE).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL), forget its record, let another serve start."""
        process, self._process = self._process, None
        if process is not None:
            kill_group(process.pid, start_time(process.pid))
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            record = read_record(self.home)
            if record is not None and record.pid == process.pid:
                (self.home / STATE_FILE).unlink(missing_ok=True)
        if self._lock.is_locked:
            self._lock.release()


def start_temporary_server(home: Path, timeout: float, attempts: int = TEMPORARY_START_ATTEMPTS) -> None:
    """Start, in this process, the temporary Prefect server a flow run would start by itself; the
    flow run then uses it (Prefect keeps one per process) and it stops when the process exits.

    Prefect's own start gives up after one try, and on a loaded machine with a fresh Prefect home
    one run of three failed so ("Timed out while attempting to connect to ephemeral Prefect API
    server"): the runs' servers all created the same new database at once. Here the start holds a
    lock in the Prefect home (one server starting per home at a time) and is tried ``attempts``
    times, each with ``timeout`` seconds, before a one-line ServerStartError.
    """
    # Prefect is imported here, not at the top: `podpipe serve` uses this module before Prefect loads.
    from prefect.server.api.server import SubprocessASGIServer

    home.mkdir(parents=True, exist_ok=True)
    reason = ""
    for _ in range(attempts):
        server = SubprocessASGIServer()
        try:
            with FileLock(home / TEMPORARY_START_LOCK, timeout=timeout * attempts):
                server.start(timeout=max(1, round(timeout)))
            return
        except (RuntimeError, OSError, Timeout) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            server.stop()  # a half-started server goes before the next try
    raise ServerStartError(f"Prefect's temporary server did not start in {attempts} tries of {timeout:.0f} s "
                           f"(Prefect home {home}): {reason}")
