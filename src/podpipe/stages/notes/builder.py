"""ShowNotes from a named transcript and its analysis, built from the episode's own words and parse.

No language model: each theme gets a label (its most salient concept, :mod:`.labels`), a heading in
the article's question register and two to four third-person sentences (:mod:`.paraphrase`,
:mod:`.clauses`), all through templates (``podpipe/defaults/templates/{title,intro,heading,section,closing}.<lang>.j2``)
that producers edit without touching code. The conversation's closing round feeds the closing, not a
section. Quotes are the analysis' verbatim quotes, trimmed with "[...]" past ``nlp.quote_max_words``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from podpipe.config import DEFAULT_TEMPLATES, AnalysisConfig, Naming, NotesConfig
from podpipe.domain import (
    Analysis,
    ParsedSentence,
    Quote,
    Role,
    Section,
    ShowNotes,
    Speaker,
    Theme,
    Transcript,
)
from podpipe.models.nlp import load_nlp
from podpipe.stages.naming import speaker_label
from podpipe.stages.notes import dutch
from podpipe.stages.notes.grammar import keep_grammatical
from podpipe.stages.notes.headings import heading_kinds
from podpipe.stages.notes.labels import (
    ThemeConcepts,
    closing_round,
    heard_as_dutch,
    host_recap,
    is_outro,
    outro_themes,
    shared_thread,
    theme_concepts,
)
from podpipe.stages.notes.paraphrase import (
    Advice,
    Speakers,
    Statement,
    closing_advice,
    said_sentences,
    theme_statements,
)
from podpipe.stages.notes.quotes import trim_quote, verbatim_quotes
from podpipe.stages.notes.settings import ShowNotesSettings
from podpipe.text import clock, plain_words

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


def template_dirs(configured: Path) -> list[Path]:
    """The project's templates folder, then podpipe's packaged ones for what it leaves out."""
    return [configured] if configured == DEFAULT_TEMPLATES else [configured, DEFAULT_TEMPLATES]


@lru_cache(maxsize=8)
def _environment(dirs: tuple[Path, ...], autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        join_nl=dutch.join_nl,
        capfirst=dutch.capfirst,
        ordinal=dutch.ordinal_word,
        number_word=dutch.number_word,
        clock=clock,
        md=dutch.md_escape,
        md_url=dutch.md_url,
    )
    return env


def environment(setup: NotesConfig, *, autoescape: bool = False) -> jinja2.Environment:
    return _environment(tuple(template_dirs(setup.templates_dir)), autoescape)


def _template_name(env: jinja2.Environment, base: str, language: str) -> str:
    for name in (f"{base}.{language}.j2", f"{base}.j2", f"{base}.nl.j2"):
        try:
            env.get_template(name)
            return name
        except jinja2.TemplateNotFound:
            continue
    raise jinja2.TemplateNotFound(f"{base}.{language}.j2")


def render_text(env: jinja2.Environment, base: str, language: str, **context: Any) -> list[str]:
    """A text template's paragraphs: blank lines separate them, other whitespace collapses."""
    raw = env.get_template(_template_name(env, base, language)).render(**context)
    paragraphs = []
    for block in re.split(r"\n\s*\n", raw):
        text = " ".join(block.split())
        text = re.sub(r"\s+([.,:;?!)])", r"\1", text)
        if text:
            paragraphs.append(text)
    return paragraphs


# ---------------------------------------------------------------------------------------------
# Who is who
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SpeakerNames:
    """How the notes call one speaker: full name, first name, "Name (organisation)" label, role."""

    id: str
    name: str
    first: str
    organisation: str | None
    label: str  # "Name (organisation)"
    role: str | None


def _person(speaker: Speaker, naming: Naming) -> SpeakerNames:
    name = speaker.display_name
    return SpeakerNames(
        id=speaker.id,
        name=name,
        first=name.split()[0] if name.split() and not name.startswith("Gast ") else name,
        organisation=speaker.organisation,
        label=speaker_label(speaker, naming),
        role=str(speaker.role) if speaker.role else None,
    )


def _people(
    transcript: Transcript, naming: Naming
) -> tuple[SpeakerNames | None, list[SpeakerNames], dict[str, SpeakerNames]]:
    order = list(dict.fromkeys(s.speaker for s in transcript.segments if s.speaker is not None))
    speakers = [transcript.speaker(label) or Speaker(id=label) for label in order]
    by_id = {s.id: _person(s, naming) for s in [*speakers, *transcript.speakers]}
    host = next((by_id[s.id] for s in speakers if s.role == Role.HOST), None)
    guests = [by_id[s.id] for s in speakers if s.role != Role.HOST]
    return host, guests, by_id


