"""Attentional RNN decoders in the two classic forms, and Nematus's conditional GRU.

Both expose the same two entry points:

* ``forward(tgt_in, enc, ...)`` for training, returning readout vectors and
  attention weights for every target position;
* ``step(prev_tokens, state, enc)`` for search, one output word at a time.

A decoder state is a dict of batch-first tensors, so search can reorder or
expand it for beams without knowing what is inside.

Bahdanau et al. (2015) attend from the *previous* state and feed the context
into the recurrent step. Luong et al. (2015) attend from the *new* state and
combine ``tanh(W_c [c; h])`` into an attentional vector; with input feeding
that vector also enters the next step. Without input feeding nothing couples
the steps except the RNN itself, so training runs the RNN over the whole
target in one fused call and attends for all positions at once.

The conditional GRU (Sennrich et al. 2017, the decoder of the best WMT17
multimodal systems) attends *between* two transitions of one step: the first
reads the previous word, the attention query is its result, and the second
transition reads the context.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from attnseq.config import DecoderConfig
from attnseq.models.attention import build_attention
from attnseq.models.cells import LayerNormGRUCell
from attnseq.models.encoders import EncoderOutput, rnn_class

DecoderState = dict[str, Tensor]
Predict = Callable[[Tensor], Tensor]  # readout [B, R] -> next token ids [B]


class RNNDecoder(nn.Module):
    """Shared parts: embedding, RNN stack, attention, bridge and state handling."""

    def __init__(
        self,
        cfg: DecoderConfig,
        embedding: nn.Embedding,
        memory_size: int,
        summary_size: int,
        readout_size: int,
        bridge: bool,
        context_gate: bool = False,
    ):
        super().__init__()
        self.cfg = cfg
        self.readout_size = readout_size
        self.embedding = embedding
        self.dropout = nn.Dropout(cfg.dropout)
        self.rnn = rnn_class(cfg.cell)(
            self.rnn_input_size(embedding.embedding_dim, memory_size),
            cfg.hidden_size,
            num_layers=cfg.layers,
            batch_first=True,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
        )
        self.attention = build_attention(
            cfg.attention, cfg.hidden_size, memory_size, cfg.attention_size
        )
        self.bridge = nn.Linear(summary_size, cfg.hidden_size) if bridge else None
        # Show, Attend and Tell's gating scalar: how much of the context this word uses.
        self.gate = nn.Linear(cfg.hidden_size, 1) if context_gate else None
        self.is_lstm = cfg.cell == "lstm"

    def rnn_input_size(self, embed_dim: int, memory_size: int) -> int:
        """What each step feeds the RNN; the two decoder forms differ here."""
        raise NotImplementedError

    # -- state ---------------------------------------------------------------

    def prepare(self, enc: EncoderOutput) -> EncoderOutput:
        """Project the attention keys once per sentence."""
        enc.keys = self.attention.prepare(enc.states)
        return enc

    def init_state(self, enc: EncoderOutput) -> DecoderState:
        batch = enc.states.size(0)
        if self.bridge is not None:
            first = torch.tanh(self.bridge(enc.summary))
        else:
            first = enc.states.new_zeros(batch, self.cfg.hidden_size)
        state = {"hidden": first.unsqueeze(1).repeat(1, self.cfg.layers, 1).contiguous()}
        if self.is_lstm:
            state["cell"] = torch.zeros_like(state["hidden"])
        return state

    def _rnn(self, inputs: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState]:
        """Run the RNN over ``inputs`` [B, T, I] from ``state``."""
        hidden = state["hidden"].transpose(0, 1).contiguous()
        if self.is_lstm:
            outputs, (h, c) = self.rnn(inputs, (hidden, state["cell"].transpose(0, 1).contiguous()))
            new = {"hidden": h.transpose(0, 1), "cell": c.transpose(0, 1)}
        else:
            outputs, h = self.rnn(inputs, hidden)
            new = {"hidden": h.transpose(0, 1)}
        return outputs, new

    def _attend(self, query: Tensor, enc: EncoderOutput) -> tuple[Tensor, Tensor]:
        assert enc.keys is not None, "call decoder.prepare(enc) first"
        context, weights = self.attention(query, enc.keys, enc.states, enc.mask)
        if self.gate is not None:
            context = context * torch.sigmoid(self.gate(query))
        return context, weights

    # -- training ------------------------------------------------------------

    def forward(
        self,
        tgt_in: Tensor,
        enc: EncoderOutput,
        teacher_forcing: float = 1.0,
        predict: Predict | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Readouts [B, T, R] and attention [B, T, S] for every target position.

        With ``teacher_forcing`` below one, each position's input is, with that
        probability, the reference word and otherwise the model's own previous
        prediction (``predict`` maps a readout to token ids).
        """
        state = self.init_state(enc)
        readouts, weights = [], []
        prev = tgt_in[:, 0]
        for t in range(tgt_in.size(1)):
            if t > 0:
                prev = tgt_in[:, t]
                if teacher_forcing < 1.0 and predict is not None:
                    own = predict(readouts[-1].detach())
                    use_ref = torch.rand(prev.shape, device=prev.device) < teacher_forcing
                    prev = torch.where(use_ref, prev, own)
            readout, state, attn = self.step(prev, state, enc)
            readouts.append(readout)
            weights.append(attn)
        return torch.stack(readouts, 1), torch.stack(weights, 1)

    def step(
        self, prev: Tensor, state: DecoderState, enc: EncoderOutput
    ) -> tuple[Tensor, DecoderState, Tensor]:
        raise NotImplementedError


