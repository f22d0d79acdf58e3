"""Names from the conversation, without a sidecar: the anonymous forms of the three shared episodes.

Each anonymous form is made here from the episode's ``.input.json`` (ep12 has only its labelled
``.json``): every speaker's ``name`` and ``organisation`` set to null, the role kept. The host's
self-introduction and the host's introductions of the guests must name all ten speakers with the
organisations said in the episode, with a check-box line saying where each name came from, and no
ordinary Dutch word may be "corrected" into a name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podpipe import pipeline
from podpipe.cast import described
from podpipe.config import Settings, load_settings
from podpipe.domain import Role, Transcript
from podpipe.models.nlp import MODEL_DIR, embedded_model_available
from podpipe.stages.analyse.entities import conversation_people
from podpipe.stages.analyse.loader import transcript_from_turns
from podpipe.stages.naming import name_speakers, naming_report
from podpipe.stages.naming.correct import frequent_words
from podpipe.stages.notes.checks import draft_checks, found_name_notes

EPISODES = ("vov-ep12-microleren", "vov-ep14-feedbackcultuur", "vov-ep15-duurzame-inzetbaarheid")


def _labelled(shared: Path, episode: str) -> dict[str, Any]:
    folder = shared / "transcripts"
    path = folder / f"{episode}.input.json"
    if not path.is_file():
        path = folder / f"{episode}.json"
    if not path.is_file():
        pytest.skip(f"{path} is missing from the shared data")
    return json.loads(path.read_text(encoding="utf-8"))


def anonymous(shared: Path, episode: str) -> tuple[Any, dict[str, tuple[str, str]]]:
    """(the anonymous transcript, speaker id -> (name, organisation) as the episode file has them)."""
    data = _labelled(shared, episode)
    truth = {s["id"]: (s["name"], s["organisation"]) for s in data["speakers"]}
    data = {**data, "speakers": [{**s, "name": None, "organisation": None} for s in data["speakers"]]}
    data = {key: value for key, value in data.items() if key not in ("themes", "quotes")}  # no labels
    return transcript_from_turns(data, source=f"{episode}.anonymous.json"), truth


def _settings(configured_host: bool) -> Settings:
    settings = load_settings()
    if configured_host:
        return settings
    naming = settings.naming.model_copy(update={"host_name": None, "host_organisation": None,
                                                "host_description": None})
    return settings.model_copy(update={"naming": naming})


@pytest.mark.parametrize("episode", EPISODES)
def test_the_conversation_introduces_everyone_with_their_organisation(shared: Path, episode: str) -> None:
    transcript, truth = anonymous(shared, episode)
    found = {m.text: m for m in conversation_people(transcript)}
    assert {name: found[name].organisation for name, _ in truth.values() if name in found} == dict(truth.values())
    host = next(s.id for s in transcript.speakers if s.role == Role.HOST)
    host_name = truth[host][0]
    assert found[host_name].source == "self-introduction" and found[host_name].speaker == host
    assert all(found[name].source == "introduction" and found[name].speaker == host
               for name, _ in truth.values() if name != host_name)


def _named(transcript: Transcript, settings: Settings) -> Transcript:
    """The naming path without the NLP stage: the episode described, names corrected and the host decided
    (``pipeline.prepare``), then the speakers named."""
    return name_speakers(pipeline.prepare(described(transcript, settings), settings), None, settings.naming_config())


@pytest.mark.parametrize("configured_host", [True, False], ids=["configured-host", "no-host-configured"])
def test_ten_of_ten_speakers_named_without_a_sidecar(shared: Path, configured_host: bool) -> None:
    """The naming path without the NLP stage (the analysis is optional): prepare, then name."""
    settings = _settings(configured_host)
    named_right = 0
    for episode in EPISODES:
        transcript, truth = anonymous(shared, episode)
        named = _named(transcript, settings)
        got = {s.id: (s.name, s.organisation) for s in named.speakers}
        assert got == truth, episode
        named_right += sum(got[label] == truth[label] for label in truth)
        report = naming_report(named)
        lines = found_name_notes(named)
        # Every name that came from the conversation says so; the configured host's name does not.
        from_conversation = [s for s in named.speakers if "found" in report[s.id]]
        assert len(lines) == len(from_conversation)
        assert len(from_conversation) == len(truth) - (1 if configured_host else 0)
        for speaker in from_conversation:
            line = next(line for line in lines if line.startswith(f"{speaker.name} ({speaker.id})"))
            assert "stelde zich voor" in line if speaker.role == Role.HOST else "werd voorgesteld door" in line
        assert not [c for c in named.corrections if c.method != "case"], named.corrections
    assert named_right == 10


def test_a_closed_cast_keeps_its_spelling_of_a_misheard_introduction(shared: Path) -> None:
    """With a sidecar, the introduction heard as "Katlien Peters" is the sidecar's Katleen Peeters."""
    transcript, _ = anonymous(shared, "vov-ep14-feedbackcultuur")
    from dataclasses import replace

    first = transcript.segments[0]
    misheard = replace(first, text=first.text.replace("Katleen Peeters", "Katlien Peters"))
    sidecar = {"host": {"name": "Walter Schroven", "organisation": "VOV"},
               "guests": [{"name": "Katleen Peeters", "organisation": "Kempenlog"},
                          {"name": "Jonas Wuyts", "organisation": "Spiegelpunt"}]}
    heard = replace(transcript, segments=[misheard, *transcript.segments[1:]],
                    episode=replace(transcript.episode, metadata={**transcript.episode.metadata, **sidecar}))
    settings = load_settings()
    prepared = pipeline.prepare(described(heard, settings), settings)
    assert "Katleen Peeters is HR-directeur" in prepared.segments[0].text
    named = name_speakers(prepared, None, settings.naming_config())
    assert {s.name for s in named.speakers} == {"Walter Schroven", "Katleen Peeters", "Jonas Wuyts"}
    assert found_name_notes(named) == []  # the sidecar named them


