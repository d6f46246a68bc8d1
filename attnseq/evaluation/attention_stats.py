"""Attention statistics: how focused the model was and what it may have skipped.

Per sentence, at the level of words (pieces merged):

* entropy of each output word's attention, in bits: near 0 when the model
  looked at one source word, high when it spread its attention out;
* coverage of each source word: the attention it received over the whole
  output. A translation uses each source word about once, so coverage near
  zero flags a word the model may have left untranslated (omission) and
  coverage well above one a word it may have translated twice (repetition),
  the two errors coverage models (Tu et al. 2016) were made against.

The flags are hints, not verdicts: function words often get little
attention, and a source word can rightly produce two output words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from attnseq.alignment.extract import word_view

EOS = "</s>"
OMISSION_BELOW = 0.25
REPETITION_ABOVE = 2.0


@dataclass
class AttentionStats:
    src_words: list[str]
    out_words: list[str]
    entropy: float  # mean over output words, bits
    coverage: list[float]  # per source word (end-of-sentence left out)
    omissions: list[int] = field(default_factory=list)  # source word indices
    repetitions: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "entropy_bits": round(self.entropy, 4),
            "coverage": {
                w: round(c, 3) for w, c in zip(self.src_words, self.coverage, strict=True)
            },
            "possible_omissions": [self.src_words[i] for i in self.omissions],
            "possible_repetitions": [self.src_words[i] for i in self.repetitions],
        }


def sentence_stats(
    src_tokens: Sequence[str],
    out_tokens: Sequence[str],
    attention,
    omission_below: float = OMISSION_BELOW,
    repetition_above: float = REPETITION_ABOVE,
) -> AttentionStats:
    """Statistics of one translation's attention [len(out_tokens), len(src_tokens)]."""
    src_words, out_words, weights = word_view(src_tokens, out_tokens, np.asarray(attention))
    keep_src = [i for i, w in enumerate(src_words) if w != EOS]
    keep_out = [j for j, w in enumerate(out_words) if w != EOS]
    rows = weights[keep_out]
    probs = np.clip(rows, 1e-12, 1.0)
    entropy = float(-(rows * np.log2(probs)).sum(axis=1).mean()) if len(keep_out) else 0.0
    coverage = weights[:, keep_src].sum(axis=0)
    return AttentionStats(
        src_words=[src_words[i] for i in keep_src],
        out_words=[out_words[j] for j in keep_out],
        entropy=entropy,
        coverage=[float(c) for c in coverage],
        omissions=[k for k, c in enumerate(coverage) if c < omission_below],
        repetitions=[k for k, c in enumerate(coverage) if c > repetition_above],
    )


@dataclass
class CorpusStats:
    sentences: int
    mean_entropy: float
    source_words: int
    omission_flags: int
    repetition_flags: int
    sentences_flagged: int

    def __str__(self) -> str:
        return (
            f"{self.sentences:,} sentences: attention entropy {self.mean_entropy:.2f} bits/word; "
            f"{self.omission_flags:,} of {self.source_words:,} source words barely attended "
            f"(possible omission), {self.repetition_flags:,} attended > {REPETITION_ABOVE:g} times "
            f"(possible repetition); {self.sentences_flagged:,} sentences flagged"
        )


def corpus_stats(stats: Sequence[AttentionStats]) -> CorpusStats:
    return CorpusStats(
        sentences=len(stats),
        mean_entropy=float(np.mean([s.entropy for s in stats])) if stats else 0.0,
        source_words=sum(len(s.coverage) for s in stats),
        omission_flags=sum(len(s.omissions) for s in stats),
        repetition_flags=sum(len(s.repetitions) for s in stats),
        sentences_flagged=sum(bool(s.omissions or s.repetitions) for s in stats),
    )


def explain(stats: AttentionStats) -> list[str]:
    """Lines to print beside a translation."""
    coverage = " ".join(
        f"{w}:{c:.2f}" for w, c in zip(stats.src_words, stats.coverage, strict=True)
    )
    lines = [f"  entropy {stats.entropy:.2f} bits/word; coverage {coverage}"]
    if stats.omissions:
        words = ", ".join(stats.src_words[i] for i in stats.omissions)
        lines.append(f"  possible omission (source words barely attended): {words}")
    if stats.repetitions:
        words = ", ".join(stats.src_words[i] for i in stats.repetitions)
        lines.append(f"  possible repetition (source words attended more than twice): {words}")
    return lines
