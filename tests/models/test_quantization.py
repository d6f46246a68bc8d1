"""int8 dynamic quantization for CPU decoding keeps what the model would say."""

from __future__ import annotations

import copy

import torch
from torch import nn

from attnseq.config import load_config
from attnseq.models.quantization import quantize_int8
from attnseq.models.seq2seq import Seq2Seq
from tests.core.test_cli import TINY


def _model() -> Seq2Seq:
    torch.manual_seed(0)
    cfg = load_config(TINY, ["model.decoder.attention=additive"]).model
    return Seq2Seq(cfg, 300, 400).eval()


def test_layers_become_int8_and_the_original_stays_fp32():
    model = _model()
    quantized = quantize_int8(copy.deepcopy(model))
    kinds = {f"{type(m).__module__}.{type(m).__name__}" for m in quantized.modules()}
    dynamic = "torch.ao.nn.quantized.dynamic.modules"
    assert {f"{dynamic}.linear.Linear", f"{dynamic}.rnn.GRU"} <= kinds
    assert not any(type(m) is nn.Linear or type(m) is nn.GRU for m in quantized.modules())
    assert any(type(m) is nn.Linear for m in model.modules())  # not converted in place


def test_int8_logits_stay_close_to_fp32():
    model = _model()
    quantized = quantize_int8(copy.deepcopy(model))
    torch.manual_seed(1)
    src = torch.randint(4, 300, (8, 12))
    lengths = torch.tensor([12, 11, 10, 9, 8, 7, 6, 5])
    tgt = torch.randint(4, 400, (8, 10))
    with torch.no_grad():
        ref, ref_attn = model(src, lengths, tgt)
        out, attn = quantized(src, lengths, tgt)
    assert out.shape == ref.shape and attn.shape == ref_attn.shape
    spread = ref.std()
    assert (out - ref).abs().max() < spread  # no logit moves by a standard deviation
    assert (out - ref).abs().mean() < 0.05 * spread
    # The word the model prefers at each position rarely changes.
    assert (out.argmax(-1) == ref.argmax(-1)).float().mean() > 0.9
