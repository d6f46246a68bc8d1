"""Greedy decoding: the most likely word at every step, for a whole batch.

The step loop is shared with sampling (:mod:`attnseq.search.sampling`),
which differs only in how a word is picked from the distribution.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from attnseq.data.tokenizers import BOS, EOS, PAD
from attnseq.search.constraints import constrain
from attnseq.search.hypothesis import Hypothesis, max_lengths, trim

# log-probabilities [rows, vocab] (constraints applied) -> chosen words [rows]
Pick = Callable[[Tensor], Tensor]


def _argmax(logp: Tensor) -> Tensor:
    return logp.argmax(-1)


@torch.no_grad()
def greedy_search(
    model,
    src: Tensor,
    src_lengths: Tensor,
    max_len_ratio: float = 2.0,
    min_len: int = 0,
    no_repeat_ngram: int = 0,
    max_len: int | None = None,
) -> list[Hypothesis]:
    return decode_paths(
        model, src, src_lengths, _argmax, max_len_ratio, min_len, no_repeat_ngram, max_len
    )


@torch.no_grad()
def decode_paths(
    model,
    src: Tensor,
    src_lengths: Tensor,
    pick: Pick,
    max_len_ratio: float = 2.0,
    min_len: int = 0,
    no_repeat_ngram: int = 0,
    max_len: int | None = None,
) -> list[Hypothesis]:
    """One output per source row, choosing each word with ``pick``.

    A hypothesis's score is the model's log-probability of the words chosen,
    whatever the pick rule, so scores of greedy and sampled outputs compare.
    """
    enc = model.encode(src, src_lengths)
    state = model.init_state(enc)
    limits = max_lengths(src_lengths, max_len_ratio, cap=max_len).to(src.device)
    batch = src.size(0)
    prev = torch.full((batch,), BOS, dtype=torch.long, device=src.device)
    finished = torch.zeros(batch, dtype=torch.bool, device=src.device)
    seqs = torch.empty((batch, 0), dtype=torch.long, device=src.device)
    scores, attns = [], []
    for t in range(int(limits.max())):
        logits, state, attn = model.step(prev, state, enc)
        logp = constrain(torch.log_softmax(logits.float(), -1), seqs, t, min_len, no_repeat_ngram)
        prev = pick(logp)
        best = logp.gather(1, prev.unsqueeze(1)).squeeze(1)
        prev = prev.masked_fill(finished, PAD)
        seqs = torch.cat([seqs, prev.unsqueeze(1)], 1)
        scores.append(best.masked_fill(finished, 0.0))
        attns.append(attn)
        finished |= (prev == EOS) | (t + 1 >= limits)
        if finished.all():
            break
    token_rows = seqs.tolist()
    score_rows = torch.stack(scores, 1)
    attn_rows = torch.stack(attns, 1)
    out = []
    for i, row in enumerate(token_rows):
        steps = row.index(EOS) + 1 if EOS in row else min(len(row), int(limits[i]))
        ids = [tok for tok in row[:steps] if tok != EOS]
        score = float(score_rows[i, :steps].sum())
        out.append(Hypothesis(ids, score, trim(attn_rows[i, :steps], int(src_lengths[i])), score))
    return out
