"""Show notes benchmark: how much the draft reads like the article, on the hand-labelled episode.

    PYTHONPATH=src .venv/bin/python bench/notes_bench.py [--episode FILE] [--draft DIR]
        [--audio-output DIR [--segments FILE]] [--json bench/results/notes.json]

Without ``--draft`` it runs what ``podpipe notes`` runs (analysis, naming, notes) on ``--episode``
(default ``$PODPIPE_SHARED/transcripts/vov-ep12-microleren.json``, text in; any file in that
speakers-turns-themes format works, e.g. one with its themes reordered); with ``--draft DIR`` it scores
the ``shownotes.json`` of a ``podpipe notes`` output made from that episode file instead.

Audio in: ``--audio-output DIR`` scores the folder ``podpipe run`` wrote for the episode's rendering
(``shownotes.json``, ``transcript.json``). Section and quote times are mapped to the labelled turns
with the rendering's segment times (``--segments``, default the episode's ``.espeak.segments.json``);
quotes must be verbatim in the ASR transcript's words of the speaker they are attributed to, and that
speaker's name must be the labelled speaker of the turn the quote starts in.

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
from pathlib import Path
from typing import Any

from nlp_bench import EPISODE, report, shared_dir  # noqa: E402 - bench/ is on the path when run as a script

from podpipe.config import Settings
from podpipe.domain import ShowNotes
from podpipe.models.nlp import load_nlp
from podpipe.stages.analyse import load_transcript_any
from podpipe.stages.notes import read_show_notes
from podpipe.stages.notes.clauses import has_personal
from podpipe.stages.notes.quotes import quote_parts


def _sentences(paragraphs: list[str]) -> list[str]:
    return [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p.strip()) if s]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def score(
    notes: ShowNotes, data: dict[str, Any], settings: Settings, heard: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The measures; ``heard``: a ``podpipe run`` transcript.json (audio in) to check quotes against."""
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
    quotes = [q for sec in notes.sections for q in sec.quotes]
    verbatim = _quotes_right(quotes, data, heard)
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
        **(_audio_measures(data, heard) if heard is not None else {}),
        "title": notes.title,
        "headings": [sec.heading for sec in notes.sections],
        "examples": {"person": personal[:5], "fragments": fragments[:5]},
    }


def _quotes_right(quotes: list[Any], data: dict[str, Any], heard: dict[str, Any] | None) -> list[bool]:
    """Each quote verbatim in its speaker's words; on audio also that speaker named as the labelled one."""
    said: dict[str, str] = {}
    if heard is None:
        for turn in data["turns"]:
            said[turn["speaker"]] = said.get(turn["speaker"], "") + " " + " ".join(turn["text"].split())
        return [all(p in said.get(q.speaker, "") for p in quote_parts(q.text)) for q in quotes]
    for segment in heard["segments"]:
        key = segment.get("speaker") or ""
        said[key] = said.get(key, "") + " " + " ".join(segment["text"].split())
    named = {s["id"]: s.get("name") for s in heard.get("speakers", [])}
    labelled = {s["id"]: s["name"] for s in data["speakers"]}
    right = []
    for quote in quotes:
        turn = _turn_at(data["turns"], quote.start)
        who = labelled.get(data["turns"][turn]["speaker"]) if 0 <= turn < len(data["turns"]) else None
        words = " ".join(said.get(quote.speaker, "").split())
        parts = [" ".join(p.split()) for p in quote_parts(quote.text)]
        verbatim = all(p in words for p in parts)
        right.append(verbatim and named.get(quote.speaker) == who)
        _audio_quotes.append({"verbatim": verbatim, "speaker": named.get(quote.speaker), "labelled": who})
    return right


_audio_quotes: list[dict[str, Any]] = []  # per quote on audio in: verbatim, named speaker, labelled one


def _heard(data: dict[str, Any], heard: dict[str, Any]) -> str:
    """Labelled themes whose central concept (one of its first three keywords) the ASR transcript
    has at all within the theme's time: the ceiling for heading concepts on audio in."""
    starts = dict(_turn_starts)
    hits = []
    for theme in data["themes"]:
        if theme["title"].lower().startswith("tot slot"):
            continue
        begin, end = starts.get(theme["first_turn"], 0.0), starts.get(theme["last_turn"] + 1, float("inf"))
        text = " ".join(s["text"] for s in heard["segments"] if begin - 1 <= s["start"] < end)
        hits.append(any(_names(k, text) for k in theme["keywords"][:3]))
    return f"{sum(hits)}/{len(hits)}"


def _audio_measures(data: dict[str, Any], heard: dict[str, Any]) -> dict[str, Any]:
    quotes = _audio_quotes
    return {
        "labelled_concepts_heard_by_asr": _heard(data, heard),
        "quotes_verbatim_in_asr": f"{sum(q['verbatim'] for q in quotes)}/{len(quotes)}",
        "quotes_named_as_labelled_speaker": f"{sum(q['speaker'] == q['labelled'] for q in quotes)}/{len(quotes)}",
    }


def _names(keyword: str, heading: str) -> bool:
    """Whether the heading names the keyword: each of its words, compared on the first five letters."""
    stems = {w[:5] for w in _norm(heading).split()}
    return all(w[:5] in stems for w in _norm(keyword).split() if len(w) > 2)


def _turn_at(turns: list[dict[str, Any]], start: float | None) -> int:
    """The turn a time falls in: the last turn that starts at or before it (on text in the loader
    numbers segments as turns and estimates their times; on audio the rendering's times are used)."""
    time = round(start or 0.0, 3)
    return max((i for i, t in _turn_starts if t <= time), default=-1)


_turn_starts: list[tuple[int, float]] = []  # (turn index, start time)


def build(path: Path, settings: Settings) -> ShowNotes:
    from podpipe.stages.analyse import analyse
    from podpipe.stages.naming import name_speakers
    from podpipe.stages.notes import build_show_notes

    transcript = load_transcript_any(path, words_per_second=settings.nlp.words_per_second)
    analysis = analyse(transcript, settings)
    return build_show_notes(name_speakers(transcript, analysis, settings), analysis, settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episode", type=Path, help="the labelled episode (speakers, turns, themes)")
    parser.add_argument("--draft", type=Path, help="a folder with shownotes.json to score instead")
    parser.add_argument("--audio-output", type=Path, help="a podpipe run output folder of the rendering")
    parser.add_argument("--segments", type=Path, help="the rendering's segment times (audio in)")
    parser.add_argument("--json", type=Path, help="write the result here too")
    args = parser.parse_args()
    path = args.episode or shared_dir() / EPISODE
    data = json.loads(path.read_text(encoding="utf-8"))
    settings = Settings()
    heard = None
    if args.audio_output:
        segments = args.segments or path.with_suffix(".espeak.segments.json")
        rendering = json.loads(segments.read_text(encoding="utf-8"))
        _turn_starts.extend((s["turn"], round(s["start"], 3)) for s in rendering["segments"])
        heard = json.loads((args.audio_output / "transcript.json").read_text(encoding="utf-8"))
        notes = read_show_notes(args.audio_output / "shownotes.json")
    else:
        transcript = load_transcript_any(path, words_per_second=settings.nlp.words_per_second)
        _turn_starts.extend((i, round(s.start, 3)) for i, s in enumerate(transcript.segments))
        notes = read_show_notes(args.draft / "shownotes.json") if args.draft else build(path, settings)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "input": "audio" if heard is not None else "text",
        **score(notes, data, settings, heard),
    }
    report(result, args.json)


if __name__ == "__main__":
    main()
