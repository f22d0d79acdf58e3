"""People and organisations named in an episode, without a trained NER model.

Evidence, strongest first:
1. the episode's metadata (``Transcript.speakers`` names and organisations, ``Episode.metadata``),
2. the show config (show name, ``nlp.people`` / ``nlp.organisations``), both fed to an EntityRuler,
3. self-introductions: "ik ben X (van/bij Y)", "mijn naam is X", "ik heet X",
4. introductions by the host: "X van Y", "X is oprichter van Y", "X, onderzoeker bij Y",
5. runs of proper nouns (PROPN) the ruler and the patterns did not cover.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wordfreq import zipf_frequency

from podpipe.cast import own_cast
from podpipe.domain import Mention, Role, Transcript
from podpipe.stages.analyse.document import Conversation
from podpipe.stages.analyse.lexicon import PREPOSITIONS, is_dutch_word
from podpipe.text import normal

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

_UPPER = "A-ZÀ-ÖØ-Þ"
_WORD = rf"[{_UPPER}][\w'’-]*"
# Surname particles, as spoken inside a name ("Jan van Dijk", "Els De Smet", "An Van den Broeck").
_PARTICLE = r"(?:van der|van den|van de|van 't|van|de|der|den|ter|ten|te|in 't|'t|le|la|du|di|da)"
_CAP_PARTICLE = (
    r"(?:Van der|Van den|Van de|Vanden|Vander|Van|De|Der|Den|Ter|Ten|Le|La|Du|Di|Da|Mc|El|Al|Abou|Abu|Ait|Del|Dos|Das)"
)
_SURNAME = rf"(?:{_CAP_PARTICLE}\s+(?:(?:de|den|der)\s+)?)?{_WORD}"
PERSON_NAME = rf"{_WORD}(?:\s+{_PARTICLE})?\s+{_SURNAME}"
ORG_NAME = rf"(?:{_WORD}|[A-Z0-9]{{2,}}[\w&.'-]*)(?:\s+(?:&\s+)?(?:{_WORD}|[A-Z0-9]{{2,}}))*"

# Words that may stand between "ik ben" and a name ("ik ben zoals altijd Walter Schroven").
_FILLER_BEFORE_NAME = (
    r"(?:(?:zoals altijd|vandaag|hier|dus|weer|opnieuw|natuurlijk|nog altijd|uw host|jullie host|de host|"
    r"uw gastheer|uw gastvrouw|,)\s*)*"
)
SELF_INTRO = re.compile(
    rf"\b(?i:ik\s+ben|mijn\s+naam\s+is|ik\s+heet|je\s+hoort|u\s+hoort|jullie\s+horen)\s+(?i:{_FILLER_BEFORE_NAME})"
    rf"(?P<name>{PERSON_NAME}|{_WORD})"
    rf"(?P<rest>[^.!?\n]{{0,80}})"
)
# A speaker's turns in which a self-introduction counts: one introduces oneself on first speaking, in
# the first turn or the second after a short reply ("Ik doe het inderdaad liever zelf."); later "ik ben
# jaloers" (heard "Ik ben Jalors.") is no name.
SELF_INTRO_TURNS = 2
# "..., community manager bij VOV" / "van Kompaswerk" / "en ik werk bij X"
ORG_AFTER = re.compile(
    rf"^\s*,?\s*(?:(?:en\s+)?(?:ik\s+)?(?:werk|ben|is)\s+)?(?:(?:[a-zà-ÿ][\w-]*)\s+){{0,4}}?"
    rf"(?:van|bij|namens|voor|from|at)\s+(?:de\s+|het\s+)?(?P<org>{ORG_NAME})"
)
# "Ellen Verhaegen is oprichter van Leerkorrel", "Bram Goossens van Kompaswerk",
# "Sara Peeters, onderzoeker aan de KU Leuven"
# A job between name and organisation: lower-case words, or an acronym compound ("HR-directeur").
_JOB_WORD = r"(?:[a-zà-ÿ][\w'-]*|[A-Z]{2,}-[\w-]+)"
# "regiomanager bij de supermarktketen Versanto": what kind of organisation it is, between article and
# name; a noun, not an inflected adjective ("bij de grootste Vlaamse bank": no organisation "Vlaamse")
_KIND_WORD = r"(?:[a-zà-ÿ][\w-]{2,}(?:[^\We]|ie))"
INTRODUCTION = re.compile(
    rf"(?<![\w'’-])(?P<name>{PERSON_NAME})\s*,?\s*"
    rf"(?:(?:is|was|werkt|zit)\s+)?(?:{_JOB_WORD},?\s+){{0,5}}?"
    rf"(?:(?:van|bij|aan|namens|achter)\s+(?:(?:de|het)\s+(?:{_KIND_WORD}\s+)?)?|(?P<inside>in\s+(?:de|het)\s+))"
    rf"(?P<org>{ORG_NAME})"
)
# "Kristof Aerts, welkom!": the host greets a guest who joins by their full name.
WELCOMED = re.compile(rf"(?<![\w'’-])(?P<name>{PERSON_NAME}),\s+(?i:welkom)\b")
# "Jonas Wuyts, zelfstandig coach met zijn eigen bureau Spiegelpunt": the organisation named by its kind.
INTRODUCTION_BY_KIND = re.compile(
    rf"(?<![\w'’-])(?P<name>{PERSON_NAME})\s*,?\s*(?:(?:is|was|werkt|zit|heeft|leidt|runt)\s+)?"
    rf"(?:{_JOB_WORD},?\s+){{0,8}}?"
    rf"(?:bureau|bedrijf|organisatie|firma|zaak|start-up|startup|kantoor|vzw|agentschap|studio)\s+"
    rf"(?P<org>{ORG_NAME})"
)
# "mijn gast is", "mijn tweede gast is", "onze laatste gaste heet"
_GUEST_IS = r"(?:mijn|onze)\s+(?:(?:eerste|tweede|derde|vierde|volgende|andere|laatste)\s+)?gast(?:e)?\s+(?:is|heet)"
# "En naast haar zit Jonas Wuyts", "mijn gast is X", "welkom, X", "en dan is er nog X": a guest named
# without an organisation.
GUEST_CUE = re.compile(
    rf"\b(?i:(?:naast|tegenover)\s+(?:haar|hem|mij|me|ons)\s+zit|te\s+gast\s+(?:is|zijn)|{_GUEST_IS}|"
    rf"aan\s+tafel\s+zit|ik\s+verwelkom|verwelkom\s+ik|welkom(?:\s+aan)?,?|dan\s+is\s+er\s+(?:nog|ook))\s+"
    rf"(?P<name>{PERSON_NAME})"
)
# Capitalised words that are not names, though they open many sentences or get PROPN tags.
NOT_NAMES = frozenset(
    """ja nee neen oké ok hallo welkom dag dank merci bedankt goed juist exact absoluut inderdaad allez kijk
    maar en of dus want als dan toch nu wel ook zeker natuurlijk misschien ik je jij ge gij u we wij ze zij
    hij het de een dat dit die deze daar hier wat wie hoe waarom waar wanneer hè hé euh ehm god
    mijn zijn haar hun onze ons uw jouw
    maandag dinsdag woensdag donderdag vrijdag zaterdag zondag januari februari maart april mei juni juli
    augustus september oktober november december""".split()
)
# A job is no name, however Whisper capitalised it: "Ik ben Kenys Manager, ..." ("ik ben kennismanager")
# had named a guest "Kenys Manager" on ep27's MBROLA rendering (held out).
JOB_TITLES = frozenset(
    """manager directeur director coördinator coordinator adviseur consultant coach trainer partner
    verantwoordelijke medewerker specialist expert""".split()
)
ORG_WORDS = re.compile(
    r"\b(?:bv|nv|vzw|bvba|cvba|groep|group|bank|universiteit|hogeschool|ministerie|agentschap|stad|gemeente|"
    r"provincie|instituut|centrum|vereniging|federatie|stichting|fonds|school|ziekenhuis|academie|partners|"
    r"consulting|bureau|company|inc|ltd|gmbh|podcast)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Entity:
    text: str
    label: str
    source: str
    rank: int
    organisation: str | None = None
    speaker: str | None = None  # who first said it
    start: float | None = None
    aliases: set[str] = field(default_factory=set)


SOURCE_RANK = {"metadata": 0, "config": 1, "self-introduction": 2, "introduction": 3, "proper-noun": 4}


class EntityBook:
    """Collects people and organisations, merging repeated and partial names."""

    def __init__(self) -> None:
        self.entities: dict[tuple[str, str], _Entity] = {}

    def find(self, text: str, label: str | None = None) -> _Entity | None:
        key = normal(text)
        for (lab, name), entity in self.entities.items():
            if (label is None or lab == label) and (name == key or key in entity.aliases):
                return entity
        return None

    def add(
        self,
        text: str,
        label: str,
        source: str,
        organisation: str | None = None,
        speaker: str | None = None,
        start: float | None = None,
    ) -> _Entity | None:
        text = re.sub(r"\s+", " ", text).strip(" ,.;:")
        if not text or normal(text) in NOT_NAMES:
            return None
        other = "ORG" if label == "PER" else "PER"
        if self.find(text, other) is not None and SOURCE_RANK[source] >= SOURCE_RANK["introduction"]:
            return None  # already known as the other kind
        entity = self.find(text, label)
        if entity is None and label == "PER":
            # a first name alone ("Ellen") or a full name for a known first name
            for candidate in self.entities.values():
                if candidate.label != "PER":
                    continue
                first = normal(candidate.text).split(" ")[0]
                if normal(text) == first:
                    entity = candidate
                    break
        if entity is None:
            entity = _Entity(text=text, label=label, source=source, rank=SOURCE_RANK[source])
            self.entities[(label, normal(text))] = entity
        elif SOURCE_RANK[source] < entity.rank and len(text) >= len(entity.text):
            entity.source, entity.rank = source, SOURCE_RANK[source]
        if normal(text) != normal(entity.text):
            entity.aliases.add(normal(text))
        if organisation and not entity.organisation:
            entity.organisation = organisation
        if start is not None and (entity.start is None or start < entity.start):
            entity.start, entity.speaker = round(start, 3), speaker
        return entity

    def mentions(self, label: str) -> list[Mention]:
        found = [e for e in self.entities.values() if e.label == label]
        found.sort(key=lambda e: (e.rank, e.start if e.start is not None else float("inf")))
        return [
            Mention(
                text=e.text,
                label=e.label,
                speaker=e.speaker,
                start=e.start,
                source=e.source,
                organisation=e.organisation if label == "PER" else None,
            )
            for e in found
        ]


def known_names(
    transcript: Transcript,
    config_people: Iterable[str] = (),
    config_orgs: Iterable[str] = (),
    show: str | None = None,
) -> tuple[EntityBook, list[str], list[str]]:
    """The entity book seeded from metadata and config, and the names for the episode's EntityRuler."""
    book = EntityBook()
    people: list[str] = []
    orgs: list[str] = []
    hosts_first = sorted(transcript.speakers, key=lambda s: (s.role != Role.HOST, s.role != Role.GUEST))
    for speaker in hosts_first:
        if speaker.name:
            book.add(speaker.name, "PER", "metadata", organisation=speaker.organisation)
            people.append(speaker.name)
        if speaker.organisation:
            book.add(speaker.organisation, "ORG", "metadata")
            orgs.append(speaker.organisation)
    cast = own_cast(transcript.episode)  # the episode's own cast, config apart
    for member in cast.members:
        book.add(member.name, "PER", "metadata", organisation=member.organisation)
        people.append(member.name)
    for org in cast.organisations:
        book.add(org, "ORG", "metadata")
        orgs.append(org)
    for name in config_people:
        book.add(name, "PER", "config")
        people.append(name)
    for org in [*config_orgs, *([show] if show else [])]:
        book.add(org, "ORG", "config")
        orgs.append(org)
    return book, people, orgs


