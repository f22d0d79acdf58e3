"""Render the bundled demo episode (audio/demo/) with espeak-ng: three Dutch voices, one per speaker.

    python scripts/make_demo.py            # writes audio/demo/demo-aflevering.mp3 and its .rttm

Synthetic speech transcribes far worse than a real voice (Whisper base: roughly 45-70 % word error
rate on espeak-ng Dutch), so the demo shows the pipeline, not its accuracy.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import wave
from pathlib import Path

import ffmpeg

# (speaker, espeak-ng voice, text). Slower speech with word gaps transcribes noticeably better.
DIALOGUE = [
    ("Walter", "nl+m3",
     "Welkom bij de demo van de podcast over leren en ontwikkelen. Ik ben Walter, de host. "
     "Vandaag praat ik met Ellen van Leerkorrel en met Bram van Kompaswerk."),
    ("Ellen", "nl+f3",
     "Dank je, Walter. Ik ben Ellen, en bij Leerkorrel helpen we organisaties met korte lessen "
     "voor nieuwe medewerkers."),
    ("Walter", "nl+m3", "Ellen, waarom werken korte lessen zo goed op de werkvloer?"),
    ("Ellen", "nl+f3",
     "Omdat mensen leren op het moment dat ze een vraag hebben. Een korte video van twee minuten "
     "helpt dan meer dan een handboek van tachtig bladzijden."),
    ("Bram", "nl+m7",
     "Ik ben Bram van Kompaswerk. Ik meet wat leren oplevert, en dat begint altijd met een "
     "duidelijke vraag van het team."),
    ("Walter", "nl+m3", "Dank jullie wel voor dit gesprek. Tot de volgende aflevering."),
]
PAUSE_SECONDS = 0.6


def render(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "demo-aflevering.mp3"
    rttm_lines = []
    with tempfile.TemporaryDirectory() as tmp:
        pieces = []
        cursor = 0.0
        for index, (speaker, voice, text) in enumerate(DIALOGUE):
            piece = Path(tmp) / f"{index:02d}.wav"
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", "135", "-g", "4", "-w", str(piece), text], check=True
            )
            with wave.open(str(piece)) as handle:
                duration = handle.getnframes() / handle.getframerate()
            rttm_lines.append(
                f"SPEAKER demo-aflevering 1 {cursor:.3f} {duration:.3f} <NA> <NA> {speaker} <NA> <NA>"
            )
            cursor += duration + PAUSE_SECONDS
            pieces.append(piece)
        streams = []
        for piece in pieces:
            streams.append(ffmpeg.input(str(piece)).audio.filter("apad", pad_dur=PAUSE_SECONDS))
        joined = ffmpeg.concat(*streams, v=0, a=1)
        (
            ffmpeg.output(joined, str(target), ac=1, ar=22050, audio_bitrate="48k")
            .global_args("-nostdin", "-hide_banner", "-v", "error")
            .run(overwrite_output=True)
        )
    (out_dir / "demo-aflevering.rttm").write_text("\n".join(rttm_lines) + "\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "audio" / "demo")
    print(render(parser.parse_args().out))


if __name__ == "__main__":
    main()
