"""Transcript formats: podpipe JSON, WebVTT with voice tags, SRT, plain text and the podcast namespace's HTML.

Captions are cut from the words, not the Whisper segments (which run up to 30 s): a cue ends at a
change of speaker, after a sentence, or when it would grow past what a reader takes in at once.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import srt
import webvtt

from podpipe.domain import Segment, Transcript, Word
from podpipe.exports.layout import publish
from podpipe.io import json_text, transcript_to_dict
from podpipe.text import clock

MAX_CUE_CHARS = 84  # two lines of 42, the usual subtitle limit
MAX_CUE_SECONDS = 7.0
SENTENCE_END = (".", "?", "!", "…")
# The podcast namespace's caption advice: SRT at most 2 lines of 32 characters (the speaker's
# "Name: " included); WebVTT lines at most 65 characters (the <v Name> tag included).
SRT_LINE_CHARS, SRT_LINES = 32, 2
VTT_LINE_CHARS, VTT_LINES = 65, 2
DEFAULT_LINE_CHARS, DEFAULT_LINES = 42, 2


@dataclass(frozen=True, slots=True)
class Cue:
    start: float
    end: float
    speaker: str | None  # display name, or None before diarisation
    text: str  # the words, without any speaker label
    lines: tuple[str, ...] = ()  # the words as shown, line by line ("" first: the label has that line)
    label: str = ""  # what opens the first line: "Name: " in SRT, "<v Name>" in WebVTT

    def shown(self, escape: Callable[[str], str] = lambda text: text) -> str:
        """The cue's text as written: label, then the (escaped) lines."""
        lines = [escape(line) for line in (self.lines or (self.text,))]
        lines[0] = self.label.rstrip() if not lines[0] else self.label + lines[0]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Layout:
    """How cues are cut: line width and count, and the label a cue of a speaker opens with."""

    line_chars: int = DEFAULT_LINE_CHARS
    max_lines: int = DEFAULT_LINES
    label: Callable[[str | None, bool], str] = lambda speaker, changed: ""  # (speaker, new speaker?) -> label
    measure: Callable[[str], int] = len  # a line's width as written (WebVTT counts its escapes)


class _CueBuilder:
    """Fills lines word by word; a cue ends when its lines are full, after a sentence, past 7 s, or at
    a change of speaker. A word wider than a line gets a line of its own (nothing can be done better)."""

    def __init__(self, layout: Layout) -> None:
        self.layout, self.previous = layout, object()
        self.cues: list[Cue] = []
        self.words: list[Word] = []
        self.lines: list[str] = []
        self.label = ""
        self.speaker: str | None = None

    def _open(self, speaker: str | None) -> None:
        self.label = self.layout.label(speaker, speaker != self.previous)
        self.previous, self.speaker = speaker, speaker
        # The label shares the first line; one wider than most of a line gets that line to itself.
        wide = self.layout.measure(self.label) > self.layout.line_chars - 8
        self.lines = [None, ""] if wide else [""]  # type: ignore[list-item]

    def _width(self, index: int) -> int:
        return self.layout.line_chars - (self.layout.measure(self.label) if index == 0 else 0)

    def add(self, word: Word, speaker: str | None) -> None:
        token = word.text.strip()
        if not token:
            return
        if self.words and (word.end - self.words[0].start > MAX_CUE_SECONDS
                           or self.words[-1].text.strip().endswith(SENTENCE_END)):
            self.flush()
        if not self.words:
            self._open(speaker)
        line = self.lines[-1]
        if line and self.layout.measure(f"{line} {token}") > self._width(len(self.lines) - 1):
            if len(self.lines) >= self.layout.max_lines:
                self.flush()
                self._open(speaker)
            else:
                self.lines.append("")
            line = self.lines[-1]
        self.lines[-1] = f"{line} {token}" if line else token
        self.words.append(word)

    def flush(self) -> None:
        if self.words:
            text = " ".join(w.text.strip() for w in self.words if w.text.strip())
            lines = tuple("" if line is None else line for line in self.lines)
            self.cues.append(Cue(self.words[0].start, self.words[-1].end, self.speaker, text, lines, self.label))
        self.words, self.lines = [], []


def _segment_words(segment: Segment) -> list[Word]:
    """The segment's words, or its text spread evenly over its time when it has none."""
    if segment.words:
        return segment.words
    tokens = segment.text.split()
    step = (segment.end - segment.start) / max(len(tokens), 1)
    return [Word(segment.start + i * step, segment.start + (i + 1) * step, f" {t}", 1.0)
            for i, t in enumerate(tokens)]


