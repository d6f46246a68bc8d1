"""Decode a whole corpus: batch sentences of similar length, restore the order."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from attnseq.data.batching import encode_sources
from attnseq.search.beam import beam_search
from attnseq.search.greedy import greedy_search
from attnseq.search.hypothesis import Hypothesis
from attnseq.search.sampling import Sampling, sample_search


def decode_corpus(
    model,
    sources: Sequence[list[int]],
    beam: int = 1,
    nbest: int = 1,
    batch_size: int = 64,
    max_len_ratio: float = 2.0,
    length_penalty: float = 1.0,
    device: torch.device | str = "cpu",
    progress=None,
    *,
    min_len: int = 0,
    no_repeat_ngram: int = 0,
    max_len: int | None = None,
    sampling: Sampling | None = None,
) -> list[list[Hypothesis]]:
    """n-best lists for every source, in input order.

    With ``sampling`` each source gets ``nbest`` samples (``beam`` is unused);
    otherwise beam 1 runs greedy search and wider beams beam search. One
    generator serves the whole corpus, so a seeded run is reproducible.
    """
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    results: list[list[Hypothesis]] = [[] for _ in sources]
    limits = {"min_len": min_len, "no_repeat_ngram": no_repeat_ngram, "max_len": max_len}
    generator = sampling.generator(device) if sampling is not None else None
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            src, lengths = encode_sources([sources[i] for i in chunk])
            src, lengths = src.to(device), lengths.to(device)
            if sampling is not None:
                found = sample_search(
                    model,
                    src,
                    lengths,
                    sampling,
                    nbest,
                    max_len_ratio,
                    length_penalty=length_penalty,
                    generator=generator,
                    **limits,
                )
            elif beam == 1 and nbest == 1:
                found = [[h] for h in greedy_search(model, src, lengths, max_len_ratio, **limits)]
            else:
                found = beam_search(
                    model, src, lengths, beam, nbest, max_len_ratio, length_penalty, **limits
                )
            for i, hyps in zip(chunk, found, strict=False):
                results[i] = hyps
            if progress is not None:
                progress.update(len(chunk))
    finally:
        model.train(was_training)
    return results
