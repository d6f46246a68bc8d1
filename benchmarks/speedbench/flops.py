"""Arithmetic of rnn-base: floating-point operations per target token, and the matmul peak.

Counted analytically from the architecture, the same for all three toolkits
(they build the same model). Only matrix products count, two operations per
multiply-add; element-wise work (gates, tanh, softmax) and embedding look-ups
are left out, which is the usual convention (they add about 1 % here). With
``E`` embedding size, ``H`` encoder units per direction, ``D`` decoder units,
``M = 2H`` memory (encoder output) size, ``A`` attention size, ``V`` target
vocabulary, ``S`` and ``T`` the source and target lengths of a sentence (each
with its end-of-sentence token), one sentence costs in the forward pass:

* encoder, both directions:   ``S * 2 * 2 * 3H (E + H)``
* attention keys, once:        ``S * 2 M A``
* bridge, once:                ``2 M D``
* decoder GRU:                 ``T * 2 * 3D (E + D)``
* attention query projection:  ``T * 2 D A``
* scores ``v^T tanh(.)``:      ``T * S * 2 A``
* context:                     ``T * S * 2 M``
* attentional vector ``W_c``:  ``T * 2 (M + D) D``
* output layer:                ``T * 2 D V``

Training costs three forward passes (the backward pass computes gradients for
both the inputs and the weights of every product: twice the forward). The
per-token figure divides a corpus's total by its target tokens, so padding is
not counted as useful work: a toolkit that pads more reaches fewer FLOP/s.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Shape:
    embed: int = 256
    enc_hidden: int = 256  # per direction
    dec_hidden: int = 512
    attention: int = 512
    src_vocab: int = 0
    tgt_vocab: int = 0


def sentence_flops(shape: Shape, src_len: int, tgt_len: int) -> dict[str, float]:
    """Forward-pass FLOPs of one sentence, by part (lengths include EOS)."""
    e, h, d, a, v = (
        shape.embed,
        shape.enc_hidden,
        shape.dec_hidden,
        shape.attention,
        shape.tgt_vocab,
    )
    m = 2 * h
    s, t = src_len, tgt_len
    return {
        "encoder": s * 2 * 2 * 3 * h * (e + h),
        "attention_keys": s * 2 * m * a,
        "bridge": 2 * m * d,
        "decoder_rnn": t * 2 * 3 * d * (e + d),
        "attention_query": t * 2 * d * a,
        "attention_scores": t * s * 2 * a,
        "attention_context": t * s * 2 * m,
        "attentional_vector": t * 2 * (m + d) * d,
        "output_layer": t * 2 * d * v,
    }


def per_token(shape: Shape, lengths: Sequence[tuple[int, int]]) -> dict:
    """Forward and training FLOPs per target token over a corpus of (src, tgt) lengths.

    Lengths are in words without EOS; one EOS is added on each side.
    """
    parts: dict[str, float] = {}
    tokens = 0
    for src, tgt in lengths:
        for name, value in sentence_flops(shape, src + 1, tgt + 1).items():
            parts[name] = parts.get(name, 0.0) + value
        tokens += tgt + 1
    forward = sum(parts.values()) / tokens
    return {
        "shape": asdict(shape),
        "target_tokens": tokens,
        "forward_flops_per_token": forward,
        "train_flops_per_token": 3 * forward,
        "share": {name: value / tokens / forward for name, value in parts.items()},
    }


def matmul_peak(
    dtype_name: str, size: int = 4096, seconds: float = 3.0, threads: int | None = None
) -> float:
    """GFLOP/s of the best large square matmul in ``seconds`` (what the matrix units can do)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    a = torch.randn(size, size).to(dtype)
    b = torch.randn(size, size).to(dtype)
    out = torch.empty(size, size, dtype=dtype)
    torch.matmul(a, b, out=out)  # warm-up: kernels, page faults
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while True:
        started = time.perf_counter()
        torch.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return 2 * size**3 / best / 1e9
