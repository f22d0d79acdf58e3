"""Name corrections: precision and recall on the shared renderings, false corrections on real speech.

1. ``precision`` (default): the three espeak-ng renderings of ``$PODPIPE_SHARED/transcripts``
   (ep12, ep14, ep15), each transcribed once by podpipe (default settings; cached in ``--cache``).
   For each similarity threshold and each cast (the sidecar's; none, i.e. the config's grown from
   the conversation): the corrections made (capitals apart), how many are right (a reference turn
   within ``TOLERANCE_S`` of the correction says that name), how many "corrected" ordinary Dutch
   words (every word among wordfreq's top 20,000, none a word of a cast name), and the recall of the
   sidecar cast's mentions (the share of the reference's mentions of cast names and organisations
   that the transcript spells canonically, each term counted at most as often as the reference has
   it) before and after the correction.
2. ``flemish`` (default): the real Flemish read speech, which names nobody of a broad cast (the
   renderings' casts and Flemish names of the kind the show has): WER of plain batched
   faster-whisper, of podpipe, and of podpipe after name correction, and every (false) correction.
3. ``hints``: recall per way of telling Whisper the cast (none, prompt, hotwords) on the bundled demo
   and ep12 (transcribes each file once per mode; slow).

    PYTHONPATH=$PWD/src:$PWD .venv/bin/python bench/names_bench.py [--parts precision,flemish,hints]
        [--cache bench/results/names-cache] [--json bench/results/names.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import jiwer
import yaml
from faster_whisper import BatchedInferencePipeline

from bench.transcribe_bench import build_corpus, normalise_text
from podpipe.cast import describe, sidecar_cast
from podpipe.config import load_settings
from podpipe.domain import Cast, CastMember, Episode, NameCorrection, NormalisedAudio, Role, Transcript
from podpipe.io import TRANSCRIPT
from podpipe.models import offline_environment
from podpipe.models.whisper import load_whisper
from podpipe.stages import ingest as audio
from podpipe.stages.naming.correct import cast_terms, correct_names, fold, frequent_words, name_words
from podpipe.stages.naming.found import episode_cast
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
    return source, " ".join(text for _, _, text in DIALOGUE), sidecar_cast(sidecar)


def ep12_file(shared: Path) -> tuple[Path, str, Cast]:
    data = json.loads((shared / "transcripts" / "vov-ep12-microleren.json").read_text(encoding="utf-8"))
    host = next(s for s in data["speakers"] if s["role"] == "host")
    sidecar = {"host": {"name": host["name"], "organisation": host["organisation"]},
               "guests": [{"name": s["name"], "organisation": s["organisation"]}
                          for s in data["speakers"] if s["role"] == "guest"]}
    reference = " ".join(turn["text"] for turn in data["turns"])
    return shared / "transcripts" / "vov-ep12-microleren.espeak.mp3", reference, sidecar_cast(sidecar)


def with_transcription(settings, **changes):
    return settings.model_copy(update={"transcription": settings.transcription.model_copy(update=changes)})


def run_recall(files, settings, modes, work: Path) -> tuple[list[dict], dict[str, Transcript]]:
    """Recall per hint mode (the cast told to Whisper or not): transcribes each file once per mode."""
    rows, kept = [], {}
    model = load_whisper(settings.transcribe_config()).model
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
            transcript = transcribe(episode, waveform, run.transcribe_config(), cast=cast)
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


def broad_cast(casts: Sequence[Cast]) -> Cast:
    members = {m.name: m for cast in casts for m in cast.members}
    for name in EXTRA_PEOPLE:
        members.setdefault(name, CastMember(name, Role.GUEST))
    organisations = {o for cast in casts for o in cast.organisations} | set(EXTRA_ORGANISATIONS)
    return Cast(guests=tuple(members.values()), organisations=tuple(sorted(organisations)), closed=True)


# ---------------------------------------------------------------------------------------------
# Precision of the corrections on the shared renderings, false corrections on real speech
# ---------------------------------------------------------------------------------------------

RENDERINGS = ("vov-ep12-microleren", "vov-ep14-feedbackcultuur", "vov-ep15-duurzame-inzetbaarheid")
TOLERANCE_S = 5.0  # a correction is right when a reference turn within this of it says the name


@dataclass(frozen=True)
class Rendering:
    name: str
    audio: Path
    turns: list[tuple[float, float, str, str]]  # (start, end, speaker id, text) of the reference
    cast: Cast  # the sidecar's (ep12 has none: its episode file's speakers)


def rendering(shared: Path, name: str, kind: str = "espeak", renderings: Path | None = None) -> Rendering:
    """One rendering of a shared episode: ``espeak`` (``$PODPIPE_SHARED/transcripts``, the mp3) or
    ``mbrola`` (``bench/render_episode.py``'s wav in ``renderings``, not in the shared data: licence)."""
    folder = shared / "transcripts"
    media = renderings if kind == "mbrola" and renderings is not None else folder
    timing = json.loads((media / f"{name}.{kind}.segments.json").read_text(encoding="utf-8"))
    turns = [(float(t["start"]), float(t["end"]), str(t["speaker"]), str(t["text"])) for t in timing["segments"]]
    sidecar_path = media / f"{name}.{kind}.yaml"
    if sidecar_path.is_file():
        sidecar = yaml.safe_load(sidecar_path.read_text(encoding="utf-8"))
    else:
        data = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        host = next(s for s in data["speakers"] if s["role"] == "host")
        sidecar = {"host": {"name": host["name"], "organisation": host["organisation"]},
                   "guests": [{"name": s["name"], "organisation": s["organisation"]}
                              for s in data["speakers"] if s["role"] == "guest"]}
    audio_path = media / f"{name}.{kind}.{'mp3' if kind == 'espeak' else 'wav'}"
    return Rendering(f"{name}.{kind}" if kind != "espeak" else name, audio_path, turns, sidecar_cast(sidecar))


def heard(item: Rendering, settings, cache: Path, work: Path) -> Transcript:
    """podpipe's transcript of a rendering (default settings: the cast is not told to Whisper, so a
    sidecar changes nothing here), cached in ``cache`` as podpipe's transcript JSON."""
    path = cache / f"{item.name}.whisper.json"
    if path.is_file():
        return TRANSCRIPT.read(path)
    episode = describe(audio.describe_episode(item.audio), settings)
    waveform = audio.load_waveform(audio.normalise(episode, work))
    started = time.perf_counter()
    transcript = transcribe(episode, waveform, settings.transcribe_config())
    print(f"{item.name}: transcribed in {time.perf_counter() - started:.0f} s", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    TRANSCRIPT.write(path, transcript)
    return transcript


def _says(text: str, canonical: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(fold(canonical))}(?!\w)", fold(text)) is not None


def is_right(correction: NameCorrection, turns: Sequence[tuple[float, float, str, str]]) -> bool:
    """Whether the reference says the correction's name within ``TOLERANCE_S`` of where it was heard."""
    return any(start - TOLERANCE_S <= correction.end and correction.start <= end + TOLERANCE_S
               and _says(text, correction.canonical) for start, end, _, text in turns)


def is_ordinary(heard_form: str, cast: Cast) -> bool:
    """Every word of the heard form among wordfreq's top Dutch words, none a word of a cast name."""
    words = fold(heard_form).split()
    return bool(words) and set(words) <= frequent_words() - name_words(cast_terms(cast))


def _short(name: str) -> str:
    return name[4:8] + (" " + name.rsplit(".", 1)[1] if "." in name else "")


def precision_rows(items: Sequence[Rendering], transcripts: Mapping[str, Transcript], settings,
                   thresholds: Sequence[float]) -> list[dict]:
    """Per threshold and cast (the sidecar's; none, the cast grown from the conversation): corrections
    made, right, ordinary words corrected, and recall of the sidecar cast's mentions after correction."""
    rows = []
    for threshold in thresholds:
        for with_sidecar in (True, False):
            totals = {"made": 0, "right": 0, "ordinary": 0, "hit": 0, "mentions": 0, "hit_before": 0}
            per_file, wrong = {}, []
            for item in items:
                transcript = transcripts[item.name]
                # Without a sidecar: the transcript's episode forgets what its sidecar said.
                anonymous = replace(transcript, episode=describe(replace(transcript.episode, metadata={}), settings))
                grown = episode_cast(anonymous)
                cast = item.cast if with_sidecar else grown.for_correction
                corrected = correct_names(transcript, cast, threshold, heard=() if with_sidecar else set(grown.found))
                made = [c for c in corrected.corrections if c.method != "case"]
                right = [c for c in made if is_right(c, item.turns)]
                wrong += [f"{_short(item.name)} {c.start:.0f}s {c.heard} -> {c.canonical}"
                          for c in made if c not in right]
                reference = " ".join(text for _, _, _, text in item.turns)
                share, hit, total = recall(_text(corrected), reference, item.cast)
                before = recall(_text(transcript), reference, item.cast)[1]
                ordinary = [c for c in made if is_ordinary(c.heard, cast)]
                per_file[_short(item.name)] = f"{len(right)}/{len(made)} right, recall {hit}/{total}"
                for key, value in (("made", len(made)), ("right", len(right)), ("ordinary", len(ordinary)),
                                   ("hit", hit), ("mentions", total), ("hit_before", before)):
                    totals[key] += value
            row = {"threshold": threshold, "cast": "sidecar" if with_sidecar else "conversation (no sidecar)",
                   **totals, "precision": round(totals["right"] / max(totals["made"], 1), 3),
                   "recall": round(totals["hit"] / max(totals["mentions"], 1), 3),
                   "recall_before": round(totals["hit_before"] / max(totals["mentions"], 1), 3),
                   "files": per_file, "wrong": wrong[:12]}
            print(row, flush=True)
            rows.append(row)
    return rows


def flemish_rows(settings, shared: Path, cache: Path, work: Path, thresholds: Sequence[float],
                 casts: Sequence[Cast]) -> dict:
    """The real Flemish read speech (names nobody of the cast): WER of plain batched faster-whisper,
    of podpipe's transcript, and of podpipe's transcript after name correction against a broad cast;
    every correction there is a false one."""
    path = cache / "flemish.json"
    if path.is_file():
        cached = json.loads(path.read_text(encoding="utf-8"))
    else:
        corpus = build_corpus(shared, 120.0, work)
        model = load_whisper(settings.transcribe_config()).model
        cached = {"references": [text for _, text, _ in corpus], "plain": [], "podpipe": []}
        for source, _, duration in corpus:
            waveform = audio.load_waveform(NormalisedAudio(source, 16_000, duration))
            segments, _ = BatchedInferencePipeline(model).transcribe(waveform, language="nl", word_timestamps=True)
            cached["plain"].append(" ".join(s.text.strip() for s in segments))
            episode = Episode(id=source.stem, slug=source.stem, source=source, duration=duration)
            cached["podpipe"].append(TRANSCRIPT.to_dict(transcribe(describe(episode, settings), waveform,
                                                                     settings.transcribe_config())))
        cache.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cached, ensure_ascii=False), encoding="utf-8")
    references = cached["references"]
    transcripts = [TRANSCRIPT.from_dict(data) for data in cached["podpipe"]]
    cast = broad_cast(casts)
    result: dict = {"wer_plain": _wer(references, cached["plain"]),
                    "wer_podpipe": _wer(references, [_text(t) for t in transcripts]), "thresholds": []}
    words = sum(len(r.split()) for r in references)
    for threshold in thresholds:
        corrected = [correct_names(t, cast, threshold) for t in transcripts]
        false = [c for t in corrected for c in t.corrections if c.method != "case"]
        row = {"threshold": threshold, "false_corrections": len(false),
               "per_1000_words": round(1000 * len(false) / max(words, 1), 2),
               "ordinary_words_corrected": sum(is_ordinary(c.heard, cast) for c in false),
               "wer_after_correction": _wer(references, [_text(t) for t in corrected]),
               "examples": sorted({f"{c.heard} -> {c.canonical}" for c in false})[:8]}
        print(row, flush=True)
        result["thresholds"].append(row)
    print({k: v for k, v in result.items() if k != "thresholds"}, flush=True)
    return result


