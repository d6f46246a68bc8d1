"""Dynamic int8 quantization for decoding on a CPU.

The weights of every linear layer and recurrent cell are stored as int8 and
the activations are quantized on the fly, so the matrix products of search
(the output layer above all, then the decoder RNN) run on the CPU's integer
dot-product units. Training is unaffected: only a loaded model for
translation is converted. The benchmark (``benchmarks/speed.py``) checks the
BLEU cost against fp32 on rnn-base.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

QUANTIZE_CHOICES = ("int8",)


def quantize_int8(model: nn.Module) -> nn.Module:
    """Return ``model`` with int8 dynamic quantization of its Linear, GRU and LSTM layers."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch.ao.quantization warns that it will move to torchao; it still ships in torch < 2.14.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(model.eval(), {nn.Linear, nn.GRU, nn.LSTM}, dtype=torch.qint8)
