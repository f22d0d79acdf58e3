from __future__ import annotations

import wave
from pathlib import Path

import pytest

from conftest import ffmpeg_generate
from podpipe.errors import InvalidInputError
from podpipe.stages import ingest as audio


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("episode.mp3", ()),
        ("episode.m4a", ("-c:a", "aac")),
        ("episode.wav", ()),
        ("episode.flac", ()),
        ("episode.ogg", ("-c:a", "libvorbis")),
        ("episode.opus", ("-c:a", "libopus")),
    ],
)
def test_accepted_formats_normalise_to_16k_mono(make_tone, tmp_path: Path, name: str, extra: tuple) -> None:
    source = make_tone(name, seconds=2.0, channels=2, extra=extra)
    episode = audio.describe_episode(source)
    assert episode.audio is not None and episode.audio.channels == 2
    assert episode.duration == pytest.approx(2.0, abs=0.1)
    assert len(episode.id) == 64

    normalised = audio.normalise(episode, tmp_path / "work")
    with wave.open(str(normalised.path)) as handle:
        assert (handle.getframerate(), handle.getnchannels(), handle.getsampwidth()) == (16_000, 1, 2)
    assert normalised.duration == pytest.approx(2.0, abs=0.1)
    waveform = audio.load_waveform(normalised)
    assert waveform.dtype.name == "float32" and 0.05 < abs(waveform).max() <= 1.0  # lavfi sine: amplitude 1/8


def test_audio_track_of_a_video_is_used(tmp_path: Path) -> None:
    source = ffmpeg_generate(
        tmp_path / "episode.mp4",
        "-f", "lavfi", "-i", "testsrc=duration=2:size=64x64:rate=10",
        "-f", "lavfi", "-i", "sine=frequency=300:duration=2",
        "-c:v", "libx264", "-c:a", "aac", "-shortest",
    )
    normalised = audio.normalise(audio.describe_episode(source), tmp_path / "work")
    assert normalised.duration == pytest.approx(2.0, abs=0.15)


def test_same_bytes_same_identity_whatever_the_name(make_tone, tmp_path: Path) -> None:
    source = make_tone("a.flac")
    renamed = tmp_path / "Aflevering 12 – Ellen & Bram.flac"
    renamed.write_bytes(source.read_bytes())
    first, second = audio.describe_episode(source), audio.describe_episode(renamed)
    assert first.id == second.id
    assert second.slug == "aflevering-12-ellen-bram"


def test_normalise_reuses_finished_work(make_tone, tmp_path: Path) -> None:
    episode = audio.describe_episode(make_tone("a.wav"))
    first = audio.normalise(episode, tmp_path / "work")
    mtime = first.path.stat().st_mtime_ns
    again = audio.normalise(episode, tmp_path / "work")
    assert again.path == first.path and again.path.stat().st_mtime_ns == mtime


def _assert_rejected(path: Path, reason_part: str, work: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        audio.normalise(audio.describe_episode(path), work)
    message = str(caught.value)
    assert str(path) in message, "the error must name the file"
    assert reason_part in caught.value.reason
    # Nothing half-written is left behind.
    assert not list(work.glob("*")) if work.exists() else True


def test_rejects_text_file_posing_as_mp3(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp3"
    fake.write_text("dit is geen audio\n" * 50)
    _assert_rejected(fake, "not a readable audio", tmp_path / "work")


def test_rejects_zero_length_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp3"
    empty.touch()
    _assert_rejected(empty, "empty", tmp_path / "work")


def test_rejects_missing_file(tmp_path: Path) -> None:
    _assert_rejected(tmp_path / "nowhere.mp3", "not found", tmp_path / "work")


def test_rejects_shorter_than_one_second(make_tone, tmp_path: Path) -> None:
    _assert_rejected(make_tone("short.wav", seconds=0.4), "at least 1 s", tmp_path / "work")


def test_rejects_video_without_audio(tmp_path: Path) -> None:
    silent_video = ffmpeg_generate(
        tmp_path / "video.mp4", "-f", "lavfi", "-i", "testsrc=duration=2:size=64x64:rate=10", "-c:v", "libx264"
    )
    _assert_rejected(silent_video, "no audio stream", tmp_path / "work")


def test_rejects_truncated_mp3(make_tone, tmp_path: Path) -> None:
    whole = make_tone("whole.mp3", seconds=6.0)
    truncated = tmp_path / "truncated.mp3"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    _assert_rejected(truncated, "truncated", tmp_path / "work")
