"""Speaker diarisation with pyannote.audio: who spoke when, offline by default.

The pipeline comes from :mod:`podpipe.stages.diarize.loading` (packaged weights or the hub); its output
becomes :class:`SpeakerTurn` lists with overlaps kept, plus an exclusive view (one speaker at a time)
for attributing words, and each speaker's mean CAM++ embedding for naming by voice.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from podpipe.config import DiarizeConfig, machine_cores
from podpipe.domain import Diarization, Episode, NormalisedAudio, SpeakerTurn
from podpipe.stages.diarize.annotations import annotation_to_turns
from podpipe.stages.diarize.loading import load_pipeline

if TYPE_CHECKING:
    from pyannote.core import Annotation

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# Called with (seconds of audio done, total seconds), like podpipe.stages.transcribe.
ProgressCallback = Callable[[float, float], None]
# One diarisation at a time per process: the pipeline and torch's thread setting are shared.
_run_lock = threading.Lock()


def diarize(
    episode: Episode,
    waveform: np.ndarray,
    setup: DiarizeConfig,
    progress: ProgressCallback | None = None,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
) -> Diarization:
    """Who spoke when in the 16 kHz mono ``waveform`` (float32 in [-1, 1]), with each speaker's
    centroid embedding (for voiceprints, see :mod:`podpipe.stages.naming`; empty when the pipeline gives none).

    Speaker counts: ``num_speakers`` when known exactly, else ``min_speakers``/``max_speakers``
    bounds, else the settings' values, else detected by clustering.
    """
    import torch

    config = setup.diarization
    handle = load_pipeline(setup)
    num_speakers = num_speakers or config.num_speakers
    if num_speakers is None:
        min_speakers = min_speakers or config.min_speakers
        max_speakers = max_speakers or config.max_speakers
    else:
        min_speakers = max_speakers = None

    samples = np.ascontiguousarray(waveform, dtype=np.float32).reshape(-1)
    total = len(samples) / SAMPLE_RATE
    audio = {
        "waveform": torch.from_numpy(samples).unsqueeze(0),
        "sample_rate": SAMPLE_RATE,
        "uri": episode.slug or "episode",
    }
    hook = _ProgressHook(progress, total) if progress else None
    with _run_lock, _torch_threads(config.threads), torch.inference_mode():
        output = handle.pipeline(
            audio,
            num_speakers=num_speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            hook=hook,
        )
    raw_centroids = speaker_centroids(output)
    diarization, exclusive = _annotations(output)
    turns = annotation_to_turns(diarization)
    exclusive_turns = annotation_to_turns(exclusive)
    original = turns + exclusive_turns
    turns, exclusive_turns, labels = _relabel_by_first_appearance(turns, exclusive_turns)
    renamed = {old.speaker: new.speaker for old, new in zip(original, turns + exclusive_turns, strict=True)}
    centroids = {renamed[label]: vector for label, vector in raw_centroids.items() if label in renamed}
    if progress:
        progress(total, total)
    return Diarization(turns=turns, exclusive=exclusive_turns, model=handle.info, speakers=labels,
                       centroids=centroids)


def speaker_centroids(output: Any) -> dict[str, list[float]]:
    """label -> centroid embedding, from a pyannote 4 ``DiarizeOutput`` (``speaker_embeddings`` rows
    follow ``speaker_diarization.labels()``); phantom speakers (zero rows) and bare Annotations give none."""
    diarization = getattr(output, "speaker_diarization", output)
    embeddings = getattr(output, "speaker_embeddings", None)
    labels = list(diarization.labels()) if hasattr(diarization, "labels") else []
    if embeddings is None or len(embeddings) != len(labels):
        return {}
    rows = np.asarray(embeddings, dtype=float)
    return {
        str(label): [round(float(x), 6) for x in row]
        for label, row in zip(labels, rows, strict=True)
        if np.any(row) and np.all(np.isfinite(row))
    }


def diarize_file(
    episode: Episode,
    normalised: NormalisedAudio,
    setup: DiarizeConfig,
    progress: ProgressCallback | None = None,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
) -> Diarization:
    """``diarize`` on the normalised file (for stage workers, which get paths, not waveforms)."""
    from podpipe.stages.ingest import load_waveform

    return diarize(
        episode,
        load_waveform(normalised),
        setup,
        progress,
        num_speakers=num_speakers,
        min_speakers=min_speakers,
        max_speakers=max_speakers,
    )


def _annotations(output: Any) -> tuple[Annotation, Annotation]:
    """(diarisation, exclusive diarisation) from a pyannote 4 ``DiarizeOutput`` or an older
    pipeline's bare ``Annotation`` (whose exclusive view is then derived here).

    pyannote adds a label without a centroid (a zero row in ``speaker_embeddings``) where its
    segmentation counts more simultaneous speakers than clustering found speakers, e.g. a brief
    "overlap" in a one-speaker file. Such phantom speakers match no voice; their turns are dropped.
    """
    diarization = getattr(output, "speaker_diarization", output)
    exclusive = getattr(output, "exclusive_speaker_diarization", None)
    embeddings = getattr(output, "speaker_embeddings", None)
    if embeddings is not None and len(embeddings) == len(diarization.labels()):
        phantoms = [
            label for label, row in zip(diarization.labels(), np.asarray(embeddings)) if not np.any(row)
        ]
        if phantoms and len(phantoms) < len(diarization.labels()):
            keep = [label for label in diarization.labels() if label not in phantoms]
            diarization = diarization.subset(keep)
            if exclusive is not None:
                exclusive = exclusive.subset([label for label in exclusive.labels() if label in keep])
    if exclusive is None:
        exclusive = _exclusive_from_turns(diarization)
    return diarization, exclusive


def _exclusive_from_turns(diarization: Annotation) -> Annotation:
    """Where turns overlap, keep the speaker whose turn started last (the interrupting one
    ends sooner; the other speaker takes over again afterwards)."""
    from pyannote.core import Annotation, Segment

    turns = annotation_to_turns(diarization)
    bounds = sorted({t for turn in turns for t in (turn.start, turn.end)})
    result = Annotation(uri=diarization.uri)
    for start, end in itertools.pairwise(bounds):
        active = [t for t in turns if t.start <= start and t.end >= end]
        if active:
            speaker = max(active, key=lambda t: t.start).speaker
            result[Segment(start, end)] = speaker
    return result.support()


def _relabel_by_first_appearance(
    turns: list[SpeakerTurn], exclusive: list[SpeakerTurn]
) -> tuple[list[SpeakerTurn], list[SpeakerTurn], list[str]]:
    order: dict[str, str] = {}
    # the exclusive view first: a brief overlapped blip should not name a speaker before they talk
    for turn in sorted(exclusive, key=lambda t: t.start) + turns:
        if turn.speaker not in order:
            order[turn.speaker] = f"SPEAKER_{len(order):02d}"

    def rename(items: list[SpeakerTurn]) -> list[SpeakerTurn]:
        return [SpeakerTurn(t.start, t.end, order[t.speaker]) for t in items]

    return rename(turns), rename(exclusive), list(order.values())


class _ProgressHook:
    """pyannote's ``hook(step, artefact, file=..., completed=..., total=...)`` -> (done s, total s).

    Segmentation and embeddings are the slow steps; their shares of the wall time were measured
    on CPU with the defaults (about half each).
    """

    SHARES: ClassVar[dict[str, tuple[float, float]]] = {
        "segmentation": (0.0, 0.47),
        "embeddings": (0.47, 0.99),
    }

    def __init__(self, progress: ProgressCallback, total: float) -> None:
        self.progress = progress
        self.total = total
        self.done = 0.0

    def __call__(
        self,
        step: str,
        artefact: Any = None,
        file: Any = None,
        total: int | None = None,
        completed: int | None = None,
    ) -> None:
        span = self.SHARES.get(step)
        if span is None or not total or completed is None:
            return
        low, high = span
        fraction = low + (high - low) * min(1.0, completed / total)
        done = self.total * fraction
        if done > self.done:
            self.done = done
            self.progress(done, self.total)


@contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    import torch

    wanted = threads or machine_cores()
    previous = torch.get_num_threads()
    if wanted != previous:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        if wanted != previous:
            torch.set_num_threads(previous)
