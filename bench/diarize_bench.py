"""Diarisation benchmark: DER, speaker count, speed and peak memory on the shared audio.

    .venv/bin/python bench/diarize_bench.py                 # all files, settings' defaults
    .venv/bin/python bench/diarize_bench.py --files sample synth
    .venv/bin/python bench/diarize_bench.py --files ami sample synth ep12 flemish --oracle-count --table
    .venv/bin/python bench/diarize_bench.py --set clustering_threshold=0.65 --set min_cluster_size=8

Files (from ``$PODPIPE_SHARED``, default ``<repo>/../shared``):
* ``sample``  pyannote's 30 s two-speaker sample (real speech) and its RTTM;
* ``synth``   the 161 s three-speaker Dutch espeak-ng conversation and its RTTM;
* ``long10``  ~9.5 min built in memory: synth, sample, synth, sample, synth, sample, with both
              reference RTTMs shifted to match (5 speakers; the synthetic voices recur);
* ``trn02`` .. ``trn09`` (``ami``: all eight) 30 s excerpts of real English meetings (AMI corpus, via
              pyannote's debug protocol), 1-4 speakers with overlapping speech, scored on their UEM;
* ``ep12``    the 686 s espeak rendering of episode 12 and its RTTM (3 voices); not tuned on;
* ``flemish`` ~3 min of real read speech by ONE Flemish speaker: 60 utterances (silence-trimmed,
              24 kHz resampled to 16 kHz) joined by 0.6 s of low noise, each utterance a reference
              turn; not tuned on. It checks that real speech of one voice is not split.

DER is pyannote.metrics' DiarizationErrorRate without collar and with ``collar=0.25`` (pyannote's
convention: 0.25 s in all around each reference boundary, i.e. +-0.125 s); overlap is scored.
Each file runs in a fresh process, so peak RSS (``resource.getrusage``) and timings are its own;
wall time is the ``diarize()`` call alone, on a freshly loaded pipeline (model loading is
reported apart).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PODPIPE_SHARED", REPO.parent / "shared"))
SR = 16_000

FILES = {
    "sample": ("audio/pyannote-sample/sample.wav", "audio/pyannote-sample/sample.rttm"),
    "synth": ("audio/synthetic-nl-3speakers/synth_nl.wav", "audio/synthetic-nl-3speakers/synth_nl.rttm"),
    "ep12": ("transcripts/vov-ep12-microleren.espeak.mp3", "transcripts/vov-ep12-microleren.espeak.rttm"),
}
AMI = "audio/ami-debug-train"
AMI_FILES = [f"trn{i:02d}" for i in range(2, 10)]
GROUPS = {"ami": AMI_FILES, "all": [*AMI_FILES, "sample", "synth", "ep12", "flemish"]}
LONG_PARTS = ["synth", "sample", "synth", "sample", "synth", "sample"]
FLEMISH_UTTERANCES = 60
FLEMISH_GAP = 0.6


def read_wav(path: Path) -> np.ndarray:
    """16 kHz mono WAV, 16-bit PCM or 32-bit float (the AMI excerpts)."""
    from scipy.io import wavfile

    rate, audio = wavfile.read(path)
    assert rate == SR and audio.ndim == 1, path
    if audio.dtype == np.int16:
        return audio.astype(np.float32) / 32768.0
    return audio.astype(np.float32)


def read_mp3(path: Path) -> np.ndarray:
    raw = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-ac",
            "1",
            "-ar",
            str(SR),
            "-f",
            "s16le",
            "-",
        ],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def read_rttm(path: Path, offset: float = 0.0, uri: str | None = None) -> list[tuple[float, float, str]]:
    """Reference turns through podpipe's RTTM reader (pyannote.database's ``load_rttm``)."""
    sys.path.insert(0, str(REPO / "src"))
    from podpipe.exports.diarization import load_rttm

    annotations = load_rttm(path)
    chosen = [annotations[uri]] if uri is not None else list(annotations.values())
    return [
        (float(segment.start) + offset, float(segment.end) + offset, str(label))
        for annotation in chosen
        for segment, _, label in annotation.itertracks(yield_label=True)
    ]


def load(name: str) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    if name == "long10":
        pieces, reference, offset = [], [], 0.0
        for part in LONG_PARTS:
            audio, turns = load(part)
            pieces.append(audio)
            reference += [(s + offset, e + offset, f"{part}:{label}") for s, e, label in turns]
            offset += len(audio) / SR
        return np.concatenate(pieces), reference
    if name == "flemish":
        return _flemish()
    if name in AMI_FILES:
        audio = read_wav(SHARED / AMI / f"{name}.wav")
        return audio, read_rttm(SHARED / AMI / "train.rttm", uri=name)
    if name == "hour":
        # Peak memory of an hour: the ep12 rendering over and over (the same three voices), cut at 60 min.
        audio, turns = load("ep12")
        length, hour = len(audio) / SR, 3600.0
        repeats = int(np.ceil(hour / length))
        reference = [(s + i * length, min(e + i * length, hour), label)
                     for i in range(repeats) for s, e, label in turns if s + i * length < hour]
        return np.tile(audio, repeats)[: int(hour * SR)], reference
    audio_rel, rttm_rel = FILES[name]
    audio_path = SHARED / audio_rel
    audio = read_mp3(audio_path) if audio_path.suffix == ".mp3" else read_wav(audio_path)
    return audio, read_rttm(SHARED / rttm_rel)


def _flemish() -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    from scipy.signal import resample_poly

    folder = SHARED / "audio/flemish-read-speech/wavs"
    noise = np.random.default_rng(0)
    pieces, reference, t = [], [], FLEMISH_GAP
    pieces.append(noise.normal(0, 0.002, int(FLEMISH_GAP * SR)).astype(np.float32))
    for path in sorted(folder.glob("*.wav"))[:FLEMISH_UTTERANCES]:
        with wave.open(str(path), "rb") as handle:
            rate = handle.getframerate()
            x = (
                np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float32)
                / 32768.0
            )
        x = resample_poly(x, SR, rate).astype(np.float32)
        pieces.append(x)
        reference.append((t, t + len(x) / SR, "flemish"))
        t += len(x) / SR
        gap = noise.normal(0, 0.002, int(FLEMISH_GAP * SR)).astype(np.float32)
        pieces.append(gap)
        t += len(gap) / SR
    return np.concatenate(pieces), reference


def annotation(turns, uri: str):
    from pyannote.core import Annotation, Segment

    result = Annotation(uri=uri)
    for i, (start, end, label) in enumerate(turns):
        result[Segment(start, end), i] = label
    return result


def scored_region(name: str):
    """The AMI excerpts' UEM (their whole 30 s: false alarms anywhere count); None elsewhere
    (pyannote.metrics then scores the extent of reference and hypothesis, as before)."""
    if name not in AMI_FILES:
        return None
    from pyannote.core import Segment, Timeline

    for line in (SHARED / AMI / "train.uem").read_text().splitlines():
        uri, _, start, end = line.split()
        if uri == name:
            return Timeline([Segment(float(start), float(end))], uri=name)
    raise KeyError(f"{name} is not in train.uem")


def run_one(name: str, overrides: dict[str, str], num_speakers: int | None) -> dict:
    sys.path.insert(0, str(REPO / "src"))
    from podpipe.models import offline_environment

    offline_environment()
    from podpipe.config import DiarizationSettings, Settings
    from podpipe.domain import Episode
    from podpipe.stages.diarize.loading import load_pipeline
    from podpipe.stages.diarize.stage import diarize

    config = DiarizationSettings(**{**DiarizationSettings().model_dump(), **overrides})
    settings = Settings().model_copy(update={"diarization": config})

    audio, reference = load(name)
    duration = len(audio) / SR
    started = time.perf_counter()
    load_pipeline(settings.diarize_config())
    load_s = time.perf_counter() - started

    episode = Episode(id=name, slug=name, source=Path(name), duration=duration)
    started = time.perf_counter()
    result = diarize(episode, audio, settings.diarize_config(), num_speakers=num_speakers)
    wall = time.perf_counter() - started

    from pyannote.metrics.diarization import DiarizationErrorRate

    ref = annotation(reference, name)
    hyp = annotation([(t.start, t.end, t.speaker) for t in result.turns], name)
    scored = scored_region(name)
    der = {}
    for collar in (0.0, 0.25):
        metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
        detail = metric(ref, hyp, uem=scored, detailed=True)
        der[str(collar)] = {
            "der": detail["diarization error rate"],
            "miss": detail["missed detection"] / detail["total"],
            "fa": detail["false alarm"] / detail["total"],
            "confusion": detail["confusion"] / detail["total"],
        }
    return {
        "file": name,
        "audio_s": duration,
        "wall_s": wall,
        "wall_per_audio_s": wall / duration,
        "load_s": load_s,
        "ref_speakers": len({label for _, _, label in reference}),
        "hyp_speakers": len(result.speakers),
        "der": der,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "settings": config.model_dump(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--files",
        nargs="+",
        default=["sample", "synth", "long10"],
        choices=["sample", "synth", "long10", "ep12", "flemish", "hour", *AMI_FILES, *GROUPS],
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="override a [diarization] setting"
    )
    parser.add_argument("--oracle-count", action="store_true", help="pass the reference speaker count")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--table", action="store_true", help="also print a Markdown table with the AMI mean")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)

    if args.one:
        _, reference = load(args.one) if args.oracle_count else (None, None)
        count = len({label for _, _, label in reference}) if args.oracle_count else None
        print("RESULT " + json.dumps(run_one(args.one, overrides, count)))
        return

    if not SHARED.is_dir():
        sys.exit(f"shared data not found at {SHARED}; set PODPIPE_SHARED")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs ({_cpu_name()}), load {os.getloadavg()[0]:.2f}"
    )
    results = []
    names = list(dict.fromkeys(n for name in args.files for n in GROUPS.get(name, [name])))
    for name in names:
        command = [sys.executable, __file__, "--one", name] + [f"--set={item}" for item in args.set]
        if args.oracle_count:
            command.append("--oracle-count")
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        line = next((out for out in done.stdout.splitlines() if out.startswith("RESULT ")), None)
        if done.returncode or line is None:
            sys.exit(f"{name} failed:\n{done.stderr[-3000:]}")
        results.append(json.loads(line[len("RESULT ") :]))
        r = results[-1]
        print(
            f"{name:7s} {r['audio_s']:6.1f} s  DER {100 * r['der']['0.0']['der']:5.2f} % "
            f"(miss {100 * r['der']['0.0']['miss']:.2f}, FA {100 * r['der']['0.0']['fa']:.2f}, "
            f"conf {100 * r['der']['0.0']['confusion']:.2f})  "
            f"collar 0.25: {100 * r['der']['0.25']['der']:5.2f} %  "
            f"speakers {r['hyp_speakers']}/{r['ref_speakers']}  "
            f"{r['wall_per_audio_s']:.3f} wall s/audio s ({r['wall_s']:.1f} s, load {r['load_s']:.1f} s)  "
            f"peak RSS {r['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    if args.table:
        print(markdown_table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def markdown_table(results: list[dict]) -> str:
    """Per file: DER (no collar, its miss / false alarm / confusion; 0.25 s collar), speakers found
    / true, speed and memory; then the mean over the AMI excerpts and how many counts were right."""
    lines = [
        (
            "| file | length | DER, no collar (miss / FA / conf) | DER, collar 0.25 | speakers found / true "
            "| wall s per audio s | peak RSS |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        d = r["der"]["0.0"]
        lines.append(
            f"| {r['file']} | {r['audio_s']:.0f} s | {100 * d['der']:.1f} % ({100 * d['miss']:.1f} / "
            f"{100 * d['fa']:.1f} / {100 * d['confusion']:.1f}) | {100 * r['der']['0.25']['der']:.1f} % "
            f"| {r['hyp_speakers']} / {r['ref_speakers']} | {r['wall_per_audio_s']:.3f} "
            f"| {r['peak_rss_mib']:.0f} MiB |"
        )
    ami = [r for r in results if r["file"] in AMI_FILES]
    if ami:
        mean = {c: sum(r["der"][c]["der"] for r in ami) / len(ami) for c in ("0.0", "0.25")}
        right = sum(r["hyp_speakers"] == r["ref_speakers"] for r in ami)
        lines.append(
            f"| **AMI mean ({len(ami)} files)** | | **{100 * mean['0.0']:.1f} %** "
            f"| {100 * mean['0.25']:.1f} % "
            f"| right on {right} of {len(ami)} | | |"
        )
    return "\n".join(lines)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
