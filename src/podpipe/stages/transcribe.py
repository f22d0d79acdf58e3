"""Transcription with faster-whisper: Dutch by default, word timestamps, VAD, no repetition loops."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable

import faster_whisper
import numpy as np
from faster_whisper import BatchedInferencePipeline

from podpipe.cast import cast_of
from podpipe.checks import SPEECH_CHECK_STAGE
from podpipe.config import Settings
from podpipe.domain import Cast, Episode, ModelInfo, NormalisedAudio, Segment, Transcript, Word
from podpipe.models.whisper import load_whisper
from podpipe.stages.ingest import load_waveform
from podpipe.stages.naming.correct import fold

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
LOOP_NGRAM = 6  # real speech almost never says the same six words twice within one segment
# A segment of hint words only is a leak when Whisper thinks it may be silence or is unsure of the
# words (see BENCHMARKS.md: leaked prompts on near-silence vs names said alone in real speech).
LEAK_NO_SPEECH = 0.2
LEAK_WORD_PROBABILITY = 0.6

# Called with (seconds of audio done, total seconds).
ProgressCallback = Callable[[float, float], None]


def initial_prompt(vocabulary: list[str]) -> str | None:
    """Whisper spells names the way its prompt does: list the show's vocabulary as a sentence."""
    terms = [term.strip() for term in vocabulary if term.strip()]
    return (", ".join(terms) + ".") if terms else None


def hint_options(cast: Cast, mode: str) -> dict[str, str | None]:
    """faster-whisper's options that tell it the cast: ``hotwords`` or ``initial_prompt`` (or neither)."""
    terms = cast.terms()
    if mode == "hotwords" and terms:
        return {"hotwords": ", ".join(terms), "initial_prompt": None}
    if mode == "prompt":
        return {"initial_prompt": initial_prompt(terms)}
    return {"initial_prompt": None}


def hint_words(cast: Cast) -> frozenset[str]:
    """The words of everything Whisper was hinted, folded (what a leaked prompt consists of)."""
    return frozenset(word for term in cast.terms() for word in fold(term).split())


def is_hint_leak(segment: Segment, hints: frozenset[str], no_speech_prob: float) -> bool:
    """A segment of nothing but hint words, said with little confidence: the prompt leaking into
    near-silence. Real speech that is only a name ("Ellen?") is kept when Whisper is sure of it."""
    words = fold(segment.text).split()
    if not words or not hints or not all(word in hints for word in words):
        return False
    confidence = float(np.mean([w.probability for w in segment.words])) if segment.words else 0.0
    return no_speech_prob >= LEAK_NO_SPEECH or confidence < LEAK_WORD_PROBABILITY


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
    cast: Cast | None = None,
) -> Transcript:
    """Words and segments of the 16 kHz mono ``waveform``; speakers stay empty until diarisation.

    ``cast`` (default: the episode's, from its sidecar and the settings) is what Whisper is told to
    expect, as ``transcription.cast_hints`` says.
    """
    config = settings.transcription
    cast = cast if cast is not None else cast_of(episode, settings)
    handle = load_whisper(settings)
    options = dict(
        language=config.language,
        beam_size=config.beam_size,
        word_timestamps=config.word_timestamps,
        vad_filter=config.vad_filter,
        compression_ratio_threshold=config.max_compression_ratio,
        condition_on_previous_text=False,  # a bad segment then cannot seed a loop in the next one
        **hint_options(cast, config.cast_hints),
    )
    if config.batched:
        pipeline = BatchedInferencePipeline(handle.model)
        raw_segments, info = pipeline.transcribe(waveform, batch_size=config.batch_size, **options)
    else:
        raw_segments, info = handle.model.transcribe(waveform, **options)

    def redecode(segment: Segment) -> list[Segment]:
        # Sequential decoding of just this stretch, without the hints (which can seed a loop) and
        # with faster-whisper's temperature fallback, usually recovers the real words.
        first, last = int(segment.start * SAMPLE_RATE), int(segment.end * SAMPLE_RATE)
        clip_options = options | {"initial_prompt": None, "hotwords": None, "vad_filter": False}
        raw, _ = handle.model.transcribe(waveform[first:last], **clip_options)
        return [_to_segment(r, offset=segment.start) for r in raw]

    hints = hint_words(cast) if config.hint_leak_guard and config.cast_hints != "none" else frozenset()
    total = len(waveform) / SAMPLE_RATE
    segments = list(_collect(raw_segments, total, config.max_compression_ratio, redecode, progress,
                             is_leak=(lambda seg, p: is_hint_leak(seg, hints, p)) if hints else None))
    if progress:
        progress(total, total)
    check = check_speech(handle.model, waveform, config.language, config.language_check_windows,
                         config.min_speech_seconds, words=sum(len(s.words) or len(s.text.split()) for s in segments))
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
                    "cast_hints": config.cast_hints,
                },
            ),
            check,
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
    is_leak: Callable[[Segment, float], bool] | None = None,
) -> Iterable[Segment]:
    previous_text = None
    for raw in raw_segments:
        if progress:
            progress(min(float(raw.end), total), total)
        segment = _to_segment(raw)
        if is_leak is not None and is_leak(segment, float(getattr(raw, "no_speech_prob", 0.0) or 0.0)):
            log.info("dropped hint words at %.1f-%.1f s (no speech there): %.60s", segment.start, segment.end,
                     segment.text)
            continue
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


