"""The Transformer (Vaswani et al. 2017): attention all the way, in pre-norm form.

Both stacks plug into :class:`~attnseq.models.seq2seq.Seq2Seq` like the RNN
ones: the encoder returns an :class:`EncoderOutput` (so an RNN decoder can
attend over it), and the decoder has ``prepare``, ``init_state``, ``step``
and ``forward`` (so it can attend over an RNN or convolutional encoder too).

Pre-norm (``x + sublayer(LayerNorm(x))``, Wang et al. 2019) rather than the
paper's post-norm: the residual path stays an identity, which trains without
the long warm-up post-norm needs and is what current toolkits default to.

Incremental decoding. At step ``t`` a decoder layer needs the keys and values
of all earlier target positions, which do not change once computed. The
decoder state therefore caches them, per layer, as batch-first tensors
``k.L`` and ``v.L`` of shape ``[B, heads, t, head_dim]``; a step computes
only the new position's and appends it, so search can reorder the cache for
beams like any other state. The cross-attention keys and values depend on the
source alone: ``prepare`` projects them once per sentence into ``enc.keys``.

Which attention is reported. Search and visualisation want one ``[S]``
distribution per output token. By default a step returns the last layer's
cross-attention averaged over its heads (the layer closest to the output
word); :meth:`TransformerDecoder.select_attention` picks another layer and a
single head instead. Only the selected layer computes explicit weights; all
other attention runs through ``scaled_dot_product_attention``'s fused kernel.
"""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from attnseq.config import DecoderConfig, EncoderConfig
from attnseq.models.decoders import DecoderState
from attnseq.models.encoders import EncoderOutput
from attnseq.models.positions import build_positions, masked_mean, padding_mask

# Not cuDNN's fused attention, which torch prefers for bf16 and fp16 on Hopper GPUs: it
# builds an execution plan for every new tensor shape, and with batches of varying
# lengths that took 18 ms a call on an H200, a 16x slower training step than fp32's.
_KERNELS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]


