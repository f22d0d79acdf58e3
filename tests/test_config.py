from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from podpipe.config import DEFAULT_CONFIG_FILE, Settings, load_settings, project_root

REPO = Path(__file__).resolve().parents[1]


def test_project_config_is_read() -> None:
    settings = load_settings()
    assert DEFAULT_CONFIG_FILE.is_file()
    assert settings.transcription.language == "nl"
    assert settings.transcription.model == "whisper-base-embedded"
    assert "VOV" in settings.show.vocabulary


def test_environment_overrides_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODPIPE_TRANSCRIPTION__MODEL", "small")
    monkeypatch.setenv("PODPIPE_TRANSCRIPTION__BEAM_SIZE", "2")
    settings = load_settings()
    assert settings.transcription.model == "small"
    assert settings.transcription.beam_size == 2
    assert settings.transcription.language == "nl", "untouched values still come from the file"


def test_other_config_file(tmp_path: Path) -> None:
    config = tmp_path / "show.toml"
    config.write_text('[paths]\noutput = "/srv/notes"\n[show]\nvocabulary = ["Leerkorrel"]\n')
    settings = load_settings(config)
    assert settings.resolve(settings.paths.output) == Path("/srv/notes")
    assert settings.show.vocabulary == ["Leerkorrel"]
    assert settings.resolve(settings.paths.work) == REPO / "work"
    assert settings.transcription.beam_size == 5, "what the file does not say comes from the packaged defaults"


def test_project_file_overrides_packaged_defaults_key_by_key() -> None:
    settings = load_settings()
    assert settings.naming.host_name == "Walter Schroven", "from the checkout's config/podpipe.toml"
    assert settings.nlp.quote_max_words == 60, "from podpipe/defaults/podpipe.toml"


def test_outside_a_project_the_packaged_defaults_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PODPIPE_HOME", raising=False)
    settings = load_settings()
    assert settings.root == tmp_path.resolve()
    assert settings.naming.host_name is None
    assert settings.resolve(settings.paths.output) == tmp_path.resolve() / "output"


def test_project_folder_is_found_from_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "podpipe.toml").write_text('[show]\nname = "Leerpodcast"\n')
    (tmp_path / "audio").mkdir()
    monkeypatch.chdir(tmp_path / "audio")
    monkeypatch.delenv("PODPIPE_HOME", raising=False)
    assert project_root() == tmp_path.resolve()
    assert load_settings().show.name == "Leerpodcast"


def test_unknown_or_invalid_settings_are_refused(tmp_path: Path) -> None:
    typo = tmp_path / "typo.toml"
    typo.write_text("[transcription]\nbeam = 3\n")
    with pytest.raises(ValidationError):
        load_settings(typo)
    bad = tmp_path / "bad.toml"
    bad.write_text("[transcription]\nbeam_size = 0\n")
    with pytest.raises(ValidationError):
        load_settings(bad)


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        load_settings(tmp_path / "nope.toml")


def test_init_copies_the_packaged_settings_and_templates_and_keeps_edits(tmp_path: Path) -> None:
    from podpipe.config import DEFAULT_TEMPLATES, init_project

    written = init_project(tmp_path)
    assert tmp_path / "config" / "podpipe.toml" in written
    assert {p.name for p in (tmp_path / "config" / "templates").iterdir()} == {
        p.name for p in DEFAULT_TEMPLATES.iterdir()
    }
    assert (tmp_path / "audio" / "inbox").is_dir()
    edited = tmp_path / "config" / "templates" / "intro.nl.j2"
    edited.write_text("Mijn eigen intro\n")
    assert init_project(tmp_path) == [], "a second init writes nothing"
    assert edited.read_text() == "Mijn eigen intro\n"


def test_the_packaged_defaults_file_says_what_the_settings_classes_say() -> None:
    """Every default is written twice, in the typed sections (config.py) and in the commented
    defaults/podpipe.toml that `podpipe init` copies: they must agree key by key, and a key the file
    leaves out can only be one TOML cannot write (None) or an empty list."""
    packaged = tomllib.loads(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))
    assert set(packaged) <= set(Settings.model_fields), "a section of the file that Settings does not have"
    for name, field in Settings.model_fields.items():
        defaults = field.default.model_dump(mode="json")
        in_file = packaged.get(name, {})
        assert set(in_file) <= set(defaults), f"[{name}] keys that the settings do not have"
        for key, value in defaults.items():
            if key in in_file:
                assert in_file[key] == value, f"[{name}] {key}: {in_file[key]!r} in the file, {value!r} in config.py"
            else:
                assert value in (None, []), f"[{name}] {key} = {value!r} is missing from defaults/podpipe.toml"
