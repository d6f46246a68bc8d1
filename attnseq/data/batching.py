"""Batches by token budget, bucketed by length.

Sorting examples by length before cutting batches keeps padding, and so
wasted arithmetic, small; shuffling the order of the batches (not their
contents) keeps training stochastic. Everything random is derived from
``(seed, epoch)``, so an epoch's batches can be rebuilt exactly on resume or
on every rank of a distributed job.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from attnseq.data.tokenizers import BOS, EOS, PAD

Example = tuple[list[int], list[int]]  # source ids, target ids (no specials)


@dataclass
class Batch:
    src: Tensor  # [B, S] source ids followed by EOS, padded
    src_lengths: Tensor  # [B]
    tgt_in: Tensor  # [B, T] BOS followed by target ids
    tgt_out: Tensor  # [B, T] target ids followed by EOS
    indices: list[int]  # positions of the examples in the data set

    @property
    def num_tokens(self) -> int:
        return int((self.tgt_out != PAD).sum())

    def to(self, device: torch.device | str) -> Batch:
        return Batch(
            self.src.to(device),
            self.src_lengths.to(device),
            self.tgt_in.to(device),
            self.tgt_out.to(device),
            self.indices,
        )


def _pad(rows: Sequence[list[int]]) -> Tensor:
    out = torch.full((len(rows), max(len(r) for r in rows)), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def encode_sources(sources: Sequence[list[int]]) -> tuple[Tensor, Tensor]:
    """Pad source id lists (EOS appended) for the encoder."""
    rows = [list(s) + [EOS] for s in sources]
    return _pad(rows), torch.tensor([len(r) for r in rows], dtype=torch.long)


def collate(examples: Sequence[Example], indices: Sequence[int]) -> Batch:
    chosen = [examples[i] for i in indices]
    src, lengths = encode_sources([s for s, _ in chosen])
    tgt_in = _pad([[BOS, *t] for _, t in chosen])
    tgt_out = _pad([[*t, EOS] for _, t in chosen])
    return Batch(src, lengths, tgt_in, tgt_out, list(indices))


def batch_indices(
    lengths: Sequence[tuple[int, int]],
    batch_tokens: int,
    shuffle: bool = True,
    seed: int = 0,
    epoch: int = 0,
) -> list[list[int]]:
    """Cut examples into batches of at most ``batch_tokens`` padded tokens.

    ``lengths`` holds (source, target) lengths. Each batch's cost is its size
    times its longest side (plus the EOS/BOS), so padding counts against the
    budget. An example longer than the budget still gets a batch of its own.
    """
    rng = random.Random(seed * 1_000_003 + epoch)
    tie_break = [rng.random() for _ in lengths] if shuffle else [0.0] * len(lengths)
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i][1], lengths[i][0], tie_break[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        size = max(lengths[i]) + 1
        if current and max(longest, size) * (len(current) + 1) > batch_tokens:
            batches.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, size)
    if current:
        batches.append(current)
    if shuffle:
        rng.shuffle(batches)
    return batches
