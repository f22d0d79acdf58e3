"""Two editors saved on the same version: keep both, field by field (a three-way merge).

A field one of them changed takes that change; a field both changed the same way is simply kept;
only a field both changed differently is a conflict, and then nothing is decided for them. Fields:
title, intro, closing, each speaker, each transcript correction, and each section (by position,
when both kept the number of sections; otherwise the list of sections as a whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podpipe.domain import ShowNotes, Speaker
from podpipe.stages.notes import shownotes_to_dict


@dataclass(slots=True)
class Merge:
    notes: ShowNotes
    speakers: list[Speaker]
    corrections: dict[int, str]
    conflicts: list[str]  # field names both editors changed differently


_MISSING = object()


def _pick(name: str, base: Any, current: Any, mine: Any, conflicts: list[str]) -> Any:
    if mine == base or mine == current:
        return current
    if current == base:
        return mine
    conflicts.append(name)
    return current


def _sections(base: ShowNotes, current: ShowNotes, mine: ShowNotes, conflicts: list[str]) -> list[Any]:
    b, c, m = ([shownotes_to_dict(n)["sections"][i] for i in range(len(n.sections))] for n in (base, current, mine))
    if len(b) == len(c) == len(m):
        return [_pick(f"section {i + 1}", b[i], c[i], m[i], conflicts) for i in range(len(b))]
    return _pick("sections", b, c, m, conflicts)


def three_way(base_notes: ShowNotes, base_speakers: list[Speaker], base_corrections: dict[int, str],
              current_notes: ShowNotes, current_speakers: list[Speaker], current_corrections: dict[int, str],
              mine_notes: ShowNotes, mine_speakers: list[Speaker], mine_corrections: dict[int, str]) -> Merge:
    from podpipe.stages.notes import shownotes_from_dict

    conflicts: list[str] = []
    fields = {name: _pick(name, getattr(base_notes, name), getattr(current_notes, name),
                          getattr(mine_notes, name), conflicts) for name in ("title", "intro", "closing")}
    sections = _sections(base_notes, current_notes, mine_notes, conflicts)
    notes = shownotes_from_dict({**fields, "sections": sections})

    def by_id(speakers: list[Speaker]) -> dict[str, Speaker]:
        return {s.id: s for s in speakers}

    b, c, m = by_id(base_speakers), by_id(current_speakers), by_id(mine_speakers)
    speakers = [_pick(f"speaker {sid}", b.get(sid), c.get(sid), m.get(sid), conflicts) or m.get(sid)
                for sid in dict.fromkeys([*c, *m])]
    corrections: dict[int, str] = {}
    for index in sorted(set(base_corrections) | set(current_corrections) | set(mine_corrections)):
        value = _pick(f"transcript line {index + 1}", base_corrections.get(index, _MISSING),
                      current_corrections.get(index, _MISSING), mine_corrections.get(index, _MISSING), conflicts)
        if value is not _MISSING:
            corrections[index] = value
    return Merge(notes, [s for s in speakers if s is not None], corrections, conflicts)


__all__ = ["Merge", "three_way"]
