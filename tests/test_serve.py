"""`podpipe serve` unattended: its own Prefect server, the schedule really firing, kill -9 and restart."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from filelock import FileLock

from conftest import podpipe_command, run_podpipe
from podpipe.catalog import Catalog
from podpipe.claims import EpisodeBusyError, claim_episode, is_claimed
from podpipe.lifetime import is_running, start_time
from podpipe.prefect_server import (
    LOCK_FILE,
    STATE_FILE,
    LocalPrefectServer,
    ServeAlreadyRunningError,
    free_port,
    port_is_free,
    read_record,
)

UTTERANCES = [
    "nl_rhasspy_1120_1601731228", "nl_rhasspy_565_1602084063", "nl_rhasspy_536_1602084422",
    "nl_rhasspy_1145_1601730588", "nl_rhasspy_516_1602169927", "nl_rhasspy_1004_1601817762",
    "nl_rhasspy_1038_1601732757", "nl_rhasspy_104_1602426725", "nl_rhasspy_1053_1601732460",
]


def wait_for(condition, timeout: float, what: str, poll: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def processes_with_env(name: str, value: str) -> list[int]:
    needle = f"{name}={value}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0") and not _zombie(int(proc.name)):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _zombie(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2:].startswith("Z")


# --- without models or a server ---------------------------------------------------------------

def _listener(port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A process holding ``port``, standing for a Prefect server left behind by a killed serve."""
    code = ("import socket, time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            f"s.bind(('127.0.0.1', {port})); s.listen(); print('up', flush=True); time.sleep(300)")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                               start_new_session=True, env=env)
    assert process.stdout.readline().strip() == "up"
    return process


def test_a_server_left_by_a_killed_serve_is_stopped_and_its_port_taken_again(tmp_path: Path) -> None:
    port = free_port()
    stale = _listener(port)
    (tmp_path / STATE_FILE).write_text(json.dumps(
        {"pid": stale.pid, "started": start_time(stale.pid), "port": port, "serve_pid": 999_999}))
    assert not port_is_free(port)

    server = LocalPrefectServer(tmp_path, port=port)
    server._clear_stale()
    stale.wait(timeout=20)
    assert read_record(tmp_path) is None
    assert server._choose_port() == port, "the port the killed run had is free again"
    assert any("left behind" in note for note in server.notes)


def test_a_recorded_pid_now_used_by_another_process_is_left_alone(tmp_path: Path) -> None:
    other = _listener(free_port())
    try:
        (tmp_path / STATE_FILE).write_text(json.dumps(
            {"pid": other.pid, "started": start_time(other.pid) - 1, "port": 1, "serve_pid": 999_999}))
        LocalPrefectServer(tmp_path)._clear_stale()
        time.sleep(0.5)
        assert other.poll() is None and is_running(other.pid, start_time(other.pid))
    finally:
        os.killpg(other.pid, signal.SIGKILL)
        other.wait()


def test_a_busy_port_falls_back_to_a_free_one(tmp_path: Path) -> None:
    port = free_port()
    holder = _listener(port)
    try:
        server = LocalPrefectServer(tmp_path, port=port)
        chosen = server._choose_port()
        assert chosen != port and port_is_free(chosen)
        assert any(str(port) in note for note in server.notes)
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()


def test_a_second_serve_on_the_same_prefect_home_is_refused(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text(json.dumps({"pid": 1, "started": None, "port": 4321, "serve_pid": 2}))
    live_serve = FileLock(tmp_path / LOCK_FILE, thread_local=False)
    with live_serve, pytest.raises(ServeAlreadyRunningError, match="127.0.0.1:4321"):
        LocalPrefectServer(tmp_path, port=0).start()
    assert read_record(tmp_path).pid == 1, "the live serve's record is untouched"


def test_an_episode_claim_holds_across_processes_and_dies_with_its_holder(tmp_path: Path) -> None:
    code = (f"import sys, time; sys.path.insert(0, {str(Path(__file__).parents[1] / 'src')!r}); "
            "from pathlib import Path; from podpipe.claims import claim_episode\n"
            f"with claim_episode(Path({str(tmp_path)!r}), 'abc'):\n    print('held', flush=True); time.sleep(300)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert is_claimed(tmp_path, "abc")
        with pytest.raises(EpisodeBusyError, match="already being processed"), claim_episode(tmp_path, "abc"):
            pass
    finally:
        holder.kill()  # kill -9: the kernel drops the lock
        holder.wait()
    assert not is_claimed(tmp_path, "abc")
    with claim_episode(tmp_path, "abc"):  # the dead holder's claim is free at once
        pass


def test_a_child_watching_its_parent_ends_when_the_parent_is_killed(tmp_path: Path) -> None:
    src = str(Path(__file__).parents[1] / "src")
    child = (f"import sys, time; sys.path.insert(0, {src!r}); from podpipe.lifetime import exit_when_parent_dies; "
             "exit_when_parent_dies(poll_seconds=0.1); print('watching', flush=True); time.sleep(300)")
    parent = ("import subprocess, sys, time; "
              f"p = subprocess.Popen([sys.executable, '-c', {child!r}]); print(p.pid, flush=True); time.sleep(300)")
    process = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    child_pid = int(process.stdout.readline())
    assert process.stdout.readline().strip() == "watching"
    child_started = start_time(child_pid)
    process.kill()
    process.wait()
    wait_for(lambda: not is_running(child_pid, child_started) or _zombie(child_pid), 10, "the orphan to exit")


def test_a_flow_in_a_multiprocessing_child_exits_although_its_stage_worker_lives_in_a_global(tmp_path: Path) -> None:
    # The shape of a scan served by `podpipe serve`: Prefect's runner starts it as a spawned child.
    code = f"""
import multiprocessing, sys
sys.path.insert(0, {str(Path(__file__).parents[1] / 'src')!r})
def scan():
    global worker
    from podpipe.worker import StageWorker
    worker = StageWorker("test stage")
    print(worker.run(pow, 2, 5, timeout=60), flush=True)
if __name__ == "__main__":
    child = multiprocessing.get_context("spawn").Process(target=scan)
    child.start()
    child.join(30)
    print("exited" if not child.is_alive() else "still there", flush=True)
    child.kill()
"""
    script = tmp_path / "served_scan.py"  # a file: spawn imports the child's function from it
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=90, check=False)
    assert done.stdout.split() == ["32", "exited"], done.stdout + done.stderr[-2000:]


# --- the real thing: a Prefect server, the schedule, the models ---------------------------------

@pytest.fixture
def serve_env(environment: dict[str, str], tmp_path: Path) -> dict[str, str]:
    env = environment | {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PODPIPE_PATHS__WORK": str(tmp_path / "work"),
        "PODPIPE_PATHS__FAILED": str(tmp_path / "failed"),
        "PODPIPE_INBOX__SETTLE_SECONDS": "1.0",
        "PODPIPE_INBOX__INTERVAL_MINUTES": "0.1",  # a scan every 6 s
        "PODPIPE_SERVE__PORT": "0",
    }
    env.pop("PREFECT_API_URL", None)
    return env


class Serve:
    """``podpipe serve`` as a producer starts it, in its own process group, its output in a file."""

    def __init__(self, env: dict[str, str], inbox: Path, output: Path, log: Path) -> None:
        self.env, self.log = env, log
        self.home = Path(env["PREFECT_HOME"])
        with log.open("ab") as handle:
            self.process = subprocess.Popen(
                podpipe_command("serve", "--inbox", str(inbox), "--output", str(output)),
                env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_for(lambda: "Prefect UI: http" in self.text() or self.process.poll() is not None, 240,
                 "podpipe serve to start its server")
        assert self.process.poll() is None, self.text()[-3000:]
        self.record = read_record(self.home)
        assert self.record is not None and self.record.is_running()

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill_everything(self) -> None:
        """kill -9 of serve (with its scan and stage workers, its process group) and of its server."""
        os.killpg(self.process.pid, signal.SIGKILL)
        os.kill(self.record.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)  # as systemd stops it
        return self.process.wait(timeout=120)


def catalog_of(output: Path) -> Catalog:
    return Catalog(f"sqlite:///{output / 'catalog.sqlite'}")


def _stage_status(output: Path, stage: str) -> str | None:
    if not (output / "catalog.sqlite").exists():
        return None
    return next((s.status for row in catalog_of(output).episodes() for s in row.stages if s.name == stage), None)


def _flow_runs(api_url: str, flow_name: str) -> list[dict]:
    body = json.dumps({"flows": {"name": {"any_": [flow_name]}}}).encode()
    request = urllib.request.Request(f"{api_url}/flow_runs/filter", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _completed(api_url: str, flow_name: str) -> int:
    return sum(run["state_type"] == "COMPLETED" for run in _flow_runs(api_url, flow_name))


@pytest.mark.models
def test_serve_runs_the_schedule_and_processes_a_file_dropped_after_start_up(
    make_speech, tmp_path: Path, serve_env: dict[str, str]
) -> None:
    inbox, output = tmp_path / "inbox", tmp_path / "output"
    inbox.mkdir()
    clip, _ = make_speech(tmp_path / "aflevering.wav", UTTERANCES[:2])
    serve = Serve(serve_env, inbox, output, tmp_path / "serve.log")
    api = serve.record.api_url
    try:
        with urllib.request.urlopen(serve.record.ui_url, timeout=10) as response:
            assert response.status == 200, "the Prefect UI answers"
        status = wait_for(lambda: (line := run_podpipe("serve", "--status", env=serve_env).stdout).startswith(
            "schedule: live") and "next scan due" in line and line, 180, "the schedule to be live")
        assert "(every 6 s)" in status and "CET" in status, status
        wait_for(lambda: _completed(api, "scan_inbox") >= 1, 180, "a first scheduled scan (of the empty inbox)")

        shutil.copy(clip, inbox / "aflevering.wav")  # dropped while serve runs; no other command
        draft = output / "aflevering" / "shownotes.draft.md"
        wait_for(draft.is_file, 240, "the draft of the dropped file", poll=1.0)
        # The draft is written during the export; the catalogue says "draft ready" once the run ends.
        wait_for(lambda: _completed(api, "process_episode") == 1, 180, "the episode's run to complete")
        (row,) = catalog_of(output).episodes()
        assert row.status == "draft ready"
        wait_for(lambda: _completed(api, "scan_inbox") >= 3, 180, "the scan that took it, and the next one, to end")
    finally:
        code = serve.stop()
    assert code == 0, serve.text()[-3000:]
    assert not serve.record.is_running(), "serve stopped its Prefect server"
    wait_for(lambda: processes_with_env("PREFECT_HOME", serve_env["PREFECT_HOME"]) == [], 15,
             "nothing of serve to be left")
    assert not (serve.home / STATE_FILE).exists()
    assert run_podpipe("status", "--output", str(output), env=serve_env).stdout.startswith(
        "schedule: not live: podpipe serve is not running")


@pytest.mark.models
def test_serve_killed_mid_episode_and_started_again_finishes_it_once(
    make_speech, tmp_path: Path, serve_env: dict[str, str]
) -> None:
    inbox, output = tmp_path / "inbox", tmp_path / "output"
    inbox.mkdir()
    long_clip, _ = make_speech(tmp_path / "lang.wav", UTTERANCES * 3)  # ~1.5 min: time to catch it mid-stage
    serve = Serve(serve_env, inbox, output, tmp_path / "serve-1.log")
    try:
        shutil.copy(long_clip, inbox / "lang.wav")
        wait_for(lambda: _stage_status(output, "transcribe") == "running", 180, "transcription to start", poll=0.2)
        time.sleep(1.0)
    finally:
        serve.kill_everything()
    (row,) = catalog_of(output).episodes()
    assert row.status == "processing"
    ingest_before = next(s for s in row.stages if s.name == "ingest")
    assert (serve.home / STATE_FILE).exists(), "the killed run left its record behind"
    first_server = serve.record
    wait_for(lambda: processes_with_env("PREFECT_HOME", serve_env["PREFECT_HOME"]) == [], 15,
             "the killed run's processes to be gone")

    again = Serve(serve_env, inbox, output, tmp_path / "serve-2.log")
    try:
        assert again.record.pid != first_server.pid
        # The draft is written before the catalogue says "draft ready" (the status follows every file):
        # wait for the status, which comes last.
        wait_for(lambda: catalog_of(output).episodes()[0].status == "draft ready", 300,
                 "the cut-off episode to be finished by the next scan", poll=1.0)
        assert (output / "lang" / "shownotes.draft.md").is_file()
        (row,) = catalog_of(output).episodes()
        stages = {s.name: s for s in row.stages}
        assert stages["ingest"].started_at == ingest_before.started_at, "ingest was not redone"
        assert sorted(p.name for p in output.iterdir() if p.is_dir()) == ["lang"], "one output folder"
        # the draft is written before the run's last files and its final state: wait for the state
        wait_for(lambda: all(r["state_type"] not in ("RUNNING", "PENDING", "SCHEDULED")
                             for r in _flow_runs(again.record.api_url, "process_episode")), 120,
                 "the second run to end", poll=1.0)
        runs = _flow_runs(again.record.api_url, "process_episode")
        states = sorted(run["state_type"] for run in runs)
        assert states == ["COMPLETED", "CRASHED"], f"the cut-off run marked crashed, one completed: {states}"
        time.sleep(10)  # more scans come and go: none takes the episode again
        assert len(_flow_runs(again.record.api_url, "process_episode")) == 2
        assert not [p for p in output.rglob("*") if p.name.endswith(".part")], "no half-written file left"
    finally:
        code = again.stop()
    assert code == 0, again.text()[-3000:]
    # serve's children end with it (they watch their parent), a moment after it has exited
    wait_for(lambda: processes_with_env("PREFECT_HOME", serve_env["PREFECT_HOME"]) == [], 15,
             "nothing of the second serve to be left")