def _introduction_order(guests: list[SpeakerNames], analysis: Analysis) -> list[SpeakerNames]:
    """Guests in the order they were introduced (analysis.people), else in the order they first spoke."""
    first_mention: dict[str, float] = {}
    for mention in analysis.people:
        if mention.start is not None:
            key = plain_words(mention.text)
            first_mention[key] = min(first_mention.get(key, mention.start), mention.start)
    position = {id(g): i for i, g in enumerate(guests)}
    return sorted(guests, key=lambda g: (first_mention.get(plain_words(g.name), float("inf")), position[id(g)]))


# ---------------------------------------------------------------------------------------------
# Picking sentences
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# The notes
# ---------------------------------------------------------------------------------------------


def _sentences(transcript: Transcript, analysis: Analysis, setup: AnalysisConfig) -> list[ParsedSentence]:
    """The analysis' parsed sentences; an analysis written before it carried them is parsed now."""
    if analysis.sentences:
        return list(analysis.sentences)
    from podpipe.stages.analyse.parsed import parse_transcript

    return parse_transcript(transcript, analysis.themes, setup)


def _proper_words(sentences: list[ParsedSentence], transcript: Transcript) -> set[str]:
    """Words written with a capital inside a sentence somewhere: names, organisations, tools."""
    proper = {t.text for s in sentences for t in s.tokens[1:] if t.text[:1].isupper()}
    for speaker in transcript.speakers:
        proper.update((speaker.name or "").split() + (speaker.organisation or "").split())
    return proper


def _blocked(transcript: Transcript, analysis: Analysis) -> set[str]:
    """Names are no concepts: the speakers', their organisations', everyone the analysis found.

    An organisation guessed only from a capital ("proper-noun": "Slack", "Teams", "L&D") is left
    free: tools, fields and named things ("AI") are what a conversation is about, unlike the people
    in it and the organisations the sidecar, config or introductions name.
    """
    named = [m for m in analysis.organisations if m.source != "proper-noun"]
    blocked = {m.text for m in [*analysis.people, *named]}
    for speaker in transcript.speakers:
        blocked.update((speaker.name or "").split() + (speaker.organisation or "").split())
    return blocked | {part for name in list(blocked) for part in name.split()}


def _stop_words() -> frozenset[str]:
    try:
        from spacy.lang.nl.stop_words import STOP_WORDS
    except ImportError:  # pragma: no cover - spaCy is a dependency of podpipe
        return frozenset()
    return frozenset(STOP_WORDS)


def _speakers(people: dict[str, SpeakerNames], host: SpeakerNames | None, proper: set[str]) -> Speakers:
    return Speakers(
        first={k: p.first for k, p in people.items()},
        full={k: p.name for k, p in people.items()},
        host=host.id if host else None,
        names={part for p in people.values() for part in p.name.split()},
        proper=proper,
    )


@dataclass(slots=True)
class _Episode:
    sentences: list[ParsedSentence]
    concepts: list[ThemeConcepts]
    recap: int | None  # the closing round's theme, which feeds the closing instead of a section
    outro: set[int]  # trailing themes that are only thanks and the call to listen on
    thread: str | None


def _understand(transcript: Transcript, analysis: Analysis, setup: AnalysisConfig, hosts: set[str]) -> _Episode:
    sentences = _sentences(transcript, analysis, setup)
    blocked, stop = _blocked(transcript, analysis), _stop_words()
    concepts = theme_concepts(sentences, analysis.themes, blocked, stop, hosts)
    for concept, theme in zip(concepts, analysis.themes, strict=True):
        if not concept.labels and theme.keyphrases:
            # the keyphrase stage's best, if it is Dutch as heard ("Taardrukken" from the demo's
            # espeak voices is not); else the section has no concept of its own to name
            concept.labels = [p for p in theme.keyphrases if heard_as_dutch(p, sentences)][:1]
    outro = outro_themes(sentences, analysis.themes)
    last = min(outro, default=len(analysis.themes)) - 1
    recap = closing_round(sentences, analysis.themes, last) if last >= 0 else None
    kept = [i for i in range(len(analysis.themes)) if i != recap and i not in outro]
    _lead_once([concepts[i] for i in kept])
    return _Episode(sentences, concepts, recap, outro, shared_thread(sentences, kept, blocked, stop))


