"""Greedy decoding: the most likely word at every step, for a whole batch."""

from __future__ import annotations

import torch
from torch import Tensor

from attnseq.data.tokenizers import BOS, EOS, PAD
from attnseq.search.hypothesis import Hypothesis, max_lengths, trim


@torch.no_grad()
def greedy_search(
    model, src: Tensor, src_lengths: Tensor, max_len_ratio: float = 2.0
) -> list[Hypothesis]:
    enc = model.encode(src, src_lengths)
    state = model.init_state(enc)
    limits = max_lengths(src_lengths, max_len_ratio).to(src.device)
    batch = src.size(0)
    prev = torch.full((batch,), BOS, dtype=torch.long, device=src.device)
    finished = torch.zeros(batch, dtype=torch.bool, device=src.device)
    tokens, scores, attns = [], [], []
    for t in range(int(limits.max())):
        logits, state, attn = model.step(prev, state, enc)
        logp = torch.log_softmax(logits.float(), -1)
        best, prev = logp.max(-1)
        prev = prev.masked_fill(finished, PAD)
        tokens.append(prev)
        scores.append(best.masked_fill(finished, 0.0))
        attns.append(attn)
        finished |= (prev == EOS) | (t + 1 >= limits)
        if finished.all():
            break
    token_rows = torch.stack(tokens, 1).tolist()
    score_rows = torch.stack(scores, 1)
    attn_rows = torch.stack(attns, 1)
    out = []
    for i, row in enumerate(token_rows):
        steps = row.index(EOS) + 1 if EOS in row else min(len(row), int(limits[i]))
        ids = [tok for tok in row[:steps] if tok != EOS]
        score = float(score_rows[i, :steps].sum())
        out.append(Hypothesis(ids, score, trim(attn_rows[i, :steps], int(src_lengths[i])), score))
    return out
