"""``podpipe run`` end to end: the console script, the Prefect flow and the real embedded model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jiwer
import pytest

from conftest import run_podpipe
from podpipe.catalog import Catalog
from podpipe.stages import ingest as audio

pytestmark = pytest.mark.models

UTTERANCES = ["nl_rhasspy_1120_1601731228", "nl_rhasspy_565_1602084063", "nl_rhasspy_536_1602084422"]


@pytest.fixture(scope="module")
def flemish_clip(make_speech, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Three real Flemish utterances joined into one short 'episode', with its reference text."""
    return make_speech(tmp_path_factory.mktemp("clip") / "Vlaamse clip (test).wav", UTTERANCES)


def normalise(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def test_run_transcribes_real_flemish_speech(flemish_clip, tmp_path: Path, environment) -> None:
    """Run from a folder outside the checkout: the packaged defaults are enough."""
    clip, reference = flemish_clip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_podpipe("run", str(clip), "--output", str(tmp_path), env=environment, cwd=elsewhere)
    assert result.returncode == 0, result.stderr[-3000:]
    out_dir = Path(result.stdout.strip().splitlines()[-1])
    assert out_dir == tmp_path / "vlaamse-clip-test"
    assert {p.name for p in out_dir.iterdir() if not p.name.startswith(".")} >= {
        "transcript.json", "transcript.vtt", "transcript.srt", "transcript.txt",
        "diarization.rttm", "speakers.png", "analysis.json",
    }

    data = json.loads((out_dir / "transcript.json").read_text())
    assert data["language"] == "nl" and data["episode"]["id"] == audio.describe_episode(clip).id
    assert data["models"][0]["name"].startswith("whisper-base")
    words = [w for s in data["segments"] for w in s["words"]]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and all(w["end"] >= w["start"] for w in words)
    assert {s["speaker"] for s in data["segments"]} == {"SPEAKER_00"}, "one voice reads all three sentences"
    assert {w["speaker"] for w in words} == {"SPEAKER_00"}
    hypothesis = " ".join(s["text"] for s in data["segments"])
    # Three short sentences: a loose bound that still fails on garbage or on another language.
    assert jiwer.wer(normalise(reference), normalise(hypothesis)) < 0.5, hypothesis
    assert (out_dir / "transcript.vtt").read_text().startswith("WEBVTT")
    assert "transcribe:" in result.stderr, "progress is logged"

    again = run_podpipe("run", str(clip), "--output", str(tmp_path), env=environment)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip().splitlines()[-1] == str(out_dir)
    assert "Cached" in again.stderr, "the second run of the same audio skips transcription"
    (row,) = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}").episodes()
    models = {stage.name: stage.model for stage in row.stages}
    assert models["transcribe"].startswith("whisper-base") and models["analyse"], models
    # Each stage's own wall and CPU time, from the first run (the second was all cache hits).
    timings = {stage.name: (stage.seconds, stage.cpu_seconds) for stage in row.stages}
    assert set(timings) >= {"ingest", "transcribe", "diarize", "attribute", "analyse", "draft", "export"}
    assert all(wall is not None and wall >= 0 and cpu is not None and cpu >= 0 for wall, cpu in timings.values())
    assert timings["transcribe"][1] > 0.5 and timings["diarize"][1] > 0.5, "the model stages' CPU time is counted"
    listed = run_podpipe("status", "--output", str(tmp_path), env=environment)
    assert listed.returncode == 0 and "transcribe" in listed.stdout and "diarize" in listed.stdout, listed.stdout


def test_run_rejects_bad_input_with_the_file_and_reason(tmp_path: Path, environment) -> None:
    bad = tmp_path / "kapot.mp3"
    bad.write_bytes(b"ID3" + os.urandom(2000))
    output = tmp_path / "output"
    result = run_podpipe("run", str(bad), "--output", str(output), env=environment)
    assert result.returncode == 2
    assert "kapot.mp3" in result.stderr and "not a readable audio" in result.stderr
    assert [p for p in output.iterdir() if not p.name.startswith("catalog.sqlite")] == [], (
        "no episode folder, nothing half-written"
    )
    (row,) = Catalog(f"sqlite:///{output / 'catalog.sqlite'}").episodes()
    assert row.status == "failed" and "not a readable audio" in row.error


# `podpipe run` with the disk filling up while the episode's files are written (the atomic writer fails on
# transcript.srt, after its temporary file was written): what a producer would see.
DISK_FULL = """
import errno, os, sys
from contextlib import contextmanager
from podpipe.exports import layout
real = layout.atomic_path

@contextmanager
def filling(target):
    with real(target) as temporary:
        yield temporary
        if target.name == "transcript.srt":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

layout.atomic_path = filling
from podpipe.cli import app
sys.argv[0] = "podpipe"
app()
"""


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_a_full_disk_fails_in_one_line_and_a_rerun_finishes_from_the_cache(flemish_clip, tmp_path: Path,
                                                                           environment) -> None:
    clip, _ = flemish_clip
    output = tmp_path / "output"
    full = subprocess.run([sys.executable, "-c", DISK_FULL, "run", str(clip), "--output", str(output)],
                          capture_output=True, text=True, env=environment, timeout=600)
    assert full.returncode == 2, full.stderr[-3000:]
    assert "Traceback" not in full.stderr, full.stderr[-3000:]
    out_dir = output / "vlaamse-clip-test"
    assert _error_lines(full.stderr) == [
        f"error: {out_dir / 'transcript.srt'}: kan niet schrijven, de schijf is vol / cannot write, the disk is full"]
    assert not [p for p in output.rglob("*") if p.name.endswith(".part")], "nothing half written"
    assert not (out_dir / "transcript.srt").exists()
    (row,) = Catalog(f"sqlite:///{output / 'catalog.sqlite'}").episodes()
    assert row.status == "failed" and "the disk is full" in row.error and "transcript.srt" in row.error
    assert {s.name: s.status for s in row.stages}["export"] == "failed"

    again = run_podpipe("run", str(clip), "--output", str(output), env=environment)  # space freed
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Cached" in again.stderr, "transcription and diarisation come from the cache"
    assert (out_dir / "transcript.srt").is_file() and not list(out_dir.glob("*.v2.*"))
    (row,) = Catalog(f"sqlite:///{output / 'catalog.sqlite'}").episodes()
    assert row.status == "draft ready" and row.error is None


def test_a_read_only_episode_folder_fails_in_one_line_and_then_finishes(flemish_clip, tmp_path: Path,
                                                                        environment) -> None:
    from tests.test_output_errors import read_only

    clip, _ = flemish_clip
    output = tmp_path / "output"
    first = run_podpipe("run", str(clip), "--output", str(output), env=environment)
    assert first.returncode == 0, first.stderr[-3000:]
    out_dir = Path(first.stdout.strip().splitlines()[-1])
    with read_only(out_dir):
        locked = run_podpipe("run", str(clip), "--output", str(output), env=environment)
    assert locked.returncode == 2 and "Traceback" not in locked.stderr, locked.stderr[-3000:]
    (line,) = _error_lines(locked.stderr)
    assert line.startswith(f"error: {out_dir}/") and ": kan niet schrijven, " in line and " / cannot write, " in line
    (row,) = Catalog(f"sqlite:///{output / 'catalog.sqlite'}").episodes()
    assert row.status == "failed" and row.error == line.removeprefix("error: ")
    again = run_podpipe("run", str(clip), "--output", str(output), env=environment)
    assert again.returncode == 0, again.stderr[-3000:]