@pytest.mark.models
@pytest.mark.skipif(not embedded_model_available(), reason=f"podpipe's Dutch spaCy pipeline is not in {MODEL_DIR}")
def test_the_draft_of_an_anonymous_episode_names_host_and_guests(shared: Path) -> None:
    """The issue's example: ep14 without names wrote "Presentator ... Gast 1 en Gast 2"."""
    settings = _settings(configured_host=False)
    transcript, truth = anonymous(shared, "vov-ep14-feedbackcultuur")
    result = pipeline.draft(pipeline.prepare(described(transcript, settings), settings), settings)
    assert {s.id: (s.name, s.organisation) for s in result.transcript.speakers} == truth
    checks = draft_checks(result.transcript)
    assert sum("naam uit het gesprek" in line for line in checks) == 3
    assert not any("Gast 1" in line or "Presentator" in line for line in checks)
    words = frequent_words()
    assert not [c for c in result.transcript.corrections if set(c.heard.lower().split()) <= words]


# -- heard text (no shared data): what Whisper makes of names it does not know -------------------


def _heard(*turns: tuple[str, str]) -> Any:
    from podpipe.domain import Episode, Segment, Transcript

    segments = [Segment(start=10.0 * i, end=10.0 * i + 9, text=text, speaker=speaker)
                for i, (speaker, text) in enumerate(turns)]
    episode = Episode(id="e" * 64, slug="heard", source=Path("heard.mp3"), duration=10.0 * len(turns))
    return Transcript(episode=episode, segments=segments, language="nl")


