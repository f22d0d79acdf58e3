"""The speaker-count logic of podpipe.stages.diarize.counting on made-up embeddings (no models)."""

from __future__ import annotations

import numpy as np
import pytest

from podpipe.stages.diarize.counting import (
    CountBounds,
    LocalSpeakers,
    absorb_small,
    brief_new_voices,
    cosine_clusters,
    count_speakers,
    cut_into,
    farthest_brief_voices,
    keep_every_speaker,
    pyannote_min_cluster_size,
)

DIM = 16
RNG = np.random.default_rng(7)
VOICES = np.eye(DIM)[:4] * 10  # four orthogonal voices: cosine distance 1 between any two


def near(voice: int, noise: float = 0.05) -> np.ndarray:
    return VOICES[voice] + RNG.normal(0, noise * 10, DIM)


def local(rows: list[tuple[int, float, float, int | None]]) -> LocalSpeakers:
    """rows: (chunk, clean seconds, active seconds, voice or None for no embedding)."""
    return LocalSpeakers(
        chunk=np.array([r[0] for r in rows]),
        clean=np.array([r[1] for r in rows], dtype=float),
        active=np.array([r[2] for r in rows], dtype=float),
        embeddings=np.vstack([near(r[3]) if r[3] is not None else np.full(DIM, np.nan) for r in rows]),
    )


def reliable_of(speakers: LocalSpeakers) -> np.ndarray:
    return np.flatnonzero(speakers.valid & (speakers.clean >= 2.0))


# --- bounds --------------------------------------------------------------------------------------


def test_bounds_from_a_count_or_limits():
    assert CountBounds.of(3) == CountBounds(3, 3)
    assert CountBounds.of(3, 1, 2) == CountBounds(3, 3)  # a known count wins over limits
    assert CountBounds.of(None, 2, 5).clamp(1) == 2
    assert CountBounds.of(None, 2, 5).clamp(7) == 5
    assert CountBounds.of().clamp(9) == 9
    with pytest.raises(ValueError):
        CountBounds.of(None, 4, 2)


def test_local_speakers_from_pyannote_arrays():
    segmentation = np.zeros((2, 10, 3))
    segmentation[0, :6, 0] = 1  # alone for 6 frames
    segmentation[0, 4:, 1] = 1  # overlaps speaker 0 on frames 4-5
    embeddings = np.ones((2, 3, DIM))
    embeddings[1, 2] = np.nan
    speakers = LocalSpeakers.from_arrays(embeddings, segmentation, chunk_seconds=10.0)
    assert speakers.chunk.tolist() == [0, 0, 0, 1, 1, 1]
    assert speakers.clean[:2].tolist() == [4.0, 4.0] and speakers.active[:2].tolist() == [6.0, 6.0]
    assert speakers.valid.tolist() == [True, True, True, True, True, False]


# --- clustering helpers --------------------------------------------------------------------------


def test_threshold_and_cut_and_absorb():
    points = np.vstack([near(0), near(0), near(1), near(1), near(2)])
    assert len(set(cosine_clusters(points, 0.3))) == 3
    assert len(set(cut_into(points, 2))) == 2
    assert len(set(cut_into(points[:1], 4))) == 1  # never more clusters than embeddings
    labels = absorb_small(points, cosine_clusters(points, 0.3), min_size=2)
    assert len(set(labels)) == 2 and labels[4] in (labels[0], labels[2])
    assert pyannote_min_cluster_size(12, 10) == 1 and pyannote_min_cluster_size(12, 2000) == 12


# --- brief voices --------------------------------------------------------------------------------


def test_brief_voice_beside_a_known_voice_in_its_chunk_is_new():
    speakers = local([(0, 8, 8, 0), (0, 0.2, 1.0, 1), (1, 9, 9, 0), (2, 9, 9, 0)])
    reliable = reliable_of(speakers)
    labels = cosine_clusters(speakers.embeddings[reliable], 0.3)
    chosen, new_labels = brief_new_voices(speakers, reliable, labels, threshold=0.3, min_seconds=0.5)
    assert chosen.tolist() == [1] and new_labels.tolist() == [0]


