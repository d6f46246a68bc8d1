"""Images for captioning: read with Pillow, resize, scale to [-1, 1], augment.

Images are kept as ``uint8`` tensors ``[C, H, W]`` at the model's input size
(a quarter of the memory of floats) and turned into model inputs batch by
batch. Augmentation works on those tensors with a seeded generator, so an
epoch's images can be rebuilt exactly on resume.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from attnseq.config import AugmentConfig
from attnseq.errors import DataError


def open_image(path: Path) -> Image.Image:
    """Decode an image file completely, so a truncated file fails here and names itself."""
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except FileNotFoundError:
        raise DataError(f"{path}: image file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise DataError(f"{path}: cannot read image ({err})") from None


def image_tensor(image: Image.Image, size: Sequence[int], grey: bool) -> Tensor:
    """``uint8`` [C, H, W] at ``size`` = (height, width): grey or RGB, resized bicubically."""
    converted = image.convert("L" if grey else "RGB")
    height, width = size
    if converted.size != (width, height):
        converted = converted.resize((width, height), Image.Resampling.BICUBIC)
    array = np.asarray(converted, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def load_images(paths: Sequence[Path], size: Sequence[int], grey: bool, progress=None) -> Tensor:
    """All images as one ``uint8`` tensor [N, C, H, W]."""
    out = torch.empty(len(paths), 1 if grey else 3, *size, dtype=torch.uint8)
    for i, path in enumerate(paths):
        out[i] = image_tensor(open_image(path), size, grey)
        if progress is not None:
            progress.update(1)
    return out


def to_input(images: Tensor) -> Tensor:
    """``uint8`` images to the [-1, 1] floats every backbone reads."""
    return images.float().div_(127.5).sub_(1.0)


# Test-time augmentation: each image as it is and moved one pixel right, left, down and up.
TTA_SHIFTS: tuple[tuple[int, int], ...] = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))


def shift(images: Tensor, dx: int, dy: int) -> Tensor:
    """Images [B, C, H, W] moved ``dx`` pixels right and ``dy`` down, the edge repeated.

    A CNN whose grid cells are several pixels wide is not shift-invariant: the
    same picture moved by a pixel is read a little differently, and averaging
    those readings corrects some of the single reading's mistakes.
    """
    height, width = images.shape[-2:]
    if abs(dx) >= width or abs(dy) >= height:
        raise ValueError(f"cannot shift a {height}x{width} image by ({dx}, {dy})")
    padded = F.pad(images, (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)), mode="replicate")
    top, left = max(-dy, 0), max(-dx, 0)
    return padded[..., top : top + height, left : left + width]


def augment(images: Tensor, cfg: AugmentConfig, generator: torch.Generator) -> Tensor:
    """Model inputs ([-1, 1] floats) from ``uint8`` images, randomly changed per image.

    Crops keep the aspect ratio's size and are resized back, so the grid of
    attention cells keeps its shape; flips mirror left and right.
    """
    batch, _, height, width = images.shape
    out = to_input(images)
    rand = torch.rand(batch, 6, generator=generator)
    for i in range(batch):
        x = out[i]
        if cfg.crop:
            keep = 1.0 - cfg.crop * float(rand[i, 0])
            h, w = max(1, round(height * keep)), max(1, round(width * keep))
            top = int(float(rand[i, 1]) * (height - h + 1))
            left = int(float(rand[i, 2]) * (width - w + 1))
            x = F.interpolate(
                x[None, :, top : top + h, left : left + w],
                size=(height, width),
                mode="bilinear",
                align_corners=False,
            )[0]
        if cfg.flip and float(rand[i, 3]) < 0.5:
            x = x.flip(-1)
        if cfg.brightness:
            x = (x + 1.0) * (1.0 + cfg.brightness * (2.0 * float(rand[i, 4]) - 1.0)) - 1.0
        if cfg.contrast:
            x = (x - x.mean()) * (1.0 + cfg.contrast * (2.0 * float(rand[i, 5]) - 1.0)) + x.mean()
        out[i] = x.clamp(-1.0, 1.0)
    return out