HEARD = (
    ("A", "Hallo allemaal. Ik ben mouterschroven, community mager bij de podcast. Welkom, allebei."),
    ("B", "Merci voor de uitnodiging."),
    ("C", "Dank u."),
    ("A", "Ik wil beginnen met een vraag. Katrin, hoe zag dat eruit?"),
    ("B", "Heel klassiek, eigenlijk."),
    ("A", "Communicatie, dat is het begin. Jonaast, wat denkt gij?"),
    ("C", "Ja, ik zie dat ook zo."),
)


def test_a_name_whisper_wrote_as_one_lower_case_word_is_still_a_self_introduction() -> None:
    found = conversation_people(_heard(*HEARD))
    assert [(m.text, m.source, m.speaker) for m in found] == [("Mouterschroven", "self-introduction", "A")]
    # "ik ben blij, ..." is Dutch, no name
    assert conversation_people(_heard(("A", "Ik ben blij, echt waar."))) == []


def test_the_hosts_addresses_name_the_guests_when_no_introduction_did() -> None:
    from podpipe.stages.analyse.entities import vocative_people

    addressed = vocative_people(_heard(*HEARD), "A")
    # "Communicatie," opens a sentence too, but is a common word; "Welkom," is in no turn's end.
    assert [(m.text, m.source) for m in addressed] == [("Katrin", "vocative"), ("Jonaast", "vocative")]
    settings = _settings(configured_host=False)
    named = _named(_heard(*HEARD), settings)
    assert {s.id: s.name for s in named.speakers} == {"A": "Mouterschroven", "B": "Katrin", "C": "Jonaast"}
    lines = found_name_notes(named)
    assert lines[1] == ("Katrin (B): naam uit het gesprek, \u201cKatrin\u201d werd aangesproken door Mouterschroven "
                        "op 00:30: controleer naam en spelling.")


def test_a_common_first_name_addressed_is_a_name_where_whisper_writes_it_as_one() -> None:
    from podpipe.stages.analyse.entities import vocative_people

    # "Geert" is a common word in Dutch too (wordfreq 4.2): an address only where the transcript
    # capitalises it inside a sentence and never writes it in lower case
    turns = (("A", "Welkom allebei. Geert, hoe begon dat?"), ("B", "Heel klassiek."),
             ("C", "Maar eerlijk, Geert, dat was vroeger ook zo."), ("A", "Tijd, wat denkt gij?"), ("B", "Ja."))
    assert [m.text for m in vocative_people(_heard(*turns), "A")] == ["Geert"]
    lower = (*turns, ("C", "Ik zag de tijd vliegen."))
    assert [m.text for m in vocative_people(_heard(*lower), "A")] == ["Geert"]  # "Tijd" is no name either way
    unwritten = (("A", "Welkom allebei. Geert, hoe begon dat?"), ("B", "Heel klassiek."))
    assert vocative_people(_heard(*unwritten), "A") == []
    # addressed twice and answered by the same voice, the name is one, lower case elsewhere or not
    twice = (*unwritten, ("C", "Ja, geert, dat klopt."), ("A", "Geert, en nu?"), ("B", "Nu beter."))
    assert [m.text for m in vocative_people(_heard(*twice), "A")] == ["Geert"]
    other = (*unwritten, ("A", "Geert, en nu?"), ("C", "Nu beter."))  # answered by another voice
    assert vocative_people(_heard(*other), "A") == []


def test_addresses_are_not_read_when_the_introductions_named_everyone() -> None:
    turns = (("A", "Ik ben Walter Schroven. Naast mij zit Katleen Peeters van Kempenlog, en Jonas Wuyts van "
                   "Spiegelpunt. Katrin, begin jij?"), ("B", "Ja."), ("A", "Jonas?"), ("C", "Goed."))
    from podpipe.stages.naming.found import episode_cast

    grown = episode_cast(described(_heard(*turns), _settings(configured_host=False)))
    assert [m.name for m in grown.cast.members] == ["Walter Schroven", "Katleen Peeters", "Jonas Wuyts"]
    assert grown.cast.organisations == ("VOV", "Kempenlog", "Spiegelpunt")  # the config's, then the episode's


