"""MMI-antiLM decoding (Li et al. 2016, "A Diversity-Promoting Objective
Function for Neural Conversation Models").

Maximum-likelihood chat models answer almost anything with the same few safe
replies ("I'm sorry.", "Thank you."), because those are likely whatever was
said. Li et al. rank answers by ``log p(T|S) - weight * log p(T)`` instead,
penalising what is likely *without* the context. Their ``p(T)`` is a language
model; here it is the same model reading an empty context (only the
end-of-sentence token), which needs no second training run. As in the paper
the penalty covers only the first ``steps`` words: those decide whether an
answer is generic, and penalising later words makes output ungrammatical.
The searches renormalise every step's scores, so a penalised word is chosen
from ``p(w|S) / p(w|empty)**weight``, normalised over the vocabulary.

The wrapper has the model interface the searches use (encode, init_state,
step), so greedy, beam search and sampling all work with it; ``forward``
(forced decoding, perplexity) is the plain model's.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnseq.data.tokenizers import EOS
from attnseq.models.ensemble import Ensemble, EnsembleEncoding

STEP = "anti_lm.step"


class AntiLM(Ensemble):
    def __init__(self, model: nn.Module, weight: float, steps: int):
        if weight < 0 or steps < 1:
            raise ValueError(f"anti-LM weight must be >= 0 and steps >= 1, got {weight}, {steps}")
        super().__init__([model, model])
        self.weight, self.steps = weight, steps

    def forward(self, src: Tensor, lengths: Tensor, tgt_in: Tensor, teacher_forcing: float = 1.0):
        return self.models[0](src, lengths, tgt_in)

    def encode(self, src: Tensor, lengths: Tensor) -> EnsembleEncoding:
        empty = torch.full((src.size(0), 1), EOS, dtype=src.dtype, device=src.device)
        model = self.models[0]
        return EnsembleEncoding(
            [model.encode(src, lengths), model.encode(empty, torch.ones_like(lengths))]
        )

    def init_state(self, enc: EnsembleEncoding) -> dict[str, Tensor]:
        state = super().init_state(enc)
        state[STEP] = torch.zeros(enc.states.size(0), dtype=torch.long, device=enc.states.device)
        return state

    def step(
        self, prev: Tensor, state: dict[str, Tensor], enc: EnsembleEncoding
    ) -> tuple[Tensor, dict[str, Tensor], Tensor]:
        """``log p(w|S) - weight * log p(w|empty)`` for the first ``steps`` words; the
        context's attention only (the empty context has nothing to show)."""
        step = state[STEP]
        if step.numel() and int(step.min()) >= self.steps:  # every row is past the penalty
            (logits,), (attn,), new_state = self.member_steps(prev, state, enc, count=1)
            new_state[STEP] = step + 1
            return torch.log_softmax(logits.float(), -1), new_state, attn
        (logits, lm_logits), (attn, _), new_state = self.member_steps(prev, state, enc)
        logp = torch.log_softmax(logits.float(), -1)
        lm_logp = torch.log_softmax(lm_logits.float(), -1).masked_fill(~logp.isfinite(), 0.0)
        penalised = (step < self.steps).to(logp.dtype).unsqueeze(1) * self.weight
        new_state[STEP] = step + 1
        return logp - penalised * lm_logp, new_state, attn
