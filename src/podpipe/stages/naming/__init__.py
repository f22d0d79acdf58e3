"""Naming the speakers: diarisation says ``SPEAKER_00``, editors need "Walter Schroven (VOV)".

Who can be in the episode is the :class:`~podpipe.domain.Cast` (config + sidecar, :mod:`podpipe.cast`).

1. names already on the transcript (an editor's, or a hand-written episode file) are kept;
2. the host is decided once, before the analysis (:func:`decide_host`): the cast's host by a stored
   voiceprint (cosine similarity of CAM++ embeddings, see :class:`VoiceprintStore`), by a
   self-introduction and by who opens the episode;
3. the other speakers are one assignment (:mod:`podpipe.stages.naming.resolve`) over the evidence: voiceprints of
   enrolled returning guests, self-introductions (heard names matched to cast names by spelling and
   sound), the host's introductions and who answers them, vocatives, the order of first speech;
4. fallback: "Gast 1", "Gast 2", ..., marked for the editor.

How each speaker was named (source, evidence, score, confidence) is recorded in ``transcript.models``
as the ``ModelInfo`` of stage ``"naming"``; :func:`naming_report` reads it back.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from slugify import slugify

from podpipe.cast import cast_of
from podpipe.config import Naming, Settings, section_of
from podpipe.domain import Analysis, Cast, CastMember, Mention, ModelInfo, Role, Speaker, Transcript
from podpipe.files import write_text_atomic
from podpipe.stages.naming.correct import cast_terms, fold, frequent_words, name_words, replace_heard
from podpipe.stages.naming.found import episode_cast, found_entry
from podpipe.stages.naming.resolve import (
    Assignment,
    Evidence,
    best_member,
    conversation_evidence,
    first_speech_evidence,
    mention_order_evidence,
    organisation_evidence,
    resolve,
    self_introduction_evidence,
    voiceprint_evidence,
)
from podpipe.text import normal

log = logging.getLogger(__name__)

NAMING_STAGE = "naming"
FALLBACK_SOURCE = "fallback"


def naming_settings(settings: Settings | None = None) -> Naming:
    return section_of(settings, "naming", Naming)


# ---------------------------------------------------------------------------------------------
# Voiceprints
# ---------------------------------------------------------------------------------------------


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
    def from_settings(cls, settings: Settings | None) -> VoiceprintStore:
        config = naming_settings(settings)
        directory = config.voiceprints_dir
        paths = getattr(settings, "paths", None)
        if directory is None:
            output = getattr(paths, "output", None) or Path("output")
            directory = Path(output) / "voiceprints"
        resolve = getattr(settings, "resolve", None)
        return cls(resolve(Path(directory)) if callable(resolve) else Path(directory))

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


def enrol_voiceprint(name: str, clip: Path, settings: Settings, *, diarise: Any = None) -> Voiceprint:
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


def enrol_configured_host(settings: Settings, *, diarise: Any = None) -> Voiceprint | None:
    """The configured host's voiceprint from ``naming.host_reference_clip``, once: None when there is
    no clip, or the store has them already."""
    config = naming_settings(settings)
    if not (config.host_name and config.host_reference_clip):
        return None
    if VoiceprintStore.from_settings(settings).get(config.host_name) is not None:
        return None
    return enrol_voiceprint(config.host_name, settings.resolve(config.host_reference_clip), settings, diarise=diarise)


def _diarise_clip(clip: Path, settings: Settings) -> Any:  # pragma: no cover - needs the diarisation models
    import tempfile

    from podpipe.stages.diarize.stage import diarize
    from podpipe.stages.ingest import describe_episode, load_waveform, normalise

    episode = describe_episode(clip)
    with tempfile.TemporaryDirectory(prefix="podpipe-enrol-") as work:
        normalised = normalise(episode, Path(work))
        return diarize(episode, load_waveform(normalised), settings)


# ---------------------------------------------------------------------------------------------
# Naming
# ---------------------------------------------------------------------------------------------

HOST_STAGE = "host"
# "ik ben X", "mijn naam is X": a first look for the host's self-introduction before the NLP stage.
_SELF_INTRODUCTION = re.compile(
    r"\b(?:ik ben|mijn naam is|ik heet)\s+(?:zoals altijd\s+|weer\s+|uw host\s+|de host\s+)?"
    r"([A-Z\u00c0-\u017f][\w\u00c0-\u017f'-]+(?:\s+[A-Z\u00c0-\u017f][\w\u00c0-\u017f'-]+)?)"
)


def same_name(a: str | None, b: str | None) -> bool:
    """Whether two names are the same person's, as written (case and spacing aside)."""
    return bool(a and b) and normal(a) == normal(b)  # type: ignore[arg-type]


