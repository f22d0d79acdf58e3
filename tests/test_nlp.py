"""Unit tests of the NLP stage on small hand-made inputs (no trained model, no shared data)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from podpipe.cast import describe
from podpipe.config import Settings
from podpipe.domain import Analysis, Episode, Mention, Quote, Role, Segment, Speaker, Theme, Transcript, Word
from podpipe.io import ANALYSIS, transcript_to_dict
from podpipe.stages.analyse.document import build_conversation
from podpipe.stages.analyse.entities import INTRODUCTION, SELF_INTRO, find_entities, known_names
from podpipe.stages.analyse.keyphrases import mmr
from podpipe.stages.analyse.loader import load_transcript_any
from podpipe.stages.analyse.quotes import statement_cues
from podpipe.stages.analyse.segmentation import depth_scores, intro_end, segment
from podpipe.stages.analyse.settings import DEFAULT_FILLER_WORDS, Nlp
from podpipe.stages.analyse.text import remove_fillers, split_long_span, split_sentence_spans, split_sentences

FILLERS = DEFAULT_FILLER_WORDS


# --- filler words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dat is, euh, heel belangrijk.", "Dat is heel belangrijk."),
        ("Euh, het is zo.", "het is zo."),
        ("het is euh euh belangrijk", "het is belangrijk"),
        ("Ehm. Dat klopt.", "Dat klopt."),
        ("Dat klopt, ehm.", "Dat klopt."),
        ("Allez, we beginnen.", "we beginnen."),
        ("Ge moet dat ehm gewoon doen", "Ge moet dat gewoon doen"),
        (
            "Een heureka-moment, zeker geen euforie.",
            "Een heureka-moment, zeker geen euforie.",
        ),  # no partial words
        ("Geen enkele filler hier.", "Geen enkele filler hier."),
    ],
)
def test_remove_fillers(text: str, expected: str) -> None:
    assert remove_fillers(text, FILLERS) == expected


def test_remove_fillers_changes_nothing_else() -> None:
    text = "Data zonder gesprek is gewoon een dashboard dat niemand opent, hè."
    assert remove_fillers(text, FILLERS) == text
    assert remove_fillers("euh Hallo", []) == "euh Hallo"


# --- sentences ----------------------------------------------------------------------------------------


def test_split_sentences_on_punctuation_newlines_and_abbreviations() -> None:
    text = (
        "Hallo allemaal. Dit is bv. een test met o.a. J. Peeters! En nu? ja, dat weet ik niet...\n"
        "Een nieuwe regel zonder punt\nNog 2.5 keer proberen."
    )
    assert split_sentences(text) == [
        "Hallo allemaal.",
        "Dit is bv. een test met o.a. J. Peeters!",
        "En nu?",
        "ja, dat weet ik niet...",
        "Een nieuwe regel zonder punt",
        "Nog 2.5 keer proberen.",
    ]


def test_a_full_word_before_a_period_ends_the_sentence() -> None:
    assert split_sentences("Vertrouwen, bijvoorbeeld. Dan wel. Zie bijv. hier.") == [
        "Vertrouwen, bijvoorbeeld.",
        "Dan wel.",
        "Zie bijv. hier.",
    ]


def test_sentence_spans_are_offsets_into_the_turn() -> None:
    text = "  Eerste zin.  Tweede zin!"
    spans = split_sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["Eerste zin.", "Tweede zin!"]


def test_long_unpunctuated_text_is_cut_at_clause_breaks() -> None:
    text = (
        "we hebben dat vorig jaar geprobeerd met een hele grote groep mensen, maar het werkte niet zo goed "
        "als we hadden gehoopt, want de mensen hadden daar eigenlijk geen tijd voor in hun agenda"
    )
    pieces = split_long_span(text, (0, len(text)), max_words=15)
    assert len(pieces) >= 2
    assert all(len(text[s:e].split()) <= 20 for s, e in pieces)
    assert " ".join(text[s:e] for s, e in pieces) == text  # nothing lost


def test_parser_breaks_are_preferred() -> None:
    text = "een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien"
    cut = text.index("acht")
    assert split_long_span(text, (0, len(text)), max_words=8, breaks=[cut]) == [
        (0, cut - 1),
        (cut, len(text)),
    ]


# --- MMR and depth scores -----------------------------------------------------------------------------


def test_mmr_prefers_relevant_then_diverse() -> None:
    vectors = np.array([[1.0, 0.0, 0.0], [0.99, 0.14, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    relevance = np.array([1.0, 0.95, 0.6, 0.1])
    assert mmr(relevance, vectors, 2, diversity=0.5) == [0, 2]  # the near-copy of 0 is skipped
    assert mmr(relevance, vectors, 2, diversity=0.0) == [0, 1]  # pure relevance
    assert mmr(relevance, vectors, 3, exclude=lambda i, chosen: i == 2)[:2] == [0, 1] or 2 not in mmr(
        relevance, vectors, 3, exclude=lambda i, chosen: i == 2
    )
    assert mmr(np.array([]), np.zeros((0, 3)), 3) == []


def test_depth_scores_peak_at_the_valley() -> None:
    similarity = np.array([0.9, 0.8, 0.2, 0.7, 0.85])
    depth = depth_scores(similarity)
    assert int(np.argmax(depth)) == 2
    assert depth[2] == pytest.approx((0.9 - 0.2) + (0.85 - 0.2))


# --- a small hand-made transcript ---------------------------------------------------------------------


def _transcript(turns: list[tuple[str, str]], speakers: list[Speaker] | None = None) -> Transcript:
    segments, clock = [], 0.0
    for speaker, text in turns:
        duration = len(text.split()) / 2.5
        segments.append(Segment(start=clock, end=clock + duration, text=text, speaker=speaker))
        clock += duration + 0.5
    episode = Episode(id="0" * 64, slug="test", source=Path("test.mp3"), duration=clock)
    # Described: the analysis reads the episode's own cast (none here: no sidecar), the config apart.
    episode = describe(episode, Settings.model_construct())
    return Transcript(episode=episode, segments=segments, language="nl", speakers=speakers or [])


def test_self_introduction_and_host_introduction_patterns() -> None:
    self_intro = "Hallo, ik ben zoals altijd Walter Schroven, community manager bij VOV. Welkom."
    match = SELF_INTRO.search(self_intro)
    assert match and match.group("name") == "Walter Schroven"
    assert not SELF_INTRO.search("Ik ben blij dat ik hier ben.")
    intro = "Ellen Verhaegen is oprichter van Leerkorrel. En naast haar zit Bram Goossens van Kompaswerk."
    found = [(m.group("name"), m.group("org")) for m in INTRODUCTION.finditer(intro)]
    assert found == [("Ellen Verhaegen", "Leerkorrel"), ("Bram Goossens", "Kompaswerk")]


def test_entities_from_introductions_without_metadata() -> None:
    import spacy

    nlp = spacy.blank("nl")
    transcript = _transcript(
        [
            (
                "A",
                "Goeiedag en welkom. Mijn naam is Jan Peeters en ik werk bij Radio Leuven. "
                "Vandaag zit Sara De Smet naast mij, onderzoeker aan de Universiteit Gent.",
            ),
            ("B", "Dank je. Ik ben An Van den Broeck van Groeihuis, trouwens."),
            ("A", "Sara, wat denkt gij?"),
        ]
    )
    conv = build_conversation(transcript, nlp, FILLERS)
    book, _, _ = known_names(transcript)
    find_entities(conv, nlp, book)
    people = {p.text: p for p in book.mentions("PER")}
    assert people["Jan Peeters"].organisation == "Radio Leuven"
    assert people["Jan Peeters"].source == "self-introduction"
    assert people["Jan Peeters"].speaker == "A"
    assert people["Sara De Smet"].organisation == "Universiteit Gent"
    assert people["Sara De Smet"].source == "introduction"
    assert people["An Van den Broeck"].organisation == "Groeihuis"
    assert people["An Van den Broeck"].speaker == "B"
    assert "Sara" not in people  # the first name alone is the same person
    orgs = {o.text for o in book.mentions("ORG")}
    assert {"Radio Leuven", "Universiteit Gent", "Groeihuis"} <= orgs


def test_entities_from_metadata_and_config_via_entity_ruler() -> None:
    import spacy

    from podpipe.models.nlp import episode_ruler

    nlp = spacy.blank("nl")
    speakers = [
        Speaker("S1", "Walter Schroven", "VOV", Role.HOST),
        Speaker("S2", "Ellen Verhaegen", None, Role.GUEST),
    ]
    transcript = _transcript(
        [("S1", "Welkom Ellen. We zijn hier bij VOV."), ("S2", "Dank u, Walter.")], speakers
    )
    book, people, orgs = known_names(transcript, config_orgs=["Leerkorrel"])
    conv = build_conversation(transcript, nlp, FILLERS)
    find_entities(conv, nlp, book, episode_ruler(nlp, people, orgs))
    found = {p.text: p for p in book.mentions("PER")}
    assert set(found) == {"Walter Schroven", "Ellen Verhaegen"}
    assert found["Walter Schroven"].organisation == "VOV" and found["Walter Schroven"].source == "metadata"
    assert (
        found["Ellen Verhaegen"].start is not None and found["Ellen Verhaegen"].speaker == "S1"
    )  # "Welkom Ellen"
    assert [o.text for o in book.mentions("ORG")][:2] == ["VOV", "Leerkorrel"]


def test_sentence_times_follow_word_timestamps() -> None:
    words = [
        Word(10.0, 10.4, " Eerste", 0.9),
        Word(10.4, 10.8, " zin.", 0.9),
        Word(12.0, 12.5, " Tweede", 0.9),
        Word(12.5, 13.0, " zin.", 0.9),
    ]
    segment = Segment(start=10.0, end=13.0, text=" Eerste zin. Tweede zin.", words=words, speaker="S1")
    episode = Episode(id="0" * 64, slug="t", source=Path("t.mp3"), duration=13.0)
    conv = build_conversation(Transcript(episode, [segment], "nl"), None, FILLERS)
    assert [(s.text, s.start, s.end) for s in conv.sentences] == [
        ("Eerste zin.", 10.0, 10.8),
        ("Tweede zin.", 12.0, 13.0),
    ]


def test_turns_merge_consecutive_segments_of_one_speaker() -> None:
    transcript = _transcript([("A", "Een."), ("A", "Twee."), ("B", "Drie."), ("A", "Vier.")])
    conv = build_conversation(transcript, None, FILLERS)
    assert [t.segment_ids for t in conv.turns] == [[0, 1], [2], [3]]
    assert conv.sentences[1].segment_ids == [1]


def test_segmentation_finds_a_clear_topic_shift_and_skips_the_intro() -> None:
    host, guest = "H", "G"
    turns = [
        (host, "Hallo en welkom bij de podcast, vandaag met een gast."),
        (guest, "Dank u voor de uitnodiging."),
    ]
    for k in range(8):
        turns += [
            (host, f"Vraag {k} over het eerste onderwerp?"),
            (guest, "Een antwoord over het eerste onderwerp. " * 4),
        ]
    for k in range(8):
        turns += [
            (host, f"Vraag {k} over het tweede onderwerp?"),
            (guest, "Een antwoord over het tweede onderwerp. " * 4),
        ]
    speakers = [Speaker(host, role=Role.HOST), Speaker(guest, role=Role.GUEST)]
    conv = build_conversation(_transcript(turns, speakers), None, FILLERS)
    assert intro_end(conv) == 2
    rng = np.random.default_rng(0)
    topic_a, topic_b = rng.normal(size=16), rng.normal(size=16)
    vectors = np.array(
        [
            (topic_a if conv.sentences[i].turn < 18 else topic_b) + 0.3 * rng.normal(size=16)
            for i in range(len(conv.sentences))
        ]
    )
    spans, _trace = segment(conv, vectors, min_themes=2, max_themes=4)
    assert spans[0].first_turn == 2  # after the intro
    assert 18 in [s.first_turn for s in spans]
    assert spans[-1].last_turn == len(conv.turns) - 1


def test_a_cut_before_a_guests_answer_moves_back_to_the_host_question() -> None:
    """The similarity dip often falls after the host's short question (its few words weigh little);
    the theme starts at the question all the same, and a cut before a host's turn stays."""
    from podpipe.stages.analyse.segmentation import _with_their_question, build_units

    host, guest = "H", "G"
    turns = [(host, "Welkom."), (guest, "Over het eerste onderwerp."),
             (host, "Bram, ge zegt vaak transfer. Wat is dat?"), (guest, "Transfer is de brug naar de werkvloer."),
             (host, "Goed."), (guest, "Iets anders."), (host, "En de leidinggevende?"),
             (guest, "Die speelt een grote rol.")]  # fmt: skip
    speakers = [Speaker(host, role=Role.HOST), Speaker(guest, role=Role.GUEST)]
    conv = build_conversation(_transcript(turns, speakers), None, FILLERS)
    units = build_units(conv, max_words=200)
    # before the answer to "Wat is dat?" -> before the question; before "Iets anders." stays (no question)
    assert _with_their_question(conv, units, [3, 5]) == [2, 5]
    assert _with_their_question(conv, units, [6]) == [6]  # before a host's question: stays


