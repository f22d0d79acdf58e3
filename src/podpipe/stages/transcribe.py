"""Transcription with faster-whisper: Dutch by default, word timestamps, VAD, no repetition loops.

On CPU an episode is split into pieces that one-thread Whisper replicas transcribe side by side
(``transcription.piece_seconds``): two replicas on two cores did the words of five minutes in 16 s
where one replica with two threads took 23 s (the threads of one decoder wait on each other; two
decoders do not). How many replicas work at a moment is asked before each piece, so the
transcription takes a core back as soon as the diarisation beside it has finished (``CoreShare``).

The pieces are made of the very 30 s windows faster-whisper's batched pipeline makes of the whole
file (one voice-activity pass, stretches of speech joined until the next would not fit): a piece
decodes the same audio as the whole file would, so it gets the same words (pieces cut anywhere
else changed 0.4 points of WER on the Flemish read speech; these change none).
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import faster_whisper
import numpy as np
from faster_whisper import BatchedInferencePipeline
from faster_whisper.transcribe import restore_speech_timestamps
from faster_whisper.vad import VadOptions, get_speech_timestamps

from podpipe.cast import cast_of
from podpipe.checks import SPEECH_CHECK_STAGE
from podpipe.config import TranscribeConfig
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
# How many pieces may be transcribed at once right now (podpipe.worker.CoreShare in the flow).
StreamBudget = Callable[[], int]

# A piece shorter than this leaves Whisper's batch half empty.
MIN_PIECE_SECONDS = 45.0
WAIT_FOR_CORE_SECONDS = 0.5
# What BatchedInferencePipeline gives Silero VAD (faster-whisper 1.2): windows of at most 30 s.
WHISPER_WINDOW_SECONDS = 30
BATCHED_MIN_SILENCE_MS = 160
# A stretch decoded again is kept only when Whisper heard it at least this well on average: on the
# espeak renderings the stretches it had dropped came back at 0.4-0.5 as word salad, on the MBROLA
# rendering of ep12 at 0.73-0.76 as the sentences said; near-silence gives less still.
RECOVERED_MIN_PROBABILITY = 0.6
# One greedy-temperature decode, no fallback: a stretch Whisper cannot hear at temperature 0 comes
# back at higher ones as words it is unsure of, which RECOVERED_MIN_PROBABILITY drops anyway. With
# faster-whisper's fallback (0.0-0.4) the 86 s decoded again on ep12's espeak rendering cost 40 %
# more transcription CPU; the 10 s of ep12's MBROLA rendering came back at temperature 0.
RECOVERY_TEMPERATURES = (0.0,)
RECOVERY_MIN_LOGPROB = -1.0  # faster-whisper's log_prob_threshold, below which it would fall back


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
    setup: TranscribeConfig,
    progress: ProgressCallback | None = None,
    cast: Cast | None = None,
    streams: StreamBudget | None = None,
) -> Transcript:
    """Words and segments of the 16 kHz mono ``waveform``; speakers stay empty until diarisation.

    ``cast`` (default: the episode's, ``episode.cast`` as it was described) is what Whisper is told to
    expect, as ``transcription.cast_hints`` says. ``streams`` says how many pieces may be
    transcribed at once at each moment (default: every core ``transcription.threads`` gives).
    """
    config = setup.transcription
    cast = cast if cast is not None else cast_of(episode)
    handle = load_whisper(setup)
    options = dict(
        language=config.language,
        beam_size=config.beam_size,
        word_timestamps=config.word_timestamps,
        vad_filter=config.vad_filter,
        compression_ratio_threshold=config.max_compression_ratio,
        condition_on_previous_text=False,  # a bad segment then cannot seed a loop in the next one
        **hint_options(cast, config.cast_hints),
    )

    def decode_alone(start: float, end: float, **changes) -> list:
        # Sequential decoding of just this stretch, without the hints (which can seed a loop)
        clip_options = options | {"initial_prompt": None, "hotwords": None, "vad_filter": False} | changes
        raw, _ = handle.model.transcribe(waveform[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)], **clip_options)
        return list(raw)

    def redecode(segment: Segment) -> list[Segment]:
        # A loop: with faster-whisper's temperature fallback this usually recovers the real words
        return [_to_segment(r, offset=segment.start) for r in decode_alone(segment.start, segment.end)]

    def decode_clip(start: float, end: float) -> list[Segment]:
        # A stretch the batched pass left without words. Without the fallback, Whisper's own test of
        # a decode is ours to make: a segment under its log-probability threshold is one it would
        # have decoded again at a higher temperature
        raw = decode_alone(start, end, temperature=list(RECOVERY_TEMPERATURES))
        return [_to_segment(r, offset=start) for r in raw if r.avg_logprob >= RECOVERY_MIN_LOGPROB]

    recovered: list[float] = []  # seconds of speech decoded again, per stretch

    hints = hint_words(cast) if config.hint_leak_guard and config.cast_hints != "none" else frozenset()
    is_leak = (lambda seg, p: is_hint_leak(seg, hints, p)) if hints else None
    # Batched with VAD (the default): one voice-activity pass gives the windows, the pieces and the
    # speech check. Otherwise faster-whisper decodes the whole file its own way.
    speech = speech_stretches(waveform) if config.batched and config.vad_filter else None
    pieces = piece_bounds(waveform, speech, config.piece_seconds, handle.streams)
    tracker = _Progress(pieces, len(waveform) / SAMPLE_RATE, progress)

    def transcribe_piece(piece: Piece) -> tuple[list[Segment], str | None]:
        if speech is not None:
            raw_segments, language = _decode_windows(BatchedInferencePipeline(handle.model), waveform, piece,
                                                     config.batch_size, options)
        elif config.batched:
            raw_segments, info = BatchedInferencePipeline(handle.model).transcribe(
                waveform, batch_size=config.batch_size, **options)
            language = info.language
        else:
            raw_segments, info = handle.model.transcribe(waveform, **options)
            language = info.language
        segments = list(_collect(raw_segments, config.max_compression_ratio, redecode,
                                 lambda end: tracker.piece_at(piece.index, end), is_leak))
        if speech is not None and config.word_timestamps and config.recover_unheard_seconds > 0:
            stretches = [stretch for window in piece.windows for stretch in window]
            for start, end in unheard_stretches(segments, stretches, config.recover_unheard_seconds):
                found = heard_again(decode_clip(start, end), start, end, config.max_compression_ratio)
                log.info("%.1f-%.1f s had no words; decoded again: %.120s", start, end,
                         " ".join(s.text for s in found) or "(nothing heard surely)")
                recovered.append(end - start)
                segments = sorted([*segments, *found], key=lambda s: s.start)
        return segments, language

    results = _in_parallel(pieces, transcribe_piece, streams or (lambda: handle.streams), most=handle.streams)
    segments = [segment for piece_segments, _ in results for segment in piece_segments]
    if progress:
        progress(tracker.total, tracker.total)
    check = check_speech(handle.model, waveform, config.language, config.language_check_windows,
                         config.min_speech_seconds, words=sum(len(s.words) or len(s.text.split()) for s in segments))
    return Transcript(
        episode=episode,
        segments=segments,
        language=next((language for _, language in results if language), config.language or ""),
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
                    "pieces": len(pieces),
                    "decoded_again_seconds": round(sum(recovered), 1),
                },
            ),
            check,
        ],
    )


Stretch = dict[str, int]  # {"start": sample, "end": sample}, as faster-whisper's VAD gives them


def unheard_stretches(segments: list[Segment], stretches: list[Stretch], min_seconds: float
                      ) -> list[tuple[float, float]]:
    """(start, end) seconds of the speech ``stretches`` between two words (or before the first, after
    the last) holding at least ``min_seconds`` of speech: what Whisper was given and wrote nothing for.
    Trimmed to the speech in it, so the clip decoded again starts and ends where speech does."""
    heard = sorted((w.start, w.end) for s in segments for w in s.words) or \
        sorted((s.start, s.end) for s in segments if s.text)
    gaps, reached = [], float("-inf")
    for start, end in heard:
        if start > reached:
            gaps.append((reached, start))
        reached = max(reached, end)
    gaps.append((reached, float("inf")))
    found = []
    for gap_start, gap_end in gaps:
        if gap_end - gap_start < min_seconds:
            continue  # most gaps are the pause between two words: too short to hold the speech
        speech = [(max(gap_start, s["start"] / SAMPLE_RATE), min(gap_end, s["end"] / SAMPLE_RATE)) for s in stretches]
        speech = [(a, b) for a, b in speech if b > a]
        if speech and sum(b - a for a, b in speech) >= min_seconds:
            found.append((round(speech[0][0], 3), round(speech[-1][1], 3)))
    return found


def heard_again(segments: list[Segment], start: float, end: float, max_ratio: float) -> list[Segment]:
    """The segments of a stretch decoded again, reduced to their words inside it (``start``..``end``),
    each kept when Whisper heard it at least RECOVERED_MIN_PROBABILITY on average and it is no loop;
    none when together they loop."""
    kept = []
    for segment in segments:
        words = [w for w in segment.words if start <= (w.start + w.end) / 2 <= end]
        if not words:
            continue
        text = "".join(w.text for w in words).strip()
        if np.mean([w.probability for w in words]) < RECOVERED_MIN_PROBABILITY or looks_like_loop(text, max_ratio):
            continue
        kept.append(Segment(start=words[0].start, end=words[-1].end, text=text, words=words))
    # a loop spread over segments ("Je negen we niet meer." four times on an espeak rendering)
    if looks_like_loop(" ".join(segment.text for segment in kept), max_ratio):
        return []
    return kept


@dataclass(frozen=True)
class Piece:
    """The ``index``-th piece in time order: samples ``start``..``end`` of the waveform, and, when
    voice activity was found, the windows of speech stretches it consists of."""

    index: int
    start: int
    end: int
    windows: tuple[tuple[Stretch, ...], ...] = ()


def speech_stretches(waveform: np.ndarray) -> list[Stretch]:
    """Silero's speech stretches with the options faster-whisper's batched pipeline gives it."""
    return get_speech_timestamps(waveform, VadOptions(max_speech_duration_s=WHISPER_WINDOW_SECONDS,
                                                      min_silence_duration_ms=BATCHED_MIN_SILENCE_MS))


def speech_windows(speech: list[Stretch]) -> list[list[Stretch]]:
    """The stretches joined into Whisper's 30 s windows as faster-whisper joins them
    (``faster_whisper.vad.collect_chunks``): in order, until the next stretch would not fit."""
    limit = WHISPER_WINDOW_SECONDS * SAMPLE_RATE
    windows: list[list[Stretch]] = []
    filled = 0
    for stretch in speech:
        length = stretch["end"] - stretch["start"]
        if windows and filled + length <= limit:
            windows[-1].append(stretch)
            filled += length
        else:
            windows.append([stretch])
            filled = length
    return windows


def piece_bounds(waveform: np.ndarray, speech: list[Stretch] | None, piece_seconds: float,
                 streams: int) -> list[Piece]:
    """The episode as pieces of about ``piece_seconds`` of audio, each a run of whole windows.

    Without voice activity (``speech`` None) the episode is one piece, decoded as faster-whisper
    decodes a file. A short episode still gets one piece per stream (none under MIN_PIECE_SECONDS),
    so that every core has work; ``piece_seconds`` 0 or one stream: one piece.
    """
    if speech is None:
        return [Piece(0, 0, len(waveform))]
    windows = speech_windows(speech)
    duration = len(waveform) / SAMPLE_RATE
    count = 1 if piece_seconds <= 0 or streams <= 1 else \
        max(round(duration / piece_seconds), min(streams, int(duration // MIN_PIECE_SECONDS)), 1)
    groups: list[list[list[Stretch]]] = [[] for _ in range(count)]
    for window in windows:  # each window to the piece its middle falls in
        middle = (window[0]["start"] + window[-1]["end"]) / 2
        groups[min(int(middle * count / len(waveform)), count - 1)].append(window)
    groups = [group for group in groups if group] or [[]]
    return [Piece(index, group[0][0]["start"] if group else 0, group[-1][-1]["end"] if group else 0,
                  tuple(tuple(window) for window in group))
            for index, group in enumerate(groups)]


def _decode_windows(pipeline: BatchedInferencePipeline, waveform: np.ndarray, piece: Piece, batch_size: int,
                    options: dict) -> tuple[Iterable, str | None]:
    """faster-whisper's segments of a piece's windows, times on the episode's clock.

    The windows' speech is laid end to end and handed over as clips, one per window: the pipeline
    then decodes exactly the audio it would have made of them itself, and its own timestamp
    restoration puts the words back where they were said.
    """
    stretches = [stretch for window in piece.windows for stretch in window]
    if not stretches:
        return [], options.get("language")
    audio = np.concatenate([waveform[s["start"] : s["end"]] for s in stretches])
    clips, position = [], 0
    for window in piece.windows:
        length = sum(s["end"] - s["start"] for s in window)
        # Half a sample over, so that faster-whisper's int(seconds * rate) gives the exact sample back.
        clips.append({"start": (position + 0.5) / SAMPLE_RATE, "end": (position + length + 0.5) / SAMPLE_RATE})
        position += length
    clip_options = {key: value for key, value in options.items() if key != "vad_filter"}
    raw, info = pipeline.transcribe(audio, batch_size=batch_size, clip_timestamps=clips, **clip_options)
    return restore_speech_timestamps(raw, stretches, SAMPLE_RATE), info.language


T = TypeVar("T")


def _in_parallel(pieces: list[Piece], work: Callable[[Piece], T], streams: StreamBudget, most: int) -> list[T]:
    """``work`` on every piece, taken in time order by at most ``streams()`` threads at each moment.

    Stream k takes the next piece only while the budget allows more than k streams; otherwise it
    waits (its core is still the diarisation's) and looks again. A failed piece stops the others.
    """
    results: dict[int, T] = {}
    remaining = iter(pieces)
    lock = threading.Lock()
    finished = threading.Event()  # no piece left, or one failed

    def stream(rank: int) -> None:
        while not finished.is_set():
            if rank >= max(1, streams()):
                finished.wait(WAIT_FOR_CORE_SECONDS)
                continue
            with lock:
                piece = next(remaining, None)
            if piece is None:
                finished.set()
                return
            try:
                results[piece.index] = work(piece)
            except BaseException:
                finished.set()
                raise

    width = max(1, min(len(pieces), most))
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="whisper-piece") as pool:
        for future in [pool.submit(stream, rank) for rank in range(width)]:
            future.result()
    return [results[piece.index] for piece in pieces]


class _Progress:
    """How much of the episode is transcribed, over pieces that finish out of order: the share of
    the pieces' audio done, as seconds of the episode's ``total``."""

    def __init__(self, pieces: list[Piece], total: float, callback: ProgressCallback | None) -> None:
        self.pieces = {piece.index: piece for piece in pieces}
        self.span = sum(piece.end - piece.start for piece in pieces) / SAMPLE_RATE
        self.total = total
        self.done: dict[int, float] = {}
        self.callback = callback
        self.lock = threading.Lock()

    def piece_at(self, index: int, seconds: float) -> None:
        """Piece ``index`` has been transcribed up to ``seconds`` on the episode's clock."""
        if self.callback is None or self.span <= 0:
            return
        piece = self.pieces[index]
        start, length = piece.start / SAMPLE_RATE, (piece.end - piece.start) / SAMPLE_RATE
        with self.lock:
            self.done[index] = min(max(seconds - start, 0.0), length)
            self.callback(self.total * sum(self.done.values()) / self.span, self.total)


def transcribe_file(
    episode: Episode,
    normalised: NormalisedAudio,
    setup: TranscribeConfig,
    progress: ProgressCallback | None = None,
    streams: StreamBudget | None = None,
) -> Transcript:
    """``transcribe`` on the normalised file (for stage workers, which get paths, not waveforms)."""
    return transcribe(episode, load_waveform(normalised), setup, progress, streams=streams)


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
    max_ratio: float,
    redecode: Callable[[Segment], list[Segment]],
    reached: Callable[[float], None],
    is_leak: Callable[[Segment, float], bool] | None = None,
) -> Iterable[Segment]:
    """podpipe's segments from faster-whisper's: leaked hints and repetition loops out; ``reached``
    hears where on the episode's clock each one ends."""
    previous_text = None
    for raw in raw_segments:
        reached(float(raw.end))
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
# Whisper's language detection on a sentence or two is a guess (a 2 s Flemish sentence: German at
# 0.88): with less speech than this the configured language stands.
OTHER_LANGUAGE_MIN_SPEECH_SECONDS = 5.0
# Whisper's language detection names Latin for speech it cannot place, not for Latin: the espeak-ng
# renderings of ep12 (Latin at 0.67, Dutch 0.002) and the demo (0.46). No episode is spoken in Latin.
UNPLACED_LANGUAGES = frozenset({"la"})


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
    if (expected and language and language != expected and language not in UNPLACED_LANGUAGES
            and probability >= OTHER_LANGUAGE_MIN_PROBABILITY
            and expected_probability < OTHER_LANGUAGE_MAX_EXPECTED
            and speech_seconds >= OTHER_LANGUAGE_MIN_SPEECH_SECONDS):
        return "other-language"
    return "speech"


def check_speech(
    model, waveform: np.ndarray, expected: str | None, windows: int, min_speech: float, words: int = 1,
) -> ModelInfo:
    """Whether the audio has speech (Silero VAD, and any words transcribed) and in which language
    (Whisper's language detection on a few windows of the speech); recorded as stage "speech-check".

    Its own VAD pass with Silero's default options, not the batched pipeline's stretches: those cut
    every pause over a second out, and language detection on speech without its pauses hears short
    robotic Dutch as German (about 1 % of an hour's run time)."""
    chunks = get_speech_timestamps(waveform, VadOptions())
    speech_seconds = sum(c["end"] - c["start"] for c in chunks) / SAMPLE_RATE
    settings: dict[str, object] = {"speech_seconds": round(speech_seconds, 1), "expected": expected}
    language = None
    if speech_seconds >= min_speech and words and windows and expected:
        spoken = np.concatenate([waveform[c["start"] : c["end"]] for c in chunks])
        n = max(1, min(windows, int(len(spoken) / SAMPLE_RATE // WINDOW_SECONDS)))
        language, probability, ranked = model.detect_language(
            _speech_windows(spoken, n), language_detection_segments=n
        )
        expected_probability = float(dict(ranked or []).get(expected, probability if language == expected else 0.0))
        settings |= {"language": language, "probability": round(float(probability), 3), "windows": n,
                     "expected_probability": round(expected_probability, 3)}
    else:
        expected_probability, probability = 0.0, 0.0
    settings["status"] = speech_verdict(speech_seconds, words, min_speech, language, expected,
                                        expected_probability, float(probability))
    return ModelInfo(stage=SPEECH_CHECK_STAGE, name="podpipe speech check", version="1", settings=settings)
