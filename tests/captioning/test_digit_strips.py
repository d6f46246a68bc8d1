"""mnist-sequences: strips of real MNIST digits whose boxes say where each digit is."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from attnseq.config import DigitStripsConfig
from attnseq.data.digit_strips import DIGIT_WORDS, StripSource, digit_pools, read_mnist_idx
from attnseq.errors import DataError

SIZE = (32, 160)
CFG = DigitStripsConfig()


@pytest.fixture(scope="module")
def pools(mirror):
    return digit_pools(CFG, str(mirror))


def test_pools_keep_test_digits_apart(pools):
    assert len(pools["test"].labels) == 10_000  # mnist-test, nothing else
    assert len(pools["train"].labels) + len(pools["valid"].labels) == 5_000
    train = {img.tobytes() for img in pools["train"].images}
    assert not train & {img.tobytes() for img in pools["valid"].images}
    assert not train & {img.tobytes() for img in pools["test"].images}


def test_boxes_match_the_digits_placed(pools):
    source = StripSource(pools["valid"], "valid", 40, SIZE, CFG)  # no rotation: exact pixels
    for i in range(len(source)):
        strip = source.strip(i)
        assert CFG.min_digits <= len(strip.digits) <= CFG.max_digits
        assert strip.caption == " ".join(DIGIT_WORDS[d] for d in strip.digits)
        covered = np.zeros(SIZE, dtype=bool)
        previous_right = 0
        for digit, box, index in zip(strip.digits, strip.boxes, strip.sources, strict=True):
            x0, y0, x1, y1 = box
            assert 0 <= x0 < x1 <= SIZE[1] and 0 <= y0 < y1 <= SIZE[0]
            assert x0 >= previous_right  # left to right, no overlap
            previous_right = x1
            assert pools["valid"].labels[index] == digit
            expected = Image.fromarray(pools["valid"].images[index]).resize(
                (x1 - x0, y1 - y0), Image.Resampling.BILINEAR
            )
            assert np.array_equal(strip.image[y0:y1, x0:x1], np.asarray(expected))
            covered[y0:y1, x0:x1] = True
        assert not strip.image[~covered].any()  # no ink outside the boxes


def test_strips_are_deterministic_and_training_strips_change_by_epoch(pools):
    a = StripSource(pools["train"], "train", 30, SIZE, CFG, seed=4)
    b = StripSource(pools["train"], "train", 30, SIZE, CFG, seed=4)
    assert a.counts == b.counts
    assert np.array_equal(a.strip(7, epoch=2).image, b.strip(7, epoch=2).image)
    first, second = a.strip(7, epoch=0), a.strip(7, epoch=1)
    assert len(first.digits) == len(second.digits) and not np.array_equal(first.image, second.image)
    # Valid and test strips do not depend on the training seed or epoch.
    t1 = StripSource(pools["test"], "test", 5, SIZE, CFG, seed=1).strip(3, epoch=5)
    t2 = StripSource(pools["test"], "test", 5, SIZE, CFG, seed=9).strip(3)
    assert np.array_equal(t1.image, t2.image)
    assert set(a.counts) == set(range(CFG.min_digits, CFG.max_digits + 1))


def test_train_scale_sizes_training_digits_only(pools):
    wide = DigitStripsConfig(train_scale=[0.5, 0.5], rotate=0, shear=0, stretch=0, warp=0)
    for i in range(10):
        strip = StripSource(pools["train"], "train", 10, SIZE, wide).strip(i)
        assert {x1 - x0 for x0, _, x1, _ in strip.boxes} == {14}  # 0.5 x 28 pixels
    for split in ("valid", "test"):  # the strips that score a model stay as they were
        ours = StripSource(pools[split], split, 10, SIZE, wide)
        plain = StripSource(pools[split], split, 10, SIZE, CFG)
        for i in range(10):
            assert np.array_equal(ours.strip(i).image, plain.strip(i).image)


def test_too_narrow_strip_is_an_error(pools):
    source = StripSource(pools["valid"], "valid", 20, (32, 12), CFG)
    with pytest.raises(DataError, match="cannot hold"):
        [source.strip(i) for i in range(20)]


def test_malformed_idx_file(tmp_path):
    import gzip

    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 5))
    with pytest.raises(DataError, match="images.gz: not an idx file"):
        read_mnist_idx(path, path)


def test_training_strips_draw_each_digit_anew(pools):
    from attnseq.data.digit_strips import distort

    rng = np.random.default_rng(0)
    digit = Image.fromarray(pools["train"].images[0])
    a, b = np.asarray(distort(digit, rng, CFG)), np.asarray(distort(digit, rng, CFG))
    assert a.shape == b.shape == (28, 28) and not np.array_equal(a, b)
    assert abs(
        int(a.astype(int).sum()) - int(pools["train"].images[0].astype(int).sum())
    ) < 0.5 * int(pools["train"].images[0].sum())  # still roughly the same amount of ink
    still = DigitStripsConfig(rotate=0, shear=0, stretch=0, warp=0)
    assert np.array_equal(np.asarray(distort(digit, rng, still)), pools["train"].images[0])
