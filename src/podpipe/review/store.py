"""An episode's editable state on disk: versions, the files an editor's save rewrites, approval.

``output/<slug>/versions/NNNN-<timestamp>.json`` holds every save (ShowNotes, speakers, the
transcript corrections, lines moved to another speaker, joined lines, and a note of what made it:
``note`` and ``note_args``); the newest is the episode's current state. Version 0 is the pipeline's
draft: on the first save it is copied, with the ASR transcript, into ``versions/0000-*.json`` and
never changed again, whatever later saves write into ``shownotes.json`` and ``transcript.json``.
A save names the version it was based on; a save based on an older one is refused (409) and kept
under ``versions/conflicts/`` so nothing is lost. Files the app writes into the output folder are
``protect``-ed, so a reprocessing pipeline puts its new output beside them instead of over them.

``approval.json`` records which version was approved and which checks were waived
(:class:`podpipe.domain.Approval`); a later save makes the episode "to re-approve". It is the one
record of approval: the list, the episode page and the catalogue's "approved" / "to re-approve" are
all read from it (:func:`podpipe.io.approval_status`, below the app so that the flow reads it too). A
save that changes nothing makes no version (:func:`same_content`), and an approval names the version the
editor saw: a newer one is never approved unseen.

Times (``saved_at``, ``approved_at``) are ISO 8601 with the offset of ``[review] timezone``
(Europe/Brussels by default), so a reader elsewhere knows what moment they mean.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from filelock import FileLock

from podpipe.cast import described
from podpipe.config import Settings
from podpipe.domain import Approval, Role, Segment, ShowNotes, Speaker, Transcript
from podpipe.exports.diarization import read_centroids
from podpipe.exports.layout import protect
from podpipe.files import write_text_atomic
from podpipe.io import (
    APPROVAL,
    VERSION_NAME,
    VERSIONS,
    json_text,
    read_transcript,
    transcript_from_dict,
    transcript_to_dict,
    version_files,
    version_number,
)
from podpipe.review.checks import confirmed_by_editor
from podpipe.review.corrections import apply_corrections
from podpipe.review.derived import final_name, write_derived
from podpipe.stages import notes as shownotes
from podpipe.stages.naming import VoiceprintStore, is_placeholder_name

CONFLICTS = "conflicts"
CONFIRMED_SPEAKERS = "speakers.confirmed.json"  # per episode


class ConflictError(Exception):
    def __init__(self, current: EpisodeState, saved_as: Path) -> None:
        super().__init__(f"episode changed since version {current.version}")
        self.current = current
        self.saved_as = saved_as


class StaleApproval(Exception):
    """The approval named a version that is no longer the newest (someone saved meanwhile)."""

    def __init__(self, wanted: int, current: int) -> None:
        super().__init__(f"version {wanted} is no longer the newest (version {current} is)")
        self.wanted, self.current = wanted, current


class BrokenEpisode(Exception):
    """The episode's files cannot be read (a broken shownotes.json or transcript.json): the reason."""


@dataclass(slots=True)
class EpisodeState:
    version: int
    notes: ShowNotes  # free text keeps speaker references (podpipe.stages.notes.references)
    speakers: list[Speaker]
    saved_at: str | None = None
    name: str | None = None  # version file name; None for a version 0 not yet copied
    corrections: dict[int, str] = field(default_factory=dict)  # segment index -> corrected text
    line_speakers: dict[int, str] = field(default_factory=dict)  # segment index -> speaker id it was moved to
    joins: list[int] = field(default_factory=list)  # segment i is joined with segment i + 1 (one published line)
    note: str = ""  # what made the version: "save", "approve", "merge", "replace", "restore", ...
    note_args: dict[str, str] = field(default_factory=dict)  # the note's details (find/replace, restored name)


def _speakers_to_json(speakers: list[Speaker]) -> list[dict[str, Any]]:
    return [{"id": s.id, "name": s.name, "organisation": s.organisation,
             "role": str(s.role) if s.role else None} for s in speakers]


