"""Episodes on a work pool, on one machine as CI can: a Prefect server and the catalogue on
PostgreSQL, two ``podpipe worker`` processes standing for two machines (own work folders, Prefect
homes and CPU slots; shared inbox, output and result storage), six short real-speech episodes.

Needs PostgreSQL: `eval "$(bash scripts/postgres-for-tests.sh)"` sets PODPIPE_TEST_POSTGRES.
Skipped without it, except in CI.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from podpipe.catalog import Catalog
from podpipe.files import sha256_file
from tests.pool_cluster import BIN, EPISODES, REPO, Cluster
from tests.postgres import postgres_url

POSTGRES = postgres_url()


def _worker(run: dict[str, Any]) -> str | None:
    return (run.get("labels") or {}).get("prefect.worker.name")


def _done(cluster: Cluster) -> bool:
    runs = cluster.runs()
    return len(runs) == len(EPISODES) and all(run["state_type"] == "COMPLETED" for run in runs)


def _scan_together(cluster: Cluster) -> list[subprocess.CompletedProcess]:
    """Two machines' scans of the same inbox at the same moment."""
    scans = [subprocess.Popen([str(BIN / "podpipe"), "watch", "--once"], env=cluster.machine_env(machine),
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for machine in ("scanner-1", "scanner-2")]
    results = []
    for scan in scans:
        stdout, stderr = scan.communicate(timeout=300)
        assert scan.returncode == 0, stdout[-2000:] + stderr[-3000:]
        results.append(subprocess.CompletedProcess(scan.args, scan.returncode, stdout, stderr))
    return results


def _serve_one_scan(cluster: Cluster) -> None:
    """``podpipe serve`` with PREFECT_API_URL (the producer's scanner), until one scan is done."""
    env = cluster.machine_env("scanner-3") | {"PODPIPE_INBOX__INTERVAL_MINUTES": "0.1"}  # a scan every 6 s
    log = (cluster.root / "serve.log").open("ab")
    serve = subprocess.Popen([str(BIN / "podpipe"), "serve"], env=env, cwd=REPO, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def scanned() -> bool:
            assert serve.poll() is None, (cluster.root / "serve.log").read_text()[-3000:]
            scans = cluster.post("/flow_runs/filter", {"flows": {"name": {"any_": ["scan_inbox"]}}})
            # Runs of serve's deployment; the `watch --once` scans before were runs without one.
            return any(scan["state_type"] == "COMPLETED" and scan["deployment_id"] for scan in scans)

        cluster.wait_until(scanned, timeout=120, what="a scan of podpipe serve")
    finally:
        serve.terminate()  # as systemd stops it
        serve.wait(timeout=60)


@pytest.mark.models
def test_six_episodes_on_two_workers_each_exactly_once_even_when_a_worker_is_killed(
    make_speech, tmp_path: Path
) -> None:
    started = time.monotonic()
    with Cluster(tmp_path, POSTGRES) as cluster:
        ids = {}
        for number, utterances in enumerate(EPISODES, start=1):
            path, _ = make_speech(cluster.inbox / f"aflevering-{number}.wav", utterances)
            ids[path.name] = sha256_file(path)
        cluster.start_worker("machine-a")
        cluster.start_worker("machine-b")
        cluster.wait_for_workers("machine-a", "machine-b")

        scans = _scan_together(cluster)
        assert sum(scan.stderr.count("queued on the work pool") for scan in scans) >= len(EPISODES)
        assert len(cluster.runs()) == len(EPISODES), "two scans at once: still one run per episode"
        _serve_one_scan(cluster)  # another machine's `podpipe serve`, while the workers run them
        assert len(cluster.runs()) == len(EPISODES), "a scan while they run queues nothing new"
        assert {run["idempotency_key"] for run in cluster.runs()} == set(ids.values())

        # kill -9 machine-a (worker and all it started) in the middle of an episode, once it has done
        # one: after transcription and diarisation (cached on the shared storage), before its export.
        catalog = Catalog(cluster.env["PODPIPE_CATALOG__URL"])
        victim: dict[str, Any] = {}

        def machine_a_is_analysing() -> bool:
            runs = cluster.runs()
            if not any(_worker(run) == "machine-a" and run["state_type"] == "COMPLETED" for run in runs):
                return False
            for run in runs:
                if _worker(run) == "machine-a" and run["state_type"] == "RUNNING":
                    row = catalog.get(run["idempotency_key"])
                    stages = {stage.name: stage.status for stage in row.stages} if row else {}
                    if stages.get("diarize") == "done" and stages.get("transcribe") == "done" \
                            and stages.get("export") != "done":
                        victim.update(run)
                        return True
            return False

        cluster.wait_until(machine_a_is_analysing, timeout=300, what="machine-a past the model stages of an episode",
                           poll=0.2)
        cluster.kill_worker("machine-a")
        cluster.wait_until(lambda: _done(cluster), timeout=300, what="all six episodes completed")
        elapsed = time.monotonic() - started

        runs = cluster.runs()
        assert len(runs) == len(EPISODES), "each episode ran as one flow run, the killed one included"
        assert {_worker(run) for run in runs} == {"machine-a", "machine-b"}, "both workers did episodes"
        rerun = next(run for run in runs if run["id"] == victim["id"])
        history = cluster.states(rerun["id"])
        assert "Crashed" in history and "AwaitingRetry" in history, history
        assert _worker(rerun) == "machine-b" and history[-1] == "Completed"

        def transcript_from_cache() -> bool:  # task states reach the server as events, a little later
            tasks = cluster.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [rerun["id"]]}}})
            return any(task["name"].startswith("transcribe") and task["state_name"] == "Cached" for task in tasks)

        cluster.wait_until(transcript_from_cache, timeout=30, what="the rerun's transcript taken from the cache")

        rows = catalog.episodes()
        assert sorted(row.id for row in rows) == sorted(ids.values())
        assert all(row.status == "draft ready" for row in rows), [(row.slug, row.status, row.error) for row in rows]
        folders = sorted(path.name for path in cluster.output.iterdir() if path.name.startswith("aflevering"))
        assert folders == sorted(f"aflevering-{n}" for n in range(1, len(EPISODES) + 1)), folders
        assert all((cluster.output / folder / "shownotes.draft.md").is_file() for folder in folders)
        assert not list(cluster.output.rglob("*.part")), "nothing half-written in the output folder"
        assert not list(cluster.work_dir("machine-b").glob("*.wav")), "done episodes leave no work files"

        status = cluster.podpipe("status", machine="scanner-1")
        assert status.returncode == 0, status.stderr[-2000:]
        assert "machine-a" in status.stdout and "machine-b" in status.stdout, status.stdout
        print(f"six episodes on two workers, one killed: {elapsed:.0f} s from the server's start")
        assert httpx.get(f"{cluster.api}/health", timeout=5).status_code == 200
