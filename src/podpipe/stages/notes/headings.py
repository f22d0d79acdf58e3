"""What a theme does in the conversation, so its heading asks the question that fits it.

The article's headings ask a question of the theme's concept ("Loopbaancheques: hulp of verdienmodel?",
"AI in leiderschap en leren: hype of hefboom?"). Which question depends on what the speakers do with
the concept: disagree about it, explain how to do it, weigh numbers, warn against it, define it, or
weigh what it brings. Each is recognised by generic Dutch discourse cues in the theme's sentences
(not by any episode's words); the heading template has a few question frames per kind, and
:func:`heading_kinds` orders the kinds by how strongly the theme shows them, so the builder takes the
best kind whose frames are not yet used in the draft.
"""

from __future__ import annotations

import re

from podpipe.domain import ParsedSentence

KINDS = ("disagreement", "howto", "number", "warning", "definition", "value")

# Per kind: cues, and whether only the host's questions count (a definition is asked for, a
# disagreement is voiced by the guests).
_CUES: dict[str, re.Pattern[str]] = {
    "disagreement": re.compile(
        r"\b(?:niet (?:mee )?eens|oneens|ik zie dat anders|dat klopt niet|integendeel|botsen|botst|spanning|"
        r"twee visies|daar ben ik het|akkoord|ik ga (?:daar )?tegenin|kritisch|dat is (?:te )?makkelijk gezegd)\b",
        re.IGNORECASE,
    ),
    "howto": re.compile(
        r"\b(?:hoe (?:pak|doe|begin|zorg|krijg|maak)|hoe ge|hoe je|aanpak|stappen|stap voor stap|concreet|"
        r"in de praktijk|begin (?:met|bij|klein|vroeg)|tip|advies)\b",
        re.IGNORECASE,
    ),
    "number": re.compile(
        r"\b(?:\d+|procent|helft|derde|kwart|cijfers?|meten|gemeten|op de (?:vijf|tien))\b", re.IGNORECASE
    ),
    "warning": re.compile(
        r"\b(?:valkuil\w*|mis(?:loopt|lopen|gaat|gegaan)|fout\w*|gevaar\w*|risico\w*|opletten|pas op|"
        r"probleem|problemen|slecht\w*|te laat)\b",
        re.IGNORECASE,
    ),
    "definition": re.compile(
        r"\b(?:wat bedoelen|wat is dat|wat betekent|betekent|staat voor|noemen we|de term|het woord|het begrip)\b",
        re.IGNORECASE,
    ),
}
# How many cues per 100 words make a kind count at all; measured over the 14 labelled themes of the
# shared episodes, a kind's cues come at 0.5-3 per 100 words where the theme does that thing.
_FLOOR = {"disagreement": 0.4, "howto": 0.8, "number": 1.5, "warning": 0.8, "definition": 0.3}


def heading_kinds(members: list[ParsedSentence]) -> list[str]:
    """The theme's kinds, strongest first, "value" (what it brings) always last as the fallback."""
    words = max(sum(len(s.text.split()) for s in members), 1)
    rates = {}
    for kind, cue in _CUES.items():
        found = sum(len(cue.findall(s.text)) for s in members)
        rate = 100 * found / words
        if rate >= _FLOOR[kind]:
            rates[kind] = rate / _FLOOR[kind]
    return [*sorted(rates, key=lambda k: -rates[k]), "value"]


__all__ = ["KINDS", "heading_kinds"]
