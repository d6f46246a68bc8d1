"""Checks that every model test needs, whatever the architecture."""

from __future__ import annotations

import torch
from torch import Tensor

from attnseq.models.seq2seq import Seq2Seq


def assert_steps_reproduce_forward(
    model: Seq2Seq, src: Tensor, lengths: Tensor, tgt_in: Tensor
) -> tuple[Tensor, Tensor]:
    """Search's ``step`` calls give training's logits and attention at every position
    (training may take a fused or parallel path); returns training's (logits, attention)."""
    with torch.no_grad():
        logits, attn = model(src, lengths, tgt_in)
        enc = model.encode(src, lengths)
        state = model.init_state(enc)
        for t in range(tgt_in.size(1)):
            step_logits, state, step_attn = model.step(tgt_in[:, t], state, enc)
            torch.testing.assert_close(step_logits, logits[:, t], atol=1e-5, rtol=0)
            torch.testing.assert_close(step_attn, attn[:, t], atol=1e-5, rtol=0)
    return logits, attn
