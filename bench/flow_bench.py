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
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from podpipe.catalog import Catalog
from podpipe.config import load_settings
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--episode", choices=["espeak", "flemish"], default="espeak",
                        help="espeak: the 686 s three-voice rendering (with RTTM); flemish: the 150 real "
                             "utterances joined into one ~9 min file (one speaker)")
    args = parser.parse_args()
    offline_environment()
    settings = load_settings()
    shared = Path(os.environ.get("PODPIPE_SHARED", settings.resolve(settings.paths.shared)))
    if not (shared / "transcripts").is_dir():
        sys.exit(f"{shared} has no transcripts/: set PODPIPE_SHARED")

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if args.episode == "espeak":
            source = shared / "transcripts" / "vov-ep12-microleren.espeak.mp3"
            reference_rttm: Path | None = shared / "transcripts" / "vov-ep12-microleren.espeak.rttm"
        else:
            from transcribe_bench import build_corpus  # bench/ is this script's folder

            ((source, _, _),) = build_corpus(shared, group_seconds=10_000, work=tmp_path)
            reference_rttm = None
        episode = audio.describe_episode(source)
        waveform = audio.load_waveform(audio.normalise(episode, tmp_path / "work"))
        load_whisper(settings), load_pipeline(settings)  # loading is not the stage's time

        started = time.perf_counter()
        transcribe(episode, waveform, settings)
        transcription = time.perf_counter() - started
        started = time.perf_counter()
        diarize(episode, waveform, settings, num_speakers=None)
        diarisation = time.perf_counter() - started

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

    ratio = flow / (transcription + diarisation)
    side_by_side = stages["transcribe"]
    print(f"episode: {source.name}, {episode.duration:.0f} s, {os.cpu_count()} cores")
    print(f"transcription alone   {transcription:6.1f} s  ({transcription / episode.duration:.3f} x audio)")
    print(f"diarisation alone     {diarisation:6.1f} s  ({diarisation / episode.duration:.3f} x audio)")
    print(f"whole flow, no cache  {flow:6.1f} s  = {ratio:.2f} x (transcription + diarisation); target <= 0.8")
    print(f"  of which transcription + diarisation side by side {side_by_side:.1f} s "
          f"= {side_by_side / (transcription + diarisation):.2f} x (with worker start-up and model loading)")
    print("  other stages: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items()
                                        if name not in ("transcribe", "diarize")))
    der_text = f"; DER of its RTTM {100 * error_rate:.1f} %" if error_rate is not None else ""
    print(f"flow's largest process peak memory {peak_kb / 1024:.0f} MB{der_text}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "duration_s": episode.duration, "transcription_s": round(transcription, 1),
            "diarisation_s": round(diarisation, 1), "flow_s": round(flow, 1), "ratio": round(ratio, 3),
            "peak_rss_mb": round(peak_kb / 1024), "episode": args.episode, "stages_s": stages,
            "der": None if error_rate is None else round(float(error_rate), 4),
        }, indent=2))


if __name__ == "__main__":
    main()
