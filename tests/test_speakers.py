"""Words x speaker turns: overlaps, gaps, splits, order of speakers, and the one-sweep merge."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from podpipe.domain import Episode, ModelInfo, Segment, Speaker, SpeakerTurn, Transcript, Word
from podpipe.stages.attribute import assign_span, assign_words, attribute_speakers, speaker_turns, split_segment


def w(start: float, end: float, text: str = " x") -> Word:
    return Word(start=start, end=end, text=text, probability=0.9)


def t(start: float, end: float, speaker: str) -> SpeakerTurn:
    return SpeakerTurn(start=start, end=end, speaker=speaker)


def transcript(*segments: Segment, speakers: list[Speaker] | None = None) -> Transcript:
    episode = Episode(id="0" * 64, slug="ep", source=Path("ep.mp3"), duration=60.0)
    return Transcript(episode=episode, segments=list(segments), language="nl", speakers=speakers or [])


def segment(words: list[Word], start: float | None = None, end: float | None = None) -> Segment:
    return Segment(
        start=words[0].start if start is None else start,
        end=words[-1].end if end is None else end,
        text="".join(x.text for x in words).strip(),
        words=words,
    )


# --- word assignment ------------------------------------------------------------------------


def test_word_goes_to_the_turn_it_overlaps_most():
    turns = [t(0.0, 1.0, "A"), t(1.0, 3.0, "B")]
    # 0.8-1.4 overlaps A by 0.2 and B by 0.4
    assert assign_words([w(0.1, 0.5), w(0.8, 1.4), w(0.9, 1.05)], turns) == ["A", "B", "A"]


def test_overlapping_turns_the_larger_overlap_wins():
    turns = [t(0.0, 5.0, "A"), t(2.0, 2.6, "B")]
    words = [w(1.0, 1.5), w(2.1, 2.5), w(2.4, 3.4), w(4.0, 4.5)]
    # the word inside B's interjection overlaps both fully: a tie keeps the first turn (A)
    assert assign_words(words, turns) == ["A", "A", "A", "A"]
    turns = [t(0.0, 2.3, "A"), t(2.0, 4.0, "B")]
    assert assign_words([w(2.1, 2.5)], turns) == ["B"]  # 0.2 with A, 0.4 with B


def test_words_in_gaps_go_to_the_nearest_turn():
    turns = [t(0.0, 1.0, "A"), t(3.0, 4.0, "B")]
    words = [w(1.2, 1.5), w(2.5, 2.8), w(1.9, 2.1), w(5.0, 5.5), w(-1.0, -0.5)]
    # 1.2-1.5: 0.2 after A, 1.5 before B; 2.5-2.8: 0.2 before B; 1.9-2.1: equally near -> A
    assert assign_words(words, turns) == ["A", "B", "A", "B", "A"]


def test_zero_length_words_and_unsorted_input():
    turns = [t(3.0, 4.0, "B"), t(0.0, 1.0, "A")]
    words = [w(3.5, 3.5), w(0.5, 0.5), w(1.0, 1.0), w(2.2, 2.2)]
    assert assign_words(words, turns) == ["B", "A", "A", "B"]


def test_no_turns_no_speakers():
    assert assign_words([w(0, 1), w(1, 2)], []) == [None, None]
    assert assign_words([], [t(0, 1, "A")]) == []


def test_assign_span_for_segments_without_words():
    turns = [t(0.0, 2.0, "A"), t(2.0, 10.0, "B")]
    assert assign_span(1.0, 5.0, turns) == "B"
    assert assign_span(12.0, 13.0, turns) == "B"


def brute_force(words: list[Word], turns: list[SpeakerTurn]) -> list[str | None]:
    """The obvious quadratic rule the sweep must agree with."""
    labels = []
    for word in words:
        best, best_overlap = None, 0.0
        for turn in sorted(turns, key=lambda x: (x.start, x.end)):
            if word.end > word.start:
                overlap = max(0.0, min(word.end, turn.end) - max(word.start, turn.start))
            else:
                overlap = 1e-9 if turn.start <= word.start <= turn.end else 0.0
            if overlap > best_overlap:
                best, best_overlap = turn, overlap
        if best is None and turns:
            before = [x for x in turns if x.end <= word.start]
            after = [x for x in turns if x.start >= word.end]
            gap_b = min((word.start - x.end for x in before), default=float("inf"))
            gap_a = min((x.start - word.end for x in after), default=float("inf"))
            if gap_b <= gap_a:
                best = max(before, key=lambda x: (x.end, -turns.index(x)))
            else:
                best = min(after, key=lambda x: (x.start, x.end))
        labels.append(best.speaker if best else None)
    return labels


@pytest.mark.parametrize("seed", range(20))
def test_sweep_agrees_with_brute_force_on_exclusive_turns(seed):
    rng = random.Random(seed)
    turns, now = [], 0.0
    for _ in range(rng.randint(1, 30)):
        now += rng.choice([0.0, rng.uniform(0.05, 2.0)])
        length = rng.uniform(0.2, 6.0)
        turns.append(t(round(now, 3), round(now + length, 3), rng.choice("ABC")))
        now += length
    words, now = [], rng.uniform(-1.0, 1.0)
    for _ in range(rng.randint(1, 120)):
        now += rng.uniform(0.0, 0.8)
        length = rng.choice([0.0, rng.uniform(0.05, 0.9)])
        words.append(w(round(now, 3), round(now + length, 3)))
        now += length
    assert assign_words(words, turns) == brute_force(words, turns)


@pytest.mark.parametrize("seed", range(10))
def test_sweep_agrees_with_brute_force_on_overlapping_turns(seed):
    rng = random.Random(100 + seed)
    turns = []
    for _ in range(rng.randint(1, 25)):
        start = rng.uniform(0, 60)
        turns.append(t(round(start, 3), round(start + rng.uniform(0.1, 8.0), 3), rng.choice("ABCD")))
    words = []
    for _ in range(rng.randint(1, 100)):
        start = rng.uniform(-2, 70)
        words.append(w(round(start, 3), round(start + rng.uniform(0.0, 1.0), 3)))
    words.sort(key=lambda x: x.start)
    # with overlapping turns a tie between equal overlaps may pick either; compare overlaps
    got, want = assign_words(words, turns), brute_force(words, turns)
    for word, a, b in zip(words, got, want):
        if a != b:
            overlap = {
                s: max(
                    0.0, *(min(word.end, x.end) - max(word.start, x.start) for x in turns if x.speaker == s)
                )
                for s in (a, b)
            }
            assert overlap[a] == pytest.approx(overlap[b]), (word, a, b)


def test_one_hour_of_words_is_one_sweep():
    rng = random.Random(1)
    turns, now = [], 0.0
    while now < 3600:
        length = rng.uniform(1.0, 20.0)
        turns.append(t(now, now + length, rng.choice(["A", "B", "C"])))
        now += length + rng.uniform(0.0, 0.5)
    words, now = [], 0.0
    while len(words) < 10_000:
        length = rng.uniform(0.1, 0.5)
        words.append(w(now, now + length))
        now += length + 0.01
    started = time.perf_counter()
    labels = assign_words(words, turns)
    elapsed = time.perf_counter() - started
    assert len(labels) == 10_000 and None not in labels
    assert elapsed < 1.0, f"{elapsed:.2f} s for 10,000 words: not a single sweep?"


# --- segments and transcripts ---------------------------------------------------------------


def test_segments_are_split_where_the_speaker_changes():
    words = [w(0.0, 0.4, " Hallo"), w(0.5, 0.9, " allemaal."), w(1.1, 1.5, " Dag"), w(1.6, 2.0, " Jan.")]
    tr = transcript(segment(words, start=0.0, end=2.1))
    turns = [t(0.0, 1.0, "SPEAKER_00"), t(1.0, 2.2, "SPEAKER_01")]
    result = attribute_speakers(tr, turns)
    assert [(s.start, s.end, s.speaker, s.text) for s in result.segments] == [
        (0.0, 0.9, "SPEAKER_00", "Hallo allemaal."),
        (1.1, 2.1, "SPEAKER_01", "Dag Jan."),
    ]
    assert all(word.speaker == seg.speaker for seg in result.segments for word in seg.words)
    assert [s.id for s in result.speakers] == ["SPEAKER_00", "SPEAKER_01"]
    # the input is untouched
    assert tr.segments[0].speaker is None and tr.segments[0].words[0].speaker is None


def test_a_to_b_to_a_gives_three_segments():
    words = [w(i, i + 0.5) for i in range(6)]
    turns = [t(0, 2, "A"), t(2, 4, "B"), t(4, 6, "A")]
    pieces = split_segment(
        segment(words),
        [Word(x.start, x.end, x.text, x.probability, s) for x, s in zip(words, assign_words(words, turns))],
    )
    assert [p.speaker for p in pieces] == ["A", "B", "A"]
    assert [len(p.words) for p in pieces] == [2, 2, 2]


def test_speakers_in_order_of_first_appearance_and_known_speakers_kept():
    tr = transcript(
        segment([w(0, 1), w(1, 2)]),
        segment([w(3, 4)]),
        speakers=[Speaker(id="SPEAKER_00", name="Walter"), Speaker(id="SPEAKER_09", name="gone")],
    )
    turns = [t(0, 2, "SPEAKER_01"), t(2.5, 5, "SPEAKER_00")]
    result = attribute_speakers(tr, turns)
    assert [s.id for s in result.speakers] == ["SPEAKER_01", "SPEAKER_00"]
    assert result.speakers[1].name == "Walter"


def test_segment_without_words_gets_a_speaker_and_model_is_recorded():
    tr = transcript(Segment(start=0.0, end=3.0, text="(muziek)"), segment([w(4, 5)]))
    info = ModelInfo(stage="diarize", name="test", version="1")
    result = attribute_speakers(tr, [t(0.0, 2.5, "A"), t(2.5, 6.0, "B")], model=info)
    assert [s.speaker for s in result.segments] == ["A", "B"]
    assert result.models[-1] == info
    again = attribute_speakers(result, [t(0.0, 6.0, "A")], model=info)
    assert [m.stage for m in again.models].count("diarize") == 1


def test_no_turns_leaves_speakers_empty():
    tr = transcript(segment([w(0, 1)]))
    result = attribute_speakers(tr, [])
    assert result.segments[0].speaker is None and result.speakers == []


def test_speaker_turns_from_words_cross_segments():
    tr = transcript(segment([w(0, 1), w(1, 2)]), segment([w(2.5, 3), w(3, 4)]))
    result = attribute_speakers(tr, [t(0, 3.2, "A"), t(3.2, 5, "B")])
    assert speaker_turns(result) == [t(0, 3, "A"), t(3, 4, "B")]
