"""BLEU conventions on the real Multi30k test set."""

from __future__ import annotations

import pytest

from attnseq.data.corpora import load_pairs
from attnseq.evaluation.metrics import bleu, moses_detokenized, moses_tokenized


@pytest.mark.parametrize("lang", ["de", "en"])
def test_moses_pipeline_reproduces_the_official_tokenized_files(mirror, lang):
    other = "en" if lang == "de" else "de"
    raw = [t for _, t in load_pairs("multi30k", "test_2016_flickr", other, lang, "raw")]
    tok = [t for _, t in load_pairs("multi30k", "test_2016_flickr", other, lang, "tok")]
    assert moses_tokenized(raw, lang) == tok


def test_tokenized_bleu_of_the_references_is_100_and_of_a_shuffle_is_low(mirror):
    tok = [t for _, t in load_pairs("multi30k", "test_2016_flickr", "en", "de", "tok")]
    assert bleu(tok, tok, "none").score == pytest.approx(100.0)
    assert bleu(tok[1:] + tok[:1], tok, "none").score < 5.0


@pytest.mark.parametrize(("lang", "other"), [("de", "en"), ("fr", "en")])
def test_detokenizing_the_official_files_gives_back_the_lowercased_raw_text(mirror, lang, other):
    raw = [t for _, t in load_pairs("multi30k", "test_2016_flickr", other, lang, "raw")]
    tok = [t for _, t in load_pairs("multi30k", "test_2016_flickr", other, lang, "tok")]
    plain = moses_detokenized(tok, lang)
    assert "&apos;" not in " ".join(plain) and "&quot;" not in " ".join(plain)
    assert sum(p == r.lower() for p, r in zip(plain, raw, strict=True)) >= 995
    assert bleu(plain, raw, lowercase=True).score > 99.9
    # Cased 13a BLEU counts the lost capitals: German capitalises every noun.
    assert bleu(plain, raw).score < (30 if lang == "de" else 92)


def test_tokenized_bleu_does_not_warn_about_tokenized_text(caplog):
    """tok:none means the text is tokenized on purpose; 13a on such text still warns."""
    lines = ["a dog runs on the grass ."] * 120
    with caplog.at_level("WARNING"):
        assert bleu(lines, lines, "none").score == pytest.approx(100.0)
    assert "forgot to detokenize" not in caplog.text
    with caplog.at_level("WARNING"):
        bleu(lines, lines, "13a")
    assert "forgot to detokenize" in caplog.text
