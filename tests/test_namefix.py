"""Misheard cast names: Dutch spelling keys, similarity, corrections in words and segments."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from podpipe.cast import build_cast
from podpipe.config import Naming, Nlp, Settings, Show
from podpipe.domain import Cast, CastMember, Episode, Role, Segment, Transcript, Word
from podpipe.io import transcript_from_dict, transcript_to_dict
from podpipe.stages.naming.correct import (
    THRESHOLD,
    cast_terms,
    correct_names,
    correct_segment,
    correction_notes,
    dutch_key,
    replace_heard,
    similarity,
)

CAST = Cast(
    host=CastMember("Walter Schroven", Role.HOST, "VOV"),
    guests=(
        CastMember("Ellen Verhaegen", Role.GUEST, "Leerkorrel"),
        CastMember("Bram Goossens", Role.GUEST, "Kompaswerk"),
        CastMember("Stefanie Claes", Role.GUEST, "Learning Lab Vlaanderen"),
    ),
    organisations=("VOV", "Leerkorrel", "Kompaswerk", "Learning Lab Vlaanderen"),
    closed=True,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Stephanie", "Stefanie"),  # ph / f
        ("Alexander", "Aleksander"),  # x / ks
        ("Rijkers", "Ryckers"),  # ij / y, ck / k
        ("Goosens", "Goossens"),  # double letters
        ("Claes", "Klaas"),  # c / k, ae / aa
        ("Verhaeghe", "Verhaege"),  # gh / g
        ("Van de Velde", "Vandevelde"),  # spaces
        ("De Smedt", "De Smet"),  # dt / t
    ],
)
def test_dutch_spelling_variants_share_a_key(a: str, b: str) -> None:
    assert dutch_key(a) == dutch_key(b)


def test_different_names_keep_different_keys() -> None:
    assert dutch_key("Ellen") != dutch_key("Allen")
    assert dutch_key("Bram") != dutch_key("Ram")


def test_similarity_methods() -> None:
    assert similarity("Verhagen", "Verhaegen") == (1.0, "spelling")
    score, method = similarity("Lierko Riel", "Leerkorrel")
    assert method == "phonetic" and score >= THRESHOLD
    score, method = similarity("Kompas Merk", "Kompaswerk")
    assert method == "fuzzy" and score >= THRESHOLD
    assert similarity("leren", "Leerkorrel")[0] < THRESHOLD


def _segment(text: str, start: float = 10.0) -> Segment:
    words, t = [], start
    for token in text.split():
        words.append(Word(start=t, end=t + 0.4, text=" " + token, probability=0.9))
        t += 0.5
    return Segment(start=start, end=t, text=text, words=words)


def test_misheard_organisations_and_names_are_corrected_in_words_and_segment() -> None:
    segment = _segment("Ik ben Stephanie Klaas van Lerninglap Vlaanderen, samen met Kompas Merk.")
    corrected, made = correct_segment(segment, 3, cast_terms(CAST))
    assert corrected.text == "Ik ben Stefanie Claes van Learning Lab Vlaanderen, samen met Kompaswerk."
    assert "".join(w.text for w in corrected.words).strip() == corrected.text
    kompas = next(w for w in corrected.words if w.text.startswith(" Kompaswerk"))
    assert kompas.heard == " Kompas Merk." and kompas.text == " Kompaswerk."
    assert kompas.end == segment.words[-1].end  # the merged word spans both heard words
    assert {(c.heard, c.canonical, c.label) for c in made} == {
        ("Stephanie", "Stefanie", "PER"),
        ("Klaas", "Claes", "PER"),
        ("Lerninglap Vlaanderen", "Learning Lab Vlaanderen", "ORG"),
        ("Kompas Merk", "Kompaswerk", "ORG"),
    }
    assert all(c.segment == 3 and c.score >= THRESHOLD for c in made)


def test_a_neighbouring_word_is_not_swallowed_and_right_spellings_stay() -> None:
    corrected, made = correct_segment(_segment("Ellen van Leerkorrel en Bram van Kompaswerk."), 0, cast_terms(CAST))
    assert made == [] and corrected.text == "Ellen van Leerkorrel en Bram van Kompaswerk."


def test_ordinary_words_are_not_names() -> None:
    text = "Dat is voor allen een goede vraag: leren werkt, zei de ram tegen de kompas."
    corrected, made = correct_segment(_segment(text), 0, cast_terms(CAST))
    assert made == [] and corrected.text == text


def test_short_names_only_by_equal_key_and_capitals_are_fixed_quietly() -> None:
    corrected, made = correct_segment(_segment("dank je bram, en vov"), 0, cast_terms(CAST))
    assert corrected.text == "dank je Bram, en VOV"
    assert {c.method for c in made} == {"case"}
    transcript = Transcript(_episode(), [corrected], "nl", corrections=made)
    assert correction_notes(transcript) == []  # capitals alone are no question for the editor


def _episode(metadata: dict | None = None) -> Episode:
    return Episode(id="a" * 64, slug="ep", source=Path("ep.mp3"), duration=60.0, metadata=metadata or {})


def test_correct_names_keeps_the_heard_form_through_a_json_round_trip() -> None:
    transcript = Transcript(_episode(), [_segment("Welkom."), _segment("Ik ben Ellen Verhagen van Lierko Riel.")], "nl")
    corrected = correct_names(transcript, CAST)
    assert corrected.segments[1].text == "Ik ben Ellen Verhaegen van Leerkorrel."
    assert [(c.segment, c.heard, c.canonical) for c in corrected.corrections] == [
        (1, "Verhagen", "Verhaegen"),
        (1, "Lierko Riel", "Leerkorrel"),
    ]
    notes = correction_notes(corrected)
    assert len(notes) == 2 and "Lierko Riel" in notes[1] and "Leerkorrel" in notes[1]
    again = transcript_from_dict(transcript_to_dict(corrected))
    assert again.corrections == corrected.corrections
    assert [w.heard for w in again.segments[1].words if w.heard] == [" Verhagen", " Lierko Riel."]


def test_segments_without_words_are_corrected_too() -> None:
    segment = Segment(start=0.0, end=3.0, text="Bram van Kompas Merk, welkom.")
    corrected, made = correct_segment(segment, 0, cast_terms(CAST))
    assert corrected.text == "Bram van Kompaswerk, welkom." and made[0].start == 0.0


def test_replace_heard_spells_a_misheard_introduction_everywhere() -> None:
    transcript = Transcript(_episode(), [_segment("Ik ben Moutor, de host."), _segment("Dank je, moutor.")], "nl")
    fixed = replace_heard(transcript, {"Moutor": "Walter"}, method="introduction")
    assert [s.text for s in fixed.segments] == ["Ik ben Walter, de host.", "Dank je, Walter."]
    assert [c.method for c in fixed.corrections] == ["introduction", "introduction"]


def test_without_a_sidecar_the_config_people_are_the_cast() -> None:
    settings = Settings.model_construct(
        naming=Naming(host_name="Walter Schroven", host_organisation="VOV"),
        nlp=Nlp(people=["Ellen Verhaegen"], organisations=["VOV", "Leerkorrel"]),
        show=Show(vocabulary=["microleren", "VOV"]),
    )
    cast = build_cast(settings, {})
    assert not cast.closed and cast.host.name == "Walter Schroven"
    assert [m.name for m in cast.people] == ["Ellen Verhaegen"]
    assert cast.terms() == ["Walter Schroven", "Ellen Verhaegen", "VOV", "Leerkorrel", "microleren"]
    corrected = correct_names(Transcript(_episode(), [_segment("Ellen van Lierko Riel")], "nl"), cast)
    assert corrected.segments[0].text == "Ellen van Leerkorrel"


def test_a_two_letter_name_is_not_a_common_word() -> None:
    cast = Cast(guests=(CastMember("An Janssens", Role.GUEST),), closed=True)
    corrected, made = correct_segment(_segment("Ik ga aan de slag met an."), 0, cast_terms(cast))
    assert corrected.text == "Ik ga aan de slag met An." and [c.method for c in made] == ["case"]


# -- ordinary Dutch words are no names ---------------------------------------------------------

WIDE_CAST = Cast(
    host=CastMember("Walter Schroven", Role.HOST, "VOV"),
    guests=(CastMember("Marc Alen", Role.GUEST, "Arboth"), CastMember("Ellen Verhaegen", Role.GUEST, "Leerkorrel"),
            CastMember("Bram Goossens", Role.GUEST, "Kompaswerk")),
    organisations=("VOV", "Arboth", "Leerkorrel", "Kompaswerk"),
    closed=True,
)


@pytest.mark.parametrize(
    "text",
    [
        "Dat doe ik alleen op maandag.",  # "alleen" and "Alen" share a key
        "Ik ga daar iets over schrijven.",  # "schrijven" ~ "Schroven"
        "Kijk eens wat er gebeurt als ge dat doet.",  # "wat er" ~ "Walter"
        "Dat zijn goede vragen, en er zijn verhalen over.",  # "vragen", "verhalen" ~ "Verhaegen"
        "Alleen, dat is niet genoeg.",  # a capital that opens the sentence says nothing
        "ik ben alleen, dus ik kom later.",  # "ik ben" alone is no name's context for a word
    ],
)
def test_ordinary_dutch_words_are_never_corrected(text: str) -> None:
    corrected, made = correct_segment(_segment(text), 0, cast_terms(WIDE_CAST))
    assert made == [] and corrected.text == text


def test_an_ordinary_word_in_a_names_context_is_corrected_when_very_close() -> None:
    # Capitalised mid-sentence: Whisper wrote a name. "Kompas Merk": both words are ordinary Dutch.
    corrected, made = correct_segment(_segment("Dank u, Alleen. Ik werk bij Kompas Merk."), 0, cast_terms(WIDE_CAST))
    assert corrected.text == "Dank u, Alen. Ik werk bij Kompaswerk."
    assert [(c.heard, c.canonical) for c in made] == [("Alleen", "Alen"), ("Kompas Merk", "Kompaswerk")]
    # The speaker presenting their organisation is a name's context too, capitals or not.
    corrected, _ = correct_segment(_segment("Ik ben van van kompas merk."), 0, cast_terms(WIDE_CAST))
    assert corrected.text == "Ik ben van van Kompaswerk."
    # ... but not when the ordinary words are only somewhat alike (0.86 < FREQUENT_THRESHOLD).
    corrected, made = correct_segment(_segment("Ik heb het over Vragen gehad."), 0, cast_terms(WIDE_CAST))
    assert made == []


def test_a_segment_that_continues_a_sentence_keeps_its_capital_as_context() -> None:
    first = Segment(0.0, 2.0, "Dit is", words=_segment("Dit is").words, speaker="S1")
    second = Segment(2.0, 4.0, "Alleen van Arboth.", words=_segment("Alleen van Arboth.", 2.0).words, speaker="S1")
    corrected = correct_names(Transcript(_episode(), [first, second], "nl"), WIDE_CAST)
    assert corrected.segments[1].text == "Alen van Arboth."
    opened = Segment(2.0, 4.0, "Alleen van Arboth.", words=_segment("Alleen van Arboth.", 2.0).words, speaker="S1")
    closed = Segment(0.0, 2.0, "Dit is het.", words=_segment("Dit is het.").words, speaker="S1")
    assert correct_names(Transcript(_episode(), [closed, opened], "nl"), WIDE_CAST).corrections == []


def test_the_hosts_name_is_corrected_in_the_hosts_own_voice_only_where_they_introduce_themselves() -> None:
    from dataclasses import replace as replaced

    def said(text: str, start: float, speaker: str) -> Segment:
        return replaced(_segment(text, start), speaker=speaker)

    segments = [said("Ik ben Walters Groven, community manager.", 0.0, "S1"),
                said("Welkom, Walletrie.", 10.0, "S1"),  # "welkom alle drie": no host welcomes themselves
                said("Dank je, Walletrie.", 20.0, "S2")]  # a guest thanks the host  # fmt: skip
    corrected = correct_names(Transcript(_episode(), segments, "nl"), CAST)
    assert [s.text for s in corrected.segments] == ["Ik ben Walter Schroven, community manager.",
                                                     "Welkom, Walletrie.", "Dank je, Walter."]  # fmt: skip


def test_no_word_of_the_frequency_list_top_is_turned_into_a_cast_name() -> None:
    """Every one of wordfreq's 20,000 most frequent Dutch words, lower-case in a sentence: none changes
    unless it is a cast name's own word (capitals alone)."""
    from wordfreq import top_n_list

    from podpipe.stages.naming.correct import fold, name_words

    terms = cast_terms(WIDE_CAST)
    own = name_words(terms)
    words = [w for w in top_n_list("nl", 20_000) if w.isalpha() and fold(w) not in own]
    segments = [_segment("en " + " ".join(words[i : i + 40]) + " .", float(i)) for i in range(0, len(words), 40)]
    corrected = correct_names(Transcript(_episode(), segments, "nl"), WIDE_CAST)
    assert [c for c in corrected.corrections] == []


