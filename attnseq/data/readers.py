"""Readers for parallel text: two aligned files, or one tab-separated file.

Why strict: a silently misaligned corpus (one extra line in one file) trains a
model on wrong pairs and nothing downstream notices. So line counts must
match, undecodable bytes are reported with file and line, and the only thing
dropped quietly is a pair with an empty side, which is counted for the logs.
Text is kept as is apart from stripping whitespace at both ends.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from attnseq.errors import DataError

_BOM = "\ufeff"


@dataclass
class ParallelText:
    """Aligned sentence pairs, with how many were dropped and where they came from."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    dropped_empty: int = 0
    source: str = ""

    def __len__(self) -> int:
        return len(self.pairs)


def read_lines(path: Path) -> list[str]:
    """All lines of a UTF-8 text file (gunzipped if it ends in .gz), newline/CR removed."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    try:
        with _open_binary(path) as handle:
            return decode_lines(handle, str(path))
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"cannot read {path}: {err}") from None


def _open_binary(path: Path) -> BinaryIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def decode_lines(raw: Iterable[bytes], source: str) -> list[str]:
    """Decode byte lines as UTF-8, naming ``source`` and the 1-based line on failure.

    Splitting bytes on b"\\n" (not str.splitlines) keeps U+2028 and friends
    inside a line, so line numbers agree with ``wc -l`` and with the other file.
    """
    lines = []
    for number, line in enumerate(raw, start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataError(
                f"{source}, line {number}: invalid UTF-8 ({err.reason} at byte {err.start})"
            ) from None
        if number == 1 and text.startswith(_BOM):
            text = text[1:]
        lines.append(text.rstrip("\r\n"))
    return lines


def read_parallel(src: Path, tgt: Path) -> ParallelText:
    """Pair line i of ``src`` with line i of ``tgt``; the files must have equal line counts."""
    src_lines = read_lines(src)
    tgt_lines = read_lines(tgt)
    if len(src_lines) != len(tgt_lines):
        raise DataError(
            f"line counts differ: {src} has {len(src_lines)} lines, "
            f"{tgt} has {len(tgt_lines)} lines"
        )
    return _drop_empty(zip(src_lines, tgt_lines, strict=True), f"{src} + {tgt}")


def read_tsv(path: Path, src_column: int = 0, tgt_column: int = 1) -> ParallelText:
    """Pairs from two columns of a tab-separated file (extra columns are ignored)."""
    return tsv_pairs(read_lines(path), str(path), src_column, tgt_column)


def tsv_pairs(
    lines: list[str], source: str, src_column: int = 0, tgt_column: int = 1
) -> ParallelText:
    """Split already decoded TSV lines; shared by files on disk and members of a zip.

    A blank line counts as an empty pair; a non-blank line with too few
    columns is an error, since it usually means a broken export.
    """
    if src_column < 0 or tgt_column < 0:
        raise DataError(f"{source}: TSV columns must be >= 0, got {src_column}, {tgt_column}")
    needed = max(src_column, tgt_column) + 1
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            rows.append(("", ""))
            continue
        cells = line.split("\t")
        if len(cells) < needed:
            raise DataError(
                f"{source}, line {number}: expected at least {needed} tab-separated "
                f"columns, found {len(cells)}"
            )
        rows.append((cells[src_column], cells[tgt_column]))
    return _drop_empty(rows, source)


def _drop_empty(rows: Iterable[tuple[str, str]], source: str) -> ParallelText:
    """Strip both sides and drop pairs with an empty side, counting them."""
    result = ParallelText(source=source)
    for left, right in rows:
        left, right = left.strip(), right.strip()
        if left and right:
            result.pairs.append((left, right))
        else:
            result.dropped_empty += 1
    return result
