"""How likely a model finds reference translations: the basis of perplexity."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F

from attnseq.data.batching import Batch, Example, batch_indices, collate
from attnseq.data.tokenizers import PAD


@torch.no_grad()
def batches_nll(model, batches: Iterable[Batch]) -> tuple[float, int]:
    """Summed negative log-likelihood of the batches' targets and their token count.

    Works for any batch the model's ``forward`` reads: source ids, or images
    for a caption model.
    """
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    try:
        for batch in batches:
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


def corpus_nll(
    model,
    examples: Sequence[Example],
    batch_tokens: int = 4000,
    device: str | torch.device | None = None,
) -> tuple[float, int]:
    """Summed negative log-likelihood of the references and their token count (teacher forcing).

    Batches go to ``device``, by default the model's own, so a caller cannot
    feed CPU tensors to a GPU model by forgetting to say where it is.
    """
    device = device if device is not None else next(model.parameters()).device
    lengths = [(len(s), len(t)) for s, t in examples]
    return batches_nll(
        model,
        (
            collate(examples, indices).to(device)
            for indices in batch_indices(lengths, batch_tokens, shuffle=False)
        ),
    )
