"""Attention: where the decoder looks.

Every kind shares one interface so decoders, search and visualisation never
care which one is used::

    keys = attn.prepare(memory)                       # once per sentence
    context, weights = attn(query, keys, memory, mask)

``prepare`` exists because the key side of the score does not depend on the
decoder step: Bahdanau's ``U k`` or Luong's ``W k`` is computed once per
sentence instead of once per output word. ``query`` is ``[B, H]`` for one step
or ``[B, T, H]`` for a whole target sequence at once (Luong without input
feeding); the outputs follow the same shape. ``mask`` is ``[B, S]`` and true on
real source positions: padding gets exactly zero weight.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

ATTENTION_KINDS = ("additive", "general", "dot", "scaled_dot")
NO_ATTENTION = "none"  # the baseline; not an attention kind, its weights are all zero


class Attention(nn.Module):
    """Base class: subclasses define ``prepare`` and ``score``."""

    def prepare(self, memory: Tensor) -> Tensor:
        return memory

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """Unnormalised scores ``[B, T, S]`` for queries ``[B, T, Hq]``."""
        raise NotImplementedError

    def forward(
        self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        single_step = query.dim() == 2
        if single_step:
            query = query.unsqueeze(1)
        scores = self.score(query, keys).masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights, values)
        if single_step:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


class AdditiveAttention(Attention):
    """Bahdanau et al. (2015): ``v^T tanh(W q + U k)``."""

    def __init__(self, query_size: int, key_size: int, hidden_size: int):
        super().__init__()
        self.query_proj = nn.Linear(query_size, hidden_size, bias=False)
        self.key_proj = nn.Linear(key_size, hidden_size, bias=False)
        self.v = nn.Linear(hidden_size, 1, bias=False)

    def prepare(self, memory: Tensor) -> Tensor:
        return self.key_proj(memory)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        # [B, T, 1, H] + [B, 1, S, H] -> [B, T, S]
        hidden = torch.tanh(self.query_proj(query).unsqueeze(2) + keys.unsqueeze(1))
        return self.v(hidden).squeeze(-1)


class GeneralAttention(Attention):
    """Luong et al. (2015) "general": ``q^T W k``, with ``W k`` prepared once."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        self.key_proj = nn.Linear(key_size, query_size, bias=False)

    def prepare(self, memory: Tensor) -> Tensor:
        return self.key_proj(memory)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        return torch.bmm(query, keys.transpose(1, 2))


class DotAttention(Attention):
    """Luong "dot": ``q^T k``; query and key sizes must match."""

    scale = 1.0

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        return torch.bmm(query, keys.transpose(1, 2)) * self.scale


class ScaledDotAttention(DotAttention):
    """Vaswani et al. (2017): ``q^T k / sqrt(d)`` keeps softmax out of saturation."""

    def __init__(self, size: int):
        super().__init__()
        self.scale = 1.0 / math.sqrt(size)


class NoAttention(Attention):
    """The no-attention baseline: a zero context and zero weights.

    The decoder keeps its shape (so a baseline has the same layer sizes as
    the attentional model it is compared with), but no information flows
    from the source positions; only the bridged initial state carries the
    source, as in Sutskever et al. (2014). Zero weights, not uniform ones, so
    nothing downstream can mistake them for attention.
    """

    def forward(
        self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        shape = query.shape[:-1]
        context = values.new_zeros(*shape, values.size(-1))
        weights = values.new_zeros(*shape, values.size(1))
        return context, weights


def build_attention(kind: str, query_size: int, key_size: int, hidden_size: int) -> Attention:
    if kind == "additive":
        return AdditiveAttention(query_size, key_size, hidden_size)
    if kind == "general":
        return GeneralAttention(query_size, key_size)
    if kind in ("dot", "scaled_dot"):
        if query_size != key_size:
            raise ValueError(
                f"{kind} attention needs equal query and key sizes, got {query_size} and {key_size}"
            )
        return DotAttention() if kind == "dot" else ScaledDotAttention(key_size)
    if kind == NO_ATTENTION:
        return NoAttention()
    raise ValueError(f"unknown attention kind {kind!r}; choose one of {ATTENTION_KINDS}")
