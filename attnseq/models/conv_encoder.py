"""A convolutional text encoder, after Gehring et al. (2017), "Convolutional Sequence to
Sequence Learning".

Token embeddings plus learned (or sinusoidal) positions are projected to
``hidden_size`` channels and pass through ``layers`` 1-D convolutions. Each
convolution doubles the channels and a gated linear unit (GLU) halves them
again, ``A * sigmoid(B)``: the gate decides what passes, which keeps
gradients flowing through deep stacks the way an LSTM's gates do. Residual
connections scaled by ``sqrt(0.5)`` keep the variance of the sum steady.

Every layer sees ``kernel_size`` neighbours, so a stack of L layers reads
``L * (kernel_size - 1) + 1`` tokens around each position, all positions at
once rather than one after another as an RNN must.

Like Gehring et al., who attend with the convolution output but take the
values from its sum with the input embedding, each returned state is
``(z + e) * sqrt(0.5)``: the context it gives the decoder keeps the word
itself as well as what the convolutions made of its surroundings. One state
per source position is all an attentional RNN decoder needs.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from attnseq.config import EncoderConfig
from attnseq.models.encoders import EncoderOutput
from attnseq.models.positions import build_positions, masked_mean, padding_mask


class ConvEncoder(nn.Module):
    def __init__(self, cfg: EncoderConfig, embedding: nn.Embedding):
        super().__init__()
        if cfg.kernel_size % 2 == 0:
            raise ValueError("model.encoder.kernel_size must be odd (centred on each position)")
        self.cfg = cfg
        self.embedding = embedding
        embed_dim = embedding.embedding_dim
        self.positions = build_positions(
            cfg.positions, embed_dim, cfg.max_positions, "model.encoder"
        )
        self.dropout = nn.Dropout(cfg.dropout)
        self.to_hidden = nn.Linear(embed_dim, cfg.hidden_size)
        self.convs = nn.ModuleList(
            nn.Conv1d(
                cfg.hidden_size, 2 * cfg.hidden_size, cfg.kernel_size, padding=cfg.kernel_size // 2
            )
            for _ in range(cfg.layers)
        )
        self.output_size = cfg.hidden_size

    def init_parameters(self) -> None:
        """Gehring et al.'s initialisation: keeps activations' variance through GLU layers."""
        keep = 1.0 - self.cfg.dropout
        nn.init.normal_(self.to_hidden.weight, std=math.sqrt(keep / self.to_hidden.in_features))
        nn.init.zeros_(self.to_hidden.bias)
        for conv in self.convs:
            fan_in = conv.in_channels * conv.kernel_size[0]
            nn.init.normal_(conv.weight, std=math.sqrt(4.0 * keep / fan_in))
            nn.init.zeros_(conv.bias)

    def forward(self, src: Tensor, lengths: Tensor) -> EncoderOutput:
        mask = padding_mask(lengths, src.size(1))
        keep = mask.unsqueeze(-1)
        embedded = self.embedding(src) + self.positions(src.size(1))
        e = self.to_hidden(self.dropout(embedded))
        x = e
        for conv in self.convs:
            # Zero the padding before every convolution: a real position then sees the
            # same zeros past the sentence's end as it would without the batch's padding.
            h = self.dropout(x.masked_fill(~keep, 0.0))
            h = F.glu(conv(h.transpose(1, 2)), dim=1).transpose(1, 2)
            x = (h + x) * math.sqrt(0.5)
        states = ((x + e) * math.sqrt(0.5)).masked_fill(~keep, 0.0)
        return EncoderOutput(states=states, mask=mask, summary=masked_mean(states, mask))
