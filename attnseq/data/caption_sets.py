"""From a caption config to training batches: images (or features) and caption ids.

A caption batch is the translator's :class:`Batch` with images in place of
source ids: ``src`` holds images scaled to [-1, 1] (or a frozen backbone's
features) and ``src_lengths`` the number of attention cells, so the training
loop, the loss and search need no special case.

Two kinds of sets:

* :class:`ImageCaptionSet`: fixed images with their reference captions,
  every caption one training example (photos, or the fixed valid and test
  digit strips, which also carry digit boxes);
* :class:`StripTrainSet`: training digit strips, drawn anew every epoch.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor
from tqdm import tqdm

from attnseq.checkpoints import load_tensors, save_tensors
from attnseq.config import AugmentConfig, Config, DigitStripsConfig
from attnseq.data.batching import Batch, collate
from attnseq.data.captions import load_caption_split
from attnseq.data.digit_strips import DIGIT_WORDS, Box, Strip, StripSource, digit_pools
from attnseq.data.images import augment, load_images, open_image, to_input
from attnseq.data.registry import cache_root
from attnseq.data.tokenizers import Tokenizer, encode
from attnseq.errors import CheckpointError, DataError

MNIST_SEQUENCES = "mnist-sequences"
Featurize = Callable[[Tensor], Tensor]  # model inputs -> backbone grid


def is_digit_strips(cfg: Config) -> bool:
    return cfg.data.dataset == MNIST_SEQUENCES


@dataclass
class RawImages:
    """One split before tokenization."""

    keys: list[str]  # image names (file names, or strip numbers)
    pixels: Tensor  # uint8 [N, C, H, W] at the model's input size
    references: list[list[str]]  # the captions of each image
    boxes: list[list[Box]] | None = None  # digit strips: where each digit was placed
    paths: list[Path] | None = None  # photos: the image files

    def originals(self, count: int | None = None) -> list[Image.Image]:
        """The first ``count`` images as Pillow images: the files, or the strips drawn."""
        chosen = range(len(self.keys) if count is None else min(count, len(self.keys)))
        if self.paths is not None:
            return [open_image(self.paths[i]) for i in chosen]
        return [
            Image.fromarray(self.pixels[i].permute(1, 2, 0).squeeze(-1).numpy()) for i in chosen
        ]


def _strips_cfg(cfg: Config) -> DigitStripsConfig:
    assert cfg.data.captions is not None
    return cfg.data.captions.strips


def strip_images(strips: list[Strip], grey: bool, name: str) -> RawImages:
    """Digit strips as a split's images, captions and digit boxes (``name-0``, ``name-1``...)."""
    pixels = torch.stack([torch.from_numpy(s.image) for s in strips]).unsqueeze(1)
    return RawImages(
        [f"{name}-{i}" for i in range(len(strips))],
        pixels if grey else pixels.repeat(1, 3, 1, 1),
        [[s.caption] for s in strips],
        [s.boxes for s in strips],
    )


def read_split(cfg: Config, split: str, base: Path = Path("."), progress: bool = True) -> RawImages:
    """Images and captions of ``split``: photos from files or coco-mini, or fixed digit strips."""
    image_cfg = cfg.model.image
    assert image_cfg is not None
    size = tuple(image_cfg.size)
    if is_digit_strips(cfg):
        strips_cfg = _strips_cfg(cfg)
        if split not in ("valid", "test"):
            raise DataError(
                f"{MNIST_SEQUENCES}: fixed strips exist for valid and test, not {split!r}"
            )
        pool = digit_pools(strips_cfg, cfg.data.mirror)[split]
        count = strips_cfg.valid_strips if split == "valid" else strips_cfg.test_strips
        source = StripSource(pool, split, count, size, strips_cfg)
        return strip_images([source.strip(i) for i in range(len(source))], image_cfg.grey, split)
    images = load_caption_split(cfg.data, split, base)
    limit = {"train": cfg.data.max_train_pairs, "valid": cfg.data.max_valid_pairs}.get(split)
    if limit is not None and len(images) > limit:  # for captions: a number of images
        images = sorted(random.Random(cfg.train.seed).sample(images, limit), key=images.index)
    with tqdm(
        total=len(images), desc=f"reading {split} images", unit="img", disable=not progress
    ) as bar:
        pixels = load_images([im.path for im in images], size, image_cfg.grey, bar)
    return RawImages(
        [im.key for im in images],
        pixels,
        [im.captions for im in images],
        paths=[im.path for im in images],
    )


def training_texts(cfg: Config, train: RawImages | None) -> list[str]:
    """What the vocabulary is learned from."""
    if is_digit_strips(cfg):
        return [" ".join(DIGIT_WORDS)]
    assert train is not None
    return [c for refs in train.references for c in refs]


def _caption_batch(
    src: Tensor, captions: Sequence[list[int]], indices: Sequence[int], cells: int
) -> Batch:
    # collate pads the targets (BOS ... / ... EOS); images need no source ids.
    text = collate([([], ids) for ids in captions], range(len(captions)))
    lengths = torch.full((src.size(0),), cells, dtype=torch.long)
    return Batch(src, lengths, text.tgt_in, text.tgt_out, list(indices))


