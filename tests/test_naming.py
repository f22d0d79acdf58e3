"""Naming the speakers: voiceprints, sidecar guests, self-introductions, the conversation, fallbacks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from podpipe.cast import describe, described
from podpipe.config import Settings
from podpipe.domain import Analysis, Diarization, Episode, Mention, ModelInfo, Role, Segment, SpeakerTurn, Transcript
from podpipe.exports.diarization import centroids_json, read_centroids
from podpipe.stages.naming import (
    Naming,
    VoiceprintStore,
    cosine,
    enrol_configured_host,
    enrol_voiceprint,
    name_speakers,
    naming_report,
    speaker_label,
    unconfirmed_speakers,
)
from podpipe.stages.notes.render import editor_notes
from tests import shownotes_fixtures as fx

SIDECAR = {
    "host": {"name": "Walter Schroven", "organisation": "VOV"},
    "guests": [
        {"name": "Ellen Verhaegen", "organisation": "Leerkorrel", "role": "oprichter"},
        {"name": "Bram Goossens", "organisation": "Kompaswerk"},
    ],
}


def settings_with(tmp_path: Path, **naming) -> Settings:
    """podpipe's typed settings at their packaged defaults, with these naming settings."""
    return Settings.model_construct(naming=Naming(voiceprints_dir=tmp_path / "voiceprints", **naming))


def name_with(transcript: Transcript, analysis: Analysis | None, settings: Settings, **options) -> Transcript:
    """``name_speakers`` on the transcript described with these settings (its cast built from them once)."""
    return name_speakers(described(transcript, settings), analysis, settings.naming_config(), **options)


def _vectors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {label: rng.normal(size=192) for label in ("SPEAKER_00", "SPEAKER_01", "SPEAKER_02")}


def names(transcript) -> dict[str, str | None]:
    return {s.id: s.name for s in transcript.speakers}


def test_voiceprint_store_round_trip_and_average(tmp_path: Path) -> None:
    store = VoiceprintStore(tmp_path)
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    store.add("Walter Schroven", a, model="cam++")
    merged = store.add("Walter Schroven", b, model="cam++")
    assert merged.count == 2
    assert cosine(merged.vector, [1, 1, 0]) == pytest.approx(1.0)
    assert store.path("Walter Schroven").name == "walter-schroven.json"
    assert [p.name for p in store.all()] == ["Walter Schroven"]


def test_host_by_voice_above_threshold(tmp_path: Path) -> None:
    settings = settings_with(
        tmp_path, host_name="Walter Schroven", host_organisation="VOV", voiceprint_threshold=0.6
    )
    vectors = _vectors()
    host_voice = vectors["SPEAKER_00"] + 0.3 * np.random.default_rng(1).normal(size=192)  # another recording
    VoiceprintStore(tmp_path / "voiceprints").add("Walter Schroven", host_voice)
    named = name_with(fx.transcript(named=False), None, settings, voiceprints=vectors)
    host = named.speaker("SPEAKER_00")
    assert (host.name, host.organisation, host.role) == ("Walter Schroven", "VOV", Role.HOST)
    report = naming_report(named)
    assert report["SPEAKER_00"]["source"] == "voiceprint"
    assert report["SPEAKER_00"]["similarity"] > 0.6
    voice = next(m for m in named.models if m.stage == "naming").settings["voice"]
    assert set(voice["similarities"]) == {"SPEAKER_00", "SPEAKER_01", "SPEAKER_02"}
    assert voice["threshold"] == 0.6


def test_host_by_voice_below_threshold(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, host_name="Walter Schroven", voiceprint_threshold=0.6)
    vectors = _vectors()
    VoiceprintStore(tmp_path / "voiceprints").add(
        "Walter Schroven", np.random.default_rng(99).normal(size=192)
    )
    # the voice matches nobody: no speaker is named by voice (the host falls back to "first speaker")
    transcript = fx.transcript(named=False)
    named = name_with(transcript, None, settings, voiceprints=vectors)
    report = naming_report(named)
    assert all(entry["source"] != "voiceprint" for entry in report.values())
    assert all(
        abs(s) < 0.6
        for s in next(m for m in named.models if m.stage == "naming")
        .settings["voice"]["similarities"]
        .values()
    )


