"""Show notes benchmark: do the drafts name and cover the labelled themes, on every shared episode?

    PYTHONPATH=src .venv/bin/python bench/notes_bench.py [--text] [--audio-root DIR --renderings DIR]
        [--held-out] [--json bench/results/notes.json]

Episodes: the three labelled ones in ``$PODPIPE_SHARED/transcripts`` (ep12, ep14, ep15). Every rule of the
notes must earn its place on all three together, so the benchmark always reports all three and their sum.
``--held-out`` adds the labelled episodes in ``bench/episodes/`` (written for this project after the rules
were made, in the shared episodes' format), reported beside that sum and never summed with it: they check
the rules on episodes they were not built on, so no rule may be tuned on them.

* **Text in** (``--text``, the default when ``--audio-root`` is absent): what ``podpipe notes`` runs
  (analysis, naming, notes) on each episode's unlabelled ``.input.json`` (ep12's ``.json``, whose labels
  the loader ignores).
* **Audio in** (``--audio-root DIR``): the ``shownotes.json`` and ``transcript.json`` that ``podpipe run``
  wrote under ``DIR/<slug>/`` for each episode's rendering; ``--renderings`` holds the renderings'
  ``.segments.json`` (``bench/render_episode.py`` writes them: MBROLA voices, which Whisper base hears
  about as well as real conversation), whose turn times map the draft's times to the labelled turns.

Measures (the issue's definitions), per episode and summed:

* **headings**: a labelled theme (the closing round included) whose central concept, one of its first
  three labelled keywords, is in the heading of a section that starts inside the theme (the closing
  round: the closing's heading);
* **themes found**: a labelled theme two of whose keywords one section's text holds (heading,
  paraphrase and quotes; the closing round: the closing);
* **quotes**: labelled quotes recovered, i.e. a draft quote holds 60 % of the labelled quote's words;
* **person**: paraphrase and closing sentences (outside quotes, the call to action left out) in the
  first or second person; **fragments**: such sentences without a finite verb (the trained parse).

A keyword is "in" a text when each of its words is, compared on their first five letters (so plural and
compound-final forms count: "loopbaangesprek" in "loopbaangesprekken").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp_bench import report, shared_dir  # noqa: E402 - bench/ is on the path when run as a script

from podpipe.cast import described
from podpipe.config import Settings, show_name
from podpipe.domain import ShowNotes
from podpipe.models.nlp import load_nlp
from podpipe.stages.analyse import load_transcript_any
from podpipe.stages.notes import read_show_notes
from podpipe.stages.notes.clauses import has_personal

EPISODES = ["vov-ep12-microleren", "vov-ep14-feedbackcultuur", "vov-ep15-duurzame-inzetbaarheid"]
HELD_OUT = Path(__file__).resolve().parent / "episodes"
MEASURES = ["headings", "themes_found", "quotes_recovered", "person_sentences", "fragments"]


def _sentences(paragraphs: list[str]) -> list[str]:
    return [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p.strip()) if s]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def names(keyword: str, text: str) -> bool:
    """Whether ``text`` names ``keyword``: each of its words, compared on the first five letters."""
    stems = {w[:5] for w in _norm(text).split()}
    words = [w for w in _norm(keyword).split() if len(w) > 2] or _norm(keyword).split()
    return bool(words) and all(w[:5] in stems for w in words)


def shares_words(labelled: str, draft: str, share: float = 0.6) -> bool:
    wanted = _norm(labelled).split()
    have = set(_norm(draft).split())
    return bool(wanted) and sum(w in have for w in wanted) / len(wanted) >= share


@dataclass(slots=True)
class Part:
    """A section of the draft, or its closing, as the measures see it."""

    heading: str
    text: str
    turn: int  # the labelled turn it starts in (-1 for the closing)


def _parts(notes: ShowNotes, turn_at: Any) -> list[Part]:
    parts = []
    for section in notes.sections:
        body = " ".join([section.heading, *section.paragraphs, *(q.text for q in section.quotes)])
        parts.append(Part(section.heading, body, turn_at(section.start)))
    closing_heading = notes.closing_heading or "Tot slot"
    parts.append(Part(closing_heading, f"{closing_heading} {notes.closing}", -1))
    return parts


def score(notes: ShowNotes, data: dict[str, Any], settings: Settings, starts: list[float]) -> dict[str, Any]:
    nlp = load_nlp(settings.nlp, show_name(settings))

    def turn_at(time: float | None) -> int:
        moment = round(time or 0.0, 3)
        return max((i for i, t in enumerate(starts) if t <= moment), default=-1)

    parts = _parts(notes, turn_at)
    closing = parts[-1]
    themes = data["themes"]
    heading_hits, found = [], []
    for theme in themes:
        is_closing = theme["title"].lower().startswith("tot slot")
        own = [closing] if is_closing else [
            p for p in parts[:-1] if theme["first_turn"] - 1 <= p.turn <= theme["last_turn"]
        ]  # fmt: skip
        heading_hits.append(any(names(k, p.heading) for k in theme["keywords"][:3] for p in own))
        candidates = [closing] if is_closing else parts[:-1]
        found.append(any(sum(names(k, p.text) for k in theme["keywords"]) >= 2 for p in candidates))
    quotes = [q for sec in notes.sections for q in sec.quotes]
    recovered = [any(shares_words(label["text"], q.text) for q in quotes) for label in data["quotes"]]
    cta = set(_sentences([settings.shownotes.call_to_action]))
    prose = [s for sec in notes.sections for s in _sentences(sec.paragraphs)]
    prose += [s for s in _sentences(notes.closing.split("\n\n")) if s not in cta]
    personal = [s for s in prose if has_personal(s)]
    fragments = [s for s in prose if not any(t.morph.get("VerbForm") == ["Fin"] for t in nlp(s))]
    return {
        "headings": (sum(heading_hits), len(heading_hits)),
        "themes_found": (sum(found), len(found)),
        "quotes_recovered": (sum(recovered), len(recovered)),
        "person_sentences": (len(personal), len(prose)),
        "fragments": (len(fragments), len(prose)),
        "title": notes.title,
        "headings_written": [p.heading for p in parts],
        "missed_themes": [t["title"] for t, hit in zip(themes, heading_hits, strict=True) if not hit],
        "examples": {"person": personal[:5], "fragments": fragments[:5]},
    }


def build(path: Path, settings: Settings) -> tuple[ShowNotes, list[float]]:
    from podpipe.stages.analyse import analyse
    from podpipe.stages.naming import name_speakers
    from podpipe.stages.notes import build_show_notes

    transcript = described(load_transcript_any(path, words_per_second=settings.nlp.words_per_second), settings)
    analysis = analyse(transcript, settings.analysis_config())
    notes = build_show_notes(name_speakers(transcript, analysis, settings.naming_config()), analysis,
                             settings.notes_config())
    return notes, [round(s.start, 3) for s in transcript.segments]


def _text_input(shared: Path, stem: str) -> Path:
    unlabelled = shared / "transcripts" / f"{stem}.input.json"
    return unlabelled if unlabelled.exists() else shared / "transcripts" / f"{stem}.json"


def _audio(root: Path, renderings: Path, stem: str) -> tuple[ShowNotes, list[float]]:
    folders = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(stem)]
    if not folders:
        raise SystemExit(f"no podpipe run output for {stem} under {root}")
    segments = json.loads(next(renderings.glob(f"{stem}*.segments.json")).read_text(encoding="utf-8"))
    return read_show_notes(folders[0] / "shownotes.json"), [round(s["start"], 3) for s in segments["segments"]]


def table(results: dict[str, dict[str, Any]], measure: str, held_out: list[str]) -> list[str]:
    modes = list(results)
    lines = [f"| {measure} | " + " | ".join(modes) + " |", "|---|" + "---|" * len(modes)]
    for stem in [*EPISODES, "sum", *held_out]:
        cells = []
        for mode in modes:
            if stem == "sum":
                got = [results[mode][e][measure] for e in EPISODES if e in results[mode]]
                cells.append(f"**{sum(g[0] for g in got)}/{sum(g[1] for g in got)}**")
            else:
                value = results[mode].get(stem, {}).get(measure)
                cells.append(f"{value[0]}/{value[1]}" if value else "")
        name = "sum" if stem == "sum" else stem.split("-")[1] + (" (held out)" if stem in held_out else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", action="store_true", help="text in (the default without --audio-root)")
    parser.add_argument("--audio-root", type=Path, help="podpipe run output root of the renderings")
    parser.add_argument("--renderings", type=Path, default=Path("work/renderings"))
    parser.add_argument("--held-out", action="store_true", help=f"add the episodes in {HELD_OUT}")
    parser.add_argument("--json", type=Path, help="write the result here too")
    args = parser.parse_args()
    shared = shared_dir()
    settings = Settings()
    labelled = {stem: shared / "transcripts" / f"{stem}.json" for stem in EPISODES}
    held_out = sorted(HELD_OUT.glob("*.json")) if args.held_out else []
    labelled |= {path.stem: path for path in held_out}
    results: dict[str, dict[str, Any]] = {}
    if args.text or not args.audio_root:
        results["text in"] = {}
        for stem, path in labelled.items():
            data = json.loads(path.read_text(encoding="utf-8"))
            # the loader ignores the labels: a held-out episode's labelled file is its input
            notes, starts = build(_text_input(shared, stem) if stem in EPISODES else path, settings)
            results["text in"][stem] = score(notes, data, settings, starts)
    if args.audio_root:
        results["audio in"] = {}
        for stem, path in labelled.items():
            if stem not in EPISODES and not any(args.audio_root.glob(f"{stem}*/shownotes.json")):
                print(f"{stem}: no podpipe run output under {args.audio_root}, left out of audio in")
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
            notes, starts = _audio(args.audio_root, args.renderings, stem)
            results["audio in"][stem] = score(notes, data, settings, starts)
    for measure in MEASURES:
        print("\n".join(table(results, measure, [path.stem for path in held_out])) + "\n")
    report(
        {"machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}", **results},
        args.json,
    )


if __name__ == "__main__":
    main()
