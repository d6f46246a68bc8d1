"""An attention layer for word alignment alone, which knows the word it aligns.

The decoder attends at step t in order to *predict* target word t, so as a
word aligner its attention has to guess which word comes next, and guided
alignment asks it to point at that word's source before knowing it. This head
looks again at the source with the step's readout *and* the embedding of the
word written there (Garg et al. (2019) give their alignment layer the whole
target for the same reason). It never feeds the translation: it learns from
guided alignment only, and the translation's logits are the same with or
without it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnseq.models.attention import GeneralAttention
from attnseq.models.encoders import EncoderOutput


class AlignmentHead(nn.Module):
    """``softmax_s(tanh(W [r_t; e(y_t)])^T U h_s)``: row t aligns target token t."""

    def __init__(self, readout_size: int, embed_dim: int, memory_size: int, hidden_size: int):
        super().__init__()
        self.query = nn.Linear(readout_size + embed_dim, hidden_size)
        self.attention = GeneralAttention(hidden_size, memory_size)

    def forward(self, readouts: Tensor, words: Tensor, enc: EncoderOutput) -> Tensor:
        """Alignment weights [B, T, S] from readouts [B, T, R] and target embeddings [B, T, E]."""
        query = torch.tanh(self.query(torch.cat([readouts, words], -1)))
        keys = self.attention.prepare(enc.states)
        _, weights = self.attention(query, keys, enc.states, enc.mask)
        return weights