# How a host asks for the closing round ("één tip", "uw advies", "een laatste rondje"): its frame, not
# what it concluded ("Tot slot: advies", "Tot slot: rondje" from audio, ep23 and ep24 held out).
CLOSING_FRAME = frozenset(["advies", "tip", "raad", "rondje", "ronde", "vraag", "slotvraag", "einde", "afsluiter"])
UNNAMED = "het gesprek"  # the label of a theme with no concept heard well enough


def _lead_once(concepts: list[ThemeConcepts]) -> None:
    """No two sections lead with one concept: a later theme whose lead an earlier one has (from audio,
    "Collega: kans of valkuil?" and "Collega: waar loopt het mis?" in one draft) is led by its next
    label; one with no other label keeps it."""
    leads: set[str] = set()
    for concept in concepts:
        if len(concept.labels) > 1 and concept.labels[0].casefold() in leads:
            concept.labels = concept.labels[1:]
            concept.phrases = concept.phrases[1:]
        if concept.labels:
            leads.add(concept.labels[0].casefold())


def build_show_notes(
    transcript: Transcript, analysis: Analysis, setup: NotesConfig, *, transport: Any = None
) -> ShowNotes:
    """Title, intro, one section per theme (question-style heading, paraphrase, verbatim quotes), closing.

    With ``shownotes.rewrite.enabled``, headings and paraphrases are then rewritten by an
    OpenAI-compatible endpoint (``transport``: an httpx transport, for tests); any failure keeps the
    extractive draft.
    """
    config = setup.shownotes
    env = environment(setup)
    host, guests, people = _people(transcript, setup.naming)
    guests = _introduction_order(guests, analysis)
    episode_view = _understand(transcript, analysis, setup.analysis, {host.id} if host else set())
    speakers = _speakers(people, host, _proper_words(episode_view.sentences, transcript))
    max_words = setup.analysis.nlp.quote_max_words
    quotes = verbatim_quotes([trim_quote(q, max_words) for q in analysis.quotes], transcript)
    fillers = {w.casefold() for w in setup.analysis.nlp.filler_words}
    nlp = load_nlp(setup.analysis.nlp, setup.analysis.show_name)

    def checked(paragraphs: list[str], exempt: set[str] | None = None) -> list[str]:
        """The sentences of ``paragraphs`` that pass the grammar check (:mod:`.grammar`)."""
        return keep_grammatical(paragraphs, nlp, exempt, names=speakers.names)

    sections: list[Section] = []
    asked: set[str] = set()  # the heading questions used so far: none repeats within a draft
    closing_statements: list[Statement] = []
    advice: list[Advice] = []
    closing_heading = ""
    for index, theme in enumerate(analysis.themes):
        theme_quotes = sorted(_quotes_of(quotes, index, theme), key=lambda q: q.start)
        members = [s for s in episode_view.sentences if s.theme == index]
        concept = episode_view.concepts[index]
        if index in episode_view.outro:
            if sections:
                sections[-1].quotes.extend(theme_quotes)
            continue
        if index == episode_view.recap:
            closing_members = [s for s in episode_view.sentences if s.theme == index or s.theme in episode_view.outro]
            # its quotes go after the last section's: the closing does not say them again
            closing_statements, _ = theme_statements(
                members, concept.topic, theme_quotes, speakers, fillers, limit=len(guests) or 1
            )
            advice = closing_advice(members, speakers, theme_quotes)
            closing_heading = _closing_heading(config, closing_members, concept, {host.id} if host else set(), advice)
            # a guest's advice told in the third person is what the round said; their other statements
            # come after, and a verbatim advice only where nothing could be told
            told = {a.speaker for a in advice if a.clause}
            closing_statements = [s for s in closing_statements if s.speaker not in told]
            if closing_statements or told:
                advice = [a for a in advice if a.clause]
            if sections:  # its quotes stay in the notes, after the last section's, unless told above
                advised = {plain_words(a.text) for a in advice if a.clause}
                sections[-1].quotes.extend(q for q in theme_quotes if plain_words(q.text) not in advised)
            continue
        statements, _ = theme_statements(
            members, concept.topic, theme_quotes, speakers, fillers, max(config.max_sentences - 1, 1)
        )
        # too little could be paraphrased safely (mostly from audio): the theme's best-heard sentences
        # report what was said, verbatim (:func:`.paraphrase.said_sentences`)
        wanted = SAID_ITEMS - len(statements) - len(theme_quotes)
        said = verbatim_quotes(said_sentences(members, concept.topic, theme_quotes, speakers, wanted, index,
                                              reported=[s.text for s in statements]), transcript)  # fmt: skip
        theme_quotes = sorted([*theme_quotes, *said], key=lambda q: q.start)
        kinds = heading_kinds(members)
        section = _section(env, config, index, theme, concept, statements, theme_quotes, host, kinds, asked, checked)
        section.start = _topic_start(members, host, guests) or section.start
        sections.append(section)

    # each concept once; a section without one ("Het gesprek") adds nothing to "het gesprek ging over ..."
    labels = list(dict.fromkeys(s.keyphrases[0] for s in sections if s.keyphrases and s.keyphrases[0] != UNNAMED))
    context = _context(transcript, setup.analysis.show_name, config, host, guests, labels)
    intro = " ".join(render_text(env, "intro", config.language, **context))
    closing = checked(render_text(
        env,
        "closing",
        config.language,
        **context,
        thread=episode_view.thread,
        statements=closing_statements,
        advice=[{"first": speakers.first.get(a.speaker, a.speaker), "text": a.text, "clause": a.clause}
                for a in advice],
        call_to_action=config.call_to_action,
    ), exempt={config.call_to_action})
    notes = ShowNotes(
        title=_title(env, config, analysis.themes, episode_view, transcript.episode.title),
        intro=intro,
        sections=sections,
        closing="\n\n".join(closing),
        closing_heading=closing_heading,
    )
    if config.rewrite.enabled:
        from podpipe.stages.notes.rewrite import rewrite_show_notes

        notes = rewrite_show_notes(notes, transcript, config.rewrite, transport=transport)
    return notes


