from __future__ import annotations

import json
from pathlib import Path

import srt
import webvtt

from podpipe.domain import Episode, Role, Segment, Speaker, Transcript, Word
from podpipe.exports.transcripts import caption_cues, to_srt, to_txt, to_vtt, write_transcript_files
from podpipe.io import read_transcript, transcript_to_dict


def _words(start: float, text: str, step: float = 0.4) -> list[Word]:
    return [
        Word(start=start + i * step, end=start + (i + 1) * step - 0.05, text=f" {w}", probability=0.9)
        for i, w in enumerate(text.split())
    ]


def make_transcript() -> Transcript:
    episode = Episode(id="ab" * 32, slug="ep", source=Path("/audio/ep.mp3"), duration=20.0)
    host = "Welkom bij de podcast. Vandaag praten we over <script>alert(1)</script> leren."
    guest = "Dank je. Leren & werken gaan samen."
    segments = [
        Segment(start=0.0, end=5.0, text=host, words=_words(0.0, host), speaker="SPEAKER_00"),
        Segment(start=5.0, end=8.0, text=guest, words=_words(5.0, guest), speaker="SPEAKER_01"),
        Segment(start=8.0, end=9.0, text="Precies.", words=_words(8.0, "Precies."), speaker="SPEAKER_01"),
    ]
    speakers = [
        Speaker("SPEAKER_00", name="Walter Schroven", organisation="VOV", role=Role.HOST),
        Speaker("SPEAKER_01"),
    ]
    return Transcript(episode=episode, segments=segments, language="nl", speakers=speakers)


def test_vtt_has_voice_tags_and_escapes_markup() -> None:
    text = to_vtt(make_transcript())
    assert text.startswith("WEBVTT\n")
    assert "<v Walter Schroven>Welkom bij de podcast." in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "Leren &amp; werken" in text
    parsed = webvtt.from_string(text)
    assert parsed.captions[0].voice == "Walter Schroven"
    assert parsed.captions[-1].voice == "SPEAKER_01"


def test_srt_names_speaker_on_change_only_and_has_no_bom() -> None:
    text = to_srt(make_transcript())
    assert not text.startswith("\ufeff")
    subtitles = list(srt.parse(text))
    assert subtitles[0].content.startswith("Walter Schroven: Welkom")
    guest_cues = [s.content for s in subtitles if "Dank je" in s.content or "Precies" in s.content]
    assert guest_cues[0].startswith("SPEAKER_01: ")
    assert not guest_cues[-1].startswith("SPEAKER_01:"), "same speaker again: no repeated prefix"
    assert [s.index for s in subtitles] == list(range(1, len(subtitles) + 1))


def test_cues_break_after_sentences_and_stay_short() -> None:
    transcript = make_transcript()
    long_text = " ".join(["woord"] * 60)
    transcript.segments.append(
        Segment(start=9.0, end=33.0, text=long_text, words=_words(9.0, long_text), speaker="SPEAKER_00")
    )
    cues = caption_cues(transcript)
    assert cues[0].text == "Welkom bij de podcast."
    assert all(len(cue.text) <= 84 and cue.end - cue.start <= 7.0 for cue in cues)
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:]))


def test_txt_is_one_paragraph_per_turn() -> None:
    text = to_txt(make_transcript())
    paragraphs = text.strip().split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("[00:00] Walter Schroven: Welkom")
    assert paragraphs[1] == "[00:05] SPEAKER_01: Dank je. Leren & werken gaan samen. Precies."


def test_transcript_json_round_trips(tmp_path: Path) -> None:
    transcript = make_transcript()
    written = write_transcript_files(transcript, tmp_path)
    assert sorted(p.name for p in written) == [
        "transcript.html", "transcript.json", "transcript.srt", "transcript.txt", "transcript.vtt"]
    assert not list(tmp_path.glob(".*part")), "no temporary files left"
    data = json.loads((tmp_path / "transcript.json").read_text())
    segment = data["segments"][0]
    assert set(segment) >= {"start", "end", "speaker", "text", "words"}
    assert set(segment["words"][0]) >= {"start", "end", "text", "probability"}
    assert data["episode"]["id"] == "ab" * 32
    assert read_transcript(tmp_path / "transcript.json") == transcript
    assert transcript_to_dict(read_transcript(tmp_path / "transcript.json")) == data


def _long_transcript() -> Transcript:
    transcript = make_transcript()
    transcript.speakers[1] = Speaker("SPEAKER_01", name="Anna-Sofie Vandenbroucke-Willems", organisation="VOV")
    text = ("Leren op de werkvloer vraagt tijd, ruimte en een leidinggevende die meedenkt over wat "
            "medewerkers echt nodig hebben om te groeien in hun job en daarbuiten")
    transcript.segments.append(Segment(9.0, 30.0, text, _words(9.0, text, step=0.3), "SPEAKER_01"))
    return transcript


def test_srt_cues_are_at_most_two_lines_of_32_characters_label_included() -> None:
    subtitles = list(srt.parse(to_srt(_long_transcript())))
    for subtitle in subtitles:
        lines = subtitle.content.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 32 for line in lines), subtitle.content
    assert any(s.content.startswith("Anna-Sofie: ") for s in subtitles), "too long for a line: first name"
    words = " ".join(s.content.replace("\n", " ") for s in subtitles)
    assert "meedenkt over wat medewerkers" in " ".join(words.split())


def test_vtt_lines_are_at_most_65_characters_tag_and_escapes_included() -> None:
    text = to_vtt(_long_transcript())
    body = text.split("\n\n", 1)[1]
    for line in body.splitlines():
        assert len(line) <= 65, line
    assert len(webvtt.from_string(text).captions) >= 4
