"""Learning-rate schedules, above all the budget-following linear decay."""

from __future__ import annotations

import pytest
import torch

from attnseq.config import TrainConfig, config_from_dict
from attnseq.errors import ConfigError
from attnseq.training.optim import Schedule


def schedule(**train) -> Schedule:
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([param], lr=train.pop("lr", 1e-3))
    return Schedule(optimizer, TrainConfig(schedule="linear_decay", **train))


def test_linear_decay_warms_up_then_follows_the_budget_down_to_min_lr():
    s = schedule(lr=1e-3, warmup_steps=4, min_lr=1e-5)
    assert s.lr == pytest.approx(1e-5 + (1e-3 - 1e-5) / 4)  # first step of the warm-up
    for _ in range(3):
        s.after_step(0.0)
    assert s.lr == pytest.approx(1e-3)  # warm
    s.after_step(0.5)
    assert s.lr == pytest.approx(1e-5 + (1e-3 - 1e-5) * 0.5)
    s.after_step(1.0)
    assert s.lr == pytest.approx(1e-5)
    s.after_step(1.7)  # a budget overrun never drives the rate below min_lr
    assert s.lr == pytest.approx(1e-5)


def test_linear_decay_resumes_where_it_stopped():
    first = schedule(lr=2e-3, warmup_steps=10, min_lr=0.0)
    for spent in (0.0, 0.1, 0.2):
        first.after_step(spent)
    state = first.state_dict()
    second = schedule(lr=2e-3, warmup_steps=10, min_lr=0.0)
    second.load_state_dict(state)
    first.after_step(0.3)
    second.after_step(0.3)
    assert (
        second.lr == pytest.approx(first.lr) == pytest.approx(2e-3 * 0.5 * 0.7)
    )  # step 5 of 10 warming up


def test_linear_decay_needs_a_budget():
    data = {"data": {"dataset": "tatoeba-fra-eng"}, "train": {"schedule": "linear_decay"}}
    with pytest.raises(ConfigError, match="linear_decay follows the budget"):
        config_from_dict(data, "recipe.yaml")
    data["train"]["max_minutes"] = 5
    assert config_from_dict(data).train.schedule == "linear_decay"