def test_sidecar_guests_matched_by_who_answers(tmp_path: Path) -> None:
    # "Bram, hoe meet ge ...?" is answered by SPEAKER_02; Ellen is the one guest left for SPEAKER_01.
    transcript = fx.transcript(named=False, metadata=SIDECAR)
    named = name_with(transcript, None, settings_with(tmp_path))
    assert names(named) == {
        "SPEAKER_00": "Walter Schroven",
        "SPEAKER_01": "Ellen Verhaegen",
        "SPEAKER_02": "Bram Goossens",
    }
    assert named.speaker("SPEAKER_02").organisation == "Kompaswerk"
    assert named.speaker("SPEAKER_00").role == Role.HOST
    report = naming_report(named)
    assert report["SPEAKER_00"]["source"] == "first-speaker"
    assert report["SPEAKER_02"]["source"] == "conversation"
    assert report["SPEAKER_01"]["source"] == "sidecar"
    assert any("Ellen Verhaegen" in line for line in editor_notes(named))  # inferred names are flagged


def test_self_introductions_and_host_introductions(tmp_path: Path) -> None:
    people = [
        Mention(
            "Walter Schroven",
            "PER",
            speaker="SPEAKER_00",
            start=1.0,
            source="self-introduction",
            organisation="VOV",
        ),
        Mention(
            "Ellen Verhaegen",
            "PER",
            speaker="SPEAKER_01",
            start=13.0,
            source="self-introduction",
            organisation="Leerkorrel",
        ),
        Mention(
            "Bram Goossens",
            "PER",
            speaker="SPEAKER_00",
            start=31.0,
            source="introduction",
            organisation="Kompaswerk",
        ),
    ]
    named = name_with(fx.transcript(named=False), fx.analysis(people), settings_with(tmp_path))
    assert names(named)["SPEAKER_00"] == "Walter Schroven"
    assert named.speaker("SPEAKER_01").organisation == "Leerkorrel"
    assert named.speaker("SPEAKER_02").name == "Bram Goossens"  # named by the host, answers to "Bram, ..."
    assert named.speaker("SPEAKER_02").organisation == "Kompaswerk"
    report = naming_report(named)
    assert report["SPEAKER_01"]["source"] == "self-introduction"
    assert report["SPEAKER_02"]["source"] == "conversation"
    assert unconfirmed_speakers(named) == []


def test_a_listed_guest_without_a_voice_is_flagged_for_the_editor(tmp_path: Path) -> None:
    """Two voices heard as one (diarisation's undercount) leave a sidecar guest without a voice:
    the draft's check box says so, once, and not when every listed person has a voice."""
    transcript = fx.transcript(named=False, metadata=SIDECAR)
    assert not [line for line in editor_notes(name_with(transcript, None, settings_with(tmp_path)))
                if "geen stem" in line]
    merged = replace(
        transcript,
        segments=[replace(s, speaker="SPEAKER_01") if s.speaker == "SPEAKER_02" else s for s in transcript.segments],
        speakers=[s for s in transcript.speakers if s.id != "SPEAKER_02"],
    )
    named = name_with(merged, None, settings_with(tmp_path))
    voiceless = {"Ellen Verhaegen", "Bram Goossens"} - set(names(named).values())
    lines = [line for line in editor_notes(named) if "geen stem" in line]
    assert len(voiceless) == 1 and len(lines) == 1
    assert lines[0].startswith(voiceless.pop()) and "(2 stemmen gehoord)" in lines[0]


def test_fallback_gast_n_marked_for_the_editor(tmp_path: Path) -> None:
    named = name_with(fx.transcript(named=False), None, settings_with(tmp_path, host_name="Walter Schroven"))
    assert names(named) == {"SPEAKER_00": "Walter Schroven", "SPEAKER_01": "Gast 1", "SPEAKER_02": "Gast 2"}
    assert [s.id for s in unconfirmed_speakers(named)] == ["SPEAKER_01", "SPEAKER_02"]
    assert any("Gast 1" in line for line in editor_notes(named))
    # a rerun with new evidence replaces the fallbacks, not the real names
    again = name_with(named, None, settings_with(tmp_path))
    assert names(again)["SPEAKER_01"] == "Gast 1"
    named.episode.metadata.update(SIDECAR)
    # a changed sidecar is described again: the cast is built from it once, when it is described
    named = replace(named, episode=describe(named.episode, settings_with(tmp_path)))
    better = name_with(named, None, settings_with(tmp_path))
    assert names(better)["SPEAKER_02"] == "Bram Goossens"


