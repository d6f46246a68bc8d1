"""How likely a model finds reference translations: the basis of perplexity."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from attnseq.data.batching import Example, batch_indices, collate
from attnseq.data.tokenizers import PAD


@torch.no_grad()
def corpus_nll(
    model, examples: Sequence[Example], batch_tokens: int = 4000, device: str | torch.device = "cpu"
) -> tuple[float, int]:
    """Summed negative log-likelihood of the references and their token count (teacher forcing)."""
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    try:
        lengths = [(len(s), len(t)) for s, t in examples]
        for indices in batch_indices(lengths, batch_tokens, shuffle=False):
            batch = collate(examples, indices).to(device)
            logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in)
            total += float(
                F.cross_entropy(
                    logits.flatten(0, 1).float(),
                    batch.tgt_out.flatten(),
                    ignore_index=PAD,
                    reduction="sum",
                )
            )
            tokens += batch.num_tokens
    finally:
        model.train(was_training)
    return total, tokens