# Thanks and greetings that open a theme: the guests' round of thanks after the introduction.
_GREETING = re.compile(
    r"^(?:(?:heel |hartelijk )?bedankt|dank ?(?:u|je|jullie)(?: wel)?|merci|welkom|fijn (?:om|dat))\b", re.IGNORECASE
)


def _topic_start(members: list[ParsedSentence], host: SpeakerNames | None, guests: list[SpeakerNames]) -> float | None:
    """Where a theme that opens with a round of thanks really starts: at the host's first question or
    first sentence addressed to a guest by name ("Ellen, laten we bij u beginnen.").

    From audio the segmentation puts the first theme's start at the guests' thanks for the invitation
    (the diarisation often merges them into the host's next turn): on the MBROLA renderings of the
    shared episodes all three first sections started 10-17 s (one to three turns) before the host's
    first question, so the chapter and the section's time pointed at the greetings.
    """
    if host is None or not any(_GREETING.match(m.text.strip()) for m in members[:3]):
        return None  # (Whisper may hear a short sound before the thanks: "Hey.")
    names = tuple(f"{g.first}," for g in guests if g.first)
    for sentence in members[:GREETING_WINDOW]:
        if sentence.speaker != host.id:
            continue
        text = sentence.text.strip()
        if text.endswith("?") or (names and text.startswith(names)):
            return sentence.start
    return None


GREETING_WINDOW = 12  # the host's question must come within this many sentences of the thanks


# A section reports at least this many things that were said (paraphrased statements and quotes).
SAID_ITEMS = 4
ADVICE_HEADING_WORDS = 6  # a guest's advice this short reads as the closing's summary


def _closing_heading(
    config: ShowNotesSettings,
    members: list[ParsedSentence],
    concept: ThemeConcepts,
    hosts: set[str],
    advice: list[Advice],
) -> str:
    """ "Tot slot: klein, vaak, en durven vragen": the host's summary of the closing round, else the
    first guest's advice when it is as short as a summary ("Tot slot: begin vroeg"), else the round's
    most salient concept that the guests' advice names (what the round concluded: "Tot slot:
    spelregels" for "begin niet met de tool, begin met de spelregels"), else its leading concept; the
    configured heading alone where none is found."""
    recap = host_recap(members, hosts)
    if not recap and advice and len(advice[0].rule.split()) <= ADVICE_HEADING_WORDS:
        recap = advice[0].rule.rstrip(".!…")
    if recap:
        recap = recap if recap[1:2].isupper() and recap[:2] != "IJ" else dutch.lowerfirst(recap)
        return f"{config.closing_heading}: {recap}"
    advised = _advised_concept(advice, concept)
    if advised:
        return f"{config.closing_heading}: {advised}"
    # the outro's words ("luisteraars", "samenvatting") and the round's own ("tip", "rondje") say
    # nothing of what the round concluded
    labels = [label for label in concept.labels if not is_outro(label) and label.casefold() not in CLOSING_FRAME]
    if labels:
        return f"{config.closing_heading}: {labels[0]}"
    return config.closing_heading


