"""Guided alignment: a loss that pulls attention towards given word alignments.

Chen et al. (2016) and Marian's ``--guided-alignment`` add to the
translation loss the cross-entropy between each target token's attention
and the alignment of that token, taken from an external aligner such as
eflomal: ``-sum_s A[t, s] log attn[t, s]`` where row ``t`` of ``A`` spreads
one unit evenly over the source tokens linked to target token ``t``. The
attention row is the one that *predicts* token ``t``; target tokens without
a link add nothing, and end-of-sentence is linked to end-of-sentence.

With ``null``, target tokens without a link are linked to the source's
end-of-sentence instead, the NULL word of statistical aligners: eflomal
leaves about one French word in six unaligned, and an attention that was
never told so links every word somewhere, which costs precision.

Word links become token links by linking every piece of both words, so
sentencepiece and word vocabularies are guided alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from attnseq.alignment.files import Links, piece_words, read_pharaoh, token_links
from attnseq.config import FilesConfig
from attnseq.data.batching import Batch
from attnseq.data.readers import read_lines
from attnseq.data.tokenizers import Tokenizer
from attnseq.errors import DataError


def _resolve(name: str, base: Path) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else base / path


def alignments_by_pair(files: FilesConfig, base: Path) -> dict[tuple[str, str], Links]:
    """Word links of each (source, target) text in the training files.

    Keyed by text, not line number, so the pairs that reading, filtering or
    sampling dropped cannot shift the alignments onto the wrong sentences.
    """
    assert files.src and files.tgt and files.align
    src = read_lines(_resolve(files.src, base))
    tgt = read_lines(_resolve(files.tgt, base))
    path = _resolve(files.align, base)
    links = read_pharaoh(path)
    if len(links) != len(src):
        raise DataError(f"{path}: {len(links)} lines, but {files.src} has {len(src)}")
    result: dict[tuple[str, str], Links] = {}
    for number, (s, t, line_links) in enumerate(zip(src, tgt, links, strict=False), 1):
        s, t = s.strip(), t.strip()
        n_src, n_tgt = len(s.split()), len(t.split())
        for i, j in line_links:
            if i >= n_src or j >= n_tgt:
                raise DataError(
                    f"{path}, line {number}: link {i}-{j} is outside a pair of {n_src} "
                    f"source and {n_tgt} target words"
                )
        result.setdefault((s, t), line_links)
    return result


class GuidedAlignment:
    """Token links of every training example and the loss they define."""

    def __init__(self, weight: float, links: Sequence[Links | None]):
        self.weight = weight
        self.links = list(links)

    @staticmethod
    def _token_links(
        word_links: Links,
        src_map: Sequence[int],
        tgt_map: Sequence[int],
        n_src: int,
        n_tgt: int,
        null: bool,
    ) -> Links:
        found = token_links(word_links, src_map, tgt_map)
        if null:
            linked = {j for _, j in found}
            found |= {(n_src, j) for j in range(n_tgt) if j not in linked}
        found.add((n_src, n_tgt))  # end of sentence reads end of sentence
        return found

    @classmethod
    def build(
        cls,
        weight: float,
        files: FilesConfig,
        pairs: Sequence[tuple[str, str]],
        examples: Sequence[tuple[list[int], list[int]]],
        src_tok: Tokenizer,
        tgt_tok: Tokenizer,
        base: Path,
        say: Callable[[str], None] = print,
        null: bool = False,
    ) -> GuidedAlignment:
        by_pair = alignments_by_pair(files, base)
        links: list[Links | None] = []
        for (src, tgt), (src_ids, tgt_ids) in zip(pairs, examples, strict=True):
            word_links = by_pair.get((src.strip(), tgt.strip()))
            src_map = piece_words(src_tok.vocab.decode(src_ids), len(src.split()))
            tgt_map = piece_words(tgt_tok.vocab.decode(tgt_ids), len(tgt.split()))
            if word_links is None or src_map is None or tgt_map is None:
                links.append(None)
                continue
            links.append(
                cls._token_links(word_links, src_map, tgt_map, len(src_ids), len(tgt_ids), null)
            )
        guided = sum(link is not None for link in links)
        say(
            f"guided alignment (weight {weight:g}): {guided:,} of {len(links):,} training pairs "
            f"have links from {files.align}"
            + (" (unlinked target tokens: to end-of-sentence)" if null else "")
        )
        return cls(weight, links)

    def targets(self, batch: Batch, shape: torch.Size) -> Tensor:
        """Row-normalised link matrices [B, T, S] of a batch; rows without links are zero."""
        guide = torch.zeros(shape)
        for b, index in enumerate(batch.indices):
            links = self.links[index]
            if links:
                src, tgt = zip(*links, strict=True)
                guide[b, list(tgt), list(src)] = 1.0
        return guide / guide.sum(-1, keepdim=True).clamp_min(1.0)

    def loss(self, attn: Tensor, batch: Batch) -> Tensor:
        """Weighted cross-entropy of attention [B, T, S] against the links, summed."""
        guide = self.targets(batch, attn.shape).to(attn.device)
        return -self.weight * (guide * attn.float().clamp_min(1e-9).log()).sum()