# ---------------------------------------------------------------------------------------------
# Is there anything to name?
# ---------------------------------------------------------------------------------------------

WINDOW_SECONDS = 30.0
OTHER_LANGUAGE_MAX_EXPECTED = 0.2  # the expected language's probability below which it is not spoken
OTHER_LANGUAGE_MIN_PROBABILITY = 0.6  # ... and how sure Whisper must be of the other one


def _speech_windows(speech: np.ndarray, windows: int) -> np.ndarray:
    """``windows`` stretches of 30 s spread evenly over the speech, joined (the start, middle and end
    of an episode, so a jingle or an English trailer at the start does not decide alone)."""
    size = int(WINDOW_SECONDS * SAMPLE_RATE)
    if len(speech) <= size * windows:
        return speech
    starts = np.linspace(0, len(speech) - size, windows).astype(int)
    return np.concatenate([speech[start : start + size] for start in starts])


def speech_verdict(speech_seconds: float, words: int, min_speech: float, language: str | None,
                   expected: str | None, expected_probability: float = 0.0, probability: float = 1.0) -> str:
    """"no-speech", "other-language" or "speech".

    Another language only when Whisper is sure of it and gives the expected one little chance: it
    hears robotic or accented Dutch as something else without conviction (the espeak-ng demo: Latin
    at 0.46, Dutch 0.002), and real English with high probability.
    """
    if speech_seconds < min_speech or words == 0:
        return "no-speech"
    if (expected and language and language != expected and probability >= OTHER_LANGUAGE_MIN_PROBABILITY
            and expected_probability < OTHER_LANGUAGE_MAX_EXPECTED):
        return "other-language"
    return "speech"


def check_speech(
    model, waveform: np.ndarray, expected: str | None, windows: int, min_speech: float, words: int = 1
) -> ModelInfo:
    """Whether the audio has speech (Silero VAD, and any words transcribed) and in which language
    (Whisper's language detection on a few windows of the speech); recorded as stage "speech-check"."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(waveform, VadOptions())
    speech_seconds = sum(c["end"] - c["start"] for c in chunks) / SAMPLE_RATE
    settings: dict[str, object] = {"speech_seconds": round(speech_seconds, 1), "expected": expected}
    language = None
    if speech_seconds >= min_speech and words and windows and expected:
        speech = np.concatenate([waveform[c["start"] : c["end"]] for c in chunks])
        n = max(1, min(windows, int(len(speech) / SAMPLE_RATE // WINDOW_SECONDS)))
        language, probability, ranked = model.detect_language(
            _speech_windows(speech, n), language_detection_segments=n
        )
        expected_probability = float(dict(ranked or []).get(expected, probability if language == expected else 0.0))
        settings |= {"language": language, "probability": round(float(probability), 3), "windows": n,
                     "expected_probability": round(expected_probability, 3)}
    else:
        expected_probability, probability = 0.0, 0.0
    settings["status"] = speech_verdict(speech_seconds, words, min_speech, language, expected,
                                        expected_probability, float(probability))
    return ModelInfo(stage=SPEECH_CHECK_STAGE, name="podpipe speech check", version="1", settings=settings)
