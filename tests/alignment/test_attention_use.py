"""What users do with attention: statistics, unknown-word replacement, word and n-best heatmaps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from attnseq.api.translator import Translation
from attnseq.api.unk_replace import read_dictionary, replace_all, replace_unknowns
from attnseq.cli.main import main
from attnseq.data.tokenizers import SPECIALS, Vocab, WordTokenizer
from attnseq.errors import DataError
from attnseq.evaluation.attention_stats import corpus_stats, explain, sentence_stats

# A real Multi30k test sentence (test_2016_flickr, German, tokenized), with a
# vocabulary that lacks its rare words.
SOURCE = "ein mann mit 3 hunden in bern ."
TARGET_VOCAB = ["a", "man", "with", "2", "dogs", "in", "."]


def _tokenizers():
    src = WordTokenizer(
        Vocab([*SPECIALS, "ein", "mann", "mit", "hunden", "in", "."]), "de", False, False
    )
    tgt = WordTokenizer(Vocab([*SPECIALS, *TARGET_VOCAB]), "en", False, False)
    return src, tgt


def _translation(out_tokens: list[str], looks_at: list[int]) -> Translation:
    """A translation whose output token t attends (0.9) to source token looks_at[t]."""
    src_tok, _ = _tokenizers()
    src_tokens = [*src_tok.vocab.decode(src_tok.vocab.encode(SOURCE.split())), "</s>"]
    attention = torch.full((len(out_tokens), len(src_tokens)), 0.1 / (len(src_tokens) - 1))
    for t, k in enumerate(looks_at):
        attention[t, k] = 0.9
    text = " ".join(t for t in out_tokens if t != "</s>")
    return Translation(SOURCE, text, src_tokens, out_tokens, attention, -1.0)


def test_unknown_words_and_numbers_are_copied_from_the_attended_source_word():
    src_tok, tgt_tok = _tokenizers()
    out = ["a", "man", "with", "2", "dogs", "in", "<unk>", ".", "</s>"]
    translation = _translation(out, [0, 1, 2, 3, 4, 5, 6, 7, 8])
    assert translation.src_tokens[3] == "<unk>" and translation.src_tokens[6] == "<unk>"
    fixed, count = replace_unknowns(translation, src_tok, tgt_tok)
    assert fixed.text == "a man with 3 dogs in bern ." and count == 2
    fixed, _ = replace_unknowns(translation, src_tok, tgt_tok, numbers=False)
    assert fixed.text == "a man with 2 dogs in bern ."
    fixed, _ = replace_unknowns(translation, src_tok, tgt_tok, {"bern": "berne"})
    assert fixed.text == "a man with 3 dogs in berne ."
    # A number copied from a non-number is left alone; a correct output is unchanged.
    right = _translation(["a", "man", "<unk>", "</s>"], [0, 1, 3, 8])
    assert replace_all([right], src_tok, tgt_tok)[0][0].text == "a man 3"
    wrong_look = _translation(["a", "2", "</s>"], [0, 1, 8])
    assert replace_unknowns(wrong_look, src_tok, tgt_tok)[1] == 0


def test_dictionary_file(tmp_path):
    path = tmp_path / "de-en.dict"
    path.write_text("# best first\nbern\tberne\nbern\tbernese\nhunden dogs\n\n", encoding="utf-8")
    assert read_dictionary(path) == {"bern": "berne", "hunden": "dogs"}
    path.write_text("bern\n", encoding="utf-8")
    with pytest.raises(DataError, match="de-en.dict, line 1"):
        read_dictionary(path)


def test_statistics_flag_omission_and_repetition():
    src = ["\u2581le", "\u2581ch", "at", "\u2581noir", "</s>"]
    out = ["\u2581the", "\u2581cat", "\u2581cat", "\u2581cat", "</s>"]
    attention = np.array(
        [
            [1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.5, 0.5, 0.0, 0.0],
            [0.0, 0.4, 0.5, 0.0, 0.1],
            [0.0, 0.6, 0.4, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.1, 0.9],
        ]
    )
    stats = sentence_stats(src, out, attention)
    assert stats.src_words == ["le", "chat", "noir"]
    np.testing.assert_allclose(stats.coverage, [1.0, 2.9, 0.1])
    assert [stats.src_words[i] for i in stats.omissions] == ["noir"]
    assert [stats.src_words[i] for i in stats.repetitions] == ["chat"]
    # Only the third output word is unsure: 0.9 on "chat", 0.1 on </s>.
    assert stats.entropy == pytest.approx(-(0.9 * np.log2(0.9) + 0.1 * np.log2(0.1)) / 4)
    lines = explain(stats)
    assert "chat:2.90" in lines[0] and "omission" in lines[1] and "repetition" in lines[2]
    total = corpus_stats([stats, stats])
    assert total.omission_flags == 2 and total.sentences_flagged == 2 and total.source_words == 6
    spread = sentence_stats(
        src, out[:1] + ["</s>"], np.array([[0.25] * 4 + [0.0], [0, 0, 0, 0, 1.0]])
    )
    assert spread.entropy == pytest.approx(1.5)  # words: 0.25, 0.5, 0.25 -> 1.5 bits


def test_translate_explain_and_replace_unk(run_dir, capsys):
    assert main(["translate", str(run_dir), "I am happy .", "It is cold .", "--explain"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[1].startswith("  entropy ") and "coverage i:" in lines[1]
    assert "2 sentences: attention entropy" in captured.err
    assert main(["translate", str(run_dir), "I am happy .", "--dict", "x"]) == 2
    assert "--dict is used by --replace-unk" in capsys.readouterr().err
    assert main(["translate", str(run_dir), "I am happy 1984 .", "--replace-unk"]) == 0


def test_word_and_nbest_heatmaps(run_dir, tmp_path):
    words = tmp_path / "words.png"
    pieces = tmp_path / "pieces.png"
    nbest = tmp_path / "nbest.png"
    text = "the minister suggested a greater building program ."
    assert main(["attention", str(run_dir), text, "-o", str(words), "--view", "words"]) == 0
    assert main(["attention", str(run_dir), text, "-o", str(pieces)]) == 0
    assert (
        main(["attention", str(run_dir), text, "-o", str(nbest), "--nbest", "3", "--beam", "3"])
        == 0
    )
    with Image.open(words) as w, Image.open(pieces) as p, Image.open(nbest) as n:
        assert w.width < p.width  # words merge the pieces of "minister", "suggested", ...
        assert n.width > 2 * p.width  # three hypotheses side by side
    assert (
        main(["attention", str(run_dir), text, "-o", str(tmp_path / "x.json"), "--nbest", "2"]) == 2
    )