def _speakers_from_json(items: list[dict[str, Any]]) -> list[Speaker]:
    return [Speaker(id=str(i["id"]), name=i.get("name") or None, organisation=i.get("organisation") or None,
                    role=Role(i["role"]) if i.get("role") else None) for i in items]


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


DEFAULT_ZONE = "Europe/Brussels"


def zone_of(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.review.timezone or DEFAULT_ZONE)


def local_now(settings: Settings) -> str:
    """Now as ISO 8601 with the configured zone's offset, e.g. ``2026-03-29T14:05:09+02:00``."""
    return dt.datetime.now(zone_of(settings)).isoformat(timespec="seconds")


def same_content(state: EpisodeState, notes: ShowNotes, speakers: list[Speaker],
                 corrections: dict[int, str], line_speakers: dict[int, str] | None = None,
                 joins: list[int] | None = None) -> bool:
    """Whether notes, speakers, corrections, line speakers and joins are exactly the state's (a save
    would change nothing). ``line_speakers``/``joins`` None: not compared (the caller keeps the state's)."""
    return (shownotes.shownotes_to_dict(notes) == shownotes.shownotes_to_dict(state.notes)
            and _speakers_to_json(speakers) == _speakers_to_json(state.speakers)
            and dict(corrections) == dict(state.corrections)
            and (line_speakers is None or dict(line_speakers) == dict(state.line_speakers))
            and (joins is None or sorted(joins) == sorted(state.joins)))


def _read_version(path: Path) -> EpisodeState:
    data = json.loads(path.read_text(encoding="utf-8"))
    return EpisodeState(version=int(data["version"]), notes=shownotes.shownotes_from_dict(data["notes"]),
                        speakers=_speakers_from_json(data["speakers"]), saved_at=data.get("saved_at"),
                        name=path.name, note=str(data.get("note", "")),
                        note_args={str(k): str(v) for k, v in (data.get("note_args") or {}).items()},
                        corrections={int(k): str(v) for k, v in (data.get("corrections") or {}).items()},
                        line_speakers={int(k): str(v) for k, v in (data.get("line_speakers") or {}).items()},
                        joins=sorted(int(i) for i in data.get("joins") or []))


def _version_zero_file(out_dir: Path) -> Path | None:
    return next((p for p in version_files(out_dir) if version_number(p) == 0), None)


def load_transcript(out_dir: Path, settings: Settings) -> Transcript:
    """The ASR transcript as the pipeline wrote it (version 0's copy once there is one), its episode
    described again with these settings (the cast is never written)."""
    zero = _version_zero_file(out_dir)
    if zero is not None:
        data = json.loads(zero.read_text(encoding="utf-8"))
        if "transcript" in data:
            return described(transcript_from_dict(data["transcript"], zero), settings)
    return described(read_transcript(out_dir / "transcript.json"), settings)


def state_transcript(out_dir: Path, state: EpisodeState, settings: Settings) -> Transcript:
    """The transcript as this state publishes it: :func:`editing_transcript` with the lines split
    where a correction has a line break and joined where the editor joined them."""
    return laid_out(editing_transcript(out_dir, state, settings), state.joins)


def editing_transcript(out_dir: Path, state: EpisodeState, settings: Settings) -> Transcript:
    """The transcript as this state has it, one segment per ASR segment (the editor's line numbers):
    ASR, corrected, lines moved to other speakers, with the editors' speakers (those they named count
    as confirmed in its naming report)."""
    asr = load_transcript(out_dir, settings)
    moved = with_line_speakers(apply_corrections(asr, state.corrections), state.line_speakers)
    named = transcript_with(moved, state.speakers)
    # A speaker merged into another (no longer in the version's speakers, no line left) is gone.
    kept = {s.id for s in state.speakers} | {seg.speaker for seg in named.segments if seg.speaker}
    named = replace(named, speakers=[s for s in named.speakers if s.id in kept])
    return confirmed_by_editor(named, asr.speakers)


