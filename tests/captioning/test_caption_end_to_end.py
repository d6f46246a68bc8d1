"""Captioning end to end on tiny configs: train, resume, caption, draw, evaluate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from attnseq.api.captioner import Caption, Captioner
from attnseq.cli.main import main
from attnseq.data.images import TTA_SHIFTS, shift
from attnseq.errors import AttnseqError
from attnseq.models.ensemble import Ensemble

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "caption-tiny.yaml")
PHOTOS = Path("captioning") / "coco-mini" / "images" / "val2017"


def attnseq(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "attnseq", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def train_tiny(out: Path, *overrides: str) -> None:
    """Train configs/caption-tiny.yaml with ``--set`` overrides."""
    args = ["train", TINY, "--out", str(out), "--quiet"]
    assert main(args + [x for o in overrides for x in ("--set", o)]) == 0


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("caption") / "run"
    assert main(["train", TINY, "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def photos(mirror) -> list[Path]:
    return sorted((mirror / PHOTOS).glob("*.jpg"))[:2]


def test_run_folder_and_metrics(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"config.yaml", "tokenizer.json", "model.safetensors", "last.safetensors"} <= names
    rows = records(run_dir)
    assert [r["step"] for r in rows] == [3, 6]
    for r in rows:
        assert r["valid_ppl"] > 1 and 0 <= r["valid_bleu"] <= 100 and r["valid_cider"] >= 0
    assert len(list((run_dir / "attention").glob("step-*.png"))) == 2
    assert "doubly_stochastic: 1.0" in (run_dir / "config.yaml").read_text()


def test_captioner_api(run_dir, photos):
    captioner = Captioner.load(run_dir)
    images = [Image.open(p) for p in photos]
    for beam in (1, 3):
        captions = captioner.caption(images, beam=beam, max_len=6)
        assert len(captions) == 2
        for caption in captions:
            assert isinstance(caption, Caption) and caption.grid == (8, 8)
            assert caption.attention.shape == (len(caption.out_tokens), 64)
            assert 1 <= len(caption.out_tokens) <= 6
            torch.testing.assert_close(
                caption.attention.sum(-1), torch.ones(len(caption.out_tokens))
            )
            doc = json.loads(json.dumps(caption.to_dict()))
            assert doc["grid"] == [8, 8] and doc["caption"] == caption.text
    assert captioner.caption([]) == []


def test_caption_command_and_figure(run_dir, photos, tmp_path, capsys):
    figure = tmp_path / "where.png"
    args = ["caption", str(run_dir), *map(str, photos), "--beam", "2", "--max-len", "5"]
    assert main([*args, "--attention", str(figure)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[-1] == f"attention figure: {figure}"
    with Image.open(figure) as png:
        assert png.format == "PNG" and png.width > 200
    assert main(["caption", str(run_dir), str(photos[0]), "--json", "--beam", "1"]) == 0
    (doc,) = json.loads(capsys.readouterr().out)
    assert doc["image"] == str(photos[0]) and len(doc["attention"]) == len(doc["out_tokens"])
    assert main(["caption", str(run_dir), str(tmp_path / "nope.jpg")]) == 2
    assert "nope.jpg: image file not found" in capsys.readouterr().err


def test_resume_continues_the_run(run_dir, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    assert main(["train", "--resume", str(copy), "--quiet", "--set", "train.max_steps=9"]) == 0
    assert [r["step"] for r in records(copy)] == [3, 6, 9]


def test_an_ensemble_of_caption_runs(run_dir, photos, tmp_path, capsys, monkeypatch):
    images = [Image.open(p) for p in photos]
    alone = Captioner.load(run_dir).caption(images, beam=2)
    twice = Captioner.ensemble([run_dir, run_dir]).caption(images, beam=2)
    for a, b in zip(alone, twice, strict=True):  # a model averaged with itself is itself
        assert a.text == b.text and b.grid == (8, 8)
        torch.testing.assert_close(a.attention, b.attention)
    longer = tmp_path / "longer"
    shutil.copytree(run_dir, longer)
    assert main(["train", "--resume", str(longer), "--quiet", "--set", "train.max_steps=9"]) == 0
    capsys.readouterr()
    assert main(["caption", str(run_dir), str(longer), *map(str, photos), "--beam", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2  # one caption per photo
    monkeypatch.setenv("PATH", "/nonexistent")  # no METEOR: no Java needed
    args = ["evaluate", str(run_dir), str(longer), "--data", "coco-mini:test", "--beam", "1"]
    assert main(args) == 0
    assert "CIDEr" in capsys.readouterr().out
    other = tmp_path / "other-size"
    train_tiny(other, "model.image.size=[16,16]", "train.max_steps=1", "train.valid_every=1")
    assert main(["caption", str(run_dir), str(other), str(photos[0])]) == 2
    assert "ensembled runs must see the same input and grid" in capsys.readouterr().err


def test_test_time_augmentation_averages_the_shifted_readings(run_dir, photos, capsys):
    plain = Captioner.load(run_dir)
    tta = plain.with_tta()
    assert len(tta.model.models) == len(TTA_SHIFTS) and tta.tta and not plain.tta
    assert tta.with_tta() is tta
    with pytest.raises(ValueError, match="1 views for 2 models"):
        Ensemble([plain.model, plain.model], [None])
    src = plain.preprocess([Image.open(p) for p in photos])
    lengths = torch.full((2,), 64)
    tgt = torch.tensor([[2, 5, 6], [2, 7, 8]])
    with torch.no_grad():
        probs = [
            plain.model(shift(src, dx, dy), lengths, tgt)[0].softmax(-1) for dx, dy in TTA_SHIFTS
        ]
        mixed, _ = tta.model(src, lengths, tgt)
    torch.testing.assert_close(mixed.exp(), torch.stack(probs).mean(0))
    assert not torch.equal(probs[0], probs[1])  # a shift changes the reading
    for caption in tta.caption([Image.open(p) for p in photos], beam=2):
        assert caption.grid == (8, 8) and caption.attention.shape[1] == 64
        torch.testing.assert_close(caption.attention.sum(-1), torch.ones(len(caption.out_tokens)))
    features = torch.zeros(1, plain.model.encoder.feature_channels, 8, 8)
    with pytest.raises(AttnseqError, match="give images, not cached backbone features"):
        tta.caption_inputs(features)
    assert len(Captioner.ensemble([run_dir, run_dir]).with_tta().model.models) == 10
    assert main(["caption", str(run_dir), str(photos[0]), "--tta", "--beam", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_evaluate_without_java(run_dir, capsys, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["evaluate", str(run_dir), "--data", "coco-mini:test", "--beam", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("BLEU-1", "BLEU-4", "ROUGE-L", "CIDEr"):
        assert name in out
    assert "METEOR" in out and "needs a Java runtime" in out


def test_misuse_is_a_clear_error(run_dir, tmp_path, capsys):
    assert main(["translate", str(run_dir), "Bonjour."]) == 2
    assert "a caption run; use it with attnseq caption" in capsys.readouterr().err
    bad = ["train", TINY, "--out", str(tmp_path / "x"), "--set", "data.captions.valid_fraction=0.9"]
    assert main(bad) == 2
    assert "valid_fraction + test_fraction" in capsys.readouterr().err
    wrong = ["train", TINY, "--out", str(tmp_path / "y"), "--set", "data.dataset=multi30k"]
    assert main(wrong) == 2
    assert "'multi30k' is not a caption data set" in capsys.readouterr().err


def test_the_command_line_as_a_user_runs_it(run_dir, photos):
    result = attnseq("caption", str(run_dir), str(photos[0]), "--beam", "1")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_mnist_sequences_tiny(tmp_path, capsys, monkeypatch):
    out = tmp_path / "mnist"
    train_tiny(
        out,
        "data.dataset=mnist-sequences",
        "data.max_len=8",
        "data.captions.strips.train_strips=64",
        "data.captions.strips.valid_strips=8",
        "data.captions.strips.test_strips=8",
        "model.image.size=[16,80]",
        "model.image.grey=true",
        "train.batch_tokens=100",
    )
    last = records(out)[-1]
    for key in ("valid_sequence_accuracy", "valid_digit_accuracy", "valid_localisation"):
        assert 0 <= last[key] <= 100
    monkeypatch.setenv("PATH", "/nonexistent")
    scores = tmp_path / "scores.json"
    args = ["evaluate", str(out), "--data", "mnist-sequences:test", "--beam", "2"]
    assert main([*args, "--json", str(scores)]) == 0
    out_text = capsys.readouterr().out
    for name in ("sequence accuracy", "digit accuracy", "localisation"):
        assert name in out_text
    written = json.loads(scores.read_text())
    assert written["images"] == 8 and written["beam"] == 2 and not written["tta"]
    assert f"{written['sequence accuracy']:6.2f}" in out_text
    assert main([*args, "--json", str(scores), "--tta"]) == 0
    assert "8 images, beam 2, tta" in capsys.readouterr().out
    assert json.loads(scores.read_text())["tta"]


def test_efficientnet_frozen_with_cached_features(tmp_path, monkeypatch):
    pytest.importorskip("efficientnet_lite_pytorch", reason="the vision extra is not installed")
    from attnseq.models.image_encoders import EfficientNetLite0, _efficientnet_weights

    monkeypatch.setenv("ATTNSEQ_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "effnet"
    train_tiny(
        out,
        "model.image.backbone=efficientnet-lite0",
        "model.image.size=[64,64]",
        "data.max_train_pairs=8",
        "data.max_valid_pairs=3",
        "data.captions.augment.copies=2",
        "train.max_steps=4",
        "train.valid_every=2",
    )
    cached = list((tmp_path / "cache" / "features").glob("*.safetensors"))
    assert len(cached) == 2  # train (2 copies) and valid
    stamps = {p: p.stat().st_mtime_ns for p in cached}
    assert main(["train", "--resume", str(out), "--quiet", "--set", "train.max_steps=6"]) == 0
    assert {p: p.stat().st_mtime_ns for p in cached} == stamps  # reused, not recomputed
    captioner = Captioner.load(out)
    assert isinstance(captioner.model.encoder.backbone, EfficientNetLite0)
    assert captioner.grid == (2, 2)
    # Frozen means frozen: the backbone still holds the ImageNet weights.
    trained = captioner.model.encoder.backbone.net.state_dict()
    for name, value in _efficientnet_weights().items():
        assert torch.equal(trained[name], value), name
