"""Show notes benchmark: how much the draft reads like the article, on the hand-labelled episode.

    PYTHONPATH=src .venv/bin/python bench/notes_bench.py [--draft DIR] [--json bench/results/notes.json]

Without ``--draft`` it runs what ``podpipe notes`` runs (analysis, naming, notes) on
``$PODPIPE_SHARED/transcripts/vov-ep12-microleren.json`` (text in); with ``--draft DIR`` it scores the
``shownotes.json`` in DIR instead (a ``podpipe notes`` or ``podpipe run`` output, e.g. from an older
commit or from audio), against the same labelled episode.

Measures:
* heading concepts: share of sections whose central concept (their first keyphrase) is in the heading,
  and labelled themes whose own central concept (one of its first three keywords) is in the heading of
  a section inside it;
* raw questions: headings that contain a question sentence of the transcript;
* person: paraphrase and closing sentences (outside quotes, the configured call to action left out)
  with a first- or second-person pronoun; fragments: such sentences without a finite verb (parser);
* themes found: labelled themes (the closing round aside) that have a section starting within them;
  closing round as a section: whether the labelled closing round got a section of its own;
* quotes: verbatim in the words of the speaker the labels give; intro names: host and guests named.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from pathlib import Path
from typing import Any

from podpipe.config import Settings
from podpipe.domain import ShowNotes
from podpipe.models.nlp import load_nlp
from podpipe.stages.analyse import load_transcript_any
from podpipe.stages.notes import read_show_notes
from podpipe.stages.notes.clauses import has_personal
from podpipe.stages.notes.quotes import quote_parts

EPISODE = "transcripts/vov-ep12-microleren.json"


def shared_dir() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared"
    path = Path(os.environ.get("PODPIPE_SHARED", default))
    if not path.is_dir():
        sys.exit(f"shared data not found: {path} (set PODPIPE_SHARED)")
    return path


def _sentences(paragraphs: list[str]) -> list[str]:
    return [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p.strip()) if s]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def score(notes: ShowNotes, data: dict[str, Any], settings: Settings) -> dict[str, Any]:
    nlp = load_nlp(settings)
    turns = data["turns"]
    cta = set(_sentences([settings.shownotes.call_to_action]))
    prose = [s for sec in notes.sections for s in _sentences(sec.paragraphs)]
    prose += [s for s in _sentences(notes.closing.split("\n\n")) if s not in cta]
    personal = [s for s in prose if has_personal(s)]
    fragments = [s for s in prose if not any(t.morph.get("VerbForm") == ["Fin"] for t in nlp(s))]
    with_concept = [
        sec for sec in notes.sections if sec.keyphrases and _norm(sec.keyphrases[0]) in _norm(sec.heading)
    ]
    questions = {_norm(s) for t in turns for s in re.split(r"(?<=[.!?])\s+", t["text"]) if s.endswith("?")}
    asked = [_norm(sec.heading.split(":", 1)[-1]) for sec in notes.sections]  # the question part
    raw = [a for a in asked if len(a.split()) >= 4 and any(a in q for q in questions)]
    starts = [_turn_at(turns, sec.start) for sec in notes.sections]
    labelled = [t for t in data["themes"] if not t["title"].lower().startswith("tot slot")]
    closing = [t for t in data["themes"] if t["title"].lower().startswith("tot slot")]
    found = [any(t["first_turn"] - 1 <= s <= t["last_turn"] for s in starts) for t in labelled]
    # the labels' own central concepts (first three keywords) in the heading of a section in that theme
    label_hits = []
    for theme in labelled:
        headings = [
            sec.heading for sec, st in zip(notes.sections, starts, strict=True)
            if theme["first_turn"] - 1 <= st <= theme["last_turn"]
        ]  # fmt: skip
        label_hits.append(any(_names(k, h) for k in theme["keywords"][:3] for h in headings))
    said: dict[str, str] = {}
    for turn in turns:
        said[turn["speaker"]] = said.get(turn["speaker"], "") + " " + " ".join(turn["text"].split())
    quotes = [q for sec in notes.sections for q in sec.quotes]
    verbatim = [all(p in said.get(q.speaker, "") for p in quote_parts(q.text)) for q in quotes]
    names = [s["name"] for s in data["speakers"]]
    return {
        "sections": len(notes.sections),
        "heading_concept_share": round(len(with_concept) / max(len(notes.sections), 1), 3),
        "labelled_concept_in_heading": f"{sum(label_hits)}/{len(label_hits)}",
        "headings_with_raw_question": len(raw),
        "prose_sentences": len(prose),
        "first_second_person_sentences": len(personal),
        "fragments": len(fragments),
        "themes_found": f"{sum(found)}/{len(found)}",
        "closing_round_as_section": any(
            t["first_turn"] <= s <= t["last_turn"] for t in closing for s in starts
        ),
        "quotes": len(quotes),
        "quotes_verbatim_right_speaker": f"{sum(verbatim)}/{len(quotes)}",
        "intro_names": f"{sum(n in notes.intro for n in names)}/{len(names)}",
        "title": notes.title,
        "headings": [sec.heading for sec in notes.sections],
        "examples": {"person": personal[:5], "fragments": fragments[:5]},
    }


def _names(keyword: str, heading: str) -> bool:
    """Whether the heading names the keyword: each of its words, compared on the first five letters."""
    stems = {w[:5] for w in _norm(heading).split()}
    return all(w[:5] in stems for w in _norm(keyword).split() if len(w) > 2)


def _turn_at(turns: list[dict[str, Any]], start: float | None) -> int:
    """The turn a section starts in (the loader numbers segments as turns and estimates their times)."""
    return _turn_index.get(round(start or 0.0, 3), -1)


_turn_index: dict[float, int] = {}


def build(path: Path, settings: Settings) -> ShowNotes:
    from podpipe.stages.analyse import analyse
    from podpipe.stages.naming import name_speakers
    from podpipe.stages.notes import build_show_notes

    transcript = load_transcript_any(path, words_per_second=settings.nlp.words_per_second)
    analysis = analyse(transcript, settings)
    return build_show_notes(name_speakers(transcript, analysis, settings), analysis, settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draft", type=Path, help="a folder with shownotes.json to score instead")
    parser.add_argument("--json", type=Path, help="write the result here too")
    args = parser.parse_args()
    path = shared_dir() / EPISODE
    data = json.loads(path.read_text(encoding="utf-8"))
    settings = Settings()
    transcript = load_transcript_any(path, words_per_second=settings.nlp.words_per_second)
    for i, segment in enumerate(transcript.segments):  # section starts are turn starts (or inside one)
        _turn_index[round(segment.start, 3)] = i
    notes = read_show_notes(args.draft / "shownotes.json") if args.draft else build(path, settings)
    for sec in notes.sections:  # a section may start inside a turn: take the turn that holds it
        key = round(sec.start or 0.0, 3)
        if key not in _turn_index:
            _turn_index[key] = max(
                (i for i, s in enumerate(transcript.segments) if s.start <= key), default=-1
            )
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        **score(notes, data, settings),
    }
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