def test_statement_cues_prefer_claims_over_context() -> None:
    claim = "Microleren is geen grote opleiding in stukjes, het is een antwoord op één vraag."
    context = "Dat hebben we vorig jaar ook gedaan, met een paar collega's."
    assert statement_cues(claim) > statement_cues(context)


def test_a_rule_of_thumb_and_an_antithesis_that_closes_the_sentence_are_quotable() -> None:
    # the speaker's "mijn" in "mijn vuistregel" is no personal report
    assert statement_cues("Mijn vuistregel is: lees eerst zelf het boek, dan pas de recensie.") > statement_cues(
        "Mijn boek is: een roman over de zee, met veel personages."
    )
    assert statement_cues("Een leesclub is een gesprek, geen examen.") > statement_cues(
        "Een leesclub is een gesprek, met een examen."
    )


# --- loader, settings, serialisation ------------------------------------------------------------------


def test_load_turns_format_estimates_times(tmp_path: Path) -> None:
    data = {
        "episode": "ep1",
        "episode_number": 3,
        "title": "Titel",
        "language": "nl",
        "speakers": [
            {"id": "S1", "name": "An", "role": "host", "organisation": "VOV"},
            {"id": "S2", "name": "Bo", "role": "guest"},
        ],
        "turns": [
            {"speaker": "S1", "text": "een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien"},
            {"speaker": "S2", "text": "ja"},
        ],
        "themes": [{"title": "labels stay out of the metadata"}],
    }
    path = tmp_path / "ep.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    transcript = load_transcript_any(path, words_per_second=2.6)
    assert [s.speaker for s in transcript.segments] == ["S1", "S2"]
    assert transcript.segments[0].start == 0.0 and transcript.segments[0].end == pytest.approx(5.0)
    assert transcript.segments[1].start > transcript.segments[0].end
    assert transcript.episode.metadata["times_estimated"] is True
    assert "themes" not in transcript.episode.metadata
    assert transcript.speaker("S1").role == Role.HOST and transcript.speaker("S1").organisation == "VOV"
    assert transcript.episode.number == 3 and transcript.episode.title == "Titel"


