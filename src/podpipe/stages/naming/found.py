"""The cast grown from the conversation: people and organisations the episode itself names.

Without a sidecar the cast is the config's host and the show's people; the host then says "ik ben
Walter Schroven, community manager bij VOV" and introduces each guest ("Katleen Peeters is
HR-directeur bij Kempenlog"). Those findings (:func:`podpipe.stages.analyse.entities.conversation_people`)
join the cast, so that the assignment can name the speakers after them and the correction and the
hints spell a name heard once in the introduction the same way later.

A found name that reads or sounds like a member's (the sidecar's "Katleen Peeters" heard as
"Katlien Peters") is that member, misheard, and adds nothing: the member's spelling stays the one
the correction writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from podpipe.cast import cast_of
from podpipe.domain import Cast, CastMember, Mention, Role, Transcript
from podpipe.stages.analyse.entities import conversation_people, vocative_people
from podpipe.stages.naming.correct import THRESHOLD, similarity
from podpipe.stages.naming.resolve import best_member


@dataclass(frozen=True, slots=True)
class GrownCast:
    cast: Cast  # who the speakers can be
    found: dict[str, Mention]  # a member's name -> the finding it was added for
    spelling: Cast | None = None  # what the name correction spells by, when not ``cast``

    @property
    def for_correction(self) -> Cast:
        """Names said as names (introductions), not names only addressed: "Jonaast," is how Whisper
        heard one address, no spelling to impose on every "Jonas"."""
        return self.spelling or self.cast


def host_speaker(transcript: Transcript) -> str | None:
    """The speaker with role host, else who opens the episode."""
    host = next((s.id for s in transcript.speakers if s.role == Role.HOST), None)
    if host is not None:
        return host
    return next((s.speaker for s in transcript.segments if s.speaker is not None), None)


def _known_organisation(organisation: str, organisations: Sequence[str]) -> bool:
    return any(similarity(organisation, known)[0] >= THRESHOLD for known in organisations)


def grow_cast(cast: Cast, people: Sequence[Mention], host_label: str | None) -> GrownCast:
    """``cast`` with the people the conversation introduces who are not in it yet.

    A closed cast (the sidecar listed the guests) keeps its guests: who else is introduced is one of
    the show's people (a colleague named, a guest of another episode), spelt right but never a
    speaker, and a self-introduction that matches nobody is a member's name misheard (the naming
    spells it right, :func:`podpipe.stages.naming.correct_introduced_names`). In an open cast the
    host's self-introduction gives the host when the cast has none, and every other person introduced
    is a possible guest. Their organisations join the cast's."""
    host, guests, extra = cast.host, list(cast.guests), list(cast.people)
    organisations = list(cast.organisations)
    found: dict[str, Mention] = {}
    for mention in people:
        if mention.organisation and not _known_organisation(mention.organisation, organisations):
            organisations.append(mention.organisation)
        members = [*([host] if host else []), *guests, *extra]
        if best_member(mention.text, members)[0] is not None:
            continue
        if (host is not None and mention.source == "self-introduction" and mention.speaker is not None
                and mention.speaker == host_label):
            # the host's own name misheard ("ik ben nu wel Salteitmouderschroeven" on the espeak rendering
            # of ep15): no guest; the naming spells it as the host's name
            continue
        if (host is None and not cast.closed and mention.source == "self-introduction"
                and mention.speaker is not None and mention.speaker == host_label):
            host = CastMember(mention.text, Role.HOST, mention.organisation)
        elif not cast.closed:
            guests.append(CastMember(mention.text, Role.GUEST, mention.organisation))
        elif mention.source != "self-introduction":
            extra.append(CastMember(mention.text, None, mention.organisation))
        else:
            continue  # who speaks in a closed cast is in it: their own name unmatched is it misheard

        found[mention.text] = mention
    grown = replace(cast, host=host, guests=tuple(guests), people=tuple(extra), organisations=tuple(organisations))
    return GrownCast(grown, found)


def episode_cast(transcript: Transcript) -> GrownCast:
    """The episode's cast (config and sidecar, :func:`podpipe.cast.cast_of`) grown from its conversation.

    Introductions first; when an open cast then has fewer guests than there are voices beside the
    host, the names the host addresses before another voice answers ("Katrin, hoe ...?") as well."""
    host = host_speaker(transcript)
    cast = cast_of(transcript.episode)
    grown = grow_cast(cast, conversation_people(transcript), host)
    voices = {s.speaker for s in transcript.segments if s.speaker is not None} - {host}
    if cast.closed or len(grown.cast.guests) >= len(voices):
        return grown
    addressed = grow_cast(grown.cast, vocative_people(transcript, host), host)
    return GrownCast(addressed.cast, {**grown.found, **addressed.found}, spelling=grown.cast)


def found_entry(mention: Mention) -> dict[str, object]:
    """Where a found name came from, for the naming report and the check box."""
    return {"rule": mention.source, "said_by": mention.speaker, "start": mention.start, "heard": mention.text,
            **({"organisation": mention.organisation} if mention.organisation else {})}


__all__ = ["GrownCast", "episode_cast", "found_entry", "grow_cast", "host_speaker"]
