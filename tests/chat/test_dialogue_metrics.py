"""Dialogue metrics on responses whose values are known by hand."""

from __future__ import annotations

import pytest

from attnseq.evaluation.dialogue import (
    dialogue_scores,
    distinct,
    generic_share,
    repeats_ngram,
    words,
)


def test_words_follow_bleu_tokenization():
    assert words("I don't know.") == ["i", "don't", "know", "."]


def test_distinct():
    responses = ["I know .", "I know it ."]
    # unigrams: i know . i know it .  -> 4 unique of 7
    assert distinct(responses, 1) == pytest.approx(4 / 7)
    # bigrams: (i know)(know .)(i know)(know it)(it .) -> 4 unique of 5
    assert distinct(responses, 2) == pytest.approx(4 / 5)
    assert distinct([], 2) == 0.0
    assert distinct(["Hi"], 2) == 0.0


def test_generic_share():
    responses = ["I don't know."] * 5 + [f"answer {i}" for i in range(15)]
    # the top ten: "i don't know ." (5) and nine singletons
    assert generic_share(responses) == pytest.approx(14 / 20)
    assert generic_share(["Yes.", "yes ."]) == 1.0
    assert generic_share([]) == 0.0


def test_repeats_and_summary():
    assert repeats_ngram("I am sorry, I am late.") is False  # "i am" twice is a bigram
    assert repeats_ngram("I am sorry, I am sorry.") is True
    scores = dialogue_scores(["I am sorry. I am sorry.", "Fine, thanks."])
    assert scores.responses == 2
    assert scores.repeat_3gram_share == 0.5
    assert scores.avg_length == pytest.approx((8 + 4) / 2)
    assert set(scores.to_dict()) >= {"distinct_1", "distinct_2", "generic_share"}
