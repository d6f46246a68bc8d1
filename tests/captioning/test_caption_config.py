"""Caption settings in the YAML: defaults filled in, mistakes named by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from attnseq.config import config_from_dict, load_config
from attnseq.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def caption(**sections) -> dict:
    return {"task": "caption", "data": {"dataset": "coco-mini"}, **sections}


def test_recipes_load_and_defaults_are_recorded():
    for name in ("caption-mnist-sequences", "caption-coco-mini", "caption-tiny"):
        cfg = load_config(REPO / "configs" / f"{name}.yaml")
        assert cfg.task == "caption" and cfg.model.image is not None
    cfg = config_from_dict(caption())
    assert cfg.model.image.backbone == "cnn" and cfg.data.captions.test_fraction == 0.2
    assert cfg.to_dict()["model"]["image"]["context_gate"] is True
    # Text runs keep their configs (and checkpoints) as they were.
    text = config_from_dict({})
    assert text.model.image is None and text.data.captions is None


@pytest.mark.parametrize(
    "sections, message",
    [
        ({"model": {"image": {"size": [32]}}}, "model.image.size"),
        ({"model": {"image": {"project": 30, "positional": True}}}, "divisible by 4"),
        ({"model": {"decoder": {"attention": "dot"}}}, "model.decoder.attention"),
        ({"model": {"image": {"cnn_channels": []}}}, "model.image.cnn_channels"),
        ({"data": {"dataset": "coco-mini", "captions": {"test_fraction": 1.5}}}, "test_fraction"),
        (
            {"data": {"dataset": "mnist-sequences", "captions": {"strips": {"min_digits": 6}}}},
            "min_digits",
        ),
        (
            {"data": {"dataset": None, "captions": {"train": {"images": "x"}}}},
            "data.captions.train",
        ),
        ({"data": {"dataset": None}}, "data.captions.train"),
        (
            {"data": {"dataset": "mnist-sequences", "captions": {"strips": {"train_scale": [1]}}}},
            "data.captions.strips.train_scale: expected",
        ),
        ({"train": {"doubly_stochastic": -1}}, "train.doubly_stochastic"),
        ({"model": {"image": {"backbon": "cnn"}}}, "did you mean 'backbone'"),
    ],
)
def test_mistakes_name_the_key(sections, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(caption(**sections))
