"""How many speakers: pure functions over chunk-level speaker embeddings (no models, no pyannote).

pyannote's pipeline embeds every (10 s chunk, local speaker) pair found by the segmentation model
and clusters only the *reliable* ones: local speakers with at least 2 s (20 % of the chunk) of
speech on their own. Agglomerative clustering with a cosine threshold then counts the voices among
them. Measured on real meeting excerpts (bench/diarize_bench.py, BENCHMARKS.md), that threshold
separates the voices it sees (different AMI speakers sit 0.5-0.96 apart, the threshold is 0.30), but
a voice that never talks 2 s on its own in one chunk has no reliable embedding at all and is never
counted; forcing a given count then splits the main speaker instead of finding the quiet one.

So the count uses a second, independent piece of evidence for those brief voices: the segmentation
model, which separates speakers within each 10 s chunk. A brief local speaker becomes a speaker of
its own when

1. the segmentation model put it beside a local speaker of its nearest cluster in the same chunk
   (so the model heard two different voices there, a cannot-link), and
2. its embedding is farther from every cluster centroid than the clustering threshold (so the
   embedding model agrees it is not that voice), and
3. it has at least ``min_seconds`` of speech (an embedding from less is noise).

Both models must agree, so one voice that the segmentation splits in a chunk (it happens) stays
one speaker, and brief voices that the threshold cannot tell from a known one join it. Brief
embeddings are noisy, so two brief voices are told apart only where the segmentation separated them
(same chunk); otherwise they are one new voice. A known count or bounds (sidecar, config) always
win: missing clusters are taken from the brief voices farthest from the known ones before any
cluster is split. ``keep_every_speaker`` then keeps a speaker found here from vanishing in
pyannote's reconstruction (see ``EmbeddedSpeakerDiarization.to_diarization``).

The seconds and embeddings of each local speaker come from its *voice frames* when the pipeline
has them (``voice_onset``, :mod:`podpipe.stages.diarize.pipeline`): a voice mostly heard under
another's then keeps enough speech to pass ``min_seconds`` and to be embedded at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import cdist


@dataclass(frozen=True)
class CountBounds:
    """Speaker-count constraints: ``low <= count <= high``; equal when the count is known."""

    low: int = 1
    high: int | None = None

    @classmethod
    def of(cls, num: int | None = None, low: int | None = None, high: int | None = None) -> CountBounds:
        if num is not None:
            return cls(num, num)
        low = max(1, low or 1)
        if high is not None and high < low:
            raise ValueError(f"max_speakers ({high}) is below min_speakers ({low})")
        return cls(low, high)

    def clamp(self, count: int) -> int:
        count = max(self.low, count)
        return min(self.high, count) if self.high is not None else count


@dataclass(frozen=True)
class LocalSpeakers:
    """The (chunk, local speaker) pairs of one file, flattened.

    ``chunk[i]``: chunk index of pair i; ``clean[i]`` / ``active[i]``: seconds it speaks alone / at
    all in its chunk; ``embeddings[i]``: its embedding (NaN rows: none)."""

    chunk: np.ndarray
    clean: np.ndarray
    active: np.ndarray
    embeddings: np.ndarray

    @classmethod
    def from_arrays(
        cls, embeddings: np.ndarray, segmentations: np.ndarray, chunk_seconds: float
    ) -> LocalSpeakers:
        """``embeddings``: (chunks, local speakers, dim); ``segmentations``: 0/1 (chunks, frames, local)."""
        num_chunks, num_frames, num_local = segmentations.shape
        frame = chunk_seconds / num_frames
        data = np.nan_to_num(segmentations, nan=0.0)
        alone = np.sum(data, axis=2, keepdims=True) == 1
        clean = np.sum(data * alone, axis=1) * frame
        active = np.sum(data, axis=1) * frame
        chunk = np.repeat(np.arange(num_chunks), num_local)
        return cls(
            chunk, clean.reshape(-1), active.reshape(-1), embeddings.reshape(num_chunks * num_local, -1)
        )

    @property
    def valid(self) -> np.ndarray:
        return np.all(np.isfinite(self.embeddings), axis=1)


def cosine_clusters(embeddings: np.ndarray, threshold: float, method: str = "average") -> np.ndarray:
    """0-based labels of agglomerative clustering, cosine distance, cut at ``threshold``."""
    if len(embeddings) == 0:
        return np.zeros(0, dtype=int)
    if len(embeddings) == 1:
        return np.zeros(1, dtype=int)
    dendrogram = linkage(embeddings, method=method, metric="cosine")
    return _renumber(fcluster(dendrogram, threshold, criterion="distance"))


def cut_into(embeddings: np.ndarray, count: int, method: str = "average") -> np.ndarray:
    """0-based labels of the same dendrogram cut into ``count`` clusters (at most one per embedding)."""
    if len(embeddings) <= 1 or count <= 1:
        return np.zeros(len(embeddings), dtype=int)
    dendrogram = linkage(embeddings, method=method, metric="cosine")
    return _renumber(fcluster(dendrogram, min(count, len(embeddings)), criterion="maxclust"))


def absorb_small(embeddings: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """pyannote's rule: clusters under ``min_size`` members join the nearest large one (by centroid)."""
    if len(labels) == 0:
        return labels
    ids, sizes = np.unique(labels, return_counts=True)
    large, small = ids[sizes >= min_size], ids[sizes < min_size]
    if len(large) == 0 or len(small) == 0:
        return labels if len(large) else np.zeros_like(labels)
    distances = cdist(centroids(embeddings, labels, small), centroids(embeddings, labels, large), "cosine")
    targets = np.argmin(distances, axis=1)
    result = labels.copy()
    for k, target in zip(small, targets, strict=True):
        result[labels == k] = large[target]
    return _renumber(result)


