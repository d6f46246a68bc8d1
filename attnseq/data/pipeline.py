"""From a data config to encoded training examples.

Resolves where the text comes from (a registry data set or the user's own
files), encodes it with the run's tokenizers and drops what cannot be
trained on, counting every dropped pair so the log can say why the data set
shrank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from attnseq.config import DataConfig, FilesConfig
from attnseq.data.batching import Example
from attnseq.data.corpora import load_pairs
from attnseq.data.dialogue import DIALOGUE_DATASETS, load_dialogue_pairs
from attnseq.data.readers import read_parallel, read_tsv
from attnseq.data.tokenizers import Tokenizer, encode
from attnseq.errors import DataError

Pair = tuple[str, str]


@dataclass
class Encoded:
    examples: list[Example]
    pairs: list[Pair]  # the text of each kept example, same order
    dropped_empty: int = 0
    dropped_long: int = 0


def _read_files(files: FilesConfig, base: Path) -> tuple[list[Pair], int]:
    def resolve(name: str) -> Path:
        path = Path(name).expanduser()
        return path if path.is_absolute() else base / path

    text = (
        read_tsv(resolve(files.tsv))
        if files.tsv
        else read_parallel(resolve(files.src), resolve(files.tgt))
    )
    return text.pairs, text.dropped_empty


def load_split(cfg: DataConfig, split: str, base: Path = Path(".")) -> tuple[list[Pair], int]:
    """Text pairs of ``split`` ("train", "valid" or "test") and the count of empty pairs dropped.

    For a dialogue data set the pairs are (context, response), the context
    being the previous ``cfg.context_turns`` turns joined by ``cfg.turn_separator``.
    """
    files = {"train": cfg.train, "valid": cfg.valid}.get(split)
    if files is not None:
        return _read_files(files, base)
    if cfg.dataset is None:
        raise DataError(f"data.{split}: no files given and no data.dataset to take the split from")
    name = {"train": cfg.train_split, "valid": cfg.valid_split, "test": cfg.test_split}.get(
        split, split
    )
    if cfg.dataset in DIALOGUE_DATASETS:
        pairs = load_dialogue_pairs(
            cfg.dataset, name, cfg.context_turns, cfg.turn_separator, mirror=cfg.mirror
        )
    else:
        pairs = load_pairs(
            cfg.dataset, name, cfg.src_lang, cfg.tgt_lang, variant=cfg.variant, mirror=cfg.mirror
        )
    return pairs, 0


def fit_source(ids: list[int], src_tail: int | None) -> list[int]:
    """Keep the last ``src_tail`` tokens: a chat context loses its oldest words first."""
    return ids[-src_tail:] if src_tail is not None and len(ids) > src_tail else ids


def encode_pairs(
    pairs: Sequence[Pair],
    src_tok: Tokenizer,
    tgt_tok: Tokenizer,
    max_len: int | None,
    src_tail: int | None = None,
) -> Encoded:
    """Encode and filter pairs; with ``src_tail`` long sources are cut (see
    :func:`fit_source`) instead of dropped."""
    out = Encoded([], [])
    for src, tgt in pairs:
        src_ids, tgt_ids = fit_source(encode(src_tok, src), src_tail), encode(tgt_tok, tgt)
        if not src_ids or not tgt_ids:
            out.dropped_empty += 1
        elif max_len is not None and (len(src_ids) > max_len or len(tgt_ids) > max_len):
            out.dropped_long += 1
        else:
            out.examples.append((src_ids, tgt_ids))
            out.pairs.append((src, tgt))
    return out
