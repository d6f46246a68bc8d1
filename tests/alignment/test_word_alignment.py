"""Subword merging, link extraction and symmetrisation."""

from __future__ import annotations

import numpy as np
import pytest
import sentencepiece  # noqa: F401  (the tokenizer under test)

from attnseq.alignment.extract import (
    extract,
    group_words,
    merge_pieces,
    piece_groups,
    soft_symmetrize,
    symmetrize,
    word_view,
)
from attnseq.alignment.files import piece_words, token_links, word_spans


def test_merge_pieces_sums_source_and_averages_target():
    # Source words: "le" = [le], "chat" = [ch, at], then </s>; target words "the", "cat"=[c, at].
    weights = np.array(
        [
            [0.8, 0.1, 0.0, 0.1],  # the
            [0.0, 0.5, 0.4, 0.1],  # c
            [0.2, 0.3, 0.3, 0.2],  # at
            [0.0, 0.0, 0.1, 0.9],  # </s>
        ]
    )
    merged = merge_pieces(weights, [0, 1, 1, -1], [0, 1, 1, -1])
    assert merged.shape == (2, 2)
    np.testing.assert_allclose(merged[0], [0.8, 0.1])
    np.testing.assert_allclose(merged[1], [(0.0 + 0.2) / 2, (0.9 + 0.6) / 2])
    assert extract(merged) == {(0, 0), (1, 1)}
    assert extract(merged, "threshold", 0.5) == {(0, 0), (1, 1)}
    assert extract(merged, "threshold", 0.05) == {(0, 0), (1, 0), (0, 1), (1, 1)}
    assert extract(np.zeros((0, 0))) == set()
    with pytest.raises(ValueError, match="unknown alignment method"):
        extract(merged, "best")


def test_piece_word_maps_for_sentencepiece_and_words():
    pieces = ["\u2581the", "\u2581c", "at", "\u2581sat", "\u2581."]
    assert piece_words(pieces, 4) == [0, 1, 1, 2, 3]
    assert piece_words(pieces, 5) is None  # does not add up: no guessing
    assert piece_words(["a", "b"], 2) == [0, 1]
    assert word_spans([["\u2581c", "at"], ["\u2581."]]) == [0, 0, 1]
    assert piece_groups(["\u2581c", "at", "</s>"]) == [0, 0, 1]
    assert group_words(["\u2581c", "at", "</s>"], [0, 0, 1]) == ["cat", "</s>"]
    src, out, merged = word_view(
        ["\u2581le", "\u2581ch", "at", "</s>"], ["\u2581the", "\u2581cat", "</s>"], np.eye(3, 4)
    )
    assert src == ["le", "chat", "</s>"] and out == ["the", "cat", "</s>"]
    assert merged.shape == (3, 3) and merged[1, 1] == 1.0


def test_token_links_link_every_piece_pair():
    assert token_links({(1, 0)}, [0, 1, 1], [0, 0]) == {(1, 0), (2, 0), (1, 1), (2, 1)}
    assert token_links({(5, 0)}, [0], [0]) == set()


def test_symmetrize_heuristics():
    # Forward (source-to-target view) and backward agree on 0-0 and 2-2.
    forward = {(0, 0), (1, 1), (2, 2), (3, 2)}
    backward = {(0, 0), (1, 2), (2, 2), (4, 4)}
    assert symmetrize(forward, backward, "intersect") == {(0, 0), (2, 2)}
    assert symmetrize(forward, backward, "union") == forward | backward
    # grow-diag adds union neighbours of kept links that align an unaligned word:
    # 1-1 (diagonal of 0-0 and 2-2, both words free) and 3-2 (next to 2-2, source 3
    # free); 1-2 then has both words aligned and stays out; 4-4 touches nothing.
    assert symmetrize(forward, backward, "grow-diag") == {(0, 0), (1, 1), (2, 2), (3, 2)}
    # -final-and adds 4-4 (both words unaligned); -final too.
    assert (4, 4) in symmetrize(forward, backward, "grow-diag-final-and")
    assert (4, 4) in symmetrize(forward, backward, "grow-diag-final")
    with pytest.raises(ValueError, match="unknown symmetrization"):
        symmetrize(forward, backward, "grow")


def test_final_and_needs_both_words_unaligned():
    forward = {(0, 0)}
    backward = {(0, 0), (0, 1), (2, 3)}
    # 0-1: source 0 is aligned, target 1 is not: -final adds it, -final-and does not.
    assert (0, 1) in symmetrize(forward, backward, "grow-diag-final")
    assert (0, 1) in symmetrize(forward, backward, "grow-diag")  # neighbour of 0-0 anyway
    far = {(0, 0), (0, 5)}
    assert (0, 5) in symmetrize(forward, far, "grow-diag-final")
    assert (0, 5) not in symmetrize(forward, far, "grow-diag-final-and")


def test_argmax_leaves_words_that_look_at_null_unaligned():
    weights = np.array([[0.6, 0.1], [0.2, 0.3], [0.0, 0.5]])
    assert extract(weights) == {(0, 0), (1, 1), (1, 2)}
    assert extract(weights, null=np.array([0.3, 0.5, 0.5])) == {(0, 0), (1, 2)}  # ties link
    assert extract(weights, "threshold", 0.3, null=np.ones(3)) == {(0, 0), (1, 1), (1, 2)}


def test_soft_symmetrization_averages_both_directions():
    forward = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4]])  # [target, source]
    backward = np.array([[0.9, 0.0], [0.1, 0.3], [0.0, 0.6]])  # [source, target]
    # means: target 0 -> 0.8, 0.15, 0.05; target 1 -> 0.05, 0.4, 0.5
    assert soft_symmetrize(forward, backward, 0.4) == {(0, 0), (1, 1), (2, 1)}
    assert soft_symmetrize(forward, backward, 0.45) == {(0, 0), (2, 1)}
    with pytest.raises(ValueError, match="not the same pair's two directions"):
        soft_symmetrize(forward, backward[:2], 0.4)
