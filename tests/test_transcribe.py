from __future__ import annotations

from types import SimpleNamespace

import pytest

from podpipe.domain import Segment
from podpipe.stages.transcribe import _collect, initial_prompt, looks_like_loop


def raw(start: float, end: float, text: str) -> SimpleNamespace:
    """A stand-in for faster-whisper's Segment (only the fields podpipe reads)."""
    words = [
        SimpleNamespace(start=start, end=end, word=f" {w}", probability=0.8) for w in text.split()
    ]
    return SimpleNamespace(start=start, end=end, text=f" {text}", words=words)


def test_initial_prompt_lists_vocabulary() -> None:
    assert initial_prompt(["VOV", " Leerkorrel ", ""]) == "VOV, Leerkorrel."
    assert initial_prompt([]) is None


@pytest.mark.parametrize(
    "text",
    [
        "ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja ja",
        "Ik ben Ellen van Leerkorrel en ik werk hier. Ik ben Ellen van Leerkorrel en ik werk hier.",
    ],
)
def test_loops_are_recognised(text: str) -> None:
    assert looks_like_loop(text, max_ratio=2.4)


def test_ordinary_speech_is_not_a_loop() -> None:
    text = "Microleren is geen grote opleiding die ge in kleine stukjes hakt, het is een antwoord op één vraag."
    assert not looks_like_loop(text, max_ratio=2.4)


def test_a_loop_is_decoded_again_and_replaced() -> None:
    looping = "dat is dat is dat is dat is dat is dat is dat is dat is dat is dat is dat is"
    redecoded = [Segment(start=2.0, end=4.0, text="Dat is een goede vraag.")]
    calls: list[Segment] = []

    def redecode(segment: Segment) -> list[Segment]:
        calls.append(segment)
        return redecoded

    progress: list[tuple[float, float]] = []
    segments = list(
        _collect([raw(0.0, 2.0, "Goedemorgen."), raw(2.0, 4.0, looping)], 4.0, 2.4, redecode,
                 lambda done, total: progress.append((done, total)))
    )
    assert [s.text for s in segments] == ["Goedemorgen.", "Dat is een goede vraag."]
    assert len(calls) == 1 and calls[0].start == 2.0
    assert progress == [(2.0, 4.0), (4.0, 4.0)]
    assert segments[0].words[0].text == " Goedemorgen." and isinstance(segments[0].words[0].start, float)


def test_a_persistent_loop_and_a_repeated_segment_are_dropped() -> None:
    looping = "nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee"
    segments = list(
        _collect(
            [raw(0.0, 1.0, "Hallo."), raw(1.0, 2.0, looping), raw(2.0, 3.0, "Hallo."), raw(3.0, 3.5, "  ")],
            4.0, 2.4, lambda segment: [segment], None,
        )
    )
    assert [s.text for s in segments] == ["Hallo."]
