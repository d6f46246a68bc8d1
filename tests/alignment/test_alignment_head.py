"""The alignment head: an attention for word alignment only, which sees the word it aligns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from guided_lines import guided_lines, train_guided_run

from attnseq.alignment.files import read_pharaoh
from attnseq.api.aligner import Aligner
from attnseq.api.translator import load
from attnseq.cli.main import main
from attnseq.config import DecoderConfig, EncoderConfig, ModelConfig, config_from_dict
from attnseq.data.tokenizers import BOS, PAD
from attnseq.errors import AttnseqError, ConfigError
from attnseq.models.seq2seq import Seq2Seq

TINY = str(Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml")
SRC_V, TGT_V = 23, 19


def test_config_rules():
    guided = {
        "data": {"dataset": None, "train": {"src": "a", "tgt": "b", "align": "c"}},
        "train": {"guided_alignment_weight": 0.5},
    }
    head = {"model": {"alignment_head": True}}
    with pytest.raises(ConfigError, match="model.alignment_head: learns from guided alignment"):
        config_from_dict({"data": {"dataset": None, "train": {"src": "a", "tgt": "b"}}, **head})
    with pytest.raises(ConfigError, match="train.doubly_stochastic"):
        config_from_dict({**guided, **head, "train": {**guided["train"], "doubly_stochastic": 1}})
    with pytest.raises(ConfigError, match="not for captions"):
        config_from_dict({"task": "caption", **head})
    assert config_from_dict({**guided, **head}).model.alignment_head
    assert not config_from_dict({}).model.alignment_head  # old configs: no head


def _model(decoder: str) -> Seq2Seq:
    torch.manual_seed(0)
    transformer = decoder == "transformer"
    cfg = ModelConfig(
        embed_dim=16,
        encoder=EncoderConfig(hidden_size=6, dropout=0.0),
        decoder=DecoderConfig(
            type=decoder, hidden_size=16, attention_size=7, heads=4, ff_size=24, dropout=0.0
        ),
        tie_embeddings=transformer,
        alignment_head=True,
    )
    return Seq2Seq(cfg, SRC_V, TGT_V).eval()


@pytest.mark.parametrize("decoder", ["luong", "bahdanau", "conditional", "transformer"])
def test_head_sees_the_word_and_leaves_the_translation_alone(decoder):
    model = _model(decoder)
    g = torch.Generator().manual_seed(1)
    lengths = torch.tensor([5, 2, 4])
    src = torch.randint(4, SRC_V, (3, 5), generator=g)
    src[torch.arange(5)[None, :] >= lengths[:, None]] = PAD
    tgt_out = torch.randint(4, TGT_V, (3, 6), generator=g)
    tgt_in = torch.cat([torch.full((3, 1), BOS), tgt_out[:, :-1]], 1)
    with torch.no_grad():
        logits, attn = model(src, lengths, tgt_in)
        head_logits, align = model(src, lengths, tgt_in, tgt_out=tgt_out)
        changed = tgt_out.clone()
        changed[:, 3] = (changed[:, 3] + 1 - 4) % (TGT_V - 4) + 4  # another word at position 3
        _, align_changed = model(src, lengths, tgt_in, tgt_out=changed)
    torch.testing.assert_close(head_logits, logits, atol=0, rtol=0)
    assert align.shape == attn.shape and not torch.allclose(align, attn)
    torch.testing.assert_close(align.sum(-1), torch.ones(3, 6))
    assert align[1, :, 2:].abs().sum() == 0  # padding gets exactly zero weight
    # row t depends on the word written at t, and no other row does
    differs = (align - align_changed).abs().amax(-1) > 1e-6
    assert differs[:, 3].all() and not differs[:, [0, 1, 2, 4, 5]].any()


def test_head_learns_the_links_better_than_the_decoder_attention(run_dir, wpt, tmp_path):
    """The same guided training (40 steps on the first WPT03 lines and their gold
    links) brings the head far closer to the links than the decoder's own attention,
    which has to point before it knows the word."""
    lines = guided_lines(run_dir, wpt, tmp_path)
    torch.manual_seed(0)
    decoder = load(run_dir).model
    lines.train(decoder)
    model = _head_model(lines)
    lines.train(model)
    head_aer, decoder_aer = lines.aer(model), lines.aer(decoder)
    assert head_aer < decoder_aer - 0.08, (head_aer, decoder_aer)  # measured: 0.40 against 0.54


def test_training_and_aligning_with_a_head(run_dir, wpt, tmp_path):
    out = tmp_path / "head"
    train_guided_run(wpt, tmp_path, out, "model.alignment_head=true")
    en = wpt["en"].read_text(encoding="utf-8").splitlines()
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    aligner = Aligner.load(out)
    assert aligner.position == "head"  # a run with a head is aligned with it by default
    links = aligner.align(en, fr)
    assert len(links) == len(en)
    assert all(
        0 <= j < len(f.split()) and 0 <= i < len(e.split())
        for e, f, ls in zip(en, fr, links, strict=True)
        for i, j in ls
    )
    head = aligner.attention(en[:3], fr[:3])
    decoder = Aligner(aligner.translator, position="predict").attention(en[:3], fr[:3])
    for h, d in zip(head, decoder, strict=True):  # predict still reads the decoder's attention
        assert h.pieces.shape == d.pieces.shape and not np.allclose(h.pieces, d.pieces)
    with pytest.raises(AttnseqError, match="position head: this run has no alignment head"):
        Aligner.load(run_dir, position="head")


def _head_model(lines) -> Seq2Seq:
    """The trained run's model with a fresh alignment head (the same one every call)."""
    cfg = lines.translator.cfg.model
    cfg.alignment_head = True
    torch.manual_seed(0)
    vocab = len(lines.translator.src_tok.vocab), len(lines.translator.tgt_tok.vocab)
    model = Seq2Seq(cfg, *vocab)
    missing, unexpected = model.load_state_dict(lines.translator.model.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("alignment_head.") for k in missing)
    return model


