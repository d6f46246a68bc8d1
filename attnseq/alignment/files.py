"""Word alignment files: the Pharaoh format, gold files with sure and possible links.

Pharaoh (``i-j`` per pair, 0-based, source index first) is what fast_align,
eflomal and Moses read and write, so every tool we compare with speaks it.
Gold alignments add *possible* links for the pairs annotators were unsure
about: ``i-j`` is sure and ``ipj`` (or ``i?j``) possible. The WPT 2003 gold
files (``.talp``) count from 1; everything we write counts from 0.

A line's links are kept as a set of ``(source, target)`` index pairs, so
comparisons and set algebra are one operator each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from attnseq.data.readers import read_lines
from attnseq.errors import DataError

Link = tuple[int, int]  # (source word, target word), 0-based
Links = set[Link]

_LINK = re.compile(r"^(\d+)([-p?])(\d+)$")


@dataclass
class GoldLinks:
    """One sentence pair's gold alignment; ``possible`` includes every sure link."""

    sure: Links
    possible: Links


def parse_links(line: str, where: str = "line", one_based: bool = False) -> GoldLinks:
    """Parse one line of ``i-j`` (sure) and ``ipj`` / ``i?j`` (possible) links."""
    sure: Links = set()
    possible: Links = set()
    offset = 1 if one_based else 0
    for item in line.split():
        match = _LINK.match(item)
        if match is None:
            raise DataError(f"{where}: {item!r} is not a link like 3-4 (or 3p4 for possible)")
        i, j = int(match.group(1)) - offset, int(match.group(3)) - offset
        if i < 0 or j < 0:
            raise DataError(f"{where}: link {item!r} has index 0 in a 1-based file")
        possible.add((i, j))
        if match.group(2) == "-":
            sure.add((i, j))
    return GoldLinks(sure, possible)


def read_gold(path: str | Path, one_based: bool | None = None) -> list[GoldLinks]:
    """Gold links of every line; ``.talp`` files are 1-based unless told otherwise."""
    path = Path(path)
    if one_based is None:
        one_based = path.suffix == ".talp"
    return [
        parse_links(line, f"{path}, line {number}", one_based)
        for number, line in enumerate(read_lines(path), 1)
    ]


def read_pharaoh(path: str | Path) -> list[Links]:
    """Links of every line of a Pharaoh file (0-based ``i-j``; possible marks are refused)."""
    path = Path(path)
    result = []
    for number, line in enumerate(read_lines(path), 1):
        gold = parse_links(line, f"{path}, line {number}")
        if gold.sure != gold.possible:
            raise DataError(f"{path}, line {number}: possible links (ipj) in an alignment file")
        result.append(gold.sure)
    return result


def format_links(links: Iterable[Link]) -> str:
    """One Pharaoh line, links sorted by target then source word as eflomal writes them."""
    return " ".join(f"{i}-{j}" for i, j in sorted(links, key=lambda link: (link[1], link[0])))


def reverse_links(links: Iterable[Link]) -> Links:
    """Swap the sides: an alignment of the other translation direction."""
    return {(j, i) for i, j in links}


def check_ranges(links: Links, src_len: int, tgt_len: int, where: str) -> None:
    """Refuse links that point past either sentence: the usual sign of swapped files."""
    for i, j in links:
        if i >= src_len or j >= tgt_len:
            raise DataError(
                f"{where}: link {i}-{j} is outside a pair of {src_len} source and "
                f"{tgt_len} target words (swapped files, or 1-based indices?)"
            )


def word_spans(pieces_per_word: Sequence[Sequence[str]]) -> list[int]:
    """The word index of every piece, given each word's pieces in order."""
    return [w for w, pieces in enumerate(pieces_per_word) for _ in pieces]


def token_links(links: Iterable[Link], src_words: Sequence[int], tgt_words: Sequence[int]) -> Links:
    """Word links to token links: every piece of a linked word joins every piece of the other.

    ``src_words[k]`` is the word of source token ``k`` (likewise for the
    target), as :func:`word_spans` gives it.
    """
    src_pieces: dict[int, list[int]] = {}
    tgt_pieces: dict[int, list[int]] = {}
    for k, w in enumerate(src_words):
        src_pieces.setdefault(w, []).append(k)
    for k, w in enumerate(tgt_words):
        tgt_pieces.setdefault(w, []).append(k)
    return {(a, b) for i, j in links for a in src_pieces.get(i, ()) for b in tgt_pieces.get(j, ())}


def piece_words(pieces: Sequence[str], n_words: int) -> list[int] | None:
    """The word index of each piece of a whitespace-tokenized sentence, or None if unclear.

    Word-level vocabularies give one piece per word; sentencepiece marks the
    first piece of each word with U+2581. When neither accounts for exactly
    ``n_words`` words (a tokenizer that split a word further), None.
    """
    if not any(piece.startswith("\u2581") for piece in pieces):
        return list(range(n_words)) if len(pieces) == n_words else None
    index, result = -1, []
    for piece in pieces:
        if piece.startswith("\u2581") or index < 0:
            index += 1
        result.append(index)
    return result if index + 1 == n_words else None


def read_line_pairs(src: Path, tgt: Path) -> tuple[list[str], list[str]]:
    """Every line of two files to align; unlike training data, empty lines stay (and get no links).

    Line ``n`` of an alignment file must describe line ``n`` of both texts,
    so nothing may be dropped here.
    """
    src_lines, tgt_lines = read_lines(src), read_lines(tgt)
    if len(src_lines) != len(tgt_lines):
        raise DataError(
            f"line counts differ: {src} has {len(src_lines)} lines, {tgt} has {len(tgt_lines)}"
        )
    return src_lines, tgt_lines