def test_the_check_box_lists_each_heard_form_once_with_its_count_and_first_time() -> None:
    cast = Cast(guests=(CastMember("Sofie Willox", Role.GUEST),), closed=True)
    segments = [_segment("Dank je, Sophie. Zo is het, Sophie. Dat klopt, Sophie.", 30.0 * i) for i in range(9)]
    segments.append(_segment("Merci, Sophie Willocks.", 400.0))
    corrected = correct_names(Transcript(_episode(), segments, "nl"), cast)
    assert sum(c.method != "case" for c in corrected.corrections) == 29  # 27 + 1 + "Willocks"
    notes = correction_notes(corrected)
    assert len(notes) == 2  # was one line per correction: 29
    assert notes[0].startswith("\u201cSophie\u201d is verbeterd tot \u201cSofie\u201d (28 keer, eerst op 00:01;")
    assert notes[1].startswith("\u201cWillocks\u201d is verbeterd tot \u201cWillox\u201d (1 keer op 06:41;")


# Issue 21: rules measured on the MBROLA renderings, pinned with invented examples.

def test_ch_and_g_are_one_sound() -> None:
    assert dutch_key("Schoofs") == dutch_key("Sgoofs")
    assert similarity("wel tersgroven", "Walter Schroven")[0] >= THRESHOLD


