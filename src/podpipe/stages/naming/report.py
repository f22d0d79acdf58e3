"""How each speaker was named, read back, and how names are shown: the naming report in
``transcript.models`` (stage ``"naming"``), placeholders ("Gast 1", "Presentator"), labels for the notes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from podpipe.config import Naming
from podpipe.domain import NamingDecision, Role, Speaker, Transcript
from podpipe.text import normal

NAMING_STAGE = "naming"
FALLBACK_SOURCE = NamingDecision.FALLBACK


def same_name(a: str | None, b: str | None) -> bool:
    """Whether two names are the same person's, as written (case and spacing aside)."""
    return bool(a and b) and normal(a) == normal(b)  # type: ignore[arg-type]


PACKAGED_NAMING = Naming()  # the packaged placeholders, "Gast {n}" and "Presentator"


def is_placeholder_name(name: str | None, config: Naming = PACKAGED_NAMING) -> bool:
    """ "Gast 3", "Presentator": a fallback of the naming, nobody's name (the packaged ones by default)."""
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


def naming_decisions(transcript: Transcript) -> dict[str, NamingDecision]:
    """label -> how the speaker was named, typed: the naming report of :func:`naming_report`."""
    return {label: NamingDecision.from_record(entry) for label, entry in naming_report(transcript).items()
            if isinstance(entry, Mapping)}


def unconfirmed_speakers(transcript: Transcript) -> list[Speaker]:
    """Speakers the editor must name: fallbacks ("Gast 1") and speakers without a name."""
    decisions = naming_decisions(transcript)
    return [s for s in transcript.speakers if not s.name or (s.id in decisions and decisions[s.id].is_fallback)]


def speaker_label(speaker: Speaker, config: Naming) -> str:
    """ "Name (organisation)", or the host's description from the config."""
    name = speaker.display_name
    detail = speaker.organisation
    if (
        speaker.role == Role.HOST
        and config.host_description
        and (not config.host_name or same_name(config.host_name, speaker.name))
    ):
        detail = config.host_description
    return f"{name} ({detail})" if detail else name
