"""Transcript formats: podpipe JSON, WebVTT with voice tags, SRT and plain text.

Captions are cut from the words, not the Whisper segments (which run up to 30 s): a cue ends at a
change of speaker, after a sentence, or when it would grow past what a reader takes in at once.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
from dataclasses import dataclass
from pathlib import Path

import srt
import webvtt

from podpipe.domain import Segment, Transcript
from podpipe.exports.layout import publish
from podpipe.io import json_text, transcript_to_dict

MAX_CUE_CHARS = 84  # two lines of 42, the usual subtitle limit
MAX_CUE_SECONDS = 7.0
SENTENCE_END = (".", "?", "!", "…")


@dataclass(frozen=True, slots=True)
class Cue:
    start: float
    end: float
    speaker: str | None  # display name, or None before diarisation
    text: str


def caption_cues(transcript: Transcript) -> list[Cue]:
    cues: list[Cue] = []
    for segment in transcript.segments:
        name = _speaker_name(transcript, segment)
        if not segment.words:
            cues.append(Cue(segment.start, segment.end, name, segment.text))
            continue
        current: list = []
        for word in segment.words:
            if current:
                text = "".join(w.text for w in current).strip()
                too_long = len(text) + len(word.text) > MAX_CUE_CHARS or word.end - current[0].start > MAX_CUE_SECONDS
                if too_long or text.endswith(SENTENCE_END):
                    cues.append(Cue(current[0].start, current[-1].end, name, text))
                    current = []
            current.append(word)
        if current:
            cues.append(Cue(current[0].start, current[-1].end, name, "".join(w.text for w in current).strip()))
    return cues


def _speaker_name(transcript: Transcript, segment: Segment) -> str | None:
    speaker = transcript.speaker(segment.speaker)
    return speaker.display_name if speaker else segment.speaker


def _vtt_timestamp(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def to_vtt(transcript: Transcript) -> str:
    """WebVTT; each cue of a named speaker carries a ``<v Name>`` voice tag (Apple Podcasts reads them)."""
    captions = []
    for cue in caption_cues(transcript):
        text = html.escape(cue.text, quote=False)
        if cue.speaker:
            voice = cue.speaker.replace(">", "").replace("\n", " ")
            text = f"<v {voice}>{text}"
        captions.append(webvtt.Caption(_vtt_timestamp(cue.start), _vtt_timestamp(cue.end), text))
    return webvtt.WebVTT(captions=captions).content


def to_srt(transcript: Transcript) -> str:
    """SRT without BOM; ``Name:`` opens the first cue after each change of speaker."""
    subtitles = []
    previous = None
    for index, cue in enumerate(caption_cues(transcript), start=1):
        text = cue.text
        if cue.speaker and cue.speaker != previous:
            text = f"{cue.speaker}: {text}"
        previous = cue.speaker
        subtitles.append(
            srt.Subtitle(index, dt.timedelta(seconds=cue.start), dt.timedelta(seconds=cue.end), text)
        )
    return srt.compose(subtitles, reindex=False)


def to_txt(transcript: Transcript) -> str:
    """One paragraph per speaker turn with its start time, for reading and quoting."""
    paragraphs = []
    for name, group in itertools.groupby(transcript.segments, key=lambda s: _speaker_name(transcript, s)):
        segments = list(group)
        stamp = _clock(segments[0].start)
        text = " ".join(segment.text for segment in segments)
        paragraphs.append(f"[{stamp}] {name}: {text}" if name else f"[{stamp}] {text}")
    return "\n\n".join(paragraphs) + "\n"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def write_transcript_files(transcript: Transcript, out_dir: Path) -> list[Path]:
    """transcript.{json,vtt,srt,txt} in ``out_dir``, written atomically and never over an editor's change."""
    return [
        publish(out_dir, "transcript.json", json_text(transcript_to_dict(transcript))),
        publish(out_dir, "transcript.vtt", to_vtt(transcript)),
        publish(out_dir, "transcript.srt", to_srt(transcript)),
        publish(out_dir, "transcript.txt", to_txt(transcript)),
    ]