# Issue 21, audio without a sidecar: introductions as Whisper writes them (invented examples).

def test_an_introduction_heard_without_capitals_still_names_the_guest() -> None:
    turns = (("A", "Welkom bij de podcast. Vandaag drie gasten. Marijke Vloebergs is opleidings verantwoordelijke "
                   "bij de tuin bouw school. Pieter van heulen is directeur van Groenpunt Noord. En naast haar "
                   "zit doorzandenbos van het atelier."),
             ("B", "Dank u."))
    found = [(m.text, m.source, m.organisation) for m in conversation_people(_heard(*turns))]
    assert found == [("Marijke Vloebergs", "introduction", None), ("Pieter", "introduction", "Groenpunt Noord"),
                     ("Doorzandenbos", "introduction", None)]


def test_a_heard_introduction_counts_only_in_the_opening_minutes_and_never_for_a_common_word() -> None:
    late = _heard(*[("A", "Dat is goed.")] * 30, ("A", "Marijke Vloebergs is directeur bij de school."))
    assert conversation_people(late) == []  # 300 s in: a story about someone, no introduction
    assert conversation_people(_heard(("A", "Iedereen is welkom bij de vereniging."))) == []


def test_an_introduction_whose_preposition_whisper_lost_still_names_the_guest() -> None:
    # "bij" glued to the organisation ("betuinpunt" for "bij Tuinpunt"), a name glued into one word
    turns = (("A", "Welkom bij de podcast. Hanne Verlinden is opleidingscoördinator, betuinpunt, een kleine "
                   "school. Pietvandooren is docent, bij de teekschool. Welkom."),
             ("B", "Dank u."),
             ("B", "Werkbaarheidsplan is werk, dat we moeten doen."))
    found = [(m.text, m.source) for m in conversation_people(_heard(*turns))]
    # a guest's topic put first, or one the host does not open with, is no introduction
    assert found == [("Hanne Verlinden", "introduction"), ("Pietvandooren", "introduction")]
    assert conversation_people(_heard(("A", "Vandaag is een bijzondere dag, echt waar."))) == []


def test_the_speakers_own_job_after_ik_ben_is_no_other_person() -> None:
    turns = (("A", "Ik ben Walter Schroven, Comunity Manager, bij Leerhuis. Welkom."), ("B", "Dank u."))
    assert [m.text for m in conversation_people(_heard(*turns))] == ["Walter Schroven"]


def test_the_last_voice_left_is_the_last_guest_introduced() -> None:
    # Guest C answers first, so the order of mention points the wrong way and nothing else names C.
    turns = (("A", "Ik ben Walter Schroven van VOV. Marijke Vloebergs is directeur bij Tuinpunt. En naast haar "
                   "zit doorzandenbos. Welkom."),
             ("C", "Merci."), ("A", "Marijke, hoe begon het?"), ("B", "Met een vraag."), ("C", "Klopt."))
    settings = _settings(configured_host=True)
    named = _named(_heard(*turns), settings)
    names = {s.id: s.name for s in named.speakers}
    assert names == {"A": "Walter Schroven", "B": "Marijke Vloebergs", "C": "Doorzandenbos"}
    assert any(line.startswith("Doorzandenbos (C): naam uit het gesprek") for line in found_name_notes(named))


def test_a_self_introduction_heard_after_three_filler_words() -> None:
    found = conversation_people(_heard(("A", "Dit is aflevering negen en ik ben zoals altijd wel vandermoortel, "
                                              "de host.")))
    assert [(m.text, m.source) for m in found] == [("Vandermoortel", "self-introduction")]


