"""The episode form as the editor left it, read against the version it was built from.

The form shows names resolved (``Sofie`` rather than ``[[speaker:SPEAKER_01:first]]``); what comes
back is turned into references again with the speakers *of that version*, so an edit and a rename
in the same save both land: the text names the speaker, the speaker has the new name.

What cannot be published is refused, never quietly reverted: an empty title or heading, and text
longer than the limits below (a paragraph of show notes is a few hundred characters; 5,000 is a
paste gone wrong, not writing). The refused form comes back with what the editor typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from podpipe.domain import Analysis, Quote, Role, Section, ShowNotes, Speaker, Transcript
from podpipe.review.corrections import apply_corrections, corrected_quotes, normal_text, quote_edit_corrections
from podpipe.stages.notes.references import REFERENCE, reference, resolve

Form = Any  # starlette FormData: .get, .getlist, `in`

MAX_TITLE = 200  # characters of the title and of a section heading
MAX_PARAGRAPH = 5_000  # characters of one paragraph (intro, closing, a section's), a quote or a transcript line


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a field cannot be saved: the form field's name and a message key with its values."""

    field: str
    key: str  # i18n key: "invalid.empty_title", "invalid.empty_heading", "invalid.too_long"
    values: tuple[tuple[str, str | int], ...] = ()


@dataclass(slots=True)
class Edit:
    notes: ShowNotes
    speakers: list[Speaker]
    corrections: dict[int, str]
    problems: list[Problem] = field(default_factory=list)  # nothing is saved while there are any
    line_speakers: dict[int, str] = field(default_factory=dict)  # segment index -> speaker it was moved to
    joins: list[int] = field(default_factory=list)  # segment i continues into i + 1


def _too_long(name: str, text: str, limit: int, what: str, problems: list[Problem]) -> None:
    if len(text) > limit:
        problems.append(Problem(name, "invalid.too_long", (("what", what), ("n", len(text)), ("max", limit))))


def _text(form: Form, key: str, default: str) -> str:
    value = form.get(key)
    return default if value is None else str(value).replace("\r\n", "\n").strip()


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def clock_seconds(text: str) -> float | None:
    """"12:34" or "1:02:03" or "754" -> seconds (None when it is none of these)."""
    parts = text.strip().split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    seconds = 0.0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds if parts and seconds >= 0 else None


def edited_speakers(form: Form, base: list[Speaker]) -> list[Speaker]:
    speakers = []
    for speaker in base:
        prefix = f"speaker-{speaker.id}-"
        if f"{prefix}name" not in form:
            speakers.append(speaker)
            continue
        role = str(form.get(f"{prefix}role", "") or "")
        speakers.append(Speaker(id=speaker.id, name=str(form.get(f"{prefix}name", "")).strip() or None,
                                organisation=str(form.get(f"{prefix}organisation", "")).strip() or None,
                                role=Role(role) if role in {r.value for r in Role} else None))
    return speakers


def line_corrections(form: Form, asr: Transcript, shown: Transcript, base: dict[int, str],
                     problems: list[Problem] | None = None) -> dict[int, str]:
    """``line-<i>`` fields that differ from what the page showed; a line put back as Whisper had it
    drops its correction."""
    corrections = dict(base)
    for index, segment in enumerate(shown.segments):
        value = form.get(f"line-{index}")
        if value is None or normal_text(str(value)) == normal_text(segment.text):
            continue
        if problems is not None:
            _too_long(f"line-{index}", str(value).strip(), MAX_PARAGRAPH, f"line:{index + 1}", problems)
        text = normal_text(str(value))
        if text == normal_text(asr.segments[index].text):
            corrections.pop(index, None)
        else:
            corrections[index] = text
    return corrections


def _order(form: Form, count: int) -> list[int]:
    order: list[int] = []
    for value in form.getlist("section"):
        if str(value).isdigit() and int(value) < count and int(value) not in order:
            order.append(int(value))
    return order + [i for i in range(count) if i not in order]  # nothing dropped by accident


