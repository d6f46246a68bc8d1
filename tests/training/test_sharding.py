"""Sharding an epoch's batches across processes, on real Multi30k lengths."""

from __future__ import annotations

from collections import Counter

import pytest

from attnseq.data.batching import batch_indices
from attnseq.data.corpora import load_pairs
from attnseq.data.sharding import epoch_batches, rank_share


@pytest.fixture(scope="module")
def lengths(mirror) -> list[tuple[int, int]]:
    pairs = load_pairs("multi30k", "val", "en", "de", variant="tok")
    assert len(pairs) > 1000
    return [(len(s.split()), len(t.split())) for s, t in pairs]


def shares(batches: list[list[int]], world: int) -> list[list[list[int]]]:
    """Per step, what each rank trains on."""
    return [[rank_share(batch, rank, world) for rank in range(world)] for batch in batches]


@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("batch_tokens", [12, 500])
def test_each_example_once_per_epoch_across_ranks(lengths, world, batch_tokens):
    steps = shares(epoch_batches(lengths, batch_tokens, world, seed=5, epoch=2), world)
    used = Counter(i for step in steps for share in step for i in share)
    assert sorted(used) == list(range(len(lengths)))
    assert set(used.values()) == {1}
    # Every rank has a place in every step: the same number of steps for all.
    assert all(len(step) == world for step in steps)


def test_tiny_budget_leaves_some_shares_empty(lengths):
    """Pairs longer than the budget get a global batch of their own; other ranks get nothing
    in that step (the trainer gives them a zero-weight example) and no pair is dropped."""
    steps = shares(epoch_batches(lengths, 12, 2, seed=5), 2)
    assert any(not step[1] for step in steps)
    assert all(step[0] for step in steps)


def test_n_processes_see_what_one_process_with_n_times_the_budget_sees(lengths):
    for world in (2, 3):
        assert epoch_batches(lengths, 700, world, seed=1, epoch=4) == batch_indices(
            lengths, 700 * world, seed=1, epoch=4
        )
    assert epoch_batches(lengths, 700, 1, seed=1, epoch=4) == batch_indices(
        lengths, 700, seed=1, epoch=4
    )


def test_shares_are_balanced(lengths):
    """Interleaving gives every rank about the same number of similar-length pairs."""
    for batch in epoch_batches(lengths, 1000, 2, seed=3):
        a, b = (rank_share(batch, r, 2) for r in range(2))
        assert len(a) - len(b) in (0, 1)
        if b:
            longest = [max(max(lengths[i]) for i in s) for s in (a, b)]
            assert abs(longest[0] - longest[1]) <= 2


def test_order_follows_seed_and_epoch(lengths):
    first = epoch_batches(lengths, 500, 2, seed=1, epoch=0)
    assert first == epoch_batches(lengths, 500, 2, seed=1, epoch=0)
    assert first != epoch_batches(lengths, 500, 2, seed=1, epoch=1)
    assert first != epoch_batches(lengths, 500, 2, seed=2, epoch=0)


def test_changing_the_number_of_processes_mid_epoch_loses_and_repeats_nothing(lengths):
    """2 processes do 7 steps, 3 do 5 more, then 1 finishes the epoch."""
    used: Counter[int] = Counter()
    done: list[list[int]] = []
    for world, steps in ((2, 7), (3, 5), (1, None)):
        batches = epoch_batches(lengths, 300, world, seed=9, epoch=1, done=done)
        taken = batches if steps is None else batches[:steps]
        used.update(
            i for batch in taken for rank in range(world) for i in rank_share(batch, rank, world)
        )
        if steps is not None:
            done.append([world, steps])
    assert sorted(used) == list(range(len(lengths)))
    assert set(used.values()) == {1}