def centroids(embeddings: np.ndarray, labels: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
    ids = np.unique(labels) if ids is None else ids
    return np.vstack([embeddings[labels == k].mean(axis=0) for k in ids])


def brief_new_voices(
    local: LocalSpeakers,
    reliable: np.ndarray,
    labels: np.ndarray,
    threshold: float,
    min_seconds: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(indices into ``local``, 0-based new labels) of brief local speakers that both models say
    are a voice not among the clusters (see the module doc).

    ``reliable``: indices of the clustered pairs, ``labels`` their clusters. A brief embedding is
    noisier than a reliable one, so brief voices are told apart from each other only where the
    segmentation model separated them (same chunk); otherwise they are one new voice."""
    if len(reliable) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    known = centroids(local.embeddings[reliable], labels)
    cluster_of = dict(zip(reliable.tolist(), labels.tolist(), strict=True))
    usable = np.flatnonzero(local.valid & (local.active >= min_seconds))
    candidates = [int(i) for i in usable if int(i) not in cluster_of]
    candidates.sort(key=lambda i: -local.active[i])
    chosen: list[int] = []
    new_labels: list[int] = []
    for i in candidates:
        distances = cdist(local.embeddings[i : i + 1], known, "cosine")[0]
        nearest = int(np.argmin(distances))
        if distances[nearest] <= threshold or not _separated_from(local, i, nearest, cluster_of, min_seconds):
            continue
        label = _brief_voice_for(local, i, chosen, new_labels)
        chosen.append(int(i))
        new_labels.append(label)
    return np.asarray(chosen, dtype=int), np.asarray(new_labels, dtype=int)


def _brief_voice_for(local: LocalSpeakers, i: int, chosen: list[int], new_labels: list[int]) -> int:
    """The nearest brief voice so far that pair ``i`` never shares a chunk with; else a new one."""
    options = []
    for label in sorted(set(new_labels)):
        members = [j for j, k in zip(chosen, new_labels, strict=True) if k == label]
        if all(local.chunk[j] != local.chunk[i] for j in members):
            centre = local.embeddings[members].mean(axis=0, keepdims=True)
            options.append((float(cdist(local.embeddings[i : i + 1], centre, "cosine")[0, 0]), label))
    return min(options)[1] if options else len(set(new_labels))


def _separated_from(
    local: LocalSpeakers, i: int, cluster: int, cluster_of: dict[int, int], min_seconds: float
) -> bool:
    """Whether the segmentation model heard pair ``i`` beside a member of ``cluster`` in its chunk."""
    neighbours = np.flatnonzero(local.chunk == local.chunk[i])
    return any(
        j != i and cluster_of.get(int(j)) == cluster and local.active[j] >= min_seconds for j in neighbours
    )


def farthest_brief_voices(
    local: LocalSpeakers, reliable: np.ndarray, labels: np.ndarray, wanted: int, min_seconds: float
) -> np.ndarray:
    """When a count is given: up to ``wanted`` unclustered local speakers, each the farthest (cosine)
    from every centroid so far (farthest-first seeding), so that a missing voice is looked for among
    the brief speakers before a known voice is split."""
    taken = set(reliable.tolist())
    pool = [i for i in np.flatnonzero(local.valid & (local.active >= min_seconds)) if i not in taken]
    if not pool or wanted <= 0:
        return np.zeros(0, dtype=int)
    seeds: list[int] = []
    dimension = local.embeddings.shape[1]
    known = centroids(local.embeddings[reliable], labels) if len(reliable) else np.zeros((0, dimension))
    for _ in range(min(wanted, len(pool))):
        points = local.embeddings[pool]
        if len(known):
            distance = cdist(points, known, "cosine").min(axis=1)
        else:
            distance = local.active[pool].astype(float)  # no centroid yet: the longest speaker
        best = int(np.argmax(distance))
        seeds.append(int(pool.pop(best)))
        known = np.vstack([known, local.embeddings[seeds[-1:]]])
        if not pool:
            break
    return np.asarray(seeds, dtype=int)


def _renumber(labels: np.ndarray) -> np.ndarray:
    _, renumbered = np.unique(labels, return_inverse=True)
    return renumbered.astype(int)


def pyannote_min_cluster_size(min_cluster_size: int, num_embeddings: int) -> int:
    """pyannote's heuristic: at most 10 % of the clustered embeddings (short files have few)."""
    return min(min_cluster_size, max(1, round(0.1 * num_embeddings)))


def count_speakers(
    local: LocalSpeakers,
    reliable: np.ndarray,
    bounds: CountBounds,
    threshold: float,
    method: str = "average",
    min_cluster_size: int = 12,
    min_seconds: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """(indices into ``local``, their 0-based cluster labels): the embeddings that define the speakers.

    ``reliable``: indices of the pairs pyannote would cluster (enough speech on their own)."""
    reliable = np.asarray(reliable, dtype=int)
    if len(reliable) == 0:  # nobody spoke 2 s alone: the longest brief speakers stand in
        reliable = farthest_brief_voices(local, reliable, np.zeros(0, dtype=int), 1, min_seconds)
        if len(reliable) == 0:
            return reliable, np.zeros(0, dtype=int)
    size = pyannote_min_cluster_size(min_cluster_size, len(reliable))
    points = local.embeddings[reliable]
    labels = absorb_small(points, cosine_clusters(points, threshold, method), size)

    # Brief voices count only where pyannote keeps one-member clusters (files with under 15 reliable
    # embeddings, about 40 s of speech). In longer files the segmentation's occasional split of one
    # voice adds up: one real Flemish voice gave one false brief voice per 222 s, which over an hour
    # would pass pyannote's 12-embedding minimum and invent a second speaker.
    if size <= 1:
        brief, brief_labels = brief_new_voices(local, reliable, labels, threshold, min_seconds)
        if len(brief):
            labels = np.concatenate([labels, brief_labels + labels.max() + 1])
            reliable = np.concatenate([reliable, brief])

    found = int(labels.max()) + 1
    wanted = bounds.clamp(found)
    if wanted < found:
        return reliable, cut_into(local.embeddings[reliable], wanted, method)
    if wanted > found:
        seeds = farthest_brief_voices(local, reliable, labels, wanted - found, min_seconds)
        labels = np.concatenate([labels, found + np.arange(len(seeds))])
        reliable = np.concatenate([reliable, seeds])
        if int(labels.max()) + 1 < wanted:  # still short: split known voices, as pyannote does
            labels = cut_into(local.embeddings[reliable], wanted, method)
    return reliable, labels


def keep_every_speaker(binary: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """(frames, speakers) 0/1 ``binary`` where each speaker with no frame takes the frames where its
    ``activity`` is higher than that of the least active speaker holding the frame (where it is
    only as high everywhere, those frames)."""
    binary = binary.copy()
    speakers = min(binary.shape[1], activity.shape[1])
    for k in range(speakers):
        if binary[:, k].any() or not activity[:, k].any():
            continue
        held = np.where(binary[:, :speakers] > 0, activity[:, :speakers], np.inf)
        weakest = np.argmin(held, axis=1)
        weakest_activity = held[np.arange(len(held)), weakest]
        held_frames = binary[:, :speakers].any(axis=1) & (activity[:, k] > 0)
        frames = np.flatnonzero(held_frames & (activity[:, k] > weakest_activity))
        if len(frames) == 0:  # only ties: it was heard as surely as the holder, so it takes them
            frames = np.flatnonzero(held_frames & (activity[:, k] >= weakest_activity))
        binary[frames, weakest[frames]] = 0.0
        binary[frames, k] = 1.0
    return binary
