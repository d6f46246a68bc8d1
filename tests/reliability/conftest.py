"""Fixtures of the reliability suite: one tiny trained run folder, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reliability_support import train


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A finished tiny run (4 steps, validated at 2 and 4); never modify it, copy it."""
    out = tmp_path_factory.mktemp("reliability") / "run"
    assert train(out, "train.max_steps=4", "train.valid_every=2") == 0
    return out


@pytest.fixture
def run_copy(trained_run, tmp_path) -> Path:
    """A private copy of the trained run that a test may damage."""
    copy = tmp_path / "run"
    shutil.copytree(trained_run, copy)
    return copy
