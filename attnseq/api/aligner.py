"""Word alignment from a translation model's attention.

Forced decoding (``attnseq.search.forced``) gives, for a sentence pair, the
attention of every decoder step over the source pieces; this module turns it
into links between whitespace-separated words, one direction or two::

    from attnseq.api.aligner import Aligner, align_corpus
    en_fr = Aligner.load("runs/wpt03/en-fr", lowercase=True)
    fr_en = Aligner.load("runs/wpt03/fr-en", lowercase=True)
    links = align_corpus(en_fr, english, french, backward=fr_en, symmetrization="grow-diag")

Which decoder step belongs to target word ``j`` is a choice. ``predict``
takes the step that writes ``j``: what the model looked at to choose the word.
``read`` takes the next step, whose input is ``j``: by then the decoder knows
the word, and for some models that step points at ``j``'s source word more
sharply (the "shift" of Chen et al. 2020). Not for a trained Luong decoder,
whose next step already serves the next word: on WPT03 ``predict`` gives
36.8 % AER and ``read`` 68.6 % (docs/results.md, "Alignment"). Models trained
with guided alignment were taught the ``predict`` step. ``head`` takes the
alignment head's row for ``j`` (``model.alignment_head``), which sees ``j``
itself; it is the default for a run that has a head, and ``predict`` still
reads such a run's decoder attention, so the two can be compared.

A run trained with ``train.guided_alignment_null`` learnt to send words
without a counterpart to the source's end-of-sentence; where the guided
attention does so, ``argmax`` leaves the word unaligned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attnseq.alignment.extract import (
    SOFT,
    SOFT_THRESHOLD,
    extract,
    merge_pieces,
    soft_symmetrize,
    symmetrize,
)
from attnseq.alignment.files import Links, reverse_links, word_spans
from attnseq.api.translator import EOS_PIECE, Translator
from attnseq.errors import AttnseqError
from attnseq.search.forced import forced_attention

POSITIONS = ("predict", "read", "head")


@dataclass
class PairAttention:
    """One sentence pair's attention, in pieces and merged to words."""

    src_words: list[str]
    tgt_words: list[str]
    src_pieces: list[str]  # source pieces, end-of-sentence last: the piece matrix's columns
    tgt_pieces: list[str]  # target pieces (end-of-sentence last for ``predict``): its rows
    pieces: np.ndarray  # [len(tgt_pieces), len(src_pieces)]
    words: np.ndarray  # [len(tgt_words), len(src_words)]: pieces merged, end-of-sentence left out
    null: np.ndarray  # [len(tgt_words)]: the weight each target word gave end-of-sentence


