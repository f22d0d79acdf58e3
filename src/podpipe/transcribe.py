"""Transcription with faster-whisper: Dutch by default, word timestamps, VAD, no repetition loops."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable

import faster_whisper
import numpy as np
from faster_whisper import BatchedInferencePipeline

from podpipe.config import Settings
from podpipe.domain import Episode, ModelInfo, Segment, Transcript, Word
from podpipe.models import load_whisper

log = logging.getLogger(__name__)

# Called with (seconds of audio done, total seconds).
ProgressCallback = Callable[[float, float], None]


def initial_prompt(vocabulary: list[str]) -> str | None:
    """Whisper spells names the way its prompt does: list the show's vocabulary as a sentence."""
    terms = [term.strip() for term in vocabulary if term.strip()]
    return (", ".join(terms) + ".") if terms else None


def compression_ratio(text: str) -> float:
    """How well the text compresses; repetition loops compress far better than speech (> 2.4)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def transcribe(
    episode: Episode,
    waveform: np.ndarray,
    settings: Settings,
    progress: ProgressCallback | None = None,
) -> Transcript:
    """Words and segments of the 16 kHz mono ``waveform``; speakers stay empty until diarisation."""
    config = settings.transcription
    handle = load_whisper(settings)
    options = dict(
        language=config.language,
        beam_size=config.beam_size,
        word_timestamps=config.word_timestamps,
        vad_filter=config.vad_filter,
        initial_prompt=initial_prompt(settings.show.vocabulary),
        compression_ratio_threshold=config.max_compression_ratio,
        condition_on_previous_text=False,  # a bad segment then cannot seed a loop in the next one
    )
    if config.batched:
        pipeline = BatchedInferencePipeline(handle.model)
        raw_segments, info = pipeline.transcribe(waveform, batch_size=config.batch_size, **options)
    else:
        raw_segments, info = handle.model.transcribe(waveform, **options)

    total = len(waveform) / 16_000
    segments = list(_collect(raw_segments, total, config.max_compression_ratio, progress))
    if progress:
        progress(total, total)
    return Transcript(
        episode=episode,
        segments=segments,
        language=info.language,
        models=[
            ModelInfo(
                stage="transcribe",
                name=handle.name,
                version=f"faster-whisper {faster_whisper.__version__}",
                settings={
                    "compute_type": config.compute_type,
                    "beam_size": config.beam_size,
                    "batched": config.batched,
                    "language": config.language,
                },
            )
        ],
    )


def _collect(
    raw_segments: Iterable,
    total: float,
    max_ratio: float,
    progress: ProgressCallback | None,
) -> Iterable[Segment]:
    previous_text = None
    for raw in raw_segments:
        if progress:
            progress(min(raw.end, total), total)
        text = raw.text.strip()
        if not text:
            continue
        # The guard: Whisper can loop on one phrase; such a segment is noise for every later stage.
        if compression_ratio(text) > max_ratio or text == previous_text:
            log.warning("dropped a repetition loop at %.1f-%.1f s: %.60s", raw.start, raw.end, text)
            continue
        previous_text = text
        words = [
            Word(
                start=round(float(w.start), 3),
                end=round(float(w.end), 3),
                text=w.word,
                probability=round(float(w.probability), 4),
            )
            for w in (raw.words or [])
        ]
        yield Segment(start=round(float(raw.start), 3), end=round(float(raw.end), 3), text=text, words=words)
