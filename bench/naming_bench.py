"""Speakers named from the audio without a sidecar (issue 21): who gets the name their introduction gives.

For each rendering of the shared episodes (``--renderings``: mbrola, espeak), podpipe's raw transcript
(names_bench's cache, ``--cache``) is stripped of its sidecar, attributed to voices, corrected, and
named as the flow does it (``pipeline.prepare`` then ``pipeline.draft``). The voices come from
``--voices``:

- ``run``: podpipe's own diarisation, the ``diarization.rttm`` of a ``podpipe run`` of the same audio
  without its sidecar (``--runs``: the folder of episode folders);
- ``reference``: the rendering's RTTM (every voice found): naming judged apart from diarisation.

Each voice is scored against the reference speaker who talks most under it; a reference speaker is
named when a voice of theirs carries a name whose first or last word reads like theirs (rapidfuzz
similarity of the Dutch spelling keys 0.6 or more: "Katlijn" for Katleen counts, as Whisper heard
it). A speaker left "Gast N"/"Presentator" although the reference introduces them is counted apart.

    PYTHONPATH=$PWD/src:$PWD .venv/bin/python bench/naming_bench.py --voices run,reference
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

from rapidfuzz import fuzz

from bench.names_bench import RENDERINGS, rendering
from podpipe.cast import described
from podpipe.config import load_settings
from podpipe.domain import SpeakerTurn
from podpipe.io import TRANSCRIPT
from podpipe.models import offline_environment
from podpipe.pipeline import draft, prepare
from podpipe.stages.attribute import attribute_speakers
from podpipe.stages.naming import is_placeholder_name, naming_report
from podpipe.stages.naming.correct import correction_notes, dutch_key

ROOT = Path(__file__).resolve().parents[1]


def read_rttm(path: Path) -> list[SpeakerTurn]:
    turns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            turns.append(SpeakerTurn(float(parts[3]), float(parts[3]) + float(parts[4]), parts[7]))
    return sorted(turns, key=lambda t: t.start)


def owner(turns: list[SpeakerTurn], reference: list[tuple[float, float, str]]) -> dict[str, str]:
    """Each voice -> the reference speaker who talks most under it."""
    talk: dict[str, Counter[str]] = {}
    for turn in turns:
        for start, end, speaker in reference:
            overlap = min(turn.end, end) - max(turn.start, start)
            if overlap > 0:
                talk.setdefault(turn.speaker, Counter())[speaker] += overlap
    return {voice: counts.most_common(1)[0][0] for voice, counts in talk.items()}


def reads_like(given: str, name: str) -> bool:
    words = [dutch_key(w) for w in given.split() if dutch_key(w)]
    return any(fuzz.ratio(w, dutch_key(part)) >= 60 for w in words for part in (name.split()[0], name.split()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renderings", default="mbrola")
    parser.add_argument("--voices", default="run,reference")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "results" / "names-cache")
    parser.add_argument("--runs", type=Path, help="folder of the episode folders of `podpipe run` without sidecar")
    parser.add_argument("--mbrola", type=Path, default=Path(os.environ.get("PODPIPE_RENDERINGS", ROOT / "renderings")))
    parser.add_argument("--no-host", action="store_true", help="without the config's host (name, organisation)")
    args = parser.parse_args()
    offline_environment()
    settings = load_settings()
    if args.no_host:
        naming = settings.naming.model_copy(update={"host_name": None, "host_organisation": None,
                                                    "host_description": None})
        settings = settings.model_copy(update={"naming": naming})
    shared = Path(os.environ.get("PODPIPE_SHARED", settings.resolve(settings.paths.shared)))
    for voices in args.voices.split(","):
        for kind in args.renderings.split(","):
            named = placeholders = total = 0
            for stem in RENDERINGS:
                item = rendering(shared, stem, kind, args.mbrola)
                raw = TRANSCRIPT.read(args.cache / f"{item.name}.whisper.json")
                raw = replace(raw, episode=replace(raw.episode, metadata={}))  # no sidecar
                media = args.mbrola if kind == "mbrola" else shared / "transcripts"
                if voices == "run":
                    folder = args.runs / f"{stem}-{kind}" if args.runs else None
                    if folder is None or not (folder / "diarization.rttm").is_file():
                        print(f"{item.name}: no podpipe run in {folder}")
                        continue
                    turns = read_rttm(folder / "diarization.rttm")
                else:
                    turns = read_rttm(media / f"{stem}.{kind}.rttm")
                reference = [(s, e, who) for s, e, who, _ in item.turns]
                by_id = speaker_names(media / f"{stem}.{kind}.segments.json")
                result = draft(prepare(described(attribute_speakers(raw, turns), settings), settings), settings)
                owners = owner(turns, reference)
                report = naming_report(result.transcript)
                got: dict[str, list[str]] = {}
                print(f"--- {item.name}, voices: {voices} ({len(set(t.speaker for t in turns))} found)")
                for speaker in result.transcript.speakers:
                    who = owners.get(speaker.id)
                    got.setdefault(who or "?", []).append(speaker.name or "")
                    rule = report.get(speaker.id, {}).get("found", {}).get("rule") or report.get(
                        speaker.id, {}).get("source")
                    print(f"  {speaker.id} ({who} = {by_id.get(who or '', '?')}): {speaker.name!r} "
                          f"[{speaker.organisation}] via {rule}")
                for who, name in by_id.items():
                    total += 1
                    given = got.get(who, [])
                    if any(reads_like(g, name) for g in given if not is_placeholder_name(g, settings.naming)):
                        named += 1
                    elif given and all(is_placeholder_name(g, settings.naming) for g in given):
                        placeholders += 1
                for line in correction_notes(result.transcript):
                    print("   check:", line)
            host = "no host configured" if args.no_host else "configured host"
            print(f"=== {kind}, voices {voices}, {host}: {named}/{total} speakers named as introduced; "
                  f"{placeholders} left a placeholder\n", flush=True)


def speaker_names(path: Path) -> dict[str, str]:
    """The rendering's speaker ids (S1, S2, ...) and the names they voice."""
    data = json.loads(path.read_text(encoding="utf-8"))
    names = {who: str(v["name"]) for who, v in data.get("voices", {}).items() if "name" in v}
    for segment in data["segments"]:
        if "name" in segment:
            names.setdefault(str(segment["speaker"]), str(segment["name"]))
    return names


if __name__ == "__main__":
    main()
