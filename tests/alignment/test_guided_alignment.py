"""Guided alignment: its config, its guide files, and that its loss pulls attention to the links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from attnseq.cli.main import main
from attnseq.config import FilesConfig, config_from_dict
from attnseq.data.alignments import format_links, read_gold
from attnseq.data.batching import collate
from attnseq.data.tokenizers import encode
from attnseq.errors import ConfigError, DataError
from attnseq.evaluation.alignment import alignment_scores
from attnseq.inference import load
from attnseq.search.forced import forced_attention
from attnseq.training.guided_alignment import GuidedAlignment, alignments_by_pair
from attnseq.word_alignment import extract, merge_pieces

TINY = str(Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml")


def _files(tmp_path, wpt) -> FilesConfig:
    """The WPT03 lines as training files, guided by their gold sure links (0-based)."""
    align = tmp_path / "gold.align"
    align.write_text("".join(format_links(g.sure) + "\n" for g in read_gold(wpt["gold"])))
    return FilesConfig(src=str(wpt["en"]), tgt=str(wpt["fr"]), align=str(align))


def test_config_rules():
    base = {"data": {"dataset": None, "train": {"src": "a", "tgt": "b"}}}
    with pytest.raises(ConfigError, match="train.guided_alignment_weight: needs data.train.align"):
        config_from_dict({**base, "train": {"guided_alignment_weight": 0.5}})
    with pytest.raises(ConfigError, match="must be >= 0"):
        config_from_dict({**base, "train": {"guided_alignment_weight": -1}})
    with pytest.raises(ConfigError, match="data.valid.align"):
        config_from_dict(
            {**base, "data": {**base["data"], "valid": {"src": "a", "tgt": "b", "align": "c"}}}
        )
    with pytest.raises(ConfigError, match="data.train.align: needs data.train.src"):
        config_from_dict({"data": {"dataset": None, "train": {"tsv": "t", "align": "c"}}})
    ok = config_from_dict(
        {
            "data": {**base["data"], "train": {"src": "a", "tgt": "b", "align": "c"}},
            "train": {"guided_alignment_weight": 0.5},
        }
    )
    assert ok.data.train.align == "c" and ok.train.guided_alignment_weight == 0.5
    assert config_from_dict({}).train.guided_alignment_weight == 0.0  # old configs: off


def test_guide_files_are_checked(tmp_path, wpt):
    files = _files(tmp_path, wpt)
    by_pair = alignments_by_pair(files, tmp_path)
    en = wpt["en"].read_text(encoding="utf-8").splitlines()
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    assert len(by_pair) == len(set(zip(en, fr, strict=True))) == 20  # "oh , oh !" three times...
    assert by_pair[(en[19], fr[19])] == read_gold(wpt["gold"])[19].sure
    short = tmp_path / "short.align"
    short.write_text("0-0\n")
    with pytest.raises(DataError, match="short.align: 1 lines"):
        alignments_by_pair(FilesConfig(files.src, files.tgt, align=str(short)), tmp_path)
    far = tmp_path / "far.align"
    far.write_text("".join("0-0\n" if n else "0-40\n" for n in range(24)))
    with pytest.raises(DataError, match=r"far.align, line 1: link 0-40 is outside"):
        alignments_by_pair(FilesConfig(files.src, files.tgt, align=str(far)), tmp_path)


def _aer(model, translator, examples, spans, gold) -> float:
    attention = forced_attention(model, examples)
    hyps = [
        extract(merge_pieces(a.numpy(), [*s, -1], [*t, -1]))
        for a, (s, t) in zip(attention, spans, strict=True)
    ]
    return alignment_scores(hyps, gold).aer


def test_loss_pulls_attention_to_the_links(run_dir, wpt, tmp_path):
    translator = load(run_dir)
    files = _files(tmp_path, wpt)
    en = wpt["en"].read_text(encoding="utf-8").splitlines()
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    examples = [
        (encode(translator.src_tok, e), encode(translator.tgt_tok, f))
        for e, f in zip(en, fr, strict=True)
    ]
    guide = GuidedAlignment.build(
        1.0,
        files,
        list(zip(en, fr, strict=True)),
        examples,
        translator.src_tok,
        translator.tgt_tok,
        tmp_path,
        say=lambda _: None,
    )
    assert all(links is not None for links in guide.links)
    batch = collate(examples, list(range(len(examples))))
    targets = guide.targets(
        batch, torch.Size((len(examples), batch.tgt_out.size(1), batch.src.size(1)))
    )
    sums = targets.sum(-1)
    assert torch.all(((sums - 1).abs() < 1e-6) | (sums == 0))
    for b, (src, tgt) in enumerate(examples):
        assert targets[b, len(tgt), len(src)] == 1.0  # end of sentence reads end of sentence

    from attnseq.data.alignments import piece_words

    spans = [
        (
            piece_words(translator.src_tok.vocab.decode(s), len(e.split())),
            piece_words(translator.tgt_tok.vocab.decode(t), len(f.split())),
        )
        for (s, t), e, f in zip(examples, en, fr, strict=True)
    ]
    gold = read_gold(wpt["gold"])
    model = translator.model
    before = _aer(model, translator, examples, spans, gold)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(40):
        _, attn = model(batch.src, batch.src_lengths, batch.tgt_in)
        loss = guide.loss(attn, batch) / batch.num_tokens
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = _aer(model, translator, examples, spans, gold)
    assert after < before - 0.2, (before, after)


def test_training_with_guided_alignment(wpt, tmp_path):
    files = _files(tmp_path, wpt)
    out = tmp_path / "guided"
    sets = {
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
    args = ["train", TINY, "--out", str(out), "--quiet"]
    for key, value in sets.items():
        args += ["--set", f"{key}={value}"]
    assert main(args) == 0
    log = (out / "train.log").read_text()
    assert "guided alignment (weight 1): 24 of 24 training pairs have links" in log
    assert "training stopped at step 4" in log
