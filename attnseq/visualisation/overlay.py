"""Where the captioner looked: the figure of Show, Attend and Tell (Xu et al., 2015).

One panel per generated word shows the image with that word's attention over
it: the grid of cell weights is upsampled to the image, smoothed, and the
picture is dimmed where the decoder did not look and lit (with an orange
tint) where it did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from attnseq.atomic import atomic_write  # noqa: E402

_TINT = np.array([1.0, 0.55, 0.1], dtype=np.float32)  # orange


@dataclass
class OverlayRow:
    """One image and what was written about it."""

    image: np.ndarray  # [H, W, 3] or [H, W] uint8, as the model saw it or the original
    words: list[str]  # one panel each
    attention: np.ndarray  # [len(words), rows * cols]
    grid: tuple[int, int]  # rows, cols
    title: str = ""


def _blur(values: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with edge padding (Pillow cannot blur float images)."""
    if sigma <= 0:
        return values
    radius = max(1, int(3 * sigma))
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    padded = np.pad(values, radius, mode="edge")
    rows = np.apply_along_axis(np.convolve, 1, padded, kernel, mode="valid")
    return np.apply_along_axis(np.convolve, 0, rows, kernel, mode="valid")


def attention_map(
    weights: np.ndarray, grid: tuple[int, int], size: tuple[int, int], smooth: float = 0.5
) -> np.ndarray:
    """Cell weights [rows * cols] as a [H, W] map in [0, 1], upsampled and smoothed.

    ``smooth`` is the Gaussian's sigma in cells; 0 keeps the bilinear upsampling
    only. Like the figures of Xu et al., each map is stretched from its own
    minimum to its maximum, so a word's most and least attended regions always
    differ; a perfectly even map is shown as all lit.
    """
    rows, cols = grid
    height, width = size
    cells = np.asarray(weights, dtype=np.float32).reshape(rows, cols)
    upsampled = np.asarray(
        Image.fromarray(cells, mode="F").resize((width, height), Image.Resampling.BILINEAR)
    )
    sigma = smooth * min(height / rows, width / cols)
    smoothed = _blur(upsampled, sigma)
    low, high = float(smoothed.min()), float(smoothed.max())
    if high - low <= 1e-6 * max(high, 1e-12):
        return np.ones_like(smoothed)
    return (smoothed - low) / (high - low)


def overlay(image: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """The image dimmed outside the attention and tinted inside it, RGB floats in [0, 1]."""
    rgb = np.asarray(image, dtype=np.float32) / 255.0
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    heat = heat[:, :, None]
    lit = rgb * (0.2 + 0.8 * heat)
    return np.clip((1 - 0.3 * heat) * lit + 0.3 * heat * _TINT, 0.0, 1.0)


def overlay_figure(rows: Sequence[OverlayRow], columns: int = 5, panel_width: float = 2.2):
    """A matplotlib figure: for each image, its words in lines of up to ``columns`` panels."""
    columns = max(1, min(columns, max((len(r.words) for r in rows), default=1)))
    blocks = [max(1, math.ceil(len(r.words) / columns)) for r in rows]
    # Each line of panels is as tall as its image needs, plus room for the words.
    heights = [
        panel_width * r.image.shape[0] / r.image.shape[1] + 0.6
        for r, block in zip(rows, blocks, strict=True)
        for _ in range(block)
    ]
    fig = plt.figure(figsize=(columns * panel_width, sum(heights)), dpi=100)
    grid = fig.add_gridspec(len(heights), columns, height_ratios=heights, hspace=0.3, wspace=0.05)
    line = 0
    for row, block in zip(rows, blocks, strict=True):
        height, width = row.image.shape[:2]
        for k, word in enumerate(row.words):
            ax = fig.add_subplot(grid[line + k // columns, k % columns])
            heat = attention_map(row.attention[k], row.grid, (height, width))
            ax.imshow(overlay(row.image, heat), interpolation="bilinear")
            ax.set_title(word, fontsize=11)
            ax.set_axis_off()
            if k == 0 and row.title:
                ax.text(0, -0.04, row.title, transform=ax.transAxes, fontsize=9, va="top")
        if not row.words:  # nothing was written: show the image, say so
            ax = fig.add_subplot(grid[line, 0])
            ax.imshow(row.image, cmap="gray" if row.image.ndim == 2 else None)
            ax.set_title("(empty caption)", fontsize=11)
            ax.set_axis_off()
        line += block
    return fig


def save_overlay(path: str | Path, rows: Sequence[OverlayRow], columns: int = 5) -> Path:
    """Write the figure (format from the suffix: png, svg, pdf, jpg)."""
    path = Path(path)
    fig = overlay_figure(rows, columns)
    fmt = path.suffix.lstrip(".").lower() or "png"
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, bbox_inches="tight"))
    finally:
        plt.close(fig)
    return path
