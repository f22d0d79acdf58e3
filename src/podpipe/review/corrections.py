"""Editors' corrections of the transcript: a layer over what Whisper wrote, never written into it.

A correction is a segment's corrected text (``{segment index: text}``). Applying it keeps the word
times: words the editor left alone keep theirs, changed or added words share the time of the words
they replace (marked certain: probability 1.0), removed words go. The ASR transcript itself stays in
version 0, so every correction can be seen, undone and diffed.

Quotes stay verbatim: a correction in a line reaches the quotes that overlap it, and an edit of a
quote's text becomes a correction of the lines under it.

Find and replace covers the speakers' names and organisations too: a name in the notes is a
reference to its speaker, so "Katleen" -> "Kathleen" renames the speaker (and with it every
reference, quote credit and transcript label) rather than turning the references into text.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace

from podpipe.domain import Quote, Segment, ShowNotes, Speaker, Transcript, Word

CERTAIN = 1.0  # an editor's word is not a guess


def _words(text: str) -> list[str]:
    return text.split()


def normal_text(text: str) -> str:
    """Spaces normalised, line breaks kept: a line break in a correction splits the line there
    (:func:`podpipe.review.store.laid_out`)."""
    return "\n".join(" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n") if line.split())


def _retimed(segment: Segment, tokens: list[str]) -> list[Word]:
    """The segment's words for the corrected tokens, aligned on the old ones."""
    old = segment.words
    if not old:  # no word times: spread the tokens over the segment
        step = (segment.end - segment.start) / max(len(tokens), 1)
        return [Word(segment.start + i * step, segment.start + (i + 1) * step, f" {t}", CERTAIN, segment.speaker)
                for i, t in enumerate(tokens)]
    matcher = difflib.SequenceMatcher(a=[w.text.strip() for w in old], b=tokens, autojunk=False)
    words: list[Word] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            words.extend(replace(w) for w in old[i1:i2])
            continue
        if tag == "delete":
            continue
        start = old[i1].start if i1 < len(old) else old[-1].end
        end = old[i2 - 1].end if i2 > i1 else start
        step = (end - start) / (j2 - j1)
        speaker = old[min(i1, len(old) - 1)].speaker
        words.extend(Word(round(start + k * step, 3), round(start + (k + 1) * step, 3), f" {tokens[j1 + k]}",
                          CERTAIN, speaker) for k in range(j2 - j1))
    return words


def apply_corrections(transcript: Transcript, corrections: dict[int, str]) -> Transcript:
    """The transcript with each corrected segment's text and words replaced."""
    if not corrections:
        return transcript
    segments = []
    for index, segment in enumerate(transcript.segments):
        text = corrections.get(index)
        if text is None or normal_text(text) == normal_text(segment.text):
            segments.append(segment)
            continue
        tokens = _words(text)
        words = _retimed(segment, tokens) if tokens != _words(segment.text) else list(segment.words)
        segments.append(replace(segment, text=" " + normal_text(text), words=words))
    return replace(transcript, segments=segments)


def substitutions(before: str, after: str) -> list[tuple[str, str]]:
    """The phrases an edit changed, ``[(old phrase, new phrase)]`` (only replacements: nothing to find
    for an insertion)."""
    a, b = _words(before), _words(after)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [(" ".join(a[i1:i2]), " ".join(b[j1:j2])) for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag == "replace"]


def _replace_phrase(text: str, old: str, new: str) -> str:
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(part) for part in old.split()) + r"(?!\w)"
    return re.sub(pattern, lambda _: new, text)


def _overlaps(quote: Quote, segment: Segment) -> bool:
    return quote.start < segment.end and segment.start < quote.end


def corrected_quotes(notes: ShowNotes, before: Transcript, after: Transcript) -> ShowNotes:
    """Quotes over corrected lines carry the correction too (they quote the corrected transcript)."""
    changes = [(seg_b, substitutions(seg_a.text, seg_b.text))
               for seg_a, seg_b in zip(before.segments, after.segments) if seg_a.text != seg_b.text]
    if not changes:
        return notes
    sections = []
    for section in notes.sections:
        quotes = []
        for quote in section.quotes:
            text = quote.text
            for segment, pairs in changes:
                if _overlaps(quote, segment):
                    for old, new in pairs:
                        text = _replace_phrase(text, old, new)
            quotes.append(replace(quote, text=text))
        sections.append(replace(section, quotes=quotes))
    return replace(notes, sections=sections)


