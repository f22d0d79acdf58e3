"""The optional episode sidecar: ``<audio name>.yaml`` beside the audio, written by a producer.

Its values are data, never paths or code: YAML is read with the safe loader, unknown keys are
refused, text fields are plain bounded strings, and the one value that becomes part of a path
(``slug``) must be a bare slug.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from podpipe.domain import Episode, Role
from podpipe.errors import InvalidInputError

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
WebLink = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://[^\s<>\"]+$")]
SIDECAR_SUFFIXES = (".yaml", ".yml")


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText
    organisation: ShortText | None = None
    role: ShortText | None = None  # their job, e.g. "oprichter"; host or guest is said by where they appear
    # For the feed's <podcast:person>: a page about them and their picture.
    href: WebLink | None = None
    img: WebLink | None = None


class Sidecar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: ShortText | None = None
    number: int | None = Field(default=None, ge=0, le=100_000)
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")] | None = None
    host: Person | None = None
    guests: list[Person] = Field(default_factory=list, max_length=20)
    notes: Annotated[str, StringConstraints(max_length=5000)] | None = None
    # How many voices, when the people listed are not all of them (a caller, a clip):
    # an exact count, or bounds for diarisation ("this show has 2-5 people").
    num_speakers: int | None = Field(default=None, ge=1, le=50)
    min_speakers: int | None = Field(default=None, ge=1, le=50)
    max_speakers: int | None = Field(default=None, ge=1, le=50)

    @model_validator(mode="after")
    def _bounds_in_order(self) -> Sidecar:
        if self.min_speakers and self.max_speakers and self.min_speakers > self.max_speakers:
            raise ValueError("min_speakers is above max_speakers")
        return self

    @property
    def speaker_count(self) -> int | None:
        """How many voices the episode has: ``num_speakers``, else host and guests when it lists guests."""
        if self.num_speakers:
            return self.num_speakers
        if not self.guests:
            return None
        return len(self.guests) + (1 if self.host else 0)

    def people(self) -> list[tuple[Person, Role]]:
        people = [(self.host, Role.HOST)] if self.host else []
        return people + [(guest, Role.GUEST) for guest in self.guests]


def with_sidecar(episode: Episode, sidecar: Sidecar | None) -> Episode:
    """The episode with what its sidecar says: title, number, slug; the whole sidecar as metadata."""
    if sidecar is not None:
        episode.title, episode.number = sidecar.title, sidecar.number
        episode.slug = sidecar.slug or episode.slug
        episode.metadata = sidecar.model_dump(mode="json", exclude_none=True)
    return episode


def speaker_count(episode: Episode) -> int | None:
    """How many voices the episode's sidecar says it has (host and guests), if it says."""
    return Sidecar.model_validate(episode.metadata).speaker_count if episode.metadata else None


def diarization_bounds(episode: Episode) -> tuple[int | None, int | None, int | None]:
    """(num_speakers, min_speakers, max_speakers) for diarisation from the episode's sidecar.

    A count is given only where the producer says ``num_speakers``; a guest list is an upper bound
    (``max_speakers`` wins), since a listed guest may not say a word. None where it says nothing.
    """
    if not episode.metadata:
        return None, None, None
    sidecar = Sidecar.model_validate(episode.metadata)
    return sidecar.num_speakers, sidecar.min_speakers, sidecar.max_speakers or sidecar.speaker_count


def sidecar_path(audio: Path) -> Path | None:
    for suffix in SIDECAR_SUFFIXES:
        candidate = audio.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(audio: Path) -> Sidecar | None:
    """The audio's sidecar, validated; None when there is none. Errors name the sidecar file."""
    path = sidecar_path(audio)
    if path is None:
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise InvalidInputError(path, f"sidecar is not readable YAML ({error})") from error
    if not isinstance(data, dict):
        raise InvalidInputError(path, "sidecar must be a mapping of keys to values")
    try:
        return Sidecar.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'sidecar'}: {e['msg']}" for e in error.errors()
        )
        raise InvalidInputError(path, f"invalid sidecar: {problems}") from error
