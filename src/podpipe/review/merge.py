"""Two editors saved on the same version: keep both, field by field (a three-way merge).

A field one of them changed takes that change; a field both changed the same way is simply kept;
only a field both changed differently is a clash, and then nothing is decided for them: the clash
is reported with both values, and ``choices`` (field -> "mine" or "theirs") settles it on a second
pass. Whatever the choice, every field that did not clash keeps the other editor's change.

Fields (their ids are stable, so a choice made on the conflict page names the same field again):
``title``, ``intro``, ``closing``, ``closing_heading``; ``section:<n>:heading`` / ``:paragraphs`` / ``:quotes`` /
``:keyphrases`` / ``:start`` when both kept the number of sections (``n`` counts from 1), else
``sections`` (the list as a whole); ``speaker:<id>``; ``line:<n>`` (a transcript correction,
counted from 1); ``line-speaker:<n>`` (who speaks a transcript line, when an editor moved it);
``join:<n>`` (line n joined with the next).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from podpipe.domain import ShowNotes, Speaker
from podpipe.stages.notes import shownotes_from_dict, shownotes_to_dict

Choice = Literal["mine", "theirs"]
SECTION_FIELDS = ("heading", "paragraphs", "quotes", "keyphrases", "start")


@dataclass(frozen=True, slots=True)
class Clash:
    """A field both editors changed differently: its id and the three values (as stored)."""

    field: str
    base: Any
    theirs: Any
    mine: Any


@dataclass(slots=True)
class Merge:
    notes: ShowNotes
    speakers: list[Speaker]
    corrections: dict[int, str]
    line_speakers: dict[int, str]
    joins: list[int]
    clashes: list[Clash]  # fields both editors changed differently and no choice settled
    from_mine: list[str] = field(default_factory=list)  # fields only "mine" changed: merged in
    from_theirs: list[str] = field(default_factory=list)  # fields only the other editor changed: kept
    chosen: dict[str, Choice] = field(default_factory=dict)  # clashes settled by a choice

    @property
    def conflicts(self) -> list[str]:
        return [c.field for c in self.clashes]


MISSING = object()  # a field one side does not have (a correction that is not there)


class _Picker:
    def __init__(self, choices: dict[str, Choice] | None) -> None:
        self.choices = dict(choices or {})
        self.clashes: list[Clash] = []
        self.from_mine: list[str] = []
        self.from_theirs: list[str] = []
        self.chosen: dict[str, Choice] = {}

    def pick(self, name: str, base: Any, current: Any, mine: Any) -> Any:
        if mine == base or mine == current:
            if current != base and mine == base:
                self.from_theirs.append(name)
            return current
        if current == base:
            self.from_mine.append(name)
            return mine
        choice = self.choices.get(name)
        if choice in ("mine", "theirs"):
            self.chosen[name] = choice
            return mine if choice == "mine" else current
        self.clashes.append(Clash(name, base, current, mine))
        return current


def _sections(base: ShowNotes, current: ShowNotes, mine: ShowNotes, picker: _Picker) -> list[Any]:
    b, c, m = (shownotes_to_dict(n)["sections"] for n in (base, current, mine))
    if len(b) == len(c) == len(m):
        return [{key: picker.pick(f"section:{i + 1}:{key}", b[i].get(key), c[i].get(key), m[i].get(key))
                 for key in dict.fromkeys([*SECTION_FIELDS, *b[i], *c[i], *m[i]])}
                for i in range(len(b))]
    return list(picker.pick("sections", b, c, m))


def three_way(base_notes: ShowNotes, base_speakers: list[Speaker], base_corrections: dict[int, str],
              current_notes: ShowNotes, current_speakers: list[Speaker], current_corrections: dict[int, str],
              mine_notes: ShowNotes, mine_speakers: list[Speaker], mine_corrections: dict[int, str],
              choices: dict[str, Choice] | None = None, line_speakers: tuple[dict[int, str], dict[int, str],
                                                                            dict[int, str]] = ({}, {}, {}),
              joins: tuple[list[int], list[int], list[int]] = ([], [], [])) -> Merge:
    """The merge of "mine" (based on base) into "current" (the newest), with ``choices`` for clashes.
    ``line_speakers``: the lines moved to other speakers in base, current and mine; ``joins``: their
    joined lines."""
    picker = _Picker(choices)
    fields = {name: picker.pick(name, getattr(base_notes, name), getattr(current_notes, name),
                                getattr(mine_notes, name)) for name in ("title", "intro", "closing", "closing_heading")}
    sections = _sections(base_notes, current_notes, mine_notes, picker)
    notes = shownotes_from_dict({**fields, "sections": sections})

    def by_id(speakers: list[Speaker]) -> dict[str, Speaker]:
        return {s.id: s for s in speakers}

    b, c, m = by_id(base_speakers), by_id(current_speakers), by_id(mine_speakers)
    speakers = [picker.pick(f"speaker:{sid}", b.get(sid), c.get(sid), m.get(sid))
                for sid in dict.fromkeys([*c, *m])]
    corrections: dict[int, str] = {}
    for index in sorted(set(base_corrections) | set(current_corrections) | set(mine_corrections)):
        value = picker.pick(f"line:{index + 1}", base_corrections.get(index, MISSING),
                            current_corrections.get(index, MISSING), mine_corrections.get(index, MISSING))
        if value is not MISSING:
            corrections[index] = value
    moved: dict[int, str] = {}
    base_moves, current_moves, mine_moves = line_speakers
    for index in sorted(set(base_moves) | set(current_moves) | set(mine_moves)):
        value = picker.pick(f"line-speaker:{index + 1}", base_moves.get(index, MISSING),
                            current_moves.get(index, MISSING), mine_moves.get(index, MISSING))
        if value is not MISSING:
            moved[index] = value
    joined = [index for index in sorted(set().union(*map(set, joins)))
              if picker.pick(f"join:{index + 1}", *(index in side for side in joins))]
    return Merge(notes, [s for s in speakers if s is not None], corrections, moved, joined, picker.clashes,
                 picker.from_mine, picker.from_theirs, picker.chosen)


__all__ = ["MISSING", "SECTION_FIELDS", "Choice", "Clash", "Merge", "three_way"]
