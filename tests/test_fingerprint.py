"""A stage's cache key covers the code it runs: every podpipe module it imports, wherever it lives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from podpipe.flows.fingerprint import PACKAGE_DIR, code_digest, import_graph, imported_modules
from podpipe.stages import analyse as analyse_stage
from podpipe.stages import diarize as diarize_stage
from podpipe.stages import transcribe


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """podpipe's source, copied so a test may change it (the trained spaCy pipeline left out)."""
    copy = tmp_path / "podpipe"
    shutil.copytree(PACKAGE_DIR, copy, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "spacy_nl", "static", "templates"))
    return copy


def _change_a_byte(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n")


def test_diarization_key_changes_with_the_models_module_it_imports(package_copy: Path) -> None:
    graph = import_graph()
    before = code_digest((diarize_stage,), graph, package_copy)
    _change_a_byte(package_copy / "models" / "diarize.py")
    assert code_digest((diarize_stage,), graph, package_copy) != before


def test_a_key_ignores_code_the_stage_does_not_import(package_copy: Path) -> None:
    graph = import_graph()
    parts = (transcribe,)
    before = code_digest(parts, graph, package_copy)
    _change_a_byte(package_copy / "review" / "app.py")
    _change_a_byte(package_copy / "stages" / "diarize" / "stage.py")
    assert code_digest(parts, graph, package_copy) == before
    _change_a_byte(package_copy / "stages" / "naming" / "correct.py")  # transcription's cast hints use it
    assert code_digest(parts, graph, package_copy) != before


def test_a_package_counts_with_its_modules_their_imports_and_their_packages() -> None:
    graph = import_graph()
    diarization = imported_modules("podpipe.stages.diarize", graph)
    assert {"podpipe.stages.diarize.stage", "podpipe.stages.diarize.loading", "podpipe.models.diarize",
            "podpipe.models", "podpipe.config", "podpipe.stages", "podpipe"} <= diarization
    assert not any(name.startswith(("podpipe.review", "podpipe.exports", "podpipe.flows")) for name in diarization)
    analysis = imported_modules(analyse_stage.__name__, graph)
    assert {"podpipe.stages.analyse.entities", "podpipe.models.nlp"} <= analysis


def test_a_model_asset_counts_byte_for_byte(tmp_path: Path) -> None:
    graph = import_graph()
    assets = tmp_path / "weights"
    assets.mkdir()
    (assets / "model.bin").write_bytes(b"\x00\x01")
    before = code_digest((diarize_stage, assets), graph)
    (assets / "model.bin").write_bytes(b"\x00\x02")
    assert code_digest((diarize_stage, assets), graph) != before