def _order(transcript: Transcript) -> list[str]:
    return list(dict.fromkeys(s.speaker for s in transcript.segments if s.speaker is not None))


def heard_self_introductions(transcript: Transcript) -> list[Mention]:
    """Self-introductions as the raw text has them (before the NLP stage): "Ik ben Walter, de host"."""
    found = []
    for segment in transcript.segments:
        for match in _SELF_INTRODUCTION.finditer(segment.text):
            found.append(Mention(match.group(1), "PER", speaker=segment.speaker, start=segment.start,
                                 source="self-introduction"))
    return found


def _voice_similarities(
    members: Sequence[CastMember], voiceprints: Mapping[str, Any] | None, store: VoiceprintStore | None
) -> dict[str, dict[str, float]]:
    """member name -> {speaker: cosine} for every member with an enrolled voiceprint."""
    if not voiceprints or store is None:
        return {}
    result = {}
    for member in members:
        print_ = store.get(member.name)
        if print_ is not None:
            result[member.name] = match_voiceprint(print_, voiceprints, 2.0)[1]
    return result


def _evidence_entry(assignment: Assignment) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "source": assignment.source,
        "score": assignment.score,
        "confidence": assignment.confidence,
        "evidence": [{"rule": e.rule, "weight": e.weight, **dict(e.detail)} for e in assignment.evidence],
    }
    voice = next((e for e in assignment.evidence if e.rule == "voiceprint"), None)
    if voice is not None:
        entry["similarity"] = voice.detail.get("similarity")
    heard = next((e for e in assignment.evidence if e.rule == "self-introduction"), None)
    if heard is not None and fold(str(heard.detail.get("heard"))) != fold(assignment.member.name):
        entry["heard_as"] = heard.detail.get("heard")
    return entry


def decide_host(
    transcript: Transcript,
    settings: Settings | None = None,
    *,
    voiceprints: Mapping[str, Sequence[float] | np.ndarray] | None = None,
    store: VoiceprintStore | None = None,
) -> Transcript:
    """Which speaker hosts, decided once, before the analysis: the cast's host by voiceprint, by a
    self-introduction and by who opens the episode; without a host in the cast, who opens it.

    The speaker gets role host (and the host's name and organisation); the decision and its evidence
    are recorded as the ``ModelInfo`` of stage ``"host"``, which :func:`name_speakers` reads.
    """
    config = naming_settings(settings)
    grown = episode_cast(transcript, settings)
    cast = grown.cast
    order = _order(transcript)
    speakers = [replace(s) for s in transcript.speakers]
    known = {s.id for s in speakers}
    speakers += [Speaker(id=label) for label in order if label not in known]
    decision: dict[str, Any] = {"speaker": None}
    named_host = next((s for s in speakers if s.role == Role.HOST), None)
    if named_host is not None and (named_host.name or cast.host is None):
        decision = {"speaker": named_host.id, "source": "transcript"}
    elif cast.host is not None and order:
        # A speaker whose role the transcript gives (an anonymous episode file) is the only chair to fill.
        chairs = [named_host.id] if named_host is not None else order
        store = store or (VoiceprintStore.from_settings(settings) if voiceprints else None)
        similarities = _voice_similarities([cast.host], voiceprints, store)
        evidence = (
            voiceprint_evidence(similarities, config.voiceprint_threshold)
            + self_introduction_evidence(heard_self_introductions(transcript), [cast.host])
            + first_speech_evidence(order, cast.host)
        )
        found = resolve([cast.host], chairs, evidence, closed=False)
        if found:
            label, assignment = next(iter(found.items()))
            speaker = next(s for s in speakers if s.id == label)
            speaker.name = speaker.name or cast.host.name
            speaker.organisation = speaker.organisation or cast.host.organisation
            speaker.role = Role.HOST
            decision = {"speaker": label, **_evidence_entry(assignment)}
            if cast.host.name in grown.found:
                decision["found"] = found_entry(grown.found[cast.host.name])
        elif named_host is not None:
            decision = {"speaker": named_host.id, "source": "transcript"}
        if similarities:
            decision["voice"] = {"voiceprint": cast.host.name, "threshold": config.voiceprint_threshold,
                                 "similarities": similarities[cast.host.name]}
        elif voiceprints:
            decision["voice"] = {"voiceprint": None, "reason": f"no voiceprint enrolled for {cast.host.name!r}"}
    if decision["speaker"] is None and order and cast.host is None:
        first = next(s for s in speakers if s.id == order[0])
        if first.role in (None, Role.HOST):
            first.role = Role.HOST
            decision = {"speaker": order[0], "source": "first-speaker", "confidence": 0.0}
    info = ModelInfo(stage=HOST_STAGE, name="podpipe host decision", version="1", settings=decision)
    models = [m for m in transcript.models if m.stage != HOST_STAGE] + [info]
    return replace(transcript, speakers=speakers, models=models)