def test_brief_voice_needs_both_models():
    # far from the known voice but alone in its chunk: the segmentation did not separate them
    alone = local([(0, 8, 8, 0), (1, 0.2, 1.0, 1), (2, 9, 9, 0)])
    # beside the known voice but its embedding is that voice: the segmentation split one voice
    split = local([(0, 8, 8, 0), (0, 0.2, 1.0, 0), (2, 9, 9, 0)])
    # beside a known voice, far, but under half a second of speech
    short = local([(0, 8, 8, 0), (0, 0.1, 0.3, 1), (2, 9, 9, 0)])
    for speakers in (alone, split, short):
        reliable = reliable_of(speakers)
        labels = cosine_clusters(speakers.embeddings[reliable], 0.3)
        chosen, _ = brief_new_voices(speakers, reliable, labels, threshold=0.3, min_seconds=0.5)
        assert chosen.tolist() == []


def test_brief_voices_are_one_voice_unless_the_segmentation_separates_them():
    # two brief pairs of different embeddings, in different chunks: one new voice
    apart = local([(0, 8, 8, 0), (0, 0.2, 1.0, 1), (1, 8, 8, 0), (1, 0.2, 0.9, 2)])
    # two brief pairs in the same chunk as the known voice: two new voices
    together = local([(0, 6, 6, 0), (0, 0.2, 1.0, 1), (0, 0.2, 0.9, 2), (1, 9, 9, 0)])
    expected = {id(apart): 1, id(together): 2}
    for speakers in (apart, together):
        reliable = reliable_of(speakers)
        labels = cosine_clusters(speakers.embeddings[reliable], 0.3)
        chosen, new_labels = brief_new_voices(speakers, reliable, labels, 0.3, 0.5)
        assert len(chosen) == 2 and len(set(new_labels.tolist())) == expected[id(speakers)]


# --- the count -----------------------------------------------------------------------------------


def test_count_without_bounds_finds_the_brief_voice():
    speakers = local([(0, 8, 8, 0), (0, 0.2, 1.0, 1), (1, 9, 9, 0), (2, 4, 4, 2), (3, 5, 5, 2)])
    train, labels = count_speakers(speakers, reliable_of(speakers), CountBounds.of(), threshold=0.3)
    assert len(set(labels.tolist())) == 3 and 1 in train.tolist()


def test_brief_voices_count_only_in_short_files():
    # 40 reliable embeddings of two voices: pyannote asks 4 embeddings of a cluster, and brief
    # voices (one embedding each) are left to its rule
    long_file = [(c, 7, 7, c % 2) for c in range(40)]
    often = local(long_file + [(c, 0.2, 1.0, 2) for c in (3, 9, 15, 21, 27)])
    _, labels = count_speakers(often, reliable_of(often), CountBounds.of(), threshold=0.3)
    assert len(set(labels.tolist())) == 2
    short = local([*long_file[:6], (3, 0.2, 1.0, 2)])
    _, labels = count_speakers(short, reliable_of(short), CountBounds.of(), threshold=0.3)
    assert len(set(labels.tolist())) == 3


def test_one_voice_split_by_the_segmentation_stays_one():
    speakers = local([(c, 7, 7, 0) for c in range(6)] + [(2, 0.3, 1.5, 0), (4, 0.2, 0.8, 0)])
    _, labels = count_speakers(speakers, reliable_of(speakers), CountBounds.of(), threshold=0.3)
    assert set(labels.tolist()) == {0}


def test_given_count_is_found_among_brief_voices_before_a_voice_is_split():
    # one main voice, and voice 3 only briefly, alone in its chunk (no cannot-link)
    speakers = local([(c, 7, 7, 0) for c in range(5)] + [(5, 0.2, 0.9, 3)])
    reliable = reliable_of(speakers)
    train, labels = count_speakers(speakers, reliable, CountBounds.of(1), threshold=0.3)
    assert set(labels.tolist()) == {0}
    train, labels = count_speakers(speakers, reliable, CountBounds.of(2), threshold=0.3)
    assert len(set(labels.tolist())) == 2
    # the second speaker is the brief voice, and the main voice is not split
    assert labels[train.tolist().index(5)] != labels[0] and len(set(labels[:5].tolist())) == 1


def test_given_count_splits_a_voice_only_when_nothing_else_is_left():
    speakers = local([(c, 7, 7, 0) for c in range(4)] + [(c, 7, 7, 1) for c in range(4, 8)])
    train, labels = count_speakers(speakers, reliable_of(speakers), CountBounds.of(3), threshold=0.3)
    assert len(set(labels.tolist())) == 3 and len(train) == 8