def test_fallback_without_any_host(tmp_path: Path) -> None:
    named = name_with(fx.transcript(named=False), None, settings_with(tmp_path))
    assert names(named) == {"SPEAKER_00": "Presentator", "SPEAKER_01": "Gast 1", "SPEAKER_02": "Gast 2"}
    assert named.speaker("SPEAKER_00").role == Role.HOST


def test_existing_names_are_kept(tmp_path: Path) -> None:
    transcript = fx.transcript(named=True)
    named = name_with(transcript, None, settings_with(tmp_path))
    assert names(named) == names(transcript)
    assert unconfirmed_speakers(named) == []


def test_speaker_label_uses_the_host_description(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, host_name="Walter Schroven", host_description="VOV-community manager")
    transcript = fx.transcript()
    assert (
        speaker_label(transcript.speaker("SPEAKER_00"), settings.naming) == "Walter Schroven (VOV-community manager)"
    )
    assert speaker_label(transcript.speaker("SPEAKER_01"), settings.naming) == "Ellen Verhaegen (Leerkorrel)"


def test_enrol_from_a_reference_clip_with_fake_diarization(tmp_path: Path) -> None:
    settings = settings_with(tmp_path)

    def diarize(path, _config):
        assert path == tmp_path / "walter.wav"
        turns = [SpeakerTurn(0, 50, "SPEAKER_00"), SpeakerTurn(50, 52, "SPEAKER_01")]
        return Diarization(turns=turns, exclusive=turns, model=ModelInfo("diarize", "cam++", "1"),
                           centroids={"SPEAKER_00": [1.0, 0.0], "SPEAKER_01": [0.0, 1.0]})

    print_ = enrol_voiceprint("Walter Schroven", tmp_path / "walter.wav", settings.enrol_config(), diarize=diarize)
    assert print_.vector.tolist() == [1.0, 0.0] and print_.model == "cam++"
    assert VoiceprintStore(tmp_path / "voiceprints").get("Walter Schroven") is not None


def test_the_configured_host_is_enrolled_once_from_the_reference_clip(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, host_name="Walter Schroven", host_reference_clip=tmp_path / "walter.wav")
    calls = []

    def diarize(path, config):
        calls.append((path, config))
        turns = [SpeakerTurn(0, 50, "SPEAKER_00")]
        return Diarization(turns=turns, exclusive=turns, model=ModelInfo("diarize", "cam++", "1"),
                           centroids={"SPEAKER_00": [1.0, 0.0]})

    assert enrol_configured_host(settings.enrol_config(), diarize=diarize) is not None
    assert enrol_configured_host(settings.enrol_config(), diarize=diarize) is None  # in the store now
    assert calls == [(tmp_path / "walter.wav", settings.diarize_config())]


def test_centroids_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "speakers.centroids.json"
    path.write_text(centroids_json({"SPEAKER_00": np.array([0.5, 0.25])}))
    assert read_centroids(path) == {"SPEAKER_00": [0.5, 0.25]}
    assert read_centroids(tmp_path / "missing.json") == {}


def test_opener_introducing_a_misheard_name_is_the_configured_host(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, host_name="Walter Schroven", host_organisation="VOV")
    heard = [Mention(text="Moutor", label="PER", speaker="SPEAKER_00", start=1.0, source="self-introduction")]
    named = name_with(fx.transcript(named=False, metadata=SIDECAR), fx.analysis(people=heard), settings)
    assert named.speaker("SPEAKER_00").name == "Walter Schroven"
    assert naming_report(named)["SPEAKER_00"]["source"] == "first-speaker"  # the host, decided before analysis
    assert "Moutor" not in names(named).values(), "the misheard name is given to nobody else"


