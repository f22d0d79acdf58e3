"""Evidence producers and the one-assignment resolver (pure functions, no models)."""

from __future__ import annotations

from podpipe.domain import CastMember, Mention, Role, Segment
from podpipe.stages.naming.resolve import (
    LOW_CONFIDENCE,
    Evidence,
    best_member,
    conversation_evidence,
    evidence_matrix,
    first_speech_evidence,
    mention_order_evidence,
    name_score,
    organisation_evidence,
    resolve,
    self_introduction_evidence,
    voiceprint_evidence,
)

WALTER = CastMember("Walter Schroven", Role.HOST, "VOV")
ELLEN = CastMember("Ellen Verhaegen", Role.GUEST, "Leerkorrel")
BRAM = CastMember("Bram Goossens", Role.GUEST, "Kompaswerk")
STEFANIE = CastMember("Stefanie Claes", Role.GUEST, "Learning Lab Vlaanderen")
GUESTS = [ELLEN, BRAM, STEFANIE]


def seg(speaker: str, text: str, start: float = 0.0) -> Segment:
    return Segment(start=start, end=start + 1, text=text, speaker=speaker)


def rules(evidence: list[Evidence]) -> set[tuple[str, str, str]]:
    return {(e.speaker, e.member, e.rule) for e in evidence}


# --- evidence rules -------------------------------------------------------------------------


def test_voiceprint_for_above_threshold_against_far_below_silent_in_between() -> None:
    rows = voiceprint_evidence({"Bram Goossens": {"A": 0.8, "B": 0.55, "C": 0.2}}, threshold=0.6)
    by = {e.speaker: e.weight for e in rows}
    assert by["A"] > 4.0 and by["C"] < 0 and "B" not in by
    assert rows[0].detail["similarity"] == 0.8


def test_self_introduction_matches_a_misheard_name_to_the_cast() -> None:
    mentions = [
        Mention("Stephanie Klaas", "PER", speaker="C", source="self-introduction"),  # ph/f, c/k
        Mention("Elen Verhagen", "PER", speaker="B", source="self-introduction"),
        Mention("Jan Peeters", "PER", speaker="D", source="self-introduction"),  # nobody in the cast
        Mention("Bram Goossens", "PER", speaker="A", source="introduction"),  # not a self-introduction
    ]
    rows = self_introduction_evidence(mentions, GUESTS)
    assert rules(rows) == {("C", "Stefanie Claes", "self-introduction"), ("B", "Ellen Verhaegen", "self-introduction")}
    assert all(e.weight > 3.0 for e in rows)


def test_name_score_uses_first_name_and_surname() -> None:
    assert name_score("Bram", BRAM) == 1.0
    assert name_score("Goossens", BRAM) == 1.0
    assert best_member("Moutor", [WALTER, *GUESTS])[0] is None


def test_vocative_points_at_the_next_speaker_and_not_at_the_one_who_says_it() -> None:
    segments = [seg("A", "Welkom allemaal."), seg("A", "Bram, hoe meet ge dat?"), seg("C", "Met data.")]
    rows = conversation_evidence(segments, GUESTS)
    weights = {(e.speaker, e.rule): e.weight for e in rows}
    assert weights[("C", "vocative")] == 2.0
    assert weights[("A", "says-name")] < 0


def test_a_name_at_the_end_of_a_turn_is_an_answer_elsewhere_a_weak_one() -> None:
    long_intro = "Ellen Verhaegen is oprichter van Leerkorrel. " + "Daarover gaat het vandaag. " * 10
    segments = [seg("A", "Dag Ellen, welkom."), seg("B", "Dank je."), seg("A", long_intro), seg("C", "Ja."),
                seg("A", "Vandaag praat ik met Bram Goossens van Kompaswerk"), seg("C", "Klopt.")]
    rows = {(e.speaker, e.member.split()[0], e.rule, e.weight) for e in conversation_evidence(segments, GUESTS)
            if e.rule != "says-name"}
    assert rows == {("B", "Ellen", "vocative", 2.0), ("C", "Ellen", "answer", 0.5), ("C", "Bram", "answer", 1.0)}


def test_first_speech_is_the_host() -> None:
    assert rules(first_speech_evidence(["A", "B"], WALTER)) == {("A", "Walter Schroven", "first-speech")}
    assert first_speech_evidence(["A"], None) == []


def test_mention_order_follows_the_order_guests_were_named() -> None:
    segments = [seg("A", "Vandaag zijn Bram en Ellen te gast."), seg("B", "Dag."), seg("C", "Hallo.")]
    rows = mention_order_evidence(segments, ["A", "B", "C"], GUESTS, host_label="A")
    assert rules(rows) == {("B", "Bram Goossens", "mention-order"), ("C", "Ellen Verhaegen", "mention-order")}


# --- the resolver ---------------------------------------------------------------------------


