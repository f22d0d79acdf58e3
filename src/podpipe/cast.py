"""The episode's cast, built once from the config and the sidecar (see :class:`podpipe.domain.Cast`).

Transcription (what Whisper is told), name correction, the NLP's EntityRuler and naming all read
this one object instead of each parsing ``episode.metadata`` and the settings in its own way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from podpipe.config import Settings
from podpipe.domain import Cast, CastMember, Episode, Role


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _person(value: Any, role: Role | None) -> CastMember | None:
    """A sidecar person ({name, organisation, role}) or a bare name."""
    if isinstance(value, str):
        return CastMember(name=value.strip(), role=role) if value.strip() else None
    if isinstance(value, Mapping) and _text(value.get("name")):
        return CastMember(
            name=_text(value.get("name")) or "",
            role=role,
            organisation=_text(value.get("organisation")) or _text(value.get("organization")),
            job=_text(value.get("role")),
            href=_text(value.get("href")),
            img=_text(value.get("img")),
        )
    return None


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value] if value else []


def _unique(items: Iterable[Any]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, str) and item.strip():
            seen.setdefault(item.strip().casefold(), item.strip())
    return tuple(seen.values())


def build_cast(settings: Settings | None, metadata: Mapping[str, Any] | None = None) -> Cast:
    """The cast from the settings (host, show people, organisations, vocabulary) and a sidecar dump.

    The sidecar's host wins over the config's (a stand-in presenter); the config's organisation fills
    in what the sidecar leaves out when both name the same person.
    """
    metadata = metadata or {}
    # No settings: a cast from the sidecar alone (the review app's checks, hand-made transcripts).
    naming, nlp, show = (settings.naming, settings.nlp, settings.show) if settings is not None else (None, None, None)
    config_host = None
    host_name = _text(naming.host_name) if naming is not None else None
    if naming is not None and host_name:
        config_host = CastMember(name=host_name, role=Role.HOST, organisation=_text(naming.host_organisation))
    hosts = [h for h in (_person(item, Role.HOST) for item in _items(metadata.get("host"))
                         + _items(metadata.get("hosts"))) if h is not None]
    host = hosts[0] if hosts else config_host
    if host is not None and config_host is not None and host.name.casefold() == config_host.name.casefold():
        host = replace(host, organisation=host.organisation or config_host.organisation)
    raw_guests = _items(metadata.get("guests")) + _items(metadata.get("guest"))
    guests = tuple(g for g in (_person(item, Role.GUEST) for item in raw_guests) if g is not None)
    in_episode = {m.name.casefold() for m in ((host,) if host else ()) + guests}
    listed = [p for p in (_person(item, None) for item in _items(metadata.get("people"))) if p is not None]
    listed += [CastMember(h.name, None, h.organisation, h.job) for h in hosts[1:]]  # co-hosts
    listed += [CastMember(name) for name in (nlp.people if nlp is not None else [])]
    people: dict[str, CastMember] = {}
    for person in listed:
        if person.name.casefold() not in in_episode:
            people.setdefault(person.name.casefold(), person)
    organisations = _unique(
        [m.organisation for m in ((host,) if host else ()) + guests + tuple(people.values())]
        + list(nlp.organisations if nlp is not None else [])
        + list(metadata.get("organisations") or [])
    )
    members = ((host,) if host else ()) + guests + tuple(people.values())
    named = {t.casefold() for t in [m.name for m in members] + list(organisations)}
    vocabulary = tuple(t for t in _unique(show.vocabulary if show is not None else []) if t.casefold() not in named)
    return Cast(
        host=host,
        guests=guests,
        people=tuple(people.values()),
        organisations=organisations,
        vocabulary=vocabulary,
        closed=bool(guests),
    )


def cast_of(episode: Episode, settings: Settings) -> Cast:
    """The episode's cast: its sidecar (``episode.metadata``) with the settings."""
    return build_cast(settings, episode.metadata)


__all__ = ["build_cast", "cast_of"]