def _wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    return round(100 * jiwer.wer([normalise_text(r) for r in references], [normalise_text(h) for h in hypotheses]), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="precision,flemish",
                        help="precision (the shared renderings), flemish (real speech), hints (recall per hint mode)")
    parser.add_argument("--files", default="demo,ep12", help="files of the hints part")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "results" / "names-cache",
                        help="transcripts made once and reused (delete to transcribe again)")
    parser.add_argument("--renderings", default="espeak,mbrola",
                        help="which renderings the precision part reads: espeak (shared), mbrola (--mbrola folder)")
    parser.add_argument("--mbrola", type=Path, default=Path(os.environ.get("PODPIPE_RENDERINGS", ROOT / "renderings")),
                        help="folder of bench/render_episode.py's MBROLA renderings (<stem>.mbrola.wav, "
                             ".segments.json, .yaml); default $PODPIPE_RENDERINGS")
    parser.add_argument("--sequential", action="store_true", help="also sequential decoding (slow on ep12)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    offline_environment()
    settings = load_settings()
    shared = Path(os.environ.get("PODPIPE_SHARED", settings.resolve(settings.paths.shared)))
    parts = set(args.parts.split(","))
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        kinds = args.renderings.split(",")
        items = [rendering(shared, name) for name in RENDERINGS if (shared / "transcripts").is_dir()]
        if "precision" in parts:
            for kind in kinds:
                chosen = [rendering(shared, name, kind, args.mbrola) for name in RENDERINGS
                          if (shared / "transcripts").is_dir()
                          and (kind != "mbrola" or (args.mbrola / f"{name}.mbrola.wav").is_file())]
                if not chosen:
                    print(f"no {kind} renderings found", flush=True)
                    continue
                transcripts = {item.name: heard(item, settings, args.cache, Path(tmp)) for item in chosen}
                print(f"--- {kind} renderings", flush=True)
                results[f"precision_{kind}"] = precision_rows(chosen, transcripts, settings, THRESHOLDS)
        if "flemish" in parts:
            results["flemish"] = flemish_rows(settings, shared, args.cache, Path(tmp), THRESHOLDS,
                                              [item.cast for item in items])
        if "hints" in parts:
            available = {"demo": demo_file}
            if (shared / "transcripts").is_dir():
                available["ep12"] = lambda: ep12_file(shared)
            files = {name: available[name]() for name in args.files.split(",") if name in available}
            modes = [(True, h) for h in ("none", "prompt", "hotwords")]
            if args.sequential:
                modes += [(False, h) for h in ("none", "prompt", "hotwords")]
            assert hint_options  # the options the bench compares are podpipe's own
            results["recall"], _ = run_recall(files, settings, modes, Path(tmp))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
