"""Ingest: probe and validate a source file with ffprobe, normalise it to 16 kHz mono PCM with ffmpeg."""

from __future__ import annotations

import wave
from pathlib import Path

import ffmpeg
import numpy as np
from slugify import slugify

from podpipe.domain import AudioInfo, Episode, NormalisedAudio
from podpipe.errors import InvalidInputError
from podpipe.files import atomic_path, sha256_file

SAMPLE_RATE = 16_000
MIN_DURATION = 1.0  # seconds; shorter files are rejected
# A decode this much shorter than the container's duration means the file is cut off.
TRUNCATION_TOLERANCE = 0.9
SUPPORTED_SUFFIXES = {".mp3", ".m4a", ".aac", ".wav", ".flac", ".ogg", ".opus", ".mp4", ".webm", ".mka"}


def episode_slug(path: Path) -> str:
    return slugify(path.stem, max_length=80) or "episode"


def probe(path: Path) -> AudioInfo:
    """Duration, codec and channels of the first audio stream; raises InvalidInputError otherwise."""
    if not path.is_file():
        raise InvalidInputError(path, "file not found")
    if path.stat().st_size == 0:
        raise InvalidInputError(path, "file is empty (0 bytes)")
    try:
        info = ffmpeg.probe(str(path))
    except ffmpeg.Error as error:
        detail = _last_line(error.stderr) or "ffprobe could not read it"
        raise InvalidInputError(path, f"not a readable audio or video file ({detail})") from error
    audio_streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio_streams:
        raise InvalidInputError(path, "the file has no audio stream")
    stream = audio_streams[0]
    duration = _duration(stream, info.get("format", {}))
    if duration < MIN_DURATION:
        raise InvalidInputError(path, f"audio is {duration:.2f} s long; at least {MIN_DURATION:.0f} s is needed")
    return AudioInfo(
        duration=duration,
        codec=str(stream.get("codec_name", "unknown")),
        channels=int(stream.get("channels", 0)),
        sample_rate=int(stream.get("sample_rate", 0) or 0),
        format_name=str(info.get("format", {}).get("format_name", "unknown")),
    )


def _duration(stream: dict, container: dict) -> float:
    for value in (stream.get("duration"), container.get("duration")):
        try:
            return float(value)  # type: ignore[arg-type]  # None raises TypeError, handled below
        except (TypeError, ValueError):
            continue
    return 0.0


def _last_line(stderr: bytes | None) -> str:
    lines = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip() if lines else ""


def describe_episode(path: Path) -> Episode:
    """Probe the file and give it its identity (the sha256 of its bytes)."""
    info = probe(path)
    return Episode(
        id=sha256_file(path),
        slug=episode_slug(path),
        source=path.resolve(),
        duration=info.duration,
        audio=info,
    )


def normalise(episode: Episode, work_dir: Path) -> NormalisedAudio:
    """Decode the first audio stream to 16 kHz mono PCM16 WAV in ``work_dir`` (atomically)."""
    target = work_dir / f"{episode.id[:16]}.16k.wav"
    if not target.is_file():
        work_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as temporary:
            stream = ffmpeg.input(str(episode.source)).output(
                str(temporary), map="0:a:0", ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le", format="wav"
            )
            try:
                stream.global_args("-nostdin", "-hide_banner", "-v", "error").run(
                    capture_stdout=True, capture_stderr=True, overwrite_output=True
                )
            except ffmpeg.Error as error:
                detail = _last_line(error.stderr) or "ffmpeg failed"
                raise InvalidInputError(episode.source, f"audio could not be decoded ({detail})") from error
            _check_decoded(episode, temporary)
    return NormalisedAudio(path=target, sample_rate=SAMPLE_RATE, duration=_wav_duration(target))


def _check_decoded(episode: Episode, wav_path: Path) -> None:
    decoded = _wav_duration(wav_path)
    if decoded < MIN_DURATION:
        raise InvalidInputError(episode.source, f"only {decoded:.2f} s of audio could be decoded")
    if decoded < TRUNCATION_TOLERANCE * episode.duration and episode.duration - decoded > 1.0:
        raise InvalidInputError(
            episode.source,
            f"file is truncated: its header says {episode.duration:.1f} s, only {decoded:.1f} s decode",
        )


def _wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as handle:
        return handle.getnframes() / handle.getframerate()


def load_waveform(audio: NormalisedAudio) -> np.ndarray:
    """The normalised audio as float32 samples in [-1, 1], decoded once and shared by model stages."""
    with wave.open(str(audio.path), "rb") as handle:
        frames = handle.readframes(handle.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
