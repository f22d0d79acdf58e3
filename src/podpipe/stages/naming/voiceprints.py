"""Voiceprints: a person's mean CAM++ embedding over the episodes they were confirmed in, stored one JSON
file per person under ``[naming] voiceprints``; enrolment from a clip, matching against an episode's voices."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from slugify import slugify

from podpipe.config import DiarizeConfig, EnrolConfig
from podpipe.files import write_text_atomic

log = logging.getLogger(__name__)


def cosine(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    va, vb = np.asarray(a, dtype=float).reshape(-1), np.asarray(b, dtype=float).reshape(-1)
    if va.shape != vb.shape:
        return float("nan")
    norm = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb / norm) if norm > 0 else 0.0


@dataclass(slots=True)
class Voiceprint:
    name: str
    vector: np.ndarray
    count: int = 1  # how many clips or episodes were averaged into it
    model: str | None = None  # the embedding model; prints of another model are not compared


class VoiceprintStore:
    """``<dir>/<name-slug>.json``: name, mean (unit-normalised) embedding, count, model. JSON, never pickle."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)  # ``NamingConfig.voiceprints_dir``

    def path(self, name: str) -> Path:
        return self.directory / f"{slugify(name) or 'speaker'}.json"

    def get(self, name: str) -> Voiceprint | None:
        try:
            data = json.loads(self.path(name).read_text(encoding="utf-8"))
            return Voiceprint(
                name=str(data["name"]),
                vector=np.asarray(data["vector"], dtype=float),
                count=int(data.get("count", 1)),
                model=data.get("model"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def all(self) -> list[Voiceprint]:
        if not self.directory.is_dir():
            return []
        prints = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                name = json.loads(path.read_text(encoding="utf-8"))["name"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            found = self.get(name)
            if found is not None:
                prints.append(found)
        return prints

    def add(self, name: str, vector: Sequence[float] | np.ndarray, model: str | None = None) -> Voiceprint:
        """Enrol ``vector`` for ``name``, averaged with what is stored (count-weighted)."""
        new = _unit(vector)
        old = self.get(name)
        if old is not None and old.vector.shape == new.shape and (old.model == model or model is None):
            merged = _unit(old.vector * old.count + new)
            print_ = Voiceprint(name=name, vector=merged, count=old.count + 1, model=old.model or model)
        else:
            print_ = Voiceprint(name=name, vector=new, count=1, model=model)
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {
            "name": print_.name,
            "count": print_.count,
            "model": print_.model,
            "vector": [round(float(x), 7) for x in print_.vector],
        }
        write_text_atomic(self.path(name), json.dumps(payload) + "\n")
        return print_


def _unit(vector: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(vector, dtype=float).reshape(-1)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


def match_voiceprint(
    voiceprint: Voiceprint, centroids: Mapping[str, Sequence[float] | np.ndarray], threshold: float
) -> tuple[str | None, dict[str, float]]:
    """(the best speaker if its similarity clears ``threshold``, else None; every speaker's similarity)."""
    scores = {label: round(cosine(voiceprint.vector, vector), 4) for label, vector in centroids.items()}
    scores = {label: score for label, score in scores.items() if not np.isnan(score)}  # drop NaN (other dims)
    if not scores:
        return None, scores
    best = max(scores, key=lambda label: scores[label])
    return (best if scores[best] >= threshold else None), scores


def enrol_voiceprint(name: str, clip: Path, setup: EnrolConfig, *, diarize: Any = None) -> Voiceprint:
    """Enrol ``name`` from a clip where they speak (mostly) alone: the centroid of its dominant speaker.

    ``diarize(path, setup.diarize) -> Diarization`` (default: normalise the clip and run
    :func:`podpipe.stages.diarize.stage.diarize`).
    """
    result = (diarize or _diarize_clip)(Path(clip), setup.diarize)
    centroids = result.centroids
    if not centroids:
        raise ValueError(f"{clip}: diarisation gave no speaker embeddings to enrol {name!r} with")
    talk: dict[str, float] = {}
    for turn in result.exclusive or result.turns:
        talk[turn.speaker] = talk.get(turn.speaker, 0.0) + turn.end - turn.start
    dominant = max(centroids, key=lambda label: talk.get(label, 0.0))
    return VoiceprintStore(setup.naming.voiceprints_dir).add(name, centroids[dominant], model=result.model.name)


def enrol_configured_host(setup: EnrolConfig, *, diarize: Any = None) -> Voiceprint | None:
    """The configured host's voiceprint from ``naming.host_reference_clip``, once: None when there is
    no clip, or the store has them already."""
    host = setup.naming.naming.host_name
    if not (host and setup.host_reference_clip):
        return None
    if VoiceprintStore(setup.naming.voiceprints_dir).get(host) is not None:
        return None
    return enrol_voiceprint(host, setup.host_reference_clip, setup, diarize=diarize)


def _diarize_clip(clip: Path, setup: DiarizeConfig) -> Any:  # pragma: no cover - needs the diarisation models
    import tempfile

    from podpipe.stages.diarize.stage import diarize
    from podpipe.stages.ingest import describe_episode, load_waveform, normalise

    episode = describe_episode(clip)
    with tempfile.TemporaryDirectory(prefix="podpipe-enrol-") as work:
        normalised = normalise(episode, Path(work))
        return diarize(episode, load_waveform(normalised), setup)
