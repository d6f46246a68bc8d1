"""The no-attention baseline: same layers, no context from attention."""

from __future__ import annotations

import pytest
import torch

from attnseq.api.chatbot import Chatbot
from attnseq.cli.main import main
from attnseq.config import DecoderConfig, EncoderConfig, ModelConfig, config_from_dict
from attnseq.errors import ConfigError
from attnseq.models.seq2seq import Seq2Seq


def model(attention: str, decoder: str) -> Seq2Seq:
    torch.manual_seed(0)
    cfg = ModelConfig(
        embed_dim=8,
        encoder=EncoderConfig(hidden_size=6, dropout=0.0),
        decoder=DecoderConfig(type=decoder, hidden_size=12, attention=attention, dropout=0.0),
    )
    return Seq2Seq(cfg, 20, 20).eval()


@pytest.mark.parametrize("decoder", ["luong", "bahdanau"])
def test_output_depends_on_the_source_only_through_the_bridge(decoder):
    net = model("none", decoder)
    src = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]])
    lengths = torch.tensor([4, 2])
    tgt = torch.tensor([[2, 11, 12], [2, 13, 14]])
    logits, attn = net(src, lengths, tgt)
    assert logits.shape == (2, 3, 20)
    assert torch.count_nonzero(attn) == 0
    # Changing the source changes the output (the bridge) ...
    other, _ = net(torch.tensor([[15, 6, 7, 8], [9, 10, 0, 0]]), lengths, tgt)
    assert not torch.allclose(logits[0], other[0])
    # ... but with the bridge's input fixed, the source positions are never read.
    with torch.no_grad():
        enc = net.encode(src, lengths)
        enc.states = torch.randn_like(enc.states)
        state = net.init_state(enc)
        a, _, _ = net.step(torch.tensor([2, 2]), state, enc)
        enc.states = torch.randn_like(enc.states)
        b, _, _ = net.step(torch.tensor([2, 2]), state, enc)
    torch.testing.assert_close(a, b)
    # same layer sizes as the attentional model
    assert {n: p.shape for n, p in net.named_parameters() if "attention" not in n} == {
        n: p.shape for n, p in model("general", decoder).named_parameters() if "attention" not in n
    }


def test_needs_the_bridge():
    with pytest.raises(ConfigError, match="model.bridge"):
        config_from_dict({"model": {"bridge": False, "decoder": {"attention": "none"}}})
    with pytest.raises(ConfigError, match="model.decoder.attention"):
        config_from_dict({"model": {"decoder": {"attention": "nothing"}}})


def test_baseline_run_has_no_heatmaps(baseline_run, capsys):
    assert not (baseline_run / "attention").exists()
    bot = Chatbot.load(baseline_run)
    assert not bot.has_attention
    answer = bot.reply(["Hello!"])
    assert torch.count_nonzero(answer.attention) == 0
    code = main(["attention", str(baseline_run), "Hello!", "-o", str(baseline_run / "h.png")])
    assert code == 2
    assert "has no attention" in capsys.readouterr().err
