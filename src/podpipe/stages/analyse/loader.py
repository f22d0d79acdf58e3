"""Read a transcript for the NLP stage: podpipe's own ``transcript.json`` or a hand-written episode file.

The hand-written format (``../shared/transcripts/*.json``) has ``speakers`` (id, name, role,
organisation) and ``turns`` (speaker, text, optional start/end). Each turn becomes one Segment; turns
without times get times estimated from word counts, and the episode metadata says so.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from podpipe.domain import Episode, Role, Segment, Speaker, Transcript
from podpipe.errors import PodpipeError
from podpipe.io import TRANSCRIPT_FORMAT, transcript_from_dict
from podpipe.stages.analyse.text import count_words

DEFAULT_WORDS_PER_SECOND = 2.6
PAUSE_BETWEEN_TURNS = 0.4  # seconds added between turns whose times are estimated


def load_transcript_any(path: Path | str, words_per_second: float = DEFAULT_WORDS_PER_SECOND) -> Transcript:
    """A Transcript from podpipe's ``transcript.json`` or from a speakers-and-turns episode file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise PodpipeError(f"{path}: cannot read transcript JSON ({error})") from error
    if not isinstance(data, dict):
        raise PodpipeError(f"{path}: a transcript is a JSON object")
    if data.get("format") == TRANSCRIPT_FORMAT:
        return transcript_from_dict(data, path)
    if isinstance(data.get("turns"), list):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return transcript_from_turns(data, source=path, episode_id=digest, words_per_second=words_per_second)
    raise PodpipeError(
        f"{path}: neither a podpipe transcript (format {TRANSCRIPT_FORMAT!r}) "
        "nor an episode file with 'turns'"
    )


def _role(value: Any) -> Role | None:
    try:
        return Role(str(value).lower()) if value else None
    except ValueError:
        return None


def _time(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def transcript_from_turns(
    data: dict[str, Any],
    source: Path | str = "<transcript>",
    episode_id: str | None = None,
    words_per_second: float = DEFAULT_WORDS_PER_SECOND,
) -> Transcript:
    """Build a Transcript from a dict with ``speakers`` and ``turns`` (see the module docstring)."""
    turns = data.get("turns") or []
    speakers: list[Speaker] = []
    for raw in data.get("speakers") or []:
        if not isinstance(raw, dict) or not raw.get("id"):
            raise PodpipeError(f"{source}: every speaker needs an 'id'")
        speakers.append(
            Speaker(
                id=str(raw["id"]),
                name=raw.get("name") or None,
                organisation=raw.get("organisation") or raw.get("organization") or None,
                role=_role(raw.get("role")),
            )
        )
    known = {speaker.id for speaker in speakers}
    segments: list[Segment] = []
    estimated = False
    clock = 0.0
    for index, turn in enumerate(turns):
        if not isinstance(turn, dict) or "text" not in turn:
            raise PodpipeError(f"{source}: turn {index} needs a 'text'")
        text = str(turn["text"]).strip()
        speaker = turn.get("speaker")
        speaker = None if speaker is None else str(speaker)
        if speaker is not None and speaker not in known:
            speakers.append(Speaker(id=speaker))
            known.add(speaker)
        start, end = _time(turn.get("start")), _time(turn.get("end"))
        if start is None or end is None or end < start:
            estimated = True
            start = clock if start is None else start
            end = start + max(count_words(text), 1) / words_per_second
        segments.append(Segment(start=round(start, 3), end=round(end, 3), text=text, speaker=speaker))
        clock = end + (PAUSE_BETWEEN_TURNS if estimated else 0.0)

    slug = str(data.get("episode") or data.get("slug") or Path(str(source)).stem)
    metadata: dict[str, object] = {"source_format": "turns"}
    for key in ("podcast", "description", "date", "guests", "host", "hosts", "people", "organisations"):
        if key in data:
            metadata[key] = data[key]
    if estimated:
        metadata["times_estimated"] = True
        metadata["words_per_second"] = words_per_second
    number = data.get("episode_number", data.get("number"))
    episode = Episode(
        id=episode_id or hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest(),
        slug=slug,
        source=Path(str(source)),
        duration=segments[-1].end if segments else 0.0,
        title=data.get("title"),
        number=int(number) if isinstance(number, int | str) and str(number).isdigit() else None,
        metadata=metadata,
    )
    return Transcript(
        episode=episode, segments=segments, language=str(data.get("language") or "nl"), speakers=speakers
    )
