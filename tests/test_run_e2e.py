"""``podpipe run`` end to end: the console script, the Prefect flow and the real embedded model."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import jiwer
import numpy as np
import pytest

from podpipe import audio
from podpipe.domain import Episode

pytestmark = pytest.mark.models

UTTERANCES = ["nl_rhasspy_1120_1601731228", "nl_rhasspy_565_1602084063", "nl_rhasspy_536_1602084422"]


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("prefect")
    return os.environ | {
        "PREFECT_HOME": str(home),
        "PODPIPE_PATHS__WORK": str(tmp_path_factory.mktemp("work")),
        "HF_HUB_OFFLINE": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


@pytest.fixture(scope="module")
def flemish_clip(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Three real Flemish utterances joined into one short 'episode', with its reference text."""
    speech = shared / "audio" / "flemish-read-speech"
    with (speech / "metadata.csv").open(encoding="utf-8") as handle:
        texts = {row[0]: row[1] for row in csv.reader(handle, delimiter="|") if row}
    work = tmp_path_factory.mktemp("clip")
    parts = []
    for utterance in UTTERANCES:
        source = speech / "wavs" / f"{utterance}.wav"
        episode = Episode(id=utterance, slug=utterance, source=source, duration=audio.probe(source).duration)
        parts += [audio.load_waveform(audio.normalise(episode, work)), np.zeros(8000, dtype=np.float32)]
    clip = work / "Vlaamse clip (test).wav"
    import wave

    with wave.open(str(clip), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16_000)
        handle.writeframes((np.concatenate(parts) * 32767).astype("<i2").tobytes())
    return clip, " ".join(texts[u] for u in UTTERANCES)


def podpipe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("podpipe")), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def normalise(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def test_run_transcribes_real_flemish_speech(flemish_clip, tmp_path: Path, environment) -> None:
    clip, reference = flemish_clip
    result = podpipe("run", str(clip), "--output", str(tmp_path), env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    out_dir = Path(result.stdout.strip().splitlines()[-1])
    assert out_dir == tmp_path / "vlaamse-clip-test"
    assert {p.name for p in out_dir.iterdir()} == {
        "transcript.json", "transcript.vtt", "transcript.srt", "transcript.txt"
    }

    data = json.loads((out_dir / "transcript.json").read_text())
    assert data["language"] == "nl" and data["episode"]["id"] == audio.describe_episode(clip).id
    assert data["models"][0]["name"].startswith("whisper-base")
    words = [w for s in data["segments"] for w in s["words"]]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and all(w["end"] >= w["start"] for w in words)
    assert all(s["speaker"] is None for s in data["segments"]), "no diarisation in this flow yet"
    hypothesis = " ".join(s["text"] for s in data["segments"])
    # Three short sentences: a loose bound that still fails on garbage or on another language.
    assert jiwer.wer(normalise(reference), normalise(hypothesis)) < 0.5, hypothesis
    assert (out_dir / "transcript.vtt").read_text().startswith("WEBVTT")
    assert "transcribe:" in result.stderr, "progress is logged"

    again = podpipe("run", str(clip), "--output", str(tmp_path), env=environment)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip().splitlines()[-1] == str(out_dir)
    assert "Cached" in again.stderr, "the second run of the same audio skips transcription"


def test_run_rejects_bad_input_with_the_file_and_reason(tmp_path: Path, environment) -> None:
    bad = tmp_path / "kapot.mp3"
    bad.write_bytes(b"ID3" + os.urandom(2000))
    output = tmp_path / "output"
    result = podpipe("run", str(bad), "--output", str(output), env=environment)
    assert result.returncode == 2
    assert "kapot.mp3" in result.stderr and "not a readable audio" in result.stderr
    assert not output.exists() or not any(output.rglob("*")), "nothing half-written in output/"