# Where a guest who introduced themselves says where they work, later in the same turn: "Ik ben Dennis
# Verhoef. Ik heb twaalf jaar ... gewerkt, en nu ben ik opleidingsadviseur bij Zorggroep De Zonnewijzer."
WORKS_AT = re.compile(
    rf"\b(?i:ik\s+(?:werk|ben)|(?:werk|ben)\s+ik)\b[^.!?]{{0,60}}?\b(?:bij|voor)\s+(?:de\s+|het\s+)?"
    rf"(?P<org>{ORG_NAME})"
)
OWN_TURN_CHARS = 400  # how far into their turn a guest still introduces themselves


def _own_organisation(text: str, match: re.Match[str]) -> str | None:
    """The organisation of who says "ik ben X": right after the name ("ik ben X, coach bij Y"), else
    where they say they work further in the same turn."""
    org_match = ORG_AFTER.match(match.group("rest"))
    if org_match is None:
        org_match = WORKS_AT.search(text, match.end("name"), match.end("name") + OWN_TURN_CHARS)
    org = _clean_org(org_match.group("org")) if org_match else None
    return org if org and _plausible_org(org) else None


def _introduced_org(org: str | None, match: re.Match[str]) -> str | None:
    """The organisation of an introduction; one "in het ..." only where it names an institution
    ("praktijkopleider in het Maasduin Ziekenhuis", not "coach in de Kempen": a region)."""
    org = _clean_org(org) if org else None
    if org and match.group("inside") and not ORG_WORDS.search(org):
        return None
    return org