def test_a_head_taught_null_leaves_unlinked_words_unaligned(run_dir, wpt, tmp_path):
    """Gold sure links leave some French words unaligned. A head whose guide sends
    those words to end-of-sentence learns to, and the aligner then gives them no
    link: precision rises and AER falls against the same training without it."""
    lines, null_lines = (guided_lines(run_dir, wpt, tmp_path, null=n) for n in (False, True))
    plain, null = _head_model(lines), _head_model(null_lines)
    lines.train(plain, steps=100)  # measured: AER 0.16 against 0.04, precision 0.75 and 0.98
    null_lines.train(null, steps=100)
    before, after = lines.scores(plain), null_lines.scores(null, null=True)
    assert after.precision > before.precision + 0.15, (before, after)
    assert after.aer < before.aer - 0.08, (before, after)
    translator = null_lines.translator
    translator.model, translator.cfg.train.guided_alignment_null = null.eval(), True
    aligner = Aligner(translator)  # the library reads the trained head the same way
    en = wpt["en"].read_text(encoding="utf-8").splitlines()
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    pairs, aligned = aligner.attention(en, fr), aligner.align(en, fr)
    for pair, links in zip(pairs, aligned, strict=True):
        kept = {j for j, row in enumerate(pair.words) if row.max() >= pair.null[j]}
        assert {j for _, j in links} == kept
    assert 0 < sum(map(len, aligned)) < sum(len(p.tgt_words) for p in pairs)


def test_a_null_taught_run_is_read_with_null_by_library_and_command(wpt, tmp_path):
    out = tmp_path / "null"
    train_guided_run(
        wpt, tmp_path, out, "model.alignment_head=true", "train.guided_alignment_null=true"
    )
    assert "(unlinked target tokens: to end-of-sentence)" in (out / "train.log").read_text()
    en = wpt["en"].read_text(encoding="utf-8").splitlines()
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    aligner = Aligner.load(out)
    assert aligner.null and not Aligner(aligner.translator, position="predict").null
    for pair in aligner.attention(en, fr):
        assert pair.words.shape == (len(pair.tgt_words), len(pair.src_words))
        totals = pair.words.sum(1) + pair.null  # a merged row is still a distribution
        np.testing.assert_allclose(totals, 1.0, atol=1e-5)
    cli = tmp_path / "cli.align"
    args = ["align", str(out), "--src", str(wpt["en"]), "--tgt", str(wpt["fr"]), "-o", str(cli)]
    assert main(args) == 0
    assert read_pharaoh(cli) == aligner.align(en, fr)  # the command reads a run as the library