def test_load_turns_format_keeps_given_times(tmp_path: Path) -> None:
    data = {"speakers": [], "turns": [{"speaker": "X", "text": "hallo", "start": 1.5, "end": 2.0}]}
    path = tmp_path / "ep.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    transcript = load_transcript_any(path)
    assert (transcript.segments[0].start, transcript.segments[0].end) == (1.5, 2.0)
    assert "times_estimated" not in transcript.episode.metadata
    assert transcript.speaker("X") is not None


def test_load_podpipe_transcript(tmp_path: Path) -> None:
    transcript = _transcript([("A", "Hallo.")])
    path = tmp_path / "transcript.json"
    path.write_text(json.dumps(transcript_to_dict(transcript)), encoding="utf-8")
    assert load_transcript_any(path).segments[0].text == "Hallo."


def test_settings_defaults_and_validation() -> None:
    config = Nlp()
    assert (config.min_themes, config.max_themes, config.quote_min_words, config.quote_max_words) == (
        3,
        6,
        9,
        60,
    )
    assert config.model == "embedded" and config.quote_host is False and "euh" in config.filler_words
    assert Nlp(quote_host=True).quote_host is True
    with pytest.raises(ValueError):
        Nlp(min_themes=5, max_themes=3)


def test_analysis_json_round_trip(tmp_path: Path) -> None:
    analysis = Analysis(
        themes=[Theme("Microleren", ["microleren", "onboarding"], 60.0, 300.0, [3, 4, 5])],
        quotes=[Quote("S2", "Een zin.", 80.0, 85.0, 0)],
        people=[Mention("Ellen Verhaegen", "PER", "S1", 22.0, "metadata", "Leerkorrel")],
        organisations=[Mention("Leerkorrel", "ORG", source="metadata")],
    )
    data = ANALYSIS.to_dict(analysis)
    assert data["format"] == "podpipe-analysis" and data["themes"][0]["segment_ids"] == [3, 4, 5]
    assert ANALYSIS.from_dict(json.loads(json.dumps(data))) == analysis
    path = ANALYSIS.write(tmp_path / "analysis.json", analysis)
    assert ANALYSIS.read(path) == analysis


