"""The one domain model that flows through every stage.

Plain dataclasses: stages take and return these, nothing else crosses a stage boundary.
Serialisation lives in :mod:`podpipe.io`, never here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import ClassVar


class Role(StrEnum):
    HOST = "host"
    GUEST = "guest"


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What ffprobe says about a source file."""

    duration: float  # seconds
    codec: str
    channels: int
    sample_rate: int
    format_name: str


@dataclass(slots=True)
class Episode:
    """One episode: identity is the sha256 of the source audio, so a renamed file is the same episode."""

    id: str  # sha256 hex of the source file
    slug: str
    source: Path
    duration: float
    audio: AudioInfo | None = None
    title: str | None = None
    number: int | None = None
    metadata: dict[str, object] = field(default_factory=dict)  # the sidecar (or a turns file's header), as given
    # Who and what the episode is about, decided once when it is described (``podpipe.cast.describe``:
    # the sidecar above with the settings) and read by every stage. None: not described yet, as an episode
    # built by hand or read back from JSON, where it is never written (it follows from the metadata and
    # the settings of the run); whoever makes or reads it describes it, and reading a None cast raises.
    cast: Cast | None = None


@dataclass(frozen=True, slots=True)
class NormalisedAudio:
    """16 kHz mono PCM16 WAV in the work folder; what every model stage reads."""

    path: Path
    sample_rate: int
    duration: float


@dataclass(slots=True)
class Word:
    start: float
    end: float
    text: str  # as Whisper wrote it, with its leading space (or a cast name's canonical spelling)
    probability: float
    speaker: str | None = None
    heard: str | None = None  # what Whisper wrote, when a name correction replaced ``text``


@dataclass(slots=True)
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str | None = None


