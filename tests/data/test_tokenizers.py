"""Tokenizers learned from real text: round trips, specials, saving and loading."""

from __future__ import annotations

import pytest

from attnseq.config import TokenizerConfig
from attnseq.data.corpora import load_pairs
from attnseq.data.tokenizers import (
    BOS,
    EOS,
    PAD,
    SPECIALS,
    UNK,
    Vocab,
    decode,
    encode,
    load_tokenizers,
    train_tokenizers,
)
from attnseq.errors import CheckpointError


@pytest.fixture(scope="module")
def pairs():
    return load_pairs("multi30k", "val", "fr", "en")[:400]


@pytest.mark.parametrize("joint", [True, False])
def test_sentencepiece_round_trip_and_reload(tmp_path, pairs, joint):
    cfg = TokenizerConfig(kind="sentencepiece", vocab_size=500, joint=joint)
    src, tgt = train_tokenizers(cfg, pairs, "fr", "en", tmp_path)
    assert tuple(src.vocab.itos[:4]) == SPECIALS and (PAD, UNK, BOS, EOS) == (0, 1, 2, 3)
    assert (tmp_path / ("joint.spm.model" if joint else "src.spm.model")).is_file()
    assert (src.vocab.itos == tgt.vocab.itos) is joint
    for fr, en in pairs[:50]:
        assert decode(src, encode(src, fr)) == fr
        assert decode(tgt, encode(tgt, en)) == en
    src2, tgt2 = load_tokenizers(tmp_path)
    assert src2.vocab.itos == src.vocab.itos and tgt2.tokenize(pairs[0][1]) == tgt.tokenize(
        pairs[0][1]
    )


def test_word_level_moses_and_pretokenized(tmp_path, pairs):
    cfg = TokenizerConfig(kind="word", joint=False, min_freq=2, lowercase=True, moses=True)
    src, tgt = train_tokenizers(cfg, pairs, "fr", "en", tmp_path)
    assert tgt.tokenize("A dog's ball, red.") == ["a", "dog", "'s", "ball", ",", "red", "."]
    assert tgt.detokenize(["a", "dog", "'s", "ball", ",", "red", "."]) == "a dog's ball, red."
    counts = {}
    for _, en in pairs:
        for tok in tgt.tokenize(en):
            counts[tok] = counts.get(tok, 0) + 1
    assert set(tgt.vocab.itos[4:]) == {t for t, c in counts.items() if c >= 2}
    assert UNK in encode(tgt, "zzyzx the dog")
    assert "<unk>" in decode(tgt, encode(tgt, "zzyzx the dog"))

    tok_pairs = load_pairs("multi30k", "val", "fr", "en", variant="tok")[:200]
    plain = TokenizerConfig(kind="word", moses=False, joint=True)
    src, tgt = train_tokenizers(plain, tok_pairs, "fr", "en", tmp_path / "tok")
    assert tgt.tokenize(tok_pairs[0][1]) == tok_pairs[0][1].split()
    assert decode(tgt, encode(tgt, tok_pairs[0][1])) == tok_pairs[0][1]
    reloaded, _ = load_tokenizers(tmp_path / "tok")
    assert reloaded.vocab.itos == src.vocab.itos


def test_vocab_rejects_files_without_specials(tmp_path):
    with pytest.raises(Exception, match="must start with"):
        Vocab(["a", "b"])
    with pytest.raises(CheckpointError, match="tokenizer.json: missing"):
        load_tokenizers(tmp_path)
