"""CAM++ speaker embedding (3D-Speaker, Apache-2.0) as a pyannote.audio embedding model.

The architecture follows 3D-Speaker's ``speakerlab/models/campplus`` (Wang et al., "CAM++: A Fast
and Efficient Network for Speaker Verification Using Context-Aware Masking", Interspeech 2023),
written here from the published description and the keys of the released state dict
``campplus_cn_en_common.pt`` (192-dim embeddings, 80 Kaldi filterbanks at 16 kHz):

    Kaldi fbank (80) -> mean normalisation -> FCM (2-D ResNet front end) -> TDNN (stride 2)
    -> 3 CAM dense TDNN blocks with transitions -> BN-ReLU -> statistics pooling -> dense + BN

Two changes for diarisation, neither of which touches the weights:
* statistics pooling is weighted by pyannote's per-frame speaker activity (``weights``), like
  pyannote's WeSpeaker wrapper, so one 10 s chunk yields one embedding per local speaker;
* the trunk runs once per distinct waveform in a batch. pyannote asks for an embedding per
  (chunk, speaker) pair and repeats the chunk's waveform for each of its (three) local speakers,
  so this saves two of every three trunk passes; results are identical.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from podpipe.stages.diarize.runtime import prepare_pyannote

prepare_pyannote()

from pyannote.audio.core.model import Model
from torchaudio.compliance import kaldi

EMBEDDING_DIM = 192
FEAT_DIM = 80


# --------------------------------------------------------------------------------------------
# The CAM++ network. Module names match the keys of the released state dict.
# --------------------------------------------------------------------------------------------


def _bn_relu(channels: int) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict([("batchnorm", nn.BatchNorm1d(channels)), ("relu", nn.ReLU(inplace=True))])
    )


class _ResBlock2d(nn.Module):
    """Basic 2-D residual block; strides only along frequency."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=(stride, 1), padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=(stride, 1), bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class _FCM(nn.Module):
    """Front-end convolution module: (B, F, T) filterbanks -> (B, 32 * F / 8, T)."""

    def __init__(self, feat_dim: int = FEAT_DIM, channels: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.layer1 = nn.Sequential(_ResBlock2d(channels, channels, 2), _ResBlock2d(channels, channels, 1))
        self.layer2 = nn.Sequential(_ResBlock2d(channels, channels, 2), _ResBlock2d(channels, channels, 1))
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.out_channels = channels * (feat_dim // 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
        out = self.layer2(self.layer1(out))
        out = F.relu(self.bn2(self.conv2(out)))
        batch, channels, freq, frames = out.shape
        return out.reshape(batch, channels * freq, frames)


class _TDNN(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__()
        padding = (kernel_size - 1) // 2
        self.linear = nn.Conv1d(
            in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False
        )
        self.nonlinear = _bn_relu(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x))


class _CAMLayer(nn.Module):
    """Context-aware masking: a local TDNN output gated by utterance- and segment-level context."""

    SEGMENT = 100  # frames per context segment

    def __init__(self, bn_channels: int, out_channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        padding = (kernel_size - 1) // 2 * dilation
        self.linear_local = nn.Conv1d(
            bn_channels, out_channels, kernel_size, padding=padding, dilation=dilation, bias=False
        )
        self.linear1 = nn.Conv1d(bn_channels, bn_channels // 2, 1)
        self.linear2 = nn.Conv1d(bn_channels // 2, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        local = self.linear_local(x)
        frames = x.shape[-1]
        segments = F.avg_pool1d(x, kernel_size=self.SEGMENT, stride=self.SEGMENT, ceil_mode=True)
        segments = segments.repeat_interleave(self.SEGMENT, dim=-1)[..., :frames]
        context = x.mean(-1, keepdim=True) + segments
        mask = torch.sigmoid(self.linear2(F.relu(self.linear1(context))))
        return local * mask


class _CAMDenseLayer(nn.Module):
    def __init__(
        self, in_channels: int, growth: int, bn_channels: int, kernel_size: int, dilation: int
    ) -> None:
        super().__init__()
        self.nonlinear1 = _bn_relu(in_channels)
        self.linear1 = nn.Conv1d(in_channels, bn_channels, 1, bias=False)
        self.nonlinear2 = _bn_relu(bn_channels)
        self.cam_layer = _CAMLayer(bn_channels, growth, kernel_size, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))


class _CAMDenseBlock(nn.ModuleList):
    def __init__(
        self,
        num_layers: int,
        in_channels: int,
        growth: int,
        bn_channels: int,
        kernel_size: int,
        dilation: int,
    ) -> None:
        super().__init__()
        for i in range(num_layers):
            layer = _CAMDenseLayer(in_channels + i * growth, growth, bn_channels, kernel_size, dilation)
            self.add_module(f"tdnnd{i + 1}", layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self:
            x = torch.cat([x, layer(x)], dim=1)
        return x


class _Transit(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.nonlinear = _bn_relu(in_channels)
        self.linear = nn.Conv1d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.nonlinear(x))


class _Dense(nn.Module):
    """Embedding layer: 1x1 conv then batch norm without affine parameters and without ReLU."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.linear = nn.Conv1d(in_channels, out_channels, 1, bias=False)
        self.nonlinear = nn.Sequential(
            OrderedDict([("batchnorm", nn.BatchNorm1d(out_channels, affine=False))])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x.unsqueeze(-1))).squeeze(-1)


class CAMPPlus(nn.Module):
    """The CAM++ network: ``frames(fbank)`` -> frame-level features, ``embed(features)`` -> embeddings."""

    def __init__(
        self,
        feat_dim: int = FEAT_DIM,
        embedding_size: int = EMBEDDING_DIM,
        growth_rate: int = 32,
        bn_size: int = 4,
        init_channels: int = 128,
    ) -> None:
        super().__init__()
        self.head = _FCM(feat_dim=feat_dim)
        channels = self.head.out_channels
        self.xvector = nn.Sequential(OrderedDict([("tdnn", _TDNN(channels, init_channels, 5, stride=2))]))
        channels = init_channels
        for i, (num_layers, kernel_size, dilation) in enumerate(((12, 3, 1), (24, 3, 2), (16, 3, 2))):
            block = _CAMDenseBlock(
                num_layers, channels, growth_rate, bn_size * growth_rate, kernel_size, dilation
            )
            self.xvector.add_module(f"block{i + 1}", block)
            channels += num_layers * growth_rate
            self.xvector.add_module(f"transit{i + 1}", _Transit(channels, channels // 2))
            channels //= 2
        self.xvector.add_module("out_nonlinear", _bn_relu(channels))
        # Statistics pooling sits here in the original; it is weighted, so it is applied in embed().
        self.dense = _Dense(channels * 2, embedding_size)
        self.channels = channels

    def frames(self, fbank: torch.Tensor) -> torch.Tensor:
        """(batch, frames, feat_dim) filterbanks -> (batch, channels, frames / 2) features."""
        return self.xvector(self.head(fbank.transpose(1, 2)))

    def embed(self, features: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """Statistics pooling (weighted when ``weights``: (batch, frames) >= 0) and the dense layer."""
        return self.dense(statistics_pooling(features, weights))

    def forward(self, fbank: torch.Tensor) -> torch.Tensor:
        return self.embed(self.frames(fbank))

    def load_released_state_dict(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load 3D-Speaker's state dict, whose dense layer sits under ``xvector.dense``."""
        renamed = {
            (key.replace("xvector.dense.", "dense.", 1) if key.startswith("xvector.dense.") else key): value
            for key, value in state_dict.items()
        }
        self.load_state_dict(renamed, strict=True)


def statistics_pooling(features: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean and unbiased standard deviation over time, optionally weighted per frame.

    ``features``: (batch, channels, frames); ``weights``: (batch, frames_w), resampled (nearest)
    to ``frames``. With weights, this is pyannote's weighted statistics pooling (reliability
    weights); without, the original's plain mean and std.
    """
    if weights is None:
        if features.shape[-1] < 2:  # one frame has no spread (the unbiased std would be NaN)
            return torch.cat([features.mean(dim=-1), torch.zeros_like(features[..., 0])], dim=-1)
        return torch.cat([features.mean(dim=-1), features.std(dim=-1, correction=1)], dim=-1)
    frames = features.shape[-1]
    if weights.shape[-1] != frames:
        weights = F.interpolate(weights.unsqueeze(1), size=frames, mode="nearest").squeeze(1)
    weights = weights.unsqueeze(1)  # (batch, 1, frames)
    v1 = weights.sum(dim=2) + 1e-8
    mean = (features * weights).sum(dim=2) / v1
    v2 = weights.square().sum(dim=2)
    var = ((features - mean.unsqueeze(2)).square() * weights).sum(dim=2) / (v1 - v2 / v1 + 1e-8)
    return torch.cat([mean, var.clamp_min(0).sqrt()], dim=1)


# --------------------------------------------------------------------------------------------
# The pyannote.audio wrapper.
# --------------------------------------------------------------------------------------------


class CAMPPlusEmbedding(Model):
    """CAM++ as a pyannote.audio embedding ``Model``: waveforms (+ frame weights) -> embeddings.

    Called by pyannote's ``SpeakerDiarization`` through ``PretrainedSpeakerEmbedding`` as
    ``model(waveforms, weights=masks)`` with waveforms (batch, 1, samples) at 16 kHz in [-1, 1]
    and masks (batch, segmentation frames).
    """

    def __init__(self, sample_rate: int = 16000, num_channels: int = 1, num_mel_bins: int = FEAT_DIM) -> None:
        super().__init__(sample_rate=sample_rate, num_channels=num_channels)
        self.save_hyperparameters("num_mel_bins")
        # 3D-Speaker's recipe: Kaldi fbank, 25 ms Povey window every 10 ms, no dither, then
        # mean normalisation over the input (here: the chunk).
        self._fbank = partial(
            kaldi.fbank, num_mel_bins=num_mel_bins, sample_frequency=sample_rate, dither=0.0
        )
        self.campplus = CAMPPlus(feat_dim=num_mel_bins)

    @property
    def dimension(self) -> int:
        return self.campplus.dense.linear.out_channels

    def compute_fbank(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(batch, 1, samples) -> mean-normalised (batch, frames, num_mel_bins)."""
        features = torch.vmap(self._fbank)(waveforms)
        return features - features.mean(dim=1, keepdim=True)

    def forward(  # type: ignore[override]  # pyannote's Model.forward takes only waveforms
        self, waveforms: torch.Tensor, weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        # Run the trunk once per run of identical consecutive waveforms (see module docstring).
        batch = waveforms.shape[0]
        if batch > 1:
            flat = waveforms.reshape(batch, -1)
            new_group = torch.ones(batch, dtype=torch.bool, device=waveforms.device)
            new_group[1:] = (flat[1:] != flat[:-1]).any(dim=1)
            group = torch.cumsum(new_group.long(), dim=0) - 1
            unique = waveforms[new_group]
        else:
            group, unique = None, waveforms
        features = self.campplus.frames(self.compute_fbank(unique))
        if group is not None and unique.shape[0] != batch:
            features = features.index_select(0, group)
        return self.campplus.embed(features, weights)


def load_campplus(weights_path: Path) -> CAMPPlusEmbedding:
    """Build the pyannote embedding model from the released CAM++ state dict, in eval mode."""
    state_dict = torch.load(weights_path, map_location="cpu", weights_only=True)
    model = CAMPPlusEmbedding()
    model.campplus.load_released_state_dict(state_dict)
    model.eval()
    return model
