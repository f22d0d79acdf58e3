"""Work-pool benchmark: six short real-speech episodes (the six of tests/test_pool.py), one worker
against two, on this one machine.

Each configuration from scratch: its own Prefect server and catalogue on fresh PostgreSQL databases,
nothing cached, workers started and online before the clock starts (their models load with their
first episode, so that is in the time). Wall time from the scan (``podpipe watch --once``) until the
last of the six runs is completed, and each run's own time.

    eval "$(bash scripts/postgres-for-tests.sh)"
    .venv/bin/python bench/pool_bench.py [--json bench/results/pool.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.pool_cluster import EPISODES, Cluster  # noqa: E402 - the harness and episodes of the test

SPEECH = "audio/flemish-read-speech/wavs"


def make_episode(shared: Path, utterances: list[str], target: Path) -> None:
    """The utterances one after the other with 0.5 s of silence between them, as 16 kHz WAV."""
    inputs = [arg for utterance in utterances for arg in ("-i", str(shared / SPEECH / f"{utterance}.wav"))]
    parts = "".join(f"[{i}:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur=0.5[a{i}];"
                    for i in range(len(utterances)))
    joined = "".join(f"[a{i}]" for i in range(len(utterances)))
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex",
                    f"{parts}{joined}concat=n={len(utterances)}:v=0:a=1", str(target)], check=True)


def all_completed(cluster: Cluster) -> bool:
    runs = cluster.runs()
    failed = [run["name"] for run in runs if run["state_type"] in ("FAILED", "CRASHED")]
    if failed:  # no rerun is part of this benchmark: stop at once
        raise RuntimeError(f"runs failed: {failed}")
    return len(runs) == len(EPISODES) and all(run["state_type"] == "COMPLETED" for run in runs)


def run(workers: int, shared: Path, postgres: str) -> dict:
    with (tempfile.TemporaryDirectory(prefix="podpipe-pool-bench-") as folder,
          Cluster(Path(folder), postgres) as cluster):
        for number, utterances in enumerate(EPISODES, start=1):
            make_episode(shared, utterances, cluster.inbox / f"aflevering-{number}.wav")
        names = [f"machine-{chr(ord('a') + i)}" for i in range(workers)]
        for name in names:
            cluster.start_worker(name)
        cluster.wait_for_workers(*names)
        started = time.monotonic()
        cluster.scan()
        cluster.wait_until(lambda: all_completed(cluster), 900, "six episodes")
        wall = time.monotonic() - started
        runs = cluster.runs()
        return {
            "workers": workers,
            "wall_seconds": round(wall, 1),
            "run_seconds": sorted(round(r["total_run_time"], 1) for r in runs),
            "episodes_per_worker": {name: sum(1 for r in runs if r["labels"].get("prefect.worker.name") == name)
                                    for name in names},
            "load_average": os.getloadavg()[0],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    postgres = os.environ.get("PODPIPE_TEST_POSTGRES")
    if not postgres:
        raise SystemExit("no PostgreSQL: run `eval \"$(bash scripts/postgres-for-tests.sh)\"` first")
    shared = Path(os.environ.get("PODPIPE_SHARED", REPO.parent / "shared"))
    results = [run(workers, shared, postgres) for workers in (1, 2)]
    report = {"date": datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpus": os.cpu_count(), "results": results}
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