def laid_out(transcript: Transcript, joins: list[int]) -> Transcript:
    """Segments split at the line breaks of their text (each part keeps its words and their times),
    then joined where segment i continues into i + 1 (only between lines of one speaker)."""
    parts: list[list[Segment]] = []
    for segment in transcript.segments:
        pieces = [line.split() for line in segment.text.split("\n") if line.split()]
        if len(pieces) < 2 or len(segment.words) != sum(map(len, pieces)):
            parts.append([replace(segment, text=" " + " ".join(segment.text.split()))
                          if "\n" in segment.text else segment])
            continue
        own, offset = [], 0
        for tokens in pieces:
            words = segment.words[offset:offset + len(tokens)]
            offset += len(tokens)
            own.append(replace(segment, start=words[0].start, end=words[-1].end, text=" " + " ".join(tokens),
                               words=list(words)))
        parts.append(own)
    joined = set(joins)
    segments: list[Segment] = []
    for index, own in enumerate(parts):
        first = own[0]
        previous = parts[index - 1][-1] if index else None
        if index - 1 in joined and segments and previous is not None and previous.speaker == first.speaker:
            last = segments[-1]
            segments[-1] = replace(last, end=first.end, text=last.text + first.text, words=last.words + first.words)
            segments.extend(own[1:])
        else:
            segments.extend(own)
    return replace(transcript, segments=segments)


def with_line_speakers(transcript: Transcript, line_speakers: dict[int, str]) -> Transcript:
    """The transcript with lines moved to other speakers (their words too)."""
    if not line_speakers:
        return transcript
    segments = []
    for index, segment in enumerate(transcript.segments):
        speaker = line_speakers.get(index)
        if speaker is None or speaker == segment.speaker:
            segments.append(segment)
            continue
        segments.append(replace(segment, speaker=speaker, words=[replace(w, speaker=speaker) for w in segment.words]))
    return replace(transcript, segments=segments)


def initial_state(out_dir: Path) -> EpisodeState:
    zero = _version_zero_file(out_dir)
    if zero is not None:
        return _read_version(zero)
    try:
        transcript = read_transcript(out_dir / "transcript.json")
        notes = shownotes.read_show_notes(out_dir / "shownotes.json")
    except Exception as error:
        raise BrokenEpisode(str(error)) from error
    # Drafts written before names became references get them here, so a rename reaches their text.
    notes = shownotes.referenced_notes(notes, transcript.speakers)
    return EpisodeState(version=0, notes=notes, speakers=list(transcript.speakers), note="pipeline")


def load_state(out_dir: Path, version: int | None = None) -> EpisodeState:
    """The newest state, or the given version (0: the pipeline's own)."""
    files = version_files(out_dir)
    if version == 0 or (version is None and not files):
        return initial_state(out_dir)
    for path in reversed(files):
        if version is None or version_number(path) == version:
            return _read_version(path)
    raise KeyError(version)


def all_states(out_dir: Path) -> list[EpisodeState]:
    """Every version, oldest first (version 0 included)."""
    states = [_read_version(p) for p in version_files(out_dir)]
    if not states or states[0].version != 0:
        states.insert(0, initial_state(out_dir))
    return states


def read_version_file(out_dir: Path, name: str) -> EpisodeState:
    """A version or a kept conflicting save by file name (validated: no path may leave versions/)."""
    if not VERSION_NAME.match(name):
        raise KeyError(name)
    for folder in (out_dir / VERSIONS, out_dir / VERSIONS / CONFLICTS):
        path = folder / name
        if path.is_file():
            return _read_version(path)
    raise KeyError(name)


def conflict_files(out_dir: Path) -> list[Path]:
    folder = out_dir / VERSIONS / CONFLICTS
    return sorted(p for p in folder.iterdir() if VERSION_NAME.match(p.name)) if folder.is_dir() else []


