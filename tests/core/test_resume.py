"""An interrupted and resumed run equals an uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import torch

from attnseq.checkpoints import load_tensors, prefixed
from attnseq.cli.main import main

TINY = str(Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml")


def metrics(run: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_resume_gives_the_same_losses_and_weights(tmp_path):
    common = [
        "--quiet",
        "--set",
        "train.valid_every=10",
        "--set",
        "train.teacher_forcing=0.8",
        "--set",
        "data.max_train_pairs=400",
    ]
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert (
        main(["train", TINY, "--out", str(straight), "--set", "train.max_steps=30", *common]) == 0
    )
    assert main(["train", TINY, "--out", str(split), "--set", "train.max_steps=10", *common]) == 0
    assert main(["train", "--resume", str(split), "--set", "train.max_steps=30", *common]) == 0

    a, b = metrics(straight), metrics(split)
    assert [r["step"] for r in a] == [r["step"] for r in b] == [10, 20, 30]
    for x, y in zip(a, b, strict=False):
        assert x["train_loss"] == y["train_loss"]
        assert x["valid_loss"] == y["valid_loss"]
    wa, _ = load_tensors(straight / "last.safetensors")
    wb, _ = load_tensors(split / "last.safetensors")
    for name, tensor in prefixed(wa, "model").items():
        assert torch.equal(tensor, prefixed(wb, "model")[name]), name
    assert torch.equal(wa["rng.torch"], wb["rng.torch"])


def test_resume_refuses_a_changed_model(tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                TINY,
                "--out",
                str(run),
                "--quiet",
                "--set",
                "train.max_steps=2",
                "--set",
                "train.valid_every=2",
                "--set",
                "data.max_train_pairs=200",
            ]
        )
        == 0
    )
    assert main(["train", "--resume", str(run), "--set", "model.decoder.hidden_size=32"]) == 2
    assert "model.decoder.hidden_size: 64 vs 32" in capsys.readouterr().err
