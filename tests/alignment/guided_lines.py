"""The first WPT03 lines with their gold links as guided training data for a trained
run: what the guided-alignment tests share (training, and AER against the gold)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from attnseq.alignment.aer import AlignmentScores, alignment_scores
from attnseq.alignment.extract import extract, merge_pieces
from attnseq.alignment.files import GoldLinks, format_links, piece_words, read_gold
from attnseq.api.translator import Translator, load
from attnseq.cli.main import main
from attnseq.config import FilesConfig
from attnseq.data.batching import Batch, collate
from attnseq.data.tokenizers import encode
from attnseq.search.forced import forced_attention
from attnseq.training.guided_alignment import GuidedAlignment

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml"


def gold_files(tmp_path: Path, wpt: dict[str, Path]) -> FilesConfig:
    """The WPT03 lines as training files, guided by their gold sure links (0-based)."""
    align = tmp_path / "gold.align"
    align.write_text("".join(format_links(g.sure) + "\n" for g in read_gold(wpt["gold"])))
    return FilesConfig(src=str(wpt["en"]), tgt=str(wpt["fr"]), align=str(align))


def train_guided_run(wpt: dict[str, Path], tmp_path: Path, out: Path, *sets: str) -> None:
    """``attnseq train configs/tiny.yaml`` for 4 steps on the lines, guided by their
    gold links (weight 1), with further ``--set`` values."""
    files = gold_files(tmp_path, wpt)
    base = {
        "data.dataset": "null",
        "data.src_lang": "en",
        "data.tgt_lang": "fr",
        "data.max_len": 100,
        "data.train": json.dumps({"src": files.src, "tgt": files.tgt, "align": files.align}),
        "data.valid": json.dumps({"src": files.src, "tgt": files.tgt}),
        "train.guided_alignment_weight": 1.0,
        "train.max_steps": 4,
        "train.valid_every": 4,
        "train.valid_bleu_sentences": 2,
        "tokenizer.vocab_size": 300,
    }
    args = ["train", str(TINY), "--out", str(out), "--quiet"]
    for item in [f"{key}={value}" for key, value in base.items()] + list(sets):
        args += ["--set", item]
    assert main(args) == 0


@dataclass
class GuidedLines:
    translator: Translator
    examples: list[tuple[list[int], list[int]]]
    spans: list[tuple[list[int], list[int]]]  # each piece's word, source and target
    gold: list[GoldLinks]
    guide: GuidedAlignment
    batch: Batch  # all the lines in one batch

    def train(self, model: nn.Module, steps: int = 40) -> None:
        """Guided updates alone (no translation loss) on all the lines at once."""
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        model.train()
        head = getattr(model, "alignment_head", None) is not None
        b = self.batch
        for _ in range(steps):
            _, attn = model(b.src, b.src_lengths, b.tgt_in, tgt_out=b.tgt_out if head else None)
            loss = self.guide.loss(attn, b) / b.num_tokens
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def scores(self, model: nn.Module, null: bool = False) -> AlignmentScores:
        """The model's forced-decoding attention (argmax links) against the gold: its
        alignment head's where it has one; ``null`` leaves words that look mostly at
        end-of-sentence unaligned."""
        head = getattr(model, "alignment_head", None) is not None
        attention = forced_attention(model, self.examples, head=head)
        hyps = []
        for a, (s, t) in zip(attention, self.spans, strict=True):
            words = merge_pieces(a.numpy(), [*s, max(s) + 1], [*t, -1])
            hyps.append(extract(words[:, :-1], null=words[:, -1] if null else None))
        return alignment_scores(hyps, self.gold)

    def aer(self, model: nn.Module) -> float:
        return self.scores(model).aer


def guided_lines(
    run_dir: Path, wpt: dict[str, Path], tmp_path: Path, null: bool = False
) -> GuidedLines:
    translator = load(run_dir)
    en = wpt["en"].read_text(encoding="utf-8").splitlines()
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    src_tok, tgt_tok = translator.src_tok, translator.tgt_tok
    examples = [(encode(src_tok, e), encode(tgt_tok, f)) for e, f in zip(en, fr, strict=True)]
    spans = [
        (
            piece_words(src_tok.vocab.decode(s), len(e.split())),
            piece_words(tgt_tok.vocab.decode(t), len(f.split())),
        )
        for (s, t), e, f in zip(examples, en, fr, strict=True)
    ]
    pairs = list(zip(en, fr, strict=True))
    files = gold_files(tmp_path, wpt)
    guide = GuidedAlignment.build(
        1.0, files, pairs, examples, src_tok, tgt_tok, tmp_path, say=lambda _: None, null=null
    )
    batch = collate(examples, list(range(len(examples))))
    return GuidedLines(translator, examples, spans, read_gold(wpt["gold"]), guide, batch)
