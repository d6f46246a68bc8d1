"""Replace unknown and copyable output words by source words, chosen by attention.

Word-level models write ``<unk>`` for every word outside their vocabulary,
often a name or a number that should simply be copied. Luong et al. (2015,
"Addressing the rare word problem") replace each ``<unk>`` by the source word
the model attended to most when writing it, or by that word's translation in
a bilingual dictionary when it has one. Numbers are copyable too: when the
model writes a number while looking at a different number, the source's is
taken.

This is post-processing on a finished :class:`attnseq.api.translator.Translation`:
search and scores are unchanged, only the text is rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from attnseq.alignment.extract import group_words, piece_groups
from attnseq.api.translator import EOS_PIECE, Translation
from attnseq.data.readers import read_lines
from attnseq.data.tokenizers import SPECIALS, UNK, SentencePieceTokenizer, Tokenizer
from attnseq.errors import DataError

UNK_PIECE = SPECIALS[UNK]
_NUMBER = re.compile(r"^\u2581?\d+([.,]\d+)*$")


def read_dictionary(path: str | Path) -> dict[str, str]:
    """A bilingual dictionary: ``source<TAB>target`` (or space-separated) per line.

    The first entry of a source word wins, so list the best translation
    first; lines starting with ``#`` and blank lines are skipped.
    """
    path = Path(path)
    result: dict[str, str] = {}
    for number, line in enumerate(read_lines(path), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t") if "\t" in line else line.split()
        if len(cells) < 2 or not cells[0].strip() or not cells[1].strip():
            raise DataError(f"{path}, line {number}: expected 'source<TAB>target'")
        result.setdefault(cells[0].strip(), cells[1].strip())
    return result


def _is_number(piece: str) -> bool:
    return bool(_NUMBER.match(piece))


def replace_unknowns(
    translation: Translation,
    src_tok: Tokenizer,
    tgt_tok: Tokenizer,
    dictionary: dict[str, str] | None = None,
    numbers: bool = True,
) -> tuple[Translation, int]:
    """The translation with ``<unk>`` (and, with ``numbers``, numbers) replaced; and how many.

    The source word is taken from the source text as the tokenizer split it
    (before the vocabulary turned rare words into ``<unk>``), so a rare
    source word can be copied even though the model only saw ``<unk>``.
    """
    src_pieces = src_tok.tokenize(translation.source)
    if len(src_pieces) + 1 != len(translation.src_tokens):
        return translation, 0  # tokenized differently from the model's input: leave it alone
    groups = piece_groups(src_pieces)
    src_words = group_words(src_pieces, groups)
    attention = np.asarray(translation.attention)
    sentencepiece = isinstance(tgt_tok, SentencePieceTokenizer)
    pieces: list[str] = []
    replaced = 0
    for t, piece in enumerate(translation.out_tokens):
        if piece == EOS_PIECE:
            continue
        copy_number = numbers and _is_number(piece)
        if piece != UNK_PIECE and not copy_number:
            pieces.append(piece)
            continue
        k = int(attention[t, : len(src_pieces)].argmax()) if src_pieces else -1
        word = src_words[groups[k]] if k >= 0 else ""
        if copy_number and not (_is_number(word) and word != piece.lstrip("\u2581")):
            pieces.append(piece)
            continue
        new = (dictionary or {}).get(word, word) if word else piece
        replaced += new != piece
        pieces.append("\u2581" + new if sentencepiece else new)
    if not replaced:
        return translation, 0
    return replace(translation, text=tgt_tok.detokenize(pieces)), replaced


def replace_all(
    translations: Sequence[Translation],
    src_tok: Tokenizer,
    tgt_tok: Tokenizer,
    dictionary: dict[str, str] | None = None,
    numbers: bool = True,
) -> tuple[list[Translation], int]:
    """:func:`replace_unknowns` over a corpus; the total count of replaced words."""
    out, total = [], 0
    for translation in translations:
        new, count = replace_unknowns(translation, src_tok, tgt_tok, dictionary, numbers)
        out.append(new)
        total += count
    return out, total
