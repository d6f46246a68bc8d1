"""Seq2Seq: shapes, attention, the fused Luong path, tied embeddings, overfitting."""

from __future__ import annotations

import pytest
import torch
from model_checks import assert_steps_reproduce_forward

from attnseq.config import DecoderConfig, EncoderConfig, ModelConfig
from attnseq.data.tokenizers import EOS, PAD
from attnseq.models.seq2seq import Seq2Seq

SRC_V, TGT_V = 23, 19
VARIANTS = [
    ("luong", False),
    ("luong", True),
    ("bahdanau", False),
    ("conditional", False),
]
VARIANT_IDS = ["luong", "luong-feed", "bahdanau", "conditional"]


def config(decoder="luong", feed=False, cell="gru", attention="general", **kw) -> ModelConfig:
    return ModelConfig(
        embed_dim=kw.pop("embed_dim", 8),
        encoder=EncoderConfig(cell=cell, hidden_size=6, dropout=0.0),
        decoder=DecoderConfig(
            type=decoder,
            cell=cell,
            hidden_size=12,
            attention=attention,
            attention_size=7,
            input_feeding=feed,
            dropout=0.0,
        ),
        **kw,
    )


def toy_batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    src_lengths = torch.tensor([4, 7, 2])
    src = torch.randint(4, SRC_V, (3, 7), generator=g)
    src[torch.arange(7)[None, :] >= src_lengths[:, None]] = PAD
    tgt_in = torch.randint(4, TGT_V, (3, 5), generator=g)
    return src, src_lengths, tgt_in


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize(("decoder", "feed"), VARIANTS, ids=VARIANT_IDS)
def test_forward_shapes_and_attention(decoder, feed, cell):
    torch.manual_seed(0)
    model = Seq2Seq(config(decoder, feed, cell), SRC_V, TGT_V).eval()
    src, lengths, tgt_in = toy_batch()
    logits, attn = model(src, lengths, tgt_in)
    assert logits.shape == (3, 5, TGT_V)
    assert attn.shape == (3, 5, 7)
    assert torch.isfinite(logits).all()
    mask = (torch.arange(7)[None, :] < lengths[:, None]).unsqueeze(1).expand_as(attn)
    assert torch.all(attn[~mask] == 0.0)
    torch.testing.assert_close(attn.sum(-1), torch.ones(3, 5), atol=1e-6, rtol=0)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize(("decoder", "feed"), VARIANTS, ids=VARIANT_IDS)
def test_forward_matches_step_by_step(decoder, feed, cell):
    """The training path (fused for Luong without input feeding) equals search's ``step``."""
    torch.manual_seed(1)
    model = Seq2Seq(config(decoder, feed, cell), SRC_V, TGT_V).eval()
    assert_steps_reproduce_forward(model, *toy_batch(1))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_conditional_decoder_queries_after_reading_the_word(cell):
    """The conditional GRU attends from a state that has read the previous word;
    Bahdanau's decoder attends from the state before it, so its first attention
    cannot depend on the first word fed."""
    src, lengths, _ = toy_batch(3)
    firsts = {}
    for decoder in ("conditional", "bahdanau"):
        torch.manual_seed(3)
        model = Seq2Seq(config(decoder, cell=cell), SRC_V, TGT_V).eval()
        with torch.no_grad():
            enc = model.encode(src, lengths)
            state = model.init_state(enc)
            firsts[decoder] = [model.step(torch.full((3,), w), state, enc)[2] for w in (5, 9)]
    assert not torch.allclose(*firsts["conditional"])
    torch.testing.assert_close(*firsts["bahdanau"])


def test_padding_does_not_change_outputs():
    torch.manual_seed(2)
    model = Seq2Seq(config(), SRC_V, TGT_V).eval()
    src, lengths, tgt_in = toy_batch(2)
    with torch.no_grad():
        logits, attn = model(src, lengths, tgt_in)
        for i in range(3):
            n = int(lengths[i])
            alone, a = model(src[i : i + 1, :n], lengths[i : i + 1], tgt_in[i : i + 1])
            torch.testing.assert_close(alone[0], logits[i], atol=1e-5, rtol=0)
            torch.testing.assert_close(a[0], attn[i, :, :n], atol=1e-5, rtol=0)


def test_tied_embeddings_share_the_tensor():
    model = Seq2Seq(config(tie_embeddings=True), SRC_V, TGT_V)
    emb = model.decoder.embedding.weight
    assert model.generator.weight is emb
    assert model.generator.weight.data_ptr() == emb.data_ptr()
    # Shared once in the parameter list, and an update to one is an update to the other.
    assert sum(p is emb for p in model.parameters()) == 1
    with torch.no_grad():
        emb[5, 0] = 42.0
    assert model.generator.weight[5, 0] == 42.0
    # Gradients from both uses accumulate into the one tensor.
    src, lengths, tgt_in = toy_batch()
    logits, _ = model(src, lengths, tgt_in)
    logits.sum().backward()
    assert emb.grad is not None and emb.grad.abs().sum() > 0
    # Untied: separate tensors.
    untied = Seq2Seq(config(), SRC_V, TGT_V)
    assert untied.generator.weight is not untied.decoder.embedding.weight


def test_shared_embeddings_need_one_vocabulary():
    model = Seq2Seq(config(share_embeddings=True), SRC_V, SRC_V)
    assert model.encoder.embedding.weight is model.decoder.embedding.weight
    with pytest.raises(ValueError):
        Seq2Seq(config(share_embeddings=True), SRC_V, TGT_V)


def test_padding_embedding_rows_are_zero():
    model = Seq2Seq(config(), SRC_V, TGT_V)
    assert torch.all(model.encoder.embedding.weight[PAD] == 0)
    assert torch.all(model.decoder.embedding.weight[PAD] == 0)


# ------------------------------------------------------------------ overfit


@pytest.mark.parametrize("decoder", ["luong", "conditional"])
def test_overfits_200_real_pairs(overfit, decoder):
    cfg = ModelConfig(
        embed_dim=64,
        encoder=EncoderConfig(hidden_size=64, dropout=0.0),
        decoder=DecoderConfig(type=decoder, hidden_size=128, attention_size=64, dropout=0.0),
    )
    result = overfit(cfg, lr=3e-3)
    assert result.exact >= 180, f"only {result.exact}/200 reproduced (loss {result.loss:.3f})"
    assert all(EOS not in h.tokens for h in result.hyps)
