"""pyannote's agglomerative clustering with podpipe's speaker count (:mod:`podpipe.stages.diarize.counting`).

Same hyper-parameters (``method``, ``threshold``, ``min_cluster_size``) and the same assignment of
every (chunk, local speaker) pair to its nearest centroid; only the choice of which embeddings
define the speakers, and how many, differs.
"""

from __future__ import annotations

import numpy as np

from podpipe.stages.diarize.runtime import prepare_pyannote

prepare_pyannote()

from pyannote.audio.pipelines.clustering import AgglomerativeClustering

from podpipe.stages.diarize.counting import CountBounds, LocalSpeakers, count_speakers
from podpipe.stages.diarize.pipeline import VOICE_ACTIVITY

# pyannote clusters a local speaker only when it speaks alone for this share of the chunk
RELIABLE_SHARE = 0.2
# the least speech (seconds in one chunk) whose embedding is used at all
MIN_BRIEF_SECONDS = 0.5


class SpeakerCountClustering(AgglomerativeClustering):
    def __call__(
        self,
        embeddings: np.ndarray,
        segmentations=None,
        num_clusters: int | None = None,
        min_clusters: int | None = None,
        max_clusters: int | None = None,
        file=None,
        **kwargs,
    ):
        num_chunks, num_local, _ = embeddings.shape
        # the voice frames, where the pipeline found them (see stages/diarize/pipeline.py)
        voice = file.get(VOICE_ACTIVITY) if hasattr(file, "get") else None
        activity = segmentations if voice is None else voice
        chunk_seconds = activity.sliding_window.duration
        local = LocalSpeakers.from_arrays(embeddings, activity.data, chunk_seconds)
        reliable = np.flatnonzero(local.valid & (local.clean >= RELIABLE_SHARE * chunk_seconds))
        high = None if max_clusters is None or not np.isfinite(max_clusters) else int(max_clusters)
        bounds = CountBounds.of(num_clusters, min_clusters, high)
        train, labels = count_speakers(
            local,
            reliable,
            bounds,
            threshold=self.threshold,
            method=self.method,
            min_cluster_size=self.min_cluster_size,
            min_seconds=MIN_BRIEF_SECONDS,
        )
        if len(train) == 0 or int(labels.max()) == 0:
            # one voice (or none that can be embedded): everyone is speaker 0, as in pyannote
            hard = np.zeros((num_chunks, num_local), dtype=np.int8)
            usable = train if len(train) else np.flatnonzero(local.valid & (local.active > 0))
            centroid = local.embeddings[usable].mean(axis=0, keepdims=True) if len(usable) else None
            if centroid is None:
                centroid = np.full((1, embeddings.shape[2]), np.nan)
            return hard, np.ones((num_chunks, num_local, 1)), centroid
        return self.assign_embeddings(
            embeddings,
            train // num_local,
            train % num_local,
            labels,
            constrained=self.constrained_assignment,
        )