def test_an_acronym_said_letter_by_letter_is_corrected_also_opening_a_compound() -> None:
    cast = Cast(host=CastMember("Marijke Vloebergs", Role.HOST), organisations=("VDAB",), closed=True)
    fixed = correct_names(Transcript(_episode(), [_segment("welkom bij de Veedeeaabee-podcast vandaag")], "nl"), cast)
    assert fixed.segments[0].text == "welkom bij de VDAB-podcast vandaag"
    assert [(c.heard, c.canonical) for c in fixed.corrections] == [("Veedeeaabee", "VDAB")]


def test_a_short_name_heard_in_lower_case_needs_a_name_beside_it() -> None:
    cast = Cast(host=CastMember("Jonas Maes", Role.HOST), closed=True)
    alone = correct_names(Transcript(_episode(), [_segment("ik moet kan jons laden")], "nl"), cast)
    assert alone.corrections == []
    beside = correct_names(Transcript(_episode(), [_segment("dag jons Maes, welkom")], "nl"), cast)
    assert [c.canonical for c in beside.corrections] == ["Jonas"]


def test_a_capitalised_non_word_is_corrected_a_little_further_off_an_ordinary_word_never() -> None:
    cast = Cast(host=CastMember("Walter Schroven", Role.HOST), organisations=("Kempenlog",), closed=True)
    made = correct_names(Transcript(_episode(), [_segment("ik werk bij Kempelock sinds maart")], "nl"), cast)
    score = similarity("Kempelock", "Kempenlog")[0]
    assert THRESHOLD - 0.04 <= score < THRESHOLD and [c.canonical for c in made.corrections] == ["Kempenlog"]
    lower = correct_names(Transcript(_episode(), [_segment("ik werk bij kempelock sinds maart")], "nl"), cast)
    assert lower.corrections == []