def quote_edit_corrections(transcript: Transcript, quote: Quote, new_text: str) -> dict[int, str]:
    """An edited quote as corrections of the lines it was taken from (its changed phrases, replaced there)."""
    corrections: dict[int, str] = {}
    pairs = substitutions(quote.text, new_text)
    for index, segment in enumerate(transcript.segments):
        if not _overlaps(quote, segment):
            continue
        text = segment.text
        for old, new in pairs:
            text = _replace_phrase(text, old, new)
        if text != segment.text:
            corrections[index] = text.strip()
    return corrections


@dataclass(frozen=True, slots=True)
class Hit:
    """One field where find-and-replace would change something."""

    field: str  # "line:3", "title", "intro", "closing_heading", "closing", "s0-heading", "s0-p1", "s0-q0",
    #             "speaker:S1:name"
    label: str  # where it is, for the editor
    before: str  # the field's text now
    after: str  # the field's text after the replacement
    count: int


def _finder(needle: str, whole_words: bool) -> re.Pattern[str]:
    body = re.escape(needle)
    return re.compile(rf"(?<!\w){body}(?!\w)" if whole_words else body, re.IGNORECASE)


def find_hits(notes: ShowNotes, transcript: Transcript, needle: str, replacement: str, *,
              whole_words: bool = True) -> list[Hit]:
    """Every field of the transcript, its speakers and the draft (resolved text) where ``needle`` occurs."""
    if not needle.strip():
        return []
    pattern = _finder(needle, whole_words)
    fields: list[tuple[str, str, str]] = []
    for speaker in transcript.speakers:
        fields.append((f"speaker:{speaker.id}:name", f"spreker {speaker.id}: naam", speaker.name or ""))
        fields.append((f"speaker:{speaker.id}:organisation", f"spreker {speaker.id}: organisatie",
                       speaker.organisation or ""))
    fields += [("title", "titel", notes.title), ("intro", "intro", notes.intro)]
    for s, section in enumerate(notes.sections):
        fields.append((f"s{s}-heading", f"§{s + 1} kop", section.heading))
        fields += [(f"s{s}-p{p}", f"§{s + 1} tekst", text) for p, text in enumerate(section.paragraphs)]
        fields += [(f"s{s}-q{q}", f"§{s + 1} quote", quote.text) for q, quote in enumerate(section.quotes)]
    fields.append(("closing_heading", "kop van het slot", notes.closing_heading))
    fields.append(("closing", "slot", notes.closing))
    fields += [(f"line:{i}", f"transcript {i + 1}", seg.text.strip()) for i, seg in enumerate(transcript.segments)]
    hits = []
    for key, label, text in fields:
        after, count = pattern.subn(lambda _: replacement, text)
        if count:
            hits.append(Hit(key, label, text, after, count))
    return hits


def apply_hits(notes: ShowNotes, hits: list[Hit]) -> tuple[ShowNotes, dict[int, str]]:
    """The notes with the chosen hits replaced, and the transcript corrections among them."""
    by_field = {hit.field: hit.after for hit in hits}
    corrections = {int(key[5:]): text for key, text in by_field.items() if key.startswith("line:")}
    sections = []
    for s, section in enumerate(notes.sections):
        sections.append(replace(
            section,
            heading=by_field.get(f"s{s}-heading", section.heading),
            paragraphs=[by_field.get(f"s{s}-p{p}", text) for p, text in enumerate(section.paragraphs)],
            quotes=[replace(q, text=by_field.get(f"s{s}-q{i}", q.text)) for i, q in enumerate(section.quotes)]))
    notes = ShowNotes(title=by_field.get("title", notes.title), intro=by_field.get("intro", notes.intro),
                      sections=sections, closing=by_field.get("closing", notes.closing),
                      closing_heading=by_field.get("closing_heading", notes.closing_heading))
    return notes, corrections


def apply_speaker_hits(speakers: list[Speaker], hits: list[Hit]) -> list[Speaker]:
    """The speakers with the chosen name and organisation hits replaced."""
    by_field = {hit.field: hit.after for hit in hits}
    return [replace(s, name=by_field.get(f"speaker:{s.id}:name", s.name) or None,
                    organisation=by_field.get(f"speaker:{s.id}:organisation", s.organisation) or None)
            for s in speakers]


__all__ = ["Hit", "apply_corrections", "apply_hits", "apply_speaker_hits", "corrected_quotes", "find_hits",
           "normal_text", "quote_edit_corrections",
           "substitutions"]