def _quotes(form: Form, prefix: str, old: Section, fixed: Section, candidates: list[Quote], theme: int | None,
            speakers: list[Speaker], shown: Transcript, corrections: dict[int, str]) -> list[Quote]:
    """The section's quotes after keep / reject / swap / edit / add; only the section's own theme's
    candidates may come in (a forged index of another theme is ignored)."""
    def allowed(value: str) -> Quote | None:
        if value.isdigit() and int(value) < len(candidates) and theme is not None \
                and candidates[int(value)].theme == theme:
            return candidates[int(value)]
        return None

    quotes: list[Quote] = []
    for q_index, (quote, quote_fixed) in enumerate(zip(old.quotes, fixed.quotes)):
        action = str(form.get(f"{prefix}q{q_index}", "keep"))
        if action == "reject":
            continue
        if action.startswith("swap:") and (candidate := allowed(action[5:])) is not None:
            quotes.append(replace(candidate))
            continue
        shown_text = resolve(quote.text, speakers)
        new_text = _text(form, f"{prefix}q{q_index}-text", shown_text)
        if new_text and " ".join(new_text.split()) != " ".join(shown_text.split()):
            # The quote stays verbatim: its edit is a correction of the lines it was taken from.
            corrections.update(quote_edit_corrections(shown, quote, " ".join(new_text.split())))
            quote_fixed = replace(quote, text=" ".join(new_text.split()))
        quotes.append(quote_fixed)
    candidate = allowed(str(form.get(f"{prefix}add", "")))
    if candidate is not None and all(q.text != candidate.text for q in quotes):
        quotes.append(replace(candidate))
    return sorted(quotes, key=lambda q: q.start)


def quote_from_line(shown: Transcript, line: int, text: str) -> Quote | None:
    """A quote of a piece of one transcript line, timed by its words (the whole line when the piece
    is not in it verbatim)."""
    if not 0 <= line < len(shown.segments):
        return None
    segment = shown.segments[line]
    tokens = [w.text.strip() for w in segment.words]
    wanted = text.split()
    span = None
    for i in range(len(tokens) - len(wanted) + 1) if wanted else []:
        if [t.strip(",.;:!?…\"'“”") for t in tokens[i:i + len(wanted)]] == [w.strip(",.;:!?…\"'“”") for w in wanted]:
            span = (i, i + len(wanted))
            break
    if span is None or not segment.words:
        return Quote(segment.speaker or "", " ".join(segment.text.split()), segment.start, segment.end)
    words = segment.words[span[0]:span[1]]
    return Quote(segment.speaker or "", " ".join(w.text.strip() for w in words), words[0].start, words[-1].end)


def _merge(sections: list[Section], merge_flags: list[bool], heading_edited: list[bool]) -> list[Section]:
    """Sections ticked "merge with the next" take the next one in. The merged section keeps the upper
    heading, unless only the lower one was edited in this save: then that edit is the heading (an
    edit is never dropped for a heading the editor left alone). static/review.js previews the same."""
    merged: list[Section] = []
    edited_flags: list[bool] = []
    pending = False
    for section, merge_next, edited_heading in zip(sections, merge_flags, heading_edited):
        if pending and merged:
            last = merged[-1]
            take_lower = edited_heading and not edited_flags[-1]
            merged[-1] = replace(last, heading=section.heading if take_lower else last.heading,
                                 paragraphs=last.paragraphs + section.paragraphs,
                                 quotes=sorted(last.quotes + section.quotes, key=lambda q: q.start),
                                 keyphrases=list(dict.fromkeys(last.keyphrases + section.keyphrases)))
            edited_flags[-1] = edited_flags[-1] or edited_heading
        else:
            merged.append(section)
            edited_flags.append(edited_heading)
        pending = merge_next
    return merged


def moved_lines(form: Form, asr: Transcript, speakers: list[Speaker], base: dict[int, str]) -> dict[int, str]:
    """``line-speaker-<i>`` fields: lines moved to another (known) speaker; back to Whisper's speaker
    drops the move."""
    known = {s.id for s in speakers} | {s.speaker for s in asr.segments if s.speaker}
    moves = dict(base)
    for index, segment in enumerate(asr.segments):
        value = str(form.get(f"line-speaker-{index}") or "")
        if value not in known:
            continue
        if value == segment.speaker:
            moves.pop(index, None)
        else:
            moves[index] = value
    return moves