def test_the_hosts_own_name_misheard_in_their_self_introduction_is_no_guest() -> None:
    # The configured host says "ik ben ... Walter Schroven", heard as one made-up word. Guest B is only
    # introduced (never addressed), so the order of mention decides B; the host's misheard name, said
    # first, must not be B's.
    turns = (("A", "Welkom. Ik ben nu wel Salteitmouderschroeven, van VOV. Marijke Vloebergs is directeur bij "
                   "Tuinpunt. Pieter Claes is directeur van Groenpunt."),
             ("B", "Dank u."), ("C", "Merci."), ("A", "Pieter, hoe begon het?"), ("C", "Met een vraag."),
             ("B", "Klopt."))
    named = _named(_heard(*turns), _settings(configured_host=True))
    assert {s.id: s.name for s in named.speakers} == {"A": "Walter Schroven", "B": "Marijke Vloebergs",
                                                      "C": "Pieter Claes"}


def test_a_topic_before_the_sentence_is_no_address() -> None:
    from podpipe.stages.analyse.entities import vocative_people

    # "Herscholing, Lieselot, ...": the topic (an abstract noun, here as Whisper might mishear it) opens
    # the host's question; only the name is an address.
    turns = (("A", "Welkom allebei. Herschulling, dat is het thema."), ("B", "Ja."),
             ("A", "Herschulling, hoe zie jij dat? Lieselot, wat denkt gij?"), ("B", "Goed."))
    assert [m.text for m in vocative_people(_heard(*turns), "A")] == ["Lieselot"]


def test_guests_brought_in_by_other_cues_and_surnames_with_particles_of_other_languages() -> None:
    turns = (("A", "Welkom bij de Leespodcast. Mijn eerste gast is Hanne Verlinden. Tegenover mij zit Joris Daems. "
                   "En mijn derde gaste heet Samira Ait Lahcen."),
             ("B", "Dank je."))
    assert [m.text for m in conversation_people(_heard(*turns))] == ["Hanne Verlinden", "Joris Daems",
                                                                     "Samira Ait Lahcen"]


def test_a_guest_who_introduces_themselves_says_where_they_work_later_in_the_turn() -> None:
    turns = (("A", "Welkom. Vertel jij maar wie je bent."),
             ("B", "Ik ben Lotte Maes. Ik heb tien jaar in een bibliotheek gewerkt, en nu ben ik leesconsulent "
                   "bij Leespunt Limburg. Dat doe ik graag."))
    found = [(m.text, m.source, m.organisation) for m in conversation_people(_heard(*turns))]
    assert found == [("Lotte Maes", "self-introduction", "Leespunt Limburg")]


def test_an_institution_named_after_in_het_is_the_organisation_and_a_region_is_not() -> None:
    turns = (("A", "Welkom. Saar Wouters is praktijkopleider in het Sint-Jan Ziekenhuis. Bert Hoste is coach in "
                   "de Westhoek Regio, en hij is er ook."),
             ("B", "Dank je."))
    found = {m.text: m.organisation for m in conversation_people(_heard(*turns))}
    assert found.get("Saar Wouters") == "Sint-Jan Ziekenhuis"
    assert "Westhoek Regio" not in found.values()
    # as Whisper heard it: a name with an 's, the institution glued into one lower-case word
    heard = (("A", "Welkom. Saar's Wouters is praktek opleider in het sintjansiekenhuis. Welkom."), ("B", "Dank je."))
    assert [m.text for m in conversation_people(_heard(*heard))] == ["Saar's Wouters"]


def test_a_self_introduction_counts_only_when_the_speaker_first_speaks() -> None:
    # "ik ben jaloers", heard "Ik ben Jalors.", deep in the conversation: a feeling, no name
    turns = (("A", "Welkom bij de podcast."), ("B", "Dank u."), ("A", "Hoe begon het?"), ("B", "Met een vraag."),
             ("A", "En toen?"), ("B", "Ik ben Jalors. Bij ons lukt dat nooit."))
    assert conversation_people(_heard(*turns)) == []
    # on first speaking, after a short reply, it is one
    first = (("A", "Welkom bij de podcast."), ("B", "Dank u."), ("A", "Stel u even voor."),
             ("B", "Ik ben Marijke Vloebergs, ik werk bij Tuinpunt."))
    assert [(m.text, m.speaker) for m in conversation_people(_heard(*first))] == [("Marijke Vloebergs", "B")]


