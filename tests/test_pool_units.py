"""The parts of running on a work pool that need no server: work-file removal, when scans use the
pool, the crash automations' rules, the machine's name (tests/test_pool.py runs the whole thing)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from uuid import uuid4

import pytest

from podpipe.claims import machine_name
from podpipe.config import load_settings
from podpipe.lifetime import start_time
from podpipe.prefect_server import STATE_FILE
from podpipe.workfiles import episode_work_files, remove_leftovers, remove_work_files

EPISODE = "ab" * 32
OTHER = "cd" * 32


def test_an_episodes_work_files_go_and_no_other_ones(tmp_path: Path) -> None:
    wav = tmp_path / f"{EPISODE[:16]}.16k.wav"
    wav.write_bytes(b"x" * 1000)
    partial = tmp_path / f".{EPISODE[:16]}.16k.wav.4242.part"  # a decoder killed half-way
    partial.write_bytes(b"y" * 10)
    kept = [tmp_path / f"{OTHER[:16]}.16k.wav", tmp_path / ".cpu.lock", tmp_path / ".episodes" / f"{EPISODE}.lock"]
    for path in kept:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"z")
    assert episode_work_files(tmp_path, EPISODE) == sorted([wav, partial])
    assert remove_work_files(tmp_path, EPISODE) == 1010
    assert not wav.exists() and not partial.exists()
    assert all(path.exists() for path in kept)
    assert remove_work_files(tmp_path, EPISODE) == 0  # a second time: nothing left, no error
    assert remove_work_files(tmp_path / "missing", EPISODE) == 0


def test_a_killed_machines_leftovers_go_once_the_episode_is_done_elsewhere(tmp_path: Path) -> None:
    done_elsewhere = tmp_path / f"{EPISODE[:16]}.16k.wav"
    partial = tmp_path / f".{EPISODE[:16]}.16k.wav.77.part"
    unfinished = tmp_path / f"{OTHER[:16]}.16k.wav"  # still to be resumed: kept
    for path in (done_elsewhere, partial, unfinished):
        path.write_bytes(b"w" * 100)
    (tmp_path / ".cpu.lock").touch()
    assert remove_leftovers(tmp_path, {EPISODE, "ef" * 32}) == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([unfinished.name, ".cpu.lock"])


@pytest.fixture
def prefect_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    (tmp_path / "prefect").mkdir()
    return tmp_path / "prefect"


def test_scans_use_the_pool_only_with_a_server_of_the_users(prefect_home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from podpipe.flows.pool import pool_in_use

    settings = load_settings()
    assert not pool_in_use(settings), "no server: the laptop processes its own episodes"
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    assert pool_in_use(settings)
    assert not pool_in_use(settings.model_copy(update={"pool": settings.pool.model_copy(update={"name": ""})}))
    # The server of this project's live `podpipe serve` (it set PREFECT_API_URL for its scans): local.
    record = {"pid": os.getpid(), "started": start_time(os.getpid()), "port": 4321, "serve_pid": os.getpid()}
    (prefect_home / STATE_FILE).write_text(json.dumps(record))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4321/api")
    assert not pool_in_use(settings)
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api/")
    assert pool_in_use(settings), "another server than serve's own: the pool"


def test_crash_automations_follow_the_settings_and_touch_only_the_episode_deployment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.client.schemas.objects import StateType
    from prefect.events.schemas.automations import Posture

    from podpipe.flows.pool import crash_automations

    monkeypatch.setenv("PODPIPE_POOL__LOST_AFTER_SECONDS", "47")
    deployment = uuid4()
    lost, rerun = crash_automations(load_settings(), deployment)
    for automation in (lost, rerun):
        assert automation.trigger.match_related.root == {"prefect.resource.id": f"prefect.deployment.{deployment}"}
        assert automation.trigger.for_each == {"prefect.resource.id"}
    assert lost.trigger.posture == Posture.Proactive and lost.trigger.within == dt.timedelta(seconds=47)
    assert lost.trigger.after == {"prefect.flow-run.heartbeat"}
    assert {"prefect.flow-run.heartbeat", "prefect.flow-run.Completed"} <= lost.trigger.expect
    assert (lost.actions[0].state, lost.actions[0].force) == (StateType.CRASHED, False)
    assert rerun.trigger.posture == Posture.Reactive and rerun.trigger.expect == {"prefect.flow-run.Crashed"}
    assert (rerun.actions[0].state, rerun.actions[0].name) == (StateType.SCHEDULED, "AwaitingRetry")


def test_machine_name_is_the_host_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.delenv("PODPIPE_MACHINE", raising=False)
    assert machine_name() == socket.gethostname()
    monkeypatch.setenv("PODPIPE_MACHINE", "worker-2")
    assert machine_name() == "worker-2"


def test_a_worker_frees_the_work_files_of_every_finished_episode_no_speech_too(tmp_path: Path) -> None:
    """The inbox and the pool read one set of finished statuses: an episode with no speech (or in another
    language) got its draft, so its work WAV goes like that of any other finished episode."""
    from podpipe.catalog import FINISHED, Status
    from podpipe.config import Paths, Settings
    from podpipe.domain import Episode
    from podpipe.flows.episode import open_catalog
    from podpipe.flows.pool import remove_finished_leftovers

    settings = Settings(paths=Paths(output=tmp_path / "output", work=tmp_path / "work"))
    catalog = open_catalog(settings, tmp_path / "output")
    work = tmp_path / "work"
    work.mkdir()
    statuses = {"a1" * 32: Status.NO_SPEECH, "a2" * 32: Status.OTHER_LANGUAGE, "a3" * 32: Status.DRAFT_READY,
                "a4" * 32: Status.PROCESSING, "a5" * 32: Status.FAILED}
    for episode_id, status in statuses.items():
        source = tmp_path / f"{episode_id}.mp3"
        catalog.register(Episode(id=episode_id, slug=episode_id[:4], source=source, duration=60.0))
        catalog.set_status(episode_id, status)
        (work / f"{episode_id[:16]}.16k.wav").write_bytes(b"w" * 100)
    assert remove_finished_leftovers(settings) == 300
    kept = sorted(p.name[:4] for p in work.iterdir())
    assert kept == ["a4a4", "a5a5"], "a processing or failed episode keeps its WAV for the rerun"
    assert {Status.NO_SPEECH, Status.OTHER_LANGUAGE} <= FINISHED