def caption_cues(transcript: Transcript, layout: Layout | None = None) -> list[Cue]:
    builder = _CueBuilder(layout or Layout())
    for segment in transcript.segments:
        name = _speaker_name(transcript, segment)
        if builder.words and name != builder.speaker:
            builder.flush()
        for word in _segment_words(segment):
            builder.add(word, name)
        builder.flush()  # a segment is one speaker's turn: its last cue ends with it
    return builder.cues


def _speaker_name(transcript: Transcript, segment: Segment) -> str | None:
    speaker = transcript.speaker(segment.speaker)
    return speaker.display_name if speaker else segment.speaker


def _vtt_timestamp(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _vtt_escape(text: str) -> str:
    return html.escape(text, quote=False)


def _voice(speaker: str | None, changed: bool) -> str:
    return f"<v {speaker.replace('>', '').replace(chr(10), ' ')}>" if speaker else ""


VTT_LAYOUT = Layout(VTT_LINE_CHARS, VTT_LINES, _voice, lambda text: len(_vtt_escape(text)))
def _srt_label(speaker: str | None, changed: bool) -> str:
    """``Name: `` on a change of speaker; a name too long for a line is cut to its first word (then to
    the line), since an SRT line holds no more than 32 characters."""
    if not speaker or not changed:
        return ""
    label = f"{speaker}: "
    if len(label.rstrip()) > SRT_LINE_CHARS:
        label = f"{speaker.split()[0][:SRT_LINE_CHARS - 2]}: "
    return label


SRT_LAYOUT = Layout(SRT_LINE_CHARS, SRT_LINES, _srt_label)


def to_vtt(transcript: Transcript) -> str:
    """WebVTT; each cue of a named speaker carries a ``<v Name>`` voice tag (Apple Podcasts reads them);
    lines of at most 65 characters as written, the tag included."""
    captions = [webvtt.Caption(_vtt_timestamp(cue.start), _vtt_timestamp(cue.end), cue.shown(_vtt_escape))
                for cue in caption_cues(transcript, VTT_LAYOUT)]
    return webvtt.WebVTT(captions=captions).content


def to_srt(transcript: Transcript) -> str:
    """SRT without BOM, at most 2 lines of 32 characters; ``Name:`` opens the first cue after each
    change of speaker."""
    subtitles = [srt.Subtitle(index, dt.timedelta(seconds=cue.start), dt.timedelta(seconds=cue.end), cue.shown())
                 for index, cue in enumerate(caption_cues(transcript, SRT_LAYOUT), start=1)]
    return srt.compose(subtitles, reindex=False)


def to_txt(transcript: Transcript) -> str:
    """One paragraph per speaker turn with its start time, for reading and quoting."""
    paragraphs = []
    for name, group in itertools.groupby(transcript.segments, key=lambda s: _speaker_name(transcript, s)):
        segments = list(group)
        stamp = clock(segments[0].start)
        text = " ".join(segment.text for segment in segments)
        paragraphs.append(f"[{stamp}] {name}: {text}" if name else f"[{stamp}] {text}")
    return "\n\n".join(paragraphs) + "\n"


def to_html(transcript: Transcript) -> str:
    """The podcast namespace's HTML transcript: per speaker turn ``<cite>Name:</cite>``, the turn's start
    as ``<time>M:SS</time>`` and its words in ``<p>``, escaped. A searchable, accessible page beside
    the timed formats (the namespace recommends it with WebVTT)."""
    blocks = []
    for name, group in itertools.groupby(transcript.segments, key=lambda s: _speaker_name(transcript, s)):
        segments = list(group)
        text = " ".join(" ".join(segment.text.split()) for segment in segments if segment.text.strip())
        if not text:
            continue
        cite = f"<cite>{html.escape(name)}:</cite>\n" if name else ""
        blocks.append(f"{cite}<time>{_spoken_clock(segments[0].start)}</time>\n<p>{html.escape(text)}</p>\n")
    return "".join(blocks)


def _spoken_clock(seconds: float) -> str:
    """``0:53``, ``10:17``, ``1:02:03``: the clock of the namespace's HTML example."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:d}:{secs:02d}"


def write_transcript_files(transcript: Transcript, out_dir: Path) -> list[Path]:
    """transcript.{json,vtt,srt,txt,html} in ``out_dir``, written atomically and never over an editor's change."""
    return [
        publish(out_dir, "transcript.json", json_text(transcript_to_dict(transcript))),
        publish(out_dir, "transcript.vtt", to_vtt(transcript)),
        publish(out_dir, "transcript.srt", to_srt(transcript)),
        publish(out_dir, "transcript.txt", to_txt(transcript)),
        publish(out_dir, "transcript.html", to_html(transcript)),
    ]