def test_an_acronym_said_letter_by_letter_and_glued_to_the_next_word_gets_its_hyphen() -> None:
    cast = Cast(host=CastMember("Marijke Vloebergs", Role.HOST), organisations=("VDAB",), closed=True)
    fixed = correct_names(Transcript(_episode(), [_segment("luister naar de Veedeeaabeeraadkast vandaag")], "nl"), cast)
    assert fixed.segments[0].text == "luister naar de VDAB-raadkast vandaag"
    assert [(c.heard, c.canonical) for c in fixed.corrections] == [("Veedeeaabee", "VDAB")]
    # in lower case, or a Dutch word, it stays as heard
    for text in ("luister naar de veedeeaabeeraadkast vandaag", "luister naar de Vergaderruimte vandaag"):
        assert correct_names(Transcript(_episode(), [_segment(text)], "nl"), cast).corrections == []


def test_a_made_up_word_between_ik_ben_van_and_the_organisation_keeps_the_context() -> None:
    cast = Cast(host=CastMember("Marijke Vloebergs", Role.HOST), organisations=("Tuinpunt",), closed=True)
    made = correct_names(Transcript(_episode(), [_segment("ik ben van grobbeldie tuin punt")], "nl"), cast)
    assert [c.canonical for c in made.corrections] == ["Tuinpunt"]
    kept = correct_names(Transcript(_episode(), [_segment("ik ben van plan tuin punt")], "nl"), cast)
    assert kept.corrections == []