def _clean_org(org: str) -> str | None:
    words = org.split()
    # Trailing words that are ordinary sentence words after a name ("Kompaswerk En" cannot happen, but
    # "VOV Vandaag" can with ASR capitalisation).
    while words and words[-1].lower() in NOT_NAMES:
        words.pop()
    org = " ".join(words)
    return org if org and org.lower() not in NOT_NAMES else None


_PARTICLE_WORDS = frozenset(
    "van de der den ter ten te 't le la du di da vanden vander mc el al abou abu ait del dos das".split()
)


def _is_a_job(name: str) -> bool:
    return any(word.lower() in JOB_TITLES for word in name.split())


def _valid_person(name: str, book: EntityBook) -> bool:
    words = name.split()
    if _is_a_job(name):
        return False
    if any(w.lower() in NOT_NAMES for w in words if w[0].isupper() and w.lower() not in _PARTICLE_WORDS):
        return bool(book.find(name, "PER"))
    return len(words) >= 2 or book.find(name, "PER") is not None


def find_entities(
    conv: Conversation, nlp: Language | None, book: EntityBook, ruler: Any = None
) -> EntityBook:
    """Scan every turn: the EntityRuler's matches, introductions and proper nouns, into ``book``."""
    spoken: Counter[str | None] = Counter()
    for turn in conv.turns:
        text = turn.text
        spoken[turn.speaker] += 1
        doc: Doc | None = turn.doc
        if doc is not None and ruler is not None and len(ruler):
            doc = ruler(doc)
            turn.doc = doc
        if doc is not None:
            for ent in doc.ents:
                canonical = ent.ent_id_.split("|", 1)[1] if "|" in ent.ent_id_ else ent.text
                label = "PER" if ent.label_ in ("PER", "PERSON") else "ORG" if ent.label_ == "ORG" else None
                if label:
                    source = ent.ent_id_.split("|", 1)[0] if "|" in ent.ent_id_ else "config"
                    book.add(
                        canonical,
                        label,
                        source if source in SOURCE_RANK else "config",
                        speaker=turn.speaker,
                        start=turn.time_at(ent.start_char),
                    )
        introductions = SELF_INTRO.finditer(text) if spoken[turn.speaker] <= SELF_INTRO_TURNS else iter(())
        for match in introductions:
            name = match.group("name").strip()
            if _is_a_job(name):
                continue
            if not _valid_person(name, book) and not (
                doc is not None and _is_propn(doc, match.start("name"), match.end("name"))
            ):
                continue
            org = _own_organisation(text, match)
            entity = book.add(
                name,
                "PER",
                "self-introduction",
                organisation=org,
                speaker=turn.speaker,
                start=turn.time_at(match.start("name")),
            )
            if entity is not None:
                entity.speaker = turn.speaker  # the person who said "ik ben X" is X
            if org:
                book.add(
                    org,
                    "ORG",
                    "self-introduction",
                    speaker=turn.speaker,
                    start=turn.time_at(match.start("rest")),
                )
        for match in INTRODUCTION.finditer(text):
            name, org = match.group("name"), _introduced_org(match.group("org"), match)
            if not _valid_person(name, book) or not org or book.find(org, "PER"):
                continue
            book.add(
                name,
                "PER",
                "introduction",
                organisation=org,
                speaker=turn.speaker,
                start=turn.time_at(match.start("name")),
            )
            book.add(org, "ORG", "introduction", speaker=turn.speaker, start=turn.time_at(match.start("org")))
        for name, org, start in _introduced_without_preposition(text):
            if not _valid_person(name, book) or (org and book.find(org, "PER")):
                continue
            book.add(name, "PER", "introduction", organisation=org, speaker=turn.speaker, start=turn.time_at(start))
            if org:
                book.add(org, "ORG", "introduction", speaker=turn.speaker, start=turn.time_at(start))
        if doc is not None and doc.has_annotation("POS"):
            _proper_nouns(doc, turn, book)
    return book


