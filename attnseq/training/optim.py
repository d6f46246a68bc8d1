"""Optimizers and learning-rate schedules from the config.

All state is plain numbers so it fits the JSON part of a checkpoint.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from attnseq.config import TrainConfig


def build_optimizer(
    model: nn.Module, cfg: TrainConfig, lr_scale: float = 1.0
) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=cfg.lr * lr_scale, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)


def lr_factor(rule: str, world: int) -> float:
    """How much ``train.lr`` grows with the number of processes (each adds a batch).

    ``linear`` keeps the update per example constant as the effective batch
    grows (Goyal et al., 2017); ``sqrt`` keeps the gradient noise constant,
    which often suits Adam better; ``none`` leaves the choice to the config.
    """
    if rule == "linear":
        return float(world)
    if rule == "sqrt":
        return math.sqrt(world)
    return 1.0


def warmup_factor(step: int, warmup: int) -> float:
    """Linear warm-up over ``warmup`` steps, then decay with 1/sqrt(step)."""
    if warmup <= 0:
        return 1.0 / math.sqrt(max(step, 1))
    return min(1.0, step / warmup) * math.sqrt(warmup / max(step, warmup))


class Schedule:
    """One interface over torch's schedulers: ``after_step`` and ``after_validation``."""

    def __init__(self, optimizer: torch.optim.Optimizer, cfg: TrainConfig):
        self.kind = cfg.schedule
        self.optimizer = optimizer
        if self.kind == "plateau":
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer,
                mode="min",
                factor=cfg.plateau_factor,
                patience=cfg.plateau_patience,
                min_lr=cfg.min_lr,
            )
        elif self.kind == "warmup_decay":
            warmup = cfg.warmup_steps
            self.scheduler = torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda step: warmup_factor(step + 1, warmup)
            )
        else:
            self.scheduler = None

    def rescale(self, factor: float) -> None:
        """Multiply the learning rate, now and in the schedule's base (a resumed run
        that changed its number of processes under ``train.lr_scaling``)."""
        for group in self.optimizer.param_groups:
            group["lr"] *= factor
            if "initial_lr" in group:
                group["initial_lr"] *= factor
        if self.kind == "warmup_decay":
            self.scheduler.base_lrs = [lr * factor for lr in self.scheduler.base_lrs]

    def after_step(self) -> None:
        if self.kind == "warmup_decay":
            self.scheduler.step()

    def after_validation(self, valid_loss: float) -> None:
        if self.kind == "plateau":
            self.scheduler.step(valid_loss)

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def state_dict(self) -> dict:
        return self.scheduler.state_dict() if self.scheduler is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state)
