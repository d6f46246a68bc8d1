"""Positions: where each token stands, and which positions are real.

A convolution or self-attention layer treats its input as a set unless told
where each token stands, so these models add a position vector to every
embedding. Two kinds, one interface, ``positions(length, offset) -> [length, D]``:

* ``sinusoidal`` (Vaswani et al. 2017): fixed sines and cosines of
  geometrically spaced frequencies; no parameters, any length;
* ``learned`` (Gehring et al. 2017): one trained vector per position up to
  ``max_positions``.

``offset`` is where the slice starts, so incremental decoding can ask for the
vector of step ``t`` alone. The padding helpers below serve every encoder
that returns a state for padded positions too.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

POSITION_KINDS = ("sinusoidal", "learned")


class SinusoidalPositions(nn.Module):
    """``sin(p / 10000^(2i/D))`` in the first half of the vector, ``cos`` in the second."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        # Not saved in checkpoints: it is a function of the position, rebuilt on demand.
        self.register_buffer("table", self._table(64), persistent=False)

    def _table(self, length: int) -> Tensor:
        half = self.dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        angles = torch.arange(length, dtype=torch.float32)[:, None] * freqs[None, :]
        table = torch.cat([angles.sin(), angles.cos()], dim=1)
        if self.dim % 2:
            table = torch.cat([table, torch.zeros(length, 1)], dim=1)
        return table

    def forward(self, length: int, offset: int = 0) -> Tensor:
        end = offset + length
        if end > self.table.size(0):
            # Translation runs under inference mode, whose tensors autograd refuses:
            # a table grown there must still serve the training steps after it.
            with torch.inference_mode(False):
                grown = max(end, 2 * self.table.size(0))
                self.table = self._table(grown).to(self.table.device)
        return self.table[offset:end]


class LearnedPositions(nn.Module):
    """One trained vector per position; longer inputs are an error naming the config key."""

    def __init__(self, dim: int, max_positions: int, config_key: str):
        super().__init__()
        self.embedding = nn.Embedding(max_positions, dim)
        self.config_key = config_key

    def init_parameters(self) -> None:
        nn.init.normal_(self.embedding.weight, std=self.embedding.embedding_dim**-0.5)

    def forward(self, length: int, offset: int = 0) -> Tensor:
        end = offset + length
        limit = self.embedding.num_embeddings
        if end > limit:
            raise ValueError(
                f"a sequence of {end} tokens is longer than {self.config_key}.max_positions "
                f"({limit}) of learned positions; use positions: sinusoidal or a larger limit"
            )
        index = torch.arange(offset, end, device=self.embedding.weight.device)
        return self.embedding(index)


def build_positions(kind: str, dim: int, max_positions: int, config_key: str) -> nn.Module:
    if kind == "sinusoidal":
        return SinusoidalPositions(dim)
    if kind == "learned":
        return LearnedPositions(dim, max_positions, config_key)
    raise ValueError(f"unknown positions {kind!r}; choose one of {POSITION_KINDS}")


def padding_mask(lengths: Tensor, length: int) -> Tensor:
    """``[B, S]``, true on real positions."""
    return torch.arange(length, device=lengths.device)[None, :] < lengths[:, None]


def masked_mean(states: Tensor, mask: Tensor) -> Tensor:
    """Average of the real positions: a sentence summary for an RNN decoder's first state."""
    weights = mask.unsqueeze(-1).to(states.dtype)
    return (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