@dataclass(slots=True)
class Speaker:
    id: str  # diarisation label, e.g. SPEAKER_00
    name: str | None = None
    organisation: str | None = None
    role: Role | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Which model produced a stage's output, recorded in every export."""

    stage: str
    name: str
    version: str
    settings: dict[str, object] = field(default_factory=dict)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return str(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class SpeechCheck:
    """Transcription's speech check (recorded as the ``ModelInfo`` of stage ``"speech-check"``): how much
    speech the audio has, and in which language Whisper heard it."""

    NO_SPEECH: ClassVar[str] = "no-speech"
    OTHER_LANGUAGE: ClassVar[str] = "other-language"

    status: str | None  # "no-speech", "other-language" or "speech"
    speech_seconds: float = 0.0
    language: str | None = None  # what Whisper heard (None when it was not asked)
    expected: str | None = None  # the configured language

    @property
    def nothing_to_name(self) -> bool:
        """No speech, or speech in another language: a draft without names."""
        return self.status in (self.NO_SPEECH, self.OTHER_LANGUAGE)

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> SpeechCheck:
        return cls(status=_text(record.get("status")), speech_seconds=_number(record.get("speech_seconds")) or 0.0,
                   language=_text(record.get("language")), expected=_text(record.get("expected")))


@dataclass(frozen=True, slots=True)
class FoundName:
    """A name the conversation gave a speaker: by which rule, said by whom and when, as heard."""

    rule: str | None  # "self-introduction", "introduction" or "vocative"
    said_by: str | None
    start: float | None
    heard: str | None
    organisation: str | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> FoundName:
        return cls(rule=_text(record.get("rule")), said_by=_text(record.get("said_by")),
                   start=_number(record.get("start")), heard=_text(record.get("heard")),
                   organisation=_text(record.get("organisation")))


@dataclass(frozen=True, slots=True)
class NamingDecision:
    """How one speaker got their name, as the naming report in ``transcript.models`` records it."""

    EDITOR: ClassVar[str] = "editor"  # named or confirmed by an editor in the review app
    FALLBACK: ClassVar[str] = "fallback"  # "Gast 1", "Presentator": nobody's name

    source: str | None  # the rule that decided: "voiceprint", "self-introduction", "sidecar", "transcript", ...
    confidence: float | None = None  # 0..1, how far the winner stood from the runner-up
    score: float | None = None
    similarity: float | None = None  # cosine to the voiceprint, when a voiceprint decided
    heard_as: str | None = None  # the self-introduction as Whisper heard it, when it was spelt otherwise
    found: FoundName | None = None  # where the conversation gave the name, when it did

    @property
    def by_editor(self) -> bool:
        return self.source == self.EDITOR

    @property
    def is_fallback(self) -> bool:
        return self.source == self.FALLBACK

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> NamingDecision:
        found = record.get("found")
        return cls(source=_text(record.get("source")), confidence=_number(record.get("confidence")),
                   score=_number(record.get("score")), similarity=_number(record.get("similarity")),
                   heard_as=_text(record.get("heard_as")),
                   found=FoundName.from_record(found) if isinstance(found, Mapping) else None)


@dataclass(frozen=True, slots=True)
class HostDecision:
    """Which speaker hosts, decided once before the analysis (the ``ModelInfo`` of stage ``"host"``):
    the speaker, how (a :class:`NamingDecision`), and what the voiceprint comparison found."""

    speaker: str | None  # the diarisation label; None: nobody could be taken for the host
    naming: NamingDecision
    voice: Mapping[str, object] | None = None  # the voiceprint compared, its threshold, each voice's cosine
    record: Mapping[str, object] = field(default_factory=dict)  # as recorded, for the naming report

    def report_entry(self) -> dict[str, object]:
        """The host's line of the naming report: the record without the speaker and the voices."""
        return {key: value for key, value in self.record.items() if key not in ("speaker", "voice")}

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> HostDecision:
        voice = record.get("voice")
        return cls(speaker=_text(record.get("speaker")), naming=NamingDecision.from_record(record),
                   voice=voice if isinstance(voice, Mapping) else None, record=dict(record))


@dataclass(frozen=True, slots=True)
class Approval:
    """The editor's confirmation of an episode in the review app: which saved version they approved,
    when, how they answered each point of the checklist, and the final files it wrote.

    The one record of approval, kept in the episode's output folder (``approval.json``, written by
    ``review.store``); whether an episode is approved, to re-approve or a draft is read from it
    (:meth:`status`), and the catalogue's statuses are derived from that.
    """

    APPROVED: ClassVar[str] = "approved"
    TO_REAPPROVE: ClassVar[str] = "to re-approve"  # approved, then saved again: a newer version
    DRAFT: ClassVar[str] = "draft"  # never approved

    version: int  # the version the editor saw and approved (-1: a record without one)
    approved_at: str | None = None  # ISO 8601 with the offset of ``[review] timezone``
    checks: Mapping[str, str] = field(default_factory=dict)  # checklist point -> "ok" or "waived"
    files: tuple[str, ...] = ()  # the ``.final`` files the approval wrote

    def status(self, current_version: int) -> str:
        """"approved" while the approved version is the newest, else "to re-approve"."""
        return self.APPROVED if self.version == current_version else self.TO_REAPPROVE

    @staticmethod
    def status_of(approval: Approval | None, current_version: int) -> str:
        """:meth:`status`, or "draft" where nothing was approved."""
        return Approval.DRAFT if approval is None else approval.status(current_version)

    def to_record(self) -> dict[str, object]:
        return {"version": self.version, "approved_at": self.approved_at,
                "checks": dict(sorted(self.checks.items())), "files": sorted(self.files)}

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> Approval:
        version, checks, files = record.get("version", -1), record.get("checks"), record.get("files")
        return cls(version=int(version) if isinstance(version, int | str | float) else -1,
                   approved_at=_text(record.get("approved_at")),
                   checks={str(k): str(v) for k, v in checks.items()} if isinstance(checks, Mapping) else {},
                   files=tuple(str(f) for f in files) if isinstance(files, list) else ())


@dataclass(frozen=True, slots=True)
class CastMember:
    """A person the episode may have: the host, a sidecar guest, or one of the show's known people."""

    name: str
    role: Role | None = None  # HOST or GUEST for who is in this episode; None for the show's other people
    organisation: str | None = None
    job: str | None = None  # e.g. "oprichter" (the sidecar's ``role``)
    href: str | None = None  # a page about them (the sidecar's ``href``), for <podcast:person>
    img: str | None = None  # their picture's URL (the sidecar's ``img``)


@dataclass(frozen=True, slots=True)
class Cast:
    """Who and what the episode is about, decided once (config + sidecar) when the episode is described,
    carried on it (:attr:`Episode.cast`) and read by every stage.

    ``closed``: the sidecar listed the guests, so the episode's guests are exactly these.
    """

    host: CastMember | None = None
    guests: tuple[CastMember, ...] = ()
    people: tuple[CastMember, ...] = ()  # the show's known people beside host and guests
    organisations: tuple[str, ...] = ()  # every organisation: the members' and the show's
    vocabulary: tuple[str, ...] = ()  # other terms Whisper should spell as the show does
    closed: bool = False
    # The cast the episode's own details give, the config apart (the sidecar's host and guests as it
    # spells them): who the check box says should have spoken, what the analysis takes as the episode's
    # names. None where this cast is that one already (built without settings); read it as ``own``.
    sidecar: Cast | None = None

    @property
    def own(self) -> Cast:
        """The cast from the episode's own details alone (:attr:`sidecar`), the config apart."""
        return self.sidecar if self.sidecar is not None else self

    @property
    def members(self) -> tuple[CastMember, ...]:
        return ((self.host,) if self.host else ()) + self.guests + self.people

    @property
    def speaking(self) -> tuple[CastMember, ...]:
        """Who may speak in this episode: host and guests."""
        return ((self.host,) if self.host else ()) + self.guests

    def terms(self) -> list[str]:
        """Names, organisations and vocabulary, each once, in that order (what Whisper is told)."""
        seen: dict[str, None] = {}
        for term in [m.name for m in self.members] + list(self.organisations) + list(self.vocabulary):
            if term and term.strip():
                seen.setdefault(term.strip(), None)
        return list(seen)

    def member(self, name: str | None) -> CastMember | None:
        folded = (name or "").casefold().strip()
        return next((m for m in self.members if m.name.casefold() == folded), None)


@dataclass(frozen=True, slots=True)
class NameCorrection:
    """A span speech recognition misheard as something else than a cast name, and what it became."""

    segment: int  # index into transcript.segments
    start: float
    end: float
    heard: str  # as Whisper wrote it
    canonical: str  # the cast's spelling that replaced it
    label: str  # "PER" or "ORG"
    score: float  # similarity 0..1 that cleared the threshold
    method: str = "fuzzy"  # "fuzzy", "phonetic", "introduction"


@dataclass(slots=True)
class Transcript:
    episode: Episode
    segments: list[Segment]
    language: str
    speakers: list[Speaker] = field(default_factory=list)
    models: list[ModelInfo] = field(default_factory=list)
    corrections: list[NameCorrection] = field(default_factory=list)

    @property
    def words(self) -> list[Word]:
        return [word for segment in self.segments for word in segment.words]

    def speaker(self, speaker_id: str | None) -> Speaker | None:
        return next((s for s in self.speakers if s.id == speaker_id), None)


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    """One stretch of speech by one speaker, as diarisation found it."""

    start: float
    end: float
    speaker: str


@dataclass(frozen=True, slots=True)
class Diarization:
    """What diarisation found: speaker turns (overlaps kept) and the exclusive view.

    ``exclusive`` has at most one speaker at any time (pyannote's exclusive diarisation, which
    keeps the most likely speaker where two overlap); it is what words are attributed with.
    Labels are ``SPEAKER_00``, ``SPEAKER_01``, ... in order of first appearance.
    """

    turns: list[SpeakerTurn]
    exclusive: list[SpeakerTurn]
    model: ModelInfo
    speakers: list[str] = field(default_factory=list)
    centroids: dict[str, list[float]] = field(default_factory=dict)  # label -> mean voice embedding


@dataclass(slots=True)
class Theme:
    heading: str
    keyphrases: list[str]
    start: float
    end: float
    segment_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Quote:
    speaker: str
    text: str
    start: float
    end: float
    theme: int | None = None  # index into the analysis' themes


@dataclass(slots=True)
class Section:
    heading: str
    paragraphs: list[str]
    quotes: list[Quote] = field(default_factory=list)
    keyphrases: list[str] = field(default_factory=list)
    start: float | None = None


@dataclass(slots=True)
class ShowNotes:
    title: str
    intro: str
    sections: list[Section]
    closing: str
    closing_heading: str = ""  # "Tot slot: klein, vaak en durven vragen"; empty: the configured heading


@dataclass(slots=True)
class Mention:
    """A person or organisation named in the episode."""

    text: str
    label: str  # "PER" or "ORG"
    speaker: str | None = None  # who said it
    start: float | None = None
    source: str = "conversation"  # "metadata", "config", "self-introduction", "introduction", "proper-noun"
    organisation: str | None = None  # for a person introduced as "X van Y"


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a parsed sentence: the parser's analysis, so later stages need no second NLP stack."""

    text: str
    lemma: str
    pos: str  # Universal POS tag
    morph: str  # Universal features, "Number=Sing|Person=1|VerbForm=Fin"
    dep: str
    head: int  # index of the head token within the sentence (itself for the root)
    space: bool = True  # whitespace follows
    probability: float = 1.0  # Whisper's lowest word probability over the token (1.0 for typed text)


@dataclass(slots=True)
class ParsedSentence:
    """A sentence of the conversation as the NLP stage parsed it (verbatim text, fillers kept)."""

    speaker: str | None
    start: float
    end: float
    text: str
    tokens: list[Token]
    turn: int = 0  # index of the speaker turn (consecutive segments of one speaker)
    theme: int | None = None  # index into the analysis' themes


@dataclass(slots=True)
class Analysis:
    """What the NLP stage found in a speaker-attributed transcript."""

    themes: list[Theme]
    quotes: list[Quote]
    people: list[Mention] = field(default_factory=list)
    organisations: list[Mention] = field(default_factory=list)
    models: list[ModelInfo] = field(default_factory=list)
    sentences: list[ParsedSentence] = field(default_factory=list)
