"""Extra loss terms on the attention weights."""

from __future__ import annotations

import torch
from torch import Tensor


def doubly_stochastic_penalty(attention: Tensor, tgt_mask: Tensor, src_lengths: Tensor) -> Tensor:
    """Show, Attend and Tell's regulariser, per example: ``sum_i (1 - sum_t a_ti)^2``.

    Attention sums to one over positions at every step by construction; this
    pushes it towards also summing to one over the steps for every position,
    so that each image cell (or source word) is looked at about once in the
    whole output instead of some never and others all the time.

    ``attention`` is [B, T, S]; ``tgt_mask`` [B, T] is true on real output
    steps (EOS included), and positions past ``src_lengths`` [B] are ignored.
    """
    totals = (attention * tgt_mask.unsqueeze(-1).to(attention.dtype)).sum(1)  # [B, S]
    positions = torch.arange(attention.size(-1), device=attention.device)
    src_mask = positions.unsqueeze(0) < src_lengths.unsqueeze(1)
    return ((1.0 - totals) ** 2 * src_mask.to(attention.dtype)).sum(-1)