def test_as_many_sidecar_guests_as_unnamed_speakers_are_assigned_for_checking(tmp_path: Path) -> None:
    # Speech recognition heard no name at all (as with robotic test voices): the sidecar still names
    # everyone (guests in the sidecar's order when the text names nobody), and the draft asks the
    # editor to check.
    settings = settings_with(tmp_path, host_name="Walter Schroven", host_organisation="VOV")
    lines = [("SPEAKER_00", "Welkom allemaal bij de podcast."), ("SPEAKER_01", "Dank je."),
             ("SPEAKER_02", "Fijn om hier te zijn."), ("SPEAKER_00", "Laten we beginnen.")]
    transcript = Transcript(
        episode=Episode(id="e" * 64, slug="ep", source=Path("ep.mp3"), duration=20.0, metadata=SIDECAR),
        segments=[Segment(start=5.0 * i, end=5.0 * i + 4, text=text, speaker=label)
                  for i, (label, text) in enumerate(lines)],
        language="nl",
    )
    named = name_with(transcript, None, settings)
    assert names(named) == {"SPEAKER_00": "Walter Schroven", "SPEAKER_01": "Ellen Verhaegen",
                            "SPEAKER_02": "Bram Goossens"}
    report = naming_report(named)
    assert report["SPEAKER_01"]["source"] == report["SPEAKER_02"]["source"] == "sidecar"
    assert report["SPEAKER_01"]["confidence"] < 0.5 and report["SPEAKER_01"]["evidence"] == []
    assert "controleer" in "\n".join(editor_notes(named))


THREE_GUESTS = {
    "host": {"name": "Walter Schroven", "organisation": "VOV"},
    "guests": [
        {"name": "Stefanie Claes", "organisation": "Learning Lab Vlaanderen"},
        {"name": "Ellen Verhaegen", "organisation": "Leerkorrel"},
        {"name": "Bram Goossens", "organisation": "Kompaswerk"},
    ],
}


def _four_speakers(metadata: dict) -> Transcript:
    lines = [("SPEAKER_00", "Welkom bij de podcast. Ik heb drie gasten."),
             ("SPEAKER_01", "Dag iedereen."),
             ("SPEAKER_02", "Hallo."),
             ("SPEAKER_03", "Goeiemorgen."),
             ("SPEAKER_00", "Laten we beginnen.")]
    return Transcript(
        episode=Episode(id="f" * 64, slug="ep4", source=Path("ep4.mp3"), duration=30.0, metadata=metadata),
        segments=[Segment(start=5.0 * i, end=5.0 * i + 4, text=text, speaker=label)
                  for i, (label, text) in enumerate(lines)],
        language="nl",
    )


def test_a_misheard_self_introduction_names_the_sidecar_guest(tmp_path: Path) -> None:
    # The case: "Stephanie Klaas" (ph for f, one letter wrong) is Stefanie Claes of the sidecar,
    # not a new person; with the two others introducing themselves, everyone is named.
    heard = [Mention("Stephanie Klaas", "PER", speaker="SPEAKER_01", start=5.0, source="self-introduction"),
             Mention("Ellen Verhagen", "PER", speaker="SPEAKER_02", start=10.0, source="self-introduction"),
             Mention("Bram", "PER", speaker="SPEAKER_03", start=15.0, source="self-introduction")]
    settings = settings_with(tmp_path, host_name="Walter Schroven")
    named = name_with(_four_speakers(THREE_GUESTS), fx.analysis(people=heard), settings)
    assert names(named) == {"SPEAKER_00": "Walter Schroven", "SPEAKER_01": "Stefanie Claes",
                            "SPEAKER_02": "Ellen Verhaegen", "SPEAKER_03": "Bram Goossens"}
    assert named.speaker("SPEAKER_01").organisation == "Learning Lab Vlaanderen"
    report = naming_report(named)
    assert report["SPEAKER_01"]["source"] == "self-introduction"
    assert report["SPEAKER_01"]["heard_as"] == "Stephanie Klaas" and report["SPEAKER_01"]["confidence"] > 0.5


