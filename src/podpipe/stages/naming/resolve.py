"""Speakers named as one assignment: evidence producers feed a single resolver.

Each producer is a pure function that returns :class:`Evidence` rows (speaker, cast member, rule,
weight; positive for, negative against). :func:`resolve` sums them into a cast x speaker matrix and
assigns cast members to diarisation speakers by maximum total evidence
(``scipy.optimize.linear_sum_assignment``), each member at most once.

With a closed cast (the sidecar listed the guests) a speaker is left unnamed only when every member
is taken or the evidence is against all who are left; an assignment that rests on little evidence
gets a low confidence, which the draft's check box asks the editor to confirm. With an open cast
an assignment needs positive evidence (a wrong name is worse than "Gast N").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from podpipe.domain import CastMember, Mention, Segment
from podpipe.stages.naming.correct import THRESHOLD, fold, similarity

# Weights: a voice match or a self-introduction outweighs the conversation; the order of first
# speech only breaks ties. Chosen so that one strong rule beats two weak ones that disagree.
VOICE_WEIGHT = 4.0
SELF_INTRODUCTION_WEIGHT = 4.0
VOCATIVE_WEIGHT = 2.0
ORGANISATION_WEIGHT = 2.0  # "ik ben van Kompaswerk": weaker than a name, colleagues share organisations
ANSWER_WEIGHT = 1.0
SAYS_NAME_WEIGHT = -0.5  # people seldom name themselves in the third person
FIRST_SPEECH_WEIGHT = 1.0  # the host opens the episode
MENTION_ORDER_WEIGHT = 0.5  # guests tend to speak first in the order the host introduced them
VOICE_AGAINST_MARGIN = 0.15  # this far below the threshold, a voiceprint says "not this person"
OPEN_MIN_SCORE = 1.0  # evidence an open cast needs for a name
CONFIDENCE_SCALE = 3.0  # margin over the runner-up that counts as certain
LOW_CONFIDENCE = 0.5


@dataclass(frozen=True, slots=True)
class Evidence:
    speaker: str
    member: str  # cast member's name
    rule: str  # "voiceprint", "self-introduction", "vocative", "answer", "says-name", "first-speech", ...
    weight: float
    detail: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Assignment:
    speaker: str
    member: CastMember
    score: float
    confidence: float
    evidence: tuple[Evidence, ...]

    @property
    def source(self) -> str:
        """The rule that weighed most, in the words of the naming report ("sidecar" with no evidence)."""
        positive = [e for e in self.evidence if e.weight > 0]
        if not positive:
            return "sidecar"
        rule = max(positive, key=lambda e: e.weight).rule
        return {"vocative": "conversation", "answer": "conversation", "first-speech": "first-speaker",
                "own-organisation": "self-introduction",
                "mention-order": "sidecar"}.get(rule, rule)


def name_score(heard: str, member: CastMember) -> float:
    """How well a heard name fits a cast member: the full name, the first name or the surname."""
    parts = member.name.split()
    forms = [member.name] + ([parts[0], " ".join(parts[1:])] if len(parts) > 1 else [])
    return max(similarity(heard, form)[0] for form in forms)


def best_member(heard: str, members: Sequence[CastMember], threshold: float = THRESHOLD) -> tuple[
        CastMember | None, float]:
    scored = sorted(((name_score(heard, m), i) for i, m in enumerate(members)), reverse=True)
    if not scored or scored[0][0] < threshold:
        return None, scored[0][0] if scored else 0.0
    return members[scored[0][1]], scored[0][0]


# ---------------------------------------------------------------------------------------------
# Evidence producers
# ---------------------------------------------------------------------------------------------


def voiceprint_evidence(
    similarities: Mapping[str, Mapping[str, float]], threshold: float
) -> list[Evidence]:
    """member -> {speaker: cosine}: for above the threshold (more, the more similar), against well below."""
    rows = []
    for member, by_speaker in similarities.items():
        for speaker, score in by_speaker.items():
            if score >= threshold:
                weight = VOICE_WEIGHT * (1.0 + (score - threshold))
            elif score < threshold - VOICE_AGAINST_MARGIN:
                weight = -VOICE_WEIGHT / 2
            else:
                continue
            rows.append(Evidence(speaker, member, "voiceprint", round(weight, 3), {"similarity": round(score, 4)}))
    return rows


def self_introduction_evidence(mentions: Sequence[Mention], members: Sequence[CastMember]) -> list[Evidence]:
    """"Ik ben X": the speaker is the cast member whose name X reads or sounds like."""
    rows = []
    for mention in mentions:
        if mention.source != "self-introduction" or mention.speaker is None:
            continue
        member, score = best_member(mention.text, members)
        if member is not None:
            rows.append(Evidence(mention.speaker, member.name, "self-introduction",
                                 round(SELF_INTRODUCTION_WEIGHT * score, 3),
                                 {"heard": mention.text, "similarity": round(score, 3)}))
    return rows


def _turns(segments: Sequence[Segment]) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for segment in segments:
        if segment.speaker is None:
            continue
        if turns and turns[-1][0] == segment.speaker:
            turns[-1] = (segment.speaker, turns[-1][1] + " " + segment.text)
        else:
            turns.append((segment.speaker, segment.text))
    return turns


def _name_forms(member: CastMember) -> str:
    """A regex alternation of the full name and the first name, longest first."""
    forms = sorted({member.name, member.name.split()[0]}, key=len, reverse=True)
    return "|".join(re.escape(form) for form in forms)


_GREETING = r"(?:dag|hallo|hoi|dank je|dank u|bedankt|merci|welkom|ja|nee|oké|ok)"
TAIL = 160  # characters at the end of a turn: what the next speaker answers
_SELF_INTRODUCING = re.compile(r"\b(?:ik ben|mijn naam is|ik heet)(?:\s+\w+){0,2}\s*$", re.IGNORECASE)


def conversation_evidence(segments: Sequence[Segment], members: Sequence[CastMember]) -> list[Evidence]:
    """Who answers to a name: "Ellen, laten we bij u beginnen." -> the next speaker is Ellen.

    A vocative at the end of a turn (the name opening a sentence, after a greeting or a comma, and
    followed by a comma or the sentence's end: "Bram, hoe meet ge ...?", "Dag Ellen, welkom.") points
    at the next speaker strongly, the name anywhere in the turn's end less, elsewhere weakly; the one
    who says a name is probably not its owner.
    """
    rows = []
    turns = _turns(segments)
    for member in members:
        forms = _name_forms(member)
        pattern = re.compile(rf"\b(?:{forms})\b", re.IGNORECASE)
        vocative = re.compile(
            rf"(?:^|[.!?\u2026,]\s+|\b{_GREETING}\s+)(?:{forms})\s*(?:[,?!]|[.\u2026](?:\s|$))", re.IGNORECASE
        )
        for index, (speaker, text) in enumerate(turns):
            hits = pattern.findall(text)
            if not hits:
                continue
            following = turns[index + 1][0] if index + 1 < len(turns) else None
            if following is not None and following != speaker:
                tail = text[-TAIL:]
                if vocative.search(tail):
                    rule, weight = "vocative", VOCATIVE_WEIGHT
                else:
                    rule, weight = "answer", ANSWER_WEIGHT if pattern.search(tail) else ANSWER_WEIGHT / 2
                rows.append(Evidence(following, member.name, rule, weight, {"turn": index}))
            # Naming oneself in a self-introduction ("Ik ben Bram") is no evidence against.
            said = [m for m in pattern.finditer(text) if not _SELF_INTRODUCING.search(text[: m.start()])]
            if said:
                rows.append(Evidence(speaker, member.name, "says-name", SAYS_NAME_WEIGHT * len(said),
                                     {"turn": index}))
    return rows


# "ik ben (Bram) van X", "ik werk bij X", "wij zijn X": the speaker says which organisation is theirs.
_OWN_ORGANISATION = r"\b(?:ik ben|ik werk|ik kom|wij zijn|we zijn|ik zit)\b[^.?!]{{0,40}}?\b(?:van|bij|voor|op)?\s*" \
    r"(?:[^.?!]{{0,25}}?\s)?(?:{org})\b"


def organisation_evidence(segments: Sequence[Segment], members: Sequence[CastMember]) -> list[Evidence]:
    """A speaker who presents themselves with a member's organisation is probably that member (when
    no other member shares it)."""
    owners: dict[str, list[CastMember]] = {}
    for member in members:
        if member.organisation:
            owners.setdefault(member.organisation, []).append(member)
    rows = []
    for organisation, people in owners.items():
        if len(people) != 1:
            continue
        pattern = re.compile(_OWN_ORGANISATION.format(org=re.escape(organisation)), re.IGNORECASE)
        for index, (speaker, text) in enumerate(_turns(segments)):
            if pattern.search(text):
                rows.append(Evidence(speaker, people[0].name, "own-organisation", ORGANISATION_WEIGHT,
                                     {"organisation": organisation, "turn": index}))
    return rows


def first_speech_evidence(order: Sequence[str], host: CastMember | None) -> list[Evidence]:
    """The host opens the episode."""
    if host is None or not order:
        return []
    return [Evidence(order[0], host.name, "first-speech", FIRST_SPEECH_WEIGHT)]


def mention_order_evidence(
    segments: Sequence[Segment], order: Sequence[str], guests: Sequence[CastMember], host_label: str | None
) -> list[Evidence]:
    """Guests named in the text tend to speak first in the order they were named (a tie-breaker)."""
    text = fold(" ".join(segment.text for segment in segments))
    positions = []
    for guest in guests:
        found = re.search(r"\b" + re.escape(fold(guest.name.split()[0])) + r"\b", text)
        if found:
            positions.append((found.start(), guest))
    named = [guest for _, guest in sorted(positions, key=lambda p: p[0])]
    speakers = [label for label in order if label != host_label]
    return [
        Evidence(label, guest.name, "mention-order", MENTION_ORDER_WEIGHT, {"position": i})
        for i, (label, guest) in enumerate(zip(speakers, named))
    ]


# ---------------------------------------------------------------------------------------------
# The resolver
# ---------------------------------------------------------------------------------------------


def evidence_matrix(
    members: Sequence[CastMember], speakers: Sequence[str], evidence: Sequence[Evidence]
) -> np.ndarray:
    row = {m.name: i for i, m in enumerate(members)}
    column = {s: j for j, s in enumerate(speakers)}
    matrix = np.zeros((len(members), len(speakers)))
    for item in evidence:
        if item.member in row and item.speaker in column:
            matrix[row[item.member], column[item.speaker]] += item.weight
    return matrix


def _confidence(matrix: np.ndarray, i: int, j: int, closed: bool) -> float:
    """The margin of the chosen pair over the runner-up for its speaker and for its member."""
    others = [matrix[k, j] for k in range(matrix.shape[0]) if k != i]
    others += [matrix[i, k] for k in range(matrix.shape[1]) if k != j]
    runner_up = max(others, default=0.0 if closed else OPEN_MIN_SCORE / 2)
    if not closed:
        runner_up = max(runner_up, 0.0)
    return round(float(np.clip((matrix[i, j] - runner_up) / CONFIDENCE_SCALE, 0.0, 1.0)), 3)


def resolve(
    members: Sequence[CastMember],
    speakers: Sequence[str],
    evidence: Sequence[Evidence],
    *,
    closed: bool,
) -> dict[str, Assignment]:
    """speaker -> assignment, by maximum total evidence; each member at most once.

    Closed cast: a pair with evidence for it is kept; a pair without any evidence (total zero) only
    when the sidecar leaves no choice (as many members as speakers), since a guessed name is worse
    than "Gast N"; a pair with evidence against it never. Open cast: a pair needs ``OPEN_MIN_SCORE``.
    """
    if not members or not speakers:
        return {}
    matrix = evidence_matrix(members, speakers, evidence)
    rows, columns = linear_sum_assignment(matrix, maximize=True)
    forced = len(members) == len(speakers)
    result = {}
    for i, j in zip(rows, columns):
        score = float(matrix[i, j])
        if closed and (score < 0 or (score == 0 and not forced)):
            continue
        if not closed and score < OPEN_MIN_SCORE:
            continue
        member, speaker = members[i], speakers[j]
        used = tuple(e for e in evidence if e.member == member.name and e.speaker == speaker)
        result[speaker] = Assignment(speaker, member, round(score, 3), _confidence(matrix, i, j, closed), used)
    return result


__all__ = [
    "LOW_CONFIDENCE",
    "Assignment",
    "Evidence",
    "best_member",
    "conversation_evidence",
    "evidence_matrix",
    "first_speech_evidence",
    "mention_order_evidence",
    "name_score",
    "organisation_evidence",
    "resolve",
    "self_introduction_evidence",
    "voiceprint_evidence",
]
