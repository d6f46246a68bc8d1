"""Readers on the real Multi30k files and on small broken files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from attnseq.data.readers import read_lines, read_parallel, read_tsv
from attnseq.errors import DataError


def _gunzip(src: Path, dest: Path) -> Path:
    with gzip.open(src, "rb") as fin, open(dest, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    return dest


def test_real_multi30k_val_pairs(mirror: Path, tmp_path: Path) -> None:
    raw = mirror / "multi30k" / "raw"
    en = _gunzip(raw / "val.en.gz", tmp_path / "val.en")
    de = _gunzip(raw / "val.de.gz", tmp_path / "val.de")
    text = read_parallel(en, de)
    assert len(text.pairs) == 1014
    assert text.dropped_empty == 0
    assert str(en) in text.source and str(de) in text.source
    first_en = en.read_text(encoding="utf-8").splitlines()[0].strip()
    assert text.pairs[0][0] == first_en
    # Reading the .gz directly gives the same pairs.
    assert read_parallel(raw / "val.en.gz", raw / "val.de.gz").pairs == text.pairs


def test_unequal_counts_name_both_files(mirror: Path, tmp_path: Path) -> None:
    raw = mirror / "multi30k" / "raw"
    with pytest.raises(DataError) as err:
        read_parallel(raw / "val.en.gz", raw / "test_2016_flickr.de.gz")
    message = str(err.value)
    assert "val.en.gz" in message and "1014" in message
    assert "test_2016_flickr.de.gz" in message and "1000" in message


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes("un\ndeux\ntr\xe8s\n".encode("latin-1"))
    with pytest.raises(DataError) as err:
        read_lines(bad)
    assert str(bad) in str(err.value)
    assert "line 3" in str(err.value)


def test_invalid_utf8_in_gzip_names_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.en.gz"
    with gzip.open(bad, "wb") as out:
        out.write(b"ok\n\xff\xfe\n")
    with pytest.raises(DataError, match=r"bad\.en\.gz, line 2"):
        read_lines(bad)


def test_empty_lines_dropped_and_counted(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    tgt = tmp_path / "b.txt"
    src.write_bytes(b"hello \r\n\n  \nworld\nlast\n")
    tgt.write_bytes(b"bonjour\r\nrien\nvide\n\n dernier\n")
    text = read_parallel(src, tgt)
    assert text.pairs == [("hello", "bonjour"), ("last", "dernier")]
    assert text.dropped_empty == 3


def test_lines_keep_inner_text_and_unicode_separators(tmp_path: Path) -> None:
    path = tmp_path / "u.txt"
    path.write_bytes("\ufeffa  b\u2028c\r\nd\n".encode())
    assert read_lines(path) == ["a  b\u2028c", "d"]


def test_tsv_columns_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "p.tsv"
    path.write_text("Go.\tVa !\tCC-BY\nHi.\tSalut !\tx\n\n", encoding="utf-8")
    text = read_tsv(path)
    assert text.pairs == [("Go.", "Va !"), ("Hi.", "Salut !")]
    assert text.dropped_empty == 1
    assert read_tsv(path, src_column=1, tgt_column=0).pairs[0] == ("Va !", "Go.")
    with pytest.raises(DataError) as err:
        read_tsv(path, src_column=0, tgt_column=3)
    assert str(path) in str(err.value) and "line 1" in str(err.value)

    short = tmp_path / "short.tsv"
    short.write_text("a\tb\nc\td\nno tab here\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"short\.tsv, line 3: expected at least 2"):
        read_tsv(short)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        read_lines(tmp_path / "absent.txt")


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"x\.gz"):
        read_lines(path)
