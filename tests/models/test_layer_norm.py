"""Layer normalisation in the recurrent models: inside the conditional GRU's cells
(as Nematus does), around the fused RNNs elsewhere."""

from __future__ import annotations

import pytest
import torch
from model_checks import assert_steps_reproduce_forward
from torch import nn

from attnseq.config import DecoderConfig, EncoderConfig, ModelConfig, config_from_dict
from attnseq.data.tokenizers import EOS, PAD
from attnseq.errors import ConfigError
from attnseq.models.cells import LayerNormGRUCell
from attnseq.models.seq2seq import Seq2Seq

SRC_V, TGT_V = 23, 19


def config(decoder: str, cell: str = "gru", encoder_norm: bool = True) -> ModelConfig:
    return ModelConfig(
        embed_dim=8,
        encoder=EncoderConfig(cell=cell, hidden_size=6, dropout=0.0, layer_norm=encoder_norm),
        decoder=DecoderConfig(
            type=decoder, cell=cell, hidden_size=12, attention_size=7, dropout=0.0, layer_norm=True
        ),
    )


def test_cell_ignores_the_scale_of_its_input():
    """Normalised pre-activations: scaling the input changes nothing; a plain GRU cell
    saturates instead. This is what keeps the transitions' scale from drifting."""
    torch.manual_seed(0)
    x, h = torch.randn(4, 5), torch.randn(4, 9).tanh()
    norm_cell, plain = LayerNormGRUCell(5, 9), nn.GRUCell(5, 9)
    torch.testing.assert_close(norm_cell(x, h), norm_cell(10 * x, h), atol=1e-4, rtol=0)
    assert not torch.allclose(plain(x, h), plain(10 * x, h), atol=1e-2)


def test_cell_with_unit_gains_is_a_gru_on_normalised_projections():
    torch.manual_seed(1)
    cell = LayerNormGRUCell(5, 3)
    x, h = torch.randn(2, 5), torch.randn(2, 3).tanh()
    gx, cx = cell.input(x).split([6, 3], -1)
    gh, ch = cell.recurrent(h).split([6, 3], -1)

    def ln(v):
        return (v - v.mean(-1, keepdim=True)) / (
            v.var(-1, unbiased=False, keepdim=True) + 1e-5
        ).sqrt()

    r, z = torch.sigmoid(ln(gx) + ln(gh)).chunk(2, -1)
    expected = z * h + (1 - z) * torch.tanh(ln(cx) + r * ln(ch))
    torch.testing.assert_close(cell(x, h), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("decoder", ["conditional", "luong", "bahdanau"])
def test_uniform_init_keeps_unit_gains(decoder):
    torch.manual_seed(2)
    model = Seq2Seq(config(decoder), SRC_V, TGT_V)
    norms = [m for m in model.modules() if isinstance(m, nn.LayerNorm)]
    assert len(norms) == (9 if decoder == "conditional" else 2)  # 4 per cell, 2 cells; encoder
    for norm in norms:
        assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0)


@pytest.mark.parametrize("decoder", ["conditional", "luong", "bahdanau"])
def test_training_pass_equals_step_by_step(decoder):
    torch.manual_seed(3)
    model = Seq2Seq(config(decoder), SRC_V, TGT_V).eval()
    g = torch.Generator().manual_seed(3)
    lengths = torch.tensor([4, 7, 2])
    src = torch.randint(4, SRC_V, (3, 7), generator=g)
    src[torch.arange(7)[None, :] >= lengths[:, None]] = PAD
    tgt_in = torch.randint(4, TGT_V, (3, 5), generator=g)
    assert_steps_reproduce_forward(model, src, lengths, tgt_in)
    # the encoder's states are normalised: zero mean, unit variance per position
    states = model.encoder.norm(torch.randn(2, 3, 12) * 7 + 4)
    torch.testing.assert_close(states.mean(-1), torch.zeros(2, 3), atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"encoder": {"type": "cnn", "layer_norm": True}}, "model.encoder.layer_norm"),
        (
            {
                "embed_dim": 64,
                "decoder": {"type": "transformer", "hidden_size": 64, "layer_norm": True},
            },
            "model.decoder.layer_norm",
        ),
        (
            {"decoder": {"type": "conditional", "cell": "lstm", "layer_norm": True}},
            "cell is lstm",
        ),
    ],
)
def test_config_refuses_layer_norm_where_it_does_not_apply(model, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"model": model})


def test_conditional_with_layer_norm_overfits_200_real_pairs(overfit):
    cfg = ModelConfig(
        embed_dim=64,
        encoder=EncoderConfig(hidden_size=64, dropout=0.0, layer_norm=True),
        decoder=DecoderConfig(
            type="conditional", hidden_size=128, attention_size=64, dropout=0.0, layer_norm=True
        ),
    )
    result = overfit(cfg, lr=3e-3)
    assert result.exact >= 180, f"only {result.exact}/200 reproduced (loss {result.loss:.3f})"
    assert all(EOS not in h.tokens for h in result.hyps)