def test_the_closing_cue_survives_a_misheard_word() -> None:
    from podpipe.stages.analyse.segmentation import TOPIC_SHIFT

    # "We zijn bijna rond" as Whisper heard it on a rendering: "We zijn benar rond"
    assert TOPIC_SHIFT.search("We zijn bijna rond.") and TOPIC_SHIFT.search("We zijn benar rond.")
    assert not TOPIC_SHIFT.search("We zijn er vaak niet mee rond gekomen.")


def test_a_solo_monologue_is_still_split_into_themes() -> None:
    first = " ".join(f"Zin {k} over tuinieren en planten." for k in range(60))
    second = " ".join(f"Zin {k} over fietsen en wielrennen." for k in range(60))
    conv = build_conversation(_transcript([("S", first + " " + second)]), None, FILLERS)
    assert len(conv.turns) == 1
    rng = np.random.default_rng(1)
    topic_a, topic_b = rng.normal(size=16), rng.normal(size=16)
    vectors = np.array(
        [(topic_a if s.index < 60 else topic_b) + 0.3 * rng.normal(size=16) for s in conv.sentences]
    )
    spans, _ = segment(conv, vectors, min_themes=2, max_themes=4)
    assert len(spans) >= 2
    assert 60 in [s.first_sentence for s in spans] or any(abs(s.first_sentence - 60) <= 5 for s in spans[1:])
    assert spans[0].first_sentence == 0 and spans[-1].last_sentence == len(conv.sentences) - 1