def joined_lines(form: Form, asr: Transcript, base: list[int]) -> list[int]:
    """The ``joins`` field: the lines joined with the next one ("3,7"); absent, the base's stay."""
    value = form.get("joins")
    if value is None:
        return sorted(base)
    wanted = {int(part) for part in str(value).replace(" ", "").split(",") if part.isdigit()}
    return sorted(i for i in wanted if i < len(asr.segments) - 1)


def speaker_merges(form: Form, speakers: list[Speaker]) -> dict[str, str]:
    """``speaker-<id>-merge`` fields: speaker id -> the speaker it becomes (chains followed, loops dropped)."""
    ids = {s.id for s in speakers}
    wanted = {s.id: str(form.get(f"speaker-{s.id}-merge") or "") for s in speakers}
    wanted = {a: b for a, b in wanted.items() if b in ids and b != a}
    merges = {}
    for source in wanted:
        target, seen = wanted[source], {source}
        while target in wanted and target not in seen:
            seen.add(target)
            target = wanted[target]
        if target not in seen:
            merges[source] = target
    return merges


def _retarget(text: str, merges: dict[str, str]) -> str:
    return REFERENCE.sub(lambda m: m.group(0).replace(f"speaker:{m.group(1)}", f"speaker:{merges[m.group(1)]}", 1)
                         if m.group(1) in merges else m.group(0), text)


def merged_speakers(notes: ShowNotes, merges: dict[str, str]) -> ShowNotes:
    """The notes with every reference to and quote of a merged speaker moved to the one it became."""
    if not merges:
        return notes
    sections = [replace(section, heading=_retarget(section.heading, merges),
                        paragraphs=[_retarget(p, merges) for p in section.paragraphs],
                        quotes=[replace(q, speaker=merges.get(q.speaker, q.speaker)) for q in section.quotes])
                for section in notes.sections]
    return replace(notes, title=_retarget(notes.title, merges), intro=_retarget(notes.intro, merges),
                   sections=sections, closing=_retarget(notes.closing, merges),
                   closing_heading=_retarget(notes.closing_heading, merges))


def edited(form: Form, notes: ShowNotes, speakers: list[Speaker], corrections: dict[int, str],
           asr: Transcript, analysis: Analysis | None, theme_of: Any,
           line_speakers: dict[int, str] | None = None, joins: list[int] | None = None) -> Edit:
    """The new notes, speakers, corrections and moved lines. ``notes``/``speakers``/``corrections``/
    ``line_speakers``: the base version; ``theme_of(section)``: the analysis theme index of a section
    (for its quote candidates)."""
    problems: list[Problem] = []
    new_speakers = edited_speakers(form, speakers)
    shown = replace(apply_corrections(asr, corrections), speakers=speakers)
    new_corrections = line_corrections(form, asr, shown, corrections, problems)
    # Quotes over corrected lines take the correction (unless the editor edited the quote itself).
    fixed_notes = corrected_quotes(notes, shown, apply_corrections(asr, new_corrections))
    candidates = list(analysis.quotes) if analysis else []

    def ref(text: str) -> str:
        return reference(text, speakers)

    sections, merge_flags, heading_edited = [], [], []
    for index in _order(form, len(notes.sections)):
        old = notes.sections[index]
        prefix = f"s{index}-"
        if form.get(f"{prefix}delete"):
            continue
        shown_heading = resolve(old.heading, speakers)
        heading = _text(form, f"{prefix}heading", shown_heading)
        if not heading:
            problems.append(Problem(f"{prefix}heading", "invalid.empty_heading", (("n", index + 1),)))
        _too_long(f"{prefix}heading", heading, MAX_TITLE, f"section:{index + 1}:heading", problems)
        paragraphs = _paragraphs(_text(form, f"{prefix}paragraphs", "\n\n".join(resolve(p, speakers)
                                                                                 for p in old.paragraphs)))
        for paragraph in paragraphs:
            _too_long(f"{prefix}paragraphs", paragraph, MAX_PARAGRAPH, f"section:{index + 1}:paragraphs", problems)
        for q_index in range(len(old.quotes)):
            _too_long(f"{prefix}q{q_index}-text", _text(form, f"{prefix}q{q_index}-text", ""), MAX_PARAGRAPH,
                      f"section:{index + 1}:quotes", problems)
        quotes = _quotes(form, prefix, old, fixed_notes.sections[index], candidates, theme_of(old), speakers, shown,
                         new_corrections)
        sections.append(Section(heading=ref(heading), paragraphs=[ref(p) for p in paragraphs], quotes=quotes,
                                keyphrases=list(old.keyphrases), start=old.start))
        merge_flags.append(bool(form.get(f"{prefix}merge")))
        heading_edited.append(heading != shown_heading)
    sections = _merge(sections, merge_flags, heading_edited)
    _new_section(form, sections, ref, problems)
    _new_quote(form, sections, notes, shown)
    title = _text(form, "title", resolve(notes.title, speakers))
    if not title:
        problems.append(Problem("title", "invalid.empty_title"))
    _too_long("title", title, MAX_TITLE, "title", problems)
    intro, closing = _text(form, "intro", resolve(notes.intro, speakers)), _text(form, "closing",
                                                                               resolve(notes.closing, speakers))
    for name, text in (("intro", intro), ("closing", closing)):
        for paragraph in _paragraphs(text):
            _too_long(name, paragraph, MAX_PARAGRAPH, name, problems)
    # empty: the configured heading ("Tot slot"), which the field shows as its placeholder
    closing_heading = _text(form, "closing_heading", resolve(notes.closing_heading, speakers))
    _too_long("closing_heading", closing_heading, MAX_TITLE, "closing_heading", problems)
    result = ShowNotes(title=ref(title), intro=ref(intro), sections=sections, closing=ref(closing),
                       closing_heading=ref(closing_heading))
    moves = moved_lines(form, asr, speakers, dict(line_speakers or {}))
    merges = speaker_merges(form, new_speakers)
    if merges:  # every line of a merged speaker is the other one's now; the speaker itself goes
        for index, segment in enumerate(asr.segments):
            who = moves.get(index, segment.speaker)
            if who in merges:
                moves[index] = merges[who]
        new_speakers = [s for s in new_speakers if s.id not in merges]
        result = merged_speakers(result, merges)
    return Edit(result, new_speakers, new_corrections, problems, moves, joined_lines(form, asr, list(joins or [])))


