"""``diarization.rttm`` (NIST RTTM through pyannote.core, overlaps kept) and ``speakers.png`` (a timeline)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podpipe.domain import SpeakerTurn
from podpipe.files import atomic_path, write_text_atomic
from podpipe.stages.diarize.annotations import annotation_to_turns, turns_to_annotation
from podpipe.text import clock

if TYPE_CHECKING:
    from pyannote.core import Annotation


def rttm_text(turns: list[SpeakerTurn], uri: str) -> str:
    """NIST RTTM as pyannote writes it (``Annotation.write_rttm``): one ``SPEAKER`` line per turn,
    overlaps included; the uri without spaces, times in seconds."""
    uri = "_".join(uri.split()) or "episode"
    buffer = io.StringIO()
    turns_to_annotation(sorted(turns, key=lambda t: (t.start, t.end)), uri).write_rttm(buffer)
    return buffer.getvalue()


def write_rttm(turns: list[SpeakerTurn], path: Path, uri: str) -> Path:
    return write_text_atomic(path, rttm_text(turns, uri))


def load_rttm(path: Path) -> dict[str, Annotation]:
    """uri -> ``Annotation`` of an RTTM file: pyannote.database's reader when installed (the one
    pyannote's own evaluations use), else the same parse into pyannote.core objects."""
    if not path.read_text(encoding="utf-8").strip():
        return {}
    try:
        from pyannote.database.util import load_rttm as pyannote_load_rttm
    except ImportError:
        return _load_rttm_core(path)
    return pyannote_load_rttm(str(path))


def _load_rttm_core(path: Path) -> dict[str, Annotation]:
    from pyannote.core import Annotation, Segment

    annotations: dict[str, Annotation] = {}
    for track, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            annotation = annotations.setdefault(fields[1], Annotation(uri=fields[1]))
            annotation[Segment(start, start + duration), track] = fields[7]
    return annotations


def read_rttm(path: Path) -> list[SpeakerTurn]:
    """All turns of an RTTM file (every uri), sorted, times rounded to milliseconds."""
    turns = [turn for annotation in load_rttm(path).values() for turn in annotation_to_turns(annotation)]
    return sorted(turns, key=lambda t: (t.start, t.end))


def write_speaker_timeline(
    turns: list[SpeakerTurn],
    path: Path,
    duration: float | None = None,
    title: str | None = None,
    names: dict[str, str] | None = None,
) -> Path:
    """Write :func:`speaker_timeline_png` to ``path`` atomically."""
    png = speaker_timeline_png(turns, duration=duration, title=title, names=names)
    with atomic_path(path) as temporary:
        temporary.write_bytes(png)
    return path


def speaker_timeline_png(
    turns: list[SpeakerTurn],
    duration: float | None = None,
    title: str | None = None,
    names: dict[str, str] | None = None,
) -> bytes:
    """``speakers.png``: one row per speaker with their turns over time, and each speaker's share.

    ``names`` maps labels to display names (e.g. from ``Transcript.speakers``). Drawn with
    matplotlib's object API on an Agg canvas: no pyplot state, safe in worker threads.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    names = names or {}
    speakers = list(dict.fromkeys(turn.speaker for turn in sorted(turns, key=lambda t: t.start)))
    end = max([duration or 0.0] + [turn.end for turn in turns]) or 1.0
    talk = {speaker: 0.0 for speaker in speakers}
    for turn in turns:
        talk[turn.speaker] += turn.end - turn.start
    total_talk = sum(talk.values()) or 1.0

    figure = Figure(figsize=(12, 1.2 + 0.55 * max(1, len(speakers))), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colours = [figure_colour(i) for i in range(len(speakers))]
    for row, speaker in enumerate(speakers):
        spans = [(turn.start, turn.end - turn.start) for turn in turns if turn.speaker == speaker]
        axes.broken_barh(spans, (row - 0.38, 0.76), facecolors=colours[row], edgecolor="none")
    axes.set_yticks(
        range(len(speakers)),
        [f"{names.get(s, s)}  {clock(round(talk[s]))} ({100 * talk[s] / total_talk:.0f} %)" for s in speakers],
    )
    axes.set_ylim(max(1, len(speakers)) - 0.5, -0.5)
    axes.set_xlim(0, end)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=12, steps=[1, 2, 3, 5, 6, 10]))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda seconds, _: clock(round(seconds))))
    axes.set_xlabel("time (m:ss)")
    axes.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(title or "Who spoke when", loc="left")
    if not speakers:
        axes.text(0.5, 0.5, "no speech found", ha="center", va="center", transform=axes.transAxes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def figure_colour(index: int) -> str:
    palette = [
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ]
    return palette[index % len(palette)]


def centroids_json(centroids: Mapping[str, Sequence[float]]) -> str:
    """``speakers.centroids.json``: the episode's mean voice embedding per label, for naming and enrolment."""
    return json.dumps({label: [round(float(x), 6) for x in vector] for label, vector in centroids.items()}) + "\n"


def read_centroids(path: Path) -> dict[str, list[float]]:
    """``speakers.centroids.json`` back; empty when it is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): [float(x) for x in v] for k, v in data.items()} if isinstance(data, dict) else {}
