"""Training an image captioner with the translator's training loop.

Only what differs from translation is here: the data (images and captions
instead of sentence pairs), the batches (images in ``src``), and validation
(caption metrics and the attention-over-image figure). The loop, the
optimizer and schedule, checkpoints, ``--resume``, the progress bar,
``metrics.jsonl`` and the doubly stochastic attention penalty are the
:class:`Trainer`'s.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from attnseq.api.captioner import Captioner, evaluate_captions
from attnseq.data.batching import batch_indices
from attnseq.data.caption_sets import (
    ImageCaptionSet,
    StripTrainSet,
    is_digit_strips,
    read_split,
    training_texts,
)
from attnseq.data.tokenizers import load_tokenizers, train_tokenizers
from attnseq.errors import AttnseqError
from attnseq.evaluation.likelihood import batches_nll
from attnseq.evaluation.metrics import perplexity
from attnseq.training.trainer import Trainer
from attnseq.visualisation.overlay import OverlayRow, save_overlay

# metrics.jsonl key -> evaluation name
_VALID_KEYS = {
    "valid_bleu": "BLEU-4",
    "valid_cider": "CIDEr",
    "valid_sequence_accuracy": "sequence accuracy",
    "valid_digit_accuracy": "digit accuracy",
    "valid_localisation": "localisation",
}


class CaptionTrainer(Trainer):
    """``task: caption``: images in, captions out, attention over the picture."""

    def _load_data(self) -> None:
        cfg = self.cfg
        assert cfg.data.captions is not None
        strips = is_digit_strips(cfg)
        raw_train = None if strips else read_split(cfg, "train", self.base_dir, self.show_progress)
        raw_valid = read_split(cfg, "valid", self.base_dir, self.show_progress)
        if self.resume:
            self.src_tok, self.tgt_tok = load_tokenizers(self.run_dir)
        else:
            texts = training_texts(cfg, raw_train)
            self.say(f"learning a {cfg.tokenizer.kind} vocabulary from {len(texts):,} captions")
            # Captions have no source text: one vocabulary, learned from the captions alone.
            self.src_tok, self.tgt_tok = train_tokenizers(
                replace(cfg.tokenizer, joint=True),
                [("", text) for text in texts],
                cfg.data.src_lang,
                cfg.data.tgt_lang,
                self.run_dir,
            )
        if raw_train is None:
            self.train_data = StripTrainSet(cfg, self.tgt_tok)
        else:
            self.train_data = ImageCaptionSet(
                raw_train, self.tgt_tok, cfg.data.max_len, cfg.data.captions.augment, cfg.train.seed
            )
        self.valid_data = ImageCaptionSet(raw_valid, self.tgt_tok, None)
        for name, data in (("train", self.train_data), ("valid", self.valid_data)):
            self.say(
                f"{name}: {len(data):,} images, {len(data.lengths):,} captions (dropped "
                f"{data.dropped_empty:,} empty, {data.dropped_long:,} longer than "
                f"{cfg.data.max_len} tokens); vocab {len(self.tgt_tok.vocab):,}"
            )
        if not self.train_data.lengths or not self.valid_data.lengths:
            raise AttnseqError("no training or validation captions left; check data.max_len")
        self.lengths = self.train_data.lengths

    def _build(self) -> None:
        super()._build()
        encoder = self.model.encoder
        captions_cfg = self.cfg.data.captions
        assert captions_cfg is not None
        if not (encoder.frozen and captions_cfg.precompute):
            return
        image_cfg = self.cfg.model.image
        key = {"backbone": image_cfg.backbone, "size": image_cfg.size, "grey": image_cfg.grey}

        def featurize(inputs: torch.Tensor) -> torch.Tensor:
            return encoder.features(inputs.to(self.device)).cpu()

        for data in (self.train_data, self.valid_data):
            if isinstance(data, ImageCaptionSet):
                data.precompute(featurize, captions_cfg.augment.copies, key, self.show_progress)

    def collate(self, indices: list[int]):
        return self.train_data.batch(indices, self.progress.epoch, self.model.cells).to(self.device)

    @torch.no_grad()
    def validate(self) -> dict:
        self.model.eval()
        valid, cells = self.valid_data, self.model.cells
        total_nll, total_tokens = batches_nll(
            self.model,
            (
                valid.batch(indices, 0, cells).to(self.device)
                for indices in batch_indices(valid.lengths, self.cfg.train.batch_tokens, False)
            ),
        )
        captioner = Captioner(self.cfg, self.model, self.tgt_tok, str(self.device))
        count = min(len(valid), self.cfg.train.valid_bleu_sentences)
        boxes = valid.raw.boxes[:count] if valid.raw.boxes is not None else None
        result = evaluate_captions(
            captioner, valid.eval_inputs()[:count], valid.references[:count], boxes, meteor=False
        )
        metrics = {
            "valid_loss": total_nll / max(total_tokens, 1),
            "valid_ppl": perplexity(total_nll, total_tokens),
        }
        metrics.update(
            {
                key: result.metrics[name]
                for key, name in _VALID_KEYS.items()
                if name in result.metrics
            }
        )
        for caption, refs in list(zip(result.captions, valid.references, strict=False))[:3]:
            self.say(f"  ref: {refs[0]}\n  out: {caption.text}")
        if result.captions:
            first = result.captions[0]
            save_overlay(
                self.run_dir / "attention" / f"step-{self.progress.step:07d}.png",
                [
                    OverlayRow(
                        image=valid.raw.pixels[0].permute(1, 2, 0).squeeze(-1).numpy(),
                        words=first.words,
                        attention=first.attention[: len(first.words)].numpy(),
                        grid=first.grid,
                        title=f"step {self.progress.step}: {first.text}",
                    )
                ],
            )
        self.model.train()
        return metrics

    def describe_scores(self, metrics: dict) -> str:
        names = {"valid_bleu": "BLEU-4", "valid_cider": "CIDEr"}
        if "valid_sequence_accuracy" in metrics:
            names = {
                "valid_sequence_accuracy": "seq acc",
                "valid_digit_accuracy": "digit acc",
                "valid_localisation": "localised",
            }
        return " ".join(f"{label} {metrics[key]:.2f}" for key, label in names.items())


def trainer_class(task: str) -> type[Trainer]:
    """The trainer for a config's ``task``."""
    return CaptionTrainer if task == "caption" else Trainer
