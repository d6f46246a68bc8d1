"""Several trained models decoding as one: the search code cannot tell the difference.

Each model encodes the source itself; at every step the ensemble averages the
models' next-word *probabilities* (a log-mean-exp of their log-probabilities,
as fairseq and Marian do) and their attention. The models must share the
source and target vocabularies, which the caller checks.

A member may read its own *view* of the source: the same captioner given the
image moved by a pixel is test-time augmentation, decoded as an ensemble.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from attnseq.models.encoders import EncoderOutput


@dataclass
class EnsembleEncoding:
    """One ``EncoderOutput`` per model, reordered together during beam search."""

    parts: list[EncoderOutput]

    @property
    def states(self) -> Tensor:  # search only reads its batch and source sizes
        return self.parts[0].states

    def index_select(self, index: Tensor) -> EnsembleEncoding:
        return EnsembleEncoding([part.index_select(index) for part in self.parts])


View = Callable[[Tensor], Tensor]  # what one member reads instead of the source


class Ensemble(nn.Module):
    def __init__(self, models: list[nn.Module], views: Sequence[View | None] | None = None):
        super().__init__()
        if not models:
            raise ValueError("an ensemble needs at least one model")
        if views is not None and len(views) != len(models):
            raise ValueError(f"{len(views)} views for {len(models)} models")
        self.models = nn.ModuleList(models)
        self.views = list(views) if views is not None else [None] * len(models)

    def _inputs(self, src: Tensor) -> list[Tensor]:
        return [src if view is None else view(src) for view in self.views]

    def encode(self, src: Tensor, lengths: Tensor) -> EnsembleEncoding:
        return EnsembleEncoding(
            [
                model.encode(x, lengths)
                for model, x in zip(self.models, self._inputs(src), strict=True)
            ]
        )

    def init_state(self, enc: EnsembleEncoding) -> dict[str, Tensor]:
        """One flat dict (beam search reorders its values) with each model's state prefixed."""
        state = {}
        for i, (model, part) in enumerate(zip(self.models, enc.parts, strict=True)):
            state.update({f"{i}.{name}": value for name, value in model.init_state(part).items()})
        return state

    def forward(
        self, src: Tensor, lengths: Tensor, tgt_in: Tensor, teacher_forcing: float = 1.0
    ) -> tuple[Tensor, Tensor]:
        """Averaged log-probabilities [B, T, V] and attention [B, T, S] of a forced decoding."""
        outputs = [
            model(x, lengths, tgt_in)
            for model, x in zip(self.models, self._inputs(src), strict=True)
        ]
        return _mean_probs([logits for logits, _ in outputs]), torch.stack(
            [attn for _, attn in outputs]
        ).mean(0)

    def step(
        self, prev: Tensor, state: dict[str, Tensor], enc: EnsembleEncoding
    ) -> tuple[Tensor, dict[str, Tensor], Tensor]:
        """Averaged log-probabilities [B, V] (valid logits), the new state, mean attention."""
        step_logits, attns, new_state = self.member_steps(prev, state, enc)
        return _mean_probs(step_logits), new_state, torch.stack(attns).mean(0)

    def member_steps(
        self,
        prev: Tensor,
        state: dict[str, Tensor],
        enc: EnsembleEncoding,
        count: int | None = None,
    ) -> tuple[list[Tensor], list[Tensor], dict[str, Tensor]]:
        """Every model's own step: logits and attention per model, the merged new state.

        With ``count`` only the first ``count`` models step; the others' state is
        carried over unchanged (a member whose output is no longer needed costs nothing).
        """
        step_logits, attns = [], []
        new_state = {
            name: value for name, value in state.items() if name.split(".", 1)[0].isdigit()
        }
        members = list(zip(self.models, enc.parts, strict=True))[:count]
        for i, (model, part) in enumerate(members):
            own = {
                name.split(".", 1)[1]: value
                for name, value in state.items()
                if name.startswith(f"{i}.")
            }
            logits, own, attn = model.step(prev, own, part)
            step_logits.append(logits)
            attns.append(attn)
            new_state.update({f"{i}.{name}": value for name, value in own.items()})
        return step_logits, attns, new_state


def _mean_probs(logits: list[Tensor]) -> Tensor:
    """log(mean(softmax(l))) over the models: an ensemble averages probabilities."""
    logps = torch.stack([torch.log_softmax(x.float(), -1) for x in logits])
    return torch.logsumexp(logps, 0) - math.log(len(logits))