def transcript_with(transcript: Transcript, speakers: list[Speaker]) -> Transcript:
    """The transcript with the editors' speaker names; speakers the transcript lacks are added."""
    by_id = {s.id: s for s in speakers}
    merged = [by_id.pop(s.id, s) for s in transcript.speakers]
    return replace(transcript, speakers=merged + list(by_id.values()))


def _lock(out_dir: Path) -> FileLock:
    (out_dir / VERSIONS).mkdir(parents=True, exist_ok=True)
    return FileLock(str(out_dir / VERSIONS / ".lock"), timeout=60)


def _version_document(version: int, notes: ShowNotes, speakers: list[Speaker], note: str,
                      corrections: dict[int, str], *, settings: Settings,
                      note_args: dict[str, str] | None = None,
                      line_speakers: dict[int, str] | None = None, joins: list[int] | None = None) -> dict[str, Any]:
    return {"version": version, "saved_at": local_now(settings), "note": note, "note_args": dict(note_args or {}),
            "notes": shownotes.shownotes_to_dict(notes), "speakers": _speakers_to_json(speakers),
            "corrections": {str(k): v for k, v in sorted(corrections.items())},
            "line_speakers": {str(k): v for k, v in sorted((line_speakers or {}).items())},
            "joins": sorted(set(joins or []))}


def _keep_version_zero(out_dir: Path, settings: Settings) -> None:
    """Copy the pipeline's draft and ASR transcript into versions/ before anything overwrites them."""
    if _version_zero_file(out_dir) is not None:
        return
    state = initial_state(out_dir)
    document = _version_document(0, state.notes, state.speakers, "pipeline", {}, settings=settings)
    document["transcript"] = transcript_to_dict(read_transcript(out_dir / "transcript.json"))
    write_text_atomic(out_dir / VERSIONS / f"0000-{_now()}.json", json_text(document))


def save(out_dir: Path, base_version: int, notes: ShowNotes, speakers: list[Speaker], *, settings: Settings,
         note: str = "save", corrections: dict[int, str] | None = None, note_args: dict[str, str] | None = None,
         approve_checks: dict[str, str] | None = None, line_speakers: dict[int, str] | None = None,
         joins: list[int] | None = None) -> EpisodeState:
    """Record a new version on top of ``base_version`` and rewrite every derived file from it.

    ``corrections`` are the transcript corrections of the new version (all of them, not a change);
    None keeps the base version's; the same for ``line_speakers`` and ``joins``. ``approve_checks``:
    approve the new version too, under the same lock, so no other save can come in between and be
    approved unseen.
    """
    with _lock(out_dir):
        current = load_state(out_dir)
        if corrections is None:
            corrections = dict(current.corrections)
        if line_speakers is None:
            line_speakers = dict(current.line_speakers)
        if joins is None:
            joins = list(current.joins)
        if base_version != current.version:
            document = _version_document(base_version, notes, speakers, "conflict", corrections, settings=settings,
                                         note_args={"base": str(base_version), "current": str(current.version)},
                                         line_speakers=line_speakers, joins=joins)
            path = out_dir / VERSIONS / CONFLICTS / f"{base_version:04d}-{_now()}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path, json_text(document))
            raise ConflictError(current, path)
        _keep_version_zero(out_dir, settings)
        number = current.version + 1
        path = out_dir / VERSIONS / f"{number:04d}-{_now()}.json"
        write_text_atomic(path, json_text(_version_document(number, notes, speakers, note, corrections,
                                                            settings=settings, note_args=note_args,
                                                            line_speakers=line_speakers, joins=joins)))
        state = _read_version(path)
        transcript = state_transcript(out_dir, state, settings)
        _write_editor_files(out_dir, lambda stage: write_derived(out_dir, stage, state.notes, transcript, settings))
        if _speakers_to_json(speakers) != _speakers_to_json(current.speakers):
            _record_confirmed(out_dir, speakers, transcript, settings)
        if approve_checks is not None:
            _approve(out_dir, state, settings, approve_checks)
        return state


