"""Forced decoding: feed the model a given translation and record where it looked.

No search happens: the decoder reads the reference translation word by word
(teacher forcing) and we keep the attention of every step, the raw material
of word alignment (see ``attnseq.api.aligner``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from attnseq.data.batching import Example, batch_indices, collate


@torch.inference_mode()
def forced_attention(
    model,
    examples: Sequence[Example],
    batch_tokens: int = 4000,
    device: str | torch.device = "cpu",
    progress=None,
    head: bool = False,
) -> list[Tensor]:
    """Attention ``[len(tgt) + 1, len(src) + 1]`` of each (source ids, target ids) pair.

    Row ``t`` is the step that predicts target token ``t`` (the last row
    predicts end-of-sentence); the last column is the source's end-of-sentence.
    ``head`` asks a model with an alignment head (``model.alignment_head``) for
    that head's weights instead, whose row ``t`` also sees token ``t``.
    Results come back in input order, whatever the batching.
    """
    was_training = model.training
    model.eval()
    results: list[Tensor] = [torch.empty(0)] * len(examples)
    try:
        lengths = [(len(s), len(t)) for s, t in examples]
        for indices in batch_indices(lengths, batch_tokens, shuffle=False):
            batch = collate(examples, indices).to(device)
            if head:
                _, attn = model(batch.src, batch.src_lengths, batch.tgt_in, tgt_out=batch.tgt_out)
            else:
                _, attn = model(batch.src, batch.src_lengths, batch.tgt_in)
            attn = attn.float().cpu()
            for row, index in enumerate(indices):
                src, tgt = examples[index]
                results[index] = attn[row, : len(tgt) + 1, : len(src) + 1].clone()
            if progress is not None:
                progress.update(len(indices))
    finally:
        model.train(was_training)
    return results
