"""Shared fixtures: generated audio of every accepted kind, and the developers' ../shared data."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from podpipe.domain import Episode
from podpipe.stages import ingest as audio

REPO = Path(__file__).resolve().parents[1]

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
    path = Path(os.environ.get("PODPIPE_SHARED", REPO.parent / "shared"))
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the tests on ../shared, but it is missing: " + SHARED_REASON)
        pytest.skip(SHARED_REASON)
    return path


def read_speech_texts(shared: Path) -> dict[str, str]:
    """utterance id -> reference text of the Flemish read speech."""
    with (shared / "audio" / "flemish-read-speech" / "metadata.csv").open(encoding="utf-8") as handle:
        return {row[0]: row[1] for row in csv.reader(handle, delimiter="|") if row}


@pytest.fixture(scope="session")
def make_speech(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Path, str]]:
    """Real Flemish utterances joined into one file of any format: make_speech(target, ids) -> (path, text)."""
    texts = read_speech_texts(shared)
    work = tmp_path_factory.mktemp("speech-parts")

    def make(target: Path, utterance_ids: list[str]) -> tuple[Path, str]:
        parts = []
        for utterance in utterance_ids:
            source = shared / "audio" / "flemish-read-speech" / "wavs" / f"{utterance}.wav"
            episode = Episode(id=utterance, slug=utterance, source=source, duration=audio.probe(source).duration)
            parts += [audio.load_waveform(audio.normalise(episode, work)), np.zeros(8000, dtype=np.float32)]
        joined = work / f"{target.stem}.joined.wav"
        with wave.open(str(joined), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(16_000)
            handle.writeframes((np.concatenate(parts) * 32767).astype("<i2").tobytes())
        target.parent.mkdir(parents=True, exist_ok=True)
        ffmpeg_generate(target, "-i", str(joined))
        return target, " ".join(texts[u] for u in utterance_ids)

    return make


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


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for podpipe subprocesses: their own Prefect home and work folder, offline."""
    return os.environ | {
        "PREFECT_HOME": str(tmp_path_factory.mktemp("prefect")),
        "PODPIPE_PATHS__WORK": str(tmp_path_factory.mktemp("work")),
        "HF_HUB_OFFLINE": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def podpipe_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("podpipe")), *args]


def run_podpipe(*args: str, env: dict[str, str], timeout: float = 600,
                cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real console script, as a producer runs it (from ``cwd``: default the checkout)."""
    return subprocess.run(podpipe_command(*args), capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=cwd or REPO)
