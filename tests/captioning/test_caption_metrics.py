"""Caption metrics with several references, digit-strip scores, the attention figure."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from attnseq.evaluation.captioning import (
    box_mass,
    caption_scores,
    digit_accuracy,
    edit_distance,
    localisation,
    scoring_tokens,
    sequence_accuracy,
)
from attnseq.visualisation.overlay import OverlayRow, attention_map, overlay_figure, save_overlay

REFS = [
    ["A man riding a wave on top of a surfboard.", "A surfer rides a large wave."],
    ["Two giraffes standing next to a tree.", "A pair of giraffes eat leaves from a tree."],
    ["A plate of food with broccoli and rice.", "Some rice and broccoli on a white plate."],
]


def test_scoring_tokens_follow_the_coco_convention():
    assert scoring_tokens("A man's dog, running.") == "a man 's dog running"
    assert scoring_tokens("Don't STOP!") == "do n't stop"


def test_perfect_and_poor_captions():
    perfect = caption_scores([r[0] for r in REFS], REFS, meteor=False)
    assert perfect.scores["BLEU-1"] == pytest.approx(100, abs=1e-6)
    assert perfect.scores["BLEU-4"] == pytest.approx(100, abs=1e-3)
    assert perfect.scores["ROUGE-L"] == pytest.approx(100, abs=1e-6)
    poor = caption_scores(["a dog", "a dog", "a dog"], REFS, meteor=False)
    for name in ("BLEU-1", "BLEU-4", "ROUGE-L", "CIDEr"):
        assert poor.scores[name] < perfect.scores[name]
    assert perfect.scores["CIDEr"] > 100 * poor.scores["CIDEr"] / 10
    assert perfect.unavailable == {"METEOR": "not requested"}


def test_meteor_with_and_without_java(monkeypatch):
    hyps = [REFS[0][1], "two giraffes near a tree", "a dog"]
    if shutil.which("java") is not None:
        scores = caption_scores(hyps, REFS)
        assert 0 < scores.scores["METEOR"] <= 100
    monkeypatch.setenv("PATH", "/nonexistent")
    scores = caption_scores(hyps, REFS)
    assert "METEOR" not in scores.scores
    assert "Java runtime" in scores.unavailable["METEOR"]
    assert "CIDEr" in scores.scores  # the rest still scored


def test_digit_scores():
    refs = [["four", "zero", "seven"], ["one"], ["two", "two"]]
    hyps = [["four", "zero", "seven"], ["seven"], ["two"]]
    assert edit_distance(["a", "b", "c"], ["a", "c"]) == 1
    assert sequence_accuracy(hyps, refs) == pytest.approx(1 / 3)
    assert digit_accuracy(hyps, refs) == pytest.approx(1 - 2 / 6)


def test_localisation_on_a_hand_made_map():
    grid, size = (2, 4), (16, 32)  # cells of 8x8 pixels
    boxes = [(0, 0, 8, 16), (16, 0, 32, 8)]  # left column; right half of the top row
    attention = torch.zeros(3, 8)
    attention[0, [0, 4]] = 0.5  # all inside box 1
    attention[1, [2, 3]] = 0.3  # 0.6 inside box 2 ...
    attention[1, 6] = 0.4  # ... 0.4 below it
    attention[2, 1] = 1.0  # a third word: no third digit
    assert box_mass(attention[:1], grid, size, boxes[0]).item() == pytest.approx(1.0)
    assert box_mass(attention[1:2], grid, size, boxes[1]).item() == pytest.approx(0.6)
    # Half a cell inside a box counts half its weight.
    assert box_mass(attention[:1], grid, size, (0, 0, 4, 16)).item() == pytest.approx(0.5)
    assert localisation([attention[:2]], [boxes], grid, size) == 1.0
    assert localisation([attention], [boxes], grid, size) == pytest.approx(2 / 3)
    assert localisation([attention[:2]], [boxes], grid, size, threshold=0.7) == 0.5


def test_attention_map_is_upsampled_and_normalised():
    weights = np.zeros(8, dtype=np.float32)
    weights[5] = 1.0
    heat = attention_map(weights, (2, 4), (16, 32))
    assert heat.shape == (16, 32) and heat.max() == pytest.approx(1.0) and heat.min() >= 0
    y, x = np.unravel_index(heat.argmax(), heat.shape)
    assert y >= 8 and 8 <= x < 16  # the peak sits in cell (1, 1)


def test_overlay_figure_has_one_panel_per_word(tmp_path):
    image = np.asarray(Image.new("RGB", (48, 32), (200, 120, 40)))
    words = ["a", "red", "square"]
    attention = np.full((3, 6), 1 / 6, dtype=np.float32)
    rows = [OverlayRow(image, words, attention, (2, 3), "a red square")]
    grey = np.zeros((16, 80), dtype=np.uint8)
    rows.append(OverlayRow(grey, ["one", "two"], attention[:2], (2, 3)))
    fig = overlay_figure(rows, columns=2)
    assert len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == ["a", "red", "square", "one", "two"]
    path = save_overlay(tmp_path / "where.png", rows, columns=2)
    with Image.open(path) as png:
        png.verify()
    with Image.open(path) as png:
        assert png.format == "PNG" and png.width > 100 and png.height > 100
