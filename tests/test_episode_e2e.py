"""The hand-written episode end to end: text in through `podpipe notes`, audio in through `podpipe run`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import run_podpipe
from podpipe.models.nlp import MODEL_DIR, embedded_model_available

pytestmark = [
    pytest.mark.models,
    pytest.mark.skipif(not embedded_model_available(), reason=f"podpipe's Dutch spaCy pipeline is not in {MODEL_DIR}"),
]
EPISODE = "vov-ep12-microleren"


@pytest.fixture(scope="module")
def episode(shared: Path) -> dict:
    return json.loads((shared / "transcripts" / f"{EPISODE}.json").read_text(encoding="utf-8"))


def people(episode: dict) -> dict[str, dict]:
    return {speaker["id"]: speaker for speaker in episode["speakers"]}


def test_notes_from_the_hand_written_transcript(shared: Path, episode: dict, tmp_path: Path, environment) -> None:
    """From a folder outside the checkout (packaged defaults); the transcript names everyone itself."""
    result = run_podpipe("notes", str(shared / "transcripts" / f"{EPISODE}.json"), "--output", str(tmp_path),
                         env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out_dir = Path(result.stdout.strip().splitlines()[-1])
    assert out_dir.parent == tmp_path, "--output is the folder of episode folders, as for `podpipe run`"
    for name in ("analysis.json", "shownotes.json", "shownotes.draft.md", "shownotes.draft.html",
                 "shownotes.draft.docx", "chapters.json", "transcript.podcast.json", "transcript.json"):
        assert (out_dir / name).is_file(), name
    assert json.loads((out_dir / "chapters.json").read_text()).get("podcastName") != "podcast", "no made-up name"
    draft = (out_dir / "shownotes.draft.html").read_text()  # (the Markdown draft escapes [ and _)
    assert "[show] files_url" in draft and "[show] name" in draft, "the check box asks for both settings"

    notes = json.loads((out_dir / "shownotes.json").read_text())
    for speaker in episode["speakers"]:
        assert speaker["name"] in notes["intro"] and speaker["organisation"] in notes["intro"]
    assert len(notes["sections"]) >= len(episode["themes"])
    turns_by_speaker: dict[str, str] = {}
    for turn in episode["turns"]:
        turns_by_speaker.setdefault(people(episode)[turn["speaker"]]["name"], "")
        turns_by_speaker[people(episode)[turn["speaker"]]["name"]] += " " + turn["text"]
    quotes = [quote for section in notes["sections"] for quote in section["quotes"]]
    assert quotes
    for quote in quotes:
        # quote.speaker is the transcript's speaker id; the hand-written file uses S1, S2, S3.
        name = people(episode)[quote["speaker"]]["name"]
        assert quote["text"].rstrip(".") in turns_by_speaker[name], quote


def test_run_on_the_espeak_rendering_with_its_sidecar(shared: Path, episode: dict, tmp_path: Path,
                                                      environment) -> None:
    audio_file = tmp_path / f"{EPISODE}.mp3"
    shutil.copy(shared / "transcripts" / f"{EPISODE}.espeak.mp3", audio_file)
    cast = people(episode)
    host = next(p for p in cast.values() if p["role"] == "host")
    guests = [p for p in cast.values() if p["role"] == "guest"]
    audio_file.with_suffix(".yaml").write_text(yaml.safe_dump({
        "title": episode["title"], "number": episode["episode_number"],
        "host": {"name": host["name"], "organisation": host["organisation"]},
        "guests": [{"name": g["name"], "organisation": g["organisation"]} for g in guests],
    }, allow_unicode=True))

    result = run_podpipe("run", str(audio_file), "--output", str(tmp_path / "out"), env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    out_dir = Path(result.stdout.strip().splitlines()[-1])
    transcript = json.loads((out_dir / "transcript.json").read_text())
    named = {s["name"] for s in transcript["speakers"]}
    assert named == {p["name"] for p in cast.values()}, transcript["speakers"]
    notes = json.loads((out_dir / "shownotes.json").read_text())
    assert all(p["name"] in notes["intro"] for p in cast.values())
    vtt = (out_dir / "transcript.vtt").read_text()
    assert f"<v {host['name']}>" in vtt
