"""One typed settings object, read from ``config/podpipe.toml`` and overridden by the environment.

Environment variables use the prefix ``PODPIPE_`` and ``__`` between nested names, e.g.
``PODPIPE_TRANSCRIPTION__MODEL=small`` or ``PODPIPE_PATHS__OUTPUT=/srv/shownotes``.
``PODPIPE_CONFIG`` points at another TOML file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "podpipe.toml"


class Section(BaseModel):
    # A misspelt key in the TOML file is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class Paths(Section):
    inbox: Path = Path("audio/inbox")
    failed: Path = Path("audio/failed")  # files that cannot be processed, each with <name>.error.txt
    output: Path = Path("output")
    work: Path = Path("work")  # normalised audio and other intermediate files
    models: Path = Path("~/.cache/podpipe/models")  # where packaged weights are assembled
    shared: Path = Path("../shared")  # developers' data for tests and benchmarks


class Transcription(Section):
    # "whisper-base-embedded" assembles the packaged weights; anything else is handed to
    # faster-whisper as a model name (small, large-v3, turbo, ...) or a local path.
    model: str = "whisper-base-embedded"
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str = "int8"
    threads: int = Field(default=0, ge=0)  # 0: all cores
    language: str | None = "nl"  # None: let Whisper detect it
    beam_size: int = Field(default=5, ge=1)
    batched: bool = True
    batch_size: int = Field(default=8, ge=1)
    vad_filter: bool = True
    word_timestamps: bool = True
    # Segments whose text compresses better than this are repetition loops; they are dropped.
    max_compression_ratio: float = 2.4
    allow_downloads: bool = False  # hub models only with this on (and a network)


class Inbox(Section):
    # A file counts as complete when its size and mtime are unchanged across two looks this far apart.
    settle_seconds: float = Field(default=2.0, ge=0)
    interval_minutes: float = Field(default=5.0, gt=0)
    cron: str | None = None  # overrides the interval, e.g. "0 6 * * *"
    timezone: str = "Europe/Brussels"


class Pipeline(Section):
    # A stage may run (min_seconds + factor x audio duration) before it is stopped.
    stage_timeout_min_seconds: float = Field(default=600.0, gt=0)
    stage_timeout_factor: float = Field(default=3.0, ge=0)
    retries: int = Field(default=2, ge=0)  # for transient errors; bad input is never retried
    retry_delay_seconds: list[float] = Field(default_factory=lambda: [10.0, 60.0])

    def stage_timeout(self, duration: float) -> float:
        return self.stage_timeout_min_seconds + self.stage_timeout_factor * duration


class Catalog(Section):
    # Any SQLAlchemy URL (postgresql+psycopg://... for several machines); empty: SQLite in the output folder.
    url: str | None = None


class Show(Section):
    name: str = "VOV-podcast"
    language: str = "nl"
    # Names and terms Whisper should spell right; they become its initial prompt.
    vocabulary: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PODPIPE_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    paths: Paths = Paths()
    transcription: Transcription = Transcription()
    inbox: Inbox = Inbox()
    pipeline: Pipeline = Pipeline()
    catalog: Catalog = Catalog()
    show: Show = Show()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _current_config_file()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None and toml_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    def catalog_url(self, output_root: Path) -> str:
        return self.catalog.url or f"sqlite:///{output_root / 'catalog.sqlite'}"

    def resolve(self, path: Path) -> Path:
        """Relative paths in config are relative to the project root, not the caller's cwd."""
        path = path.expanduser()
        return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


_config_override: Path | None = None


def _current_config_file() -> Path | None:
    if _config_override is not None:
        return _config_override
    env_file = os.environ.get("PODPIPE_CONFIG")
    return Path(env_file) if env_file else DEFAULT_CONFIG_FILE


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings from ``config_file`` (default: ``$PODPIPE_CONFIG`` or ``config/podpipe.toml``)."""
    global _config_override
    if config_file is not None and not config_file.is_file():
        raise FileNotFoundError(f"{config_file}: config file not found")
    _config_override = config_file
    try:
        return Settings()
    finally:
        _config_override = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
