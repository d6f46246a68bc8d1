"""BLEU conventions on the real Multi30k test set."""

from __future__ import annotations

import pytest

from attnseq.data.corpora import load_pairs
from attnseq.evaluation.metrics import bleu, moses_tokenized


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
