"""The micro-batcher: who shares a call, in what order, and who sees an error."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from attnseq.serving.batcher import MicroBatcher, QueueFull


class Recorder:
    """A model stand-in: upper-cases its inputs and remembers every call."""

    def __init__(self, fail_on: str | None = None):
        self.calls: list[tuple[list[str], object]] = []
        self.fail_on = fail_on
        self.threads: set[str] = set()

    def __call__(self, items: list[str], options) -> list[str]:
        self.calls.append((list(items), options))
        self.threads.add(threading.current_thread().name)
        if self.fail_on in items:
            raise ValueError(f"cannot handle {self.fail_on!r}")
        return [item.upper() for item in items]


def run(coro):
    return asyncio.run(coro)


async def submit_all(batcher: MicroBatcher, requests, options=("beam", 1)):
    try:
        return await asyncio.gather(
            *(batcher.submit(items, options) for items in requests), return_exceptions=True
        )
    finally:
        await batcher.close()


@pytest.fixture
def pool():
    with ThreadPoolExecutor(1, thread_name_prefix="model") as executor:
        yield executor


def test_concurrent_requests_share_one_call_off_the_event_loop(pool):
    model = Recorder()
    batcher = MicroBatcher(model, pool, max_batch=32, max_wait_ms=50)
    requests = [[f"s{i}"] for i in range(8)] + [["a", "b"]]
    done = run(submit_all(batcher, requests))
    assert model.calls == [([f"s{i}" for i in range(8)] + ["a", "b"], ("beam", 1))]
    assert [d.results for d in done] == [[f"S{i}"] for i in range(8)] + [["A", "B"]]
    assert all(d.batch_items == 10 and d.compute_ms >= 0 and d.queue_ms >= 0 for d in done)
    assert model.threads == {"model_0"}


def test_batches_never_exceed_max_batch_and_keep_order(pool):
    model = Recorder()
    batcher = MicroBatcher(model, pool, max_batch=3, max_wait_ms=50)
    requests = [["a"], ["b", "c"], ["d"], ["e", "f", "g"], ["h"]]
    done = run(submit_all(batcher, requests))
    assert [items for items, _ in model.calls] == [["a", "b", "c"], ["d"], ["e", "f", "g"], ["h"]]
    assert [d.results for d in done] == [[x.upper() for x in r] for r in requests]


def test_a_request_larger_than_max_batch_runs_alone(pool):
    model = Recorder()
    batcher = MicroBatcher(model, pool, max_batch=2, max_wait_ms=50)
    done = run(submit_all(batcher, [["a", "b", "c"], ["d"]]))
    assert [items for items, _ in model.calls] == [["a", "b", "c"], ["d"]]
    assert done[0].results == ["A", "B", "C"]


def test_different_options_run_as_separate_calls(pool):
    model = Recorder()
    batcher = MicroBatcher(model, pool, max_batch=32, max_wait_ms=50)

    async def go():
        try:
            return await asyncio.gather(
                batcher.submit(["a"], (1,)),
                batcher.submit(["b"], (5,)),
                batcher.submit(["c"], (1,)),
            )
        finally:
            await batcher.close()

    done = run(go())
    assert sorted(model.calls) == [(["a", "c"], (1,)), (["b"], (5,))]
    assert [d.results for d in done] == [["A"], ["B"], ["C"]]


def test_a_failing_request_does_not_fail_its_neighbours(pool):
    model = Recorder(fail_on="bad")
    batcher = MicroBatcher(model, pool, max_batch=32, max_wait_ms=50)
    done = run(submit_all(batcher, [["a"], ["bad"], ["c", "d"]]))
    assert done[0].results == ["A"] and done[2].results == ["C", "D"]
    assert isinstance(done[1], ValueError) and "bad" in str(done[1])
    # The shared call failed, then each request was retried on its own.
    assert [items for items, _ in model.calls] == [
        ["a", "bad", "c", "d"],
        ["a"],
        ["bad"],
        ["c", "d"],
    ]


def test_without_batching_every_request_is_its_own_call(pool):
    model = Recorder()
    batcher = MicroBatcher(model, pool, max_batch=1, max_wait_ms=0)
    done = run(submit_all(batcher, [["a"], ["b", "c"], ["d"]]))
    assert [items for items, _ in model.calls] == [["a"], ["b", "c"], ["d"]]
    assert [d.batch_items for d in done] == [1, 2, 1]


def test_a_full_queue_refuses_new_requests(pool):
    model = Recorder()
    batcher = MicroBatcher(model, pool, max_batch=1, max_wait_ms=0, max_queue=2)
    done = run(submit_all(batcher, [["a"], ["b"], ["c"], ["d"]]))
    refused = [d for d in done if isinstance(d, QueueFull)]
    assert len(refused) == 2 and "already waiting" in str(refused[0])
    assert [d.results for d in done if not isinstance(d, QueueFull)] == [["A"], ["B"]]