def host_decision(transcript: Transcript) -> dict[str, Any] | None:
    return next((dict(m.settings) for m in transcript.models if m.stage == HOST_STAGE), None)


def _candidates(cast: Cast, mentions: Sequence[Mention], taken: set[str]) -> list[CastMember]:
    """Who the unnamed speakers can be. A closed cast: its guests. An open one: the show's people and
    every person heard introduced (by themselves or by the host) who is not the host."""
    members = list(cast.guests) if cast.closed else list(cast.guests) + list(cast.people)
    if not cast.closed:
        for mention in mentions:
            if mention.label != "PER" or mention.source not in ("self-introduction", "introduction"):
                continue
            if best_member(mention.text, [*members, *cast.speaking])[0] is None:
                members.append(CastMember(mention.text, Role.GUEST, mention.organisation))
    return [m for m in members if normal(m.name) not in taken]


def _mentions(analysis: Analysis | None, transcript: Transcript, found: Iterable[Mention]) -> list[Mention]:
    """The analysis's people (or the raw self-introductions), and what the conversation introduced
    that the analysis did not find."""
    mentions = list(analysis.people) if analysis is not None else heard_self_introductions(transcript)
    for mention in found:
        if not any(normal(m.text) == normal(mention.text) and m.source == mention.source for m in mentions):
            mentions.append(mention)
    return mentions


def _guest_evidence(
    transcript: Transcript,
    members: Sequence[CastMember],
    mentions: Sequence[Mention],
    free: Sequence[str],
    host_label: str | None,
    voice: tuple[Mapping[str, Any] | None, VoiceprintStore | None, float],
) -> list[Evidence]:
    voiceprints, store, threshold = voice
    similarities = _voice_similarities(members, voiceprints, store)
    return (
        voiceprint_evidence(similarities, threshold)
        + self_introduction_evidence(mentions, members)
        + conversation_evidence(transcript.segments, members)
        + organisation_evidence(transcript.segments, members)
        + mention_order_evidence(transcript.segments, _order(transcript), [m for m in members if m.role == Role.GUEST],
                                 host_label)
    )


