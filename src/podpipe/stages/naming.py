"""Naming the speakers: diarisation says ``SPEAKER_00``, editors need "Walter Schroven (VOV)".

Evidence, strongest first:

1. names already on the transcript (an editor's, or a hand-written episode file) are kept;
2. the host by voice: a stored voiceprint (a diarisation embedding, see :class:`VoiceprintStore`)
   compared by cosine similarity with each speaker's centroid embedding of this episode; the best
   speaker is the host when the similarity clears ``naming.voiceprint_threshold``;
3. self-introductions found by the NLP stage ("ik ben X", ``Mention.source == "self-introduction"``);
4. the conversation: a name said right before another speaker answers ("Ellen, laten we bij u
   beginnen." -> the next speaker is Ellen), with the host's introductions and the sidecar's guests
   as the candidate names;
5. the episode sidecar (``episode.metadata``: host, guests with organisation): a single remaining
   guest for a single unnamed speaker; the host as the first speaker when nothing else says who it is;
6. fallback: "Gast 1", "Gast 2", ..., marked for the editor.

How each speaker was named (source, similarity, votes) is recorded in ``transcript.models`` as the
``ModelInfo`` of stage ``"naming"``; :func:`naming_report` reads it back.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from podpipe.config import Naming, section_of
from podpipe.domain import Analysis, ModelInfo, Role, Speaker, Transcript
from podpipe.files import write_text_atomic

log = logging.getLogger(__name__)

NAMING_STAGE = "naming"
FALLBACK_SOURCE = "fallback"


def naming_settings(settings: Any = None) -> Naming:
    return section_of(settings, "naming", Naming)


# ---------------------------------------------------------------------------------------------
# Voiceprints
# ---------------------------------------------------------------------------------------------


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "speaker"


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
        self.directory = Path(directory)

    @classmethod
    def from_settings(cls, settings: Any) -> VoiceprintStore:
        config = naming_settings(settings)
        directory = config.voiceprints_dir
        paths = getattr(settings, "paths", None)
        if directory is None:
            output = getattr(paths, "output", None) or Path("output")
            directory = Path(output) / "voiceprints"
        resolve = getattr(settings, "resolve", None)
        return cls(resolve(Path(directory)) if callable(resolve) else Path(directory))

    def path(self, name: str) -> Path:
        return self.directory / f"{_slug(name)}.json"

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


def enrol_voiceprint(name: str, clip: Path, settings: Any, *, diarise: Any = None) -> Voiceprint:
    """Enrol ``name`` from a clip where they speak (mostly) alone: the centroid of its dominant speaker.

    ``diarise(path, settings) -> Diarisation`` (default: normalise the clip and run
    :func:`podpipe.stages.diarize.stage.diarize`).
    """
    result = (diarise or _diarise_clip)(Path(clip), settings)
    centroids = result.centroids
    if not centroids:
        raise ValueError(f"{clip}: diarisation gave no speaker embeddings to enrol {name!r} with")
    talk: dict[str, float] = {}
    for turn in result.exclusive or result.turns:
        talk[turn.speaker] = talk.get(turn.speaker, 0.0) + turn.end - turn.start
    dominant = max(centroids, key=lambda label: talk.get(label, 0.0))
    return VoiceprintStore.from_settings(settings).add(name, centroids[dominant], model=result.model.name)


def enrol_configured_host(settings: Any, *, diarise: Any = None) -> Voiceprint | None:
    """The configured host's voiceprint from ``naming.host_reference_clip``, once: None when there is
    no clip, or the store has them already."""
    config = naming_settings(settings)
    if not (config.host_name and config.host_reference_clip):
        return None
    if VoiceprintStore.from_settings(settings).get(config.host_name) is not None:
        return None
    return enrol_voiceprint(config.host_name, settings.resolve(config.host_reference_clip), settings, diarise=diarise)


def enrol_from_transcript(
    transcript: Transcript, centroids: Mapping[str, Sequence[float]], settings: Any, model: str | None = None
) -> list[Voiceprint]:
    """Enrol (average into the store) every named, non-fallback speaker of an approved transcript."""
    report = naming_report(transcript)
    store = VoiceprintStore.from_settings(settings)
    prints = []
    for speaker in transcript.speakers:
        if (
            speaker.name
            and speaker.id in centroids
            and report.get(speaker.id, {}).get("source") != FALLBACK_SOURCE
        ):
            prints.append(store.add(speaker.name, centroids[speaker.id], model=model))
    return prints


def _diarise_clip(clip: Path, settings: Any) -> Any:  # pragma: no cover - needs the diarisation models
    import tempfile

    from podpipe.stages.diarize.stage import diarize
    from podpipe.stages.ingest import describe_episode, load_waveform, normalise

    episode = describe_episode(clip)
    with tempfile.TemporaryDirectory(prefix="podpipe-enrol-") as work:
        normalised = normalise(episode, Path(work))
        return diarize(episode, load_waveform(normalised), settings)


def write_centroids(path: Path, centroids: Mapping[str, Sequence[float]]) -> Path:
    """``speakers.centroids.json``: the episode's centroid embedding per label, for naming and enrolment."""
    data = {label: [round(float(x), 6) for x in vector] for label, vector in centroids.items()}
    return write_text_atomic(Path(path), json.dumps(data) + "\n")


