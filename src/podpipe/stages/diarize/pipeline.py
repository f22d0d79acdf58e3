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
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from podpipe.stages.diarize.runtime import prepare_pyannote

prepare_pyannote()

from pyannote.audio.core.inference import Inference
from pyannote.audio.core.plda import PLDA
from pyannote.audio.pipelines import SpeakerDiarization
from pyannote.core import SlidingWindowFeature

from podpipe.stages.diarize.campplus import CAMPPlusEmbedding
from podpipe.stages.diarize.counting import keep_every_speaker

TRUNK_FRAME = 0.02  # seconds per CAM++ trunk frame (10 ms filterbank hop, then stride 2)
BLOCK_SECONDS = 10.0  # trunk block length: the length CAM++ sees in pyannote's per-chunk path


class NoPLDA(PLDA):
    """Agglomerative clustering needs no PLDA, but ``SpeakerDiarization`` loads one regardless."""

    def __init__(self) -> None:  # no transform files to read
        pass

    def __call__(self, embeddings: np.ndarray) -> np.ndarray:
        raise RuntimeError("no PLDA is available offline; use agglomerative clustering")


class EmbeddedSpeakerDiarization(SpeakerDiarization):
    """``SpeakerDiarization`` whose embeddings reuse file-level CAM++ frames (see module doc)."""

    def __init__(self, *args, shared_frames: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shared_frames = shared_frames

    def get_embeddings(self, file, binary_segmentations, exclude_overlap=False, hook=None):
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