def approve(
    out_dir: Path, *, settings: Settings, checks: dict[str, str] | None = None, version: int | None = None
) -> tuple[EpisodeState, list[Path]]:
    """Write the ``.final`` of every publishable file from the newest version, protect them, and
    record the approval (``checks``: each check's id -> "ok" or "waived"). ``version``: the version
    the editor approved; StaleApproval when a newer one was saved meanwhile."""
    with _lock(out_dir):
        state = load_state(out_dir)
        if version is not None and version != state.version:
            raise StaleApproval(version, state.version)
        return state, _approve(out_dir, state, settings, checks or {})


def _approve(out_dir: Path, state: EpisodeState, settings: Settings, checks: dict[str, str]) -> list[Path]:
    transcript = state_transcript(out_dir, state, settings)
    written = _write_editor_files(
        out_dir, lambda stage: write_derived(out_dir, stage, state.notes, transcript, settings))
    written += _write_editor_files(
        out_dir, lambda stage: write_derived(out_dir, stage, state.notes, transcript, settings, final=True),
        rename=final_name)
    record = Approval(version=state.version, approved_at=local_now(settings), checks=checks,
                      files=tuple(p.name for p in written))
    write_text_atomic(out_dir / APPROVAL, json_text(record.to_record()))
    return written


def _write_editor_files(out_dir: Path, write: Callable[[Path], list[Path]],
                        rename: Callable[[str], str] = lambda name: name) -> list[Path]:
    """Let a writer fill a fresh folder beside ``out_dir``, then move its files in and protect them.

    The writers go through ``publish``, which would not overwrite a file an editor already changed;
    here the editor *is* the author, so the new file replaces the old one, atomically.
    """
    stage = Path(tempfile.mkdtemp(prefix=".review-", dir=out_dir))
    try:
        produced = write(stage)
        moved = []
        for path in produced:
            path = Path(path)
            if path.parent != stage or path.name.startswith("."):
                continue
            target = out_dir / rename(path.name)
            os.replace(path, target)
            protect(out_dir, target.name)
            moved.append(target)
        return moved
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _record_confirmed(out_dir: Path, speakers: list[Speaker], transcript: Transcript, settings: Settings) -> None:
    """Named speakers of this episode (with their spans) in ``speakers.confirmed.json``, and the
    voiceprint of each confirmed host and guest, enrolled once per episode and name from the episode's
    ``speakers.centroids.json`` into :class:`podpipe.stages.naming.VoiceprintStore`."""
    path = out_dir / CONFIRMED_SPEAKERS
    try:
        enrolled = {tuple(item) for item in json.loads(path.read_text(encoding="utf-8")).get("enrolled", [])}
    except (OSError, ValueError, TypeError):
        enrolled = set()
    named = []
    for speaker in speakers:
        if not speaker.name:
            continue
        spans = [[round(s.start, 3), round(s.end, 3)] for s in transcript.segments if s.speaker == speaker.id]
        named.append({**_speakers_to_json([speaker])[0], "spans": spans})
    # Confirmed guests are enrolled too, so a returning guest is recognised by voice; placeholders
    # ("Gast 1", "Presentator") are nobody's name.
    confirmed = [s for s in named if s["role"] == Role.HOST or not is_placeholder_name(s["name"], settings.naming)]
    for person in confirmed:
        if (person["id"], person["name"]) not in enrolled and _enrol_voiceprint(out_dir, person, transcript, settings):
            enrolled.add((person["id"], person["name"]))
    write_text_atomic(path, json_text({"episode": transcript.episode.id, "speakers": named,
                                       "enrolled": sorted(list(item) for item in enrolled)}))


def _enrol_voiceprint(out_dir: Path, host: dict[str, Any], transcript: Transcript, settings: Settings) -> bool:
    centroids = read_centroids(out_dir / "speakers.centroids.json")
    if host["id"] not in centroids:
        return False
    model = next((m.name for m in transcript.models if m.stage == "diarize"), None)
    VoiceprintStore(settings.naming_config().voiceprints_dir).add(host["name"], centroids[host["id"]], model=model)
    return True