def test_matrix_sums_evidence_per_member_and_speaker() -> None:
    rows = [Evidence("B", "Ellen Verhaegen", "answer", 1.0), Evidence("B", "Ellen Verhaegen", "vocative", 2.0),
            Evidence("Z", "Ellen Verhaegen", "answer", 9.0)]  # unknown speaker: ignored
    matrix = evidence_matrix([ELLEN, BRAM], ["B", "C"], rows)
    assert matrix.tolist() == [[3.0, 0.0], [0.0, 0.0]]


def test_one_assignment_beats_greedy_choices() -> None:
    # Greedy would give B to Ellen (3.0) and leave C with Bram (0); the assignment maximises the total.
    rows = [Evidence("B", "Ellen Verhaegen", "answer", 3.0), Evidence("B", "Bram Goossens", "answer", 2.5),
            Evidence("C", "Ellen Verhaegen", "answer", 2.8), Evidence("C", "Bram Goossens", "says-name", -1.0)]
    found = resolve([ELLEN, BRAM], ["B", "C"], rows, closed=False)
    assert {label: a.member.name for label, a in found.items()} == {"B": "Bram Goossens", "C": "Ellen Verhaegen"}


def test_each_member_at_most_once_and_a_guest_who_never_speaks_stays_out() -> None:
    rows = [Evidence("B", "Ellen Verhaegen", "self-introduction", 4.0),
            Evidence("C", "Stefanie Claes", "vocative", 2.0), Evidence("C", "Ellen Verhaegen", "answer", 1.0)]
    found = resolve(GUESTS, ["B", "C"], rows, closed=True)
    assert {label: a.member.name for label, a in found.items()} == {"B": "Ellen Verhaegen", "C": "Stefanie Claes"}
    assert found["B"].confidence >= LOW_CONFIDENCE
    assert [e.rule for e in found["C"].evidence] == ["vocative"]


def test_closed_cast_names_without_evidence_but_with_low_confidence() -> None:
    found = resolve([ELLEN, BRAM], ["B", "C"], [], closed=True)
    assert set(found) == {"B", "C"}
    assert all(a.confidence < LOW_CONFIDENCE and a.source == "sidecar" for a in found.values())


def test_closed_cast_does_not_guess_among_more_members_than_speakers() -> None:
    # Three guests, two speakers, one of them named by evidence: the other stays "Gast N".
    found = resolve(GUESTS, ["B", "C"], [Evidence("B", "Bram Goossens", "vocative", 2.0)], closed=True)
    assert list(found) == ["B"]


def test_closed_cast_leaves_a_speaker_unnamed_when_evidence_rules_everyone_out() -> None:
    rows = [Evidence("C", "Ellen Verhaegen", "voiceprint", -2.0), Evidence("B", "Ellen Verhaegen", "answer", 1.0),
            Evidence("C", "Bram Goossens", "voiceprint", -2.0)]
    found = resolve([ELLEN, BRAM], ["B", "C"], rows, closed=True)
    assert list(found) == ["B"]


def test_open_cast_needs_positive_evidence() -> None:
    rows = [Evidence("B", "Ellen Verhaegen", "answer", 0.5), Evidence("C", "Bram Goossens", "vocative", 2.0)]
    found = resolve([ELLEN, BRAM], ["B", "C"], rows, closed=False)
    assert list(found) == ["C"] and found["C"].source == "conversation"


def test_confidence_falls_with_a_close_runner_up() -> None:
    clear = resolve([ELLEN, BRAM], ["B"], [Evidence("B", "Ellen Verhaegen", "self-introduction", 4.0)], closed=True)
    close = resolve([ELLEN, BRAM], ["B"], [Evidence("B", "Ellen Verhaegen", "answer", 1.0),
                                           Evidence("B", "Bram Goossens", "answer", 0.5)], closed=True)
    assert clear["B"].confidence == 1.0 and close["B"].confidence < LOW_CONFIDENCE


def test_naming_oneself_in_a_self_introduction_is_no_evidence_against() -> None:
    segments = [seg("A", "Welkom."), seg("B", "Ik ben Bram van Kompaswerk. Ik ben bram, ja."), seg("A", "Fijn.")]
    rows = [e for e in conversation_evidence(segments, GUESTS) if e.speaker == "B"]
    assert not any(e.rule == "says-name" for e in rows)


def test_a_speaker_presenting_their_organisation_is_its_guest() -> None:
    segments = [seg("A", "Welkom bij Kompaswerk en Leerkorrel."), seg("B", "Ik ben van mannedwee Kompaswerk."),
                seg("C", "Ik werk bij Leerkorrel, al tien jaar."), seg("D", "Kompaswerk doet dat ook.")]
    rows = organisation_evidence(segments, GUESTS)
    assert rules(rows) == {("B", "Bram Goossens", "own-organisation"), ("C", "Ellen Verhaegen", "own-organisation")}
    shared = [ELLEN, CastMember("Jan Peeters", Role.GUEST, "Leerkorrel")]  # colleagues: says nothing
    assert organisation_evidence(segments, shared) == []
