"""Several machines: the catalogue on PostgreSQL, and episodes run by a Prefect process worker that
polls a Prefect server backed by PostgreSQL (docs/several-machines.md), on one machine.

Needs a PostgreSQL server: `eval "$(bash scripts/postgres-for-tests.sh)"` sets PODPIPE_TEST_POSTGRES
(.ci/run does). Skipped without it, except in CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from podpipe.catalog import Base, Catalog, Status
from podpipe.domain import Episode
from tests.postgres import postgres_url

REPO = Path(__file__).resolve().parents[1]

POSTGRES = postgres_url()

CATALOG_URL = f"{POSTGRES.replace('postgresql://', 'postgresql+psycopg://')}/podpipe_catalog"
PREFECT_DB_URL = f"{POSTGRES.replace('postgresql://', 'postgresql+asyncpg://')}/podpipe_prefect"
BIN = Path(sys.executable).parent


@pytest.fixture
def catalog() -> Catalog:
    catalog = Catalog(CATALOG_URL)
    Base.metadata.drop_all(catalog.engine)  # a clean catalogue for each test
    Base.metadata.create_all(catalog.engine)
    return catalog


def test_catalogue_on_postgresql(catalog: Catalog) -> None:
    episode = Episode(id="a" * 64, slug="ep", source=Path("/shared/inbox/ep.mp3"), duration=61.0)
    catalog.register(episode)
    catalog.stage_started(episode.id, "transcribe")
    catalog.stage_finished(episode.id, "transcribe", model="whisper-base")
    catalog.set_status(episode.id, Status.DRAFT_READY, output_dir=Path("/shared/output/ep"), speakers=["Walter"])
    (row,) = Catalog(CATALOG_URL).episodes()  # another connection, as another machine would have
    assert (row.status, row.output_dir, row.speakers) == ("draft ready", "/shared/output/ep", ["Walter"])
    assert row.stages[0].status == "done" and row.stages[0].seconds >= 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.models
def test_a_process_worker_runs_episodes_from_a_prefect_server_on_postgresql(
    catalog: Catalog, make_speech, tmp_path: Path
) -> None:
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = os.environ | {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_DATABASE_CONNECTION_URL": PREFECT_DB_URL,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PODPIPE_CATALOG__URL": CATALOG_URL,
        "PODPIPE_PATHS__WORK": str(tmp_path / "work"),
        "HF_HUB_OFFLINE": "1",
    }
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        else:
            pytest.fail("the Prefect server did not start")
        env["PREFECT_API_URL"] = api
        clip, _ = make_speech(tmp_path / "shared" / "inbox" / "aflevering.wav", ["nl_rhasspy_1120_1601731228"])
        output = tmp_path / "shared" / "output"

        def prefect(*args: str) -> subprocess.CompletedProcess:
            done = subprocess.run([str(BIN / "prefect"), *args], env=env, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            return done

        prefect("work-pool", "create", "podpipe-test", "--type", "process", "--overwrite")
        deploy = (
            "from podpipe.flows.episode import process_episode\n"
            f"process_episode.from_source(source={str(REPO)!r}, entrypoint='flows/episode.py:process_episode')"
            ".deploy(name='scale-out-test', work_pool_name='podpipe-test')\n"
        )
        done = subprocess.run([sys.executable, "-c", deploy], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        prefect("deployment", "run", "process_episode/scale-out-test",
                "--param", f"source={clip}", "--param", f"output_root={output}")
        prefect("worker", "start", "--pool", "podpipe-test", "--run-once")

        (row,) = catalog.episodes()
        assert row.status == "draft ready", row.error
        assert Path(row.output_dir) == output / "aflevering"
        assert (output / "aflevering" / "shownotes.draft.md").is_file()
        assert {stage.name for stage in row.stages} >= {"transcribe", "diarize", "analyse", "export"}
        assert os.path.exists(env["PODPIPE_PATHS__WORK"] + "/.cpu.lock"), "the machine's CPU slot was taken"
        limits = httpx.post(f"{api}/v2/concurrency_limits/filter", json={}).json()
        assert any(limit["name"].startswith("podpipe-cpu-") for limit in limits), "and Prefect's global limit"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)
