"""The host, decided once before the analysis: the cast's host by voiceprint, by a self-introduction and
by who opens the episode; recorded as the ``ModelInfo`` of stage ``"host"``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from podpipe.config import NamingConfig
from podpipe.domain import CastMember, HostDecision, Mention, ModelInfo, Role, Speaker, Transcript
from podpipe.stages.naming.found import episode_cast, found_entry
from podpipe.stages.naming.resolve import (
    Assignment,
    first_speech_evidence,
    resolve,
    self_introduction_evidence,
    voiceprint_evidence,
)
from podpipe.stages.naming.voiceprints import VoiceprintStore, match_voiceprint
from podpipe.text import fold

HOST_STAGE = "host"
# "ik ben X", "mijn naam is X": a first look for the host's self-introduction before the NLP stage.
_SELF_INTRODUCTION = re.compile(
    r"\b(?:ik ben|mijn naam is|ik heet)\s+(?:zoals altijd\s+|weer\s+|uw host\s+|de host\s+)?"
    r"([A-Z\u00c0-\u017f][\w\u00c0-\u017f'-]+(?:\s+[A-Z\u00c0-\u017f][\w\u00c0-\u017f'-]+)?)"
)


def speaking_order(transcript: Transcript) -> list[str]:
    return list(dict.fromkeys(s.speaker for s in transcript.segments if s.speaker is not None))


def heard_self_introductions(transcript: Transcript) -> list[Mention]:
    """Self-introductions as the raw text has them (before the NLP stage): "Ik ben Walter, de host"."""
    found = []
    for segment in transcript.segments:
        for match in _SELF_INTRODUCTION.finditer(segment.text):
            found.append(Mention(match.group(1), "PER", speaker=segment.speaker, start=segment.start,
                                 source="self-introduction"))
    return found


def voice_similarities(
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


def evidence_entry(assignment: Assignment) -> dict[str, Any]:
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
    setup: NamingConfig,
    *,
    voiceprints: Mapping[str, Sequence[float] | np.ndarray] | None = None,
    store: VoiceprintStore | None = None,
) -> Transcript:
    """Which speaker hosts, decided once, before the analysis: the cast's host by voiceprint, by a
    self-introduction and by who opens the episode; without a host in the cast, who opens it.

    The speaker gets role host (and the host's name and organisation); the decision and its evidence
    are recorded as the ``ModelInfo`` of stage ``"host"``, which :func:`name_speakers` reads.
    """
    config = setup.naming
    grown = episode_cast(transcript)
    cast = grown.cast
    order = speaking_order(transcript)
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
        store = store or (VoiceprintStore(setup.voiceprints_dir) if voiceprints else None)
        similarities = voice_similarities([cast.host], voiceprints, store)
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
            decision = {"speaker": label, **evidence_entry(assignment)}
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
    """The host decision as recorded (see :func:`decided_host` for it typed)."""
    return next((dict(m.settings) for m in transcript.models if m.stage == HOST_STAGE), None)


def decided_host(transcript: Transcript) -> HostDecision | None:
    """The host decision :func:`decide_host` recorded, typed; None before it ran."""
    record = host_decision(transcript)
    return HostDecision.from_record(record) if record is not None else None
