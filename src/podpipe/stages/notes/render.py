"""ShowNotes -> Markdown, HTML (Jinja2 templates in config/templates) and DOCX (python-docx)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from podpipe.config import NotesConfig, Show, ShowNotesSettings
from podpipe.domain import Quote, ShowNotes, Transcript
from podpipe.stages.analyse.lexicon import is_dutch_word
from podpipe.stages.naming import naming_decisions, unconfirmed_speakers
from podpipe.stages.notes import dutch
from podpipe.stages.notes.builder import _template_name, environment
from podpipe.stages.notes.checks import draft_checks
from podpipe.stages.notes.references import resolved_notes
from podpipe.text import clock


@dataclass(slots=True)
class Item:
    kind: str  # "paragraph" or "quote"
    text: str
    speaker: str | None = None
    clock: str | None = None
    href: str | None = None
    start: float | None = None


@dataclass(slots=True)
class SectionView:
    heading: str
    anchor: str
    items: list[Item]
    start: float | None
    clock: str | None
    href: str | None
    keyphrases: list[str] = field(default_factory=list)


def timestamp_href(seconds: float | None, transcript: Transcript, config: ShowNotesSettings) -> str:
    seconds = max(0.0, seconds or 0.0)
    return config.timestamp_link.format(
        clock=clock(seconds), seconds=int(seconds), slug=transcript.episode.slug
    )


def _anchor(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "sectie"
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


def _quote_item(quote: Quote, transcript: Transcript, config: ShowNotesSettings) -> Item:
    speaker = transcript.speaker(quote.speaker)
    return Item(
        kind="quote",
        text=" ".join(quote.text.split()),
        speaker=speaker.display_name if speaker else quote.speaker,
        clock=clock(quote.start),
        href=timestamp_href(quote.start, transcript, config),
        start=quote.start,
    )


def editor_notes(transcript: Transcript, show: Show | None = None) -> list[str]:
    """What the editor must check before publishing (drafts only); ``[show]`` adds the feed's needs
    (None: without them, as the review app's checklist)."""
    notes = []
    decisions = naming_decisions(transcript)
    for speaker in unconfirmed_speakers(transcript):
        notes.append(f"{speaker.display_name} ({speaker.id}) is niet herkend: vul naam en organisatie in.")
    for speaker in transcript.speakers:
        source = decisions[speaker.id].source if speaker.id in decisions else None
        if source in ("first-speaker", "sidecar", "conversation") and speaker.name:
            notes.append(f"{speaker.name} ({speaker.id}) is afgeleid uit {_source_nl(source)}: controleer.")
    notes.extend(draft_checks(transcript, show))  # speech, uncertain names, corrected names, feed links
    if transcript.episode.metadata.get("times_estimated"):
        notes.append("De tijden zijn geschat uit de tekst, niet gemeten: controleer de tijdcodes.")
    return notes


def uncertain_quote_notes(notes: ShowNotes, transcript: Transcript, threshold: float) -> list[str]:
    """A check-box line per quote with words Whisper heard below ``threshold``, or heard surely but no
    Dutch word ("bedietchreiner" for "buddy": a confident mishearing, see :mod:`..analyse.lexicon`): the
    editor listens to those before publishing (the quote itself stays verbatim, so the words are named
    beside it)."""
    lines = []
    for section in notes.sections:
        for quote in section.quotes:
            heard = [
                w
                for segment in transcript.segments
                if segment.speaker == quote.speaker and segment.end > quote.start and segment.start < quote.end
                for w in segment.words
                if quote.start - 0.5 <= w.start <= quote.end + 0.5 and w.text.strip(" .,?!")
                and w.text.strip(" .,?!").casefold() in quote.text.casefold()
            ]
            unsure = list(dict.fromkeys(w.text.strip(" .,?!") for w in heard if w.probability < threshold))
            strange = [w for w in dict.fromkeys(w.text.strip(" .,?!") for w in heard if w.probability >= threshold)
                       if len(w) > 2 and w[0].islower() and w.isalpha() and not is_dutch_word(w)]  # fmt: skip
            parts = []
            if unsure:
                parts.append("onzeker gehoord: " + ", ".join(f"'{w}'" for w in unsure[:6]))
            if strange:
                parts.append("geen Nederlands woord: " + ", ".join(f"'{w}'" for w in strange[:6]))
            if parts:
                speaker = transcript.speaker(quote.speaker)
                who = speaker.display_name if speaker is not None else quote.speaker
                lines.append(f"Citaat van {who} ({clock(quote.start)}): {'; '.join(parts)}. Luister het na.")
    return lines


def _source_nl(source: str) -> str:
    return {
        "first-speaker": "wie de aflevering opent",
        "sidecar": "de episode-gegevens",
        "conversation": "het gesprek",
    }.get(source, source)


def view(notes: ShowNotes, transcript: Transcript, setup: NotesConfig, *, final: bool = False) -> dict[str, Any]:
    """What the Markdown and HTML templates render: sections with paragraphs and quotes interleaved."""
    config = setup.shownotes
    notes = resolved_notes(notes, transcript.speakers)  # names are references until rendered
    used: set[str] = set()
    sections = []
    for section in notes.sections:
        quotes = [_quote_item(q, transcript, config) for q in section.quotes]
        paragraphs = [Item(kind="paragraph", text=p) for p in section.paragraphs]
        items: list[Item] = []
        for i in range(max(len(paragraphs), len(quotes))):  # paragraph, quote, paragraph, quote, ...
            items.extend(paragraphs[i : i + 1])
            items.extend(quotes[i : i + 1])
        sections.append(
            SectionView(
                heading=section.heading,
                anchor=_anchor(section.heading, used),
                items=items,
                start=section.start,
                clock=clock(section.start) if section.start is not None else None,
                href=timestamp_href(section.start, transcript, config)
                if section.start is not None
                else None,
                keyphrases=list(section.keyphrases),
            )
        )
    closing = [p for p in re.split(r"\n\s*\n", notes.closing or "") if p.strip()]
    return {
        "notes": notes,
        "title": notes.title,
        "intro": [p for p in re.split(r"\n\s*\n", notes.intro or "") if p.strip()],
        "sections": sections,
        "closing_heading": notes.closing_heading or config.closing_heading,
        "closing": closing,
        "cta_url": config.call_to_action_url,
        "cta_label": config.call_to_action_label,
        "final": final,
        "editor_notes": [] if final else [
            *editor_notes(transcript, setup.show),
            *uncertain_quote_notes(notes, transcript, setup.low_confidence),
        ],
        "episode": transcript.episode,
        "language": config.language,
        "speakers": transcript.speakers,
    }


md_escape = dutch.md_escape
md_url = dutch.md_url


def render_markdown(
    notes: ShowNotes, transcript: Transcript, setup: NotesConfig, *, final: bool = False
) -> str:
    env = environment(setup)
    template = env.get_template(_template_name(env, "shownotes.md", ""))
    text = template.render(**view(notes, transcript, setup, final=final))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render_html(
    notes: ShowNotes, transcript: Transcript, setup: NotesConfig, *, final: bool = False
) -> str:
    env = environment(setup, autoescape=True)
    template = env.get_template(_template_name(env, "shownotes.html", ""))
    return template.render(**view(notes, transcript, setup, final=final)).strip() + "\n"


def render_docx(
    notes: ShowNotes, transcript: Transcript, setup: NotesConfig, *, final: bool = False
) -> bytes:
    """A Word document with real styles: Title, Heading 1 per section, Quote for quotes."""
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt

    data = view(notes, transcript, setup, final=final)
    document = Document()
    styles = document.styles
    if "Quote" not in [s.name for s in styles]:  # pragma: no cover - python-docx's template has it
        styles.add_style("Quote", WD_STYLE_TYPE.PARAGRAPH).base_style = styles["Normal"]
    document.core_properties.title = notes.title
    document.core_properties.language = data["language"]
    document.add_heading(notes.title, level=0)
    if data["editor_notes"]:
        document.add_heading("Nakijken", level=2)
        for line in data["editor_notes"]:
            document.add_paragraph(line, style="List Bullet")
    for paragraph in data["intro"]:
        document.add_paragraph(paragraph)
    for section in data["sections"]:
        heading = document.add_heading(section.heading, level=1)
        del heading
        for item in section.items:
            if item.kind == "paragraph":
                document.add_paragraph(item.text)
            else:
                document.add_paragraph(item.text, style="Quote")
                attribution = document.add_paragraph(style="Quote")
                run = attribution.add_run(f"— {item.speaker}, {item.clock}")
                run.font.size = Pt(9)
    document.add_heading(data["closing_heading"], level=1)
    for paragraph in data["closing"]:
        document.add_paragraph(paragraph)
    if data["cta_url"]:
        document.add_paragraph(f"{data['cta_label']}: {data['cta_url']}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


__all__ = [
    "editor_notes",
    "md_escape",
    "render_docx",
    "render_html",
    "render_markdown",
    "timestamp_href",
    "view",
]
