"""Cast-name recall on the espeak-ng renderings, and the name-correction threshold.

1. Recall: the share of cast-name and organisation mentions in the reference text that the transcript
   spells canonically (each term counted at most as often as the reference has it), for plain
   faster-whisper and podpipe told the cast as hotwords, as the prompt or not at all; before and
   after podpipe's name correction. Files: the bundled demo (audio/demo, reference = the dialogue of
   scripts/make_demo.py) and the 686 s rendering of the hand-written episode in
   ``$PODPIPE_SHARED/transcripts`` (reference = its turns).
2. Threshold: for each similarity threshold, the recall after correction on those renderings, and
   the corrections made on the real Flemish read speech (which names nobody of a broad cast: every
   correction there is a false one), per 1000 words.

    PYTHONPATH=$PWD/src:$PWD .venv/bin/python bench/names_bench.py [--files demo,ep12] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import yaml
from faster_whisper import BatchedInferencePipeline

from bench.transcribe_bench import build_corpus
from podpipe.cast import build_cast
from podpipe.config import load_settings
from podpipe.domain import Cast, CastMember, Episode, NormalisedAudio, Role, Transcript
from podpipe.models import offline_environment
from podpipe.models.whisper import load_whisper
from podpipe.stages import ingest as audio
from podpipe.stages.naming.correct import cast_terms, correct_names
from podpipe.stages.transcribe import hint_options, transcribe

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.70, 0.75, 0.80, 0.84, 0.88, 0.92, 1.0)
# Beside the renderings' casts, people and organisations of the kind the show has, so that the false
# corrections on real speech are counted against a cast larger than any one episode's.
EXTRA_PEOPLE = ("Jan Peeters", "Sofie Willox", "An Janssens", "Tom Maes", "Lotte Claes", "Pieter De Smet",
                "Karel Wouters", "Marie Jacobs", "Koen Mertens", "Els Willems", "Stefanie Claes")
EXTRA_ORGANISATIONS = ("Kind en Gezin", "Syntra", "VDAB", "Leerpunt", "Learning Lab Vlaanderen",
                       "Agentschap Onderwijs")


def mentions(text: str, cast: Cast) -> dict[str, int]:
    """Occurrences of each cast term spelt canonically, longest terms first, none counted twice."""
    counts: dict[str, int] = {}
    for term in sorted(cast_terms(cast), key=lambda t: -len(t.text)):
        pattern = re.compile(rf"(?<!\w){re.escape(term.text)}(?!\w)")
        text, found = pattern.subn(" \u2588 ", text)
        if found:
            counts[term.text] = found
    return counts


def recall(hypothesis: str, reference: str, cast: Cast) -> tuple[float, int, int]:
    ref, hyp = mentions(reference, cast), mentions(hypothesis, cast)
    total = sum(ref.values())
    hit = sum(min(count, hyp.get(term, 0)) for term, count in ref.items())
    return (hit / total if total else 1.0), hit, total


def demo_file() -> tuple[Path, str, Cast]:
    sys.path.insert(0, str(ROOT))
    from scripts.make_demo import DIALOGUE

    source = ROOT / "audio" / "demo" / "demo-aflevering.mp3"
    sidecar = yaml.safe_load(source.with_suffix(".yaml").read_text(encoding="utf-8"))
    return source, " ".join(text for _, _, text in DIALOGUE), build_cast(None, sidecar)


def ep12_file(shared: Path) -> tuple[Path, str, Cast]:
    data = json.loads((shared / "transcripts" / "vov-ep12-microleren.json").read_text(encoding="utf-8"))
    host = next(s for s in data["speakers"] if s["role"] == "host")
    sidecar = {"host": {"name": host["name"], "organisation": host["organisation"]},
               "guests": [{"name": s["name"], "organisation": s["organisation"]}
                          for s in data["speakers"] if s["role"] == "guest"]}
    reference = " ".join(turn["text"] for turn in data["turns"])
    return shared / "transcripts" / "vov-ep12-microleren.espeak.mp3", reference, build_cast(None, sidecar)


def with_transcription(settings, **changes):
    return settings.model_copy(update={"transcription": settings.transcription.model_copy(update=changes)})


def run_recall(files, settings, modes, work: Path) -> tuple[list[dict], dict[str, Transcript]]:
    rows, kept = [], {}
    model = load_whisper(settings).model
    for name, (source, reference, cast) in files.items():
        episode = audio.describe_episode(source)
        waveform = audio.load_waveform(audio.normalise(episode, work))
        started = time.perf_counter()
        segments, _ = BatchedInferencePipeline(model).transcribe(waveform, language="nl", word_timestamps=True)
        text = " ".join(s.text.strip() for s in segments)
        rows.append(_row(name, "plain faster-whisper (batched)", text, reference, cast, time.perf_counter() - started))
        for batched, hints in modes:
            run = with_transcription(settings, batched=batched, cast_hints=hints)
            started = time.perf_counter()
            transcript = transcribe(episode, waveform, run, cast=cast)
            wall = time.perf_counter() - started
            system = f"podpipe ({'batched' if batched else 'sequential'}, hints: {hints})"
            rows.append(_row(name, system, _text(transcript), reference, cast, wall))
            corrected = correct_names(transcript, cast)
            rows.append(_row(name, system + " + correction", _text(corrected), reference, cast, wall,
                             corrections=sum(c.method != "case" for c in corrected.corrections)))
            if batched and hints == settings.transcription.cast_hints:
                kept[name] = transcript
    return rows, kept


def _text(transcript: Transcript) -> str:
    return " ".join(s.text for s in transcript.segments)


def _row(file: str, system: str, text: str, reference: str, cast: Cast, wall: float, **extra) -> dict:
    share, hit, total = recall(text, reference, cast)
    row = {"file": file, "system": system, "recall": round(share, 3), "hits": hit, "mentions": total,
           "wall_s": round(wall, 1), **extra}
    print(f"{file:<6} {system:<52} recall {100 * share:5.1f} % ({hit}/{total})"
          + (f"  corrections {extra['corrections']}" if "corrections" in extra else ""), flush=True)
    return row


def broad_cast(files) -> Cast:
    members = {m.name: m for _, _, cast in files.values() for m in cast.members}
    for name in EXTRA_PEOPLE:
        members.setdefault(name, CastMember(name, Role.GUEST))
    organisations = {o for _, _, cast in files.values() for o in cast.organisations} | set(EXTRA_ORGANISATIONS)
    return Cast(guests=tuple(members.values()), organisations=tuple(sorted(organisations)), closed=True)


def run_thresholds(files, kept: dict[str, Transcript], settings, shared: Path, work: Path) -> list[dict]:
    corpus = build_corpus(shared, 120.0, work)
    flemish = []
    for path, _, duration in corpus:
        episode = Episode(id=path.stem, slug=path.stem, source=path, duration=duration)
        flemish.append(transcribe(episode, audio.load_waveform(NormalisedAudio(path, 16_000, duration)), settings))
    cast = broad_cast(files)
    words = sum(len(s.text.split()) for t in flemish for s in t.segments)
    rows = []
    for threshold in THRESHOLDS:
        false = [c for t in flemish for c in correct_names(t, cast, threshold).corrections if c.method != "case"]
        row = {"threshold": threshold, "false_corrections_real_speech": len(false),
               "per_1000_words": round(1000 * len(false) / max(words, 1), 2),
               "examples": sorted({f"{c.heard} -> {c.canonical}" for c in false})[:8]}
        for name, transcript in kept.items():
            _, reference, own = files[name]
            corrected = _text(correct_names(transcript, own, threshold))
            row[f"recall_{name}"] = round(recall(corrected, reference, own)[0], 3)
        print(row, flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default="demo,ep12")
    parser.add_argument("--sequential", action="store_true", help="also sequential decoding (slow on ep12)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    offline_environment()
    settings = load_settings()
    shared = Path(os.environ.get("PODPIPE_SHARED", settings.resolve(settings.paths.shared)))
    available = {"demo": demo_file}
    if (shared / "transcripts").is_dir():
        available["ep12"] = lambda: ep12_file(shared)
    files = {name: available[name]() for name in args.files.split(",") if name in available}
    modes = [(True, h) for h in ("none", "prompt", "hotwords")]
    if args.sequential:
        modes += [(False, h) for h in ("none", "prompt", "hotwords")]
    assert hint_options  # the options the bench compares are podpipe's own
    with tempfile.TemporaryDirectory() as tmp:
        rows, kept = run_recall(files, settings, modes, Path(tmp))
        thresholds = run_thresholds(files, kept, settings, shared, Path(tmp))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"recall": rows, "thresholds": thresholds}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
