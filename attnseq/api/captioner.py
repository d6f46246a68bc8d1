"""Use a trained caption run: caption pictures and see where each word looked.

The Python API that the command line, the server and user code share::

    from PIL import Image
    from attnseq.api.captioner import Captioner

    captioner = Captioner.load("runs/caption-coco-mini")
    result = captioner.caption([Image.open("dog.jpg")], beam=3)[0]
    result.text  # "a dog runs on the grass"
    result.out_tokens  # one per attention row, "</s>" last when the model ended the caption
    result.attention  # [len(out_tokens), rows * cols] tensor, rows sum to one
    result.grid  # (rows, cols) of the attention cells over the image
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from attnseq.config import Config
from attnseq.data.images import TTA_SHIFTS, image_tensor, shift, to_input
from attnseq.data.tokenizers import SPECIALS, Tokenizer, decode
from attnseq.errors import AttnseqError, CheckpointError
from attnseq.evaluation.captioning import (
    caption_scores,
    digit_accuracy,
    localisation,
    sequence_accuracy,
)
from attnseq.models.captioner import CaptionModel
from attnseq.models.ensemble import Ensemble
from attnseq.runs import load_run
from attnseq.search.beam import beam_search
from attnseq.search.greedy import greedy_search
from attnseq.search.hypothesis import Hypothesis
from attnseq.visualisation.overlay import OverlayRow, save_overlay

EOS_PIECE = SPECIALS[3]


@dataclass
class Caption:
    text: str
    out_tokens: list[str]  # what it wrote, EOS included when emitted: one per attention row
    attention: Tensor  # [len(out_tokens), rows * cols]
    grid: tuple[int, int]  # rows, cols of attention cells laid over the image
    score: float

    @property
    def words(self) -> list[str]:
        """The written tokens without the end-of-caption mark."""
        return [t for t in self.out_tokens if t != EOS_PIECE]

    def to_dict(self) -> dict:
        return {
            "caption": self.text,
            "score": self.score,
            "out_tokens": self.out_tokens,
            "grid": list(self.grid),
            "attention": [[round(float(w), 5) for w in row] for row in self.attention],
        }


def search_limit(cells: int, max_len: int) -> float:
    """The ``max_len_ratio`` that caps captions at ``max_len`` tokens (at least 5).

    Search caps outputs at ``source length * ratio + 5`` steps; an image's
    "source length" is its number of cells.
    """
    return max(0.0, max_len - 5 + 0.5) / cells


class Captioner:
    def __init__(
        self,
        cfg: Config,
        model: CaptionModel | Ensemble,
        tokenizer: Tokenizer,
        device: str = "cpu",
        run_dir: Path | None = None,
    ):
        self.cfg, self.model, self.tokenizer = cfg, model.eval(), tokenizer
        self.device = device
        self.run_dir = run_dir
        assert cfg.model.image is not None
        self.image_cfg = cfg.model.image
        first = model.models[0] if isinstance(model, Ensemble) else model
        self.grid: tuple[int, int] = first.grid  # rows, cols of attention cells
        self.in_channels: int = first.encoder.in_channels
        self.tta = False  # see with_tta

    @classmethod
    def load(
        cls, run_dir: str | Path, weights: str = "model.safetensors", device: str = "cpu"
    ) -> Captioner:
        cfg, model, _, tokenizer = load_run(run_dir, weights, device, tasks=("caption",))
        return cls(cfg, model, tokenizer, device, Path(run_dir))

    @classmethod
    def ensemble(
        cls, run_dirs: Sequence[str | Path], weights: str = "model.safetensors", device: str = "cpu"
    ) -> Captioner:
        """Caption with several runs at once: they average their next-word probabilities
        and their attention, so they must share the vocabulary, the input images
        (size and colour) and the attention grid."""
        members = [cls.load(run_dir, weights, device) for run_dir in run_dirs]
        first = members[0]
        if len(members) == 1:
            return first
        for other in members[1:]:
            if other.tokenizer.vocab.itos != first.tokenizer.vocab.itos:
                raise CheckpointError(
                    f"{other.run_dir}: its vocabulary differs from {first.run_dir}'s; "
                    "ensembled runs must share their vocabulary"
                )
            mine, theirs = first.image_cfg, other.image_cfg
            if (theirs.size, theirs.grey, other.grid) != (mine.size, mine.grey, first.grid):
                raise CheckpointError(
                    f"{other.run_dir}: it sees images of size {theirs.size} "
                    f"({'grey' if theirs.grey else 'colour'}) on a {other.grid} grid, "
                    f"{first.run_dir} {mine.size} ({'grey' if mine.grey else 'colour'}) on "
                    f"{first.grid}; ensembled runs must see the same input and grid"
                )
        model = Ensemble([member.model for member in members])
        return cls(first.cfg, model, first.tokenizer, device, first.run_dir)

    def with_tta(self) -> Captioner:
        """This captioner reading every image as it is and moved one pixel each way
        (:data:`TTA_SHIFTS`), decoding the readings as one ensemble.

        Test-time augmentation: five times the work for fewer misreadings, as a
        CNN's grid is not shift-invariant (measured in the README's captioning section).
        """
        if self.tta:
            return self
        members = self.model.models if isinstance(self.model, Ensemble) else [self.model]
        models = [member for member in members for _ in TTA_SHIFTS]
        views = [partial(shift, dx=dx, dy=dy) for _ in members for dx, dy in TTA_SHIFTS]
        model = Ensemble(models, views)
        tta = Captioner(self.cfg, model, self.tokenizer, self.device, self.run_dir)
        tta.tta = True
        return tta

    def preprocess(self, images: Sequence[Image.Image]) -> Tensor:
        """Model inputs [B, C, H, W] in [-1, 1]: resized, grey or RGB as the run was trained."""
        return to_input(
            torch.stack(
                [image_tensor(im, self.image_cfg.size, self.image_cfg.grey) for im in images]
            )
        )

    def view(self, image: Image.Image, longest: int = 320) -> np.ndarray:
        """The image in its own proportions, in the model's colours, to draw attention over.

        The attention cells tile the whole image whatever its aspect ratio,
        since the model saw it resized to a fixed size.
        """
        width, height = image.size
        scale = longest / max(width, height)
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        return image_tensor(image, size, self.image_cfg.grey).permute(1, 2, 0).squeeze(-1).numpy()

    def _caption(self, hyp: Hypothesis) -> Caption:
        out_tokens = self.tokenizer.vocab.decode(hyp.tokens)
        if hyp.attention.size(0) > len(hyp.tokens):
            out_tokens.append(EOS_PIECE)
        return Caption(
            text=decode(self.tokenizer, hyp.tokens),
            out_tokens=out_tokens,
            attention=hyp.attention,
            grid=self.grid,
            score=hyp.normalized,
        )

    @torch.inference_mode()
    def caption_inputs(
        self,
        inputs: Tensor,
        beam: int = 1,
        max_len: int | None = None,
        length_penalty: float = 1.0,
        batch_size: int = 32,
        progress=None,
    ) -> list[Caption]:
        """Captions of preprocessed images, or of a frozen backbone's features."""
        if beam < 1:
            raise ValueError(f"beam must be at least 1, got {beam}")
        if self.tta and inputs.size(1) != self.in_channels:
            raise AttnseqError(
                "test-time augmentation shifts images: give images, not cached backbone features"
            )
        cells = self.grid[0] * self.grid[1]
        ratio = search_limit(cells, max_len or self.cfg.data.max_len)
        results: list[Caption] = []
        for start in range(0, inputs.size(0), batch_size):
            chunk = inputs[start : start + batch_size].to(self.device)
            lengths = torch.full((chunk.size(0),), cells, dtype=torch.long, device=self.device)
            if beam == 1:
                found = greedy_search(self.model, chunk, lengths, ratio)
            else:
                found = [
                    hyps[0]
                    for hyps in beam_search(
                        self.model, chunk, lengths, beam, 1, ratio, length_penalty
                    )
                ]
            results += [self._caption(h) for h in found]
            if progress is not None:
                progress.update(chunk.size(0))
        return results

    def caption(
        self,
        images: Sequence[Image.Image],
        beam: int = 1,
        max_len: int | None = None,
        length_penalty: float = 1.0,
    ) -> list[Caption]:
        """One caption per image, each with the attention of every word it wrote."""
        if not images:
            return []
        return self.caption_inputs(self.preprocess(images), beam, max_len, length_penalty)

    def save_attention(
        self, path: str | Path, images: Sequence[Image.Image], captions: Sequence[Caption]
    ) -> Path:
        """The Show, Attend and Tell figure: one panel per word, one block per image."""
        rows = [
            OverlayRow(
                image=self.view(image),
                words=caption.words,
                attention=caption.attention[: len(caption.words)].numpy(),
                grid=caption.grid,
                title=caption.text,
            )
            for image, caption in zip(images, captions, strict=True)
        ]
        return save_overlay(path, rows)


