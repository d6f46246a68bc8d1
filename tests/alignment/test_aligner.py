"""Forced decoding, word alignment from attention and the ``align`` command, on a tiny model."""

from __future__ import annotations

import torch
from PIL import Image

from attnseq.alignment.aer import alignment_scores
from attnseq.alignment.extract import SOFT_THRESHOLD, soft_symmetrize
from attnseq.alignment.files import read_gold, read_pharaoh
from attnseq.api.aligner import Aligner, align_corpus
from attnseq.api.translator import load
from attnseq.cli.main import main
from attnseq.data.tokenizers import encode
from attnseq.search.forced import forced_attention

LINES = 24


def test_forced_decoding_reproduces_the_attention_of_search(run_dir):
    translator = load(run_dir)
    result = translator.translate(["I am happy ."], beam=1)[0]
    src_ids = encode(translator.src_tok, "I am happy .")
    out_ids = translator.tgt_tok.vocab.encode(t for t in result.out_tokens if t != "</s>")
    (forced,) = forced_attention(translator.model, [(src_ids, out_ids)])
    rows = result.attention.size(0)
    assert forced.shape == (len(out_ids) + 1, len(src_ids) + 1)
    torch.testing.assert_close(forced[:rows], result.attention, atol=1e-5, rtol=1e-4)


def test_word_alignments_of_real_gold_pairs(run_dir, wpt):
    en = wpt["en"].read_text(encoding="utf-8").splitlines()
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    for position in ("predict", "read"):
        aligner = Aligner.load(run_dir, lowercase=True, position=position)
        pairs = aligner.attention(en, fr)
        assert len(pairs) == LINES
        for pair, e, f in zip(pairs, en, fr, strict=True):
            assert pair.words.shape == (len(f.split()), len(e.split()))
            assert pair.pieces.shape == (len(pair.tgt_pieces), len(pair.src_pieces))
            # Merged rows keep the mass the words got: at most one (end-of-sentence left out).
            assert (pair.words.sum(axis=1) <= 1 + 1e-5).all()
        links = aligner.align(en, fr)
        for line, e, f in zip(links, en, fr, strict=True):
            # argmax: exactly one source word for each target word, all in range.
            assert sorted(j for _, j in line) == list(range(len(f.split())))
            assert all(0 <= i < len(e.split()) for i, _ in line)
    scores = alignment_scores(links, read_gold(wpt["gold"]))
    assert 0.0 <= scores.aer <= 1.0 and scores.hyp_links == sum(len(f.split()) for f in fr)


def test_two_directions_combine(run_dir, wpt):
    en = wpt["en"].read_text(encoding="utf-8").splitlines()
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    forward = Aligner.load(run_dir, lowercase=True)
    one_way = forward.align(en, fr)
    # The tiny model's joint vocabulary reads either language, so it can play both directions.
    both = align_corpus(forward, en, fr, backward=forward, symmetrization="intersect")
    union = align_corpus(forward, en, fr, backward=forward, symmetrization="union")
    for a, b, u in zip(one_way, both, union, strict=True):
        assert b <= a <= u
    soft = align_corpus(forward, en, fr, backward=forward, symmetrization="soft")
    pairs, back = forward.attention(en, fr), forward.attention(fr, en)
    assert soft == [soft_symmetrize(p.words, b.words) for p, b in zip(pairs, back, strict=True)]
    assert any(soft) and soft != union  # a real alignment of its own


def test_align_command_soft_symmetrization(run_dir, wpt, tmp_path):
    en = wpt["en"].read_text(encoding="utf-8").splitlines()
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    forward = Aligner.load(run_dir, lowercase=True)
    for threshold in (None, 0.2):
        out = tmp_path / f"soft-{threshold}.align"
        args = ["align", str(run_dir), str(run_dir), "--src", str(wpt["en"]), "--tgt"]
        args += [str(wpt["fr"]), "--lowercase", "--symmetrize", "soft", "-o", str(out)]
        assert main(args + ([] if threshold is None else ["--threshold", str(threshold)])) == 0
        expected = align_corpus(
            forward,
            en,
            fr,
            backward=forward,
            symmetrization="soft",
            soft_threshold=threshold or SOFT_THRESHOLD,
        )
        assert read_pharaoh(out) == expected


def test_align_command_writes_pharaoh_and_gold_heatmaps(run_dir, wpt, tmp_path, capsys):
    out = tmp_path / "test.align"
    plots = tmp_path / "plots"
    args = ["align", str(run_dir), "--src", str(wpt["en"]), "--tgt", str(wpt["fr"])]
    args += ["-o", str(out), "--lowercase", "--gold", str(wpt["gold"])]
    args += ["--heatmap-dir", str(plots), "--heatmap-lines", "1,20"]
    assert main(args) == 0
    links = read_pharaoh(out)
    assert len(links) == LINES
    fr = wpt["fr"].read_text(encoding="utf-8").splitlines()
    assert [len(line) for line in links] == [len(f.split()) for f in fr]
    with Image.open(plots / "align-20.png") as image:
        assert image.width > 600  # a 17-word sentence pair, one column per word
    assert main(["evaluate-alignment", str(out), str(wpt["gold"])]) == 0
    assert "AER = " in capsys.readouterr().out
    assert main(args[:-4] + ["--view", "pieces", "--heatmap-dir", str(plots)]) == 0
    assert (plots / "align-1.png").is_file()


def test_align_command_errors(run_dir, wpt, tmp_path, capsys):
    short = tmp_path / "short.fr"
    short.write_text("un\n")
    args = ["align", str(run_dir), "--src", str(wpt["en"]), "--tgt", str(short)]
    assert main(args) == 2
    assert "line counts differ" in capsys.readouterr().err
    args = ["align", str(run_dir), "--src", str(wpt["en"]), "--tgt", str(wpt["fr"])]
    assert main([*args, "--heatmap-dir", str(tmp_path), "--heatmap-lines", "99"]) == 2
    assert "line 99 is outside 1..24" in capsys.readouterr().err
