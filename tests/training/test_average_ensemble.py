"""Checkpoint averaging and ensembles on tiny runs trained on real Tatoeba pairs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from attnseq.api.translator import Translator, load
from attnseq.checkpoints import load_tensors
from attnseq.cli.main import main
from attnseq.errors import CheckpointError
from attnseq.training.averaging import average_run, average_tensors, kept_checkpoints

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "tiny.yaml")
SENTENCES = ["Je suis content.", "Il fait froid.", "Où est la gare ?"]


def train(out: Path, *overrides: str) -> Path:
    args = ["train", TINY, "--out", str(out), "--quiet", "--set", "train.valid_every=10"]
    for override in overrides:
        args += ["--set", override]
    assert main(args) == 0
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("avg")
    run = train(root / "run", "train.keep_checkpoints=3")
    averaged = root / "avg"
    assert main(["average", str(run), "--last", "3", "-o", str(averaged)]) == 0
    other_vocab = train(root / "other", "tokenizer.vocab_size=500", "train.max_steps=10")
    return {"run": run, "avg": averaged, "other": other_vocab}


def test_keeps_the_last_checkpoints(runs):
    kept = kept_checkpoints(runs["run"])
    assert [p.name for p in kept] == [f"step-00000{s}0.safetensors" for s in (2, 3, 4)]


def test_average_is_the_elementwise_mean(runs):
    kept = kept_checkpoints(runs["run"])
    averaged, _ = load_tensors(runs["avg"] / "model.safetensors")
    parts = [load_tensors(p)[0] for p in kept]
    for name, value in averaged.items():
        expected = torch.stack([p[name].double() for p in parts]).mean(0).to(value.dtype)
        assert torch.allclose(value, expected, atol=1e-7), name
    assert not torch.equal(averaged["generator.bias"], parts[-1]["generator.bias"])


def test_averaged_run_translates_from_the_cli(runs, capsys):
    assert main(["translate", str(runs["avg"]), *SENTENCES, "--beam", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(SENTENCES)


def test_average_refuses_another_model(runs, tmp_path):
    paths = [kept_checkpoints(runs["run"])[-1], runs["other"] / "model.safetensors"]
    with pytest.raises(CheckpointError, match="vocabulary"):
        average_tensors(paths)
    with pytest.raises(CheckpointError, match="no kept checkpoints"):
        average_run([runs["other"]], tmp_path / "out", 2)


def test_ensemble_of_one_model_twice_equals_the_model(runs):
    single = load(runs["run"]).translate(SENTENCES, beam=3)
    double = load(runs["run"], runs["run"]).translate(SENTENCES, beam=3)
    assert [s.text for s in single] == [d.text for d in double]
    for s, d in zip(single, double, strict=True):
        assert d.score == pytest.approx(s.score, abs=1e-4)
        assert torch.allclose(s.attention, d.attention, atol=1e-5)


def test_ensemble_averages_probabilities(runs):
    a, b = Translator.load(runs["run"]), Translator.load(runs["avg"])
    ensemble = load(runs["run"], runs["avg"])
    src = torch.tensor([[5, 6, 7, 3], [8, 9, 3, 0]])
    lengths = torch.tensor([4, 3])
    tgt = torch.tensor([[2, 10, 11], [2, 12, 0]])
    with torch.no_grad():
        pa = torch.softmax(a.model(src, lengths, tgt)[0], -1)
        pb = torch.softmax(b.model(src, lengths, tgt)[0], -1)
        mixed, _ = ensemble.model(src, lengths, tgt)
    assert torch.allclose(mixed.exp(), (pa + pb) / 2, atol=1e-6)


def test_test_time_augmentation_is_for_caption_runs(runs, capsys):
    args = ["evaluate", str(runs["run"]), "--data", "tatoeba-fra-eng:valid", "--tta"]
    assert main(args) == 2
    assert "--tta is for caption runs" in capsys.readouterr().err


def test_ensemble_refuses_other_vocabularies(runs):
    with pytest.raises(CheckpointError, match="target vocabulary differs|source vocabulary"):
        load(runs["run"], runs["other"])


def test_cli_ensemble_and_evaluate(runs, capsys):
    assert main(["translate", str(runs["run"]), str(runs["avg"]), *SENTENCES]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(SENTENCES)
    assert (
        main(
            [
                "evaluate",
                str(runs["run"]),
                str(runs["avg"]),
                "--data",
                "tatoeba-fra-eng:valid",
                "--beam",
                "1",
            ]
        )
        == 0
    )
    assert "BLEU" in capsys.readouterr().out