def test_a_name_as_heard_in_the_conversation_never_respells_a_known_word() -> None:
    # Without a sidecar the host is who "ik ben Pietres Vangoolen" said: a hearing, not a spelling.
    cast = Cast(host=CastMember("Pietres Vangoolen", Role.HOST), closed=False)
    segments = [_segment("Dank u, Pieter."), _segment("Dank u, Pietrs Vangolen.")]
    made = correct_names(Transcript(_episode(), segments, "nl"), cast, heard={"Pietres Vangoolen"})
    assert made.segments[0].text == "Dank u, Pieter."  # "Pieter" is Dutch (wordfreq): kept
    assert [c.heard for c in made.corrections] == ["Pietrs", "Vangolen"]  # made-up words: variants of it


def test_a_short_name_addressed_with_a_capital_is_corrected_an_ordinary_word_never() -> None:
    # Whisper writes an addressed name it does not know as a name: "Joost" heard as "Joest".
    cast = Cast(host=CastMember("Tom Maes", Role.HOST), guests=(CastMember("Joost Wouters", Role.GUEST),),
                closed=True)
    addressed = correct_names(Transcript(_episode(), [_segment("Dat zie ik anders, Joest. Want")], "nl"), cast)
    assert [(c.heard, c.canonical) for c in addressed.corrections] == [("Joest", "Joost")]
    for text in (
        "Dat zie ik anders, joest. Want",  # no capital: nothing says it is a name
        "Dat zie ik anders Joest en zo",  # not set off by a comma: no address
        "Dat zie ik anders, Oost. Want",  # an ordinary word, whatever its capital
    ):
        assert correct_names(Transcript(_episode(), [_segment(text)], "nl"), cast).corrections == [], text


def test_a_long_one_word_name_heard_as_three_words_or_glued_to_the_word_before() -> None:
    cast = Cast(host=CastMember("Tom Maes", Role.HOST), organisations=("Spiegelpunt", "Werkplaats", "Syntra"),
                closed=True)
    split = correct_names(Transcript(_episode(), [_segment("zij werkt bij spie gel punt in Gent")], "nl"), cast)
    assert split.segments[0].text == "zij werkt bij Spiegelpunt in Gent"
    glued = correct_names(Transcript(_episode(), [_segment("met zijn eigen burospiegelpunt begonnen")], "nl"), cast)
    assert glued.segments[0].text == "met zijn eigen Spiegelpunt begonnen"
    assert [c.heard for c in glued.corrections] == ["burospiegelpunt"]
    # a Dutch word ending like the name, or a name under LONG_TERM letters glued on, stays as heard
    for text in ("in de oude houtwerkplaats", "een cursus daarbijsyntra gevolgd"):
        assert correct_names(Transcript(_episode(), [_segment(text)], "nl"), cast).corrections == [], text


def test_a_capital_on_a_word_whisper_all_but_guessed_is_no_context_for_a_name() -> None:
    cast = Cast(host=CastMember("Lotte Peeters", Role.HOST), closed=True)
    heard = _segment("en dan zei Peter van de dienst")
    assert [c.canonical for c in correct_names(Transcript(_episode(), [heard], "nl"), cast).corrections] == ["Peeters"]
    words = [replace(w, probability=0.0001) if w.text.strip() == "Peter" else w for w in heard.words]
    guessed = replace(heard, words=words)
    assert correct_names(Transcript(_episode(), [guessed], "nl"), cast).corrections == []
