"""NLP stage benchmark: analysis time of a one-hour transcript, and the scores on the labelled episode.

The one-hour transcript is built from the turns of ``$PODPIPE_SHARED/transcripts/vov-ep12-microleren.json``,
repeated and shuffled to ~9,500 words (an hour of talk at ~2.6 words per second). Copies after the first
drop one random word from each sentence, so that no sentence is embedded twice from the cache.

    .venv/bin/python bench/nlp_bench.py [--words 9500] [--model embedded] [--json bench/results/nlp.json]

Time: wall seconds of ``analyse`` in a fresh process, models loaded first and timed apart. Scores: the
labelled themes found (a theme boundary within one turn of the label, or keyphrases overlapping its
keywords), the share of extracted quotes among the labelled ones, verbatim quotes, and the host and
guests with their organisations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

from podpipe.cast import described
from podpipe.config import Settings
from podpipe.models.nlp import load_embedder, load_nlp
from podpipe.stages.analyse import analyse, load_transcript_any
from podpipe.stages.analyse.evaluate import score_analysis
from podpipe.stages.analyse.loader import transcript_from_turns
from podpipe.stages.analyse.settings import Nlp
from podpipe.stages.analyse.text import count_words, split_sentences

EPISODE = "transcripts/vov-ep12-microleren.json"


def shared_dir() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared"
    path = Path(os.environ.get("PODPIPE_SHARED", default))
    if not path.is_dir():
        sys.exit(f"the shared data folder {path} is missing (set PODPIPE_SHARED)")
    return path


def _drop_a_word(sentence: str, rng: random.Random) -> str:
    words = sentence.split(" ")
    if len(words) < 4:
        return sentence
    index = rng.randrange(1, len(words) - 1)
    return " ".join(words[:index] + words[index + 1 :])


def one_hour(data: dict[str, Any], target_words: int, seed: int = 12) -> dict[str, Any]:
    """The episode's turns (after its introductions) repeated and shuffled to ~``target_words``."""
    rng = random.Random(seed)
    body = data["turns"][3:]
    turns = list(data["turns"][:3])
    words = sum(count_words(t["text"]) for t in turns)
    copy = 0
    while words < target_words:
        shuffled = body[:]
        rng.shuffle(shuffled)
        for turn in shuffled:
            text = turn["text"]
            if copy:
                text = " ".join(_drop_a_word(s, rng) for s in split_sentences(text))
            turns.append({"speaker": turn["speaker"], "text": text})
            words += count_words(text)
            if words >= target_words:
                break
        copy += 1
    return {**{k: v for k, v in data.items() if k not in ("turns", "themes", "quotes")}, "turns": turns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=9500)
    parser.add_argument("--model", default=os.environ.get("PODPIPE_NLP__MODEL", "embedded"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    config = Nlp(model=args.model)
    shared = shared_dir()
    path = shared / EPISODE
    data = json.loads(path.read_text(encoding="utf-8"))

    started = time.perf_counter()
    nlp = load_nlp(config)
    load_embedder(config)
    load_seconds = time.perf_counter() - started

    hour = transcript_from_turns(one_hour(data, args.words), source="one-hour")
    trace: dict[str, Any] = {}
    started = time.perf_counter()
    setup = Settings.model_construct(nlp=config)
    hour_analysis = analyse(described(hour, setup), setup.analysis_config(), trace=trace)
    hour_seconds = time.perf_counter() - started

    transcript = described(load_transcript_any(path), setup)
    started = time.perf_counter()
    analysis = analyse(transcript, setup.analysis_config())
    episode_seconds = time.perf_counter() - started
    score = score_analysis(analysis, transcript, data, config.filler_words)

    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "spacy_pipeline": f"{nlp.meta.get('lang')}_{nlp.meta.get('name')} {nlp.meta.get('version')} "
        f"({', '.join(nlp.pipe_names)})",
        "model_load_seconds": round(load_seconds, 2),
        "one_hour": {
            "words": trace["words"],
            "turns": trace["turns"],
            "sentences": trace["sentences"],
            "estimated_duration_s": round(hour.episode.duration),
            "analyse_seconds": round(hour_seconds, 2),
            "phases": trace["timings"],
            "themes": len(hour_analysis.themes),
            "quotes": len(hour_analysis.quotes),
            "target_seconds": 60,
            "within_target": hour_seconds < 60,
        },
        "labelled_episode": {
            "analyse_seconds": round(episode_seconds, 2),
            **score.as_dict(),
            "themes": [
                {
                    "first_turn": min(t.segment_ids),
                    "last_turn": max(t.segment_ids),
                    "start": t.start,
                    "heading": t.heading,
                    "keyphrases": t.keyphrases,
                }
                for t in analysis.themes
            ],
            "quotes": [{"speaker": q.speaker, "theme": q.theme, "text": q.text} for q in analysis.quotes],
            "people": [f"{p.text} ({p.organisation or '-'}; {p.source})" for p in analysis.people],
            "organisations": [f"{o.text} ({o.source})" for o in analysis.organisations],
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    report(result, args.json)


def report(result: dict[str, Any], json_path: Path | None) -> None:
    """Print a benchmark's result as JSON, and write it to ``json_path`` when given."""
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
