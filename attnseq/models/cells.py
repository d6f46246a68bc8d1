"""Layer normalisation for the recurrent models: a GRU cell with it inside.

Nematus (Sennrich et al. 2017), whose conditional GRU won the WMT17
multimodal task, normalises each transition's input and recurrent
pre-activations separately (Ba et al. 2016), gates and candidate apart, so
that their scale cannot drift during training. PyTorch's fused ``nn.GRU``
has no such hook, which is why this cell exists; the conditional decoder
already steps one word at a time, so it pays little for a cell written out.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LayerNormGRUCell(nn.Module):
    """``h' = z * h + (1 - z) * tanh(LN(W_n x) + r * LN(U_n h))``, with
    ``r, z = sigmoid(LN(W_rz x) + LN(U_rz h))``; the LayerNorms' shifts are the biases."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.input = nn.Linear(input_size, 3 * hidden_size, bias=False)
        self.recurrent = nn.Linear(hidden_size, 3 * hidden_size, bias=False)
        self.norms = nn.ModuleList(nn.LayerNorm(n) for n in (2 * hidden_size, hidden_size) * 2)

    def forward(self, x: Tensor, hidden: Tensor) -> Tensor:
        gates_x, cand_x = self.input(x).split([2 * self.hidden_size, self.hidden_size], -1)
        gates_h, cand_h = self.recurrent(hidden).split([2 * self.hidden_size, self.hidden_size], -1)
        norm_gx, norm_cx, norm_gh, norm_ch = self.norms
        reset, update = torch.sigmoid(norm_gx(gates_x) + norm_gh(gates_h)).chunk(2, -1)
        candidate = torch.tanh(norm_cx(cand_x) + reset * norm_ch(cand_h))
        return update * hidden + (1 - update) * candidate


def unit_layer_norms(module: nn.Module) -> None:
    """Unit gains and zero shifts for every LayerNorm in ``module``, after the
    uniform draw over all parameters, which would leave the gains near zero."""
    for sub in module.modules():
        if isinstance(sub, nn.LayerNorm):
            nn.init.ones_(sub.weight)
            nn.init.zeros_(sub.bias)