class Aligner:
    """A run folder used to align given sentence pairs (one translation direction)."""

    def __init__(
        self, translator: Translator, lowercase: bool = False, position: str | None = None
    ):
        has_head = getattr(translator.model, "alignment_head", None) is not None
        position = position or ("head" if has_head else "predict")
        if position not in POSITIONS:
            raise AttnseqError(
                f"unknown attention position {position!r}; choose {', '.join(POSITIONS)}"
            )
        if position == "head" and not has_head:
            raise AttnseqError(
                "position head: this run has no alignment head (model.alignment_head); "
                "align it at predict or read"
            )
        self.translator = translator
        self.lowercase = lowercase
        self.position = position
        # only the attention the guide trained learnt what end-of-sentence means
        guided = "head" if has_head else "predict"
        self.null = translator.cfg.train.guided_alignment_null and position == guided

    @classmethod
    def load(
        cls,
        run_dir: str | Path,
        lowercase: bool = False,
        position: str | None = None,
        device: str = "cpu",
    ) -> Aligner:
        return cls(Translator.load(run_dir, device=device), lowercase, position)

    def _pieces(self, tokenizer, words: list[str]) -> list[list[str]]:
        """Each word's pieces, so every piece knows its word; unknown pieces stay <unk>."""
        return [tokenizer.tokenize(w.lower() if self.lowercase else w) for w in words]

    def attention(
        self,
        src_lines: Sequence[str],
        tgt_lines: Sequence[str],
        batch_tokens: int = 4000,
        progress=None,
    ) -> list[PairAttention]:
        t = self.translator
        words = [(s.split(), g.split()) for s, g in zip(src_lines, tgt_lines, strict=True)]
        pieces = [(self._pieces(t.src_tok, s), self._pieces(t.tgt_tok, g)) for s, g in words]
        examples = [
            (
                t.src_tok.vocab.encode(p for w in sp for p in w),
                t.tgt_tok.vocab.encode(p for w in tp for p in w),
            )
            for sp, tp in pieces
        ]
        matrices = forced_attention(
            t.model, examples, batch_tokens, t.device, progress, head=self.position == "head"
        )
        return [
            self._pair(sw, tw, sp, tp, m)
            for (sw, tw), (sp, tp), m in zip(words, pieces, matrices, strict=True)
        ]

    def _pair(self, src_words, tgt_words, src_pieces, tgt_pieces, matrix) -> PairAttention:
        weights = matrix.numpy()
        src_map = [*word_spans(src_pieces), len(src_words)]  # end-of-sentence: one more column
        tgt_map = word_spans(tgt_pieces)
        tgt_labels = [p for w in tgt_pieces for p in w]
        if self.position == "read":
            weights = weights[1:]  # the step after a piece is the one that reads it
        else:
            tgt_map = [*tgt_map, -1]
            tgt_labels = [*tgt_labels, EOS_PIECE]
        merged = merge_pieces(weights, src_map, tgt_map)
        return PairAttention(
            src_words=src_words,
            tgt_words=tgt_words,
            src_pieces=[*(p for w in src_pieces for p in w), EOS_PIECE],
            tgt_pieces=tgt_labels,
            pieces=weights,
            words=merged[:, : len(src_words)],
            null=merged[:, len(src_words)],
        )

    def align(
        self,
        src_lines: Sequence[str],
        tgt_lines: Sequence[str],
        method: str = "argmax",
        threshold: float = 0.3,
        progress=None,
    ) -> list[Links]:
        """Links (source word, target word) of every pair, one line each."""
        return [
            self.links(pair, method, threshold)
            for pair in self.attention(src_lines, tgt_lines, progress=progress)
        ]

    def links(self, pair: PairAttention, method: str = "argmax", threshold: float = 0.3) -> Links:
        """One pair's links, read as this run's training taught its attention."""
        return extract(pair.words, method, threshold, pair.null if self.null else None)


def combine(
    forward: Aligner,
    pairs: Sequence[PairAttention],
    backward: Aligner,
    back: Sequence[PairAttention],
    method: str = "argmax",
    threshold: float = 0.3,
    symmetrization: str = "grow-diag",
    soft_threshold: float = SOFT_THRESHOLD,
) -> list[Links]:
    """Both directions' attention of the same pairs (``back`` read target to source)
    as one set of links per pair."""
    if symmetrization == SOFT:
        return [
            soft_symmetrize(f.words, b.words, soft_threshold)
            for f, b in zip(pairs, back, strict=True)
        ]
    return [
        symmetrize(
            forward.links(f, method, threshold),
            reverse_links(backward.links(b, method, threshold)),
            symmetrization,
        )
        for f, b in zip(pairs, back, strict=True)
    ]


def align_corpus(
    forward: Aligner,
    src_lines: Sequence[str],
    tgt_lines: Sequence[str],
    backward: Aligner | None = None,
    method: str = "argmax",
    threshold: float = 0.3,
    symmetrization: str = "grow-diag",
    progress=None,
    soft_threshold: float = SOFT_THRESHOLD,
) -> list[Links]:
    """Align with one model, or with two (``backward`` translates target to source) combined."""
    if backward is None:
        return forward.align(src_lines, tgt_lines, method, threshold, progress)
    pairs = forward.attention(src_lines, tgt_lines, progress=progress)
    back = backward.attention(tgt_lines, src_lines, progress=progress)
    return combine(
        forward, pairs, backward, back, method, threshold, symmetrization, soft_threshold
    )
