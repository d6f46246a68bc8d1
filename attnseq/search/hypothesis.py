"""A finished output sequence with its score and attention."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class Hypothesis:
    tokens: list[int]  # output ids, without BOS and EOS
    score: float  # total log-probability (including EOS when emitted)
    attention: Tensor  # [steps, source length]: one row per emitted token, EOS included
    normalized: float = 0.0  # score used for ranking (length-normalised in beam search)


def max_lengths(
    src_lengths: Tensor, ratio: float, extra: int = 5, cap: int | None = None
) -> Tensor:
    """Output length cap per sentence: relative to its source length, or ``cap`` for all.

    A fixed cap suits conversation, where an answer's length has little to do
    with the length of what was said before.
    """
    if cap is not None:
        return torch.full_like(src_lengths, cap)
    return (src_lengths.float() * ratio).long() + extra


def trim(attention: Tensor, src_len: int) -> Tensor:
    return attention[:, :src_len].detach().to("cpu", torch.float32)
