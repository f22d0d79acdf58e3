"""Speaker references in the show notes' text: made from names, resolved to the current names."""

from __future__ import annotations

from podpipe.domain import Section, ShowNotes, Speaker
from podpipe.stages.notes.references import reference, referenced_notes, resolve, resolved_notes


def speakers() -> list[Speaker]:
    return [Speaker("S0", "Gast 1"), Speaker("S1", "Sofie Willox", "So We Grow"), Speaker("S2", "Jan Host", "VOV")]


def test_full_first_and_label_names_become_references() -> None:
    text = reference("Jan Host (VOV) sprak met Gast 1 en Sofie Willox (So We Grow). Sofie zegt dat Jan luistert.",
                     speakers())
    assert text == ("[[speaker:S2]] ([[speaker:S2:organisation]]) sprak met [[speaker:S0]] en [[speaker:S1]] "
                    "([[speaker:S1:organisation]]). [[speaker:S1:first]] zegt dat [[speaker:S2:first]] luistert.")


def test_other_words_stay_text() -> None:
    text = "In de VOV-podcast: Gast 10, Janssen, Sofiesticated, Anna-Sofie en VOV zelf."
    assert reference(text, speakers()) == text


def test_an_ambiguous_first_name_is_no_reference() -> None:
    people = [Speaker("A", "Jan Peeters"), Speaker("B", "Jan Janssens")]
    assert reference("Jan zegt het.", people) == "Jan zegt het."
    assert reference("Jan Peeters zegt het.", people) == "[[speaker:A]] zegt het."


def test_resolve_uses_the_current_names_and_is_idempotent_with_reference() -> None:
    original = "Gast 1 en Sofie Willox (So We Grow); Sofie zegt het."
    text = reference(original, speakers())
    assert resolve(text, speakers()) == original
    assert reference(text, speakers()) == text, "references already there are kept"
    renamed = speakers()
    renamed[0] = Speaker("S0", "Piet Peeters")
    renamed[1] = Speaker("S1", "Sophie Willocks", "Grow BV")
    assert resolve(text, renamed) == "Piet Peeters en Sophie Willocks (Grow BV); Sophie zegt het."
    assert resolve("[[speaker:S9]] zegt", renamed) == "S9 zegt", "an unknown id shows the id"


def test_notes_keep_quotes_verbatim() -> None:
    notes = ShowNotes("Met Sofie Willox", "Gast 1 vertelt.", [Section("Waarom Sofie?", ["Gast 1 zegt het."])],
                      "Tot slot, Sofie.")
    referenced = referenced_notes(notes, speakers())
    assert referenced.intro == "[[speaker:S0]] vertelt."
    assert referenced.sections[0].heading == "Waarom [[speaker:S1:first]]?"
    assert resolved_notes(referenced, speakers()) == notes


def test_a_very_short_name_is_no_reference() -> None:
    assert reference("De Jo van Jo.", [Speaker("A", "Jo"), Speaker("B", "De")]) == "De Jo van Jo."
