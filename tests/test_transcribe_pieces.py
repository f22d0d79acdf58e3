"""Transcription in pieces side by side: the pieces are faster-whisper's own windows, the cores are
shared with the diarisation as the budget says, and the words are those of the whole file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from faster_whisper.vad import collect_chunks

from podpipe.cast import describe
from podpipe.config import load_settings
from podpipe.stages import ingest
from podpipe.stages.transcribe import SAMPLE_RATE, _in_parallel, piece_bounds, speech_windows, transcribe
from podpipe.worker import CoreShare


def stretches(*spans: tuple[float, float]) -> list[dict[str, int]]:
    return [{"start": int(start * SAMPLE_RATE), "end": int(end * SAMPLE_RATE)} for start, end in spans]


def test_windows_are_the_ones_faster_whisper_makes() -> None:
    # Stretches of 4-12 s with pauses: faster-whisper joins them into windows of at most 30 s.
    rng = np.random.default_rng(3)
    spans, clock = [], 0.0
    for _ in range(40):
        length = float(rng.uniform(4, 12))
        spans.append((clock, clock + length))
        clock += length + float(rng.uniform(0.2, 2.0))
    speech = stretches(*spans)
    _, expected = collect_chunks(np.zeros(int(clock * SAMPLE_RATE) + 1, dtype=np.float32), speech, max_duration=30)
    windows = speech_windows(speech)
    assert [round(sum(s["end"] - s["start"] for s in w) / SAMPLE_RATE, 3) for w in windows] == \
        [round(chunk["duration"], 3) for chunk in expected]
    assert all(sum(s["end"] - s["start"] for s in w) <= 30 * SAMPLE_RATE for w in windows)


def test_pieces_are_runs_of_whole_windows_in_time_order() -> None:
    speech = stretches(*[(10.0 * k, 10.0 * k + 9.0) for k in range(60)])  # ten minutes, 9 s of speech in 10
    waveform = np.zeros(600 * SAMPLE_RATE, dtype=np.float32)
    pieces = piece_bounds(waveform, speech, piece_seconds=120, streams=2)
    assert len(pieces) == 5
    assert [piece.index for piece in pieces] == list(range(5))
    flattened = [stretch for piece in pieces for window in piece.windows for stretch in window]
    assert flattened == speech, "every stretch in exactly one piece, in order"
    assert [list(window) for piece in pieces for window in piece.windows] == speech_windows(speech)
    assert all(a.end <= b.start for a, b in zip(pieces, pieces[1:], strict=False))


def test_a_short_episode_still_gives_every_stream_a_piece_and_one_stream_keeps_it_whole() -> None:
    speech = stretches(*[(10.0 * k, 10.0 * k + 9.0) for k in range(10)])  # 100 s
    waveform = np.zeros(100 * SAMPLE_RATE, dtype=np.float32)
    assert len(piece_bounds(waveform, speech, piece_seconds=120, streams=2)) == 2
    assert len(piece_bounds(waveform, speech, piece_seconds=120, streams=1)) == 1
    assert len(piece_bounds(waveform, speech, piece_seconds=0, streams=2)) == 1
    no_vad = piece_bounds(waveform, None, piece_seconds=120, streams=2)
    assert [(p.start, p.end, p.windows) for p in no_vad] == [(0, len(waveform), ())]


def test_streams_follow_the_budget_and_take_the_core_back_when_it_is_free(tmp_path: Path) -> None:
    marker = tmp_path / "ep.diarising"
    marker.touch()
    budget = CoreShare(total=2, beside=1, busy_marker=marker)
    pieces = piece_bounds(np.zeros(600 * SAMPLE_RATE, dtype=np.float32),
                          stretches(*[(10.0 * k, 10.0 * k + 9.0) for k in range(60)]), 60, 2)
    running, most = [0], {"while busy": 0, "after": 0}
    lock = threading.Lock()

    def work(piece):  # noqa: ANN001
        with lock:
            running[0] += 1
            phase = "while busy" if marker.exists() else "after"
            most[phase] = max(most[phase], running[0])
        time.sleep(0.15)
        if piece.index == 3:
            marker.unlink()  # the diarisation ends
        with lock:
            running[0] -= 1
        return piece.index

    assert _in_parallel(pieces, work, budget, most=2) == [piece.index for piece in pieces]
    assert most == {"while busy": 1, "after": 2}


def test_a_failed_piece_stops_the_others() -> None:
    pieces = piece_bounds(np.zeros(600 * SAMPLE_RATE, dtype=np.float32),
                          stretches(*[(10.0 * k, 10.0 * k + 9.0) for k in range(60)]), 60, 2)
    done: list[int] = []

    def work(piece):  # noqa: ANN001
        if piece.index == 1:
            raise RuntimeError("out of memory")
        time.sleep(0.05)
        done.append(piece.index)
        return piece.index

    with pytest.raises(RuntimeError, match="out of memory"):
        _in_parallel(pieces, work, lambda: 2, most=2)
    assert len(done) < len(pieces) - 1


def test_the_core_share_never_falls_below_one(tmp_path: Path) -> None:
    marker = tmp_path / "busy"
    assert CoreShare(total=2, beside=1, busy_marker=marker)() == 2
    marker.touch()
    assert CoreShare(total=2, beside=1, busy_marker=marker)() == 1
    assert CoreShare(total=1, beside=1, busy_marker=marker)() == 1
    assert CoreShare(total=16, beside=1, busy_marker=marker)() == 15


@pytest.mark.models
def test_pieces_side_by_side_give_the_words_of_the_whole_file(shared: Path, make_speech, tmp_path: Path) -> None:
    ids = sorted((shared / "audio" / "flemish-read-speech" / "wavs").glob("*.wav"))[:24]
    source, _ = make_speech(tmp_path / "joined.wav", [path.stem for path in ids])
    settings = load_settings()
    episode = describe(ingest.describe_episode(source), settings)
    waveform = ingest.load_waveform(ingest.normalise(episode, tmp_path / "work"))

    def words(piece_seconds: float) -> tuple[list[tuple[str, float]], int]:
        run = settings.model_copy(update={"transcription": settings.transcription.model_copy(
            update={"piece_seconds": piece_seconds, "threads": 2})})
        transcript = transcribe(episode, waveform, run.transcribe_config())
        return ([(w.text, w.start) for s in transcript.segments for w in s.words],
                int(transcript.models[0].settings["pieces"]))

    whole, one = words(0)
    pieces, many = words(45)
    assert one == 1 and many >= 2
    assert pieces == whole, "the same words at the same times"
