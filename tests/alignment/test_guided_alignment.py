"""Guided alignment: its config, its guide files, and that its loss pulls attention to the links."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from guided_lines import gold_files, guided_lines, train_guided_run

from attnseq.alignment.files import read_gold
from attnseq.config import FilesConfig, config_from_dict
from attnseq.errors import ConfigError, DataError
from attnseq.training.guided_alignment import alignments_by_pair

TINY = str(Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml")


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
    files = gold_files(tmp_path, wpt)
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


def test_loss_pulls_attention_to_the_links(run_dir, wpt, tmp_path):
    lines = guided_lines(run_dir, wpt, tmp_path)
    examples, batch = lines.examples, lines.batch
    assert all(links is not None for links in lines.guide.links)
    targets = lines.guide.targets(
        batch, torch.Size((len(examples), batch.tgt_out.size(1), batch.src.size(1)))
    )
    sums = targets.sum(-1)
    assert torch.all(((sums - 1).abs() < 1e-6) | (sums == 0))
    for b, (src, tgt) in enumerate(examples):
        assert targets[b, len(tgt), len(src)] == 1.0  # end of sentence reads end of sentence
    model = lines.translator.model
    before = lines.aer(model)
    lines.train(model)
    after = lines.aer(model)
    assert after < before - 0.2, (before, after)


def test_training_with_guided_alignment(wpt, tmp_path):
    out = tmp_path / "guided"
    train_guided_run(wpt, tmp_path, out)
    log = (out / "train.log").read_text()
    assert "guided alignment (weight 1): 24 of 24 training pairs have links" in log
    assert "training stopped at step 4" in log


def test_null_sends_unlinked_target_tokens_to_end_of_sentence(run_dir, wpt, tmp_path):
    lines, null = (guided_lines(run_dir, wpt, tmp_path, null=n) for n in (False, True))
    shape = torch.Size((len(lines.examples), lines.batch.tgt_out.size(1), lines.batch.src.size(1)))
    plain, taught = lines.guide.targets(lines.batch, shape), null.guide.targets(null.batch, shape)
    unlinked = 0
    for b, (src, tgt) in enumerate(lines.examples):
        for t in range(len(tgt) + 1):
            if plain[b, t].sum() == 0:  # a target token without a link...
                unlinked += 1
                assert taught[b, t, len(src)] == 1.0 and taught[b, t].sum() == 1.0
            else:  # ...and the linked ones as before
                assert torch.equal(taught[b, t], plain[b, t])
    assert unlinked > 20  # the gold sure links leave many French pieces unlinked
    with pytest.raises(ConfigError, match="train.guided_alignment_null: shapes the guided"):
        config_from_dict({"train": {"guided_alignment_null": True}})
