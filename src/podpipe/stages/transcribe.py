"""Transcription with faster-whisper: Dutch by default, word timestamps, VAD, no repetition loops."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable

import faster_whisper
import numpy as np
from faster_whisper import BatchedInferencePipeline

from podpipe.config import Settings
from podpipe.domain import Episode, ModelInfo, NormalisedAudio, Segment, Transcript, Word
from podpipe.models.whisper import load_whisper
from podpipe.stages.ingest import load_waveform

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
LOOP_NGRAM = 6  # real speech almost never says the same six words twice within one segment

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


def looks_like_loop(text: str, max_ratio: float, ngram: int = LOOP_NGRAM) -> bool:
    """A repetition loop: text that compresses too well, or a run of ``ngram`` words said twice."""
    if compression_ratio(text) > max_ratio:
        return True
    words = [word.strip(".,!?;:").lower() for word in text.split()]
    seen: set[tuple[str, ...]] = set()
    for index in range(len(words) - ngram + 1):
        gram = tuple(words[index : index + ngram])
        if gram in seen:
            return True
        seen.add(gram)
    return False


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

    def redecode(segment: Segment) -> list[Segment]:
        # Sequential decoding of just this stretch, without the prompt (which can seed a loop) and
        # with faster-whisper's temperature fallback, usually recovers the real words.
        first, last = int(segment.start * SAMPLE_RATE), int(segment.end * SAMPLE_RATE)
        clip_options = options | {"initial_prompt": None, "vad_filter": False}
        raw, _ = handle.model.transcribe(waveform[first:last], **clip_options)
        return [_to_segment(r, offset=segment.start) for r in raw]

    total = len(waveform) / SAMPLE_RATE
    segments = list(_collect(raw_segments, total, config.max_compression_ratio, redecode, progress))
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


def transcribe_file(
    episode: Episode,
    normalised: NormalisedAudio,
    settings: Settings,
    progress: ProgressCallback | None = None,
) -> Transcript:
    """``transcribe`` on the normalised file (for stage workers, which get paths, not waveforms)."""
    return transcribe(episode, load_waveform(normalised), settings, progress)


def _to_segment(raw, offset: float = 0.0) -> Segment:
    """faster-whisper's segment as podpipe's, times shifted by ``offset`` seconds."""
    words = [
        Word(
            start=round(float(w.start) + offset, 3),
            end=round(float(w.end) + offset, 3),
            text=w.word,
            probability=round(float(w.probability), 4),
        )
        for w in (raw.words or [])
    ]
    return Segment(
        start=round(float(raw.start) + offset, 3),
        end=round(float(raw.end) + offset, 3),
        text=raw.text.strip(),
        words=words,
    )


def _collect(
    raw_segments: Iterable,
    total: float,
    max_ratio: float,
    redecode: Callable[[Segment], list[Segment]],
    progress: ProgressCallback | None,
) -> Iterable[Segment]:
    previous_text = None
    for raw in raw_segments:
        if progress:
            progress(min(float(raw.end), total), total)
        segment = _to_segment(raw)
        candidates = [segment]
        if segment.text and looks_like_loop(segment.text, max_ratio):
            log.info("repetition loop at %.1f-%.1f s, decoding it again", segment.start, segment.end)
            candidates = redecode(segment)
        for candidate in candidates:
            if not candidate.text:
                continue
            # Still looping after the second decode: noise for every later stage, so it goes.
            if looks_like_loop(candidate.text, max_ratio) or candidate.text == previous_text:
                log.warning("dropped a repetition loop at %.1f-%.1f s: %.60s", candidate.start, candidate.end,
                            candidate.text)
                continue
            previous_text = candidate.text
            yield candidate
