"""Metrics for generated conversation responses.

BLEU against one reference response says little on its own: a dull model
that answers "I don't know." to everything can score as well as a lively
one. These measure what the dull answer problem looks like (Li et al. 2016):

* distinct-n: unique n-grams divided by all n-grams of all responses;
* average response length in words;
* generic share: the ten most frequent responses' share of all responses;
* repeat share: responses that contain some 3-gram twice.

Words are sacrebleu's 13a tokens, lowercased, so punctuation counts as a
word, as in BLEU.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@functools.lru_cache(maxsize=1)
def _tokenizer():
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a()


def words(text: str) -> list[str]:
    return _tokenizer()(text.lower()).split()


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct(responses: Sequence[str], n: int) -> float:
    """Unique n-grams over all n-grams, across all responses (0 when there are none)."""
    grams = [g for r in responses for g in ngrams(words(r), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def generic_share(responses: Sequence[str], top: int = 10) -> float:
    """Share of all responses taken by the ``top`` most frequent ones (case and
    spacing ignored)."""
    if not responses:
        return 0.0
    counts = Counter(" ".join(words(r)) for r in responses)
    return sum(c for _, c in counts.most_common(top)) / len(responses)


def repeats_ngram(text: str, n: int = 3) -> bool:
    grams = ngrams(words(text), n)
    return len(set(grams)) < len(grams)


@dataclass
class DialogueScores:
    responses: int
    distinct_1: float
    distinct_2: float
    avg_length: float
    generic_share: float
    repeat_3gram_share: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def lines(self) -> list[str]:
        return [
            f"distinct-1 = {self.distinct_1:.4f}  distinct-2 = {self.distinct_2:.4f}",
            f"average length = {self.avg_length:.2f} words",
            f"generic share = {self.generic_share:.4f}  (top-10 responses' share of "
            f"{self.responses:,})",
            f"repeated 3-gram share = {self.repeat_3gram_share:.4f}  "
            "(responses repeating a 3-gram within themselves)",
        ]


def dialogue_scores(responses: Sequence[str]) -> DialogueScores:
    count = len(responses)
    return DialogueScores(
        responses=count,
        distinct_1=distinct(responses, 1),
        distinct_2=distinct(responses, 2),
        avg_length=sum(len(words(r)) for r in responses) / count if count else 0.0,
        generic_share=generic_share(responses),
        repeat_3gram_share=sum(repeats_ngram(r) for r in responses) / count if count else 0.0,
    )