def _introduced_without_preposition(text: str) -> list[tuple[str, str | None, int]]:
    """(name, organisation or None, offset): "X, coach met zijn bureau Y", "naast haar zit X"."""
    found = []
    for match in INTRODUCTION_BY_KIND.finditer(text):
        found.append((match.group("name"), _clean_org(match.group("org")), match.start("name")))
    for match in GUEST_CUE.finditer(text):
        found.append((match.group("name"), None, match.start("name")))
    return found


def _is_propn(doc: Doc, start: int, end: int) -> bool:
    span = doc.char_span(start, end, alignment_mode="expand")
    return span is not None and all(t.pos_ == "PROPN" for t in span if t.text[:1].isupper())


def _proper_nouns(doc: Doc, turn: Any, book: EntityBook) -> None:
    """Runs of PROPN tokens (particles allowed inside) not yet known."""
    tokens = list(doc)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.pos_ != "PROPN" or not token.text[:1].isupper():
            i += 1
            continue
        j = i + 1
        while j < len(tokens):
            nxt = tokens[j]
            if nxt.pos_ == "PROPN" and nxt.text[:1].isupper():
                j += 1
            elif (
                nxt.lower_ in ("van", "de", "der", "den")
                and j + 1 < len(tokens)
                and tokens[j + 1].pos_ == "PROPN"
                and tokens[j + 1].text[:1].isupper()
            ):
                j += 2
            else:
                break
        span = doc[i:j]
        i = j
        text = span.text
        if book.find(text) is not None or any(book.find(t.text) is not None for t in span):
            continue
        words = [t.text for t in span]
        if words[0].lower() in NOT_NAMES or len(text) < 2 or _is_a_job(text):
            continue
        sentence_initial = span.start == 0 or doc[span.start - 1].text in '.!?:"“'
        if len(words) == 1 and sentence_initial:
            continue  # a capital that may just open the sentence
        previous = doc[span.start - 1].lower_ if span.start > 0 else ""
        is_acronym = len(words) == 1 and words[0].isupper() and len(words[0]) >= 2
        if ORG_WORDS.search(text) or is_acronym or previous in ("bij", "voor", "namens"):
            label = "ORG"
        elif len(words) >= 2 and all(w[:1].isupper() for w in words):
            label = "PER"
        elif previous in ("in", "op", "via", "met"):
            label = "ORG"  # a tool or platform: "in Teams", "op LinkedIn"
        else:
            continue
        book.add(text, label, "proper-noun", speaker=turn.speaker, start=turn.time_at(span.start_char))


