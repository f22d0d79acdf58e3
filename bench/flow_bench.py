"""Whole-flow benchmark: is running transcription and diarisation side by side worth it?

On a ~10-minute episode (``--episode espeak``: the espeak-ng rendering of the hand-written episode in
``$PODPIPE_SHARED``, 686 s, three speakers; ``--episode flemish``: the real Flemish read speech joined
into one 9-minute file), in one run:
1. transcription alone (podpipe's stage, in this process, model already loaded),
2. diarisation alone (likewise),
3. the whole ``process_episode`` flow from scratch (nothing cached: its own Prefect home, work and
   output folders), stage workers, NLP, exports and Prefect's overhead included.
Target: 3 <= 0.8 x (1 + 2). Also the flow's peak memory (all processes) and DER of its RTTM.

    .venv/bin/python bench/flow_bench.py [--episode espeak|flemish] [--json bench/results/flow.json]

``--hour``: an hour end to end against the anchor, plain faster-whisper. See ``hour_main``.

    .venv/bin/python bench/flow_bench.py --hour [--runs 2] [--renderings work/renderings]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from podpipe.cast import describe
from podpipe.catalog import Catalog
from podpipe.config import load_settings, machine_cores
from podpipe.exports.diarization import read_rttm
from podpipe.models import offline_environment
from podpipe.models.whisper import load_whisper
from podpipe.stages import ingest as audio
from podpipe.stages.diarize.loading import load_pipeline
from podpipe.stages.diarize.stage import diarize
from podpipe.stages.transcribe import transcribe


def der(reference: Path, hypothesis: Path) -> float:
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotation(path: Path) -> Annotation:
        result = Annotation()
        for turn in read_rttm(path):
            result[Segment(turn.start, turn.end)] = turn.speaker
        return result

    return DiarizationErrorRate(collar=0.0)(annotation(reference), annotation(hypothesis))


HOUR_SECONDS = 3600.0
HOUR_EPISODES = ("vov-ep12-microleren", "vov-ep14-feedbackcultuur", "vov-ep15-duurzame-inzetbaarheid")
EPISODE_GAP_SECONDS = 2.0
# The anchor: plain faster-whisper batched, as its README shows it, on the same model, in its own process.
ANCHOR = """
import sys, time, resource
from faster_whisper import BatchedInferencePipeline, WhisperModel
model = BatchedInferencePipeline(WhisperModel(sys.argv[1], device="cpu", compute_type="int8"))
started, cpu = time.perf_counter(), time.process_time()
segments, _ = model.transcribe(sys.argv[2], language="nl", batch_size=8, vad_filter=True,
                               word_timestamps=sys.argv[3] == "words")
