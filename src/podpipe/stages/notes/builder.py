"""ShowNotes from a named transcript and its analysis: extractive, with Jinja2 text templates.

No language model: the headings, paraphrases, intro and closing are sentences of the episode put in
templates (``podpipe/defaults/templates/{intro,heading,section,closing}.<lang>.j2``) that producers edit without
touching code. Quotes are the analysis' verbatim quotes, checked against the speaker's own words.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from podpipe.config import DEFAULT_TEMPLATES
from podpipe.domain import Analysis, Quote, Role, Section, Segment, ShowNotes, Speaker, Theme, Transcript
from podpipe.stages.naming import speaker_label
from podpipe.stages.notes import dutch
from podpipe.stages.notes.settings import ShowNotesSettings, resolve_path, show_name, shownotes_settings

log = logging.getLogger(__name__)


_QUESTION_WORDS = frozenset(
    [
        "wat",
        "waarom",
        "hoe",
        "wie",
        "welke",
        "welk",
        "waar",
        "wanneer",
        "waarmee",
        "waarover",
        "is",
        "zijn",
        "moet",
        "moeten",
        "kan",
        "kunnen",
        "heb",
        "hebben",
        "werkt",
        "gaat",
        "doe",
        "doen",
        "zou",
        "zouden",
        "wil",
        "willen",
        "mag",
        "mogen",
        "hoeveel",
    ]
)
_DEICTIC = frozenset(["dat", "dit", "die", "daar", "daarmee", "daarvan", "het", "dan", "zo", "er"])
# A paraphrase never opens with these: they lean on the sentence before or start a fragment.
_NO_START = frozenset(
    [
        "dat",
        "dit",
        "die",
        "daar",
        "daarmee",
        "daarvan",
        "daarom",
        "daarna",
        "dan",
        "zo",
        "er",
        "of",
        "want",
        "omdat",
        "terwijl",
        "zoals",
        "als",
        "hij",
        "zij",
        "ze",
        "het",
        "hem",
        "haar",
        "hun",
    ]
)
# Common finite verbs: a sentence without any is likely a fragment ("Een vraagje na een week.").
_VERBS = frozenset(
    [
        "is",
        "zijn",
        "was",
        "waren",
        "wordt",
        "worden",
        "werd",
        "werden",
        "heeft",
        "hebben",
        "had",
        "hadden",
        "kan",
        "kunnen",
        "kon",
        "konden",
        "moet",
        "moeten",
        "moest",
        "zal",
        "zullen",
        "zou",
        "zouden",
        "wil",
        "willen",
        "mag",
        "mogen",
        "gaat",
        "gaan",
        "ging",
        "komt",
        "komen",
        "kwam",
        "maakt",
        "maken",
        "werkt",
        "werken",
        "zit",
        "zitten",
        "staat",
        "staan",
        "blijft",
        "blijven",
        "ligt",
        "liggen",
        "krijgt",
        "krijgen",
        "geeft",
        "geven",
        "doet",
        "doen",
        "helpt",
        "helpen",
        "leert",
        "leren",
        "kost",
        "kosten",
        "zegt",
        "zeggen",
        "vraagt",
        "vragen",
        "bouwt",
        "bouwen",
        "kijkt",
        "kijken",
        "vindt",
        "vinden",
        "weet",
        "weten",
        "ziet",
        "zien",
        "begint",
        "beginnen",
        "toont",
        "tonen",
        "betekent",
        "brengt",
        "brengen",
        "houdt",
        "houden",
        "draait",
        "draaien",
        "loopt",
        "lopen",
        "hoort",
        "horen",
        "gebruikt",
        "gebruiken",
        "vertelt",
        "vertellen",
        "zorgt",
        "zorgen",
        "past",
        "passen",
        "telt",
        "tellen",
        "verdwijnt",
        "neemt",
        "nemen",
    ]
)
_NOT_VERBS = frozenset(
    [
        "eerst",
        "laatst",
        "meest",
        "minst",
        "echt",
        "recht",
        "nacht",
        "macht",
        "tijdschrift",
        "budget",
        "moment",
        "resultaat",
        "effect",
        "product",
        "concept",
        "project",
    ]
)
_HEADING_FILLERS = re.compile(r"\b(?:dan|eigenlijk|nu|toch|nog|wel|dus|zo'n beetje)\s+", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


def template_dirs(config: ShowNotesSettings, settings: Any = None) -> list[Path]:
    configured = resolve_path(settings, config.templates)
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
        clock=dutch.clock,
        md=dutch.md_escape,
        md_url=dutch.md_url,
    )
    return env


def environment(settings: Any = None, *, autoescape: bool = False) -> jinja2.Environment:
    config = shownotes_settings(settings)
    return _environment(tuple(template_dirs(config, settings)), autoescape)


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
class Person:
    id: str
    name: str
    first: str
    organisation: str | None
    label: str  # "Name (organisation)"
    role: str | None


def _person(speaker: Speaker, settings: Any) -> Person:
    name = speaker.display_name
    return Person(
        id=speaker.id,
        name=name,
        first=name.split()[0] if name.split() and not name.startswith("Gast ") else name,
        organisation=speaker.organisation,
        label=speaker_label(speaker, settings),
        role=str(speaker.role) if speaker.role else None,
    )


def _people(transcript: Transcript, settings: Any) -> tuple[Person | None, list[Person], dict[str, Person]]:
    order = list(dict.fromkeys(s.speaker for s in transcript.segments if s.speaker is not None))
    speakers = [transcript.speaker(label) or Speaker(id=label) for label in order]
    by_id = {s.id: _person(s, settings) for s in [*speakers, *transcript.speakers]}
    host = next((by_id[s.id] for s in speakers if s.role == Role.HOST), None)
    guests = [by_id[s.id] for s in speakers if s.role != Role.HOST]
    return host, guests, by_id


def _introduction_order(guests: list[Person], analysis: Analysis) -> list[Person]:
    """Guests in the order they were introduced (analysis.people), else in the order they first spoke."""
    first_mention: dict[str, float] = {}
    for mention in analysis.people:
        if mention.start is not None:
            key = _norm(mention.text)
            first_mention[key] = min(first_mention.get(key, mention.start), mention.start)
    position = {id(g): i for i, g in enumerate(guests)}
    return sorted(guests, key=lambda g: (first_mention.get(_norm(g.name), float("inf")), position[id(g)]))


# ---------------------------------------------------------------------------------------------
# Picking sentences
# ---------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _theme_segments(transcript: Transcript, theme: Theme) -> list[tuple[int, Segment]]:
    ids = [i for i in theme.segment_ids if 0 <= i < len(transcript.segments)]
    if ids:
        return [(i, transcript.segments[i]) for i in ids]
    return [
        (i, s)
        for i, s in enumerate(transcript.segments)
        if theme.start <= s.start < max(theme.end, theme.start)
    ]


def _proper_words(transcript: Transcript) -> set[str]:
    """Words written with a capital inside a sentence somewhere: names, organisations, tools."""
    proper: set[str] = set()
    for segment in transcript.segments:
        for sentence in dutch.sentences(segment.text):
            for word in dutch.words(sentence)[1:]:
                if word[:1].isupper():
                    proper.add(word)
    for speaker in transcript.speakers:
        for part in (speaker.name or "").split() + (speaker.organisation or "").split():
            proper.add(part)
    return proper


def _clause(text: str, proper: set[str]) -> str:
    """After a colon a Dutch sentence goes on in lower case, unless it starts with a name."""
    first = dutch.words(text)[:1]
    if first and first[0] not in proper and not first[0].isupper():
        return text[:1].lower() + text[1:]
    return text


def _keyword_score(text: str, keyphrases: list[str]) -> float:
    norm = f" {_norm(text)} "
    score = 0.0
    for rank, phrase in enumerate(keyphrases):
        key = _norm(phrase)
        if key and f" {key} " in norm:
            score += 2.0 / (1 + 0.3 * rank)
        else:
            parts = [p for p in key.split() if len(p) > 3]
            score += 0.5 * sum(f" {p}" in norm for p in parts) / max(len(parts), 1)
    return score


def _question(
    segments: list[tuple[int, Segment]],
    keyphrases: list[str],
    names: list[str],
    proper: set[str],
    exclude: str | None = None,
) -> str | None:
    """A short question asked in the theme, fit for a heading ("waarom werkt dat zo goed bij onboarding?")."""
    best, best_score = None, 0.0
    for _, segment in segments:
        for sentence in dutch.sentences(segment.text):
            if not sentence.endswith("?") or ":" in sentence:
                continue
            text = dutch.tidy(sentence)
            if exclude and _norm(text) == _norm(exclude):
                continue
            for name in names:  # a vocative: "Ellen, ..." / "..., Bram?"
                text = re.sub(rf"^{re.escape(name)}\s*,\s*", "", text)
                text = re.sub(rf",\s*{re.escape(name)}\s*\?$", "?", text)
            text = _HEADING_FILLERS.sub("", text)
            head, comma, _ = text.partition(",")
            if comma and len(dutch.words(head)) >= 4:
                text = head.rstrip() + "?"
            count = len(dutch.words(text))
            if not 4 <= count <= 13:
                continue
            words = [w.lower() for w in dutch.words(text)]
            score = 1.0 + _keyword_score(text, keyphrases) - 0.3 * sum(w in _DEICTIC for w in words)
            score -= 0.3 * sum(w in dutch.PERSONAL for w in words)
            if words[0] not in _QUESTION_WORDS:
                score -= 0.5
            if score > best_score:
                best, best_score = text, score
    return None if best is None else _clause(best, proper)


def _opener(
    segments: list[tuple[int, Segment]], host: Person | None, keyphrases: list[str], proper: set[str]
) -> str | None:
    """The host's question that opens the theme, tidied, when it stands on its own (names a keyphrase
    or refers to nothing before it), in lower case after the template's colon."""
    if host is None:
        return None
    for _, segment in segments[:3]:
        if segment.speaker != host.id:
            continue
        questions = [s for s in dutch.sentences(segment.text) if s.endswith("?")]
        for question in reversed(questions):
            text = dutch.tidy(question)
            words = [w.lower() for w in dutch.words(text)]
            if not 5 <= len(words) <= 30:
                continue
            if _keyword_score(text, keyphrases) >= 1.0 or not _DEICTIC & set(words):
                return _clause(text, proper)
    return None


