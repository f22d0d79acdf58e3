"""Transcript corrections as a layer over the ASR: word times kept, quotes kept verbatim, find and replace."""

from __future__ import annotations

from pathlib import Path

from podpipe.domain import Episode, Quote, Section, Segment, ShowNotes, Speaker, Transcript, Word
from podpipe.review.corrections import (
    apply_corrections,
    apply_hits,
    corrected_quotes,
    find_hits,
    quote_edit_corrections,
    substitutions,
)


def transcript() -> Transcript:
    words = [Word(10 + i, 10.9 + i, f" {t}", 0.3 if t == "Wilox" else 0.9, "S1")
             for i, t in enumerate("dat zei Sofie Wilox gisteren".split())]
    segment = Segment(10.0, 15.0, " dat zei Sofie Wilox gisteren", words, "S1")
    episode = Episode("e" * 64, "ep", Path("/x.wav"), 20.0)
    return Transcript(episode, [segment, Segment(15.0, 20.0, " en toen niet", [], "S2")], "nl",
                      [Speaker("S1", "Sofie"), Speaker("S2")])


def test_same_number_of_words_keeps_every_time_and_marks_the_changed_word_certain() -> None:
    fixed = apply_corrections(transcript(), {0: "dat zei Sofie Willox gisteren"})
    words = fixed.segments[0].words
    assert [w.text.strip() for w in words] == ["dat", "zei", "Sofie", "Willox", "gisteren"]
    assert [(w.start, w.end) for w in words] == [(w.start, w.end) for w in transcript().segments[0].words]
    assert words[3].probability == 1.0 and words[0].probability == 0.9
    assert fixed.segments[0].text == " dat zei Sofie Willox gisteren"


def test_split_joined_and_removed_words_share_the_old_time() -> None:
    fixed = apply_corrections(transcript(), {0: "dat zei Sofie Wil Lox", 1: "en toen wel"})
    words = fixed.segments[0].words
    assert [w.text.strip() for w in words] == ["dat", "zei", "Sofie", "Wil", "Lox"]
    assert words[3].start == 13.0 and words[-1].end == 14.9, "the replaced span's time, shared"
    assert all(a.end <= b.start + 1e-6 for a, b in zip(words, words[1:]))
    assert [w.text.strip() for w in fixed.segments[1].words] == ["en", "toen", "wel"], "no word times: spread"
    assert transcript().segments[0].words[3].text == " Wilox", "the ASR itself is untouched"


def test_quotes_over_a_corrected_line_follow_it() -> None:
    before = transcript()
    after = apply_corrections(before, {0: "dat zei Sofie Willox gisteren"})
    notes = ShowNotes("t", "i", [Section("h", [], [Quote("S1", "zei Sofie Wilox", 11.0, 14.0),
                                                    Quote("S2", "Wilox", 16.0, 17.0)])], "c")
    quotes = corrected_quotes(notes, before, after).sections[0].quotes
    assert quotes[0].text == "zei Sofie Willox" and quotes[1].text == "Wilox", "only quotes over that line"


def test_a_quote_edit_becomes_a_line_correction() -> None:
    quote = Quote("S1", "zei Sofie Wilox", 11.0, 14.0)
    assert quote_edit_corrections(transcript(), quote, "zei Sofie Willox") == {0: "dat zei Sofie Willox gisteren"}
    assert substitutions("a b c", "a x c") == [("b", "x")]


def test_find_and_replace_sees_transcript_and_draft_and_applies_only_the_chosen() -> None:
    notes = ShowNotes("Wilox", "Over Wilox.", [Section("Wilox?", ["Wiloxen niet."])], "c")
    hits = find_hits(notes, transcript(), "wilox", "Willox")
    assert [h.field for h in hits] == ["title", "intro", "s0-heading", "line:0"], "whole words, any case"
    assert find_hits(notes, transcript(), "Wilox", "W", whole_words=False)[3].field == "s0-p0"
    new, lines = apply_hits(notes, [h for h in hits if h.field in ("intro", "line:0")])
    assert new.intro == "Over Willox." and new.title == "Wilox"
    assert lines == {0: "dat zei Sofie Willox gisteren"}
