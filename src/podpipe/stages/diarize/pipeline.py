"""pyannote's ``SpeakerDiarization`` with the packaged models, tuned for CPU.

One change to pyannote's algorithm, for speed: speaker embeddings come from CAM++ frame
features computed once over the file (``shared_frames=True``) instead of once per 10 s
segmentation chunk. pyannote embeds every (chunk, local speaker) pair by running the embedding
network over the chunk's 10 s of audio; with a window step of 2.5 s each second of audio then
goes through CAM++ four times (ten times at pyannote's default step of 1 s). Here the trunk runs
over the file in 10 s blocks, and each (chunk, speaker) embedding is the same weighted
statistics pooling + dense layer applied to the chunk's slice of those frames, weighted by the
speaker's activity in the chunk, exactly as in the per-chunk path. The only difference is the
context the trunk saw (its block rather than the chunk); the effect on DER is measured in
bench/diarize_bench.py (``--set shared_frames=false`` runs pyannote's own path).

A second change, for the count: which frames describe each local speaker's voice. pyannote decodes
the powerset segmentation model by its most likely class per frame, and uses those same frames for
how many speak (the frame-level count), for the output turns, and for each speaker's embedding and
clustering. The most likely class names one speaker where a second one is nearly as likely, so a
voice heard mostly under another (a brief reply, a "ja" in overlap) keeps too few frames to be
embedded and counted. With ``voice_onset`` set, a local speaker's *voice* frames are those of the
most likely class plus those where its own probability (summed over the classes that contain it)
reaches the onset; only the embeddings and the count use them. The frame-level count and the output
turns still come from the most likely class, so speech detection and overlap are pyannote's.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from podpipe.stages.diarize.runtime import prepare_pyannote

prepare_pyannote()

from pyannote.audio.core.inference import Inference
from pyannote.audio.core.plda import PLDA
from pyannote.audio.pipelines import SpeakerDiarization
from pyannote.audio.utils.powerset import Powerset
from pyannote.core import SlidingWindowFeature

from podpipe.stages.diarize.campplus import CAMPPlusEmbedding
from podpipe.stages.diarize.counting import keep_every_speaker

# key of the voice frames (see module doc) in pyannote's per-file dict, read by the clustering
VOICE_ACTIVITY = "podpipe_voice_activity"
TRUNK_FRAME = 0.02  # seconds per CAM++ trunk frame (10 ms filterbank hop, then stride 2)
BLOCK_SECONDS = 10.0  # trunk block length: the length CAM++ sees in pyannote's per-chunk path


def voice_frames(
    log_probabilities: np.ndarray, powerset: Powerset, onset: float
) -> tuple[np.ndarray, np.ndarray]:
    """(hard, voice) 0/1 arrays (chunks, frames, local speakers) from powerset log-probabilities
    (chunks, frames, classes): the most likely class's speakers, as pyannote decodes them, and those
    plus every speaker whose marginal probability reaches ``onset``."""
    probabilities = np.exp(log_probabilities)
    mapping: Any = powerset.mapping
    mapping = mapping.cpu().numpy()
    most_likely = np.eye(probabilities.shape[-1], dtype=np.float32)[np.argmax(probabilities, axis=-1)]
    hard = most_likely @ mapping
    voice = np.maximum(hard, (probabilities @ mapping) >= onset)
    return hard.astype(np.float32), voice.astype(np.float32)


class NoPLDA(PLDA):
    """Agglomerative clustering needs no PLDA, but ``SpeakerDiarization`` loads one regardless."""

    def __init__(self) -> None:  # no transform files to read
        pass

    def __call__(self, embeddings: np.ndarray) -> np.ndarray:
        raise RuntimeError("no PLDA is available offline; use agglomerative clustering")


class EmbeddedSpeakerDiarization(SpeakerDiarization):
    """``SpeakerDiarization`` whose embeddings reuse file-level CAM++ frames (see module doc)."""

    def __init__(self, *args, shared_frames: bool = True, voice_onset: float | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shared_frames = shared_frames
        self.voice_onset = voice_onset
        self._powerset_inference: Inference | None = None

    def get_segmentations(self, file, hook=None) -> SlidingWindowFeature:
        """pyannote's hard multi-label segmentations; with ``voice_onset``, the voice frames too
        (stored in ``file``, so each call has its own), from the same forward pass."""
        specifications: Any = self._segmentation.model.specifications
        if self.voice_onset is None or self.training or not specifications.powerset:
            return super().get_segmentations(file, hook=hook)
        inference, powerset = self._powerset_segmentation(specifications)
        if hook is not None:
            hook = functools.partial(hook, "segmentation", None)
        log_probabilities: Any = inference(file, hook=hook)
        hard, voice = voice_frames(log_probabilities.data, powerset, self.voice_onset)
        window = log_probabilities.sliding_window
        file[VOICE_ACTIVITY] = SlidingWindowFeature(voice, window)
        return SlidingWindowFeature(hard, window)

    def _powerset_segmentation(self, specifications: Any) -> tuple[Inference, Powerset]:
        """pyannote's segmentation Inference (same model, windows, batch and device) without its
        conversion to multi-label: it returns powerset log-probabilities."""
        segmentation = self._segmentation
        if self._powerset_inference is None or self._powerset_inference.device != segmentation.device:
            self._powerset_inference = Inference(
                segmentation.model,
                duration=segmentation.duration,
                step=segmentation.step,
                batch_size=segmentation.batch_size,
                skip_aggregation=True,
                skip_conversion=True,
                device=segmentation.device,
            )
        return self._powerset_inference, Powerset(len(specifications.classes), specifications.powerset_max_classes)

    def get_embeddings(self, file, binary_segmentations, exclude_overlap=False, hook=None):
        voice = file.get(VOICE_ACTIVITY) if hasattr(file, "get") else None
        if voice is not None:  # each speaker is embedded from its voice frames (module doc)
            binary_segmentations = voice
        model = getattr(self._embedding, "model_", None)
        if not self.shared_frames or self.training or not isinstance(model, CAMPPlusEmbedding):
            return super().get_embeddings(
                file, binary_segmentations, exclude_overlap=exclude_overlap, hook=hook
            )

        waveform = self._whole_waveform(file)
        num_chunks, num_frames, num_speakers = binary_segmentations.data.shape
        chunk_duration = binary_segmentations.sliding_window.duration
        chunk_trunk_frames = int(round(chunk_duration / TRUNK_FRAME))

        if hook is not None:
            hook("embeddings", None, total=num_chunks, completed=0)
        frames = self._trunk_frames(model, waveform, hook, num_chunks)
        # frames: (channels, total_trunk_frames)

        data = np.nan_to_num(binary_segmentations.data, nan=0.0).astype(np.float32)
        if exclude_overlap:
            # as pyannote: drop overlapped frames unless too little clean speech remains
            min_num_samples = self._embedding.min_num_samples
            num_samples = chunk_duration * self._embedding.sample_rate
            min_num_frames = math.ceil(num_frames * min_num_samples / num_samples)
            clean = data * (np.sum(data, axis=2, keepdims=True) < 2)
            use_clean = np.sum(clean, axis=1, keepdims=True) > min_num_frames
            masks = np.where(use_clean, clean, data)
        else:
            masks = data
        # (num_chunks, num_frames, num_speakers) -> (num_chunks, num_speakers, trunk frames)
        weights = torch.from_numpy(np.ascontiguousarray(masks.transpose(0, 2, 1)))
        weights = F.interpolate(weights, size=chunk_trunk_frames, mode="nearest").to(frames.device)

        total_frames = frames.shape[1]
        embeddings = np.zeros((num_chunks, num_speakers, model.dimension), dtype=np.float32)
        with torch.inference_mode():
            for c, (chunk, _) in enumerate(binary_segmentations):
                first = int(round(chunk.start / TRUNK_FRAME))
                start, stop = max(0, first), min(total_frames, first + chunk_trunk_frames)
                chunk_weights = weights[c, :, start - first : stop - first]
                piece = frames[:, start:stop].unsqueeze(0).expand(num_speakers, -1, -1)
                embeddings[c] = model.campplus.embed(piece, chunk_weights).float().cpu().numpy()
        if hook is not None:
            hook("embeddings", None, total=num_chunks, completed=num_chunks)
        return embeddings

    def to_diarization(  # type: ignore[override]  # pyannote's is a staticmethod; this one needs self
        self, segmentations: SlidingWindowFeature, count: SlidingWindowFeature
    ) -> SlidingWindowFeature:
        """pyannote's top-``count`` speakers per frame (ranked by activity summed over chunks), except
        that a speaker this ranking leaves without any frame keeps the frames where its mean activity
        over the chunks assigned to it beats that of a speaker it would replace.

        The sum favours voices heard in every chunk covering a frame: a brief voice that the count
        found in one of the four chunks there always loses, and would vanish from the output."""
        # Inference.aggregate overwrites NaN in its input: it gets a copy, and the NaN (cluster not in
        # that chunk) make its average one over the chunks assigned to each speaker
        mean = Inference.aggregate(
            SlidingWindowFeature(segmentations.data.copy(), segmentations.sliding_window),
            count.sliding_window,
            hamming=False,
            missing=0.0,
            skip_average=False,
        )
        binary = super().to_diarization(segmentations, count)
        num_frames = min(len(binary.data), len(mean.data))
        activity = np.nan_to_num(mean.data[:num_frames])
        binary.data[:num_frames] = keep_every_speaker(binary.data[:num_frames], activity)
        return binary

    def _whole_waveform(self, file) -> torch.Tensor:
        if "waveform" in file and file.get("sample_rate") == self._embedding.sample_rate:
            waveform = file["waveform"]
            return waveform.mean(dim=0, keepdim=True) if waveform.shape[0] > 1 else waveform
        waveform, _ = self._audio(file)
        return waveform

    def _trunk_frames(
        self, model: CAMPPlusEmbedding, waveform: torch.Tensor, hook, num_chunks: int
    ) -> torch.Tensor:
        """CAM++ trunk features (channels, frames at 20 ms) for the whole waveform, per block."""
        sample_rate = self._embedding.sample_rate
        block = int(BLOCK_SECONDS * sample_rate)
        hop = int(0.01 * sample_rate)
        window = int(0.025 * sample_rate)
        num_samples = waveform.shape[1]
        outputs = []
        num_blocks = max(1, math.ceil(num_samples / block))
        with torch.inference_mode():
            for b in range(num_blocks):
                # a block's filterbank frames start every 10 ms from its first sample; reading
                # window - hop samples past its end gives it exactly block / hop frames
                start = b * block
                piece = waveform[:, start : start + block + window - hop]
                if piece.shape[1] < window:
                    piece = F.pad(piece, (0, window - piece.shape[1]))
                piece = piece.to(model.device)
                features = model.campplus.frames(model.compute_fbank(piece.unsqueeze(0)))[0]
                wanted = math.ceil(min(block, num_samples - start) / (2 * hop))
                outputs.append(features[:, :wanted])
                if hook is not None:
                    done = int(num_chunks * (b + 1) / num_blocks)
                    hook("embeddings", None, total=num_chunks, completed=min(done, num_chunks - 1))
        return torch.cat(outputs, dim=1)
