"""Render a labelled episode (speakers, turns) to speech with MBROLA voices, for audio-in benchmarks.

    .venv/bin/python bench/render_episode.py EPISODE.json [--out work/renderings]

Whisper base hears MBROLA voices at 24-30 % WER, about as well as much real conversation, where it hears
espeak-ng's own voices at 60-70 %: audio-in measures of the notes are taken on these renderings. Each
speaker gets an MBROLA Dutch voice (``mb-nl2`` male, ``mb-nl3`` female, from Debian's contrib/non-free
``mbrola-nl2``/``-nl3``) with its own pitch and speed; a third and fourth speaker reuse the two voices
with a vocal-tract warp, so that every speaker is a voice of their own, as in a real episode. The sidecar gives the
cast and the number of speakers, as a producer who fills one in would.

Writes ``<stem>.mbrola.wav`` (16 kHz mono), ``.mbrola.segments.json`` (each turn's start and end, in the
format of the shared espeak renderings' ``.espeak.segments.json``), ``.mbrola.rttm`` and a sidecar
``.mbrola.yaml`` with the episode's cast. The voices' licence allows no redistribution: the output goes
to the ignored ``work/`` folder and is never committed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.signal import resample_poly

RATE = 16000
# (voice, pitch 0-99, words per minute, vocal tract) per speaker in order of appearance. Whisper base hears
# mb-nl2 at 27 % WER and mb-nl3 at 32 % on ep14's turns 4-7; espeak-ng's mb-nl1 comes out as no speech
# Whisper can read (100 %), so the third and fourth speakers are the two voices again, made other
# people's voices by a vocal-tract warp: every frequency, formants included, scaled by the factor (a
# shorter tract above 1, a longer one below; the speed is divided by it beforehand so the pace stays
# near the given words per minute). Pitch alone is not enough: CAM++ gives a voice and its pitch-shifted
# self a cosine of 0.76-0.88, as high as one real speaker's own turns, so no diarisation can part them.
VOICES = [
    ("mb-nl2", 45, 165, 1.0),
    ("mb-nl3", 55, 160, 1.0),
    ("mb-nl2", 60, 148, 1.2),
    ("mb-nl3", 35, 172, 0.85),
]


def _speak(text: str, voice: str, pitch: int, speed: int, tract: float, folder: Path) -> np.ndarray:
    path = folder / "turn.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(round(speed / tract)), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    with wave.open(str(path)) as handle:
        rate, frames = handle.getframerate(), handle.readframes(handle.getnframes())
    audio = np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0
    if rate != RATE:  # MBROLA's Dutch voices speak at 16 kHz; anything else is resampled linearly
        positions = np.arange(0, len(audio), rate / RATE)
        audio = np.interp(positions, np.arange(len(audio)), audio).astype(np.float32)
    if tract != 1.0:  # played back faster (or slower) at the same rate: all frequencies times ``tract``
        up, down = Fraction(tract).limit_denominator(20).as_integer_ratio()
        audio = resample_poly(audio, down, up).astype(np.float32)
    voiced = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[voiced[0] : voiced[-1] + 1] if len(voiced) else audio


def render(episode: Path, out: Path, seed: int = 7) -> Path:
    if shutil.which("espeak-ng") is None or not Path("/usr/share/mbrola").is_dir():
        sys.exit("needs espeak-ng and MBROLA voices: apt-get install espeak-ng mbrola mbrola-nl2 mbrola-nl3")
    data = json.loads(episode.read_text(encoding="utf-8"))
    stem = episode.name.removesuffix(".json").removesuffix(".input")
    rng = random.Random(seed)
    order = list(dict.fromkeys(t["speaker"] for t in data["turns"]))
    voices = {speaker: VOICES[i % len(VOICES)] for i, speaker in enumerate(order)}
    names = {s["id"]: s.get("name") for s in data["speakers"]}
    pieces: list[np.ndarray] = [np.zeros(int(0.5 * RATE), dtype=np.float32)]
    cursor = 0.5
    segments: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, turn in enumerate(data["turns"]):
            voice, pitch, speed, tract = voices[turn["speaker"]]
            audio = _speak(turn["text"], voice, pitch, speed, tract, Path(tmp))
            start, end = cursor, cursor + len(audio) / RATE
            segments.append({"turn": index, "speaker": turn["speaker"], "name": names.get(turn["speaker"]),
                             "start": round(start, 3), "end": round(end, 3), "text": turn["text"]})  # fmt: skip
            pause = rng.uniform(0.3, 0.8)
            pieces += [audio, np.zeros(int(pause * RATE), dtype=np.float32)]
            cursor = end + int(pause * RATE) / RATE
    out.mkdir(parents=True, exist_ok=True)
    wav = out / f"{stem}.mbrola.wav"
    samples = np.clip(np.concatenate(pieces), -1, 1)
    with wave.open(str(wav), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes((samples * 32767).astype(np.int16).tobytes())
    voice_info = {s: {"voice": v, "pitch": p, "speed": sp, "tract": t} for s, (v, p, sp, t) in voices.items()}
    (out / f"{stem}.mbrola.segments.json").write_text(
        json.dumps({"audio": wav.name, "sample_rate": RATE, "duration_s": round(len(samples) / RATE, 3),
                    "voices": voice_info, "segments": segments}, ensure_ascii=False, indent=1),  # fmt: skip
        encoding="utf-8",
    )
    (out / f"{stem}.mbrola.rttm").write_text(
        "".join(
            f"SPEAKER {stem}.mbrola 1 {s['start']:.3f} {s['end'] - s['start']:.3f} <NA> <NA> {s['speaker']} <NA> <NA>\n"
            for s in segments
        ),
        encoding="utf-8",
    )
    host = next((s for s in data["speakers"] if s.get("role") == "host"), None)
    # no title: the draft's own title is what the notes benchmark reads
    sidecar: dict[str, Any] = {"number": data.get("episode_number"), "num_speakers": len(order)}
    if host:
        sidecar["host"] = {"name": host["name"], "organisation": host.get("organisation")}
    sidecar["guests"] = [
        {"name": s["name"], "organisation": s.get("organisation")} for s in data["speakers"] if s is not host
    ]
    (out / f"{stem}.mbrola.yaml").write_text(yaml.safe_dump(sidecar, allow_unicode=True), encoding="utf-8")
    return wav


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("episodes", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=Path("work/renderings"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for episode in args.episodes:
        print(render(episode, args.out, args.seed))


if __name__ == "__main__":
    main()
