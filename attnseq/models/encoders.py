"""Encoders: one hidden state per source position, for the decoder to attend over.

Every encoder returns an :class:`EncoderOutput`. The decoder only needs the
per-position ``states``, the padding ``mask`` and a ``summary`` vector for its
initial state, so a recurrent, convolutional or image encoder can stand in
for one another.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from attnseq.config import EncoderConfig


@dataclass
class EncoderOutput:
    """Batch-first tensors describing the encoded source.

    ``keys`` holds the attention's per-sentence projection of ``states``
    (computed once, reused at every decoder step).
    """

    states: Tensor  # [B, S, H]
    mask: Tensor  # [B, S], true on real positions
    summary: Tensor  # [B, H_summary], initialises the decoder
    keys: Tensor | None = None

    def index_select(self, index: Tensor) -> EncoderOutput:
        """Reorder or repeat sentences (beam search expands each one k times)."""
        return replace(
            self,
            **{
                f.name: getattr(self, f.name).index_select(0, index)
                for f in fields(self)
                if getattr(self, f.name) is not None
            },
        )


def rnn_class(cell: str) -> type[nn.RNNBase]:
    return nn.LSTM if cell == "lstm" else nn.GRU


class RNNEncoder(nn.Module):
    """Embeddings, then a (bi)directional GRU or LSTM over packed sequences."""

    def __init__(self, cfg: EncoderConfig, embedding: nn.Embedding):
        super().__init__()
        self.embedding = embedding
        self.dropout = nn.Dropout(cfg.dropout)
        self.rnn = rnn_class(cfg.cell)(
            embedding.embedding_dim,
            cfg.hidden_size,
            num_layers=cfg.layers,
            batch_first=True,
            bidirectional=cfg.bidirectional,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
        )
        self.directions = 2 if cfg.bidirectional else 1
        self.output_size = cfg.hidden_size * self.directions
        # Layer normalisation around the fused RNN (it has no hook inside).
        self.norm = nn.LayerNorm(self.output_size) if cfg.layer_norm else nn.Identity()

    def forward(self, src: Tensor, lengths: Tensor) -> EncoderOutput:
        embedded = self.dropout(self.embedding(src))
        packed = pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        outputs, final = self.rnn(packed)
        states, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.size(1))
        hidden = final[0] if isinstance(final, tuple) else final  # [layers*dirs, B, H]
        # The top layer's last state in each direction summarises the sentence.
        top = hidden[-self.directions :].transpose(0, 1).reshape(src.size(0), -1)
        mask = torch.arange(src.size(1), device=src.device)[None, :] < lengths[:, None]
        return EncoderOutput(states=self.dropout(self.norm(states)), mask=mask, summary=top)
