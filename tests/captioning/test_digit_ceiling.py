"""The digit-reading ceiling benchmark: what it trains on, what it scores, and its bound."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from attnseq.config import load_config
from attnseq.data.digit_strips import DigitPool, StripSource, digit_pools


@pytest.fixture(scope="module")
def ceiling(benchmark_script):
    return benchmark_script("digit_ceiling")


@pytest.fixture(scope="module")
def recipe(ceiling):
    return load_config(ceiling.RECIPE)


@pytest.fixture(scope="module")
def pools(recipe, mirror):
    return digit_pools(recipe.data.captions.strips, str(mirror))


@pytest.fixture(scope="module")
def shown(recipe, pools) -> set[bytes]:
    """The test digits that the recipe's test strips show."""
    strips = recipe.data.captions.strips
    size = tuple(recipe.model.image.size)
    source = StripSource(pools["test"], "test", strips.test_strips, size, strips)
    return {
        pools["test"].images[i].tobytes()
        for k in range(len(source))
        for i in source.strip(k).sources
    }


def test_scores_only_test_digits_that_no_test_strip_shows(ceiling, recipe, pools, shown):
    held_out = ceiling.held_out_digits(recipe, pools)
    assert 5_000 < len(held_out.labels) < 6_000  # 2,000 strips show the other digits
    assert not shown & {image.tobytes() for image in held_out.images}
    assert set(held_out.labels.tolist()) == set(range(10))


def _placed(frame: np.ndarray, digit: np.ndarray) -> bool:
    """Whether ``frame`` is ``digit`` resized to some side the recipe allows, on black."""
    for side in range(21, 29):  # data.captions.strips.scale: 0.75 to 1.0 of 28 pixels
        drawn = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR))
        for y in range(frame.shape[0] - side + 1):
            for x in range(frame.shape[1] - side + 1):
                rest = frame.copy()
                rest[y : y + side, x : x + side] = 0
                if np.array_equal(frame[y : y + side, x : x + side], drawn) and not rest.any():
                    return True
    return False


def test_frames_hold_each_digit_once_as_the_strips_draw_it(ceiling, recipe, pools):
    digits = DigitPool(pools["test"].images[:12], pools["test"].labels[:12])
    pixels = ceiling.frames(digits, np.random.default_rng(0), recipe, deform=False)
    assert tuple(pixels.shape) == (12, 1, 32, 32)
    assert pixels.min() == -1.0 and pixels.max() <= 1.0
    as_bytes = ((pixels[:, 0] + 1.0) * 127.5).round().numpy().astype(np.uint8)
    for frame, digit in zip(as_bytes, digits.images, strict=True):
        assert _placed(frame, digit)


def test_the_bound_is_what_98_percent_needs(ceiling, recipe):
    assert ceiling.sequence_bound(1.0, recipe) == 1.0
    assert ceiling.sequence_bound(0.9933, recipe) == pytest.approx(0.980, abs=0.0005)
    assert ceiling.sequence_bound(0.992, recipe) < 0.977  # the captioner's digit accuracy


def test_a_short_training_reads_digits(ceiling):
    result = ceiling.train_one(([], 3, 0.0, 1, 60))
    probs = np.exp(result["logprobs"])
    assert probs.shape == (len(result["labels"]), 10)
    assert np.allclose(probs.sum(-1), 1.0, atol=1e-4)
    assert result["steps"] == 60
    assert (result["logprobs"].argmax(-1) == result["labels"]).mean() > 0.5  # chance is 0.1


def test_fresh_strips_show_only_digits_no_test_strip_shows(benchmark_script, recipe, pools, shown):
    fresh = benchmark_script("fresh_strips")
    size = tuple(recipe.model.image.size)
    held_out = fresh.held_out_digits(recipe, pools)
    strips = fresh.fresh_strips(recipe, 40)
    assert len(strips) == 40
    for strip in strips:
        used = {held_out.images[i].tobytes() for i in strip.sources}
        assert used and not used & shown
        assert [int(held_out.labels[i]) for i in strip.sources] == strip.digits
    pixels = fresh.model_inputs(recipe, strips)
    assert tuple(pixels.shape) == (40, 1, *size) and pixels.min() == -1.0