def name_speakers(
    transcript: Transcript,
    analysis: Analysis | None,
    settings: Settings | None = None,
    *,
    voiceprints: Mapping[str, Sequence[float] | np.ndarray] | None = None,
    store: VoiceprintStore | None = None,
) -> Transcript:
    """A new transcript whose speakers carry name, organisation and role.

    The host comes from :func:`decide_host` (run here when the flow has not run it already); the
    other speakers from one assignment over the evidence (:mod:`podpipe.stages.naming.resolve`). ``voiceprints``:
    this episode's centroid embedding per diarisation label, compared with the stored voiceprints of
    the host and of every enrolled guest.
    """
    config = naming_settings(settings)
    previous = naming_report(transcript)
    cleared = [replace(s, name=None) if s.name and previous.get(s.id, {}).get("source") == FALLBACK_SOURCE
               else replace(s) for s in transcript.speakers]  # a fallback of an earlier run is no evidence
    transcript = replace(transcript, speakers=cleared)
    if host_decision(transcript) is None or not any(s.role == Role.HOST for s in transcript.speakers):
        transcript = decide_host(transcript, settings, voiceprints=voiceprints, store=store)
    host = host_decision(transcript) or {}
    host_label = host.get("speaker")
    order = _order(transcript)
    speakers = {label: Speaker(id=label) for label in order}
    speakers.update({s.id: replace(s) for s in transcript.speakers})
    speakers = {label: speakers[label] for label in [*order, *[other for other in speakers if other not in order]]}
    report: dict[str, dict[str, Any]] = {}
    for label, speaker in speakers.items():
        if speaker.name and label != host_label:
            report[label] = {"source": "transcript"}
    if host_label in speakers and speakers[host_label].name:
        report[host_label] = {k: v for k, v in host.items() if k not in ("speaker", "voice")}

    grown = episode_cast(transcript, settings)
    cast = grown.cast
    mentions = _mentions(analysis, transcript, grown.found.values())
    taken = {normal(s.name) for s in speakers.values() if s.name}
    members = _candidates(cast, mentions, taken)
    # An unnamed host of an open cast without a host is named by the evidence like anyone else; in a
    # closed cast the host's chair is no guest's.
    host_open = not cast.closed and cast.host is None
    free = [label for label in order if not speakers[label].name and (label != host_label or host_open)]
    if store is None and voiceprints:
        store = VoiceprintStore.from_settings(settings)
    evidence = _guest_evidence(transcript, members, mentions, free, host_label,
                               (voiceprints, store, config.voiceprint_threshold))
    for label, assignment in resolve(members, free, evidence, closed=cast.closed).items():
        speaker = speakers[label]
        speaker.name = assignment.member.name
        speaker.organisation = speaker.organisation or assignment.member.organisation
        speaker.role = Role.HOST if label == host_label else Role.GUEST
        report[label] = _evidence_entry(assignment)
        if assignment.member.name in grown.found:
            report[label]["found"] = found_entry(grown.found[assignment.member.name])

    if not cast.closed:
        _by_elimination(speakers, free, members, grown.found, report)
    _fallbacks(speakers, order, host_label, report, config)
    info = ModelInfo(stage=NAMING_STAGE, name="podpipe speaker naming", version="2",
                     settings={"speakers": report, **({"voice": host["voice"]} if "voice" in host else {}),
                               "cast": "closed" if cast.closed else "open"})
    models = [m for m in transcript.models if m.stage != NAMING_STAGE] + [info]
    named = replace(transcript, speakers=list(speakers.values()), models=models)
    # Against the cast before the conversation grew it: a misheard self-introduction is in the grown one.
    return correct_introduced_names(named, mentions, cast_of(transcript.episode, settings))


def _by_elimination(speakers: dict[str, Speaker], free: Sequence[str], members: Sequence[CastMember],
                    found: Mapping[str, Mention], report: dict[str, dict[str, Any]]) -> None:
    """One guest voice left unnamed and one person the conversation introduced left unplaced: that
    voice is that guest. On the MBROLA rendering of ep12 the host introduced Ellen, then
    "brangosens"; Bram answered first, so the order of mention pointed him at Ellen's voice and
    nothing else spoke for him: he stayed "Gast 1". Only when exactly one of each is left."""
    unnamed = [label for label in free if not speakers[label].name]
    placed = {normal(s.name) for s in speakers.values() if s.name}
    # Introduced by somebody else, or introducing themselves in that voice ("ik ben Mauter" said by the
    # host is the host misheard, no guest).
    introduced = [m for m in members if m.name in found and normal(m.name) not in placed
                  and ((found[m.name].source == "introduction" and found[m.name].speaker not in unnamed)
                       or (found[m.name].source == "self-introduction" and found[m.name].speaker in unnamed))]
    if len(unnamed) != 1 or len(introduced) != 1:
        return
    speaker, member = speakers[unnamed[0]], introduced[0]
    speaker.name, speaker.organisation, speaker.role = member.name, member.organisation, Role.GUEST
    report[unnamed[0]] = {"source": "elimination", "confidence": 0.0, "found": found_entry(found[member.name])}


