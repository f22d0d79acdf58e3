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

``podpipe run`` uses Prefect's temporary server, but starts it itself (``TemporaryPrefectServer``):
at once, one at a time per Prefect home, with retries, so that a slow start is waited for, not a lost run.

A fresh Prefect home has no database, and Prefect builds one by running all its migrations: 10 s of the
12 s a first ``podpipe run`` took to start. ``make setup`` builds that database once
(``python -m podpipe.prefect_server``) as a template beside the installed Prefect; a server started on a
home without a database gets a copy of it, and Prefect then finds nothing left to migrate.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from importlib import metadata
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
TEMPORARY_LOG_FILE = "podpipe-temporary-server.log"
TEMPORARY_SERVER_ENV = "PODPIPE_TEMPORARY_PREFECT_API_URL"  # PREFECT_API_URL, when it is a run's own server
TEMPORARY_START_ATTEMPTS = 3
LEASE_STORAGE = "prefect.server.concurrency.lease_storage.filesystem"
PR_SET_PDEATHSIG = 1


DATABASE_FILE = "prefect.db"  # Prefect's SQLite database in its home, unless a database URL is set
DATABASE_URL_SETTING = "PREFECT_API_DATABASE_CONNECTION_URL"


def database_template() -> Path:
    """Where ``make setup`` leaves a migrated, empty Prefect database for this environment's Prefect."""
    return Path(sys.prefix) / "share" / "podpipe" / f"prefect-{metadata.version('prefect')}.db"


def build_database_template() -> Path:
    """Migrate an empty Prefect database in a scratch home and keep it as :func:`database_template`."""
    template = database_template()
    if template.exists():
        return template
    template.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"PREFECT_HOME": scratch}
        subprocess.run([sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"], env=env,
                       check=True, stdin=subprocess.DEVNULL, capture_output=True)  # fmt: skip
        partial = template.with_suffix(".partial")
        shutil.copyfile(Path(scratch) / DATABASE_FILE, partial)
        os.replace(partial, template)
    return template


def seed_database(home: Path) -> bool:
    """Give a Prefect home without a database a copy of the template (when there is one and Prefect
    uses its default SQLite file); whether it did. The caller holds the home's start lock."""
    database = home / DATABASE_FILE
    template = database_template()
    if os.environ.get(DATABASE_URL_SETTING) or database.exists() or not template.exists():
        return False
    partial = home / f".{DATABASE_FILE}.partial"
    shutil.copyfile(template, partial)
    os.replace(partial, database)
    return True


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


def users_prefect_server() -> str | None:
    """PREFECT_API_URL when it names a server of the user's (with all its services), not the temporary
    server a ``podpipe run`` started for itself: only then work pools and concurrency leases apply."""
    api = os.environ.get("PREFECT_API_URL")
    return api if api and api != os.environ.get(TEMPORARY_SERVER_ENV) else None


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


def _end_server_process(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL if it lingers, and reap it."""
    kill_group(process.pid, start_time(process.pid))
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
            seed_database(self.home)
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
            _end_server_process(process)
            record = read_record(self.home)
            if record is not None and record.pid == process.pid:
                (self.home / STATE_FILE).unlink(missing_ok=True)
        if self._lock.is_locked:
            self._lock.release()


class TemporaryPrefectServer:
    """Prefect's temporary server for one ``podpipe run``, started by podpipe before Prefect loads.

    What a flow would start by itself without ``PREFECT_API_URL`` (the same uvicorn app, UI and
    services off), but begun at once, so the server's start-up overlaps this process's imports
    (Prefect's own start waits until the flow is called, and imports its server module first), and
    made robust: one start per Prefect home at a time (runs with a fresh home would all create its
    database at once: one of three failed so on a loaded machine) and ``attempts`` tries of
    ``timeout`` seconds, then one line naming the Prefect home and the reason.

    ``spawn()`` (before Prefect is imported: it sets ``PREFECT_API_URL``), import, ``wait()``; the
    server stops when this process exits (kill -9 included, on Linux).
    """

    def __init__(self, home: Path, timeout: float, attempts: int = TEMPORARY_START_ATTEMPTS) -> None:
        self.home = home
        self.timeout = timeout
        self.attempts = attempts
        # Chosen once: Prefect reads PREFECT_API_URL when it loads, so a retry uses the same port.
        self.port = free_port()
        self._lock = FileLock(home / TEMPORARY_START_LOCK, thread_local=False)
        self._process: subprocess.Popen | None = None
        self._tries = 0

    @property
    def api_url(self) -> str:
        return api_url(self.port)

    @property
    def log_file(self) -> Path:
        return self.home / TEMPORARY_LOG_FILE

    def command(self) -> list[str]:
        """The command Prefect runs for its temporary server (``SubprocessASGIServer``)."""
        return [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
                "--host", HOST, "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]

    def spawn(self) -> None:
        """Start the server's process and return at once; ``PREFECT_API_URL`` now names it."""
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=self.timeout * self.attempts)
        except Timeout as error:
            raise self._error(f"another run held {self._lock.lock_file}") from error
        seed_database(self.home)
        self._start_process()
        os.environ["PREFECT_API_URL"] = os.environ[TEMPORARY_SERVER_ENV] = self.api_url
        # Stopped at exit, not when the flow returns: Prefect sends its last logs and events to it
        # from threads it drains as the interpreter shuts down (before atexit); a server stopped
        # earlier left them retrying for a minute.
        atexit.register(self.stop)

    def _start_process(self) -> None:
        self._tries += 1
        env = dict(os.environ) | {"PREFECT_HOME": str(self.home), "PREFECT_UI_ENABLED": "0",
                                  "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        env.pop("PREFECT_API_URL", None)
        env.pop(TEMPORARY_SERVER_ENV, None)
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        with self.log_file.open("ab") as log:
            # preexec_fn is safe here: the run spawns its server before Prefect (and its threads) is loaded.
            self._process = subprocess.Popen(
                self.command(), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_end_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            )

    def wait(self) -> None:
        """Until the server answers, starting it again after a failed try; ServerStartError after the last."""
        try:
            while True:
                reason = self._healthy_or_reason()
                if reason is None:
                    return
                self._stop_process()  # a half-started server goes before the next try
                if self._tries >= self.attempts:
                    raise self._error(f"{reason} (its output: {self.log_file})")
                self._start_process()
        finally:
            if self._lock.is_locked:
                self._lock.release()

    def _healthy_or_reason(self) -> str | None:
        assert self._process is not None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return f"the server exited with code {self._process.returncode}"
            if is_healthy(self.api_url, timeout=1.0):
                return None
            time.sleep(0.1)
        return f"no answer after {self.timeout:.0f} s"

    def _error(self, reason: str) -> ServerStartError:
        return ServerStartError(f"Prefect's temporary server did not start in {self._tries} tries of "
                                f"{self.timeout:.0f} s (Prefect home {self.home}): {reason}")

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            _end_server_process(process)

    def stop(self) -> None:
        self._stop_process()
        if self._lock.is_locked:
            self._lock.release()


if __name__ == "__main__":  # ``make setup``: the migrated database a fresh Prefect home starts from
    print(build_database_template())
