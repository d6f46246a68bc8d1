"""Corpus metrics through sacrebleu, with the signature that makes them comparable."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sacrebleu.metrics import BLEU, CHRF


@dataclass
class Score:
    name: str
    score: float
    signature: str

    def __str__(self) -> str:
        return f"{self.name} = {self.score:.2f}  ({self.signature})"


def bleu(
    hyps: Sequence[str], refs: Sequence[str], tokenize: str = "13a", lowercase: bool = False
) -> Score:
    """Corpus BLEU. ``tokenize="none", lowercase=True`` gives the WMT multimodal
    convention on pre-tokenized lowercased text."""
    # force: with tokenize="none" the text is tokenized on purpose, so sacrebleu's
    # "you forgot to detokenize" warning would only mislead.
    metric = BLEU(tokenize=tokenize, lowercase=lowercase, force=tokenize == "none")
    result = metric.corpus_score(list(hyps), [list(refs)])
    return Score("BLEU", result.score, str(metric.get_signature()))


def moses_tokenized(texts: Sequence[str], lang: str) -> list[str]:
    """Lowercased, punctuation-normalised, Moses-tokenized text with Moses escapes.

    This is the pipeline behind Multi30k's official ``lc.norm.tok`` files (it
    reproduces them line for line for en and de, 99.9% for fr), so BLEU of
    detokenized output can be reported in the WMT multimodal convention.
    """
    from sacremoses import MosesPunctNormalizer, MosesTokenizer

    normalizer, tokenizer = MosesPunctNormalizer(lang), MosesTokenizer(lang)
    return [
        tokenizer.tokenize(normalizer.normalize(text).lower(), escape=True, return_str=True)
        for text in texts
    ]


def moses_detokenized(texts: Sequence[str], lang: str) -> list[str]:
    """Moses-tokenized text (with escapes) back to plain text, so a model trained on
    the tokenized files can be scored by sacrebleu's default against raw references."""
    from sacremoses import MosesDetokenizer

    detokenizer = MosesDetokenizer(lang)
    return [detokenizer.detokenize(text.split(), unescape=True) for text in texts]


def chrf(hyps: Sequence[str], refs: Sequence[str]) -> Score:
    metric = CHRF()
    result = metric.corpus_score(list(hyps), [list(refs)])
    return Score("chrF", result.score, str(metric.get_signature()))


def perplexity(total_nll: float, num_tokens: int) -> float:
    return math.exp(min(total_nll / max(num_tokens, 1), 50.0))
