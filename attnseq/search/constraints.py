"""Rules applied to next-word scores before any search picks a word.

Conversation models trained by maximum likelihood love safe, short and
looping answers ("I don't know. I don't know."). Two classic remedies act on
the next-word log-probabilities, identically in greedy, beam and sampling:

* n-gram repetition blocking (Paulus et al. 2018): a word that would repeat
  an n-gram already in the hypothesis gets probability zero;
* a minimum length: end-of-sentence is forbidden for the first steps.

Everything is batched over hypotheses: no Python loop over rows.
"""

from __future__ import annotations

import torch
from torch import Tensor

from attnseq.data.tokenizers import EOS


def banned_tokens(seqs: Tensor, n: int, vocab: int) -> Tensor:
    """``[rows, vocab]``, true where a word would repeat an ``n``-gram of its row.

    ``seqs`` ``[rows, length]`` holds the words emitted so far. The next word
    completes the n-gram that starts with the row's last ``n - 1`` words; every
    earlier occurrence of those ``n - 1`` words bans the word that followed it.
    """
    rows, length = seqs.shape
    counts = torch.zeros(rows, vocab, device=seqs.device)
    if n < 1 or length < max(n - 1, 1):
        return counts.bool()
    if n == 1:
        return counts.scatter_(1, seqs, 1.0).bool()
    if length < n:
        return counts.bool()
    prefix = seqs[:, length - n + 1 :]  # [rows, n-1]: what the next word extends
    windows = seqs[:, : length - 1].unfold(1, n - 1, 1)  # [rows, length-n+1, n-1]
    match = (windows == prefix.unsqueeze(1)).all(-1)  # [rows, length-n+1]
    followers = seqs[:, n - 1 :]  # the word after each window
    return counts.scatter_add_(1, followers, match.float()) > 0


def constrain(logp: Tensor, seqs: Tensor, step: int, min_len: int, no_repeat_ngram: int) -> Tensor:
    """Apply the minimum length and n-gram blocking to ``logp`` [rows, vocab] in place.

    A row left with no allowed word may still end: EOS is reopened for it,
    so no search is ever stuck with only impossible continuations.
    """
    if step < min_len:
        logp[:, EOS] = float("-inf")
    if no_repeat_ngram > 0 and seqs.size(1) > 0:
        logp.masked_fill_(banned_tokens(seqs, no_repeat_ngram, logp.size(-1)), float("-inf"))
    dead = ~logp.isfinite().any(-1)
    if dead.any():
        logp[dead, EOS] = 0.0
    return logp
