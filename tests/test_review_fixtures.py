"""A hand-made episode folder for the review app tests (no models): imported by tests/test_review_*.py."""

from __future__ import annotations

import struct
import wave
import zlib
from pathlib import Path

from podpipe.cast import described
from podpipe.catalog import Catalog, Status
from podpipe.config import Settings
from podpipe.domain import Analysis, Episode, Quote, Role, Section, Segment, ShowNotes, Speaker, Theme, Transcript, Word
from podpipe.exports.layout import episode_output_dir, publish
from podpipe.exports.podcasting import write_podcasting_files
from podpipe.exports.shownotes import write_show_notes
from podpipe.exports.transcripts import write_transcript_files
from podpipe.io import ANALYSIS

SLUG = "ep-042-groeien"
EVIL = "<script>window.pwned=1</script>"


def _png(width: int = 4, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


LOW = {"Gro", "Wilox?"}  # misheard words: Whisper was unsure of them


def _segment(start: float, end: float, speaker: str, text: str) -> Segment:
    words, step = [], (end - start) / max(len(text.split()), 1)
    for i, token in enumerate(text.split()):
        probability = 0.3 if token in LOW else 0.9
        words.append(Word(start + i * step, start + (i + 1) * step, " " + token, probability, speaker))
    return Segment(start, end, " " + text, words, speaker)


def build_episode(root: Path) -> tuple[Path, Catalog, str]:
    """output root with one draft-ready episode; returns (output_root, catalog, episode id)."""
    output_root = root / "output"
    output_root.mkdir(parents=True)
    audio = root / "inbox" / f"{SLUG}.wav"
    audio.parent.mkdir()
    with wave.open(str(audio), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(b"\x00\x00" * 8000 * 40)
    episode = Episode(id="a" * 64, slug=SLUG, source=audio, duration=40.0, title="Groeien")
    transcript = Transcript(
        episode=episode, language="nl",
        segments=[
            _segment(0.0, 6.0, "SPEAKER_00", "Welkom bij de podcast over groeien."),
            _segment(6.0, 14.0, "SPEAKER_01", "Dank je. Bij So We Gro begint groei altijd bij de mensen zelf."),
            _segment(14.0, 22.0, "SPEAKER_00", f"Wat bedoel je daarmee, Sofie Wilox? {EVIL}"),
            _segment(22.0, 32.0, "SPEAKER_01", "Je moet eerst luisteren voor je iets verandert in een organisatie."),
            _segment(32.0, 40.0, "SPEAKER_02", "En de cijfers volgen vanzelf als het team meegaat."),
        ],
        speakers=[Speaker("SPEAKER_00", None, None, Role.HOST), Speaker("SPEAKER_01", "Gast 1"),
                  Speaker("SPEAKER_02", EVIL)],
    )
    themes = [Theme("Mensen eerst", ["mensen"], 6.0, 22.0, [1, 2]),
              Theme("Veranderen", ["luisteren"], 22.0, 40.0, [3, 4])]
    quotes = [
        Quote("SPEAKER_01", "Bij So We Gro begint groei altijd bij de mensen zelf.", 8.0, 14.0, 0),
        Quote("SPEAKER_00", "Wat bedoel je daarmee, Sofie Wilox?", 14.0, 17.0, 0),
        Quote("SPEAKER_01", "Je moet eerst luisteren voor je iets verandert.", 22.0, 30.0, 1),
        Quote("SPEAKER_02", "De cijfers volgen vanzelf als het team meegaat.", 32.0, 40.0, 1),
    ]
    out_dir = episode_output_dir(episode, output_root)
    write_transcript_files(transcript, out_dir)
    ANALYSIS.write(out_dir / "analysis.json", Analysis(themes=themes, quotes=quotes))
    publish(out_dir, "speakers.png", _png())
    publish(out_dir, "diarization.rttm", "".join(
        f"SPEAKER {SLUG} 1 {s.start:.3f} {s.end - s.start:.3f} <NA> <NA> {s.speaker} <NA> <NA>\n"
        for s in transcript.segments))
    # Names in free text, as the draft builder writes them; the review app turns them into speaker
    # references when it reads version 0.
    notes = ShowNotes(
        title="Groeien begint bij mensen", intro="Een gesprek met Gast 1 over groei.",
        sections=[
            Section("Mensen eerst", ["Gast 1 vertelt: groei begint bij de mensen."], [quotes[0]], ["mensen"], 6.0),
            Section("Veranderen", ["Luisteren voor je verandert."], [quotes[2]], ["luisteren"], 22.0),
        ],
        closing="Gast 1 bracht de eigen praktijk mee. Tot de volgende keer.",
    )
    settings = Settings()
    described_transcript = described(transcript, settings)  # the check box and the feed read its cast
    write_show_notes(notes, described_transcript, out_dir, settings.notes_config())
    write_podcasting_files(notes, described_transcript, out_dir, settings.show)
    catalog = Catalog.for_path(output_root / "catalog.sqlite")
    catalog.register(episode)
    catalog.set_status(episode.id, Status.DRAFT_READY, output_dir=out_dir, speakers=["SPEAKER_00", "SPEAKER_01"])
    failed = Episode(id="b" * 64, slug="kapot", source=root / "inbox" / "kapot.mp3", duration=0.0)
    catalog.register(failed)
    catalog.set_status(failed.id, Status.FAILED, error="ffprobe: invalid data found")
    return output_root, catalog, episode.id
