"""Several training processes as one job: ranks, the process group, collectives.

attnseq has no parallel engine of its own. torchrun starts the processes and
tells each its RANK, WORLD_SIZE, LOCAL_RANK and where to meet; torch.distributed
connects them (gloo between CPU processes, NCCL between GPUs); and
DistributedDataParallel averages the gradients during backward. This module is
the glue the trainer needs on top: who this process is, summing or agreeing on
a few numbers, and turning a lost peer into one clear error instead of a hang.

With one process nothing here touches torch.distributed and the model is not
wrapped, so single-process training costs exactly what it did before.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from attnseq.errors import DistributedError
from attnseq.training.device import choose_device

# torchrun counts how often it restarted the workers (--max-restarts).
RESTARTS_ENV = "TORCHELASTIC_RESTART_COUNT"

_COMM_FAILURE = re.compile(
    r"gloo|nccl|connection (closed|reset|refused)|timed out|broken pipe", re.IGNORECASE
)


def restart_count() -> int:
    return int(os.environ.get(RESTARTS_ENV, "0"))


def under_torchrun() -> bool:
    return "TORCHELASTIC_RUN_ID" in os.environ


def _is_comm_failure(err: BaseException) -> bool:
    return isinstance(err, dist.DistError) or bool(_COMM_FAILURE.search(str(err)))


def _first_line(err: BaseException) -> str:
    """The useful part of a backend error: no source path prefix, no advice paragraph."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    text = re.sub(r"^\[[^\]]*\]\s*", "", text)
    return text.split(". ")[0][:200]


@dataclass
class DistContext:
    """Where this process stands in its job; a job of one is the plain single process."""

    device: torch.device
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    restarts: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes checkpoints, logs, metrics and progress bars."""
        return self.rank == 0

    def wrap(self, model: nn.Module) -> nn.Module:
        """The module to train through: DDP over ``model`` in a job, ``model`` itself alone.

        DDP broadcasts rank 0's weights at construction, so every process starts
        from the same model.
        """
        if not self.enabled:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def _reduce(self, values: list[float], op) -> list[float]:
        if not self.enabled:
            return list(values)
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor, op=op)
        return tensor.tolist()

    def all_sum(self, values: list[float]) -> list[float]:
        return self._reduce(values, dist.ReduceOp.SUM)

    def all_max(self, values: list[float]) -> list[float]:
        return self._reduce(values, dist.ReduceOp.MAX)

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's ``obj`` on every rank (small JSON-like values only)."""
        if not self.enabled:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order, on every rank."""
        if not self.enabled:
            return [obj]
        out: list[Any] = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def close(self) -> None:
        if self.enabled and dist.is_initialized():
            dist.destroy_process_group()

    @contextlib.contextmanager
    def guard(self, doing: str, hint: str = "") -> Iterator[None]:
        """Turn a failed collective (a peer died, the network broke, a timeout) into one line."""
        try:
            yield
        except RuntimeError as err:
            if not self.enabled or not _is_comm_failure(err):
                raise
            raise DistributedError(
                f"rank {self.rank}: lost contact with the other processes while {doing} "
                f"({_first_line(err)}); another process stopped or the network failed, "
                f"so the job stops{hint}"
            ) from None


def connect(device_spec: str, timeout_minutes: float) -> DistContext:
    """Join the job torchrun started (or stand alone without one).

    torchrun's environment gives the rank and the rendezvous; the backend
    follows the device: NCCL for GPUs, gloo for CPUs. ``timeout_minutes``
    bounds every wait on another process, so a hung peer ends the job.
    """
    env = os.environ
    world = int(env.get("WORLD_SIZE", "1"))
    rank = int(env.get("RANK", "0"))
    local_rank = int(env.get("LOCAL_RANK", "0"))
    local_world = int(env.get("LOCAL_WORLD_SIZE", "1"))
    device = choose_device(device_spec, local_rank, local_world)
    ctx = DistContext(device, rank, world, local_rank, restart_count())
    if ctx.enabled:
        cuda = device.type == "cuda"
        if cuda:
            torch.cuda.set_device(device)
        timeout = timedelta(minutes=timeout_minutes)
        with ctx.guard("connecting to the job"):
            dist.init_process_group(
                "nccl" if cuda else "gloo",
                store=_store(rank, world, timeout),
                rank=rank,
                world_size=world,
                timeout=timeout,
                device_id=device if cuda else None,
            )
    return ctx


def _store(rank: int, world: int, timeout: timedelta) -> dist.Store:
    """torchrun's key-value store, with the keys of each restart kept apart.

    By default torchrun's agent keeps one store for all restarts, so the
    processes of a restart can read the addresses their dead predecessors
    left there and fail to connect (pytorch/pytorch#135712). A prefix per
    restart avoids that; ``attnseq train --nproc`` also sets
    TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1, which gives every restart a new store.
    """
    store, _, _ = next(dist.rendezvous("env://", rank, world, timeout=timeout))
    if os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True":
        store = dist.PrefixStore(f"attnseq/restart{restart_count()}/", store)
    return store
