from __future__ import annotations

from types import SimpleNamespace

import pytest

from podpipe.domain import Segment, Word
from podpipe.stages.transcribe import (
    RECOVERED_MIN_PROBABILITY,
    _collect,
    heard_again,
    initial_prompt,
    looks_like_loop,
    unheard_stretches,
)


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

    reached: list[float] = []
    segments = list(_collect([raw(0.0, 2.0, "Goedemorgen."), raw(2.0, 4.0, looping)], 2.4, redecode, reached.append))
    assert [s.text for s in segments] == ["Goedemorgen.", "Dat is een goede vraag."]
    assert len(calls) == 1 and calls[0].start == 2.0
    assert reached == [2.0, 4.0]
    assert segments[0].words[0].text == " Goedemorgen." and isinstance(segments[0].words[0].start, float)


def test_a_persistent_loop_and_a_repeated_segment_are_dropped() -> None:
    looping = "nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee nee"
    segments = list(
        _collect(
            [raw(0.0, 1.0, "Hallo."), raw(1.0, 2.0, looping), raw(2.0, 3.0, "Hallo."), raw(3.0, 3.5, "  ")],
            2.4, lambda segment: [segment], lambda end: None,
        )
    )
    assert [s.text for s in segments] == ["Hallo."]


def test_hint_options_per_mode() -> None:
    from podpipe.domain import Cast, CastMember, Role
    from podpipe.stages.transcribe import hint_options

    cast = Cast(host=CastMember("Walter Schroven", Role.HOST), organisations=("VOV",), vocabulary=("L&D",))
    assert hint_options(cast, "hotwords") == {"hotwords": "Walter Schroven, VOV, L&D", "initial_prompt": None}
    assert hint_options(cast, "prompt") == {"initial_prompt": "Walter Schroven, VOV, L&D."}
    assert hint_options(cast, "none") == {"initial_prompt": None}


def test_a_leaked_prompt_is_recognised_and_real_speech_is_not() -> None:
    from podpipe.domain import Cast, CastMember, Role, Word
    from podpipe.stages.transcribe import hint_words, is_hint_leak

    hints = hint_words(Cast(host=CastMember("Walter Schroven", Role.HOST), organisations=("VOV",),
                            vocabulary=("L&D",)))
    leak = Segment(0.0, 2.0, "VOV, L&D.", [Word(0.0, 1.0, " VOV,", 0.3), Word(1.0, 2.0, " L&D.", 0.4)])
    assert is_hint_leak(leak, hints, no_speech_prob=0.1)  # unsure words
    sure = Segment(0.0, 1.0, "Walter?", [Word(0.0, 1.0, " Walter?", 0.95)])
    assert not is_hint_leak(sure, hints, no_speech_prob=0.05)  # a name said alone, clearly
    assert is_hint_leak(sure, hints, no_speech_prob=0.6)  # ... unless Whisper thinks it is silence
    speech = Segment(0.0, 2.0, "Dank je, Walter.", [Word(0.0, 2.0, " Dank je, Walter.", 0.2)])
    assert not is_hint_leak(speech, hints, no_speech_prob=0.9)  # words that were not hinted


def test_a_leak_is_dropped_while_collecting() -> None:
    segments = list(_collect([raw(0.0, 1.0, "VOV."), raw(1.0, 2.0, "Hallo.")], 2.4, lambda s: [s], lambda end: None,
                             is_leak=lambda segment, no_speech: segment.text == "VOV."))
    assert [s.text for s in segments] == ["Hallo."]


@pytest.mark.parametrize(
    ("seconds", "words", "language", "verdict"),
    [(0.5, 3, "nl", "no-speech"), (30.0, 0, None, "no-speech"), (30.0, 50, "en", "other-language"),  # sure of it
     (30.0, 50, "nl", "speech"), (30.0, 50, None, "speech")],
)
def test_speech_verdict(seconds: float, words: int, language: str | None, verdict: str) -> None:
    from podpipe.stages.transcribe import speech_verdict

    assert speech_verdict(seconds, words, 2.0, language, "nl") == verdict