@dataclass(slots=True)
class Statement:
    speaker: str
    name: str
    first: str
    text: str
    clause: str
    start: float
    score: float
    same_speaker: bool = False


def _statements(
    segments: list[tuple[int, Segment]],
    keyphrases: list[str],
    quotes: list[Quote],
    people: dict[str, Person],
    host: Person | None,
    proper: set[str],
    limit: int,
) -> tuple[list[Statement], list[Statement]]:
    """(chosen, the other candidates best first): the theme's most telling third-person-ready sentences, at most one per speaker first, in time order."""
    quoted = [_norm(q.text) for q in quotes]
    candidates: list[Statement] = []
    guests_spoke = any(host is None or s.speaker != host.id for _, s in segments)
    for _, segment in segments:
        if segment.speaker is None or segment.speaker not in people:
            continue
        if guests_spoke and host is not None and segment.speaker == host.id:
            continue
        sentences = dutch.sentences(segment.text)
        for position, sentence in enumerate(sentences):
            if sentence.endswith("?") or dutch.is_personal(sentence):
                continue
            text = dutch.tidy(sentence)
            count = len(dutch.words(text))
            if not 8 <= count <= 35 or not text.endswith((".", "!", "…")):
                continue
            norm = _norm(text)
            if any(norm in q or q in norm for q in quoted):
                continue
            words = [w.lower() for w in dutch.words(text)]
            if words[0] in _NO_START:
                continue
            if not any(
                w in _VERBS or (len(w) >= 5 and w.endswith("t") and w not in _NOT_VERBS) for w in words
            ):
                continue  # no finite verb: a fragment
            score = _keyword_score(text, keyphrases) + 0.5
            score -= 0.4 * (position == 0 and len(sentences) > 1 and count < 10)
            score += 0.3 * (12 <= count <= 28)
            person = people[segment.speaker]
            candidates.append(
                Statement(
                    speaker=segment.speaker,
                    name=person.name,
                    first=person.first,
                    text=text,
                    clause=_clause(text, proper),
                    start=segment.start,
                    score=score,
                )
            )
    candidates.sort(key=lambda s: -s.score)
    chosen: list[Statement] = []
    for statement in candidates:  # the best of each speaker first, then the rest (two per speaker at most)
        if statement.speaker not in {c.speaker for c in chosen}:
            chosen.append(statement)
    for statement in candidates:
        if statement not in chosen and sum(c.speaker == statement.speaker for c in chosen[:limit]) < 2:
            chosen.append(statement)
    chosen = chosen[:limit]
    rest = [c for c in candidates if c not in chosen]
    chosen.sort(key=lambda s: s.start)
    for previous, statement in itertools.pairwise(chosen):
        statement.same_speaker = previous.speaker == statement.speaker
    return chosen, rest


