"""The encoder-decoder model: source ids in, next-word logits and attention out."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnseq.config import ModelConfig
from attnseq.models.decoders import DECODERS, DecoderState
from attnseq.models.encoders import EncoderOutput, RNNEncoder


class Seq2Seq(nn.Module):
    """Encoder, attentional decoder and output layer, built from a ``ModelConfig``.

    Search code talks to it through ``encode``, ``init_state`` and ``step``;
    training calls ``forward`` on whole batches.
    """

    def __init__(self, cfg: ModelConfig, src_vocab_size: int, tgt_vocab_size: int, pad_id: int = 0):
        super().__init__()
        self.cfg = cfg
        self.pad_id = pad_id
        src_embed = nn.Embedding(src_vocab_size, cfg.embed_dim, padding_idx=pad_id)
        if cfg.share_embeddings:
            if src_vocab_size != tgt_vocab_size:
                raise ValueError("shared embeddings need one vocabulary for both sides")
            tgt_embed = src_embed
        else:
            tgt_embed = nn.Embedding(tgt_vocab_size, cfg.embed_dim, padding_idx=pad_id)
        self.encoder = RNNEncoder(cfg.encoder, src_embed)
        readout_size = cfg.embed_dim if cfg.tie_embeddings else cfg.decoder.hidden_size
        self.decoder = DECODERS[cfg.decoder.type](
            cfg.decoder,
            tgt_embed,
            memory_size=self.encoder.output_size,
            summary_size=self.encoder.output_size,
            readout_size=readout_size,
            bridge=cfg.bridge,
        )
        self.generator = nn.Linear(readout_size, tgt_vocab_size)
        self._init_weights()
        if cfg.tie_embeddings:
            self.generator.weight = tgt_embed.weight

    def _init_weights(self) -> None:
        if self.cfg.init == "uniform":
            # Uniform +-0.1, as in Luong et al. and OpenNMT: learns fast for RNNs.
            for param in self.parameters():
                nn.init.uniform_(param, -self.cfg.init_scale, self.cfg.init_scale)
        for module in self.modules():
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()

    def encode(self, src: Tensor, lengths: Tensor) -> EncoderOutput:
        return self.decoder.prepare(self.encoder(src, lengths))

    def init_state(self, enc: EncoderOutput) -> DecoderState:
        return self.decoder.init_state(enc)

    def step(
        self, prev: Tensor, state: DecoderState, enc: EncoderOutput
    ) -> tuple[Tensor, DecoderState, Tensor]:
        """Logits [B, V] for the next word, the new state and attention [B, S]."""
        readout, state, attn = self.decoder.step(prev, state, enc)
        return self.generator(readout), state, attn

    def forward(
        self, src: Tensor, lengths: Tensor, tgt_in: Tensor, teacher_forcing: float = 1.0
    ) -> tuple[Tensor, Tensor]:
        """Logits [B, T, V] and attention [B, T, S] under (mostly) teacher forcing."""
        enc = self.encode(src, lengths)
        readouts, attn = self.decoder(
            tgt_in, enc, teacher_forcing, predict=lambda r: self.generator(r).argmax(-1)
        )
        return self.generator(readouts), attn


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
