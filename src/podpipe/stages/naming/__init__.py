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

By concern: ``voiceprints`` (the store, enrolment, matching), ``host`` (step 2), ``guests`` (steps 3
and 4), ``report`` (the naming report read back, placeholders, labels), beside ``found`` (the cast
grown from the conversation), ``correct`` (misheard names) and ``resolve`` (the assignment).
"""

from __future__ import annotations

from podpipe.config import Naming
from podpipe.stages.naming.guests import correct_introduced_names, name_speakers
from podpipe.stages.naming.host import (
    HOST_STAGE,
    decide_host,
    decided_host,
    heard_self_introductions,
    host_decision,
)
from podpipe.stages.naming.report import (
    FALLBACK_SOURCE,
    NAMING_STAGE,
    is_placeholder_name,
    naming_decisions,
    naming_report,
    same_name,
    speaker_label,
    unconfirmed_speakers,
)
from podpipe.stages.naming.voiceprints import (
    Voiceprint,
    VoiceprintStore,
    cosine,
    enrol_configured_host,
    enrol_voiceprint,
    match_voiceprint,
)

__all__ = [
    "FALLBACK_SOURCE",
    "HOST_STAGE",
    "NAMING_STAGE",
    "Naming",
    "Voiceprint",
    "VoiceprintStore",
    "correct_introduced_names",
    "cosine",
    "decide_host",
    "decided_host",
    "enrol_configured_host",
    "enrol_voiceprint",
    "heard_self_introductions",
    "host_decision",
    "is_placeholder_name",
    "match_voiceprint",
    "naming_decisions",
    "name_speakers",
    "naming_report",
    "same_name",
    "speaker_label",
    "unconfirmed_speakers",
]