def verbatim_quotes(quotes: list[Quote], transcript: Transcript) -> list[Quote]:
    """Only quotes whose words are the speaker's own (whitespace aside)."""
    said: dict[str | None, str] = {}
    for segment in transcript.segments:
        said[segment.speaker] = said.get(segment.speaker, "") + " " + " ".join(segment.text.split())
    kept = []
    for quote in quotes:
        if " ".join(quote.text.split()) in said.get(quote.speaker, ""):
            kept.append(quote)
        else:
            log.warning("quote dropped, not verbatim from %s: %r", quote.speaker, quote.text[:60])
    return kept


# ---------------------------------------------------------------------------------------------
# The notes
# ---------------------------------------------------------------------------------------------


def _topic(theme: Theme) -> str:
    return theme.keyphrases[0] if theme.keyphrases else (theme.heading or "dit thema")


def build_show_notes(
    transcript: Transcript, analysis: Analysis, settings: Any = None, *, transport: Any = None
) -> ShowNotes:
    """Title, intro, one section per theme (question-style heading, paraphrase, verbatim quotes), closing.

    With ``shownotes.rewrite.enabled``, headings and paraphrases are then rewritten by an
    OpenAI-compatible endpoint (``transport``: an httpx transport, for tests); any failure keeps the
    extractive draft.
    """
    config = shownotes_settings(settings)
    env = environment(settings)
    language = config.language
    host, guests, people = _people(transcript, settings)
    guests = _introduction_order(guests, analysis)
    names = sorted(
        {p.first for p in people.values()} | {p.name for p in people.values()}, key=len, reverse=True
    )
    proper = _proper_words(transcript)
    quotes = verbatim_quotes(list(analysis.quotes), transcript)

    sections: list[Section] = []
    spare: list[Statement] = []  # candidates no section used, for the closing
    for index, theme in enumerate(analysis.themes):
        segments = _theme_segments(transcript, theme)
        theme_quotes = [q for q in quotes if q.theme == index]
        if not theme_quotes:
            theme_quotes = [q for q in quotes if q.theme is None and theme.start <= q.start < theme.end]
        theme_quotes.sort(key=lambda q: q.start)
        opener = _opener(segments, host, theme.keyphrases, proper)
        question = _question(segments, theme.keyphrases, names, proper, exclude=opener)
        heading = render_text(
            env,
            "heading",
            language,
            topic=_topic(theme),
            keyphrases=theme.keyphrases,
            question=question,
            index=index,
            nlp_heading=theme.heading,
        )
        budget = config.max_sentences - (1 if opener or theme.keyphrases else 0)
        statements, rest = _statements(
            segments, theme.keyphrases, theme_quotes, people, host, proper, max(budget, 1)
        )
        spare = rest + spare if rest else spare  # the last theme's candidates first
        paragraphs = render_text(
            env,
            "section",
            language,
            topic=_topic(theme),
            keyphrases=theme.keyphrases,
            index=index,
            host=host,
            opener=opener,
            statements=statements,
        )
        sections.append(
            Section(
                heading=heading[0] if heading else dutch.capfirst(_topic(theme)),
                paragraphs=paragraphs,
                quotes=theme_quotes,
                keyphrases=list(theme.keyphrases),
                start=theme.start,
            )
        )

    topics = _topics(analysis.themes)
    episode = transcript.episode
    number = episode.number or _int(episode.metadata.get("number"))
    show = show_name(settings) or str(episode.metadata.get("podcast") or "podcast")
    context = {
        "show": show,
        "number": number,
        "title": episode.title,
        "host": host,
        "guests": guests,
        "topics": topics,
        "guest_noun": config.guest_noun,
        "guest_noun_singular": config.guest_noun_singular,
    }
    intro = " ".join(render_text(env, "intro", language, **context))
    closing = render_text(
        env,
        "closing",
        language,
        **context,
        last=spare[0] if spare else None,
        call_to_action=config.call_to_action,
    )
    notes = ShowNotes(
        title=_title(analysis.themes, episode.title, config),
        intro=intro,
        sections=sections,
        closing="\n\n".join(closing),
    )
    if config.rewrite.enabled:
        from podpipe.stages.notes.rewrite import rewrite_show_notes

        notes = rewrite_show_notes(notes, transcript, settings, transport=transport)
    return notes


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _topics(themes: list[Theme]) -> list[str]:
    topics: list[str] = []
    for theme in themes:
        topic = _topic(theme)
        if topic and topic.lower() not in {t.lower() for t in topics}:
            topics.append(topic)
    return topics


def _title(themes: list[Theme], episode_title: str | None, config: ShowNotesSettings) -> str:
    if config.title_source == "episode" and episode_title:
        return episode_title
    dominant = sorted(range(len(themes)), key=lambda i: -(themes[i].end - themes[i].start))[:3]
    topics = _topics([themes[i] for i in sorted(dominant)])
    if not topics:
        return episode_title or "Shownotes"
    return dutch.capfirst(dutch.join_nl(topics))


__all__ = ["build_show_notes", "environment", "render_text", "verbatim_quotes"]
