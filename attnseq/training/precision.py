"""Mixed precision: autocast for the forward pass, a gradient scaler for fp16.

Weights, optimizer state and checkpoints stay fp32 whatever ``train.precision``
says, so a run trained in bf16 or fp16 loads anywhere. bf16 keeps fp32's range
and needs no scaling; fp16 does, so its losses are multiplied by a running
scale (torch's GradScaler) that backs off when gradients overflow, and such
steps are skipped by the scaler rather than counted as bad.
"""

from __future__ import annotations

import contextlib

import torch

from attnseq.errors import ConfigError

DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    """The forward context, backward and optimizer step for one ``train.precision``."""

    def __init__(self, kind: str, device: torch.device):
        if kind == "fp16" and device.type != "cuda":
            raise ConfigError(
                f"train.precision: fp16 needs a CUDA device and this run uses {device}; "
                "use bf16 (CPU autocast) or fp32"
            )
        if kind == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ConfigError(f"train.precision: {device} does not support bf16; use fp16")
        self.kind = kind
        self.device_type = device.type
        self.dtype = DTYPES[kind]
        self.scaler = torch.amp.GradScaler("cuda") if kind == "fp16" else None

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Bring gradients back to their true size, before clipping them."""
        if self.scaler is not None:
            self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            optimizer.step()
        else:
            self.scaler.step(optimizer)
            self.scaler.update()

    def state_dict(self) -> dict:
        return self.scaler.state_dict() if self.scaler is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.scaler is not None and state:
            self.scaler.load_state_dict(state)