def _new_section(form: Form, sections: list[Section], ref: Any, problems: list[Problem]) -> None:
    heading = _text(form, "new-heading", "")
    if not heading:
        if _text(form, "new-text", ""):  # a text without a heading would vanish: say so
            problems.append(Problem("new-heading", "invalid.empty_new_heading"))
        return
    _too_long("new-heading", heading, MAX_TITLE, "new-heading", problems)
    for paragraph in _paragraphs(_text(form, "new-text", "")):
        _too_long("new-text", paragraph, MAX_PARAGRAPH, "new-text", problems)
    start = clock_seconds(_text(form, "new-start", ""))
    section = Section(heading=ref(heading), paragraphs=[ref(p) for p in _paragraphs(_text(form, "new-text", ""))],
                      start=start)
    later = [i for i, s in enumerate(sections) if start is not None and s.start is not None and s.start > start]
    sections.insert(later[0] if later else len(sections), section)


def _new_quote(form: Form, sections: list[Section], notes: ShowNotes, shown: Transcript) -> None:
    line, text = str(form.get("newquote-line", "")), _text(form, "newquote-text", "")
    target = str(form.get("newquote-section", ""))
    if not (line.isdigit() and text and target.isdigit() and sections):
        return
    quote = quote_from_line(shown, int(line), text)
    if quote is None:
        return
    wanted = notes.sections[int(target)] if int(target) < len(notes.sections) else None
    index = next((i for i, s in enumerate(sections) if wanted is not None and s.start == wanted.start
                  and s.keyphrases == wanted.keyphrases), len(sections) - 1)
    theme = next((q.theme for q in sections[index].quotes if q.theme is not None), None)
    sections[index].quotes = sorted(sections[index].quotes + [replace(quote, theme=theme)], key=lambda q: q.start)


__all__ = ["MAX_PARAGRAPH", "MAX_TITLE", "Edit", "Problem", "clock_seconds", "joined_lines", "merged_speakers",
           "moved_lines",
           "speaker_merges", "edited", "edited_speakers", "quote_from_line"]
