"""Sampling: draw each word from the model's distribution, reshaped.

Beam search looks for the single most likely answer, which for a chatbot is
often the blandest one. Sampling trades some likelihood for variety:

* ``temperature`` divides the logits: below 1 sharpens, above 1 flattens;
* ``top_k`` keeps only the k most likely words (Fan et al. 2018);
* ``top_p`` keeps the smallest set of most likely words whose probability
  reaches p, nucleus sampling (Holtzman et al. 2020).

Draws come from a ``torch.Generator`` seeded by ``seed``, so the same seed,
inputs and batch give the same outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from attnseq.errors import AttnseqError
from attnseq.search.greedy import decode_paths
from attnseq.search.hypothesis import Hypothesis


@dataclass(frozen=True)
class Sampling:
    temperature: float = 1.0
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0  # 1: no limit
    seed: int | None = None

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise AttnseqError(f"temperature must be positive, got {self.temperature}")
        if self.top_k < 0:
            raise AttnseqError(f"top-k must be 0 (off) or positive, got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise AttnseqError(f"top-p must lie in (0, 1], got {self.top_p}")

    def generator(self, device: torch.device | str = "cpu") -> torch.Generator:
        gen = torch.Generator(device=device)
        if self.seed is None:
            gen.seed()
        else:
            gen.manual_seed(self.seed)
        return gen


def filter_logits(logits: Tensor, top_k: int = 0, top_p: float = 1.0) -> Tensor:
    """Set every word outside the top-k and outside the nucleus to -inf.

    Top-k keeps exactly k words even when scores tie. The nucleus always
    keeps the most likely word, so a row is never left empty.
    """
    vocab = logits.size(-1)
    if 0 < top_k < vocab:
        keep = torch.zeros_like(logits, dtype=torch.bool)
        keep.scatter_(-1, logits.topk(top_k, -1).indices, True)
        logits = logits.masked_fill(~keep, float("-inf"))
    if top_p < 1.0:
        probs, order = torch.softmax(logits, -1).sort(-1, descending=True)
        mass_before = probs.cumsum(-1) - probs  # probability of the more likely words
        drop_sorted = mass_before >= top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


@torch.no_grad()
def sample_search(
    model,
    src: Tensor,
    src_lengths: Tensor,
    sampling: Sampling,
    num_samples: int = 1,
    max_len_ratio: float = 2.0,
    min_len: int = 0,
    no_repeat_ngram: int = 0,
    max_len: int | None = None,
    length_penalty: float = 1.0,
    generator: torch.Generator | None = None,
) -> list[list[Hypothesis]]:
    """``num_samples`` sampled outputs per source, best first by length-normalised score."""
    gen = generator if generator is not None else sampling.generator(src.device)

    def pick(logp: Tensor) -> Tensor:
        logits = filter_logits(logp / sampling.temperature, sampling.top_k, sampling.top_p)
        return torch.multinomial(torch.softmax(logits, -1), 1, generator=gen).squeeze(1)

    rows = torch.arange(src.size(0), device=src.device).repeat_interleave(num_samples)
    hyps = decode_paths(
        model,
        src.index_select(0, rows),
        src_lengths.index_select(0, rows.to(src_lengths.device)),
        pick,
        max_len_ratio,
        min_len,
        no_repeat_ngram,
        max_len,
    )
    out = []
    for i in range(src.size(0)):
        group = hyps[i * num_samples : (i + 1) * num_samples]
        for h in group:
            steps = max(h.attention.size(0), 1)
            h.normalized = h.score / (steps**length_penalty) if length_penalty else h.score
        out.append(sorted(group, key=lambda h: -h.normalized))
    return out