def _advised_concept(advice: list[Advice], concept: ThemeConcepts) -> str | None:
    """The closing round's most salient concept that a guest's advice names, as the advice writes it
    (a single word; the lemma key "spelregel" matches "spelregels")."""
    words = [w for a in advice for w in re.findall(r"[\w'-]+", a.rule)]
    for key in sorted(concept.salience, key=lambda k: -concept.salience[k]):
        if " " in key or is_outro(key) or key in CLOSING_FRAME:
            continue
        written = next((w for w in words if w.casefold() == key or (w.casefold().startswith(key)
                        and w.casefold()[len(key):] in ("s", "en", "n"))), None)  # fmt: skip
        if written:
            return written if written[1:] != written[1:].lower() else written.casefold()
    return None


def _quotes_of(quotes: list[Quote], index: int, theme: Theme) -> list[Quote]:
    own = [q for q in quotes if q.theme == index]
    return own or [q for q in quotes if q.theme is None and theme.start <= q.start < theme.end]


def _section(
    env: jinja2.Environment,
    config: ShowNotesSettings,
    index: int,
    theme: Theme,
    concept: ThemeConcepts,
    statements: list[Statement],
    quotes: list[Quote],
    host: SpeakerNames | None,
    kinds: list[str],
    asked: set[str],
    checked: Callable[[list[str]], list[str]],
) -> Section:
    labels = concept.labels or [UNNAMED]  # no concept heard well enough: the editor names it
    # topic/keyphrases: the names older, editor-written templates use for the label and concepts
    phrases = concept.phrases if len(concept.phrases) == len(labels) else labels
    names = {"label": labels[0], "labels": labels, "topic": labels[0], "keyphrases": labels, "index": index,
             "phrases": phrases, "unnamed": not concept.labels}  # fmt: skip
    heading = _heading(env, config, names, kinds, asked)
    paragraphs = checked(render_text(env, "section", config.language, **names, host=host, statements=statements))
    keyphrases = list(dict.fromkeys([*labels, *theme.keyphrases]))
    return Section(
        heading=heading or dutch.capfirst(labels[0]),
        paragraphs=paragraphs,
        quotes=quotes,
        keyphrases=keyphrases,
        start=theme.start,
    )


def _heading(
    env: jinja2.Environment, config: ShowNotesSettings, names: dict[str, Any], kinds: list[str], asked: set[str]
) -> str:
    """The first frame of the theme's strongest kind whose question the draft has not asked yet."""
    fallback = ""
    for kind in kinds:
        for variant in range(8):
            rendered = render_text(env, "heading", config.language, **names, kind=kind, variant=variant)
            if not rendered:
                break
            question = rendered[0].split(":", 1)[-1].strip().casefold()
            fallback = fallback or rendered[0]
            if question not in asked:
                asked.add(question)
                return rendered[0]
    return fallback


def _context(
    transcript: Transcript,
    show_name: str | None,
    config: ShowNotesSettings,
    host: SpeakerNames | None,
    guests: list[SpeakerNames],
    labels: list[str],
) -> dict[str, Any]:
    episode = transcript.episode
    return {
        "show": show_name or str(episode.metadata.get("podcast") or "podcast"),
        "number": episode.number or _int(episode.metadata.get("number")),
        "title": episode.title,
        "host": host,
        "guests": guests,
        "topics": labels,
        "labels": labels,
        "guest_noun": config.guest_noun,
        "guest_noun_singular": config.guest_noun_singular,
    }


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _title(
    env: jinja2.Environment,
    config: ShowNotesSettings,
    themes: list[Theme],
    episode_view: _Episode,
    episode_title: str | None,
) -> str:
    """The sidecar's title when asked for, else the labels of the longest themes, in episode order."""
    if config.title_source == "episode" and episode_title:
        return episode_title
    kept = [i for i in range(len(themes)) if i != episode_view.recap and i not in episode_view.outro]
    dominant = sorted(sorted(kept, key=lambda i: -(themes[i].end - themes[i].start))[:3])
    concepts: list[str] = []
    for i in dominant:
        label = (episode_view.concepts[i].labels or [""])[0]
        if label and label.casefold() not in {c.casefold() for c in concepts}:
            concepts.append(label)
    if not concepts:
        return episode_title or "Shownotes"
    rendered = render_text(env, "title", config.language, concepts=concepts, thread=episode_view.thread)
    return rendered[0] if rendered else dutch.capfirst(dutch.join_nl(concepts))


__all__ = ["build_show_notes", "environment", "render_text", "verbatim_quotes"]