def split_heads(x: Tensor, heads: int) -> Tensor:
    """``[B, T, D] -> [B, heads, T, D / heads]``."""
    batch, length, dim = x.shape
    return x.view(batch, length, heads, dim // heads).transpose(1, 2)


def merge_heads(x: Tensor) -> Tensor:
    """``[B, heads, T, d] -> [B, T, heads * d]``."""
    batch, heads, length, dim = x.shape
    return x.transpose(1, 2).reshape(batch, length, heads * dim)


def attend(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor | None = None,
    causal: bool = False,
    dropout: float = 0.0,
    need_weights: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Scaled dot-product attention over ``[B, heads, T, d]`` tensors.

    ``mask`` broadcasts to ``[B, heads, T, S]`` and is true where a key may be
    seen. With ``need_weights`` the weights ``[B, heads, T, S]`` are computed
    explicitly (same arithmetic); otherwise the fused kernel never forms them.
    """
    if not need_weights:
        kernels = sdpa_kernel(_KERNELS) if q.is_cuda else contextlib.nullcontext()
        with kernels:  # the choice costs 10-20 us a call; CPUs have no cuDNN kernel to avoid
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=dropout, is_causal=causal
            )
        return out, None
    if causal:
        raise ValueError("explicit weights are only computed for cross-attention")
    scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    out = torch.matmul(F.dropout(weights, dropout) if dropout else weights, v)
    return out, weights


class SelfAttention(nn.Module):
    """Multi-head self-attention with one fused query-key-value projection."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(
        self,
        x: Tensor,
        mask: Tensor | None = None,
        causal: bool = False,
        past: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Output ``[B, T, D]`` and the keys and values ``[B, heads, T(+past), d]`` it used.

        With ``past`` (cached keys and values of earlier steps) ``x`` is one new
        position that may see all of them, so no mask is needed.
        """
        q, k, v = (split_heads(t, self.heads) for t in self.qkv(x).chunk(3, dim=-1))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        dropout = self.dropout if self.training else 0.0
        out, _ = attend(q, k, v, mask, causal and x.size(1) > 1, dropout)
        return self.out(merge_heads(out)), k, v


class CrossAttention(nn.Module):
    """Multi-head attention from target positions to the encoder's states."""

    def __init__(self, dim: int, memory_size: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.query = nn.Linear(dim, dim)
        self.kv = nn.Linear(memory_size, 2 * dim)
        self.out = nn.Linear(dim, dim)

    def project_memory(self, memory: Tensor) -> Tensor:
        """Keys and values of the source, ``[B, 2, heads, S, d]``: computed once per sentence."""
        k, v = (split_heads(t, self.heads) for t in self.kv(memory).chunk(2, dim=-1))
        return torch.stack([k, v], dim=1)

    def forward(
        self, x: Tensor, memory_kv: Tensor, mask: Tensor, need_weights: bool
    ) -> tuple[Tensor, Tensor | None]:
        q = split_heads(self.query(x), self.heads)
        dropout = self.dropout if self.training else 0.0
        out, weights = attend(
            q,
            memory_kv[:, 0],
            memory_kv[:, 1],
            mask[:, None, None, :],
            False,
            dropout,
            need_weights,
        )
        return self.out(merge_heads(out)), weights


class FeedForward(nn.Sequential):
    def __init__(self, dim: int, ff_size: int, dropout: float):
        super().__init__(
            nn.Linear(dim, ff_size), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ff_size, dim)
        )


def init_transformer(module: nn.Module, embedding: nn.Embedding) -> None:
    """Xavier-uniform projections, zero biases, unit LayerNorms, N(0, 1/D) embeddings.

    The embedding is scaled by ``sqrt(D)`` in use, so its entries start with
    unit variance, on a par with the position vectors (Vaswani et al. 3.4).
    """
    for sub in module.modules():
        if isinstance(sub, nn.Linear):
            nn.init.xavier_uniform_(sub.weight)
            nn.init.zeros_(sub.bias)
        elif isinstance(sub, nn.LayerNorm):
            nn.init.ones_(sub.weight)
            nn.init.zeros_(sub.bias)
    nn.init.normal_(embedding.weight, std=embedding.embedding_dim**-0.5)


class EmbedPositions(nn.Module):
    """``dropout(sqrt(D) * embedding + position)``, the input of both stacks."""

    def __init__(self, embedding: nn.Embedding, positions: str, max_positions: int, key: str):
        super().__init__()
        self.embedding = embedding
        self.scale = math.sqrt(embedding.embedding_dim)
        self.positions = build_positions(positions, embedding.embedding_dim, max_positions, key)

    def forward(self, tokens: Tensor, offset: int = 0) -> Tensor:
        return self.embedding(tokens) * self.scale + self.positions(tokens.size(1), offset)


def _check_width(dim: int, hidden: int, heads: int, key: str) -> None:
    if hidden != dim:
        raise ValueError(f"{key}.hidden_size ({hidden}) must equal model.embed_dim ({dim})")
    if dim % heads:
        raise ValueError(f"{key}.hidden_size ({dim}) must be divisible by {key}.heads ({heads})")


# --------------------------------------------------------------------- encoder


class EncoderLayer(nn.Module):
    def __init__(self, dim: int, heads: int, ff_size: int, dropout: float):
        super().__init__()
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads, dropout)
        self.ff_norm = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, ff_size, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        out, _, _ = self.attn(self.attn_norm(x), mask)
        x = x + self.dropout(out)
        return x + self.dropout(self.ff(self.ff_norm(x)))


class TransformerEncoder(nn.Module):
    """Self-attention over the whole source; one state per position, padding zeroed."""

    def __init__(self, cfg: EncoderConfig, embedding: nn.Embedding):
        super().__init__()
        dim = embedding.embedding_dim
        _check_width(dim, cfg.hidden_size, cfg.heads, "model.encoder")
        self.embed = EmbedPositions(embedding, cfg.positions, cfg.max_positions, "model.encoder")
        self.embedding = embedding
        self.dropout = nn.Dropout(cfg.dropout)
        self.layers = nn.ModuleList(
            EncoderLayer(dim, cfg.heads, cfg.ff_size, cfg.dropout) for _ in range(cfg.layers)
        )
        self.norm = nn.LayerNorm(dim)
        self.output_size = dim

    def init_parameters(self) -> None:
        init_transformer(self, self.embedding)

    def forward(self, src: Tensor, lengths: Tensor) -> EncoderOutput:
        mask = padding_mask(lengths, src.size(1))
        x = self.dropout(self.embed(src))
        attn_mask = mask[:, None, None, :]
        for layer in self.layers:
            x = layer(x, attn_mask)
        states = self.norm(x).masked_fill(~mask.unsqueeze(-1), 0.0)
        return EncoderOutput(states=states, mask=mask, summary=masked_mean(states, mask))


# --------------------------------------------------------------------- decoder


class DecoderLayer(nn.Module):
    def __init__(self, dim: int, memory_size: int, heads: int, ff_size: int, dropout: float):
        super().__init__()
        self.self_norm = nn.LayerNorm(dim)
        self.self_attn = SelfAttention(dim, heads, dropout)
        self.cross_norm = nn.LayerNorm(dim)
        self.cross_attn = CrossAttention(dim, memory_size, heads, dropout)
        self.ff_norm = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, ff_size, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: Tensor,
        memory_kv: Tensor,
        mask: Tensor,
        past: tuple[Tensor, Tensor] | None,
        need_weights: bool,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
        out, k, v = self.self_attn(self.self_norm(x), causal=past is None, past=past)
        x = x + self.dropout(out)
        out, weights = self.cross_attn(self.cross_norm(x), memory_kv, mask, need_weights)
        x = x + self.dropout(out)
        return x + self.dropout(self.ff(self.ff_norm(x))), k, v, weights


class TransformerDecoder(nn.Module):
    """Causal self-attention, cross-attention to the source, feed-forward; cached steps.

    Built with the RNN decoders' arguments; ``summary_size`` and ``bridge``
    arrive among ``rnn_only`` and are unused: a Transformer decoder starts
    from no state, only from the source it attends to.
    """

    def __init__(
        self,
        cfg: DecoderConfig,
        embedding: nn.Embedding,
        memory_size: int,
        readout_size: int,
        **rnn_only: object,
    ):
        super().__init__()
        dim = embedding.embedding_dim
        _check_width(dim, cfg.hidden_size, cfg.heads, "model.decoder")
        if readout_size != dim:
            raise ValueError(f"readout size {readout_size} must equal model.embed_dim ({dim})")
        self.cfg = cfg
        self.readout_size = dim
        self.embedding = embedding
        self.embed = EmbedPositions(embedding, cfg.positions, cfg.max_positions, "model.decoder")
        self.dropout = nn.Dropout(cfg.dropout)
        self.layers = nn.ModuleList(
            DecoderLayer(dim, memory_size, cfg.heads, cfg.ff_size, cfg.dropout)
            for _ in range(cfg.layers)
        )
        self.norm = nn.LayerNorm(dim)
        self.shown_layer, self.shown_head = cfg.layers - 1, None
        # False recomputes every earlier position at each step instead of caching
        # their keys and values: the reference that tests and the benchmark compare with.
        self.cache = True

    def init_parameters(self) -> None:
        init_transformer(self, self.embedding)

    # -- which attention map is returned ----------------------------------------

    def select_attention(self, layer: int | None = None, head: int | None = None) -> str:
        """Report layer ``layer`` (default: the last) and head ``head`` (default: their mean).

        Indices count from 0; negative ones count from the end, as in Python.
        Returns a short description for titles and logs.
        """
        layers, heads = len(self.layers), self.cfg.heads
        layer = layers - 1 if layer is None else layer
        if not -layers <= layer < layers:
            raise ValueError(f"layer {layer} does not exist: the decoder has {layers} layers")
        if head is not None and not -heads <= head < heads:
            raise ValueError(f"head {head} does not exist: each layer has {heads} heads")
        self.shown_layer = layer % layers
        self.shown_head = None if head is None else head % heads
        which = f"mean of {heads} heads" if head is None else f"head {self.shown_head}"
        return f"cross-attention, layer {self.shown_layer} of {layers}, {which}"

    def _shown(self, weights: Tensor) -> Tensor:
        """``[B, heads, T, S] -> [B, T, S]``: the selected head or the mean of all."""
        return weights.mean(1) if self.shown_head is None else weights[:, self.shown_head]

    # -- search --------------------------------------------------------------------

    def prepare(self, enc: EncoderOutput) -> EncoderOutput:
        """Project every layer's cross-attention keys and values once per sentence.

        ``enc.keys`` becomes ``[B, layers, 2, heads, S, d]``: batch first, so
        beam search expands and prunes it with the rest of ``enc``.
        """
        enc.keys = torch.stack(
            [layer.cross_attn.project_memory(enc.states) for layer in self.layers], dim=1
        )
        return enc

    def init_state(self, enc: EncoderOutput) -> DecoderState:
        batch = enc.states.size(0)
        if not self.cache:
            return {"tokens": enc.mask.new_zeros(batch, 0, dtype=torch.long)}
        heads = self.cfg.heads
        empty = enc.states.new_zeros(batch, heads, 0, self.readout_size // heads)
        state = {}
        for i in range(len(self.layers)):
            state[f"k.{i}"], state[f"v.{i}"] = empty, empty
        return state

    def _run(
        self, tokens: Tensor, enc: EncoderOutput, state: DecoderState | None
    ) -> tuple[Tensor, Tensor, DecoderState]:
        offset = 0 if state is None else state["k.0"].size(2)
        x = self.dropout(self.embed(tokens, offset))
        new_state, shown = {}, None
        for i, layer in enumerate(self.layers):
            past = None if state is None else (state[f"k.{i}"], state[f"v.{i}"])
            x, k, v, weights = layer(x, enc.keys[:, i], enc.mask, past, i == self.shown_layer)
            new_state[f"k.{i}"], new_state[f"v.{i}"] = k, v
            if weights is not None:
                shown = self._shown(weights)
        assert shown is not None
        return self.norm(x), shown, new_state

    def step(
        self, prev: Tensor, state: DecoderState, enc: EncoderOutput
    ) -> tuple[Tensor, DecoderState, Tensor]:
        """Readout ``[B, D]``, the state with this step's keys and values appended, attention ``[B, S]``."""
        if not self.cache:
            tokens = torch.cat([state["tokens"], prev.unsqueeze(1)], dim=1)
            readouts, attn, _ = self._run(tokens, enc, None)
            return readouts[:, -1], {"tokens": tokens}, attn[:, -1]
        readout, attn, state = self._run(prev.unsqueeze(1), enc, state)
        return readout.squeeze(1), state, attn.squeeze(1)

    # -- training --------------------------------------------------------------------

    def forward(
        self, tgt_in: Tensor, enc: EncoderOutput, teacher_forcing: float = 1.0, predict=None
    ) -> tuple[Tensor, Tensor]:
        """Readouts ``[B, T, D]`` and attention ``[B, T, S]`` for all positions in one pass.

        The causal mask hides later target words, so teacher forcing is exact;
        scheduled sampling (``teacher_forcing < 1``) would need step-by-step
        decoding and is refused by the config check.
        """
        if teacher_forcing < 1.0:
            raise ValueError("a Transformer decoder trains with teacher_forcing 1.0 only")
        readouts, attn, _ = self._run(tgt_in, enc, None)
        return readouts, attn