def read_centroids(path: Path) -> dict[str, list[float]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): [float(x) for x in v] for k, v in data.items()} if isinstance(data, dict) else {}


# ---------------------------------------------------------------------------------------------
# Naming
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    name: str
    organisation: str | None = None
    role: Role | None = None


def _metadata_people(transcript: Transcript, config: Naming) -> tuple[_Person | None, list[_Person]]:
    """(host, guests) from the sidecar dump in ``episode.metadata`` and the naming config."""
    metadata = transcript.episode.metadata or {}

    def person(raw: Any, role: Role) -> _Person | None:
        if isinstance(raw, str) and raw.strip():
            return _Person(raw.strip(), None, role)
        if isinstance(raw, Mapping) and raw.get("name"):
            org = raw.get("organisation") or raw.get("organization")
            return _Person(str(raw["name"]).strip(), str(org).strip() if org else None, role)
        return None

    host = person(metadata.get("host"), Role.HOST)
    if host is None and config.host_name:
        host = _Person(config.host_name, config.host_organisation, Role.HOST)
    elif host is not None and config.host_name and _same_name(host.name, config.host_name):
        host.organisation = host.organisation or config.host_organisation
    guests_raw = metadata.get("guests") or []
    guests = [p for p in (person(g, Role.GUEST) for g in guests_raw if guests_raw) if p is not None]
    return host, guests


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _same_name(a: str | None, b: str | None) -> bool:
    return bool(a and b) and _norm(a) == _norm(b)  # type: ignore[arg-type]


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def _conversation_votes(
    transcript: Transcript, candidates: list[_Person], host_label: str | None
) -> dict[str, dict[str, float]]:
    """label -> candidate name -> evidence that the speaker is that person.

    A name said in a turn and answered by the next, other speaker: +1 (+2 when it opens the turn as a
    vocative, "Ellen, ..."). A speaker who talks about someone in the third person is not them: -0.5.
    """
    votes: dict[str, dict[str, float]] = {}
    turns: list[tuple[str, str]] = []
    for segment in transcript.segments:
        if segment.speaker is None:
            continue
        if turns and turns[-1][0] == segment.speaker:
            turns[-1] = (segment.speaker, turns[-1][1] + " " + segment.text)
        else:
            turns.append((segment.speaker, segment.text))
    patterns = []
    for person in candidates:
        full = re.escape(person.name)
        first = re.escape(_first_name(person.name))
        patterns.append(
            (person, re.compile(rf"\b(?:{full}|{first})\b"), re.compile(rf"^\W*(?:{full}|{first})\s*[,?!]"))
        )
    for index, (speaker, text) in enumerate(turns):
        following = turns[index + 1][0] if index + 1 < len(turns) else None
        for person, anywhere, vocative in patterns:
            hits = anywhere.findall(text)
            if not hits:
                continue
            tail = text[-160:]
            if following is not None and following != speaker:
                weight = 2.0 if vocative.search(text) or anywhere.search(tail) else 1.0
                votes.setdefault(following, {}).setdefault(person.name, 0.0)
                votes[following][person.name] += weight
            votes.setdefault(speaker, {}).setdefault(person.name, 0.0)
            votes[speaker][person.name] -= 0.5 * len(hits)
    return votes


