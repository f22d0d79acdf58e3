"""Scoring an Analysis against a hand-labelled episode file (themes with first/last turn and keywords,
quotes with speaker and turn), for tests and the benchmark. Turn index = segment index, as
:func:`podpipe.stages.analyse.loader.load_transcript_any` builds one segment per turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from podpipe.domain import Analysis, Transcript
from podpipe.stages.analyse.text import WORD_RE, remove_fillers, word_jaccard


@dataclass(slots=True)
class Score:
    themes_found: list[bool] = field(default_factory=list)  # per labelled theme
    theme_how: list[str] = field(default_factory=list)  # "boundary", "keyphrases", "boundary+keyphrases", ""
    quote_matches: list[bool] = field(default_factory=list)  # per extracted quote
    quotes_verbatim: list[bool] = field(default_factory=list)
    labelled_quotes_found: int = 0
    speakers_found: list[bool] = field(default_factory=list)  # host and guests, each with organisation

    @property
    def theme_recall(self) -> float:
        return sum(self.themes_found) / len(self.themes_found) if self.themes_found else 0.0

    @property
    def quote_precision(self) -> float:
        return sum(self.quote_matches) / len(self.quote_matches) if self.quote_matches else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "theme_recall": round(self.theme_recall, 3),
            "themes_found": self.themes_found,
            "theme_how": self.theme_how,
            "quotes": len(self.quote_matches),
            "quote_precision": round(self.quote_precision, 3),
            "labelled_quotes_found": self.labelled_quotes_found,
            "quotes_verbatim": all(self.quotes_verbatim),
            "speakers_found": self.speakers_found,
        }


def _stems(text: str) -> set[str]:
    """Crude prefix stems (6 letters), enough to match "medewerkers" with "nieuwe medewerker"."""
    return {w.lower()[:6] for w in WORD_RE.findall(text) if len(w) >= 4}


def quote_matches_label(quote: str, label: str) -> bool:
    a, b = quote.lower(), label.lower()
    return a in b or b in a or word_jaccard(quote, label) >= 0.6


def is_verbatim(quote_text: str, speaker: str, transcript: Transcript, filler_words: list[str]) -> bool:
    """Is the quote a substring of one of its speaker's segments, after removing filler words?"""
    target = re.sub(r"\s+", " ", quote_text).strip()
    for segment in transcript.segments:
        if segment.speaker != speaker:
            continue
        cleaned = re.sub(r"\s+", " ", remove_fillers(segment.text, filler_words))
        if target in cleaned or target in re.sub(r"\s+", " ", segment.text):
            return True
    return False


def score_analysis(
    analysis: Analysis, transcript: Transcript, labels: dict[str, Any], filler_words: list[str]
) -> Score:
    score = Score()
    theme_turns = [(min(t.segment_ids), max(t.segment_ids)) for t in analysis.themes if t.segment_ids]
    for label in labels.get("themes", []):
        first, last = label["first_turn"], label["last_turn"]
        boundary = any(abs(start - first) <= 1 for start, _ in theme_turns)
        keywords = (
            set().union(*(_stems(k) for k in label.get("keywords", []))) if label.get("keywords") else set()
        )
        overlap = False
        for theme in analysis.themes:
            if not theme.segment_ids:
                continue
            start, end = min(theme.segment_ids), max(theme.segment_ids)
            if start <= last and end >= first and any(_stems(k) & keywords for k in theme.keyphrases):
                overlap = True
        score.themes_found.append(boundary or overlap)
        score.theme_how.append(
            "+".join(n for n, ok in (("boundary", boundary), ("keyphrases", overlap)) if ok)
        )
    labelled = labels.get("quotes", [])
    found_labels = set()
    for quote in analysis.quotes:
        hits = [
            i
            for i, lab in enumerate(labelled)
            if lab.get("speaker") == quote.speaker and quote_matches_label(quote.text, lab["text"])
        ]
        score.quote_matches.append(bool(hits))
        found_labels.update(hits)
        score.quotes_verbatim.append(is_verbatim(quote.text, quote.speaker, transcript, filler_words))
    score.labelled_quotes_found = len(found_labels)
    people = {p.text.lower(): p for p in analysis.people}
    orgs = {o.text.lower() for o in analysis.organisations}
    for speaker in labels.get("speakers", []):
        person = people.get(str(speaker.get("name", "")).lower())
        org = speaker.get("organisation")
        ok = person is not None and (
            not org or ((person.organisation or "").lower() == org.lower() and org.lower() in orgs)
        )
        score.speakers_found.append(ok)
    return score