def _fallbacks(speakers: dict[str, Speaker], order: Sequence[str], host_label: str | None,
               report: dict[str, dict[str, Any]], config: Naming) -> None:
    """"Presentator" for an unnamed host, "Gast 1", "Gast 2", ... for the rest, marked for the editor."""
    number = 0
    for label in order:
        speaker = speakers[label]
        if label == host_label and not speaker.name:
            speaker.name, speaker.role = config.host_fallback, Role.HOST
            report[label] = {"source": FALLBACK_SOURCE}
        elif not speaker.name:
            number += 1
            speaker.name = config.guest_fallback.format(n=number)
            speaker.role = speaker.role or Role.GUEST
            report[label] = {"source": FALLBACK_SOURCE}
        elif speaker.role is None:
            speaker.role = Role.HOST if label == host_label else Role.GUEST


def correct_introduced_names(transcript: Transcript, mentions: Sequence[Mention], cast: Cast) -> Transcript:
    """A self-introduction heard as another name ("Ik ben Moutor") by a speaker named otherwise: that
    heard form is their name misheard, so it is spelt as their first name wherever it was said.

    Not when the heard form is a cast member's name: then it is somebody's real name, said in a turn
    that diarisation may have given to the wrong speaker."""
    by_label = {s.id: s for s in transcript.speakers}
    report = naming_report(transcript)
    pairs: dict[str, str] = {}
    ordinary = frequent_words() - name_words(cast_terms(cast))
    for mention in mentions:
        speaker = by_label.get(mention.speaker or "")
        if (mention.source != "self-introduction" or speaker is None or not speaker.name
                or report.get(speaker.id, {}).get("source") in (FALLBACK_SOURCE, None)):
            continue
        parts = speaker.name.split()
        canonical = parts[0] if len(mention.text.split()) == 1 else speaker.name
        if set(fold(mention.text).split()) <= ordinary:
            continue  # "Ik ben Blij" is no misheard name: every "blij" would become one
        named = [CastMember(s.name) for s in transcript.speakers
                 if s.name and report.get(s.id, {}).get("source") != FALLBACK_SOURCE]
        if fold(mention.text) not in (fold(canonical), fold(speaker.name)) and best_member(
                mention.text, [*named, *cast.members])[0] is None:
            pairs[mention.text] = canonical
    return replace_heard(transcript, pairs, method="introduction") if pairs else transcript


def is_placeholder_name(name: str | None, settings: Settings | None = None) -> bool:
    """ "Gast 3", "Presentator": a fallback of the naming, nobody's name."""
    config = naming_settings(settings)
    if not name or name.strip() == config.host_fallback:
        return True
    pattern = re.escape(config.guest_fallback).replace(re.escape("{n}"), r"\d+")
    return re.fullmatch(pattern, name.strip()) is not None


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


def speaker_label(speaker: Speaker, settings: Settings | None = None) -> str:
    """ "Name (organisation)", or the host's description from the config."""
    config = naming_settings(settings)
    name = speaker.display_name
    detail = speaker.organisation
    if (
        speaker.role == Role.HOST
        and config.host_description
        and (not config.host_name or same_name(config.host_name, speaker.name))
    ):
        detail = config.host_description
    return f"{name} ({detail})" if detail else name


__all__ = [
    "Naming",
    "Voiceprint",
    "VoiceprintStore",
    "cosine",
    "enrol_voiceprint",
    "match_voiceprint",
    "name_speakers",
    "naming_report",
    "naming_settings",
    "same_name",
    "speaker_label",
    "unconfirmed_speakers",
]
