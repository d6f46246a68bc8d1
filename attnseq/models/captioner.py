"""The image captioner of Show, Attend and Tell, built from the translator's parts.

An :class:`ImageEncoder` takes the place of the RNN encoder; the attentional
decoder, the output layer and the ``encode``/``init_state``/``step``/
``forward`` interface are the translator's, so greedy and beam search, the
training loop and checkpoints work on captions unchanged. The "source
lengths" of an image batch are its number of grid cells.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnseq.config import ModelConfig
from attnseq.models.cells import unit_layer_norms
from attnseq.models.decoders import DECODERS, DecoderState
from attnseq.models.encoders import EncoderOutput
from attnseq.models.image_encoders import ImageEncoder
from attnseq.models.seq2seq import Seq2Seq


class CaptionModel(Seq2Seq):
    """Image encoder, attentional decoder (with the context gate) and output layer."""

    def __init__(
        self, cfg: ModelConfig, vocab_size: int, pad_id: int = 0, unk_id: int | None = None
    ):
        nn.Module.__init__(self)  # Seq2Seq's constructor builds a text encoder
        if cfg.image is None:
            raise ValueError("a caption model needs model.image settings")
        self.cfg = cfg
        self.pad_id = pad_id
        self.unk_id = unk_id
        embedding = nn.Embedding(vocab_size, cfg.embed_dim, padding_idx=pad_id)
        self.encoder = ImageEncoder(cfg.image)
        readout_size = cfg.embed_dim if cfg.tie_embeddings else cfg.decoder.hidden_size
        self.decoder = DECODERS[cfg.decoder.type](
            cfg.decoder,
            embedding,
            memory_size=self.encoder.output_size,
            summary_size=self.encoder.output_size,  # the mean cell starts the decoder
            readout_size=readout_size,
            bridge=cfg.bridge,
            context_gate=cfg.image.context_gate,
        )
        self.generator = nn.Linear(readout_size, vocab_size)
        self.alignment_head = None  # aligns words with words: text models only
        self._init_weights()
        if cfg.tie_embeddings:
            self.generator.weight = embedding.weight

    @property
    def grid(self) -> tuple[int, int]:
        """Rows and columns of attention cells for the configured image size."""
        return self.encoder.grid

    @property
    def cells(self) -> int:
        return self.grid[0] * self.grid[1]

    def _init_weights(self) -> None:
        # The uniform init suits the recurrent decoder, not convolutions or pretrained weights.
        if self.cfg.init == "uniform":
            for module in (self.decoder, self.generator):
                for param in module.parameters():
                    nn.init.uniform_(param, -self.cfg.init_scale, self.cfg.init_scale)
            unit_layer_norms(self.decoder)
        with torch.no_grad():
            self.decoder.embedding.weight[self.pad_id].zero_()
            if self.decoder.gate is not None:
                # Start with the gate open (sigmoid(3) = 0.95): a half-shut gate early on
                # learns to shut out the still uninformative picture, and learning stalls.
                self.decoder.gate.bias.fill_(3.0)

    def encode(self, src: Tensor, lengths: Tensor | None = None) -> EncoderOutput:
        """``src``: images [B, C, H, W] in [-1, 1], or the backbone's features."""
        return self.decoder.prepare(self.encoder(src))

    def step(
        self, prev: Tensor, state: DecoderState, enc: EncoderOutput
    ) -> tuple[Tensor, DecoderState, Tensor]:
        """As the translator's, but a written caption never says ``unk_id``: with a small
        training set many rare words share that token, and it would win far too often."""
        logits, state, attn = super().step(prev, state, enc)
        if self.unk_id is not None and not self.training:
            unk = torch.tensor([self.unk_id], device=logits.device)
            logits = logits.index_fill(-1, unk, float("-inf"))
        return logits, state, attn