words = sum(len(segment.text.split()) for segment in segments)
print(time.perf_counter() - started, time.process_time() - cpu, words)
"""


def hour_episode(shared: Path, renderings: Path, target: Path) -> Path:
    """An hour of four MBROLA voices: the renderings of ep12, ep14 and ep15 (rendered first where
    missing, with bench/render_episode.py) one after the other, again from the start, cut at 3600 s."""
    import numpy as np

    parts = []
    for stem in HOUR_EPISODES:
        wav = renderings / f"{stem}.mbrola.wav"
        if not wav.exists():
            subprocess.run([sys.executable, str(Path(__file__).with_name("render_episode.py")),
                            str(shared / "transcripts" / f"{stem}.json"), "--out", str(renderings)], check=True)
        with wave.open(str(wav)) as handle:
            parts.append(np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2"))
    gap = np.zeros(int(EPISODE_GAP_SECONDS * 16_000), dtype="<i2")
    joined: list = []
    while sum(len(part) for part in joined) < HOUR_SECONDS * 16_000:
        for part in parts:
            joined += [part, gap]
    samples = np.concatenate(joined)[: int(HOUR_SECONDS * 16_000)]
    with wave.open(str(target), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16_000)
        handle.writeframes(samples.tobytes())
    return target


def _podpipe_run(source: Path, folder: Path, prefect_home: Path | None = None) -> dict:
    """``podpipe run`` with a fresh work and output folder and Prefect home (or ``prefect_home``): wall
    and CPU time, the largest of its processes' peak memory (flow, stage workers, Prefect's server),
    stages, start-up."""
    folder.mkdir(parents=True)
    home = prefect_home or folder / "prefect"
    env = os.environ | {"PREFECT_HOME": str(home), "PODPIPE_PATHS__WORK": str(folder / "work")}
    command = [str(Path(sys.executable).with_name("podpipe")), "run", str(source), "--output", str(folder / "out")]
    started_at, started = dt.datetime.now(dt.UTC), time.perf_counter()
    with (folder / "stderr.txt").open("wb") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        # wait4: this run's own resource use, its reaped descendants included.
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit((folder / "stderr.txt").read_text()[-3000:])
    (row,) = Catalog(f"sqlite:///{folder / 'out' / 'catalog.sqlite'}").episodes()
    stages = {stage.name: {"wall_s": stage.seconds, "cpu_s": stage.cpu_seconds} for stage in row.stages}
    first = min(stage.started_at for stage in row.stages)
    first = first if first.tzinfo else first.replace(tzinfo=dt.UTC)
    return {"wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "stages": stages,
            "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "startup_s": round((first - started_at).total_seconds(), 1), "speakers": row.speakers}


def _anchor_run(model: str, source: Path, words: bool) -> dict:
    result = subprocess.run([sys.executable, "-c", ANCHOR, model, str(source), "words" if words else "text"],
                            capture_output=True, text=True, check=True)
    wall, cpu, count = result.stdout.split()[-3:]
    return {"wall_s": round(float(wall), 1), "cpu_s": round(float(cpu), 1), "words": int(count)}


def _machine() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model}, {os.cpu_count()} cores"


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + ("+changes" if changed else "")


def hour_main(args: argparse.Namespace, shared: Path) -> None:
    """An hour end to end (``podpipe run``, nothing cached, fresh Prefect home) against the anchor,
    plain faster-whisper batched on the same file, in the same run, ``--runs`` times.

    The ratio is podpipe's wall time over the anchor's; the limit beside it is what the chain would
    cost if all cores stayed busy to the end: its CPU seconds over the cores (transcription's,
    diarisation's and the rest's). Start-up: from the command to its first stage, on a 20 s clip with
    a fresh Prefect home (as on the first run after install) and again with that home.
    """
    settings = load_settings()
    model = load_whisper(settings.transcribe_config()).path_or_name
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        source = hour_episode(shared, args.renderings, tmp_path / "hour.wav")
        clip = tmp_path / "clip.wav"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(source), "-t", "20", str(clip)], check=True)
        fresh = _podpipe_run(clip, tmp_path / "clip-fresh")["startup_s"]
        again = _podpipe_run(clip, tmp_path / "clip-again", prefect_home=tmp_path / "clip-fresh" / "prefect")
        startup = [fresh, again["startup_s"]]
        print(f"start-up to the first stage on a 20 s clip: {startup[0]} s fresh Prefect home, {startup[1]} s again")
        for index in range(args.runs):
            folder = tmp_path / f"run{index}"
            podpipe = _podpipe_run(source, folder)
            peak_mb = podpipe["peak_rss_mb"]
            anchor = _anchor_run(model, source, words=False)
            anchor_words = _anchor_run(model, source, words=True)
            cores = machine_cores()
            limit = podpipe["cpu_s"] / cores
            run = {"podpipe": podpipe, "anchor": anchor, "anchor_word_timestamps": anchor_words,
                   "ratio": round(podpipe["wall_s"] / anchor["wall_s"], 3),
                   "ratio_word_timestamps": round(podpipe["wall_s"] / anchor_words["wall_s"], 3),
                   "limit_s": round(limit, 1), "limit_ratio": round(limit / anchor["wall_s"], 3)}
            runs.append(run)
            print(f"run {index + 1}: podpipe {podpipe['wall_s']} s (CPU {podpipe['cpu_s']} s), "
                  f"anchor {anchor['wall_s']} s (with word timestamps {anchor_words['wall_s']} s): "
                  f"{run['ratio']:.2f} x "
                  f"({run['ratio_word_timestamps']:.2f} x); all cores busy to the end: {limit:.0f} s = "
                  f"{run['limit_ratio']:.2f} x; largest process {peak_mb:.0f} MB; speakers {podpipe['speakers']}")
            for name, stage in podpipe["stages"].items():
                print(f"    {name:<10} wall {stage['wall_s'] or 0:7.1f} s   CPU {stage['cpu_s'] or 0:7.1f} s")
    result = {"date": dt.date.today().isoformat(), "machine": _machine(), "commit": _commit(),
              "audio_s": HOUR_SECONDS, "startup_s": {"fresh_home": startup[0], "again": startup[1]}, "runs": runs}
    if args.json:
        history = json.loads(args.json.read_text()) if args.json.exists() else []
        history = history if isinstance(history, list) else [history]
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([*history, result], indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--hour", action="store_true", help="an hour end to end against plain faster-whisper")
    parser.add_argument("--runs", type=int, default=2, help="with --hour: podpipe and the anchor this many times")
    parser.add_argument("--renderings", type=Path, default=Path("work/renderings"),
                        help="with --hour: the MBROLA renderings (made there where missing)")
    parser.add_argument("--episode", choices=["espeak", "flemish"], default="espeak",
                        help="espeak: the 686 s three-voice rendering (with RTTM); flemish: the 150 real "
                             "utterances joined into one ~9 min file (one speaker)")
    args = parser.parse_args()
    offline_environment()
    settings = load_settings()
    shared = Path(os.environ.get("PODPIPE_SHARED", settings.resolve(settings.paths.shared)))
    if not (shared / "transcripts").is_dir():
        sys.exit(f"{shared} has no transcripts/: set PODPIPE_SHARED")
    if args.hour:
        hour_main(args, shared)
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if args.episode == "espeak":
            source = shared / "transcripts" / "vov-ep12-microleren.espeak.mp3"
            reference_rttm: Path | None = shared / "transcripts" / "vov-ep12-microleren.espeak.rttm"
        else:
            from transcribe_bench import build_corpus  # bench/ is this script's folder

            ((source, _, _),) = build_corpus(shared, group_seconds=10_000, work=tmp_path)
            reference_rttm = None
        episode = describe(audio.describe_episode(source), settings)
        waveform = audio.load_waveform(audio.normalise(episode, tmp_path / "work"))
        load_whisper(settings.transcribe_config()), load_pipeline(settings.diarize_config())  # not the stage's time

        started = time.perf_counter()
        transcribe(episode, waveform, settings.transcribe_config())
        transcription = time.perf_counter() - started
        started = time.perf_counter()
        diarize(episode, waveform, settings.diarize_config(), num_speakers=None)
        diarization = time.perf_counter() - started

        env = os.environ | {
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "PODPIPE_PATHS__WORK": str(tmp_path / "flow-work"),
        }
        podpipe = str(Path(sys.executable).with_name("podpipe"))
        command = [podpipe, "run", str(source), "--output", str(tmp_path / "out")]
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        flow = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(result.stderr[-3000:])
        # The largest of the run's processes (flow, stage workers, Prefect's server), once reaped.
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out_dir = Path(result.stdout.strip().splitlines()[-1])
        # Where the flow's time went, from the catalogue's stage records. Transcription and diarisation
        # share one record span (they run side by side; worker start-up and model loading included).
        (row,) = Catalog(f"sqlite:///{tmp_path / 'out' / 'catalog.sqlite'}").episodes()
        stages = {stage.name: stage.seconds for stage in row.stages}
        error_rate = der(reference_rttm, out_dir / "diarization.rttm") if reference_rttm else None

    ratio = flow / (transcription + diarization)
    side_by_side = stages["transcribe"]
    print(f"episode: {source.name}, {episode.duration:.0f} s, {os.cpu_count()} cores")
    print(f"transcription alone   {transcription:6.1f} s  ({transcription / episode.duration:.3f} x audio)")
    print(f"diarisation alone     {diarization:6.1f} s  ({diarization / episode.duration:.3f} x audio)")
    print(f"whole flow, no cache  {flow:6.1f} s  = {ratio:.2f} x (transcription + diarisation); target <= 0.8")
    print(f"  of which transcription + diarisation side by side {side_by_side:.1f} s "
          f"= {side_by_side / (transcription + diarization):.2f} x (with worker start-up and model loading)")
    print("  other stages: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items()
                                        if name not in ("transcribe", "diarize")))
    der_text = f"; DER of its RTTM {100 * error_rate:.1f} %" if error_rate is not None else ""
    print(f"flow's largest process peak memory {peak_kb / 1024:.0f} MB{der_text}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "duration_s": episode.duration, "transcription_s": round(transcription, 1),
            "diarisation_s": round(diarization, 1), "flow_s": round(flow, 1), "ratio": round(ratio, 3),
            "peak_rss_mb": round(peak_kb / 1024), "episode": args.episode, "stages_s": stages,
            "der": None if error_rate is None else round(float(error_rate), 4),
        }, indent=2))


if __name__ == "__main__":
    main()
