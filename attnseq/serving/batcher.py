"""Micro-batching: requests that arrive together share one model call.

A sequence model on a CPU spends most of a one-sentence call on per-step
overhead, so decoding 16 sentences together costs little more than decoding
one. Requests are queued; a collector takes the first, waits a few
milliseconds (or until the batch is full) for more, and runs them as one call
on a worker thread so the event loop keeps accepting requests. Requests with
different search options (beam size) cannot share a call and are run as
separate groups. If a shared call fails, each request of it is retried alone,
so one bad request never fails its neighbours.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

RunBatch = Callable[[list[Any], Hashable], Sequence[Any]]


class QueueFull(Exception):
    """More requests are waiting than the server is willing to hold."""


@dataclass
class BatchResult:
    results: list[Any]
    queue_ms: float  # waiting for the batch to start
    compute_ms: float  # the model call shared by the whole batch
    batch_items: int  # items (sentences, images) in that call


@dataclass
class _Pending:
    items: list[Any]
    options: Hashable
    future: asyncio.Future
    enqueued: float = field(default_factory=time.perf_counter)


class MicroBatcher:
    """Collects ``submit`` calls into batches of at most ``max_batch`` items.

    ``max_batch=1`` turns batching off: every request is its own call (a single
    request with several items is still one call).
    """

    def __init__(
        self,
        run_batch: RunBatch,
        executor: Executor,
        max_batch: int = 32,
        max_wait_ms: float = 5.0,
        max_queue: int = 1024,
    ):
        self.run_batch = run_batch
        self.executor = executor
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self._queue: asyncio.Queue[_Pending] | None = None
        self._held: _Pending | None = None  # did not fit the last batch; starts the next
        self._collector: asyncio.Task | None = None

    async def submit(self, items: list[Any], options: Hashable) -> BatchResult:
        if self._queue is None:
            self._queue = asyncio.Queue()
        if self._queue.qsize() >= self.max_queue:
            raise QueueFull(f"{self._queue.qsize()} requests are already waiting")
        if self._collector is None or self._collector.done():
            self._collector = asyncio.create_task(self._collect_forever())
        pending = _Pending(list(items), options, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(pending)
        return await pending.future

    async def close(self) -> None:
        if self._collector is not None:
            self._collector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._collector
            self._collector = None

    async def _collect_forever(self) -> None:
        while True:
            batch = await self._next_batch()
            groups: dict[Hashable, list[_Pending]] = {}
            for pending in batch:
                groups.setdefault(pending.options, []).append(pending)
            for options, group in groups.items():
                await self._run_group(group, options)

    async def _next_batch(self) -> list[_Pending]:
        assert self._queue is not None
        first = self._held or await self._queue.get()
        self._held = None
        batch, size = [first], len(first.items)
        if self.max_batch <= 1:
            return batch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        while size < self.max_batch:
            try:
                pending = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    pending = await asyncio.wait_for(self._queue.get(), remaining)
                except asyncio.TimeoutError:
                    break
            if size + len(pending.items) > self.max_batch:
                self._held = pending
                break
            batch.append(pending)
            size += len(pending.items)
        return batch

    async def _run_group(self, group: list[_Pending], options: Hashable) -> None:
        group = [p for p in group if not p.future.done()]  # drop requests whose client left
        if not group:
            return
        try:
            await self._run_together(group, options)
        except Exception as err:
            if len(group) == 1:
                _settle(group[0].future, error=err)
                return
            for pending in group:  # find which request broke the shared call
                try:
                    await self._run_together([pending], options)
                except Exception as single_err:
                    _settle(pending.future, error=single_err)

    async def _run_together(self, group: list[_Pending], options: Hashable) -> None:
        items = [item for pending in group for item in pending.items]
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(self.executor, self.run_batch, items, options)
        finished = time.perf_counter()
        if len(results) != len(items):
            raise RuntimeError(f"model returned {len(results)} results for {len(items)} inputs")
        start = 0
        for pending in group:
            end = start + len(pending.items)
            _settle(
                pending.future,
                result=BatchResult(
                    results=list(results[start:end]),
                    queue_ms=(started - pending.enqueued) * 1000,
                    compute_ms=(finished - started) * 1000,
                    batch_items=len(items),
                ),
            )
            start = end


def _settle(future: asyncio.Future, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