def name_speakers(
    transcript: Transcript,
    analysis: Analysis | None,
    settings: Any = None,
    *,
    voiceprints: Mapping[str, Sequence[float] | np.ndarray] | None = None,
    store: VoiceprintStore | None = None,
) -> Transcript:
    """A new transcript whose speakers carry name, organisation and role.

    ``voiceprints``: this episode's centroid embedding per diarisation label
    (:attr:`podpipe.domain.Diarisation.centroids`); compared with the host's stored voiceprint
    (``store``, default :meth:`VoiceprintStore.from_settings`).
    """
    config = naming_settings(settings)
    order = list(dict.fromkeys(s.speaker for s in transcript.segments if s.speaker is not None))
    known = {speaker.id: speaker for speaker in transcript.speakers}
    speakers = {label: replace(known.get(label) or Speaker(id=label)) for label in order}
    for speaker in transcript.speakers:  # speakers without segments keep their place at the end
        speakers.setdefault(speaker.id, replace(speaker))
    report: dict[str, dict[str, Any]] = {}
    previous = naming_report(transcript)
    for label, speaker in speakers.items():
        if speaker.name and previous.get(label, {}).get("source") == FALLBACK_SOURCE:
            speaker.name = None  # a fallback of an earlier run is no evidence
        if speaker.name:
            report[label] = {"source": "transcript"}

    host, guests = _metadata_people(transcript, config)
    taken = {_norm(s.name) for s in speakers.values() if s.name}

    def assign(label: str, person: _Person, source: str, **extra: Any) -> None:
        speaker = speakers[label]
        speaker.name = person.name
        speaker.organisation = speaker.organisation or person.organisation
        speaker.role = speaker.role or person.role
        taken.add(_norm(person.name))
        report[label] = {"source": source, **extra}

    def unnamed(label: str) -> bool:
        return not speakers[label].name

    # 1. the host by voice
    host_label = next((label for label, s in speakers.items() if s.role == Role.HOST), None)
    voice: dict[str, Any] = {}
    if voiceprints and host is not None:
        store = store or VoiceprintStore.from_settings(settings)
        print_ = store.get(host.name)
        if print_ is not None:
            best, scores = match_voiceprint(print_, voiceprints, config.voiceprint_threshold)
            voice = {
                "voiceprint": host.name,
                "threshold": config.voiceprint_threshold,
                "similarities": scores,
            }
            if (
                best is not None
                and best in speakers
                and (unnamed(best) or _same_name(speakers[best].name, host.name))
                and (_norm(host.name) not in taken or _same_name(speakers[best].name, host.name))
            ):
                assign(best, host, "voiceprint", similarity=scores[best])
                speakers[best].role = Role.HOST
                host_label = best
        else:
            voice = {"voiceprint": None, "reason": f"no voiceprint enrolled for {host.name!r}"}

    # 2. self-introductions
    mentions = list(analysis.people) if analysis is not None else []
    for mention in mentions:
        if mention.source != "self-introduction" or mention.speaker not in speakers:
            continue
        if unnamed(mention.speaker) and _norm(mention.text) not in taken:
            opener_is_host = (
                host is not None and host_label is None and order and mention.speaker == order[0]
                and _norm(host.name) not in taken and not any(_same_name(g.name, mention.text) for g in guests)
            )
            if opener_is_host:
                # The one who opens the episode and introduces themselves is the configured host, even
                # when speech recognition misspelt the name ("Ik ben Moutor").
                assign(mention.speaker, host, "self-introduction", heard_as=mention.text)
                taken.add(_norm(mention.text))  # that misspelling is nobody else's name
                host_label = mention.speaker
                continue
            role = Role.HOST if host is not None and _same_name(mention.text, host.name) else None
            org = mention.organisation or (host.organisation if role == Role.HOST and host else None)
            org = org or next((g.organisation for g in guests if _same_name(g.name, mention.text)), None)
            assign(mention.speaker, _Person(mention.text, org, role), "self-introduction")
            if role == Role.HOST:
                host_label = mention.speaker

    # the host, when nothing said who it is: the first speaker (hosts open the episode)
    if host_label is None and host is not None and _norm(host.name) not in taken and order:
        if unnamed(order[0]):
            assign(order[0], host, "first-speaker")
            host_label = order[0]
    elif host_label is None and order and speakers[order[0]].role in (None, Role.HOST):
        host_label = order[0]
    if host_label is not None:
        speakers[host_label].role = speakers[host_label].role or Role.HOST

    # 3. the conversation: introduced people and the sidecar's guests, matched to who answers to their name
    candidates: dict[str, _Person] = {}
    for guest in guests:
        candidates[_norm(guest.name)] = guest
    for mention in mentions:
        if mention.label == "PER" and mention.source in (
            "introduction",
            "metadata",
            "config",
            "self-introduction",
        ):
            key = _norm(mention.text)
            if key not in candidates and (host is None or not _same_name(mention.text, host.name)):
                candidates[key] = _Person(mention.text, mention.organisation, Role.GUEST)
            elif key in candidates and not candidates[key].organisation:
                candidates[key].organisation = mention.organisation
    free = [p for key, p in candidates.items() if key not in taken]
    if free:
        votes = _conversation_votes(transcript, free, host_label)
        pairs = sorted(
            ((score, label, name) for label, by in votes.items() for name, score in by.items() if score > 0),
            reverse=True,
        )
        by_name = {p.name: p for p in free}
        for score, label, name in pairs:
            if label in speakers and label != host_label and unnamed(label) and _norm(name) not in taken:
                assign(label, by_name[name], "conversation", votes=round(score, 2))

    # 4. the sidecar: as many guests left as unnamed guest speakers. Guests are usually introduced in
    # the order they first speak, so those named in the text go by that order, the rest by the
    # sidecar's; the editor is asked to check (one guest for one speaker is certain, more are not).
    left = [g for g in guests if _norm(g.name) not in taken]
    open_labels = [label for label in order if unnamed(label) and label != host_label]
    if left and len(left) == len(open_labels):
        text = " ".join(segment.text for segment in transcript.segments).lower()
        first_mention = {g.name: text.find(g.name.split()[0].lower()) for g in left}
        left.sort(key=lambda g: first_mention[g.name] if first_mention[g.name] >= 0 else len(text))
        for label, guest in zip(open_labels, left, strict=True):
            assign(label, guest, "sidecar", **({} if len(left) == 1 else {"by": "order"}))

    # 5. fallback
    number = 0
    for label in order:
        speaker = speakers[label]
        if label == host_label and not speaker.name:
            speaker.name = config.host_fallback
            report[label] = {"source": FALLBACK_SOURCE}
            continue
        if not speaker.name:
            number += 1
            speaker.name = config.guest_fallback.format(n=number)
            speaker.role = speaker.role or Role.GUEST
            report[label] = {"source": FALLBACK_SOURCE}
        elif speaker.role is None:
            speaker.role = Role.HOST if label == host_label else Role.GUEST

    info = ModelInfo(
        stage=NAMING_STAGE,
        name="podpipe speaker naming",
        version="1",
        settings={"speakers": report, **({"voice": voice} if voice else {})},
    )
    models = [m for m in transcript.models if m.stage != NAMING_STAGE] + [info]
    return replace(transcript, speakers=list(speakers.values()), models=models)


