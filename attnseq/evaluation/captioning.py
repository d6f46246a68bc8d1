"""Caption metrics with several references per image, and digit-strip metrics.

BLEU-1 to 4, METEOR, ROUGE-L and CIDEr come from pycocoevalcap, the scorers
of the COCO caption evaluation (``pip install attnseq[vision]``). METEOR runs
a Java program; without a Java runtime it is reported as unavailable, with
the reason, instead of failing the evaluation. Captions are lowercased and
split as the COCO evaluation's PTB tokenizer does (punctuation removed,
clitics split) without needing Java for that step.

For ``mnist-sequences`` the answer is known exactly: sequence accuracy,
digit accuracy (one minus the edit distance over the reference length) and
attention localisation, the share of output words whose attention mass
falls mostly inside the box of the digit they name.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from attnseq.errors import AttnseqError

_CLITICS = re.compile(r"(n't|'s|'re|'ve|'ll|'m|'d)\b")
_PUNCTUATION = re.compile(r"[^\w\s']|'(?!\w)")


def scoring_tokens(text: str) -> str:
    """Lowercased words without punctuation, clitics split: "A man's dog." -> "a man 's dog"."""
    text = _CLITICS.sub(r" \1", text.lower())
    return " ".join(_PUNCTUATION.sub(" ", text).split())


@dataclass
class CaptionScores:
    scores: dict[str, float] = field(default_factory=dict)  # x100, as papers print them
    unavailable: dict[str, str] = field(default_factory=dict)  # metric -> why not

    def lines(self) -> list[str]:
        out = [f"{name:8s} {value:6.2f}" for name, value in self.scores.items()]
        out += [f"{name:8s}    n/a  ({why})" for name, why in self.unavailable.items()]
        return out


def _scorers():
    try:
        from pycocoevalcap.bleu.bleu import Bleu
        from pycocoevalcap.cider.cider import Cider
        from pycocoevalcap.rouge.rouge import Rouge
    except ImportError:
        raise AttnseqError(
            "caption metrics need pycocoevalcap: pip install 'attnseq[vision]'"
        ) from None
    return Bleu, Rouge, Cider


def _meteor(gts: dict, res: dict) -> float:
    from pycocoevalcap.meteor.meteor import Meteor

    scorer = Meteor()
    try:
        score, _ = scorer.compute_score(gts, res)
    finally:
        del scorer  # stops the Java process
    return float(score)


def caption_scores(
    hyps: Sequence[str], refs: Sequence[Sequence[str]], meteor: bool = True
) -> CaptionScores:
    """Corpus scores of one caption per image against that image's references."""
    if len(hyps) != len(refs) or not hyps:
        raise ValueError(f"need one hypothesis per image, got {len(hyps)} for {len(refs)} images")
    bleu_cls, rouge_cls, cider_cls = _scorers()
    res = {i: [scoring_tokens(h)] for i, h in enumerate(hyps)}
    gts = {i: [scoring_tokens(r) for r in rs] for i, rs in enumerate(refs)}
    out = CaptionScores()
    bleus, _ = bleu_cls(4).compute_score(gts, res, verbose=0)
    for n, value in enumerate(bleus, 1):
        out.scores[f"BLEU-{n}"] = 100 * float(value)
    if not meteor:
        out.unavailable["METEOR"] = "not requested"
    elif shutil.which("java") is None:
        out.unavailable["METEOR"] = "needs a Java runtime (apt-get install default-jre-headless)"
    else:
        try:
            out.scores["METEOR"] = 100 * _meteor(gts, res)
        except (OSError, ValueError, AssertionError) as err:
            out.unavailable["METEOR"] = f"the METEOR Java program failed ({err})"
    out.scores["ROUGE-L"] = 100 * float(rouge_cls().compute_score(gts, res)[0])
    out.scores["CIDEr"] = 100 * float(cider_cls().compute_score(gts, res)[0])
    return out


# --------------------------------------------------------------- digit strips


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def sequence_accuracy(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]]) -> float:
    """Share of outputs exactly right."""
    return sum(list(h) == list(r) for h, r in zip(hyps, refs, strict=True)) / max(len(refs), 1)


def digit_accuracy(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]]) -> float:
    """One minus the digit error rate: edits (insert, delete, substitute) per reference digit."""
    edits = sum(edit_distance(h, r) for h, r in zip(hyps, refs, strict=True))
    return max(0.0, 1.0 - edits / max(sum(len(r) for r in refs), 1))


def _overlap(cells: int, extent: int, start: float, end: float) -> Tensor:
    """For each of ``cells`` equal cells tiling ``extent`` pixels, the share inside [start, end)."""
    edges = torch.arange(cells + 1, dtype=torch.float32) * (extent / cells)
    inside = torch.minimum(edges[1:], torch.tensor(end)) - torch.maximum(
        edges[:-1], torch.tensor(start)
    )
    return inside.clamp(min=0.0) / (extent / cells)


def box_mass(
    attention: Tensor, grid: tuple[int, int], image_size: tuple[int, int], box: Sequence[int]
) -> Tensor:
    """Attention mass [T] inside ``box`` = (x0, y0, x1, y1) for weights [T, rows * cols].

    Each cell's weight is spread evenly over the pixels the cell covers, as
    the overlay figure shows it.
    """
    (rows, cols), (height, width) = grid, image_size
    x0, y0, x1, y1 = box
    weights = _overlap(rows, height, y0, y1)[:, None] * _overlap(cols, width, x0, x1)[None, :]
    return (attention.reshape(-1, rows, cols).float() * weights).sum((1, 2))


def localisation(
    attentions: Sequence[Tensor],
    boxes: Sequence[Sequence[Sequence[int]]],
    grid: tuple[int, int],
    image_size: tuple[int, int],
    threshold: float = 0.5,
) -> float:
    """Share of output words (EOS excluded) whose attention mass inside the right box exceeds
    ``threshold``; the k-th word's right box is the k-th digit's, and a word past the last digit
    counts as a miss.

    ``attentions[i]`` is [words, rows * cols] (rows past the words, such as EOS, are ignored
    by passing only the word rows).
    """
    hits = words = 0
    for attention, strip_boxes in zip(attentions, boxes, strict=True):
        for k in range(attention.size(0)):
            words += 1
            if k < len(strip_boxes):
                mass = box_mass(attention[k : k + 1], grid, image_size, strip_boxes[k])
                hits += bool(mass.item() > threshold)
    return hits / max(words, 1)
