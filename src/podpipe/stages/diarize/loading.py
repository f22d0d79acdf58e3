"""podpipe's diarisation pipeline, wired from the packaged weights (:mod:`podpipe.models.diarize`) and
podpipe's pyannote changes (``pipeline``, ``clustering``, ``campplus``), loaded once per process.

The modules that need torch and pyannote are imported when a pipeline is first loaded, not when the
stage is: ``runtime.prepare_pyannote`` must run before pyannote is imported.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podpipe.config import DiarizationSettings, DiarizeConfig
from podpipe.domain import ModelInfo
from podpipe.errors import ModelUnavailableError
from podpipe.models.diarize import packaged_weights, torch_device
from podpipe.stages.diarize.runtime import prepare_pyannote

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


def _cache_key(config: DiarizationSettings) -> tuple:
    # Speaker counts are per call, not part of the loaded pipeline.
    return tuple(
        sorted(config.model_dump(exclude={"num_speakers", "min_speakers", "max_speakers", "threads"}).items())
    )


def load_pipeline(setup: DiarizeConfig) -> PipelineHandle:
    """The configured diarisation pipeline, loaded once per process."""
    config = setup.diarization
    key = _cache_key(config)
    with _pipeline_lock:
        if key not in _pipeline_cache:
            if config.backend == "hub":
                handle = _load_hub_pipeline(config, setup.models_dir)
            else:
                handle = _load_embedded_pipeline(config)
            _pipeline_cache[key] = handle
        return _pipeline_cache[key]


def _load_embedded_pipeline(config: DiarizationSettings) -> PipelineHandle:
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
        voice_onset=config.voice_onset if config.voice_onset < 1.0 else None,
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
    pipeline.to(torch_device(config))
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
            "voice_onset": config.voice_onset,
            "embedding_exclude_overlap": config.embedding_exclude_overlap,
            "shared_frames": config.shared_frames,
            "min_duration_off": config.min_duration_off,
        },
    )
    return PipelineHandle(pipeline=pipeline, info=info)


def _load_hub_pipeline(config: DiarizationSettings, models_dir: Path) -> PipelineHandle:
    """A pretrained pipeline from the hub. Needs a network (or a filled cache) and a token.

    Untested here (no network); kept so that users with internet can pick a stronger pipeline.
    """
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
    pipeline.to(torch_device(config))
    info = ModelInfo(
        stage="diarize",
        name=config.hub_pipeline,
        version=f"pyannote.audio {pyannote.audio.__version__}",
        settings={"backend": "hub"},
    )
    return PipelineHandle(pipeline=pipeline, info=info)
