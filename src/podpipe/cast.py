"""The episode's cast, built once from the config and the sidecar (see :class:`podpipe.domain.Cast`).

:func:`describe` puts it on the episode when the episode is described (the flow's describe task,
``podpipe notes`` once it has read its transcript); transcription (what Whisper is told), name
correction, the NLP's EntityRuler, naming, the check box and the feed all read ``episode.cast``
through :func:`cast_of`, instead of each parsing ``episode.metadata`` and the settings in its own way.
The cast is never written to JSON: an episode read back (the review app, ``podpipe notes`` on a
transcript.json) is described again, with the settings of that run, where it is read; an episode
nobody described has no cast, and reading it is an error rather than a cast built behind its back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from podpipe.config import Naming, Nlp, Settings, Show
from podpipe.domain import Cast, CastMember, Episode, Role, Transcript


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


def build_cast(settings: Settings, metadata: Mapping[str, Any] | None = None) -> Cast:
    """The cast from the settings (host, show people, organisations, vocabulary) and a sidecar dump.

    The sidecar's host wins over the config's (a stand-in presenter); the config's organisation fills
    in what the sidecar leaves out when both name the same person. The cast keeps the sidecar's alone
    beside it (``Cast.sidecar``, read as ``cast.own``).
    """
    metadata = metadata or {}
    return replace(_built(metadata, settings.naming, settings.nlp, settings.show), sidecar=sidecar_cast(metadata))


def sidecar_cast(metadata: Mapping[str, Any]) -> Cast:
    """The cast of a sidecar alone, the config apart (what ``cast.own`` holds)."""
    return _built(metadata, None, None, None)


def _built(metadata: Mapping[str, Any], naming: Naming | None, nlp: Nlp | None, show: Show | None) -> Cast:
    # No sections: the sidecar alone (:func:`sidecar_cast`, the own part of every cast).
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


def describe(episode: Episode, settings: Settings) -> Episode:
    """The episode with its cast: its sidecar (``episode.metadata``) with the settings, built once here."""
    return replace(episode, cast=build_cast(settings, episode.metadata))


def described(transcript: Transcript, settings: Settings) -> Transcript:
    """The transcript with its episode described, unless it is already (one read back from JSON is not)."""
    if transcript.episode.cast is not None:
        return transcript
    return replace(transcript, episode=describe(transcript.episode, settings))


def cast_of(episode: Episode) -> Cast:
    """The cast the episode was described with (``episode.cast``). An episode nobody described is a
    mistake of its maker (the cast depends on the settings of the run): it is described where it is
    made or read back (the flow's describe task, ``podpipe notes``, the review app), never here."""
    if episode.cast is None:
        raise ValueError(f"episode {episode.slug!r} was never described (podpipe.cast.describe): it has no cast")
    return episode.cast


def own_cast(episode: Episode) -> Cast:
    """The episode's own cast, the config apart (``episode.cast.own``: the sidecar's people as it spells
    them), for readers without settings: the check box's "nobody spoke" lines, the analysis's names."""
    return cast_of(episode).own


__all__ = ["build_cast", "cast_of", "describe", "described", "own_cast", "sidecar_cast"]