def test_a_name_said_last_in_the_hosts_question_is_an_address() -> None:
    from podpipe.stages.analyse.entities import vocative_people

    turns = (("A", "Welkom allebei."), ("B", "Dank u."),
             ("A", "Moet ge dan ook betalen voor wat iemand kan, Jorrit?"), ("C", "Nee, liever niet."))
    assert [(m.text, m.source) for m in vocative_people(_heard(*turns), "A")] == [("Jorrit", "vocative")]


def test_the_kind_of_organisation_between_article_and_name_is_no_part_of_it() -> None:
    from podpipe.stages.analyse.entities import INTRODUCTION

    match = INTRODUCTION.search("En Jorrit Vlaminck, regiomanager bij de bakkerijketen Broodhuys, die zelf begon.")
    assert match is not None and (match["name"], match["org"]) == ("Jorrit Vlaminck", "Broodhuys")
    # an adjective is no kind: "Vlaamse" is no organisation
    assert INTRODUCTION.search("Jorrit Vlaminck werkt bij de grootste Vlaamse bakkerij.") is None


def test_a_guest_brought_in_with_en_dan_is_er_nog_is_named_in_full() -> None:
    turns = (("A", "Welkom bij de podcast. Marijke Vloebergs is directeur bij Tuinpunt. Marijke, hoe begon het?"),
             ("B", "Met een vraag van een klant."),
             ("A", "En dan is er nog Jorrit Vlaminck. Jorrit is trainer bij Broodhuys."), ("C", "Dag allemaal."))
    found = [(m.text, m.organisation) for m in conversation_people(_heard(*turns))]
    assert found == [("Marijke Vloebergs", "Tuinpunt"), ("Jorrit Vlaminck", "Broodhuys")]


def test_a_guest_who_says_their_name_first_and_then_where_they_work() -> None:
    # "ik ben leesconsulent bij Leespunt, ..." names where she works: the organisation is no name
    turns = (("A", "Welkom. Stel uzelf gewoon voor."),
             ("B", "Lotte Maes. Ik ben leesconsulent bij Leespunt, een netwerk van twaalf bibliotheken."))
    found = [(m.text, m.source, m.organisation) for m in conversation_people(_heard(*turns))]
    assert found == [("Lotte Maes", "self-introduction", "Leespunt")]


def test_a_guest_the_host_welcomes_by_full_name_is_introduced() -> None:
    turns = (("A", "Welkom bij de Leespodcast. Marijke Vloebergs is directeur bij Tuinpunt."), ("B", "Dag."),
             ("A", "Ik hoor de deur. Jorrit Vlaminck, welkom! Jorrit, hoe begon het bij u?"), ("C", "Met een boek."))
    assert [m.text for m in conversation_people(_heard(*turns))] == ["Marijke Vloebergs", "Jorrit Vlaminck"]


def test_a_job_whisper_capitalised_after_ik_ben_is_no_name() -> None:
    from podpipe.stages.analyse import analyse

    turns = (("A", "Welkom. Stel uzelf gewoon voor."), ("B", "Ik ben Lees Manager, bij de bibliotheek van Gent."),
             ("A", "Wat doet een bibliotheek vandaag?"), ("B", "Veel meer dan boeken uitlenen, eerlijk gezegd."))
    assert conversation_people(_heard(*turns)) == []
    settings = load_settings()  # nor does the analysis' parse make a person of it
    analysis = analyse(described(_heard(*turns), settings), settings.analysis_config())
    assert not [p.text for p in analysis.people if "Manager" in p.text]