def test_a_returning_guest_is_recognised_by_voice(tmp_path: Path) -> None:
    vectors = {label: np.random.default_rng(i).normal(size=64) for i, label in
               enumerate(["SPEAKER_00", "SPEAKER_01", "SPEAKER_02", "SPEAKER_03"])}
    store = VoiceprintStore(tmp_path / "voiceprints")
    store.add("Bram Goossens", vectors["SPEAKER_01"] + 0.2 * np.random.default_rng(9).normal(size=64))
    settings = settings_with(tmp_path, host_name="Walter Schroven", voiceprint_threshold=0.6)
    named = name_with(_four_speakers(THREE_GUESTS), None, settings, voiceprints=vectors)
    assert named.speaker("SPEAKER_01").name == "Bram Goossens"
    assert naming_report(named)["SPEAKER_01"]["source"] == "voiceprint"
    # nothing says which of the other two guests is who: the sidecar's, to be checked
    others = ("SPEAKER_02", "SPEAKER_03")
    assert {named.speaker(label).name for label in others} == {"Ellen Verhaegen", "Stefanie Claes"}
    assert all(naming_report(named)[label]["confidence"] < 0.5 for label in others)
    assert sum("controleer" in line for line in editor_notes(named)) >= 2


def test_the_host_is_decided_once_before_analysis(tmp_path: Path) -> None:
    from podpipe.stages.naming import decide_host, host_decision

    settings = settings_with(tmp_path, host_name="Walter Schroven", host_organisation="VOV")
    decided = decide_host(described(fx.transcript(named=False), settings), settings.naming_config())
    assert host_decision(decided)["speaker"] == "SPEAKER_00"
    assert decided.speaker("SPEAKER_00").role == Role.HOST  # what the analysis reads
    # naming keeps that decision even when the analysis says something else about the opener
    heard = [Mention("Bram Goossens", "PER", speaker="SPEAKER_00", start=1.0, source="self-introduction")]
    named = name_with(decided, fx.analysis(people=heard), settings)
    assert named.speaker("SPEAKER_00").name == "Walter Schroven"


def test_misheard_self_introduction_of_the_host_is_spelt_right(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, host_name="Walter Schroven")
    transcript = fx.transcript(named=False, metadata=SIDECAR)
    transcript.segments[0].text = "Welkom bij de VOV-podcast. Ik ben Moutor, de host."
    heard = [Mention("Moutor", "PER", speaker="SPEAKER_00", start=0.0, source="self-introduction")]
    named = name_with(transcript, fx.analysis(people=heard), settings)
    assert named.segments[0].text == "Welkom bij de VOV-podcast. Ik ben Walter, de host."
    assert [(c.heard, c.canonical, c.method) for c in named.corrections] == [("Moutor", "Walter", "introduction")]
    assert any("Moutor" in line for line in editor_notes(named))


def test_placeholder_names() -> None:
    from podpipe.stages.naming import is_placeholder_name

    assert is_placeholder_name("Gast 12") and is_placeholder_name("Presentator") and is_placeholder_name(None)
    assert not is_placeholder_name("Gastón Pérez")


def test_the_host_decision_reads_back_typed(tmp_path: Path) -> None:
    """The host decision is recorded as the ModelInfo of stage "host" and read back as a HostDecision:
    the speaker, how they were taken for the host, and the voices compared."""
    from podpipe.stages.naming import decide_host, decided_host

    settings = settings_with(tmp_path, host_name="Walter Schroven", host_organisation="VOV")
    vectors = _vectors()
    VoiceprintStore(tmp_path / "voiceprints").add("Walter Schroven", vectors["SPEAKER_00"])
    host = decided_host(decide_host(described(fx.transcript(named=False), settings), settings.naming_config(),
                                    voiceprints=vectors))
    assert host is not None and host.speaker == "SPEAKER_00"
    assert host.naming.source == "voiceprint" and host.naming.similarity is not None
    assert host.voice is not None and host.voice["voiceprint"] == "Walter Schroven"
    assert "speaker" not in host.report_entry() and "voice" not in host.report_entry()
    assert decided_host(fx.transcript(named=False)) is None, "before the decision there is none"