def naming_report(transcript: Transcript) -> dict[str, dict[str, Any]]:
    """label -> how the speaker was named ({"source": ..., "similarity"/"votes": ...}), from transcript.models."""
    for model in transcript.models:
        if model.stage == NAMING_STAGE:
            speakers = model.settings.get("speakers")
            return dict(speakers) if isinstance(speakers, Mapping) else {}
    return {}


def unconfirmed_speakers(transcript: Transcript) -> list[Speaker]:
    """Speakers the editor must name: fallbacks ("Gast 1") and speakers without a name."""
    report = naming_report(transcript)
    return [
        s for s in transcript.speakers if not s.name or report.get(s.id, {}).get("source") == FALLBACK_SOURCE
    ]


def speaker_label(speaker: Speaker, settings: Any = None) -> str:
    """ "Name (organisation)", or the host's description from the config."""
    config = naming_settings(settings)
    name = speaker.display_name
    detail = speaker.organisation
    if (
        speaker.role == Role.HOST
        and config.host_description
        and (not config.host_name or _same_name(config.host_name, speaker.name))
    ):
        detail = config.host_description
    return f"{name} ({detail})" if detail else name


__all__ = [
    "Naming",
    "Voiceprint",
    "VoiceprintStore",
    "cosine",
    "enrol_from_transcript",
    "enrol_voiceprint",
    "match_voiceprint",
    "name_speakers",
    "naming_report",
    "naming_settings",
    "read_centroids",
    "speaker_label",
    "unconfirmed_speakers",
    "write_centroids",
]