def test_dutch_detected_as_a_neighbour_language_is_still_dutch() -> None:
    from podpipe.stages.transcribe import speech_verdict

    assert speech_verdict(30.0, 50, 2.0, "af", "nl", expected_probability=0.35) == "speech"
    assert speech_verdict(30.0, 50, 2.0, "la", "nl", expected_probability=0.002, probability=0.46) == "speech"
    # Latin, however sure, is Whisper's name for speech it cannot place (robotic Dutch at 0.67)
    assert speech_verdict(686.0, 900, 2.0, "la", "nl", expected_probability=0.002, probability=0.67) == "speech"
    assert speech_verdict(30.0, 50, 2.0, "en", "nl", expected_probability=0.01, probability=0.9) == "other-language"


def test_a_sentence_or_two_is_too_little_to_call_another_language() -> None:
    from podpipe.stages.transcribe import speech_verdict

    # A real 2 s Flemish sentence that Whisper base hears as German at 0.88.
    assert speech_verdict(2.1, 5, 2.0, "de", "nl", expected_probability=0.098, probability=0.883) == "speech"
    assert speech_verdict(12.0, 30, 2.0, "de", "nl", expected_probability=0.098, probability=0.883) == "other-language"


def test_language_windows_spread_over_the_speech() -> None:
    import numpy as np

    from podpipe.stages.transcribe import SAMPLE_RATE, _speech_windows

    speech = np.arange(200 * SAMPLE_RATE, dtype=np.float32)
    joined = _speech_windows(speech, 3)
    assert len(joined) == 90 * SAMPLE_RATE
    assert joined[0] == 0 and joined[-1] == speech[-1]  # the start and the end of the episode
    assert len(_speech_windows(speech[: 40 * SAMPLE_RATE], 3)) == 40 * SAMPLE_RATE


def _words(start: float, texts: str, probability: float = 0.9, step: float = 0.5) -> Segment:
    words = [Word(start + i * step, start + (i + 1) * step - 0.1, f" {t}", probability)
             for i, t in enumerate(texts.split())]
    return Segment(words[0].start, words[-1].end, texts, words=words)


def _stretch(start: float, end: float) -> dict[str, int]:
    return {"start": int(start * 16_000), "end": int(end * 16_000)}


def test_speech_without_words_is_found_trimmed_to_the_speech_in_it() -> None:
    # words over 0-2 s and 12-14 s; the VAD heard speech over 0-14 s, with a pause at 6-7 s
    segments = [_words(0.0, "een twee drie vier"), _words(12.0, "negen tien elf twaalf")]
    stretches = [_stretch(0.0, 6.0), _stretch(7.0, 14.0), _stretch(20.0, 21.0)]
    assert unheard_stretches(segments, stretches, min_seconds=2.0) == [(1.9, 12.0)]
    # short breaks between words, or a lone second of speech after the last word, are no gap
    assert unheard_stretches(segments, stretches, min_seconds=11.0) == []
    assert unheard_stretches([], [_stretch(3.0, 5.5)], min_seconds=2.0) == [(3.0, 5.5)]


def test_what_is_decoded_again_is_kept_only_inside_the_gap_and_when_heard_well() -> None:
    sure = _words(10.0, "daarvoor heb ik twee gasten")
    spill = _words(8.0, "uithaalt")  # a word of the audio around the gap: already in the transcript
    unsure = _words(12.6, "mandaan onder meer", probability=RECOVERED_MIN_PROBABILITY - 0.1)
    kept = heard_again([spill, sure, unsure], 9.5, 13.0, max_ratio=2.4)
    assert [s.text for s in kept] == ["daarvoor heb ik twee gasten"]
    assert kept[0].start == 10.0 and kept[0].words == sure.words


def test_a_loop_over_several_segments_decoded_again_is_dropped_whole() -> None:
    loop = [_words(20.0 + 3 * i, "maar je negen we niet meer") for i in range(4)]
    assert heard_again(loop, 19.0, 33.0, max_ratio=2.4) == []
