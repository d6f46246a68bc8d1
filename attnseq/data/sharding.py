"""An epoch's batches for a job of several processes, and each process's share.

A step of a job with ``world`` processes learns from one *global* batch of
``batch_tokens * world`` padded tokens, cut by :func:`batch_indices` exactly
as a single process with that budget would cut it. Each process then takes
every ``world``-th example of the global batch. So:

* every process runs the same number of steps (one per global batch), and
  no process waits at the end of an epoch for a batch that never comes;
* every example of an epoch is used exactly once, by one process;
* examples of a global batch have similar lengths (batches are bucketed),
  so the shares cost about the same and nobody waits long for a straggler;
* N processes with ``batch_tokens`` B see, step for step, the same examples
  as one process with ``batch_tokens`` N*B.

A global batch with fewer examples than processes (one very long pair) leaves
some shares empty; the trainer then lets those processes take part in the step
with zero weight, so nothing is dropped or counted twice.

Everything is derived from the seed, the epoch and, when a run resumes with a
different number of processes half-way through an epoch, the record of what
each earlier part of the epoch consumed (``done``).
"""

from __future__ import annotations

from collections.abc import Sequence

from attnseq.data.batching import batch_indices

# (processes, global batches consumed) for each earlier part of an interrupted epoch.
Done = Sequence[Sequence[int]]


def _batches_of(
    lengths: Sequence[tuple[int, int]], subset: list[int], budget: int, seed: int, epoch: int
) -> list[list[int]]:
    """``batch_indices`` over a subset of the examples, in the examples' own numbering."""
    local = batch_indices([lengths[i] for i in subset], budget, seed=seed, epoch=epoch)
    return [[subset[j] for j in batch] for batch in local]


def epoch_batches(
    lengths: Sequence[tuple[int, int]],
    batch_tokens: int,
    world: int = 1,
    seed: int = 0,
    epoch: int = 0,
    done: Done = (),
) -> list[list[int]]:
    """The global batches of ``epoch`` for ``world`` processes of ``batch_tokens`` each.

    Without ``done`` this is exactly ``batch_indices(lengths, batch_tokens * world)``.
    With it, the examples that earlier parts of the epoch consumed (under
    another number of processes) are left out, and the rest is batched anew.
    """
    if not done:
        return batch_indices(lengths, batch_tokens * world, seed=seed, epoch=epoch)
    remaining = list(range(len(lengths)))
    for part_world, consumed in done:
        batches = _batches_of(lengths, remaining, batch_tokens * part_world, seed, epoch)
        seen = {i for batch in batches[:consumed] for i in batch}
        remaining = [i for i in remaining if i not in seen]
    if not remaining:
        return []
    return _batches_of(lengths, remaining, batch_tokens * world, seed, epoch)


def rank_share(batch: Sequence[int], rank: int, world: int) -> list[int]:
    """This process's examples of a global batch: every ``world``-th, from ``rank``.

    Interleaving (rather than cutting the length-sorted batch in halves) gives
    every process a similar longest example, so the shares cost the same.
    """
    return list(batch[rank::world])