@dataclass
class CaptionEvaluation:
    metrics: dict[str, float]  # x100: BLEU-1..4, METEOR, ROUGE-L, CIDEr (+ digit-strip scores)
    unavailable: dict[str, str]  # metric -> why it could not be computed
    captions: list[Caption]


def evaluate_captions(
    captioner: Captioner,
    inputs: Tensor,
    references: Sequence[Sequence[str]],
    boxes: Sequence[Sequence[Sequence[int]]] | None = None,
    beam: int = 1,
    meteor: bool = True,
    progress=None,
) -> CaptionEvaluation:
    """Caption every input and score it against its references.

    With digit ``boxes`` (``mnist-sequences``), also sequence and digit
    accuracy and attention localisation (the share of written digits whose
    attention lies mostly in the right digit's box).
    """
    captions = captioner.caption_inputs(inputs, beam=beam, progress=progress)
    scores = caption_scores([c.text for c in captions], references, meteor=meteor)
    metrics = dict(scores.scores)
    if boxes is not None:
        words = [c.words for c in captions]
        truth = [refs[0].split() for refs in references]
        metrics["sequence accuracy"] = 100 * sequence_accuracy(words, truth)
        metrics["digit accuracy"] = 100 * digit_accuracy(words, truth)
        metrics["localisation"] = 100 * localisation(
            [c.attention[: len(c.words)] for c in captions],
            boxes,
            captioner.grid,
            tuple(captioner.image_cfg.size),
        )
    return CaptionEvaluation(metrics, scores.unavailable, captions)