def test_host_is_inferred_from_questions_when_roles_are_unknown() -> None:
    transcript = _transcript(
        [
            ("G", "Ik vertel graag over mijn werk."),
            ("H", "Wat doet ge precies?"),
            ("G", "Ik bouw bruggen."),
            ("H", "En hoe lang al?"),
            ("G", "Al tien jaar."),
        ]
    )
    assert build_conversation(transcript, None, FILLERS).hosts == {"H"}


@pytest.mark.models
def test_analyse_a_small_interview_end_to_end(tmp_path: Path) -> None:
    """The whole stage on a short hand-made interview (the trained pipeline if present, else the
    blank fallback), and its analysis.json."""
    from podpipe.stages.analyse import analyse

    speakers = [Speaker("H", "Lien Claes", "Radio Noord", Role.HOST), Speaker("G", None, None, Role.GUEST)]
    turns = [
        ("H", "Hallo en welkom bij de podcast. Ik ben Lien Claes. Naast mij zit Tom Wouters van Bijenhof."),
        ("G", "Dank u voor de uitnodiging."),
        ("H", "Tom, waarom houdt gij bijen in de stad?"),
        (
            "G",
            "Een bijenkast op een dak is geen hobby voor zondagen, het is een kleine boerderij die elke dag "
            "aandacht vraagt. Stadsbijen vinden meer variatie in bloemen dan bijen op het platteland. "
            "Euh, wie honing wil, moet eerst leren kijken naar de bijen zelf.",
        ),
        ("H", "En hoe begint iemand daar dan mee?"),
        (
            "G",
            "Begin met één kast en een ervaren imker als peter. Niemand leert imkeren uit een boek, "
            "ge leert het door naast iemand te staan die al twintig jaar kasten opent.",
        ),
        ("H", "Laten we het nu eens hebben over geld. Kunt ge van honing leven?"),
        (
            "G",
            "Van honing alleen leeft bijna niemand, maar workshops en rondleidingen maken het verschil. "
            "Bedrijven betalen graag voor een kast op hun dak, omdat hun personeel er trots op is.",
        ),
        ("H", "Tom, heel erg bedankt. Tot de volgende keer."),
    ]
    config = Nlp(min_themes=1, max_themes=3, model=os.environ.get("PODPIPE_NLP__MODEL", "embedded"))
    settings = Settings.model_construct(nlp=config)
    analysis = analyse(_transcript(turns, speakers), settings.analysis_config())
    assert 1 <= len(analysis.themes) <= 3
    assert all(theme.keyphrases for theme in analysis.themes)
    assert min(analysis.themes[0].segment_ids) == 2  # the welcome and the thanks are the intro
    for quote in analysis.quotes:
        assert quote.speaker == "G" and "Euh" not in quote.text
        assert 12 <= len(quote.text.split()) <= 60
    people = {p.text: p for p in analysis.people}
    assert people["Tom Wouters"].organisation == "Bijenhof"
    assert people["Lien Claes"].organisation == "Radio Noord"
    data = ANALYSIS.to_dict(analysis)
    assert data["models"][1]["name"].startswith("multilingual-e5-small")
    assert ANALYSIS.read(ANALYSIS.write(tmp_path / "analysis.json", analysis)) == analysis