class ImageCaptionSet:
    """Fixed images; every (image, caption) pair is one example."""

    def __init__(
        self,
        raw: RawImages,
        tokenizer: Tokenizer,
        max_len: int | None,
        augment_cfg: AugmentConfig | None = None,
        seed: int = 0,
    ):
        self.raw = raw
        self.augment_cfg = (
            augment_cfg if augment_cfg is not None and _augments(augment_cfg) else None
        )
        self.seed = seed
        self.examples: list[tuple[int, list[int]]] = []
        self.dropped_empty = self.dropped_long = 0
        for image, refs in enumerate(raw.references):
            for caption in refs:
                ids = encode(tokenizer, caption)
                if not ids:
                    self.dropped_empty += 1
                elif max_len is not None and len(ids) > max_len:
                    self.dropped_long += 1
                else:
                    self.examples.append((image, ids))
        self.lengths = [(1, len(ids)) for _, ids in self.examples]
        self.features: Tensor | None = None  # [copies, N, C, h, w] from a frozen backbone

    def __len__(self) -> int:
        return len(self.raw.keys)

    @property
    def references(self) -> list[list[str]]:
        return self.raw.references

    def _inputs(self, images: list[int], indices: Sequence[int], epoch: int) -> Tensor:
        if self.features is not None:
            copies = self.features.size(0)
            choice = torch.tensor([(epoch * 7919 + i) % copies for i in indices])
            return self.features[choice, torch.tensor(images)].float()
        if self.augment_cfg is not None:
            generator = torch.Generator().manual_seed(
                self.seed * 1_000_003 + epoch * 10_007 + indices[0]
            )
            return augment(self.raw.pixels[images], self.augment_cfg, generator)
        return to_input(self.raw.pixels[images])

    def batch(self, indices: Sequence[int], epoch: int, cells: int) -> Batch:
        chosen = [self.examples[i] for i in indices]
        images = [image for image, _ in chosen]
        return _caption_batch(
            self._inputs(images, indices, epoch), [ids for _, ids in chosen], indices, cells
        )

    def eval_inputs(self) -> Tensor:
        """Every image once, unchanged: features (first copy) or pixels, in image order."""
        if self.features is not None:
            return self.features[0].float()
        return to_input(self.raw.pixels)

    def precompute(self, featurize: Featurize, copies: int, key: dict, progress: bool) -> None:
        """Run the frozen backbone once per image (and augmented copy), cached on disk.

        The first copy is the image as it is; with augmentation on, the other
        ``copies - 1`` are augmented versions, and training picks one per
        example and epoch.
        """
        copies = copies if self.augment_cfg is not None else 1
        doc = {**key, "images": self.raw.keys, "copies": copies, "seed": self.seed}
        doc["augment"] = asdict(self.augment_cfg) if self.augment_cfg else None
        doc["pixels"] = hashlib.sha256(self.raw.pixels.numpy().tobytes()).hexdigest()
        name = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:24]
        path = cache_root() / "features" / f"{name}.safetensors"
        if path.is_file():
            try:
                self.features = load_tensors(path)[0]["features"]
                return
            except CheckpointError:
                pass  # a broken cache file is recomputed
        chunks = []
        with tqdm(
            total=copies * len(self), desc="image features", unit="img", disable=not progress
        ) as bar:
            for copy in range(copies):
                generator = torch.Generator().manual_seed(self.seed * 1009 + copy)
                parts = []
                for start in range(0, len(self), 16):
                    pixels = self.raw.pixels[start : start + 16]
                    if copy == 0 or self.augment_cfg is None:
                        inputs = to_input(pixels)
                    else:
                        inputs = augment(pixels, self.augment_cfg, generator)
                    parts.append(featurize(inputs).half())
                    bar.update(pixels.size(0))
                chunks.append(torch.cat(parts))
        self.features = torch.stack(chunks)
        save_tensors(path, {"features": self.features}, {"kind": "image-features", "key": doc})


def _augments(cfg: AugmentConfig) -> bool:
    return bool(cfg.flip or cfg.crop or cfg.brightness or cfg.contrast)


class StripTrainSet:
    """Training digit strips: strip ``i`` of epoch ``e`` is drawn from (seed, e, i)."""

    def __init__(self, cfg: Config, tokenizer: Tokenizer):
        image_cfg = cfg.model.image
        assert image_cfg is not None
        strips_cfg = _strips_cfg(cfg)
        pool = digit_pools(strips_cfg, cfg.data.mirror)["train"]
        self.source = StripSource(
            pool,
            "train",
            strips_cfg.train_strips,
            tuple(image_cfg.size),
            strips_cfg,
            cfg.train.seed,
        )
        self.tokenizer = tokenizer
        self.grey = image_cfg.grey
        # Every strip counts as the longest caption, so a batch mixes strips of all digit
        # counts: batches of one length would skew the CNN's batch-norm statistics.
        self.lengths = [(1, strips_cfg.max_digits)] * len(self.source)
        self.dropped_empty = self.dropped_long = 0

    def __len__(self) -> int:
        return len(self.source)

    def batch(self, indices: Sequence[int], epoch: int, cells: int) -> Batch:
        strips = [self.source.strip(i, epoch) for i in indices]
        pixels = torch.stack([torch.from_numpy(s.image) for s in strips]).unsqueeze(1)
        if not self.grey:
            pixels = pixels.repeat(1, 3, 1, 1)
        captions = [encode(self.tokenizer, s.caption) for s in strips]
        return _caption_batch(to_input(pixels), captions, indices, cells)
