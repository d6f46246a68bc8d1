"""Which device a training process runs on, from ``train.device``.

One config serves a laptop, a GPU box and a job of several processes: ``auto``
takes the GPU when torch sees one, and ``cuda`` means "this process's GPU",
which for the i-th process on a machine (torchrun's LOCAL_RANK) is ``cuda:i``.
The decoding commands' ``--device`` flag resolves the same way.
"""

from __future__ import annotations

import torch

from attnseq.errors import ConfigError


def choose_device(
    spec: str, local_rank: int = 0, local_world: int = 1, field: str = "train.device"
) -> torch.device:
    """Resolve ``auto|cpu|cuda|cuda:N`` for the process with ``local_rank`` on its machine.

    ``field`` is what the user wrote the spec in (a config key or a command-line
    flag), so that errors point there."""
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    if spec == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ConfigError(
            f"{field}: {spec!r} but torch {torch.__version__} sees no CUDA device; use cpu or auto"
        )
    if spec == "cuda":
        index = local_rank
    elif local_world > 1:
        raise ConfigError(
            f"{field}: {spec!r} names one GPU but {local_world} processes run on this "
            "machine; use cuda (process i takes cuda:i)"
        )
    else:
        index = int(spec.split(":", 1)[1])
    count = torch.cuda.device_count()
    if index >= count:
        raise ConfigError(
            f"{field}: process {local_rank} needs cuda:{index} but this machine has "
            f"{count} CUDA device(s)"
        )
    return torch.device("cuda", index)
