"""Alignment error rate, precision and recall against sure and possible gold links.

Och and Ney (2003): with hypothesis links A, sure links S and possible links
P (S is part of P),

    precision = |A & P| / |A|,   recall = |A & S| / |S|,
    AER = 1 - (|A & S| + |A & P|) / (|A| + |S|).

A hypothesis link that annotators marked possible is never wrong, and a
sure link that is missing always costs recall. Counts are summed over the
corpus before dividing, as the WPT 2003 evaluation does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from attnseq.alignment.files import GoldLinks, Links
from attnseq.errors import DataError


@dataclass
class AlignmentScores:
    aer: float
    precision: float
    recall: float
    hyp_links: int
    sure_links: int
    possible_links: int
    sentences: int

    def __str__(self) -> str:
        return (
            f"AER = {100 * self.aer:.2f}  precision = {100 * self.precision:.2f}  "
            f"recall = {100 * self.recall:.2f}  ({self.hyp_links:,} links, "
            f"{self.sure_links:,} sure / {self.possible_links:,} possible gold, "
            f"{self.sentences:,} sentences)"
        )


def alignment_scores(hyps: Sequence[Links], golds: Sequence[GoldLinks]) -> AlignmentScores:
    if len(hyps) != len(golds):
        raise DataError(
            f"{len(hyps)} hypothesis alignments but {len(golds)} gold alignments; "
            "the files must have one line per sentence pair"
        )
    a = s = p = a_s = a_p = 0
    for hyp, gold in zip(hyps, golds, strict=True):
        possible = gold.possible | gold.sure
        a += len(hyp)
        s += len(gold.sure)
        p += len(possible)
        a_s += len(hyp & gold.sure)
        a_p += len(hyp & possible)
    return AlignmentScores(
        aer=1.0 - (a_s + a_p) / (a + s) if a + s else 0.0,
        precision=a_p / a if a else 0.0,
        recall=a_s / s if s else 0.0,
        hyp_links=a,
        sure_links=s,
        possible_links=p,
        sentences=len(golds),
    )