# ---------------------------------------------------------------------------------------------
# Before the NLP: who the conversation names (for the cast, the name correction and the naming)
# ---------------------------------------------------------------------------------------------

_COMMON_ZIPF = 5.0  # a single capitalised word this frequent in Dutch ("Blij") is no name after "ik ben"
_VOCATIVE_ZIPF = 3.0  # an address is a name when the word is this rare ("Boekhouder," is 3.6)
VOCATIVE_TAIL = 160  # characters at the end of a turn: what the next speaker answers
# "ik ben mouterschroven, community manager": a name Whisper did not know, written as one word (of any
# case: the correction capitalises it once the cast knows it).
# Up to three words may stand before it ("zoals altijd", heard as "nu wel"; "zoals altijd wel tersgroven"
# for "zoals altijd Walter Schroven" on the MBROLA renderings of ep12 and ep15).
HEARD_SELF_INTRO = re.compile(rf"\b(?i:ik\s+ben)\s+(?:[a-zà-ÿ]+\s+){{0,3}}?(?P<name>[{_UPPER}a-zà-ÿ][\w'-]{{3,}})\s*,")
# "ik ben kennismanager bij Lysdal, een ingenieursbureau": after a preposition comes where they work
# (or a place, "ik ben opgegroeid in Gent,"), never the speaker's name
_BEFORE_ORGANISATION = PREPOSITIONS | {"namens"}
# A guest who answers the host's "stel u voor" with their name first: "Ilse Maertens. Ik ben
# kennismanager bij Lysdal."; where they work follows in the turn, as after "ik ben X".
NAME_FIRST = re.compile(rf"^\s*(?P<name>{PERSON_NAME})[.,]\s+(?i:ik\s+(?:ben|werk))\b")
# The host's introduction as Whisper heard it: a sentence that opens with a capitalised first name
# (and maybe a surname heard in lower case), goes on with "is"/"werkt" and within eight words says
# "bij"/"van"/"aan"/"achter" or "in de/het" ("Marlo's Hendricks is praktek op ledder in het
# Maasdansiekenhuis" for a praktijkopleider in the Maasduin Ziekenhuis; "Rita Klijs is voor minst
# verantwoordelijke bij sind die vorm", "Koen van tam is hij redirector van AZ Merdaal"): the
# organisation then rarely keeps its capitals, so the name is taken without it unless it has them.
# On the MBROLA renderings (24-30 % WER) no guest of ep15 was found before this rule; the written
# "X is ... bij Y" needs both in capitals.
HEARD_INTRODUCTION = re.compile(
    rf"(?:^|[.!?]\s+|\b(?i:en)\s+)(?P<name>{_WORD}(?:\s+(?:{_PARTICLE}\s+)?[\wà-ÿ'-]+)?)\s+(?:is|werkt)\s+"
    rf"(?:[\wà-ÿ&'-]+,?\s+){{0,8}}?(?:bij|van|aan|achter|(?P<inside>in)(?=\s+(?:de|het)\s))\s+(?:de\s+|het\s+)?"
    rf"(?P<org>[^,.!?]{{1,60}})"
)
# "naast haar zit brangosens van kompaswerk", "naast haar zit Jonas wuits": the guest's name as one
# word Whisper did not know (no Dutch word), or a first name with a surname heard in lower case.
# First names are common words too (wordfreq: "Rita" 3.9, "Ellen" 4.2, "Jan" 5.2), so a heard
# introduction is read only where introductions are made: the episode's opening minutes.
HEARD_INTRODUCTION_WINDOW_S = 180.0
HEARD_GUEST_CUE = re.compile(
    rf"\b(?i:(?:naast|tegenover)\s+(?:haar|hem|mij|me|ons)\s+zit|{_GUEST_IS}|aan\s+tafel\s+zit)\s+"
    r"(?P<name>[\wà-ÿ'-]{3,}(?:\s+[a-zà-ÿ][\wà-ÿ'-]{2,})?)"
)
# The introduction with its preposition lost: Whisper glues "bij" to the organisation ("is taalcoach,
# betaalbrug" for "is taalcoach bij Taalbrug", "is productiedirecteur, begoudkost") or hears another
# word ("wel in de boom"). A capitalised first and last name (or one word that is no Dutch word, a
# name glued: "Anverbikken" for Ann Verbeke), "is", and a role of at most eight words up to a comma, said
# by who opens the episode (the host) in its opening minutes: on the held-out ep19 and ep20 (MBROLA
# renderings), 0 of 5 guests were found before it.
HEARD_BARE_INTRODUCTION = re.compile(
    rf"(?:^|[.!?]\s+|\b(?i:en)\s+)(?P<name>{_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_WORD})?)\s+is\s+"
    rf"(?:[a-zà-ÿ][\wà-ÿ&'-]*\s+){{0,7}}[a-zà-ÿ][\wà-ÿ&'-]*,"
)
_ELIDED = re.compile(r"^[kmnst]['’]", re.IGNORECASE)  # "M'elkom", "s'eegelbent": a word misheard, no name
# "Katrin, hoe zag dat eruit?" and, name last, "... in plaats van voor de functie, Dries?"
VOCATIVE = re.compile(rf"(?:^|[.!?\u2026]\s+)(?P<name>{_WORD})\s*[,?]|,\s+(?P<last>{_WORD})\s*[?.!]\s*$")
# Dutch puts a topic before the sentence as often as a name ("Omscholing, Lotte, is dat ...?"); a word
# with a suffix that makes abstract nouns is that topic, misheard or not ("Omschulling," on the espeak
# rendering of ep15 became a guest's name). First names do not end so.
_NOUN_SUFFIX = re.compile(r"(?:ing|heid|schap|isme|iteit|atie)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Turn:
    speaker: str | None
    text: str
    starts: tuple[tuple[int, float], ...]  # (character offset, time) of each segment in the turn

    def time_at(self, offset: int) -> float:
        time = self.starts[0][1]
        for position, start in self.starts:
            if position > offset:
                break
            time = start
        return time


def _turns_of(segments: Iterable[Any]) -> list[_Turn]:
    turns: list[_Turn] = []
    for segment in segments:
        text = segment.text.strip()
        if not text:
            continue
        if turns and turns[-1].speaker == segment.speaker:
            last = turns[-1]
            offset = len(last.text) + 1
            turns[-1] = _Turn(last.speaker, f"{last.text} {text}", (*last.starts, (offset, segment.start)))
        else:
            turns.append(_Turn(segment.speaker, text, ((0, segment.start),)))
    return turns


def _plausible_name(name: str) -> bool:
    """Capitalised words that are no sentence word ("Ja", "Dus") and, alone, no common Dutch word."""
    words = [w for w in name.split() if w.lower() not in _PARTICLE_WORDS]
    if not words or _is_a_job(name) or any(w.lower() in NOT_NAMES for w in words):
        return False
    return len(words) >= 2 or zipf_frequency(words[0].lower(), "nl") < _COMMON_ZIPF


def conversation_people(transcript: Transcript) -> list[Mention]:
    """People (with the organisation said with them) the conversation names, from its text alone:
    self-introductions ("ik ben X, ... bij Y"; ``speaker`` is then X), the host's introductions
    ("X is HR-directeur bij Y", "X van Y", "X is de man achter Y", "X, coach met zijn bureau Y",
    "naast haar zit X"; ``speaker`` is who introduced them), in order of first mention, each name once.

    Regular expressions over the raw text, so that it runs before the NLP stage: the cast grown
    from it tells the name correction how the introduction spelt each name."""
    found: dict[str, Mention] = {}

    def add(name: str, source: str, org: str | None, turn: _Turn, offset: int) -> None:
        name = re.sub(r"\s+", " ", name).strip(" ,.;:")
        if not _plausible_name(name):
            return
        key = normal(name)
        known = found.get(key) or next(
            (m for k, m in found.items() if k.split(" ")[0] == key or key.split(" ")[0] == k), None)
        if known is None:
            found[key] = Mention(name, "PER", speaker=turn.speaker, start=turn.time_at(offset), source=source,
                                 organisation=org)
        elif source == "self-introduction" and known.source != "self-introduction":
            # Their own words outrank the host's: who says "ik ben X" is X.
            full = known.text if len(known.text) >= len(name) else name
            found[normal(known.text)] = Mention(full, "PER", speaker=turn.speaker, start=turn.time_at(offset),
                                                source=source, organisation=org or known.organisation)
        elif org and not known.organisation:
            found[normal(known.text)] = Mention(known.text, "PER", known.speaker, known.start, known.source, org)

    opener = next((s.speaker for s in transcript.segments if s.speaker is not None), None)
    spoken: Counter[str | None] = Counter()
    for turn in _turns_of(transcript.segments):
        spoken[turn.speaker] += 1
        if spoken[turn.speaker] <= SELF_INTRO_TURNS:
            for match in HEARD_SELF_INTRO.finditer(turn.text):
                before = turn.text[match.start() : match.start("name")].split()[-1].casefold()
                if before in _BEFORE_ORGANISATION:
                    continue
                if zipf_frequency(match.group("name").lower(), "nl") == 0.0:  # no Dutch word: a name misheard
                    add(match.group("name").capitalize(), "self-introduction", None, turn, match.start("name"))
            if first := NAME_FIRST.match(turn.text):
                works = WORKS_AT.search(turn.text, first.end("name"), first.end("name") + OWN_TURN_CHARS)
                org = _clean_org(works.group("org")) if works else None
                add(first.group("name"), "self-introduction", org if org and _plausible_org(org) else None, turn,
                    first.start("name"))
            for match in SELF_INTRO.finditer(turn.text):
                add(match.group("name"), "self-introduction", _own_organisation(turn.text, match), turn,
                    match.start("name"))
        for match in INTRODUCTION.finditer(turn.text):
            if _after_self_introduction(turn.text, match.start("name")):
                continue  # "ik ben Walter, Comunity Manager, bij VOV": the speaker's job, no other person
            org = _introduced_org(match.group("org"), match)
            if org and not _plausible_org(org):
                org = None
            add(match.group("name"), "introduction", org, turn, match.start("name"))
        if turn.speaker == opener:
            for match in WELCOMED.finditer(turn.text):
                add(match.group("name"), "introduction", None, turn, match.start("name"))
        for name, org, offset in _introduced_without_preposition(turn.text):
            add(name, "introduction", org, turn, offset)
        for name, org, offset in _heard_introductions(turn.text, bare=turn.speaker == opener):
            if turn.time_at(offset) <= HEARD_INTRODUCTION_WINDOW_S:
                add(name, "introduction", org, turn, offset)
    return list(found.values())


def _after_self_introduction(text: str, offset: int) -> bool:
    """Whether ``offset`` lies in the sentence of an "ik ben ..." (the speaker's own apposition)."""
    sentence = re.split(r"[.!?]\s+", text[:offset])[-1]
    return re.search(r"\b(?i:ik\s+ben|mijn\s+naam\s+is|ik\s+heet)\b", sentence) is not None


def _no_dutch_word(word: str) -> bool:
    return zipf_frequency(word.lower(), "nl") == 0.0


def _heard_introductions(text: str, bare: bool = False) -> list[tuple[str, str | None, int]]:
    """(name, organisation or None, offset) of introductions as Whisper wrote them (HEARD_INTRODUCTION,
    HEARD_GUEST_CUE): a surname heard in lower case counts only when it is no Dutch word, a name of one
    word only when it is rare in Dutch or, in lower case, no Dutch word at all."""
    found = []
    for match in HEARD_INTRODUCTION.finditer(text):
        words = match.group("name").split()
        first = words[0]
        if (first.lower() in NOT_NAMES or zipf_frequency(first.lower(), "nl") >= _COMMON_ZIPF
                or _after_self_introduction(text, match.start("name"))):
            continue
        surname = [w for w in words[1:] if w.lower() not in _PARTICLE_WORDS]
        name = " ".join(words) if surname and (surname[0][:1].isupper() or _no_dutch_word(surname[0])) else first
        org = match.group("org").strip()
        org_match = re.match(ORG_NAME, org)
        found.append((name, _introduced_org(org_match.group(0) if org_match else None, match), match.start("name")))
    for match in HEARD_BARE_INTRODUCTION.finditer(text) if bare else ():
        words = match.group("name").split()
        first, surname = words[0], [w for w in words[1:] if w.lower() not in _PARTICLE_WORDS]
        if first.lower() in NOT_NAMES or _after_self_introduction(text, match.start("name")):
            continue
        if surname and zipf_frequency(first.lower(), "nl") < _COMMON_ZIPF:
            found.append((" ".join(words), None, match.start("name")))
        elif not surname and len(first) >= 6 and _no_dutch_word(first) and not is_dutch_word(first):
            # a compound of Dutch words is a topic put first ("Werkbaarwerk is werk, ..."), no name glued
            found.append((first, None, match.start("name")))
    for match in HEARD_GUEST_CUE.finditer(text):
        words = match.group("name").split()
        if words[0][:1].isupper():
            if words[0].lower() in NOT_NAMES or zipf_frequency(words[0].lower(), "nl") >= _COMMON_ZIPF:
                continue
            name = " ".join(words) if len(words) > 1 and _no_dutch_word(words[1]) else words[0]
            name = " ".join(w[:1].upper() + w[1:] for w in name.split())
        elif _no_dutch_word(words[0]):
            name = words[0].capitalize()
        else:
            continue
        found.append((name, None, match.start("name")))
    return sorted(found, key=lambda item: item[2])  # in the order they were said


def vocative_people(transcript: Transcript, caller: str | None) -> list[Mention]:
    """Names ``caller`` (the host) addresses at the end of a turn, before another speaker answers:
    "Katrin, hoe zag dat eruit?". Only capitalised words rare in Dutch (wordfreq), or less rare ones
    that read as names (:func:`_written_as_names`, or addressed twice and answered by the same voice);
    each once, in order. Weaker than an introduction: the naming reads them only when introductions
    named too few."""
    turns = _turns_of(transcript.segments)
    addresses: list[tuple[str, float, str | None]] = []  # (the word, when, who answered)
    for index, turn in enumerate(turns):
        if turn.speaker != caller or index + 1 >= len(turns) or turns[index + 1].speaker == caller:
            continue
        tail = len(turn.text) - VOCATIVE_TAIL
        for match in VOCATIVE.finditer(turn.text):
            group = "name" if match.group("name") else "last"
            name = match.group(group)
            if (match.start(group) < tail or name.lower() in NOT_NAMES or _ELIDED.match(name) or _greeting_like(name)
                    or _NOUN_SUFFIX.search(name) or zipf_frequency(name.lower(), "nl") >= _COMMON_ZIPF):
                continue
            addresses.append((name, turn.time_at(match.start()), turns[index + 1].speaker))
    written_as_name = _written_as_names(turns)
    answered: dict[str, set[str | None]] = {}
    for name, _, answer in addresses:
        answered.setdefault(name, set()).add(answer)
    found: dict[str, Mention] = {}
    for name, start, answer in addresses:
        # A common first name ("Bram" 3.9, "Geert" 4.2) is a common word too: an address where Whisper
        # writes it as a name elsewhere, or where the host addresses it twice and the same voice answers
        common = zipf_frequency(name.lower(), "nl") >= _VOCATIVE_ZIPF
        repeated = sum(n == name for n, _, _ in addresses) >= 2 and answered[name] == {answer}
        if common and name not in written_as_name and not repeated:
            continue
        found.setdefault(normal(name), Mention(name, "PER", speaker=caller, start=start, source="vocative"))
    return list(found.values())


def _written_as_names(turns: Sequence[_Turn]) -> set[str]:
    """Words Whisper capitalises inside a sentence and never writes in lower case: names ("Maar eerlijk,
    Jeroen, dat was ...", "Lies met Jeroen"). A common first name is a common word too ("Jeroen" 4.2 in
    wordfreq, "Geert" 4.2), too frequent for an address on its own (``_VOCATIVE_ZIPF``); written so, it
    is a name. On the held-out ep19 (MBROLA rendering) the guest addressed as "Jeroen" was left "Gast 1"."""
    capitalised: set[str] = set()
    lower: set[str] = set()
    for turn in turns:
        for match in re.finditer(r"(?<![.!?…]\s)(?<=\s)([\w'-]+)", turn.text):
            word = match.group(1)
            if word[:1].isupper() and word[1:].islower():
                capitalised.add(word)
            elif word.islower():
                lower.add(word)
    return {word for word in capitalised if word.lower() not in lower}


_GREETINGS = ("welkom", "merci", "bedankt", "hallo", "allebei", "allemaal")


def _greeting_like(word: str) -> bool:
    """ "Meelkom, allebei": a greeting misheard (rapidfuzz similarity 0.75 or more), no name."""
    from rapidfuzz import fuzz

    return any(fuzz.ratio(word.lower(), greeting) >= 75 for greeting in _GREETINGS)


def _plausible_org(org: str) -> bool:
    return bool(org) and org.lower() not in NOT_NAMES and org[:1].isupper()
