"""Helpers of the reliability suite (a plain module: test files import it by name)."""

from __future__ import annotations

from pathlib import Path

import torch

from attnseq.cli.main import main

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "tiny.yaml")
# A few steps on a few hundred real Tatoeba pairs: enough for every file of a run folder.
# One thread: a tiny model gains nothing from more, and on a busy machine loses a lot.
SMALL = [
    "--quiet",
    "--set",
    "train.threads=1",
    "--set",
    "data.max_train_pairs=200",
    "--set",
    "data.max_valid_pairs=20",
    "--set",
    "train.valid_bleu_sentences=5",
]


def train(out: Path, *overrides: str, resume: bool = False) -> int:
    """Train the tiny config in this process; ``overrides`` are ``key=value`` strings."""
    args = ["train", "--resume", str(out)] if resume else ["train", TINY, "--out", str(out)]
    args += SMALL
    for item in overrides:
        args += ["--set", item]
    threads = torch.get_num_threads()
    try:
        return main(args)
    finally:
        torch.set_num_threads(threads)  # leave the rest of the test session as it was


def temporaries(folder: Path) -> list[str]:
    """Names of atomic-write temporaries in ``folder`` and its subfolders."""
    return sorted(p.name for p in Path(folder).rglob(".*.tmp"))
