"""Attention kinds: normalisation, masking, context, gradients and key caching."""

from __future__ import annotations

import pytest
import torch

from attnseq.config import DecoderConfig, EncoderConfig, ModelConfig
from attnseq.models.attention import ATTENTION_KINDS, AdditiveAttention, build_attention
from attnseq.models.seq2seq import Seq2Seq

B, S, T = 3, 5, 4
LENGTHS = torch.tensor([5, 3, 1])


def sizes(kind: str) -> tuple[int, int, int]:
    """(query, key, hidden) sizes; dot kinds need equal query and key sizes."""
    return (6, 6, 5) if kind in ("dot", "scaled_dot") else (6, 4, 5)


def make(kind: str, dtype=torch.float32, seed: int = 0):
    torch.manual_seed(seed)
    q, k, h = sizes(kind)
    attn = build_attention(kind, q, k, h).to(dtype)
    memory = torch.randn(B, S, k, dtype=dtype)
    mask = torch.arange(S)[None, :] < LENGTHS[:, None]
    return attn, memory, mask, q


def test_every_kind_is_buildable():
    assert set(ATTENTION_KINDS) == {"additive", "general", "dot", "scaled_dot"}
    with pytest.raises(ValueError):
        build_attention("dot", 6, 4, 5)
    with pytest.raises(ValueError):
        build_attention("nope", 6, 6, 5)


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
@pytest.mark.parametrize("whole_sequence", [False, True], ids=["step", "sequence"])
def test_weights_normalised_and_padding_zero(kind, whole_sequence):
    attn, memory, mask, q = make(kind)
    shape = (B, T, q) if whole_sequence else (B, q)
    query = torch.randn(*shape) * 3
    keys = attn.prepare(memory)
    context, weights = attn(query, keys, memory, mask)

    expected_w = (B, T, S) if whole_sequence else (B, S)
    assert weights.shape == expected_w
    assert context.shape == (*expected_w[:-1], memory.size(-1))

    w = weights if whole_sequence else weights.unsqueeze(1)
    m = mask.unsqueeze(1).expand_as(w)
    assert torch.all(w[~m] == 0.0), "padding must get exactly zero weight"
    assert torch.all(w[m] > 0.0)
    torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:-1]), atol=1e-6, rtol=0)

    # The context is the weighted sum of the values.
    expected = torch.bmm(w, memory)
    ctx = context if whole_sequence else context.unsqueeze(1)
    torch.testing.assert_close(ctx, expected, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_step_queries_match_sequence_queries(kind):
    attn, memory, mask, q = make(kind)
    query = torch.randn(B, T, q)
    keys = attn.prepare(memory)
    ctx_all, w_all = attn(query, keys, memory, mask)
    for t in range(T):
        ctx_t, w_t = attn(query[:, t], keys, memory, mask)
        torch.testing.assert_close(w_t, w_all[:, t], atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(ctx_t, ctx_all[:, t], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_padding_content_does_not_matter(kind):
    attn, memory, mask, q = make(kind)
    query = torch.randn(B, q)
    ctx, w = attn(query, attn.prepare(memory), memory, mask)
    garbage = memory.clone()
    garbage[~mask] = 1e3
    ctx2, w2 = attn(query, attn.prepare(garbage), garbage, mask)
    torch.testing.assert_close(w, w2)
    torch.testing.assert_close(ctx, ctx2)


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
@pytest.mark.parametrize("whole_sequence", [False, True], ids=["step", "sequence"])
def test_gradcheck(kind, whole_sequence):
    attn, memory, mask, q = make(kind, dtype=torch.float64)
    attn = attn.double()
    query = torch.randn(*((2, 3, q) if whole_sequence else (2, q)), dtype=torch.float64)
    memory = memory[:2, :4].clone().requires_grad_(True)
    mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    query.requires_grad_(True)

    def fn(query, memory):
        context, weights = attn(query, attn.prepare(memory), memory, mask)
        return context, weights

    assert torch.autograd.gradcheck(fn, (query, memory), eps=1e-6, atol=1e-5)
    # Padding memory gets no gradient at all.
    context, weights = fn(query, memory)
    (context.sum() + (weights * torch.arange(4.0, dtype=torch.float64)).sum()).backward()
    assert torch.all(memory.grad[1, 2:] == 0.0)
    assert torch.any(memory.grad[1, :2] != 0.0)


def test_scaled_dot_is_scaled_dot():
    torch.manual_seed(0)
    memory, query = torch.randn(2, 5, 16), torch.randn(2, 16)
    mask = torch.ones(2, 5, dtype=torch.bool)
    dot, scaled = build_attention("dot", 16, 16, 1), build_attention("scaled_dot", 16, 16, 1)
    _, w_dot = dot(query / 4.0, memory, memory, mask)
    _, w_scaled = scaled(query, memory, memory, mask)
    torch.testing.assert_close(w_dot, w_scaled)


@pytest.mark.parametrize("kind", ["additive", "general"])
@pytest.mark.parametrize("decoder", ["bahdanau", "luong"])
def test_key_projection_runs_once_per_sentence(kind, decoder):
    torch.manual_seed(0)
    cfg = ModelConfig(
        embed_dim=8,
        encoder=EncoderConfig(hidden_size=6, dropout=0.0),
        decoder=DecoderConfig(
            type=decoder, hidden_size=10, attention=kind, attention_size=7, dropout=0.0
        ),
    )
    model = Seq2Seq(cfg, 20, 20).eval()
    attention = model.decoder.attention
    if kind == "additive":
        assert isinstance(attention, AdditiveAttention)
    calls = []
    handle = attention.key_proj.register_forward_hook(lambda mod, inp, out: calls.append(1))
    try:
        src = torch.randint(4, 20, (2, 5))
        enc = model.encode(src, torch.tensor([5, 3]))
        assert len(calls) == 1
        assert enc.keys is not None
        state = model.init_state(enc)
        prev = torch.full((2,), 2)
        for _ in range(4):
            logits, state, attn = model.step(prev, state, enc)
            prev = logits.argmax(-1)
        assert len(calls) == 1, "score() must reuse the keys prepared once per sentence"
        # A training forward pass also projects the keys only once.
        model(src, torch.tensor([5, 3]), torch.randint(4, 20, (2, 6)))
        assert len(calls) == 2
    finally:
        handle.remove()