class BahdanauDecoder(RNNDecoder):
    """Attend from the previous state; the context enters the RNN step."""

    def rnn_input_size(self, embed_dim: int, memory_size: int) -> int:
        return embed_dim + memory_size

    def __init__(self, cfg: DecoderConfig, embedding: nn.Embedding, memory_size: int, **kwargs):
        super().__init__(cfg, embedding, memory_size, **kwargs)
        readout_in = cfg.hidden_size + memory_size + embedding.embedding_dim
        self.readout = nn.Linear(readout_in, self.readout_size)
        self.norm = nn.LayerNorm(cfg.hidden_size) if cfg.layer_norm else nn.Identity()

    def step(self, prev, state, enc):
        embedded = self.dropout(self.embedding(prev))
        context, attn = self._attend(self.norm(state["hidden"][:, -1]), enc)
        output, state = self._rnn(torch.cat([embedded, context], -1).unsqueeze(1), state)
        output = self.norm(output.squeeze(1))
        readout = torch.tanh(self.readout(torch.cat([output, context, embedded], -1)))
        return self.dropout(readout), state, attn


class LuongDecoder(RNNDecoder):
    """Attend from the new state; ``tanh(W_c [c; h])`` is the attentional vector."""

    def rnn_input_size(self, embed_dim: int, memory_size: int) -> int:
        return embed_dim + (self.readout_size if self.cfg.input_feeding else 0)

    def __init__(self, cfg: DecoderConfig, embedding: nn.Embedding, memory_size: int, **kwargs):
        super().__init__(cfg, embedding, memory_size, **kwargs)
        self.combine = nn.Linear(memory_size + cfg.hidden_size, self.readout_size)
        self.norm = nn.LayerNorm(cfg.hidden_size) if cfg.layer_norm else nn.Identity()

    def init_state(self, enc):
        state = super().init_state(enc)
        if self.cfg.input_feeding:
            state["feed"] = enc.states.new_zeros(enc.states.size(0), self.readout_size)
        return state

    def _readout(self, output: Tensor, enc: EncoderOutput) -> tuple[Tensor, Tensor]:
        output = self.norm(output)
        context, attn = self._attend(output, enc)
        return self.dropout(torch.tanh(self.combine(torch.cat([context, output], -1)))), attn

    def step(self, prev, state, enc):
        embedded = self.dropout(self.embedding(prev))
        if self.cfg.input_feeding:
            embedded = torch.cat([embedded, state["feed"]], -1)
        output, new_state = self._rnn(embedded.unsqueeze(1), state)
        readout, attn = self._readout(output.squeeze(1), enc)
        if self.cfg.input_feeding:
            new_state["feed"] = readout
        return readout, new_state, attn

    def forward(self, tgt_in, enc, teacher_forcing=1.0, predict=None):
        if self.cfg.input_feeding or teacher_forcing < 1.0:
            return super().forward(tgt_in, enc, teacher_forcing, predict)
        # No step depends on an earlier readout: one fused RNN call, one attention call.
        outputs, _ = self._rnn(self.dropout(self.embedding(tgt_in)), self.init_state(enc))
        return self._readout(outputs, enc)


class ConditionalDecoder(RNNDecoder):
    """``s' = RNN_1(y, s)``, ``c = attend(s')``, ``s = RNN_2(c, s')``; one layer.

    Against Bahdanau's form the query already knows the previous word, and
    against Luong's the context still changes the state that the next step
    starts from. The readout is Nematus's: ``tanh(W [s; c; y])``.
    """

    def rnn_input_size(self, embed_dim: int, memory_size: int) -> int:
        return embed_dim

    def __init__(self, cfg: DecoderConfig, embedding: nn.Embedding, memory_size: int, **kwargs):
        super().__init__(cfg, embedding, memory_size, **kwargs)
        if cfg.layer_norm:  # Nematus's layer-normalised transitions (GRU only)
            self.rnn = LayerNormGRUCell(embedding.embedding_dim, cfg.hidden_size)
            self.second = LayerNormGRUCell(memory_size, cfg.hidden_size)
        else:
            cell = nn.LSTMCell if self.is_lstm else nn.GRUCell
            self.second = cell(memory_size, cfg.hidden_size)
        readout_in = cfg.hidden_size + memory_size + embedding.embedding_dim
        self.readout = nn.Linear(readout_in, self.readout_size)

    def _first(self, embedded: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState]:
        """The first transition: its output [B, H] and the state after it."""
        if self.cfg.layer_norm:
            hidden = self.rnn(embedded, state["hidden"][:, 0])
            return hidden, {"hidden": hidden.unsqueeze(1)}
        first, middle = self._rnn(embedded.unsqueeze(1), state)
        return first.squeeze(1), middle

    def step(self, prev, state, enc):
        embedded = self.dropout(self.embedding(prev))
        first, middle = self._first(embedded, state)
        context, attn = self._attend(first, enc)
        if self.is_lstm:
            hidden, cell = self.second(context, (middle["hidden"][:, 0], middle["cell"][:, 0]))
            new = {"hidden": hidden.unsqueeze(1), "cell": cell.unsqueeze(1)}
        else:
            hidden = self.second(context, middle["hidden"][:, 0])
            new = {"hidden": hidden.unsqueeze(1)}
        readout = torch.tanh(self.readout(torch.cat([hidden, context, embedded], -1)))
        return self.dropout(readout), new, attn


DECODERS: dict[str, type[RNNDecoder]] = {
    "bahdanau": BahdanauDecoder,
    "luong": LuongDecoder,
    "conditional": ConditionalDecoder,
}
