"""Token-budget batching and collation on real Multi30k lengths."""

from __future__ import annotations

import pytest
import torch

from attnseq.data.batching import batch_indices, collate, encode_sources
from attnseq.data.corpora import load_pairs
from attnseq.data.tokenizers import BOS, EOS, PAD


@pytest.fixture(scope="module")
def val_examples(mirror) -> list[tuple[list[int], list[int]]]:
    """Multi30k val, whitespace tokens mapped to fake ids (4 + position) to keep lengths real."""
    pairs = load_pairs("multi30k", "val", "en", "fr", variant="tok")
    assert len(pairs) > 1000
    return [
        ([4 + i for i, _ in enumerate(s.split())], [4 + i for i, _ in enumerate(t.split())])
        for s, t in pairs
    ]


@pytest.fixture(scope="module")
def lengths(val_examples) -> list[tuple[int, int]]:
    return [(len(s), len(t)) for s, t in val_examples]


@pytest.mark.parametrize("budget", [1, 40, 300, 2000])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_example_once_within_budget(lengths, budget, shuffle):
    batches = batch_indices(lengths, budget, shuffle=shuffle, seed=3, epoch=1)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert all(batches)
    for b in batches:
        cost = len(b) * (max(max(lengths[i]) for i in b) + 1)
        assert cost <= budget or len(b) == 1
    if budget >= 300:
        # Greedy cutting: adding the next example of the length order would break the budget,
        # so batches are reasonably full.
        assert sum(len(b) for b in batches) / len(batches) > budget / 60


def test_single_example_over_budget_gets_own_batch(lengths):
    batches = batch_indices(lengths, 5, shuffle=False)
    assert len(batches) == len(lengths)  # no two examples fit in 5 padded tokens


def test_unshuffled_batches_are_sorted_by_length(lengths):
    batches = batch_indices(lengths, 500, shuffle=False)
    keys = [(lengths[i][1], lengths[i][0]) for b in batches for i in b]
    assert keys == sorted(keys)
    assert batch_indices(lengths, 500, shuffle=False, seed=1, epoch=5) == batches


def test_deterministic_per_seed_and_epoch(lengths):
    a = batch_indices(lengths, 400, seed=7, epoch=2)
    assert a == batch_indices(lengths, 400, seed=7, epoch=2)
    assert a != batch_indices(lengths, 400, seed=7, epoch=3)
    assert a != batch_indices(lengths, 400, seed=8, epoch=2)
    # Another epoch changes the order, not just the batch boundaries.
    b = batch_indices(lengths, 400, seed=7, epoch=3)
    assert [x[0] for x in a[:10]] != [x[0] for x in b[:10]]


def test_collate(val_examples):
    indices = [5, 0, 17, 3]
    batch = collate(val_examples, indices)
    assert batch.indices == indices
    assert batch.src.size(0) == batch.tgt_in.size(0) == batch.tgt_out.size(0) == 4
    assert batch.tgt_in.shape == batch.tgt_out.shape
    for row, i in enumerate(indices):
        src, tgt = val_examples[i]
        n = len(src) + 1
        assert int(batch.src_lengths[row]) == n
        assert batch.src[row, :n].tolist() == [*src, EOS]
        assert torch.all(batch.src[row, n:] == PAD)
        m = len(tgt) + 1
        assert batch.tgt_in[row, :m].tolist() == [BOS, *tgt]
        assert batch.tgt_out[row, :m].tolist() == [*tgt, EOS]
        assert torch.all(batch.tgt_in[row, m:] == PAD)
        assert torch.all(batch.tgt_out[row, m:] == PAD)
        # Teacher forcing: the output is the input shifted by one.
        assert batch.tgt_in[row, 1:m].tolist() == batch.tgt_out[row, : m - 1].tolist()
    assert batch.src.size(1) == int(batch.src_lengths.max())
    assert batch.num_tokens == sum(len(val_examples[i][1]) + 1 for i in indices)


def test_encode_sources_lengths(val_examples):
    srcs = [s for s, _ in val_examples[:20]]
    src, lengths = encode_sources(srcs)
    assert lengths.tolist() == [len(s) + 1 for s in srcs]
    assert ((src != PAD).sum(1) == lengths).all()
    assert (src.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1) == EOS).all()
