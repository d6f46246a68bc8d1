"""From attention weights to word alignments.

The model reads and writes subword pieces, while alignments are between
words. A target word's row is the mean of its pieces' rows (each piece was
one decision of the decoder, equally weighted) and a source word's column is
the sum of its pieces' columns (the attention it received in all), so a
merged row is still a distribution over source words.

Links are then read off each target word's row: its single most attended
source word (``argmax``), or every source word above a weight
(``threshold``). One direction's alignment can be one-to-many only on one
side; combining two directions is what statistical aligners do, and
:func:`symmetrize` implements the usual heuristics of Koehn et al. (2003).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from attnseq.alignment.files import Link, Links

METHODS = ("argmax", "threshold")
SYMMETRIZATIONS = (
    "intersect",
    "union",
    "grow-diag",
    "grow-diag-final",
    "grow-diag-final-and",
)


def merge_pieces(
    weights: np.ndarray, src_words: Sequence[int], tgt_words: Sequence[int]
) -> np.ndarray:
    """Piece-level attention ``[T, S]`` to word level ``[words_out, words_in]``.

    ``src_words[k]`` / ``tgt_words[k]`` give the word of each piece; pieces
    mapped to ``-1`` (end-of-sentence) are left out, so their weight is lost
    from the rows, not spread over words.
    """
    weights = np.asarray(weights, dtype=np.float64)
    n_src = max(src_words, default=-1) + 1
    n_tgt = max(tgt_words, default=-1) + 1
    columns = np.zeros((weights.shape[0], n_src))
    for k, w in enumerate(src_words):
        if w >= 0:
            columns[:, w] += weights[:, k]
    merged = np.zeros((n_tgt, n_src))
    counts = np.zeros(n_tgt)
    for k, w in enumerate(tgt_words):
        if w >= 0:
            merged[w] += columns[k]
            counts[w] += 1
    return merged / np.maximum(counts, 1)[:, None]


def extract(
    weights: np.ndarray,
    method: str = "argmax",
    threshold: float = 0.3,
    null: np.ndarray | None = None,
) -> Links:
    """Links ``(source word, target word)`` from a word-level attention matrix [tgt, src].

    ``null`` (one weight per target word, given to the source's end-of-sentence)
    leaves a word unaligned under ``argmax`` where it outweighs every source word.
    """
    weights = np.asarray(weights)
    if weights.size == 0:
        return set()
    if method == "argmax":
        best = weights.argmax(axis=1)
        keep = np.ones(len(best), bool) if null is None else weights.max(axis=1) >= null
        return {(int(i), j) for j, i in enumerate(best) if keep[j]}
    if method == "threshold":
        rows, cols = np.nonzero(weights >= threshold)
        return {(int(i), int(j)) for j, i in zip(rows, cols, strict=True)}
    raise ValueError(f"unknown alignment method {method!r}; choose one of {', '.join(METHODS)}")


SOFT = "soft"  # both directions' attention averaged, then thresholded (soft_symmetrize)
SOFT_THRESHOLD = 0.4


def soft_symmetrize(
    forward: np.ndarray, backward: np.ndarray, threshold: float = SOFT_THRESHOLD
) -> Links:
    """Links ``(source, target)`` where the two directions' attention, averaged, reaches
    ``threshold``; ``forward`` is ``[tgt, src]`` (rows of the source-to-target model),
    ``backward`` ``[src, tgt]``.

    The heuristics below combine two sets of links, each direction having
    already committed to its argmax; averaging the probabilities first keeps a
    link that both models half-believe, and drops one that either model gives
    to its end-of-sentence (NULL). On WPT03 it gives the best alignments of a
    head taught NULL (docs/results.md, "Alignment").
    """
    forward, backward = np.asarray(forward), np.asarray(backward)
    if forward.shape != backward.T.shape:
        raise ValueError(
            f"soft_symmetrize: forward {forward.shape} and backward {backward.shape} "
            "are not the same pair's two directions"
        )
    rows, cols = np.nonzero((forward + backward.T) / 2 >= threshold)
    return {(int(i), int(j)) for j, i in zip(rows, cols, strict=True)}


_NEIGHBOURS = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


def symmetrize(forward: Links, backward: Links, heuristic: str = "grow-diag-final-and") -> Links:
    """Combine two directions' links, both given as ``(source, target)`` pairs.

    ``intersect`` keeps the links both directions agree on (high precision),
    ``union`` all of them (high recall); ``grow-diag`` starts from the
    intersection and adds union links next to (diagonals included) an
    existing link that align a still unaligned word, and the ``-final``
    variants then add remaining union links for a word that is unaligned
    (``-final``) or for two words that are both unaligned (``-final-and``).
    """
    if heuristic not in SYMMETRIZATIONS:
        raise ValueError(
            f"unknown symmetrization {heuristic!r}; choose one of {', '.join(SYMMETRIZATIONS)}"
        )
    union = forward | backward
    if heuristic == "union":
        return set(union)
    links = forward & backward
    if heuristic == "intersect":
        return links
    aligned_src = {i for i, _ in links}
    aligned_tgt = {j for _, j in links}

    def add(link: Link) -> None:
        links.add(link)
        aligned_src.add(link[0])
        aligned_tgt.add(link[1])

    grown = True
    while grown:
        grown = False
        for i, j in sorted(links):
            for di, dj in _NEIGHBOURS:
                new = (i + di, j + dj)
                if (
                    new in union
                    and new not in links
                    and (new[0] not in aligned_src or new[1] not in aligned_tgt)
                ):
                    add(new)
                    grown = True
    if heuristic == "grow-diag":
        return links
    both = heuristic == "grow-diag-final-and"
    for direction in (forward, backward):
        for i, j in sorted(direction):
            if (i, j) in links:
                continue
            free_src, free_tgt = i not in aligned_src, j not in aligned_tgt
            if (free_src and free_tgt) if both else (free_src or free_tgt):
                add((i, j))
    return links


def piece_groups(pieces: Sequence[str]) -> list[int]:
    """Word index of each piece of a model's own tokenization.

    Sentencepiece starts each word with U+2581; a vocabulary of words has no
    such marks, and then each piece is a word. Specials like ``</s>`` are
    words of their own.
    """
    if not any(p.startswith("\u2581") for p in pieces):
        return list(range(len(pieces)))
    groups, index, after_special = [], -1, False
    for piece in pieces:
        special = piece.startswith("<") and piece.endswith(">") and piece != "<unk>"
        if index < 0 or piece.startswith("\u2581") or special or after_special:
            index += 1
        groups.append(index)
        after_special = special
    return groups


def group_words(pieces: Sequence[str], groups: Sequence[int]) -> list[str]:
    """The text of each word, its pieces joined without the word-start marks."""
    words = [""] * (max(groups, default=-1) + 1)
    for piece, group in zip(pieces, groups, strict=True):
        words[group] += piece.replace("\u2581", "")
    return words


def word_view(
    src_tokens: Sequence[str], out_tokens: Sequence[str], weights: np.ndarray
) -> tuple[list[str], list[str], np.ndarray]:
    """A translation's piece-level attention as words (``</s>`` kept as a word)."""
    src_groups, out_groups = piece_groups(src_tokens), piece_groups(out_tokens)
    return (
        group_words(src_tokens, src_groups),
        group_words(out_tokens, out_groups),
        merge_pieces(weights, src_groups, out_groups),
    )
