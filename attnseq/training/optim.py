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
        # linear_decay sets the rate itself from the share of the budget spent.
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.warmup, self.min_lr, self.steps = cfg.warmup_steps, cfg.min_lr, 0
        if self.kind == "linear_decay":
            self._set_linear(0.0)

    def rescale(self, factor: float) -> None:
        """Multiply the learning rate, now and in the schedule's base (a resumed run
        that changed its number of processes under ``train.lr_scaling``)."""
        for group in self.optimizer.param_groups:
            group["lr"] *= factor
            if "initial_lr" in group:
                group["initial_lr"] *= factor
        if self.kind == "warmup_decay":
            self.scheduler.base_lrs = [lr * factor for lr in self.scheduler.base_lrs]
        self.base_lrs = [lr * factor for lr in self.base_lrs]

    def after_step(self, budget_spent: float = 0.0) -> None:
        """``budget_spent``: the share of the run's budget (steps or minutes) used, in [0, 1]."""
        self.steps += 1
        if self.kind == "warmup_decay":
            self.scheduler.step()
        elif self.kind == "linear_decay":
            self._set_linear(budget_spent)

    def _set_linear(self, budget_spent: float) -> None:
        """Warm up over ``warmup_steps``, then fall linearly to ``min_lr`` as the budget
        runs out: under a fixed budget this beats stepwise decay (Li et al., 2020,
        "Budgeted Training")."""
        warm = min(1.0, (self.steps + 1) / self.warmup) if self.warmup > 0 else 1.0
        left = min(1.0, max(0.0, 1.0 - budget_spent))
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = self.min_lr + (base - self.min_lr) * warm * left

    def after_validation(self, valid_loss: float) -> None:
        if self.kind == "plateau":
            self.scheduler.step(valid_loss)

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def state_dict(self) -> dict:
        if self.kind == "linear_decay":
            return {"base_lrs": self.base_lrs, "steps": self.steps}
        return self.scheduler.state_dict() if self.scheduler is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.kind == "linear_decay":
            self.base_lrs, self.steps = list(state["base_lrs"]), int(state["steps"])
        elif self.scheduler is not None:
            self.scheduler.load_state_dict(state)
