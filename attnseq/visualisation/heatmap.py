"""The alignment heatmap of Bahdanau et al. (2015), figure 3.

Source tokens run across the top, output tokens down the side, and each
cell's shade is the weight the decoder gave that source token while writing
that output token. Brighter is more attention.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from attnseq.atomic import atomic_write, atomic_write_text  # noqa: E402

FORMATS = ("png", "svg", "json")


def _label(piece: str) -> str:
    """Show sentencepiece's word-start mark as nothing, keep the rest readable."""
    return piece.replace("\u2581", "") or "\u2581"


def heatmap_figure(src_tokens: Sequence[str], out_tokens: Sequence[str], weights, title: str = ""):
    weights = np.asarray(weights, dtype=np.float32)
    rows, cols = weights.shape
    fig, ax = plt.subplots(
        figsize=(max(3.0, 0.45 * cols + 1.5), max(2.5, 0.4 * rows + 1.2)), dpi=100
    )
    ax.imshow(weights, cmap="gray", vmin=0.0, vmax=max(float(weights.max()), 1e-6), aspect="equal")
    ax.set_xticks(range(cols), [_label(t) for t in src_tokens], rotation=90)
    ax.set_yticks(range(rows), [_label(t) for t in out_tokens])
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    if title:
        ax.set_title(title, fontsize=9, pad=12)
    fig.tight_layout()
    return fig


def save_heatmap(
    path: str | Path,
    src_tokens: Sequence[str],
    out_tokens: Sequence[str],
    weights,
    fmt: str | None = None,
    title: str = "",
) -> Path:
    """Write the heatmap as PNG, SVG or JSON (chosen by ``fmt`` or the file suffix)."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "png").lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown heatmap format {fmt!r}; choose one of {', '.join(FORMATS)}")
    weights = np.asarray(weights, dtype=np.float32)
    if weights.shape != (len(out_tokens), len(src_tokens)):
        raise ValueError(
            f"attention shape {weights.shape} does not match "
            f"{len(out_tokens)} output x {len(src_tokens)} source tokens"
        )
    if fmt == "json":
        doc = {
            "src_tokens": list(src_tokens),
            "out_tokens": list(out_tokens),
            "attention": np.round(weights, 5).tolist(),
        }
        atomic_write_text(path, json.dumps(doc, ensure_ascii=False) + "\n")
        return path
    fig = heatmap_figure(src_tokens, out_tokens, weights, title)
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt))
    finally:
        plt.close(fig)
    return path
