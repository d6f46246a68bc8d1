"""Batched beam search with length normalisation, n-best lists, n-gram
repetition blocking and a minimum length (see :mod:`attnseq.search.constraints`).

All sentences of a batch search together as one ``[sentences * beam]`` batch
through the model. A sentence leaves the batch as soon as it has ``beam``
finished hypotheses (or reaches its length cap), so the remaining work shrinks
instead of carrying dead rows to the end. With ``beam=1`` the search takes the
single best word at every step and returns exactly the greedy output.
"""

from __future__ import annotations

import torch
from torch import Tensor

from attnseq.data.tokenizers import BOS, EOS
from attnseq.search.constraints import constrain
from attnseq.search.hypothesis import Hypothesis, max_lengths, trim


def _normalize(score: float, length: int, alpha: float) -> float:
    return score / (length**alpha) if alpha else score


@torch.no_grad()
def beam_search(
    model,
    src: Tensor,
    src_lengths: Tensor,
    beam: int = 5,
    nbest: int = 1,
    max_len_ratio: float = 2.0,
    length_penalty: float = 1.0,
    min_len: int = 0,
    no_repeat_ngram: int = 0,
    max_len: int | None = None,
) -> list[list[Hypothesis]]:
    """Return the ``nbest`` best hypotheses for every sentence, best first.

    ``length_penalty`` is the exponent alpha in ``score / length**alpha``;
    0 ranks by raw log-probability, which favours short outputs. With
    ``no_repeat_ngram`` n > 0 no hypothesis contains the same n words twice;
    ``min_len`` forbids ending before that many words; ``max_len`` caps every
    output at that many steps instead of ``max_len_ratio`` times the source.
    """
    if nbest > beam:
        raise ValueError(f"nbest ({nbest}) cannot exceed the beam size ({beam})")
    device = src.device
    n, k = src.size(0), beam
    enc = model.encode(src, src_lengths)
    enc = enc.index_select(torch.arange(n, device=device).repeat_interleave(k))
    state = model.init_state(enc)
    limits = max_lengths(src_lengths, max_len_ratio, cap=max_len).tolist()
    src_lens = src_lengths.tolist()

    active = list(range(n))  # original sentence of each group still searching
    scores = torch.full((n, k), float("-inf"), device=device)
    scores[:, 0] = 0.0
    scores = scores.view(-1)
    prev = torch.full((n * k,), BOS, dtype=torch.long, device=device)
    seqs = torch.empty((n * k, 0), dtype=torch.long, device=device)
    seq_attn = enc.states.new_empty((n * k, 0, enc.states.size(1)))
    finished: list[list[Hypothesis]] = [[] for _ in range(n)]

    for t in range(max(limits)):
        logits, state, attn = model.step(prev, state, enc)
        logp = constrain(torch.log_softmax(logits.float(), -1), seqs, t, min_len, no_repeat_ngram)
        groups, vocab = len(active), logp.size(-1)
        cand = (scores.unsqueeze(1) + logp).view(groups, k * vocab)
        top_scores, top_idx = cand.topk(min(2 * k, k * vocab), dim=1)
        token = top_idx % vocab
        origin = top_idx // vocab + torch.arange(groups, device=device).unsqueeze(1) * k
        last = torch.tensor([t + 1 >= limits[b] for b in active], device=device).unsqueeze(1)
        ends = (token == EOS) | last

        # Hypotheses ending among the k best candidates are finished.
        for g, j in (ends[:, :k] & top_scores[:, :k].isfinite()).nonzero().tolist():
            b, row, tok = active[g], int(origin[g, j]), int(token[g, j])
            ids = seqs[row].tolist() + ([] if tok == EOS else [tok])
            steps = torch.cat([seq_attn[row], attn[row].unsqueeze(0)])
            score = float(top_scores[g, j])
            finished[b].append(
                Hypothesis(
                    ids, score, trim(steps, src_lens[b]), _normalize(score, t + 1, length_penalty)
                )
            )

        # The k best candidates that do not end stay in the beam.
        alive, pick = top_scores.masked_fill(ends, float("-inf")).topk(k, dim=1)
        rows = origin.gather(1, pick).view(-1)
        prev = token.gather(1, pick).view(-1)
        scores = alive.view(-1)
        seqs = torch.cat([seqs[rows], prev.unsqueeze(1)], 1)
        seq_attn = torch.cat([seq_attn[rows], attn[rows].unsqueeze(1)], 1)
        # Rows only move within their sentence's group, so ``enc`` needs no reordering.
        state = {name: value.index_select(0, rows) for name, value in state.items()}

        keep = [g for g, b in enumerate(active) if len(finished[b]) < k and t + 1 < limits[b]]
        if not keep:
            break
        if len(keep) < groups:
            index = torch.tensor([g * k + j for g in keep for j in range(k)], device=device)
            active = [active[g] for g in keep]
            scores, prev, seqs, seq_attn = (
                x.index_select(0, index) for x in (scores, prev, seqs, seq_attn)
            )
            state = {name: value.index_select(0, index) for name, value in state.items()}
            enc = enc.index_select(index)

    return [sorted(hyps, key=lambda h: -h.normalized)[:nbest] for hyps in finished]
