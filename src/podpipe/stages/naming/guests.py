"""The other speakers: one assignment of the cast to the voices over the evidence (voiceprints,
introductions, conversation, order of mention), then by elimination, then "Gast 1", "Gast 2", ...;
recorded as the ``ModelInfo`` of stage ``"naming"``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from podpipe.cast import cast_of
from podpipe.config import Naming, NamingConfig
from podpipe.domain import Analysis, Cast, CastMember, Mention, ModelInfo, Role, Speaker, Transcript
from podpipe.stages.naming.correct import cast_terms, frequent_words, name_words, replace_heard
from podpipe.stages.naming.found import episode_cast, found_entry
from podpipe.stages.naming.host import (
    decide_host,
    decided_host,
    evidence_entry,
    heard_self_introductions,
    speaking_order,
    voice_similarities,
)
from podpipe.stages.naming.report import FALLBACK_SOURCE, NAMING_STAGE, naming_report
from podpipe.stages.naming.resolve import (
    Evidence,
    best_member,
    conversation_evidence,
    mention_order_evidence,
    organisation_evidence,
    resolve,
    self_introduction_evidence,
    voiceprint_evidence,
)
from podpipe.stages.naming.voiceprints import VoiceprintStore
from podpipe.text import fold, normal


def _candidates(cast: Cast, mentions: Sequence[Mention], taken: set[str], named_voices: set[str]) -> list[CastMember]:
    """Who the unnamed speakers can be. A closed cast: its guests. An open one: the show's people and
    every person heard introduced (by themselves or by the host) who is not the host. A self-introduction
    names only the voice that said it: said by a voice that has its name already (the host), it is
    that name misheard, nobody else's."""
    members = list(cast.guests) if cast.closed else list(cast.guests) + list(cast.people)
    if not cast.closed:
        for mention in mentions:
            if mention.label != "PER" or mention.source not in ("self-introduction", "introduction"):
                continue
            if mention.source == "self-introduction" and mention.speaker in named_voices:
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
    similarities = voice_similarities(members, voiceprints, store)
    return (
        voiceprint_evidence(similarities, threshold)
        + self_introduction_evidence(mentions, members)
        + conversation_evidence(transcript.segments, members)
        + organisation_evidence(transcript.segments, members)
        + mention_order_evidence(transcript.segments, speaking_order(transcript),
                                 [m for m in members if m.role == Role.GUEST], host_label)
    )


def name_speakers(
    transcript: Transcript,
    analysis: Analysis | None,
    setup: NamingConfig,
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
    config = setup.naming
    previous = naming_report(transcript)
    cleared = [replace(s, name=None) if s.name and previous.get(s.id, {}).get("source") == FALLBACK_SOURCE
               else replace(s) for s in transcript.speakers]  # a fallback of an earlier run is no evidence
    transcript = replace(transcript, speakers=cleared)
    host = decided_host(transcript)
    if host is None or not any(s.role == Role.HOST for s in transcript.speakers):
        transcript = decide_host(transcript, setup, voiceprints=voiceprints, store=store)
        host = decided_host(transcript)
    host_label = host.speaker if host is not None else None
    order = speaking_order(transcript)
    speakers = {label: Speaker(id=label) for label in order}
    speakers.update({s.id: replace(s) for s in transcript.speakers})
    speakers = {label: speakers[label] for label in [*order, *[other for other in speakers if other not in order]]}
    report: dict[str, dict[str, Any]] = {}
    for label, speaker in speakers.items():
        if speaker.name and label != host_label:
            report[label] = {"source": "transcript"}
    if host is not None and host_label in speakers and speakers[host_label].name:
        report[host_label] = host.report_entry()

    grown = episode_cast(transcript)
    cast = grown.cast
    mentions = _mentions(analysis, transcript, grown.found.values())
    taken = {normal(s.name) for s in speakers.values() if s.name}
    members = _candidates(cast, mentions, taken, {label for label, s in speakers.items() if s.name})
    # An unnamed host of an open cast without a host is named by the evidence like anyone else; in a
    # closed cast the host's chair is no guest's.
    host_open = not cast.closed and cast.host is None
    free = [label for label in order if not speakers[label].name and (label != host_label or host_open)]
    if store is None and voiceprints:
        store = VoiceprintStore(setup.voiceprints_dir)
    evidence = _guest_evidence(transcript, members, mentions, free, host_label,
                               (voiceprints, store, config.voiceprint_threshold))
    for label, assignment in resolve(members, free, evidence, closed=cast.closed).items():
        speaker = speakers[label]
        speaker.name = assignment.member.name
        speaker.organisation = speaker.organisation or assignment.member.organisation
        speaker.role = Role.HOST if label == host_label else Role.GUEST
        report[label] = evidence_entry(assignment)
        if assignment.member.name in grown.found:
            report[label]["found"] = found_entry(grown.found[assignment.member.name])

    if not cast.closed:
        _by_elimination(speakers, free, members, grown.found, report)
    _fallbacks(speakers, order, host_label, report, config)
    voice = {"voice": host.voice} if host is not None and host.voice is not None else {}
    info = ModelInfo(stage=NAMING_STAGE, name="podpipe speaker naming", version="2",
                     settings={"speakers": report, **voice, "cast": "closed" if cast.closed else "open"})
    models = [m for m in transcript.models if m.stage != NAMING_STAGE] + [info]
    named = replace(transcript, speakers=list(speakers.values()), models=models)
    # Against the cast before the conversation grew it: a misheard self-introduction is in the grown one.
    return correct_introduced_names(named, mentions, cast_of(transcript.episode))


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
