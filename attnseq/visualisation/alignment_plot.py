"""Heatmaps that tell the alignment story.

* gold links over attention: for a sentence pair with a gold alignment, each
  sure link gets a solid frame and each possible link a dashed one, and the
  links the aligner chose get a dot, so agreement and mistakes show at once;
* n-best side by side: the attention of each hypothesis of a beam, so one
  sees where competing translations looked differently.

Rows are what was written (target), columns what was read (source), as in
``attnseq.visualisation.heatmap``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from attnseq.alignment.files import GoldLinks, Link  # noqa: E402
from attnseq.atomic import atomic_write  # noqa: E402
from attnseq.visualisation.heatmap import _label  # noqa: E402


@dataclass
class Panel:
    """One heatmap: labels, weights [rows, columns] and optional links to draw."""

    src_tokens: Sequence[str]
    out_tokens: Sequence[str]
    weights: np.ndarray
    title: str = ""
    gold: GoldLinks | None = None
    links: Iterable[Link] = ()  # (source column, target row) of the chosen alignment


def _draw(ax, panel: Panel) -> None:
    weights = np.asarray(panel.weights, dtype=np.float32)
    rows, cols = weights.shape
    ax.imshow(weights, cmap="gray", vmin=0.0, vmax=max(float(weights.max(initial=0)), 1e-6))
    ax.set_xticks(range(cols), [_label(t) for t in panel.src_tokens], rotation=90)
    ax.set_yticks(range(rows), [_label(t) for t in panel.out_tokens])
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    if panel.gold is not None:
        for i, j in panel.gold.possible - panel.gold.sure:
            ax.add_patch(
                Rectangle((i - 0.45, j - 0.45), 0.9, 0.9, fill=False, ec="#4a90d9", ls="--", lw=1)
            )
        for i, j in panel.gold.sure:
            ax.add_patch(
                Rectangle((i - 0.45, j - 0.45), 0.9, 0.9, fill=False, ec="#e8452c", lw=1.6)
            )
    for i, j in panel.links:
        ax.plot(i, j, "o", ms=3.5, color="#f5c211")
    if panel.title:
        ax.set_title(panel.title, fontsize=9, pad=12)


def panels_figure(panels: Sequence[Panel], legend: bool = False):
    """Panels side by side, each sized to its sentence."""
    widths = [max(2.5, 0.4 * len(p.src_tokens) + 1.5) for p in panels]
    height = max(max(2.5, 0.38 * len(p.out_tokens) + 1.6) for p in panels)
    fig, axes = plt.subplots(
        1, len(panels), figsize=(sum(widths), height), dpi=100, width_ratios=widths, squeeze=False
    )
    for ax, panel in zip(axes[0], panels, strict=True):
        _draw(ax, panel)
    if legend:
        fig.text(
            0.01,
            0.01,
            "red frame: sure gold link   blue dashed: possible   yellow dot: attention's link",
            fontsize=8,
        )
    fig.tight_layout()
    return fig


def save_panels(path: str | Path, panels: Sequence[Panel], legend: bool = False) -> Path:
    """Write the panels as PNG or SVG (by suffix)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg"):
        raise ValueError(f"{path}: heatmaps are written as .png or .svg")
    fig = panels_figure(panels, legend)
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt))
    finally:
        plt.close(fig)
    return path
