"""The review app's merge, layout and labels without a browser: fast checks of what the Chromium tests
(tests/test_workbench_*.py) drive through the page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from podpipe.domain import Episode, Quote, Section, Segment, ShowNotes, Speaker, Transcript, Word
from podpipe.review.i18n import translator
from podpipe.review.labels import field_label, note_label, when
from podpipe.review.merge import three_way
from podpipe.review.store import laid_out


def _notes(title: str = "T", heading: str = "H1", paragraph: str = "P2") -> ShowNotes:
    return ShowNotes(title, "intro", [Section(heading, ["P1"], [Quote("S1", "q", 1.0, 2.0)]),
                                      Section("H2", [paragraph])], "slot")


def test_a_choice_settles_only_the_clash_and_every_other_change_stays() -> None:
    base = _notes()
    theirs = _notes(title="Titel van A", heading="Kop van A")
    mine = _notes(heading="Kop van B", paragraph="Alinea van B")
    speakers = [Speaker("S1", "Sofie")]
    merged = three_way(base, speakers, {}, theirs, speakers, {1: "a"}, mine, speakers, {2: "b"})
    assert merged.conflicts == ["section:1:heading"]
    assert merged.from_mine == ["section:2:paragraphs", "line:3"]
    assert merged.from_theirs == ["title", "line:2"]
    for choice, heading in (("mine", "Kop van B"), ("theirs", "Kop van A")):
        settled = three_way(base, speakers, {}, theirs, speakers, {1: "a"}, mine, speakers, {2: "b"},
                            {"section:1:heading": choice})
        assert not settled.clashes and settled.notes.sections[0].heading == heading
        assert settled.notes.title == "Titel van A" and settled.notes.sections[1].paragraphs == ["Alinea van B"]
        assert settled.corrections == {1: "a", 2: "b"}


def test_moved_lines_and_joins_merge_per_line() -> None:
    notes, speakers = _notes(), [Speaker("S1"), Speaker("S2")]
    merged = three_way(notes, speakers, {}, notes, speakers, {}, notes, speakers, {},
                       line_speakers=({}, {0: "S2"}, {3: "S1"}), joins=([], [1], [4]))
    assert merged.line_speakers == {0: "S2", 3: "S1"} and merged.joins == [1, 4] and not merged.clashes
    clash = three_way(notes, speakers, {}, notes, speakers, {}, notes, speakers, {},
                      line_speakers=({}, {0: "S2"}, {0: "S1"}))
    assert clash.conflicts == ["line-speaker:1"]


def _segment(start: float, speaker: str, text: str) -> Segment:
    words = [Word(start + i, start + i + 1, f" {t}", 0.9, speaker) for i, t in enumerate(text.split())]
    return Segment(start, start + len(words), " " + text.replace("\n", " "), words, speaker)


def test_a_line_break_splits_a_line_and_a_join_makes_one_of_two() -> None:
    segments = [_segment(0, "S1", "een twee drie"), _segment(3, "S1", "vier vijf"), _segment(5, "S2", "zes")]
    segments[0] = Segment(0, 3, " een twee\ndrie", segments[0].words, "S1")
    episode = Episode("e" * 64, "ep", Path("/x.wav"), 6.0)
    transcript = Transcript(episode, segments, "nl", [Speaker("S1"), Speaker("S2")])
    result = laid_out(transcript, [0, 1])  # 1 -> 2 is two speakers: not joined
    assert [" ".join(s.text.split()) for s in result.segments] == ["een twee", "drie vier vijf", "zes"]
    assert [(s.start, s.end) for s in result.segments] == [(0, 2), (2, 5), (5, 6)]
    assert [w.text.strip() for w in result.segments[1].words] == ["drie", "vier", "vijf"]


def test_notes_fields_and_times_read_in_dutch() -> None:
    t = translator("nl")
    assert note_label(t, "replace 'Katleen' -> 'Kathleen'") == "vervangen: ‘Katleen’ → ‘Kathleen’", "old English notes"
    assert note_label(t, "replace", {"find": "a", "replace": "b"}) == "vervangen: ‘a’ → ‘b’"
    assert note_label(t, "merge of 0003-20260101T000000Z.json").startswith("samengevoegd met het werk van een collega")
    assert field_label(t, "section:2:heading") == "sectie 2: kop"
    assert field_label(t, "speaker:S2", [Speaker("S2", "Katleen Peeters")]) == "spreker Katleen Peeters"
    assert field_label(t, "line:5") == "transcriptregel 5"
    zone = ZoneInfo("Europe/Brussels")
    assert when("2026-07-01T10:00:00+00:00", zone) == "2026-07-01 12:00 CEST"
    assert when("2026-01-15T10:00:00", zone) == "2026-01-15 11:00 CET", "times without an offset were UTC"
    assert dt.datetime.fromisoformat("2026-01-15T11:00:00+01:00").utcoffset() == dt.timedelta(hours=1)
