"""The episode's cast: built once when the episode is described, carried on it, never written to JSON."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from podpipe.cast import build_cast, cast_of, describe, described, own_cast, sidecar_cast
from podpipe.config import Naming, Nlp, Settings, Show
from podpipe.domain import Episode, Role, Segment, Transcript
from podpipe.io import TRANSCRIPT

SIDECAR = {
    "host": {"name": "Walter Schroven"},
    "guests": [{"name": "Katleen Peeters", "organisation": "Kempenlog", "role": "HR-directeur"}],
}


def _settings() -> Settings:
    return Settings.model_construct(
        naming=Naming(host_name="Walter Schroven", host_organisation="VOV"),
        nlp=Nlp(people=["Ellen Verhaegen"], organisations=["Spiegelpunt"]),
        show=Show(vocabulary=["microleren"]),
    )


def _episode(metadata: dict[str, object] | None = None) -> Episode:
    return Episode(id="c" * 64, slug="ep", source=Path("ep.mp3"), duration=10.0, metadata=dict(metadata or {}))


def _transcript(episode: Episode) -> Transcript:
    return Transcript(episode=episode, segments=[Segment(0.0, 1.0, "Dag allemaal.", speaker="SPEAKER_00")],
                      language="nl")


def test_describe_builds_the_cast_once_and_stages_read_it() -> None:
    settings = _settings()
    episode = describe(_episode(SIDECAR), settings)
    assert episode.cast == build_cast(settings, SIDECAR)
    assert cast_of(episode) is episode.cast  # read, not rebuilt
    assert episode.cast is not None and episode.cast.host is not None
    assert episode.cast.host.organisation == "VOV"  # the config fills in what the sidecar leaves out
    assert [m.name for m in episode.cast.people] == ["Ellen Verhaegen"]


def test_the_sidecar_cast_stays_beside_the_config() -> None:
    """The check box and the analysis read the episode's own cast: the sidecar's people as it spells them."""
    episode = describe(_episode(SIDECAR), _settings())
    own = own_cast(episode)
    assert own == sidecar_cast(SIDECAR)
    assert own.host is not None and own.host.organisation is None
    assert own.organisations == ("Kempenlog",)


def test_an_episode_nobody_described_has_no_cast_to_read() -> None:
    """No cast is built behind the maker's back: the episode is described where it is made or read back."""
    with pytest.raises(ValueError, match="never described"):
        cast_of(_episode(SIDECAR))
    with pytest.raises(ValueError, match="never described"):
        own_cast(_episode(SIDECAR))


def test_without_a_sidecar_host_the_config_hosts_but_not_in_the_own_cast() -> None:
    episode = describe(_episode({"guests": SIDECAR["guests"]}), _settings())
    assert episode.cast is not None and episode.cast.host is not None
    assert episode.cast.host.role == Role.HOST and episode.cast.host.name == "Walter Schroven"
    assert episode.cast.own.host is None


def test_the_cast_is_never_written_and_is_built_again_when_read_back() -> None:
    settings = _settings()
    transcript = _transcript(describe(_episode(SIDECAR), settings))
    data = TRANSCRIPT.to_dict(transcript)
    assert "cast" not in data["episode"]
    read = TRANSCRIPT.from_dict(data)
    assert read.episode.cast is None
    assert read.episode == replace(transcript.episode, cast=None)
    again = described(read, settings)
    assert again.episode.cast == transcript.episode.cast
    assert described(again, settings) is again  # already described: left as it is
