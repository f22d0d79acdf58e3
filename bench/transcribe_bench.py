"""Transcription benchmark: word error rate and speed on real Flemish read speech.

Joins the 150 utterances of ``$PODPIPE_SHARED/audio/flemish-read-speech`` into episode-length files
(with short pauses, as speech in an episode has) and transcribes them with podpipe's transcription
stage (the cast told to Whisper as hotwords, as the prompt, or not at all; batched and sequential)
and, in the same run, with plain faster-whisper on the same model and files.

Then the prompt leak: 30 s clips of faint noise with one utterance (3-5 s) in the middle, transcribed
with each kind of hint, with and without podpipe's leak guard; counted are segments made of hint
words only (the leak) and words that are not in the utterance.

    .venv/bin/python bench/transcribe_bench.py [--group-seconds 120] [--json bench/results/transcribe.json]

WER: lower-cased, punctuation removed, jiwer over the whole corpus. Speed: wall seconds per audio
second (real-time factor). Peak memory: the process' maximum resident set size.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import resource
import sys
import tempfile
import time
import unicodedata
import wave
from pathlib import Path

import jiwer
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel

from podpipe.cast import build_cast, describe
from podpipe.config import load_settings
from podpipe.domain import Episode, NormalisedAudio
from podpipe.models import offline_environment
from podpipe.models.whisper import load_whisper
from podpipe.stages import ingest as audio
from podpipe.stages.naming.correct import fold
from podpipe.stages.transcribe import hint_words, transcribe

PAUSE = 0.6  # seconds of silence between utterances


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text.lower())
    text = re.sub(r"[^\w\s'-]", " ", text)  # keep letters, digits, apostrophes and hyphens inside words
    text = re.sub(r"(?<!\w)['-]|['-](?!\w)", " ", text)
    return " ".join(text.split())


def utterances(shared: Path, work: Path) -> list[tuple[np.ndarray, str]]:
    """Every utterance as a 16 kHz waveform with its text (normalised once, reused from ``work``)."""
    speech = shared / "audio" / "flemish-read-speech"
    with (speech / "metadata.csv").open(encoding="utf-8") as handle:
        rows = [(row[0], row[1]) for row in csv.reader(handle, delimiter="|") if row]
    found = []
    for utterance_id, text in rows:
        source = speech / "wavs" / f"{utterance_id}.wav"
        episode = Episode(id=utterance_id, slug=utterance_id, source=source, duration=audio.probe(source).duration)
        found.append((audio.load_waveform(audio.normalise(episode, work / "utterances")), text))
    return found


def build_corpus(shared: Path, group_seconds: float, work: Path) -> list[tuple[Path, str, float]]:
    """Episode-length 16 kHz WAV files with their reference text and duration."""
    speech = shared / "audio" / "flemish-read-speech"
    with (speech / "metadata.csv").open(encoding="utf-8") as handle:
        rows = [(row[0], row[1]) for row in csv.reader(handle, delimiter="|") if row]
    groups: list[list[tuple[np.ndarray, str]]] = [[]]
    length = 0.0
    for utterance_id, text in rows:
        source = speech / "wavs" / f"{utterance_id}.wav"
        episode = Episode(id=utterance_id, slug=utterance_id, source=source, duration=audio.probe(source).duration)
        samples = audio.load_waveform(audio.normalise(episode, work / "utterances"))
        if length + len(samples) / 16_000 > group_seconds and groups[-1]:
            groups.append([])
            length = 0.0
        groups[-1].append((samples, text))
        length += len(samples) / 16_000 + PAUSE
    corpus = []
    silence = np.zeros(int(PAUSE * 16_000), dtype=np.float32)
    for index, group in enumerate(groups):
        joined = np.concatenate([part for samples, _ in group for part in (samples, silence)])
        path = work / f"flemish-{index:02d}.wav"
        with wave.open(str(path), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(16_000)
            handle.writeframes((np.clip(joined, -1, 1) * 32767).astype("<i2").tobytes())
        corpus.append((path, " ".join(text for _, text in group), len(joined) / 16_000))
    return corpus


def score(name: str, hypotheses: list[str], references: list[str], wall: float, audio_seconds: float) -> dict:
    refs = [normalise_text(text) for text in references]
    hyps = [normalise_text(text) for text in hypotheses]
    wer = jiwer.wer(refs, hyps)
    result = {"system": name, "wer": round(wer, 4), "wall_s": round(wall, 1), "rtf": round(wall / audio_seconds, 4)}
    print(f"{name:<42} WER {100 * wer:5.1f} %   wall {wall:6.1f} s   {wall / audio_seconds:.3f} x audio")
    return result


def with_transcription(settings, **changes):
    return settings.model_copy(update={"transcription": settings.transcription.model_copy(update=changes)})


def near_silent_clips(corpus_utterances: list[tuple[np.ndarray, str]], count: int) -> list[tuple[np.ndarray, str]]:
    """30 s of faint noise (-60 dBFS) with one short utterance in the middle."""
    rng = np.random.default_rng(30)
    short = [(s, t) for s, t in corpus_utterances if 2.5 <= len(s) / 16_000 <= 5.0][:count]
    clips = []
    for samples, text in short:
        clip = (rng.normal(scale=0.001, size=30 * 16_000)).astype(np.float32)
        start = (len(clip) - len(samples)) // 2
        clip[start : start + len(samples)] += samples
        clips.append((clip, text))
    return clips


def leak_rows(settings, clips: list[tuple[np.ndarray, str]]) -> list[dict]:
    hints = hint_words(build_cast(settings))
    rows = []
    for batched in (True, False):
        for mode in ("prompt", "hotwords"):
            for guard in (False, True):
                run = with_transcription(settings, batched=batched, cast_hints=mode, hint_leak_guard=guard)
                leaked = extra = 0
                for index, (clip, text) in enumerate(clips):
                    episode = Episode(id=f"clip{index}", slug=f"clip{index}", source=Path("clip.wav"), duration=30.0)
                    segments = transcribe(describe(episode, run), clip, run.transcribe_config()).segments
                    said = set(normalise_text(text).split())
                    leaked += sum(1 for seg in segments if fold(seg.text) and all(
                        w in hints for w in fold(seg.text).split()))
                    extra += sum(1 for seg in segments for w in normalise_text(seg.text).split() if w not in said)
                row = {"mode": "batched" if batched else "sequential", "hints": mode, "guard": guard,
                       "clips": len(clips), "hint_only_segments": leaked, "words_not_said": extra}
                print(row)
                rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group-seconds", type=float, default=120.0)
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--skip-plain", action="store_true", help="only podpipe's stage")
    parser.add_argument("--leak-clips", type=int, default=8, help="near-silent clips for the leak measure")
    args = parser.parse_args()

    offline_environment()
    settings = load_settings()
    shared = Path(os.environ.get("PODPIPE_SHARED", settings.resolve(settings.paths.shared)))
    if not (shared / "audio" / "flemish-read-speech").is_dir():
        sys.exit(f"{shared}/audio/flemish-read-speech not found: set PODPIPE_SHARED")

    with tempfile.TemporaryDirectory() as tmp:
        corpus = build_corpus(shared, args.group_seconds, Path(tmp))
        audio_seconds = sum(duration for _, _, duration in corpus)
        references = [text for _, text, _ in corpus]
        cpu = platform.processor() or platform.machine()
        print(f"{len(corpus)} files, {audio_seconds:.0f} s of audio, {os.cpu_count()} cores, {cpu}")
        waveforms = {path: audio.load_waveform(NormalisedAudio(path, 16_000, duration)) for path, _, duration in corpus}
        load_whisper(settings.transcribe_config())  # load time is not transcription time

        results = []
        for batched in (True, False):
            for mode in ("none", "prompt", "hotwords"):
                run = with_transcription(settings, batched=batched, cast_hints=mode)
                started = time.perf_counter()
                hypotheses = []
                for path, _, duration in corpus:
                    episode = Episode(id=path.stem, slug=path.stem, source=path, duration=duration)
                    transcript = transcribe(describe(episode, run), waveforms[path], run.transcribe_config())
                    hypotheses.append(" ".join(segment.text for segment in transcript.segments))
                name = f"podpipe ({'batched' if batched else 'sequential'}, hints: {mode})"
                results.append(score(name, hypotheses, references, time.perf_counter() - started, audio_seconds))

        if not args.skip_plain:
            # Plain faster-whisper as its README loads it (its own thread count), on the same weights.
            weights = load_whisper(settings.transcribe_config()).path_or_name
            model = WhisperModel(weights, device="cpu", compute_type="int8")
            for name, plain in (("plain faster-whisper (sequential, nl)", model),
                                ("plain faster-whisper (batched, nl)", BatchedInferencePipeline(model))):
                started = time.perf_counter()
                hypotheses = []
                for path, _, _ in corpus:
                    segments, _ = plain.transcribe(str(path), language="nl", word_timestamps=True)
                    hypotheses.append(" ".join(segment.text.strip() for segment in segments))
                results.append(score(name, hypotheses, references, time.perf_counter() - started, audio_seconds))
        leaks = leak_rows(settings, near_silent_clips(utterances(shared, Path(tmp)), args.leak_clips))

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak_mb:.0f} MB")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"audio_seconds": audio_seconds, "files": len(corpus),
                                         "peak_rss_mb": round(peak_mb), "results": results, "leaks": leaks}, indent=2))


if __name__ == "__main__":
    main()
