"""The encoder-decoder model: source ids in, next-word logits and attention out."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnseq.config import ModelConfig
from attnseq.models.alignment_head import AlignmentHead
from attnseq.models.cells import unit_layer_norms
from attnseq.models.conv_encoder import ConvEncoder
from attnseq.models.decoders import DECODERS as RNN_DECODERS
from attnseq.models.decoders import DecoderState
from attnseq.models.encoders import EncoderOutput, RNNEncoder
from attnseq.models.transformer import TransformerDecoder, TransformerEncoder

# Any encoder works with any decoder: they meet only in ``EncoderOutput``.
ENCODERS: dict[str, type[nn.Module]] = {
    "rnn": RNNEncoder,
    "cnn": ConvEncoder,
    "transformer": TransformerEncoder,
}
DECODERS: dict[str, type[nn.Module]] = {**RNN_DECODERS, "transformer": TransformerDecoder}


class Seq2Seq(nn.Module):
    """Encoder, attentional decoder, output layer (and, if configured, an alignment
    head), built from a ``ModelConfig``.

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
        self.encoder = ENCODERS[cfg.encoder.type](cfg.encoder, src_embed)
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
        self.alignment_head = (
            AlignmentHead(
                readout_size, cfg.embed_dim, self.encoder.output_size, cfg.decoder.hidden_size
            )
            if cfg.alignment_head
            else None
        )
        self._init_weights()
        if cfg.tie_embeddings:
            self.generator.weight = tgt_embed.weight

    def _init_weights(self) -> None:
        if self.cfg.init == "uniform":
            # Uniform +-0.1, as in Luong et al. and OpenNMT: learns fast for RNNs.
            for param in self.parameters():
                nn.init.uniform_(param, -self.cfg.init_scale, self.cfg.init_scale)
            unit_layer_norms(self)
        # Convolutional and Transformer parts bring their own initialisation: +-0.1
        # everywhere would, for one, zero their LayerNorms' gains.
        for module in self.modules():
            if hasattr(module, "init_parameters"):
                module.init_parameters()
        for module in self.modules():
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()

    def encode(self, src: Tensor, lengths: Tensor) -> EncoderOutput:
        return self.decoder.prepare(self.encoder(src, lengths))

    def init_state(self, enc: EncoderOutput) -> DecoderState:
        return self.decoder.init_state(enc)

    def select_attention(self, layer: int | None = None, head: int | None = None) -> str:
        """Choose the attention map that ``step`` and ``forward`` return; describe it.

        A Transformer decoder has one cross-attention map per layer and head
        (default: the last layer, averaged over heads); an RNN decoder has one.
        """
        select = getattr(self.decoder, "select_attention", None)
        if select is not None:
            return select(layer, head)
        if layer not in (None, 0, -1) or head not in (None, 0, -1):
            raise ValueError(
                f"the {self.cfg.decoder.type} decoder has a single attention map "
                "(one layer, one head); --layer and --head choose among a Transformer's"
            )
        return f"{self.cfg.decoder.attention} attention"

    def step(
        self, prev: Tensor, state: DecoderState, enc: EncoderOutput
    ) -> tuple[Tensor, DecoderState, Tensor]:
        """Logits [B, V] for the next word, the new state and attention [B, S]."""
        readout, state, attn = self.decoder.step(prev, state, enc)
        return self.generator(readout), state, attn

    def forward(
        self,
        src: Tensor,
        lengths: Tensor,
        tgt_in: Tensor,
        teacher_forcing: float = 1.0,
        tgt_out: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Logits [B, T, V] and attention [B, T, S] under (mostly) teacher forcing.

        Given ``tgt_out`` (the words each step writes), a model with an
        alignment head returns the head's alignment instead of the decoder's
        attention: what guided alignment trains and word alignment reads.
        """
        enc = self.encode(src, lengths)
        readouts, attn = self.decoder(
            tgt_in, enc, teacher_forcing, predict=lambda r: self.generator(r).argmax(-1)
        )
        if tgt_out is not None and self.alignment_head is not None:
            attn = self.alignment_head(readouts, self.decoder.embedding(tgt_out), enc)
        return self.generator(readouts), attn


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
