"""Fixtures of the chat tests: one thread for the tiny models, a trained tiny chat run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from attnseq.cli.main import main

REPO = Path(__file__).resolve().parents[2]
TINY_CHAT = str(REPO / "configs" / "tiny-chat.yaml")


@pytest.fixture(autouse=True)
def one_thread():
    """Models of a few hundred weights gain nothing from threads, and on a busy
    2-core machine thread hand-offs make them many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def chat_run(tmp_path_factory) -> Path:
    """A tiny chat model on DailyDialog, trained for a few dozen steps."""
    out = tmp_path_factory.mktemp("chat") / "run"
    args = ["train", TINY_CHAT, "--out", str(out), "--quiet", "--set", "train.threads=1"]
    assert main(args) == 0
    return out


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory) -> Path:
    """The same tiny chat model without attention."""
    out = tmp_path_factory.mktemp("chat") / "baseline"
    args = [
        "train",
        TINY_CHAT,
        "--out",
        str(out),
        "--quiet",
        "--set",
        "train.threads=1",
        "--set",
        "train.max_steps=10",
        "--set",
        "model.decoder.attention=none",
    ]
    assert main(args) == 0
    return out
