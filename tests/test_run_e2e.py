"""``podpipe run`` end to end: the console script, the Prefect flow and the real embedded model."""

from __future__ import annotations

import json
import os
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