def test_count_is_capped_by_max_speakers():
    speakers = local([(0, 7, 7, 0), (1, 7, 7, 1), (2, 7, 7, 2), (3, 7, 7, 3)])
    _, labels = count_speakers(speakers, reliable_of(speakers), CountBounds.of(None, 1, 2), threshold=0.3)
    assert len(set(labels.tolist())) == 2
    _, labels = count_speakers(
        speakers, reliable_of(speakers), CountBounds.of(None, None, None), threshold=0.3
    )
    assert len(set(labels.tolist())) == 4


def test_nobody_speaks_long_enough_alone():
    speakers = local([(0, 0.5, 1.2, 0), (1, 0.4, 0.9, 0)])
    train, labels = count_speakers(speakers, reliable_of(speakers), CountBounds.of(), threshold=0.3)
    assert len(train) == 1 and labels.tolist() == [0]
    silent = local([(0, 0.0, 0.1, None)])
    train, labels = count_speakers(silent, reliable_of(silent), CountBounds.of(2), threshold=0.3)
    assert len(train) == 0


def test_farthest_first_takes_the_most_distant_brief_voice():
    speakers = local([(0, 7, 7, 0), (1, 0.2, 1.0, 0), (2, 0.2, 1.0, 2), (3, 0.2, 0.3, 3)])
    seeds = farthest_brief_voices(speakers, np.array([0]), np.array([0]), wanted=2, min_seconds=0.5)
    assert seeds.tolist()[0] == 2 and 3 not in seeds.tolist()  # 0.3 s is too short to use


# --- reconstruction: no found speaker vanishes -----------------------------------------------------


def test_a_speaker_without_frames_takes_those_where_it_is_more_active():
    binary = np.array([[1, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float)
    activity = np.array([[1.0, 0, 0.0], [0.5, 0, 1.0], [0.6, 0.9, 0.8], [0, 1.0, 0.0]])
    result = keep_every_speaker(binary, activity)
    assert result[:, 2].tolist() == [0, 1, 1, 0]  # took frame 1 from speaker 0, frame 2 from 0 (weakest)
    assert result.sum(axis=1).tolist() == binary.sum(axis=1).tolist()  # the count per frame is kept
    unchanged = np.array([[1, 0], [0, 1]], dtype=float)
    assert (keep_every_speaker(unchanged, np.array([[1.0, 0.0], [0.0, 1.0]])) == unchanged).all()


# --- counts from the episode's sidecar -------------------------------------------------------------


def test_sidecar_gives_a_count_or_bounds(tmp_path):
    from pathlib import Path

    from podpipe.domain import Episode
    from podpipe.errors import InvalidInputError
    from podpipe.sidecar import diarization_bounds, read_sidecar, speaker_count, with_sidecar

    def episode_with(yaml_text: str) -> Episode:
        audio = tmp_path / "ep.mp3"
        audio.write_bytes(b"x")
        (tmp_path / "ep.yaml").write_text(yaml_text)
        return with_sidecar(
            Episode(id="e" * 16, slug="ep", source=Path(audio), duration=60.0), read_sidecar(audio)
        )

    show = episode_with(
        "host: {name: An}\nguests: [{name: Bo}, {name: Cas}]\nmin_speakers: 2\nmax_speakers: 5\n"
    )
    assert speaker_count(show) == 3 and diarization_bounds(show) == (None, 2, 5)
    caller = episode_with("host: {name: An}\nguests: [{name: Bo}]\nnum_speakers: 3\n")
    assert speaker_count(caller) == 3 and diarization_bounds(caller) == (3, None, 3)
    open_show = episode_with("title: Aflevering\nmax_speakers: 4\n")
    assert speaker_count(open_show) is None and diarization_bounds(open_show) == (None, None, 4)
    listed = episode_with("host: {name: An}\nguests: [{name: Bo}, {name: Cas}]\n")
    assert diarization_bounds(listed) == (None, None, 3), "a guest list is an upper bound: a guest may not speak"
    with pytest.raises(InvalidInputError, match="min_speakers"):
        episode_with("min_speakers: 5\nmax_speakers: 2\n")


def test_a_speaker_heard_only_as_surely_as_the_holder_takes_the_tied_frames():
    binary = np.array([[1, 0], [1, 0], [0, 0]], dtype=float)
    activity = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    result = keep_every_speaker(binary, activity)
    assert result.tolist() == [[0, 1], [1, 0], [0, 0]]  # never where nobody speaks (frame 2)
