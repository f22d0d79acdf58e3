"""Shared fixtures: generated audio of every accepted kind, and the developers' ../shared data."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from podpipe.config import PROJECT_ROOT

SHARED_REASON = (
    "needs the developers' data folder ../shared (set PODPIPE_SHARED); "
    "it is absent in a user's fresh clone"
)


@pytest.fixture(autouse=True, scope="session")
def _offline_and_quiet(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def shared_dir() -> Path | None:
    path = Path(os.environ.get("PODPIPE_SHARED", PROJECT_ROOT.parent / "shared"))
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the tests on ../shared, but it is missing: " + SHARED_REASON)
        pytest.skip(SHARED_REASON)
    return path


def ffmpeg_generate(target: Path, *args: str) -> Path:
    """Run ffmpeg (lavfi sources) to make a test file."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(target)], check=True)
    return target


@pytest.fixture
def make_tone(tmp_path: Path) -> Callable[..., Path]:
    """A sine tone in any container: make_tone("x.mp3", seconds=2, channels=2, rate=44100)."""

    def make(name: str, seconds: float = 2.0, channels: int = 1, rate: int = 44_100, extra: tuple = ()) -> Path:
        return ffmpeg_generate(
            tmp_path / name,
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}:duration={seconds}",
            "-ac", str(channels), *extra,
        )

    return make
